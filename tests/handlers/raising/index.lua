-- raising: a handler that raises (a string, a table, from a nested call) → 500 HandlerError naming index.lua:line
local M = {}

local function deeper()
  error("deep boom") -- RAISE:nested
end

function M.handler(event)
  if event.case == "string" then
    error("boom") -- RAISE:string
  elseif event.case == "table" then
    error({ code = 1 }) -- RAISE:table
  elseif event.case == "nested" then
    deeper() -- CALL:nested
  elseif event.case == "nil" then
    error(nil) -- RAISE:nil
  elseif event.case == "number" then
    error(42) -- RAISE:number
  elseif event.case == "yield" then
    coroutine.yield("out of nowhere") -- RAISE:yield
  elseif event.case == "runtime" then
    local t = nil
    return t.field -- RAISE:runtime
  end
  return "no error"
end

return M
