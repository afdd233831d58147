-- `fnlua test` runs these specs; testing.invoke runs index.handler inside fnlua's runtime.
local testing = require "fnlua.testing"

describe("{{name}}", function()
  it("decodes the records of the DIS event", function()
    local r = testing.invoke(testing.event("event.json"))
    assert.same({ stream = "dis-swtest", data = { "welcome", "using DIS" } }, r.json)
  end)
end)
