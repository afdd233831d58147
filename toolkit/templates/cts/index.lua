-- {{name}}: an event function receiving CTS audit traces.
local M = {}

-- event: the CTS event (see event.json): one trace of an operation on the cloud.
---@param event fnlua.event.CTS
---@param context fnlua.Context
function M.handler(event, context)
  local cts = event.cts
  context:getLogger():info("%s by %s on %s: %s", cts.trace_name, cts.user.name, cts.resource_name, cts.trace_status)
  return { service = cts.service_type, operation = cts.trace_name, user = cts.user.name, status = cts.trace_status }
end

return M
