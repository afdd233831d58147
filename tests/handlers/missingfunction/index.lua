-- missingfunction: the module loads but has no `handler` function → HandlerLoadError naming the function
local M = {}

function M.something_else()
  return "not the handler"
end

return M
