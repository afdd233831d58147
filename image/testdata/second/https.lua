-- https: an outbound HTTPS call from inside the image (image/test runs it with
-- FNLUA_HANDLER=https.handler at /app2 against a local server of its own).
local http = require "fnlua.http"

local M = {}

function M.handler(event)
  local res, err = http.get(event.url, { timeout = 5 })
  return { call = { status = res and res.status, text = res and res.body, err = err } }
end

return M
