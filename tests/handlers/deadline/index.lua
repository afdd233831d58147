-- deadline: handlers that try to outlive their deadline (xpcall loops, error handlers that loop, loops in coroutines) → TimeoutError, worker reusable
local M = {}

-- busy-waits `ms` milliseconds of wall-clock time (os.clock counts every thread's CPU time)
local function busy(context, ms)
  local stop = context:getRemainingTimeInMilliSeconds() - ms
  while context:getRemainingTimeInMilliSeconds() > stop do end
end

function M.handler(event, context)
  local case = event.case
  if case == "xpcall_loop" then
    while true do -- LOOP:xpcall
      xpcall(function() while true do end end, function(m) return m end)
    end
  elseif case == "handler_loops" then
    -- the message handler of xpcall itself loops forever
    xpcall(function() error("first") end, function() while true do end end) -- LOOP:msgh
  elseif case == "catch_and_retry" then
    -- catches the timeout error, then keeps running Lua code
    local caught = 0
    while true do
      local ok = pcall(function() while true do end end)
      if not ok then caught = caught + 1 end
    end
  elseif case == "coroutine_loop" then
    local co = coroutine.wrap(function() while true do end end)
    co()
  elseif case == "busy" then
    busy(context, event.ms or 1000)
    return { body = { done = true, remainingMs = context:getRemainingTimeInMilliSeconds() } }
  end
  return { body = { ok = true, remainingMs = context:getRemainingTimeInMilliSeconds() } }
end

return M
