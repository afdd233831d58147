-- sleep: the handler bench/io/suspended-cost runs. It waits event.sleep
-- seconds (default 5) with fnlua.sleep, which suspends the invocation
-- without holding its Lua state or its thread, then answers.
local fnlua = require "fnlua"

local M = {}

function M.handler(event, context)
  local s = tonumber(event.sleep) or 5
  fnlua.sleep(s)
  return {
    statusCode = 200,
    headers = { ["Content-Type"] = "application/json" },
    body = { requestId = context:getRequestID(), slept = s },
  }
end

return M
