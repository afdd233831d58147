---@meta fnlua.url
-- `require "fnlua.url"`: percent-encoding of URL parts (RFC 3986).

---@class fnlua.url
local M = {}

---Every byte but the unreserved `A-Z a-z 0-9 - _ . ~` as `%XX` (upper-case
---hex): for one path segment, query key or value.
---@param s string
---@return string
function M.escape(s) end

---Each `%XX` back to its byte; `+` stays `+`.
---@param s string
---@return string
function M.unescape(s) end

return M
