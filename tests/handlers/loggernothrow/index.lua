-- loggernothrow: a log call or print with a bad format or odd values logs the raw arguments and never fails the invocation
local M = {}

local raising = setmetatable({}, { __tostring = function() error("tostring exploded") end })
local notext = setmetatable({}, { __tostring = function() return {} end })

function M.handler(event, context)
  local log = context:getLogger()
  log:info("count=%d", "not-a-number")     -- LOG:badint
  log:warn("%s and %s", "only-one")        -- LOG:missing
  log:error("%q", {})                      -- LOG:badq
  log:info(raising)                        -- LOG:raising
  log:info("value %s", raising)            -- LOG:raisingarg
  log:info(notext)                         -- LOG:notext
  log.info("called with a dot")            -- LOG:dot
  log:info()                               -- LOG:empty
  print("printed", raising, nil, 1.5, notext) -- LOG:print
  log:info("ok %d", 42)                    -- LOG:ok
  return "survived"
end

return M
