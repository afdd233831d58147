-- obs-event: an OBS-triggered function reading bucket, object key and size from each S3-style record.
local M = {}

-- object keys arrive URL-encoded in S3-style notifications ("my+file%281%29.png")
local function unescape_key(k)
  return (k:gsub("%+", " "):gsub("%%(%x%x)", function(h) return string.char(tonumber(h, 16)) end))
end

function M.handler(event, context)
  local log = context:getLogger()
  local objects = {}
  for _, rec in ipairs(type(event.Records) == "table" and event.Records or {}) do
    local s3 = rec.s3 or {}
    local bucket = s3.bucket and s3.bucket.name
    local obj = s3.object or {}
    local key = unescape_key(tostring(obj.key or ""))
    log:info("%s: bucket=%s key=%s size=%s", tostring(rec.eventName), tostring(bucket), key, tostring(obj.size))
    objects[#objects + 1] = { event = rec.eventName, bucket = bucket, key = key, size = obj.size }
  end
  return { objects = objects }
end

return M
