-- limits: an endless loop runs past its deadline, a heap grows past the memory budget; both fail alone, worker reusable
local M = {}

function M.handler(event)
  if event.case == "loop" then
    while true do end
  elseif event.case == "pcall_loop" then
    while true do pcall(function() while true do end end) end -- a handler's own pcall must not swallow the timeout
  elseif event.case == "grow" then
    local t = {}
    for i = 1, (event.capMB or 400) * 1024 do t[i] = string.rep("x", 1000) .. i end
    return { body = { grown = #t } }
  end
  return "ok"
end

return M
