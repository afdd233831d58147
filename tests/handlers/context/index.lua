-- context: every getter of the invocation context (headers, RUNTIME_* fallback, getUserData), returned as JSON
local M = {}

local NIL = "(nil)" -- a getter that returned nil; a Lua table cannot hold nil

local getters = {
  "getRequestID", "getRemainingTimeInMilliSeconds", "getRunningTimeInSeconds",
  "getMemorySize", "getCPUNumber", "getFunctionName", "getVersion", "getPackage",
  "getProjectID", "getRegion", "getAlias", "getInvokeType", "getSecurityAccessKey",
  "getSecuritySecretKey", "getSecurityToken", "getToken", "getAccessKey",
  "getSecretKey", "getInstanceID",
}

function M.handler(event, context)
  local values, mathTypes = {}, {}
  for _, name in ipairs(getters) do
    local f = context[name]
    if f == nil then
      values[name] = "(missing)"
    else
      local ok, v = pcall(f, context) -- same as context:name()
      if not ok then
        values[name] = "(error) " .. tostring(v)
      elseif v == nil then
        values[name] = NIL
      else
        values[name] = v
        if type(v) == "number" then mathTypes[name] = math.type(v) end
      end
    end
  end
  local userData = {}
  for _, key in ipairs(event.userDataKeys or {}) do
    local v = context:getUserData(key)
    if v == nil then v = NIL end
    userData[key] = v
  end
  local headers = {}
  for k, v in pairs(context.headers or {}) do headers[k] = v end
  local log = context:getLogger()
  return {
    body = {
      values = values,
      mathTypes = mathTypes,
      userData = userData,
      headers = headers,
      loggerType = type(log),
    },
  }
end

return M
