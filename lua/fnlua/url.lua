-- fnlua.url - percent-encoding of URL parts (RFC 3986), shared by the router
-- (decoding path segments) and hwcloud (encoding what it signs).
--
--   url.escape(s)    every byte but the unreserved A-Z a-z 0-9 - _ . ~ as %XX
--                    (upper-case hex): a path segment, query key or value
--   url.unescape(s)  each %XX back to its byte; "+" stays "+", a "%" not
--                    followed by two hex digits stays as it is
local M = {}

function M.escape(s)
  return (s:gsub("[^A-Za-z0-9_.~%-]", function(c)
    return string.format("%%%02X", c:byte())
  end))
end

function M.unescape(s)
  return (s:gsub("%%(%x%x)", function(h)
    return string.char(tonumber(h, 16))
  end))
end

return M
