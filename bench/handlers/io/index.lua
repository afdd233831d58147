-- io: the I/O-bound benchmark job. One HTTP call to the backend (BACKEND_URL,
-- which answers after 20 ms), then echo one field of the event, the request id
-- and the backend's answer. The call suspends this invocation without
-- blocking its Lua state or its thread.
local http = require "fnlua.http"

local BACKEND = assert(os.getenv("BACKEND_URL"), "BACKEND_URL is not set") .. "/"

local M = {}

function M.handler(event, context)
  local res, err = http.request { url = BACKEND, method = "GET" }
  if not res then
    error("backend call failed: " .. tostring(err))
  end
  if res.status ~= 200 then
    error("backend answered " .. tostring(res.status))
  end
  return {
    statusCode = 200,
    headers = { ["Content-Type"] = "application/json" },
    body = {
      name = event.user.name,
      requestId = context:getRequestID(),
      backendStatus = res.status,
      backend = res.body,
    },
  }
end

return M
