-- `fnlua test` runs these specs; testing.invoke runs index.handler inside fnlua's runtime.
local testing = require "fnlua.testing"

describe("{{name}}", function()
  it("summarizes the CTS trace", function()
    local r = testing.invoke(testing.event("event.json"))
    assert.same({ service = "FunctionGraph", operation = "deleteGraph", user = "userName", status = "normal" }, r.json)
  end)

  it("knows the function it runs as", function()
    local ctx = testing.context({ function_name = "audit", timeout = 5 })
    local _, info = testing.invoke(testing.fixture("cts"), { context = ctx })
    assert.is_true(info.ok)
    assert.equal("audit", ctx:getFunctionName())
  end)
end)
