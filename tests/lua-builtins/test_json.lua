-- Tests of require "fnlua.json": the exact JSON codec handlers share with the envelope encoder.
local check = require "check"
local json = require "fnlua.json"
local cjson = require "cjson"

local T = {}

T["JSON integer 2^53 -> Lua integer"] = function()
  check.eq(json.decode("9007199254740992"), 9007199254740992, "2^53")
  check.eq(json.decode('{"n":5}').n, 5, "n")
  check.eq("n=" .. json.decode('{"n":5}').n, "n=5", "concatenated")
end

T["JSON 2^53+1, 1e3, 1.5 -> Lua floats"] = function()
  check.eq(math.type(json.decode("9007199254740993")), "float", "2^53+1")
  check.eq(json.decode("1e3"), 1000.0, "1e3")
  check.eq(json.decode("1.5"), 1.5, "1.5")
end

T["JSON null -> json.null, which is cjson.null"] = function()
  local v = json.decode('{"a":null,"b":[null]}')
  check.eq(v.a, json.null, "a")
  check.eq(v.b[1], cjson.null, "b[1]")
  check.eq(#v.b, 1, "#b")
end

T["JSON unicode escapes and surrogate pairs -> UTF-8"] = function()
  check.eq(json.decode('"caf\\u00e9"'), "caf\u{e9}", "e-acute")
  check.eq(json.decode('"\\ud83d\\ude00"'), "\u{1F600}", "emoji")
  check.eq(json.decode('"tab\\there"'), "tab\there", "tab")
end

T["JSON [] -> table with json.array_mt, encodes back as []"] = function()
  local v = json.decode("[]")
  check.eq(getmetatable(v), json.array_mt, "metatable")
  check.eq(json.encode(v), "[]", "re-encoded")
  check.eq(json.encode(json.decode('{"list":[]}')), '{"list":[]}', "nested")
end

T["JSON {} -> encodes back as {}"] = function()
  check.eq(json.encode(json.decode("{}")), "{}", "re-encoded")
  check.eq(json.encode({}), "{}", "empty Lua table")
end

T["invalid JSON -> error naming line and column"] = function()
  check.raises("invalid JSON at line 2, column 3", "bad token", json.decode, "[1,\n  x]")
  check.raises("invalid JSON at line", "trailing comma", json.decode, "[1,]")
  check.raises("invalid JSON at line", "leading zero", json.decode, "01")
  check.raises("invalid JSON at line", "empty", json.decode, "")
  check.raises("bad argument", "not a string", json.decode, nil)
end

T["Lua integers -> exact JSON over 64 bits"] = function()
  check.eq(json.encode(math.maxinteger), "9223372036854775807", "maxinteger")
  check.eq(json.encode(math.mininteger), "-9223372036854775808", "mininteger")
  check.eq(json.encode(1234567890123456), "1234567890123456", "16 digits (cjson writes 1.2345678901235e+15)")
  check.eq(json.encode({ id = 1797297383227174912 }), '{"id":1797297383227174912}', "snowflake id")
end

T["Lua floats -> shortest JSON that reads back the same"] = function()
  check.eq(json.encode(0.1), "0.1", "0.1")
  check.eq(json.encode(2 ^ 53), "9007199254740992", "2^53")
  check.eq(json.encode(-1.5), "-1.5", "-1.5")
  check.eq(json.encode(0.1 + 0.2), "0.30000000000000004", "0.1 + 0.2")
  check.eq(tonumber(json.encode(1 / 3)), 1 / 3, "1/3")
end

T["NaN and infinity -> error"] = function()
  check.raises("NaN or infinite", "NaN", json.encode, 0 / 0)
  check.raises("NaN or infinite", "inf", json.encode, math.huge)
end

T["cyclic table -> error saying cyclic"] = function()
  local t = {}
  t.self = t
  check.raises("cyclic", "self reference", json.encode, t)
  -- and the encoder is fine afterwards
  check.eq(json.encode({ 1 }), "[1]", "after the error")
end

T["function or userdata value -> error naming the path"] = function()
  check.raises(".a[2]", "function", json.encode, { a = { 1, print } })
  check.raises("userdata", "userdata", json.encode, { f = io.stdout })
end

T["json.null -> JSON null"] = function()
  check.eq(json.encode(json.null), "null", "null")
  check.eq(json.encode({ json.null, 1 }), "[null,1]", "in an array")
end

T["json.array() -> empty array, json.array(t) marks t as array"] = function()
  check.eq(json.encode(json.array()), "[]", "json.array()")
  local t = { 1, 2 }
  check.eq(json.array(t), t, "returns its argument")
  check.eq(getmetatable(t), json.array_mt, "metatable set")
  check.eq(json.encode(json.array({})), "[]", "json.array({})")
  check.raises("table expected", "non-table", json.array, "x")
end

T["json.encode without argument -> error"] = function()
  check.raises("bad argument", "no argument", json.encode)
end

T["sparse and mixed tables -> JSON objects"] = function()
  local v = json.decode(json.encode({ [1] = "a", [50] = "b" }))
  check.eq(v["1"], "a", "key 1")
  check.eq(v["50"], "b", "key 50")
  local m = json.decode(json.encode({ 1, x = 2 }))
  check.eq(m["1"], 1, "mixed key 1")
  check.eq(m.x, 2, "mixed key x")
end

T["invalid UTF-8 in a string -> U+FFFD in valid JSON"] = function()
  local s = json.encode("a\xffb")
  check.truthy(utf8.len(s), "valid UTF-8")
  check.eq(json.decode(s), "a\u{FFFD}b", "decoded")
end

T["Lua value -> JSON -> same Lua value and number types"] = function()
  local v = {
    int = 42, neg = -7, big = 9007199254740992, float = 0.5, str = "h\u{e9}llo \"q\"\n",
    yes = true, no = false, null = json.null, list = { 1, 2.5, "x", { y = {} } },
  }
  local back = json.decode(json.encode(v))
  for k, want in pairs(v) do
    if k ~= "list" then check.eq(back[k], want, k) end
  end
  check.eq(back.list[1], 1, "list[1]")
  check.eq(back.list[2], 2.5, "list[2]")
  check.eq(back.list[3], "x", "list[3]")
  check.eq(next(back.list[4].y), nil, "list[4].y empty")
  check.eq(json.encode(back.list), json.encode(v.list), "list re-encoded")
end

return T
