-- fuzz fixture: echoes the event through every return shape of docs/handler-api.md, "Returning a result".
local M = {}

local shapes = {
  function(e) return e end,
  function(e) return { statusCode = 200, body = e } end,
  function(e) return { statusCode = 201, headers = { ["X-Echo"] = type(e) }, body = e.body or "" } end,
  function(e) return { body = e.body, isBase64Encoded = e.isBase64Encoded } end,
  function(e) return tostring(e.body or e[1] or "") end,
  function(e) return e.n end,
  function() return nil end,
}

local i = 0
function M.handler(event, context)
  i = i + 1
  local _ = context:getRequestID(), context:getFunctionName(), context:getAlias(), context.headers
  return shapes[i % #shapes + 1](type(event) == "table" and event or { event })
end

return M
