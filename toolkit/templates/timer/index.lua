-- {{name}}: an event function run by a timer trigger.
local json = require "fnlua.json"

local M = {}

-- event: the timer event (see event.json); user_event is the text configured
-- on the trigger, which may itself be JSON.
---@param event fnlua.event.Timer
---@param context fnlua.Context
function M.handler(event, context)
  local payload = event.user_event
  local ok, decoded = pcall(json.decode, payload)
  local message = ok and type(decoded) == "table" and decoded.message or payload
  context:getLogger():info("timer %s fired at %s: %s", event.trigger_name, event.time, tostring(message))
  return { trigger = event.trigger_name, message = message }
end

return M
