-- httpfunctions: one fnlua.apig handler for HTTP functions and APIG events alike: echo, byte-exact binary up/download, Set-Cookie arrays, body sizes
local apig = require "fnlua.apig"

local M = {}

-- order-sensitive checksum of a byte string (the test computes the same)
local function checksum(s)
  local a, b = 1, 0
  for i = 1, #s do
    a = (a + s:byte(i)) % 65521
    b = (b + a) % 65521
  end
  return b * 65536 + a
end

function M.handler(event, context)
  local req = apig.request(event)
  local body, err = req:body()
  if not body then
    return apig.error(400, err)
  end
  if req.path == "/upload" then
    -- the bytes as the handler sees them, sent straight back (binary download)
    return apig.binary(200, body, "application/octet-stream",
      { ["X-Body-Length"] = #body, ["X-Body-Checksum"] = checksum(body),
        ["X-Was-Base64"] = tostring(event.isBase64Encoded) })
  elseif req.path == "/download" then
    local n = tonumber(req:query("n")) or 256
    local parts = {}
    for i = 0, n - 1 do parts[#parts + 1] = string.char(i % 256) end
    return { headers = { ["Content-Type"] = "application/octet-stream" }, body = table.concat(parts) }
  elseif req.path == "/cookies" then
    return {
      statusCode = 200,
      headers = { ["Set-Cookie"] = { "a=1; Path=/", "b=2; HttpOnly" }, ["X-Single"] = "one" },
      body = "cookies set",
    }
  elseif req.path == "/size" then
    return apig.json(200, { length = #body, first = body:sub(1, 1), last = body:sub(-1) })
  elseif req.path == "/hello" then
    local data = req:json()
    if type(data) ~= "table" or type(data.name) ~= "string" then
      return apig.error(400, 'field "name" is required')
    end
    return apig.json(201, { message = "Hello, " .. data.name .. "!", sort = req:query_all("sort"),
                            agent = req:header("User-Agent") }, { ["X-Handler"] = "httpfunctions" })
  end
  return apig.json(200, {
    httpMethod = event.httpMethod,
    path = event.path,
    query = event.queryStringParameters,
    headers = event.headers,
    body = event.body, -- as the event carries it (base64 when flagged)
    isBase64Encoded = event.isBase64Encoded,
    length = #body,
  }, { ["X-Echo"] = "yes", ["X-Method"] = event.httpMethod })
end

return M
