-- bigresults: results, error values and headers too large to answer, and C loops over empty strings, each refused or finished without growing the server's memory
local M = {}

function M.handler(event)
  if event.httpMethod then -- HTTP mode: the request, its body the JSON
    event = require("fnlua.json").decode(event.body)
  end
  if event.kind == "controlbytes" then
    return string.rep("\1", event.mb * 1024 * 1024) -- each byte would become \u0001 in JSON
  elseif event.kind == "bigtable" then
    local t = {}
    for i = 1, event.n do t[i] = "\1\1\1\1\1\1\1\1" end
    return { body = t }
  elseif event.kind == "hugeerror" then
    error(string.rep("e", event.mb * 1024 * 1024), 0)
  elseif event.kind == "bigheaders" then
    return { statusCode = 200, headers = { ["X-Big"] = string.rep("h", 31 * 1024) }, body = "x" }
  elseif event.kind == "emptyrep" then
    return { body = { len = #string.rep("", 3e9), sep = #string.rep("", 3e9, ""), one = string.rep("ab", 3, "-") } }
  end
  return { body = { ok = true } }
end

return M
