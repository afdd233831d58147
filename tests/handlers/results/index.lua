-- results: one case per return-value rule (docs/handler-api.md, "Returning a result"), chosen by event.case
local M = {}

local cases = {}

-- table with statusCode/body → envelope; header values turned into strings
cases.status_body = function()
  return { statusCode = 201, headers = { ["X-Num"] = 42, ["X-Float"] = 1.5, ["X-Bool"] = true, ["X-Str"] = "s" }, body = "created" }
end
cases.body_only = function() return { body = "just a body" } end
cases.status_only = function() return { statusCode = 204 } end
-- body table → JSON text, Content-Type: application/json unless set
cases.body_table = function() return { statusCode = 200, body = { a = 1, list = { 1, 2, 3 }, nested = { b = { c = "d" } } } } end
cases.body_table_own_type = function()
  return { headers = { ["Content-Type"] = "application/vnd.api+json" }, body = { a = 1 } }
end
-- body bytes that are not UTF-8 → base64
cases.binary_body = function() return { body = "\255\254\0\1binary" } end
cases.unicode_body = function() return { body = "héllo 世界 🎉" } end
-- isBase64Encoded set by the handler → body passed through
cases.prebase64 = function() return { isBase64Encoded = true, body = "aGVsbG8=" } end
-- any other table → 200 + JSON body
cases.plain_table = function() return { a = 1, nested = { b = { c = "d" } }, arr = { 1, "two", true } } end
cases.nested_arrays = function() return { m = { { 1, 2 }, { 3, { 4, 5 } } } } end
cases.string = function() return "hello" end
cases.json_string = function() return { body = '{"b":[2,{"d":1,"c":2}],"a":9007199254740993}' } end -- JSON text the handler wrote itself
cases.integer = function() return 42 end
cases.float = function() return 0.1 end
cases.float_half = function() return 1.5 end
cases.boolean_true = function() return true end
cases.boolean_false = function() return false end
cases["nil"] = function() return nil end
cases.nothing = function() end
-- numbers exact
cases.bigint = function() return 1234567890123456 end
cases.maxinteger = function() return math.maxinteger end
cases.mininteger = function() return math.mininteger end
cases.pow53 = function() return 2 ^ 53 end
cases.bigint_in_table = function() return { id = 1234567890123456, max = math.maxinteger, tenth = 0.1, pow53 = 2 ^ 53 } end
cases.echo_id = function(event) return { id = event.id } end
-- values that cannot be encoded → ResultError
cases["function"] = function() return function() end end
cases.userdata = function() return io.stdout end
cases.cycle = function() local t = { a = 1 }; t.self = t; return t end
cases.huge_body = function() return { body = string.rep("x", 6291457) } end -- over the platform's 6,291,456-byte result limit
cases.deep_table = function() -- nested 100000 levels: conversion must stop at a depth limit, not crash
  local t = {}
  for _ = 1, 100000 do t = { t } end
  return t
end
cases.function_in_body = function() return { body = { f = print } } end

function M.handler(event)
  local f = cases[event.case]
  if not f then error("unknown case " .. tostring(event.case)) end
  return f(event)
end

return M
