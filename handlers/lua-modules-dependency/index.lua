-- lua-modules-dependency: using a pure-Lua dependency installed in the code directory's LuaRocks tree (lua_modules/).
local slugify = require "slugify" -- lua_modules/share/lua/5.4/slugify.lua

local M = {}

function M.handler(event, context)
  local title = event.title or "Untitled"
  local slug = slugify.slugify(title)
  context:getLogger():info("slugify %s %q -> %q", slugify._VERSION, title, slug)
  return { title = title, slug = slug }
end

return M
