---@meta fnlua.json
-- `require "fnlua.json"`: the exact JSON codec (integers stay integers,
-- floats are written with the fewest digits that read back the same).

---@class fnlua.json
---@field null lightuserdata the value JSON null decodes to and encodes from (the same as cjson.null)
---@field array_mt table the metatable json.array sets
local M = {}

---JSON text of `value`.  Raises on functions, userdata, cycles, NaN/inf,
---naming where (`.items[3]`).
---@param value any
---@return string
function M.encode(value) end

---The value of JSON text `s`; raises `invalid JSON at line L, column C: ...`.
---@param s string
---@return any
function M.decode(s) end

---Marks `t` (a new table when omitted) as an array and returns it, so that
---`{}` encodes as `[]`.
---@generic T: table
---@param t? T
---@return T
function M.array(t) end

return M
