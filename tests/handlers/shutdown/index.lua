-- shutdown: the shutdown hook runs once per Lua state when the instance stops, after in-flight invocations finish
local M = {}

function M.shutdown()
  print("shutdown hook ran")
end

function M.handler(event)
  if event.slowSeconds then
    local stop = os.time() + event.slowSeconds
    while os.time() < stop do end -- still running when SIGTERM arrives
    return "slow done"
  end
  return "ok"
end

return M
