-- fan-out: one invocation fetches many items at once with http.request_all and reports each item's result or failure.
local http = require "fnlua.http"
local json = require "fnlua.json"
local url = require "fnlua.url"

local M = {}

local MAX_ITEMS = 50 -- fnlua.http.request_all takes up to 256 requests at a time
local SPARE = 0.2    -- seconds kept back to build the answer after the calls

function M.initializer(context)
  local template = context:getUserData("API_URL")
  if type(template) ~= "string" or not template:match("^https?://[^/]") or not template:find("{id}", 1, true) then
    error("API_URL must be an http:// or https:// address with {id} where an item's id goes, got "
      .. string.format("%q", tostring(template)), 0)
  end
  M.template = template
  local timeout = context:getUserData("API_TIMEOUT")
  M.timeout = tonumber(timeout) or 5
  if M.timeout <= 0 then
    error("API_TIMEOUT must be a number of seconds > 0, got " .. string.format("%q", timeout), 0)
  end
end

local function item_url(id)
  local segment = url.escape(tostring(id))
  -- a function as replacement: the escaped id holds "%", which gsub would read
  return (M.template:gsub("{id}", function() return segment end))
end

-- Seconds the calls may take: up to the platform's deadline, less fnlua's
-- margin before it (5 % of the timeout, at most 1 s) and time to answer.
local function time_left(context)
  local margin = math.min(1, 0.05 * context:getRunningTimeInSeconds())
  return context:getRemainingTimeInMilliSeconds() / 1000 - margin - SPARE
end

local function bad_event(message)
  return { statusCode = 400, body = { error = message } }
end

function M.handler(event, context)
  local log = context:getLogger()
  local ids = event.ids
  if type(ids) ~= "table" or #ids == 0 or #ids > MAX_ITEMS then
    return bad_event(string.format('field "ids" must be an array of 1 to %d item ids', MAX_ITEMS))
  end
  local timeout = math.min(M.timeout, time_left(context))
  if timeout <= 0 then
    error("no time left to call the API", 0)
  end
  local requests = {}
  for i, id in ipairs(ids) do
    if type(id) ~= "string" and math.type(id) ~= "integer" then
      return bad_event(string.format('ids[%d] must be a string or an integer', i))
    end
    requests[i] = { url = item_url(id), headers = { Accept = "application/json" }, timeout = timeout }
  end

  -- all calls at once: this invocation waits for the slowest one, not for
  -- their sum, and the Lua state serves other invocations meanwhile
  local responses, errors = http.request_all(requests)

  local items, failed = {}, 0
  for i, id in ipairs(ids) do
    local res, entry = responses[i], { id = id }
    if not res then
      entry.error = errors[i]
    elseif res.status ~= 200 then
      entry.error = "HTTP " .. res.status
    else
      local ok, value = pcall(json.decode, res.body)
      if ok then
        entry.item = value
      else
        entry.error = "not JSON: " .. value
      end
    end
    if entry.error then
      failed = failed + 1
      log:warn("item %s: %s", tostring(id), entry.error)
    end
    items[i] = entry
  end
  log:info("fetched %d item(s), %d failed", #ids - failed, failed)
  -- some items failing is a partial answer; all of them failing is the API's failure
  return {
    statusCode = failed == #ids and 502 or 200,
    body = { items = items, ok = #ids - failed, failed = failed },
  }
end

return M
