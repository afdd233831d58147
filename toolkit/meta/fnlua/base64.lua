---@meta fnlua.base64
-- `require "fnlua.base64"`: RFC 4648 base64.

---@class fnlua.base64
local M = {}

---Standard alphabet, padded.
---@param s string
---@return string
function M.encode(s) end

---Accepts padded or unpadded input, the URL-safe alphabet and white space.
---@param s string
---@return string|nil bytes
---@return string? err "invalid base64 input"
function M.decode(s) end

return M
