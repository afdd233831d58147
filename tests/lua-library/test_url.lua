-- test_url: fnlua.url percent-encoding URL parts (RFC 3986).
local url = require "fnlua.url"
local check = require "check"
local eq = check.eq

-- { raw, escaped } for escape, { escaped, raw } for unescape
local ESCAPE = {
  { "AZaz09-_.~", "AZaz09-_.~" }, { "", "" },
  { "a b/c?d=e&f+g%h:i", "a%20b%2Fc%3Fd%3De%26f%2Bg%25h%3Ai" },
  { "é\0\255", "%C3%A9%00%FF" },
}
local UNESCAPE = {
  { "a%20b%2fc%2F", "a b/c/" }, { "a+b", "a+b" }, { "100%", "100%" }, { "%zz%4", "%zz%4" },
}

return {
  { "unreserved bytes kept, every other byte → %XX upper-case", function()
    for _, v in ipairs(ESCAPE) do
      eq(url.escape(v[1]), v[2], "escape " .. v[1])
    end
  end },

  { "%XX → byte (either case); + and lone % kept", function()
    for _, v in ipairs(UNESCAPE) do
      eq(url.unescape(v[1]), v[2], "unescape " .. v[1])
    end
  end },

  { "every byte value → escape → unescape → the same bytes", function()
    local t = {}
    for i = 0, 255 do t[#t + 1] = string.char(i) end
    local all = table.concat(t)
    eq(url.unescape(url.escape(all)), all, "round trip")
  end },
}
