-- {{name}}: an event function subscribed to an LTS log stream.
local base64 = require "fnlua.base64"
local json = require "fnlua.json"

local M = {}

-- event: the LTS event (see event.json): lts.data is base64 of a JSON object
-- whose "logs" field is itself a JSON array, as text.
---@param event fnlua.event.LTS
---@param context fnlua.Context
function M.handler(event, context)
  local payload = json.decode(base64.decode(event.lts.data))
  local logs = json.decode(payload.logs)
  context:getLogger():info("%d log lines from group %s", #logs, payload.log_group_id)
  local messages = {}
  for i, line in ipairs(logs) do
    messages[i] = line.message
  end
  return { group = payload.log_group_id, topic = payload.log_topic_id, messages = messages }
end

return M
