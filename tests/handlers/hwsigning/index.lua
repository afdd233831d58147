-- hwsigning: fnlua.hwcloud.sign() of the event's request with the event's keys, or the context's when it has none; returns the request as it would be sent
local hwcloud = require "fnlua.hwcloud"

local M = {}

function M.handler(event, context)
  local creds = event.creds
  if type(creds) ~= "table" then
    creds = context
  end
  local req = hwcloud.sign(event.req, creds)
  return { body = { method = req.method, url = req.url, headers = req.headers, body = req.body, query = req.query } }
end

return M
