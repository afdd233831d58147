-- `fnlua test` runs these specs; testing.invoke runs index.handler inside fnlua's runtime.
local testing = require "fnlua.testing"

describe("{{name}}", function()
  it("greets the caller named in the APIG event", function()
    local r = testing.invoke(testing.event("event.json"))
    assert.equal(200, r.statusCode)
    assert.equal("application/json", r.headers["Content-Type"])
    assert.equal("Hello, OpenTelekomCloud!", r.json.message)
  end)

  it("takes its greeting from the user data", function()
    local r = testing.invoke(testing.fixture("apig"), { user_data = { GREETING = "Hi" } })
    assert.equal("Hi, OpenTelekomCloud!", r.json.message)
  end)

  it("answers 400 to a body that is not JSON", function()
    local event = testing.fixture("apig")
    event.body, event.isBase64Encoded = "{not json", false
    local r = testing.invoke(event)
    assert.equal(400, r.statusCode)
  end)

  it("stays within the platform's limits", function()
    local r, info = testing.invoke(testing.fixture("apig"), { timeout = 3, memory = 128, request_id = "req-1" })
    assert.is_true(info.ok)
    assert.equal(200, r.statusCode)
  end)
end)
