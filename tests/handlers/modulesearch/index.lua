-- modulesearch: require finds modules only in the code directory, its lua_modules tree and fnlua's library, and says exactly where it looked
local M = {}

function M.handler(event)
  local ok, mod = pcall(require, event.module)
  return {
    found = ok,
    value = ok and tostring(mod) or nil,
    err = not ok and tostring(mod) or nil,
    path = package.path,
    cpath = package.cpath,
  }
end

return M
