-- timer: a timer-triggered function; the user_event string configured on the trigger may itself be JSON.
local json = require "fnlua.json"

local M = {}

function M.handler(event, context)
  local log = context:getLogger()
  local payload = event.user_event
  -- user_event is whatever text was typed into the trigger: JSON when it parses, else plain text
  if type(payload) == "string" then
    local ok, decoded = pcall(json.decode, payload)
    if ok then
      payload = decoded
    end
  end
  local message = type(payload) == "table" and payload.message or payload
  log:info("timer %s fired at %s: %s", tostring(event.trigger_name), tostring(event.time), tostring(message))
  return {
    trigger = event.trigger_name,
    firedAt = event.time,
    message = message,
  }
end

return M
