-- luamodules: a pure-Lua dependency as `luarocks --tree lua_modules install` would place it (?.lua)
local M = {}
function M.hello(name) return "hello, " .. name end
return M
