-- hello: the smallest useful function; `make run` serves it on :8000.
local M = {}

-- Runs once per Lua state, before the first invocation.
function M.initializer(context)
  M.greeting = context:getUserData("GREETING") or "Hello"
end

-- event: the decoded JSON body of POST /invoke; context: request metadata.
function M.handler(event, context)
  local log = context:getLogger()
  log:info("greeting %s", event.name or "world")
  return {
    statusCode = 200,
    headers = { ["Content-Type"] = "application/json" },
    body = { message = M.greeting .. ", " .. (event.name or "world") .. "!", requestId = context:getRequestID() },
  }
end

return M
