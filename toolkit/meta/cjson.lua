---@meta cjson
-- `require "cjson"`: lua-cjson, linked into fnlua (the subset most used).
-- Prefer fnlua.json for exact numbers.

---@class cjson
---@field null lightuserdata JSON null
local M = {}

---@param value any
---@return string
function M.encode(value) end

---@param s string
---@return any
function M.decode(s) end

return M
