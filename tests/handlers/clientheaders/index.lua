-- clientheaders: the limits and context getters an invocation sees, next to the X-CFF-* headers its request carried
local M = {}

function M.handler(event, context)
  local log = context:getLogger()
  log:info("seen")
  return {
    statusCode = 200,
    headers = { ["Content-Type"] = "application/json" },
    body = {
      requestId = context:getRequestID(),
      timeout = context:getRunningTimeInSeconds(),
      memory = context:getMemorySize(),
      remainingMs = context:getRemainingTimeInMilliSeconds(),
      token = context:getToken() or "(nil)",
      accessKey = context:getSecurityAccessKey() or "(nil)",
      functionName = context:getFunctionName() or "(nil)",
      headerTimeout = context.headers["x-cff-timeout"] or "(nil)",
      headerToken = context.headers["x-cff-auth-token"] or "(nil)",
      eventHeaderMemory = (event.headers or {})["x-cff-memory"] or "(nil)",
    },
  }
end

return M
