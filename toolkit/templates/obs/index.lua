-- {{name}}: an event function run when objects change in an OBS bucket.
local M = {}

-- event: the OBS event (see event.json): one record per object.
---@param event fnlua.event.OBS
---@param context fnlua.Context
function M.handler(event, context)
  local log = context:getLogger()
  local objects = {}
  for i, record in ipairs(event.Records or {}) do
    local bucket, object = record.s3.bucket.name, record.s3.object
    log:info("%s: %s/%s (%d bytes)", record.eventName, bucket, object.key, object.size)
    objects[i] = { bucket = bucket, key = object.key, size = object.size }
  end
  return { objects = objects }
end

return M
