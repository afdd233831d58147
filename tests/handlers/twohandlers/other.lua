-- twohandlers: the module chosen by FNLUA_HANDLER=other.handler
local M = {}
function M.handler() return "other.handler" end
return M
