-- codeswap: answers its code version and an id of the Lua state, so a test tells old code from new and one worker from another
local VERSION = "swap-v1"

-- different in every Lua state: a random number (each state has its own seed) and a fresh table's address
local STATE = string.format("%d-%s", math.random(1, 1 << 40), tostring({}):match("0x%x+") or tostring({}))

local M = {}

function M.handler(event)
  local busy = tonumber(event.busyMs) or 0
  if busy > 0 then
    local stop = os.clock() + busy / 1000
    while os.clock() < stop do end -- keep this state busy so concurrent requests go to the other workers
  end
  return { body = { version = VERSION, state = STATE } }
end

return M
