-- stuckcode: code that tries to outlive its deadline outside the handler's own frames (an error's __tostring, a <close> handler) or to mislabel its failure
local M = {}

local function spin() while true do end end

function M.handler(event)
  if event.kind == "tostring" then
    error(setmetatable({}, { __tostring = spin })) -- turned into text by the runtime
  elseif event.kind == "close" then
    local guard <close> = setmetatable({}, { __close = spin }) -- luacheck: ignore guard
    spin()
  elseif event.kind == "caughtmemory" then
    pcall(function()
      local t = {}
      for i = 1, 1e9 do t[i] = string.rep("x", 1000) .. i end
    end)
    error("a different error, after the memory error was caught")
  elseif event.kind == "toolarge" then
    return string.rep("x", 7 * 1024 * 1024)
  end
  return { body = { ok = true } }
end

return M
