-- zver: answers with the version of zlib, which its C module zmod links
local M = {}
function M.handler() return { zlib = require("zmod").version() } end
return M
