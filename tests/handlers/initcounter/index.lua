-- initcounter: the initializer runs once per Lua state, before the first handler call, however often /init comes
local M = { count = 0, setupRan = false }

function M.initializer(context)
  M.count = M.count + 1
  context:getLogger():info("initializer ran count=%d", M.count)
end

-- used with --initializer index.setup
function M.setup(context)
  M.setupRan = true
end

function M.handler(event, context)
  return { body = { count = M.count, setupRan = M.setupRan } }
end

return M
