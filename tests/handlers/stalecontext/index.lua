-- stalecontext: a context or logger kept past its invocation must not crash the server (spec: valid only during its invocation)
local M = {}

local kept, keptLog

function M.handler(event, context)
  local result = { first = kept == nil }
  if kept then
    local ok, value = pcall(kept.getRequestID, kept)
    result.requestIdOk, result.requestId = ok, tostring(value)
    local okHeaders, headers = pcall(function() return kept.headers["x-cff-request-id"] end)
    result.headersOk, result.header = okHeaders, tostring(headers)
    result.logOk = pcall(keptLog.info, keptLog, "from a stale logger")
  end
  kept, keptLog = context, context:getLogger()
  return { body = result }
end

return M
