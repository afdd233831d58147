-- twohandlers: index.handler and other.handler let tests see which handler the configuration chose
local M = {}
function M.handler() return "index.handler" end
function M.second() return "index.second" end
return M
