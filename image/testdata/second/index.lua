-- second: image/test's other code directory (baked in at /app2): loads a C
-- module from lua_modules and reports what the container lets it do.
local M = {}

local function writable(path)
  local f = io.open(path, "w")
  if not f then return false end
  f:write("x")
  f:close()
  os.remove(path)
  return true
end

function M.handler(event, context)
  local cmod = require("cmod")
  return {
    handler = "second",
    sum = cmod.add(event.a or 0, event.b or 0),
    tmp_writable = writable(os.tmpname()),
    code_writable = writable("/app2/probe.txt"),
    func = context:getFunctionName(),
    memory = context:getMemorySize(),
  }
end

return M
