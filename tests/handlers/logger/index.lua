-- logger: context:getLogger() and print write "<time>Z <request-id> LEVEL index.lua:<line> message" lines to stdout
local M = {}

function M.handler(event, context)
  local log = context:getLogger()
  local tag = event.tag or "untagged"
  log:debug("debug line %s", tag) -- LOG:debug
  log:info("info line %s %d", tag, 42) -- LOG:info
  log:warn("warn line %s", tag) -- LOG:warn
  log:error("error line %s", tag) -- LOG:error
  print("print line " .. tag) -- LOG:print
  if event.long then
    log:info("%s", string.rep("y", event.long)) -- LOG:long (split into several lines, never truncated)
  end
  return "logged " .. tag
end

return M
