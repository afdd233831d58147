-- outbound: fnlua.http and fnlua.sleep from a handler: calls that suspend the invocation, their errors, deadlines, shared module state, blocking fallbacks
local http = require "fnlua.http"
local fnlua = require "fnlua"
local json = require "fnlua.json"

local M = {}

-- module-level: shared by every invocation in flight in this Lua state
local counter = 0
local inflight, max_inflight = 0, 0
local init_result = nil

-- The initializer cannot suspend: a call made here blocks in place (and must still work).
function M.initializer(context)
  local url = context:getUserData("OUTBOUND_INIT_URL")
  if url then
    local res, err = http.get(url)
    init_result = { status = res and res.status, body = res and res.body, err = err }
  end
end

-- res / nil, err -> a JSON-able table (a response's body only when asked: it may be 50 MB)
local function outcome(res, err, with_body)
  if not res then
    return { err = err }
  end
  return {
    status = res.status,
    headers = res.headers,
    body = with_body ~= false and res.body or nil,
    len = #res.body,
  }
end

local cases = {}

function cases.request(event)
  local res, err = http.request(event.req)
  return outcome(res, err, event.with_body)
end

function cases.get(event)
  return outcome(http.get(event.url, event.opts))
end

function cases.post(event)
  return outcome(http.post(event.url, event.body, event.opts))
end

function cases.all(event)
  local responses, errors = http.request_all(event.reqs)
  local out = {}
  for i = 1, #event.reqs do
    out[i] = responses[i] and outcome(responses[i], nil, event.with_body) or { err = errors[i] }
  end
  return { n = #out, results = out }
end

-- many failing calls in one invocation (leak checks): counts the err kinds
function cases.fail_many(event)
  local reqs = {}
  for i = 1, event.n do
    reqs[i] = { url = event.url, timeout = 5 }
  end
  local responses, errors = http.request_all(reqs)
  local kinds = {}
  for i = 1, event.n do
    local k = responses[i] and "ok" or errors[i]:match("^[%a ]+") or "?"
    kinds[k] = (kinds[k] or 0) + 1
  end
  return kinds
end

-- busy past the time slice (the invocation is paused and carried on elsewhere), then a call, then busy again
function cases.busy_call(event, context)
  local function busy(ms)
    local stop = context:getRemainingTimeInMilliSeconds() - ms
    while context:getRemainingTimeInMilliSeconds() > stop do end
  end
  busy(event.ms)
  local res, err = http.get(event.url)
  busy(event.ms)
  return { id = context:getRequestID(), status = res and res.status, err = err }
end

function cases.sleep(event)
  fnlua.sleep(event.seconds)
  return { slept = event.seconds }
end

-- log lines before and after a wait carry the invocation's request id
function cases.log_around(event, context)
  local log = context:getLogger()
  log:info("before call %s", event.tag)
  local res, err = http.get(event.url)
  log:info("after call %s", event.tag)
  print("print after call " .. event.tag)
  fnlua.sleep(0.05)
  log:info("after sleep %s", event.tag)
  return { id = context:getRequestID(), status = res and res.status, err = err }
end

-- module-level variables are shared between invocations suspended in one state
function cases.counter(event)
  counter = counter + 1
  fnlua.sleep(event.seconds or 0.2)
  counter = counter + 1
  return { counter = counter }
end

function cases.counter_read()
  return { counter = counter }
end

-- how many invocations of this state were in flight at once (--concurrency)
function cases.inflight(event)
  inflight = inflight + 1
  if inflight > max_inflight then
    max_inflight = inflight
  end
  fnlua.sleep(event.seconds)
  inflight = inflight - 1
  return { max = max_inflight }
end

function cases.inflight_reset()
  inflight, max_inflight = 0, 0
  return { max = 0 }
end

-- a handler's own pcall around a call that the deadline cuts: the timeout must still win
function cases.pcall_call(event)
  local ok, res, err = pcall(http.get, event.url, { timeout = 30 })
  return { swallowed = true, ok = ok, err = tostring(err or res) }
end

function cases.pcall_sleep(event)
  local ok, err = pcall(fnlua.sleep, event.seconds)
  return { swallowed = true, ok = ok, err = tostring(err) }
end

-- a call inside a coroutine the handler made cannot suspend the invocation: it blocks in place
function cases.wrap(event)
  return coroutine.wrap(function()
    local res, err = http.get(event.url)
    coroutine.yield(outcome(res, err))
  end)()
end

function cases.wrap_sleep(event)
  local co = coroutine.create(function()
    fnlua.sleep(event.seconds)
    return "slept"
  end)
  local ok, v = coroutine.resume(co)
  return { ok = ok, v = v }
end

-- a call where a C function stands between the handler and the call (table.sort's comparator):
-- the invocation cannot yield there, so the call waits in place
function cases.sort_call(event)
  local list, status = { 3, 1, 2 }, nil
  table.sort(list, function(a, b)
    if not status then
      local res, err = http.get(event.url)
      status = res and res.status or err
    end
    return a < b
  end)
  return { sorted = list, status = status }
end

function cases.init_result()
  return { init = init_result }
end

function cases.json_of(event)
  return { text = json.encode(event.value) }
end

-- the shutdown hook runs after the loops stopped: a call there waits in place
function M.shutdown()
  local url = os.getenv("OUTBOUND_SHUTDOWN_URL")
  if url then
    local res, err = http.get(url)
    print("shutdown call: " .. tostring(res and res.status or err))
  end
end

function M.handler(event, context)
  local case = cases[event.case]
  if not case then
    error("unknown case " .. tostring(event.case))
  end
  return { body = case(event, context) }
end

return M
