-- modules: reports whether the outbound-call modules load in the image
-- (image/test runs it with FNLUA_HANDLER=modules.handler at /app2).
local M = {}

function M.handler()
  local loaded = {}
  for _, name in ipairs({ "fnlua.http", "fnlua.crypto" }) do
    local ok, err = pcall(require, name)
    loaded[name] = ok and "ok" or tostring(err):match("^[^\n]*")
  end
  return loaded
end

return M
