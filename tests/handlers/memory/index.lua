-- memory: one invocation allocating without bound (into a local, or into a global it keeps) fails alone with MemoryLimitError; next invocation works
local M = {}

local STATE = tostring({}) -- tells Lua states apart: a fresh state gets a new value

local function busy(context, ms)
  local stop = context:getRemainingTimeInMilliSeconds() - ms
  while context:getRemainingTimeInMilliSeconds() > stop do end
end

local function fill(t, mb)
  for i = #t + 1, #t + mb * 1024 do t[i] = string.rep("m", 1000) .. i end
  return t
end

function M.handler(event, context)
  local case = event.case
  if case == "grow" then
    local t = {}
    while true do t[#t + 1] = string.rep("x", 1000) .. #t end -- GROW:local
  elseif case == "hoard" then
    hoard = {} -- a global: still reachable after the failure
    while true do hoard[#hoard + 1] = string.rep("h", 1000) .. #hoard end -- GROW:global
  elseif case == "steady" then
    -- a normal invocation that needs a modest heap of its own while the other worker fails
    local t = fill({}, event.firstMB or 16)
    busy(context, event.ms or 1500)
    fill(t, event.thenMB or 8)
    return { body = { state = STATE, items = #t } }
  end
  return { body = { state = STATE, hoard = hoard ~= nil, items = hoard and #hoard or 0 } }
end

return M
