-- `fnlua test` runs these specs; testing.invoke runs index.handler inside fnlua's runtime.
local testing = require "fnlua.testing"

describe("{{name}}", function()
  it("reads the message of the timer's user event", function()
    local r, info = testing.invoke(testing.event("event.json"))
    assert.is_true(info.ok)
    assert.equal(200, r.statusCode)
    assert.same({ trigger = "Timer_001", message = "timer triggered event" }, r.json)
  end)

  it("keeps a user event that is not JSON as it is", function()
    local event = testing.fixture("timer")
    event.user_event = "nightly clean-up"
    assert.equal("nightly clean-up", testing.invoke(event).json.message)
  end)
end)
