---@meta fnlua.testing.core
-- Internal to `fnlua test`: the C half of fnlua.testing.  Use fnlua.testing.

---@class fnlua.testing.core
local M = {}

---One event through a fresh runtime: status, body, errorType (nil on
---success); nil and a message when the options are refused.
---@param opts table dir, handler, mode, event, headers and query ({name, value} pairs),
---  timeout, memory, method, path
---@return integer|nil status
---@return string body
---@return string? errorType
function M.invoke(opts) end

---@param name string
---@param value string|nil nil unsets it
function M.setenv(name, value) end

return M
