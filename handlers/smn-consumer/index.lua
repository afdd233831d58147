-- smn-consumer: an SMN-triggered function that logs each notification record (topic, subject, message).
local M = {}

function M.handler(event, context)
  local log = context:getLogger()
  local records = type(event.record) == "table" and event.record or {}
  local ids = {}
  for i, rec in ipairs(records) do
    local smn = rec.smn or {}
    log:info("smn record %d: topic=%s id=%s subject=%q message=%q", i, tostring(smn.topic_urn),
      tostring(smn.message_id), tostring(smn.subject), tostring(smn.message))
    ids[#ids + 1] = smn.message_id
  end
  return { processed = #records, messageIds = ids }
end

return M
