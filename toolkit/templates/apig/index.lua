-- {{name}}: an event function behind an API Gateway (APIG) trigger.
local apig = require "fnlua.apig"

local M = {}

-- Runs once per Lua state, before its first invocation.
---@param context fnlua.Context
function M.initializer(context)
  M.greeting = context:getUserData("GREETING") or "Hello"
end

-- event: the APIG event (see event.json); context: the invocation's metadata and logger.
---@param event fnlua.event.APIG
---@param context fnlua.Context
function M.handler(event, context)
  local req = apig.request(event)
  local data = {}
  if req:body() ~= "" then
    local err
    data, err = req:json()
    if not data then
      return apig.error(400, err)
    end
  end
  local name = data.name or req:query("name") or "world"
  context:getLogger():info("%s %s for %s", req.method, req.path, name)
  return apig.json(200, { message = string.format("%s, %s!", M.greeting, name) })
end

return M
