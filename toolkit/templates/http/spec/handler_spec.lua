-- `fnlua test` runs these specs; testing.invoke runs index.handler inside fnlua's runtime.
local testing = require "fnlua.testing"

-- the request an HTTP function gets: method, path and body (event.json)
local function request(method, path, body)
  return testing.invoke(body, { mode = "http", method = method, path = path })
end

describe("{{name}}", function()
  it("greets the name POSTed as JSON", function()
    local r = request("POST", "/", testing.event("event.json"))
    assert.equal(200, r.statusCode)
    assert.equal("Hello, OpenTelekomCloud!", r.json.message)
  end)

  it("greets the name in the query", function()
    local r = request("GET", "/?name=Lua")
    assert.equal("Hello, Lua!", r.json.message)
  end)

  it("answers 400 to a body that is not JSON", function()
    assert.equal(400, request("POST", "/", "{not json").statusCode)
  end)

  it("answers 404 to an unknown path", function()
    assert.equal(404, request("GET", "/nowhere").statusCode)
  end)
end)
