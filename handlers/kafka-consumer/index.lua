-- kafka-consumer: a Kafka-triggered function (DMS for Kafka or open-source Kafka) that handles each message of each record.
local M = {}

function M.handler(event, context)
  local log = context:getLogger()
  local total, topics = 0, {}
  for _, rec in ipairs(type(event.records) == "table" and event.records or {}) do
    local topic = tostring(rec.topic_id)
    for i, msg in ipairs(type(rec.messages) == "table" and rec.messages or {}) do
      log:info("kafka %s message %d: %s", topic, i, tostring(msg))
      total = total + 1
      topics[topic] = (topics[topic] or 0) + 1
    end
  end
  return { instance = event.instance_id, messages = total, perTopic = topics }
end

return M
