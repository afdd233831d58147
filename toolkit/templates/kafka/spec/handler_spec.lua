-- `fnlua test` runs these specs; testing.invoke runs index.handler inside fnlua's runtime.
local testing = require "fnlua.testing"

describe("{{name}}", function()
  it("counts the messages of the Kafka event", function()
    local r = testing.invoke(testing.event("event.json"))
    assert.same({ instance = "08fd3e1b-cf56-401f-b4c6-81fd2a1d3ae6", messages = 2 }, r.json)
  end)

  it("reports a malformed event as a HandlerError", function()
    local r, info = testing.invoke({ records = { { messages = 42 } } })
    assert.is_false(info.ok)
    assert.equal("HandlerError", r.errorType)
  end)
end)
