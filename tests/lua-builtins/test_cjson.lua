-- Tests that require "cjson" (lua-cjson, linked into fnlua) is always available.
local check = require "check"

local T = {}

T["require 'cjson' -> the lua-cjson module"] = function()
  local cjson = require "cjson"
  check.eq(type(cjson.encode), "function", "cjson.encode")
  check.eq(cjson.encode({ 1, 2, "x" }), '[1,2,"x"]', "encode")
  check.eq(cjson.decode('{"a":"b"}').a, "b", "decode")
  check.eq(require "cjson", cjson, "same module on a second require")
end

T["cjson.null -> the same value as fnlua.json.null"] = function()
  local cjson = require "cjson"
  check.eq(cjson.null, require("fnlua.json").null, "null")
  check.eq(cjson.decode("[null]")[1], cjson.null, "decoded null")
end

T["require 'cjson.safe' -> errors as nil + message"] = function()
  local safe = require "cjson.safe"
  local v, err = safe.decode("{bad")
  check.eq(v, nil, "value")
  check.eq(type(err), "string", "message")
end

return T
