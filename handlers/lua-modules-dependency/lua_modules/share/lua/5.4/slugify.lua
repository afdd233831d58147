-- slugify 1.0 - turn a title into a URL slug ("Hello, World!" -> "hello-world").
-- A stand-in for any pure-Lua rock: `luarocks --tree lua_modules install <rock>`
-- puts modules in lua_modules/share/lua/5.4/, where fnlua's package.path looks.
local M = { _VERSION = "1.0" }

function M.slugify(text, sep)
  local words = {}
  for w in tostring(text):lower():gmatch("%w+") do
    words[#words + 1] = w
  end
  return table.concat(words, sep or "-")
end

return M
