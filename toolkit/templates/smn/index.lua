-- {{name}}: an event function subscribed to an SMN topic.
local json = require "fnlua.json"

local M = {}

-- event: the SMN event (see event.json): one record per notification.
---@param event fnlua.event.SMN
---@param context fnlua.Context
function M.handler(event, context)
  local log = context:getLogger()
  local subjects = json.array()
  for _, record in ipairs(event.record or {}) do
    local smn = record.smn
    log:info("SMN message %s on %s: %s", smn.message_id, smn.topic_urn, smn.subject)
    subjects[#subjects + 1] = smn.subject
  end
  return { processed = #subjects, subjects = subjects }
end

return M
