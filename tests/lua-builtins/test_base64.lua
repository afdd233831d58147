-- Tests of require "fnlua.base64": RFC 4648 base64 for binary bodies and APIG events.
local check = require "check"
local base64 = require "fnlua.base64"

local T = {}

local VECTORS = {
  { "", "" }, { "f", "Zg==" }, { "fo", "Zm8=" }, { "foo", "Zm9v" },
  { "foob", "Zm9vYg==" }, { "fooba", "Zm9vYmE=" }, { "foobar", "Zm9vYmFy" },
}

T["bytes -> base64 (RFC 4648 vectors)"] = function()
  for _, v in ipairs(VECTORS) do
    check.eq(base64.encode(v[1]), v[2], "encode " .. v[1])
  end
end

T["base64 -> bytes (RFC 4648 vectors)"] = function()
  for _, v in ipairs(VECTORS) do
    check.eq(base64.decode(v[2]), v[1], "decode " .. v[2])
  end
end

T["every byte value -> base64 -> the same bytes"] = function()
  local t = {}
  for i = 0, 255 do t[#t + 1] = string.char(i) end
  local all = table.concat(t)
  local enc = base64.encode(all)
  check.eq(#enc, 344, "length")
  check.eq(base64.decode(enc), all, "round trip")
end

T["base64 with whitespace or without padding -> decoded"] = function()
  check.eq(base64.decode("Zm9v\nYmFy"), "foobar", "line break")
  check.eq(base64.decode("Zm8"), "fo", "unpadded")
end

T["invalid base64 -> nil and a message"] = function()
  local v, err = base64.decode("Zm9v!")
  check.eq(v, nil, "value")
  check.eq(err, "invalid base64 input", "message")
  check.eq(select("#", base64.decode("Zg==Zg")), 2, "two results")
  check.eq((base64.decode("Z")), nil, "single character")
end

T["non-string argument -> error"] = function()
  check.raises("bad argument", "encode(nil)", base64.encode, nil)
  check.raises("bad argument", "decode({})", base64.decode, {})
end

return T
