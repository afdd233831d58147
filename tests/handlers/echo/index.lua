-- echo: event JSON → Lua values (integer vs float, cjson.null, unicode, nesting), reported back as JSON
local cjson = require "cjson"

local M = {}
local calls = 0 -- per Lua state: lets a test see whether the handler ran at all

-- describe(v): the Lua view of a decoded value, same shape as the value
local function describe(v)
  if v == cjson.null then return "null" end
  local t = type(v)
  if t == "number" then return math.type(v) end
  if t ~= "table" then return t end
  local d = {}
  for k, x in pairs(v) do d[k] = describe(x) end
  return d
end

function M.handler(event, context)
  calls = calls + 1
  local concat, lengths, bytes = {}, {}, {}
  for k, v in pairs(event) do
    if type(v) == "number" then concat[k] = "n=" .. v end
    if type(v) == "table" then lengths[k] = #v end
    if type(v) == "string" then bytes[k] = #v end
  end
  return {
    statusCode = 200,
    body = {
      eventType = type(event),
      empty = next(event) == nil,
      calls = event.countCalls and calls or nil, -- only when asked: answers stay comparable
      types = describe(event),
      concat = concat,
      lengths = lengths,
      bytes = bytes,
      event = event,
    },
  }
end

return M
