-- cmodule: a handler using a C module (cmod.so) from <dir>/lua_modules/lib/lua/5.4 via package.cpath
local cmod = require "cmod"

local M = {}

function M.handler(event)
  return { body = { sum = cmod.add(event.a or 0, event.b or 0), version = cmod.version() } }
end

return M
