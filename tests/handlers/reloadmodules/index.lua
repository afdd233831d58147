-- reloadmodules: --reload picks up an edited, added or removed module that the handler requires, and reruns the initializer
local greet = require "greet"

local M = { inits = 0 }

function M.initializer(context)
  M.inits = M.inits + 1
  M.initVersion = greet.VERSION
  context:getLogger():info("reloadmodules initializer ran with %s", greet.VERSION)
end

function M.handler(event, context)
  return {
    body = {
      message = greet.hello(event.name or "world"),
      version = greet.VERSION,
      extra = "none", -- EXTRA
      inits = M.inits,
      initVersion = M.initVersion or "(initializer did not run)",
    },
  }
end

return M
