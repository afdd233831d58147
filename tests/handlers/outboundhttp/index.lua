-- outboundhttp: an HTTP function (--mode http) that calls a backend with fnlua.http and relays its answer
local http = require "fnlua.http"

local M = {}

function M.handler(event, context)
  local url = (event.queryStringParameters or {}).url
  local res, err = http.get(url, { headers = { ["X-Relayed-By"] = context:getRequestID() } })
  if not res then
    return { statusCode = 502, headers = { ["Content-Type"] = "text/plain" }, body = err }
  end
  return {
    statusCode = res.status,
    headers = {
      ["Content-Type"] = res.headers["content-type"] or "text/plain",
      ["X-Backend-Status"] = tostring(res.status),
      ["X-Request-Id"] = context:getRequestID(),
    },
    body = res.body,
  }
end

return M
