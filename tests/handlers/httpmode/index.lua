-- httpmode: with --mode http any method and path arrive as an APIG-shaped event; the envelope becomes the HTTP response
local M = {}

function M.handler(event, context)
  if event.path == "/binary" then
    return { headers = { ["Content-Type"] = "application/octet-stream" }, body = "\255\0binary" }
  elseif event.path == "/prebase64" then
    return { isBase64Encoded = true, headers = { ["Content-Type"] = "text/plain" }, body = "aGVsbG8=" }
  elseif event.path == "/fail" then
    error("http handler failed") -- RAISE:http
  end
  local headers = {}
  for k, v in pairs(event.headers or {}) do headers[string.lower(k)] = v end
  return {
    statusCode = 201,
    headers = { ["X-Echo-Method"] = event.httpMethod, ["Content-Type"] = "application/json" },
    body = {
      httpMethod = event.httpMethod,
      path = event.path,
      query = event.queryStringParameters,
      headers = headers,
      body = event.body,
      isBase64Encoded = event.isBase64Encoded,
    },
  }
end

return M
