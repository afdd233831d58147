-- `fnlua test` runs these specs; testing.invoke runs index.handler inside fnlua's runtime.
local testing = require "fnlua.testing"
local base64 = require "fnlua.base64"

describe("{{name}}", function()
  it("decodes the log lines of the LTS event", function()
    local r = testing.invoke(testing.event("event.json"))
    assert.same({ group = "g", topic = "t", messages = { "hello" } }, r.json)
  end)

  it("handles an event built in the spec", function()
    local logs = testing.json.encode({ { message = "a" }, { message = "b" } })
    local data = testing.json.encode({ logs = logs, owner = "1", log_group_id = "g2", log_topic_id = "t2" })
    local r = testing.invoke({ lts = { data = base64.encode(data) } })
    assert.same({ "a", "b" }, r.json.messages)
  end)
end)
