-- stuckcode: code that tries to outlive its deadline outside the handler's own frames (an error's __tostring, a <close> handler),
-- code no hook reaches (a __gc metamethod: Lua runs finalizers with hooks off, like C code), or a failure that tries to mislabel itself
local fnlua = require "fnlua"

local M = {}

local function spin() while true do end end

-- a finalizer that runs for `seconds` (forever when nil), run by a full collection right now
local function stuck_in_gc(seconds)
  setmetatable({}, { __gc = function()
    local t0 = os.clock()
    while not seconds or os.clock() - t0 < seconds do end
  end })
  collectgarbage()
end

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
  elseif event.kind == "gc" then
    stuck_in_gc(event.seconds) -- still on the HTTP thread that received it
  elseif event.kind == "gcafterwait" then
    fnlua.sleep(0.05) -- goes on on the state's loop thread
    stuck_in_gc(event.seconds)
  elseif event.kind == "sleep" then
    fnlua.sleep(event.seconds)
    return { body = { slept = event.seconds } }
  elseif event.kind == "toolarge" then
    return string.rep("x", 7 * 1024 * 1024)
  end
  return { body = { ok = true } }
end

return M
