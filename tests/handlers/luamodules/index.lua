-- luamodules: pure-Lua dependencies found in the LuaRocks tree <dir>/lua_modules/share/lua/5.4 (?.lua and ?/init.lua)
local greet = require "greet"
local greeting = require "greeting"

local M = {}

function M.handler(event)
  return { body = { greet = greet.hello(event.name or "world"), greeting = greeting.word } }
end

return M
