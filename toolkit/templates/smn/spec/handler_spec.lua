-- `fnlua test` runs these specs; testing.invoke runs index.handler inside fnlua's runtime.
local testing = require "fnlua.testing"

describe("{{name}}", function()
  it("handles every notification of the SMN event", function()
    local r = testing.invoke(testing.event("event.json"))
    assert.same({ processed = 1, subjects = { "this is smn message subject" } }, r.json)
  end)

  it("answers an empty list as a JSON array", function()
    local r = testing.invoke({ record = {} })
    assert.equal("[]", r.body:match('"subjects":(%b[])'))
  end)
end)
