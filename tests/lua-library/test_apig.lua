-- test_apig: fnlua.apig reading APIG/HTTP events and building envelopes.
local apig = require "fnlua.apig"
local json = require "fnlua.json"
local base64 = require "fnlua.base64"
local check = require "check"
local eq = check.eq

-- an APIG event as FunctionGraph sends it: body is base64 of {"name": "OpenTelekomCloud"}
local function fixture()
  return json.decode([[{"body":"eyJuYW1lIjogIk9wZW5UZWxla29tQ2xvdWQifQ==","requestContext":{"apiId":"bc1dcffd-aa35-474d-897c-d53425a4c08e","requestId":"11cdcdcf33949dc6d722640a13091c77","stage":"RELEASE","sourceIp":"103.218.216.98"},
 "queryStringParameters":{"responseType":"html"},"httpMethod":"POST","pathParameters":{},"headers":{"content-type":"application/json","x-real-ip":"103.218.216.98","host":"host"},
 "path":"/hello","isBase64Encoded":true}]])
end

return {
  { "APIG event → method, path, query, pathParameters", function()
    local req = apig.request(fixture())
    eq(req.method, "POST", "method")
    eq(req.path, "/hello", "path")
    eq(req:query("responseType"), "html", "query")
    eq(req:query("missing"), nil, "absent query")
    eq(req.pathParameters, {}, "pathParameters")
    eq(req.event.requestContext.sourceIp, "103.218.216.98", "event kept")
  end },

  { "base64 body (isBase64Encoded true) → decoded body and JSON", function()
    local req = apig.request(fixture())
    eq(req:body(), '{"name": "OpenTelekomCloud"}', "body")
    eq(req:json(), { name = "OpenTelekomCloud" }, "json")
  end },

  { "plain body (isBase64Encoded false) → body as is", function()
    local req = apig.request({ body = "aGVsbG8=", isBase64Encoded = false })
    eq(req:body(), "aGVsbG8=", "body not decoded")
  end },

  { "binary base64 body → exact bytes", function()
    local bytes = "\0\1\2\255\254 png"
    local req = apig.request({ body = base64.encode(bytes), isBase64Encoded = true })
    eq(req:body(), bytes, "bytes")
  end },

  { "bad base64 body → body() and json() return nil, message", function()
    local req = apig.request({ body = "***not base64***", isBase64Encoded = true })
    local b, err = req:body()
    eq(b, nil, "body")
    check.truthy(err and err:find("base64", 1, true), "message names base64: " .. tostring(err))
    local v, err2 = req:json()
    eq(v, nil, "json")
    check.truthy(err2 and err2:find("base64", 1, true), "json message names base64")
  end },

  { "body that is not JSON → json() returns nil, message", function()
    local req = apig.request({ body = "{name:", isBase64Encoded = false })
    local v, err = req:json()
    eq(v, nil, "value")
    check.truthy(err and err:find("not valid JSON", 1, true), "message: " .. tostring(err))
  end },

  { "absent or null body → body() is \"\", json() returns nil, message", function()
    eq(apig.request({}):body(), "", "absent body")
    eq(apig.request({ body = json.null }):body(), "", "null body")
    local v, err = apig.request({ body = "  " }):json()
    eq(v, nil, "blank body json")
    check.truthy(err and err:find("empty", 1, true), "message: " .. tostring(err))
  end },

  { "body that is a JSON object (console test event) → re-encoded JSON", function()
    local req = apig.request(json.decode('{"body":{"id":9007199254740991},"isBase64Encoded":false}'))
    eq(req:body(), '{"id":9007199254740991}', "body text")
    eq(req:json().id, 9007199254740991, "id")
  end },

  { "JSON body numbers stay exact (integers up to 2^53), null is fnlua.json.null", function()
    local req = apig.request({ body = '{"id":1234567890123456,"x":0.1,"n":null,"a":[]}' })
    local v = req:json()
    eq(math.type(v.id), "integer", "integer type")
    eq(v.id, 1234567890123456, "16-digit id")
    eq(v.x, 0.1, "float")
    eq(v.n, json.null, "null")
    eq(json.encode(v.a), "[]", "empty array stays an array")
  end },

  { "repeated query key (array) → query() first value, query_all() every value", function()
    local req = apig.request({ queryStringParameters = { tag = { "a", "b" }, one = "x" } })
    eq(req:query("tag"), "a", "first")
    eq(req:query_all("tag"), { "a", "b" }, "all")
    eq(req:query_all("one"), { "x" }, "single as array")
    eq(req:query_all("none"), {}, "absent as empty array")
  end },

  { "null or absent queryStringParameters → no query values", function()
    eq(apig.request({ queryStringParameters = json.null }):query("a"), nil, "null")
    eq(apig.request({}):query("a"), nil, "absent")
  end },

  { "header(name) is case-insensitive; array value → first", function()
    local req = apig.request({ headers = { ["Content-Type"] = "text/plain", ["x-multi"] = { "1", "2" } } })
    eq(req:header("content-type"), "text/plain", "lower")
    eq(req:header("CONTENT-TYPE"), "text/plain", "upper")
    eq(req:header("X-Multi"), "1", "array first")
    eq(req:header("absent"), nil, "absent")
    eq(req.headers["content-type"], "text/plain", "headers table under lower-case names")
  end },

  { "event without fields → GET /, empty tables; non-table event tolerated", function()
    local req = apig.request({})
    eq(req.method, "GET", "method")
    eq(req.path, "/", "path")
    eq(req.headers, {}, "headers")
    eq(apig.request(nil).method, "GET", "nil event")
    eq(apig.request({ httpMethod = "patch" }).method, "PATCH", "method upper-cased")
  end },

  { "HTTP-mode event (as the runtime builds it) → same reading", function()
    local req = apig.request({ httpMethod = "PUT", path = "/items/1", queryStringParameters = { q = "v" },
      headers = { ["x-cff-request-id"] = "r1" }, pathParameters = {}, body = '{"a":1}', isBase64Encoded = false })
    eq(req.method, "PUT", "method")
    eq(req:header("X-CFF-Request-Id"), "r1", "header")
    eq(req:json(), { a = 1 }, "json")
  end },

  { "apig.json(status, value) → JSON envelope", function()
    local r = apig.json(201, { id = 1234567890123456789 })
    eq(r.statusCode, 201, "status")
    eq(r.headers, { ["Content-Type"] = "application/json" }, "headers")
    eq(r.isBase64Encoded, false, "isBase64Encoded")
    eq(r.body, '{"id":1234567890123456789}', "body: 64-bit integer exact")
    eq(apig.json(200, json.array()).body, "[]", "empty array")
    eq(apig.json(200, { 0.1, json.null }).body, "[0.1,null]", "float and null")
  end },

  { "apig.json headers → added, and override defaults case-insensitively", function()
    local r = apig.json(200, {}, { ["content-type"] = "application/problem+json", ["X-Trace"] = "t" })
    eq(r.headers, { ["content-type"] = "application/problem+json", ["X-Trace"] = "t" }, "headers")
  end },

  { "apig.text(status, text) → text/plain envelope", function()
    local r = apig.text(200, "hello")
    eq(r.statusCode, 200, "status")
    eq(r.body, "hello", "body")
    eq(r.headers["Content-Type"], "text/plain; charset=utf-8", "content type")
    eq(apig.text(204).body, "", "nil text → empty body")
  end },

  { "apig.binary(status, bytes, type) → base64 body, isBase64Encoded true", function()
    local bytes = "\137PNG\r\n\26\n\0\0"
    local r = apig.binary(200, bytes, "image/png", { ["Cache-Control"] = "no-store" })
    eq(r.isBase64Encoded, true, "flag")
    eq(base64.decode(r.body), bytes, "round trip")
    eq(r.headers, { ["Content-Type"] = "image/png", ["Cache-Control"] = "no-store" }, "headers")
    eq(apig.binary(200, "x").headers["Content-Type"], "application/octet-stream", "default type")
  end },

  { "apig.redirect(location) → 302 with Location; status overridable", function()
    local r = apig.redirect("https://example.com/a")
    eq(r.statusCode, 302, "status")
    eq(r.headers.Location, "https://example.com/a", "location")
    eq(r.body, "", "body")
    eq(apig.redirect("/b", 301).statusCode, 301, "301")
  end },

  { "apig.error(status, message) → JSON {\"error\": message}", function()
    local r = apig.error(400, "name is required")
    eq(r.statusCode, 400, "status")
    eq(r.headers["Content-Type"], "application/json", "content type")
    eq(r.body, '{"error":"name is required"}', "body")
  end },

  { "bad status or arguments → error naming the builder", function()
    check.raises("apig.json: status must be an integer from 200 to 599", apig.json, 99, {})
    check.raises("apig.json: status must be an integer from 200 to 599", apig.json, 101, {})
    check.raises("apig.text: status", apig.text, "200", "x")
    check.raises("apig.error: status", apig.error, 600, "x")
    check.raises("apig.binary: bytes must be a string", apig.binary, 200, {})
    check.raises("apig.redirect: location", apig.redirect, nil)
  end },
}
