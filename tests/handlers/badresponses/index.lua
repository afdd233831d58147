-- badresponses: a status or header that would corrupt the HTTP answer (1xx, CR/LF, control bytes, non-token names) is a ResultError naming it
local M = {}

local cases = {
  interim = { statusCode = 101, body = "switching?" },
  early = { statusCode = 103, headers = { Link = "</a.css>; rel=preload" }, body = "" },
  status199 = { statusCode = 199, body = "" },
  crlf = { headers = { ["X-Split"] = "a\r\nSet-Cookie: evil=1" }, body = "x" },
  bell = { headers = { ["X-Bell"] = "ding\7" }, body = "x" },
  del = { headers = { ["X-Del"] = "a\127" }, body = "x" },
  badname = { headers = { ["X Name"] = "v" }, body = "x" },
  colonname = { headers = { ["X-A:B"] = "v" }, body = "x" },
  tab = { headers = { ["X-Tab"] = "a\tb" }, body = "tab ok" },
  ok = { statusCode = 200, body = "fine" },
}

function M.handler(event)
  local name = (event.queryStringParameters or {}).case or event.case
  return cases[name]
end

return M
