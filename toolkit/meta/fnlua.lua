---@meta fnlua
-- LuaLS definitions for fnlua (editor support only: never loaded at run
-- time).  `require "fnlua"`: the runtime's own functions.

---@class fnlua
---@field version string fnlua's version, e.g. "0.1.0"
local M = {}

---Waits `seconds` (a fraction is fine, >= 0) without holding the Lua state
---or the thread.  A sleep that would end past the invocation's deadline ends
---the invocation there with TimeoutError.
---@param seconds number
function M.sleep(seconds) end

return M
