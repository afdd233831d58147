-- syntaxerror: a module that does not compile → HandlerLoadError naming index.lua:line at /init and /invoke, /healthz 503
local M = {}

function M.handler(event)
  return = "broken" -- SYNTAX:error
end

return M
