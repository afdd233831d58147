-- env-config: configuration from environment variables, read once in the initializer via context:getUserData, with defaults.
local M = {}

-- name -> default; on FunctionGraph these are the function's environment variables
local DEFAULTS = {
  APP_GREETING = "Hello",
  APP_MAX_ITEMS = "10",
  APP_DEBUG = "false",
}

local function setting(context, name)
  local v = context:getUserData(name)
  if v == nil or v == "" then
    return DEFAULTS[name], "default"
  end
  return v, "environment"
end

function M.initializer(context)
  local log = context:getLogger()
  local config, source = {}, {}
  config.greeting, source.greeting = setting(context, "APP_GREETING")
  local max, max_src = setting(context, "APP_MAX_ITEMS")
  config.maxItems = math.tointeger(tonumber(max))
  if not config.maxItems or config.maxItems < 1 then
    -- a bad value is a configuration error: fail the init so it is seen at once
    error("APP_MAX_ITEMS must be a positive integer, got " .. string.format("%q", max), 0)
  end
  source.maxItems = max_src
  local debug_flag
  debug_flag, source.debug = setting(context, "APP_DEBUG")
  config.debug = debug_flag == "true" or debug_flag == "1"
  M.config, M.source = config, source
  log:info("config: greeting=%q (%s) maxItems=%d (%s) debug=%s (%s)", config.greeting, source.greeting,
    config.maxItems, source.maxItems, tostring(config.debug), source.debug)
end

function M.handler(event, context)
  local items = {}
  for i = 1, math.min(tonumber(event.count) or 3, M.config.maxItems) do
    items[i] = string.format("%s #%d", M.config.greeting, i)
  end
  return { config = M.config, source = M.source, items = items }
end

return M
