-- workload: slow (busy-wait), echoing and large answers for concurrency, slow-client and disconnect tests
local M = {}

local running = false

local function busy(context, ms)
  local stop = context:getRemainingTimeInMilliSeconds() - ms
  while context:getRemainingTimeInMilliSeconds() > stop do end
end

function M.handler(event, context)
  local overlapped = running
  running = true
  if event.ms then busy(context, event.ms) end
  running = false
  if event.bigMB then
    return string.rep("b", math.floor(event.bigMB * 1024 * 1024))
  end
  return {
    body = {
      id = context:getRequestID(),
      header = context.headers["x-cff-request-id"],
      tag = context.headers["x-tag"],
      event = event,
      overlapped = overlapped,
      headerCount = (function() local n = 0 for _ in pairs(context.headers) do n = n + 1 end return n end)(),
    },
  }
end

return M
