-- requestid: under concurrency each invocation sees only its own request id, headers and event (no cross-talk)
local M = {}

local current = nil -- per Lua state: set while an invocation runs in this state

function M.handler(event, context)
  local id = context:getRequestID()
  local overlapped = current ~= nil -- another invocation already running in this state?
  current = id
  local stop = os.clock() + 0.005
  while os.clock() < stop do end -- stay busy so invocations overlap across workers
  local after = context:getRequestID()
  local stillMine = current == id
  current = nil
  return {
    body = {
      id = id,
      after = after,
      header = context.headers["x-cff-request-id"],
      n = event.n,
      overlapped = overlapped,
      stillMine = stillMine,
    },
  }
end

return M
