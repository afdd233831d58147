-- {{name}}: an event function consuming a Kafka (DMS for Kafka) topic.
local M = {}

-- event: the Kafka event (see event.json): records of messages, per topic.
---@param event fnlua.event.Kafka
---@param context fnlua.Context
function M.handler(event, context)
  local log = context:getLogger()
  local count = 0
  for _, record in ipairs(event.records or {}) do
    for _, message in ipairs(record.messages or {}) do
      count = count + 1
      log:info("topic %s: %s", record.topic_id, message)
    end
  end
  return { instance = event.instance_id, messages = count }
end

return M
