-- Tests of require "fnlua.crypto": SHA-256 and HMAC-SHA256 (mbed TLS), hex, secure random bytes.
local check = require "check"
local crypto = require "fnlua.crypto"

local T = {}

T["empty string -> SHA-256 e3b0c442...b855"] = function()
  local d = crypto.sha256("")
  check.eq(#d, 32, "raw digest length")
  check.eq(crypto.hex(d), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855", "sha256('')")
end

T["'abc' and binary input with NUL bytes -> SHA-256 (FIPS 180-2 vector)"] = function()
  check.eq(crypto.hex(crypto.sha256("abc")),
    "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad", "sha256('abc')")
  check.eq(crypto.hex(crypto.sha256("a\0b")) ~= crypto.hex(crypto.sha256("a")), true, "bytes after NUL are hashed")
end

T["key 'Jefe' -> HMAC-SHA256 (RFC 4231 test case 2)"] = function()
  local mac = crypto.hmac_sha256("Jefe", "what do ya want for nothing?")
  check.eq(#mac, 32, "raw MAC length")
  check.eq(crypto.hex(mac), "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843", "RFC 4231 case 2")
end

T["key longer than the block (131 bytes) -> HMAC-SHA256 (RFC 4231 test case 6)"] = function()
  local mac = crypto.hmac_sha256(string.rep("\170", 131), "Test Using Larger Than Block-Size Key - Hash Key First")
  check.eq(crypto.hex(mac), "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54", "RFC 4231 case 6")
end

T["bytes -> lower-case hex, two digits a byte"] = function()
  for _, v in ipairs({ { "", "" }, { "\0\1\15\16\171\255", "00010f10abff" }, { "AZ", "415a" } }) do
    check.eq(crypto.hex(v[1]), v[2], "hex of " .. string.format("%q", v[1]))
  end
end

T["random(n) -> n bytes, different every call"] = function()
  check.eq(crypto.random(0), "", "zero bytes")
  for _, n in ipairs({ 1, 16, 257, 65536 }) do
    check.eq(#crypto.random(n), n, "length of random(" .. n .. ")")
  end
  check.eq(#crypto.random(1024 * 1024), 1024 * 1024, "the largest allowed")
  local seen = {}
  for i = 1, 100 do
    local r = crypto.random(16)
    check.eq(seen[r], nil, "call " .. i .. " repeated an earlier value")
    seen[r] = true
  end
  -- 64 KiB of real randomness uses every byte value
  local counts, data = {}, crypto.random(65536)
  for i = 1, #data do counts[data:byte(i)] = true end
  for b = 0, 255 do check.truthy(counts[b], "byte " .. b .. " appears") end
end

T["bad arguments -> clear errors"] = function()
  check.raises("between 0 and 1048576", "random(-1)", crypto.random, -1)
  check.raises("between 0 and 1048576", "random(1 MiB + 1)", crypto.random, 1024 * 1024 + 1)
  check.raises("number has no integer representation", "random(1.5)", crypto.random, 1.5)
  check.raises("bad argument #1 to 'fnlua.crypto.sha256'", "sha256(nil)", crypto.sha256, nil)
  check.raises("bad argument #2 to 'fnlua.crypto.hmac_sha256'", "hmac_sha256(key)", crypto.hmac_sha256, "k")
  check.raises("bad argument #1 to 'fnlua.crypto.hex'", "hex({})", crypto.hex, {})
end

return T
