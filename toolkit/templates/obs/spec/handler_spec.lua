-- `fnlua test` runs these specs; testing.invoke runs index.handler inside fnlua's runtime.
local testing = require "fnlua.testing"

describe("{{name}}", function()
  it("lists the objects of the OBS event", function()
    local r = testing.invoke(testing.event("event.json"))
    assert.same({ { bucket = "functionstorage-template", key = "job.png", size = 777835 } }, r.json.objects)
    assert.equal("integer", math.type(r.json.objects[1].size)) -- fnlua's JSON keeps integers
  end)
end)
