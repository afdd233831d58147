-- apig-json-api: an APIG-triggered JSON API - decode the (base64) body with fnlua.apig, validate a field, answer 200 or 400.
local apig = require "fnlua.apig"

local M = {}

function M.handler(event, context)
  local log = context:getLogger()
  local req = apig.request(event)
  local data, err = req:json()
  if not data then
    log:warn("rejected %s %s: %s", req.method, req.path, err)
    return apig.error(400, err)
  end
  if type(data) ~= "table" or type(data.name) ~= "string" or data.name == "" then
    log:warn("rejected %s %s: no name", req.method, req.path)
    return apig.error(400, 'field "name" is required and must be a non-empty string')
  end
  log:info("hello for %s from %s", data.name, req:header("X-Real-IP") or "unknown")
  return apig.json(200, {
    message = "Hello, " .. data.name .. "!",
    responseType = req:query("responseType") or "json",
    requestId = context:getRequestID(),
  })
end

return M
