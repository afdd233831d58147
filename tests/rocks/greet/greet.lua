-- greet: a pure-Lua module installed as a rock.
local M = {}

function M.hello(name)
  return "Hello, " .. tostring(name) .. "!"
end

return M
