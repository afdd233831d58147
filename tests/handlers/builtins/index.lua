-- builtins: require "cjson" and require "fnlua.json" (exact-number encode/decode) work from any code directory
local cjson = require "cjson"
local fjson = require "fnlua.json"

local M = {}

function M.handler(event)
  local decoded = fjson.decode('{"id":4503599627370497,"f":0.1}')
  return {
    body = {
      cjson = cjson.encode({ "x" }),
      fjson = fjson.encode({ id = 1234567890123456 }),
      idType = math.type(decoded.id),
      id = decoded.id,
      f = decoded.f,
    },
  }
end

return M
