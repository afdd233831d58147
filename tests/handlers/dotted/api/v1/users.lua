-- dotted: --handler api.v1.users.handler loads api/v1/users.lua (dots in the module name are folders)
local helper = require "api.v1.helper" -- the code directory is on package.path

local M = {}

function M.handler(event)
  return { body = { module = "api/v1/users.lua", helper = helper.name() } }
end

return M
