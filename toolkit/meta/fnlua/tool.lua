---@meta fnlua.tool
-- Internal to the scripts of `fnlua new` and `fnlua test`: file system calls
-- and where fnlua's parts are.

---@class fnlua.tool
---@field libdir string fnlua's Lua library
---@field toolkit string the toolkit folder
---@field version string fnlua's version
local M = {}

---@param path string
---@return "file"|"directory"|"other"|nil kind
---@return string? err
function M.stat(path) end

---The names in a folder, sorted, without "." and "..".
---@param path string
---@return string[]|nil names
---@return string? err
function M.dir(path) end

---Creates a folder (an existing one is fine).
---@param path string
---@return true|nil ok
---@return string? err
function M.mkdir(path) end

---@param path string
---@return string|nil absolute
---@return string? err
function M.realpath(path) end

return M
