-- reload: the code a test edits in a private copy; --reload or SIGHUP picks the edit up (version 1)
local M = {}

function M.handler(event)
  return "version 1"
end

return M
