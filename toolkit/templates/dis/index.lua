-- {{name}}: an event function reading a DIS stream.
local base64 = require "fnlua.base64"

local M = {}

-- event: the DIS event (see event.json): the records' data is base64.
---@param event fnlua.event.DIS
---@param context fnlua.Context
function M.handler(event, context)
  local log = context:getLogger()
  local data = {}
  for i, record in ipairs(event.Message and event.Message.records or {}) do
    data[i] = base64.decode(record.data)
    log:info("%s #%s: %s", event.StreamName, record.sequence_number, data[i])
  end
  return { stream = event.StreamName, data = data }
end

return M
