-- initraises: an initializer that raises → InitializerError at /init and every /invoke, /healthz 503
local M = {}

function M.initializer(context)
  error("initializer refused to start") -- RAISE:init
end

function M.handler(event)
  return "handler must not run"
end

return M
