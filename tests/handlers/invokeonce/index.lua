-- invokeonce: logs exactly one line per invocation, naming its request id, then returns at once, stays busy past the 2 ms slice, sleeps or raises (tests/stress/invoke-once)
local fnlua = require("fnlua")

local M = {}

function M.handler(event, context)
  local id = context:getRequestID()
  context:getLogger():info("invoke-once ran %s", id) -- the only line: its count is the number of runs
  local how = event.how
  if how == "busy" then
    -- wall-clock busy wait (ms resolution): crosses the 2 ms slice on the HTTP thread
    local start = context:getRemainingTimeInMilliSeconds()
    while start - context:getRemainingTimeInMilliSeconds() < event.ms do
    end
  elseif how == "sleep" then
    fnlua.sleep(event.s)
  elseif how == "raise" then
    error("invoke-once raised " .. id)
  end
  return { statusCode = 200, body = id }
end

return M
