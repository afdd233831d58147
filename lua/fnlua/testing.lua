-- fnlua.testing - run a function's handler from busted specs, inside the real
-- fnlua runtime.  Only under `fnlua test` (the runtime side is C).
--
--   local testing = require "fnlua.testing"
--   describe("orders", function()
--     it("answers the APIG event", function()
--       local r = testing.invoke(testing.fixture("apig"), { timeout = 3 })
--       assert.equal(200, r.statusCode)
--       assert.equal("Hello, OpenTelekomCloud!", r.json.message)
--     end)
--   end)
--
-- Each invoke() is one `/init` + `/invoke` of a fresh fnlua runtime: a new
-- Lua state loads the handler module exactly as the server does (the code
-- directory, its lua_modules/, fnlua's library; nothing from the host), runs
-- the initializer, then the handler with a real context and logger, the
-- deadline (timeout) and Lua memory budget (memory) enforced, and the result
-- turned into the JSON the platform would get.
--
--   testing.invoke(event, opts) -> r, info
--     event   a table (encoded with fnlua.json), a JSON string, or nil ({}).
--     opts    headers    {["X-CFF-Func-Name"] = "orders", ...}  request headers
--             context    a testing.context{...}: its X-CFF-* headers
--             timeout    seconds (X-CFF-Timeout; the deadline)
--             memory     MB (X-CFF-Memory; the Lua memory budget follows it)
--             request_id X-CFF-Request-Id
--             user_data  {KEY = "value"}: context:getUserData("KEY") during the call
--             handler    "index.handler" (default)
--             dir        the code directory (default: the folder `fnlua test` runs in)
--             mode       "event" (default) or "http" (an HTTP function)
--             method, path   HTTP functions: the request line ("POST" with an event, "/")
--     r       the answer decoded: the envelope {statusCode, headers, body,
--             isBase64Encoded} (body as the string the client gets, base64
--             decoded when isBase64Encoded) plus r.json = body decoded when
--             it is JSON; or the error object {errorType, errorMessage,
--             stackTrace}; or whatever other JSON value the handler returned;
--             a result that is not JSON (a string) comes back as that string.
--     info    {ok = true|false, status = HTTP status fnlua answers with,
--              raw = the response body bytes, errorType = nil | "TimeoutError" ...}
--
--   testing.context{...} -> ctx: a stand-in context for unit tests of code
--     that takes one (the getters of the real context, from the values given:
--     request_id, function_name, version, package, project_id, region,
--     timeout, memory, cpu, alias, invoke_type, user_data), and ctx.headers,
--     the X-CFF-* headers that make a real invocation see the same values.
--   testing.fixture(trigger) -> event table of apig, http, timer, smn, obs,
--     kafka, dis, lts or cts (the events in fnlua's toolkit/fixtures/).
--   testing.event(path) -> the event table in a JSON file ("event.json").
--   testing.json        fnlua.json: the runtime's exact JSON codec.

local ok_core, core = pcall(require, "fnlua.testing.core")
if not ok_core then
  error("fnlua.testing runs under `fnlua test` only (it starts fnlua's runtime)", 2)
end
local tool = require "fnlua.tool"
local json = require "fnlua.json"
local base64 = require "fnlua.base64"

local M = { json = json }

-- the folder under test: `fnlua test` sets it; the working directory otherwise
M.dir = nil

local function read_file(path)
  local f, err = io.open(path, "rb")
  if not f then
    error(err, 3)
  end
  local s = f:read("a")
  f:close()
  return s
end

function M.event(path)
  return json.decode(read_file(path))
end

function M.fixture(trigger)
  local path = tool.toolkit .. "/fixtures/" .. tostring(trigger) .. ".json"
  if not tool.stat(path) then
    error("no fixture '" .. tostring(trigger) .. "' (apig, http, timer, smn, obs, kafka, dis, lts, cts)", 2)
  end
  return json.decode(read_file(path))
end

-- context{...}: the values a context getter returns, as headers and as getters
local header_of = {
  request_id = "X-CFF-Request-Id",
  function_name = "X-CFF-Func-Name",
  version = "X-CFF-Func-Version",
  package = "X-CFF-Package",
  project_id = "X-CFF-Project-Id",
  region = "X-CFF-Region",
  timeout = "X-CFF-Timeout",
  memory = "X-CFF-Memory",
  alias = "X-Cff-Origin-Version-Tag",
  invoke_type = "X-CFF-Invoke-Type",
  access_key = "X-CFF-Security-Access-Key",
  secret_key = "X-CFF-Security-Secret-Key",
  security_token = "X-CFF-Security-Token",
  auth_token = "X-CFF-Auth-Token",
}

local Context = {}
Context.__index = Context

function M.context(values)
  values = values or {}
  local ctx = setmetatable({ values = values, headers = {}, started = os.time() }, Context)
  for key, v in pairs(values) do
    local h = header_of[key]
    if h then
      ctx.headers[h] = key == "alias" and "!" .. tostring(v) or tostring(v)
    elseif key ~= "user_data" and key ~= "cpu" then
      error("testing.context: unknown field '" .. tostring(key) .. "'", 2)
    end
  end
  return ctx
end

-- the stand-in logger writes "LEVEL message" to stderr; log:info(...) and log.info(...) both work
local Logger = {}
local function logger_line(level)
  return function(first, ...)
    local args = table.pack(...)
    if first ~= Logger then
      args = table.pack(first, ...)
    end
    local ok, msg = pcall(string.format, table.unpack(args, 1, args.n))
    if args.n == 1 or not ok then
      local parts = {}
      for i = 1, args.n do
        parts[i] = tostring(args[i])
      end
      msg = table.concat(parts, " ")
    end
    io.stderr:write(level, " ", msg, "\n")
  end
end
Logger.debug, Logger.info, Logger.warn, Logger.error =
  logger_line("DEBUG"), logger_line("INFO"), logger_line("WARN"), logger_line("ERROR")

function Context:getRequestID() return self.values.request_id or "00000000-0000-0000-0000-000000000000" end
function Context:getRunningTimeInSeconds() return tonumber(self.values.timeout) or 30 end
function Context:getRemainingTimeInMilliSeconds()
  return math.max(0, (self:getRunningTimeInSeconds() - (os.time() - self.started)) * 1000)
end
function Context:getMemorySize() return tonumber(self.values.memory) or 512 end
function Context:getCPUNumber() return self.values.cpu end
function Context:getFunctionName() return self.values.function_name end
function Context:getVersion() return self.values.version end
function Context:getPackage() return self.values.package end
function Context:getProjectID() return self.values.project_id end
function Context:getRegion() return self.values.region end
function Context:getAlias() return self.values.alias end
function Context:getInvokeType() return self.values.invoke_type or "sync" end
function Context:getSecurityAccessKey() return self.values.access_key end
function Context:getSecuritySecretKey() return self.values.secret_key end
function Context:getSecurityToken() return self.values.security_token end
function Context:getToken() return self.values.auth_token end
function Context:getUserData(key) return (self.values.user_data or {})[key] end
function Context.getLogger() return Logger end

local function decode_answer(raw)
  local ok, v = pcall(json.decode, raw)
  if not ok then
    return raw
  end
  if type(v) == "table" and v.statusCode ~= nil and type(v.body) == "string" then
    if v.isBase64Encoded then
      v.body = base64.decode(v.body) or v.body
    end
    local jok, jv = pcall(json.decode, v.body)
    if jok then
      v.json = jv
    end
  end
  return v
end

function M.invoke(event, opts)
  opts = opts or {}
  local headers, seen = {}, {}
  local function add(name, value)
    if value ~= nil and not seen[name:lower()] then
      seen[name:lower()] = true
      headers[#headers + 1] = { name, tostring(value) }
    end
  end
  -- the explicit options first: they win over the headers and the context
  add("X-CFF-Request-Id", opts.request_id)
  add("X-CFF-Timeout", opts.timeout)
  add("X-CFF-Memory", opts.memory)
  for name, value in pairs(opts.headers or {}) do
    add(name, value)
  end
  if opts.context then
    for name, value in pairs(opts.context.headers) do
      add(name, value)
    end
  end
  local body
  if type(event) == "string" then
    body = event
  elseif event ~= nil then
    body = json.encode(event)
  end
  -- an HTTP function's path: the query goes apart, decoded, as the server splits it
  local path, query = opts.path, nil
  if path and path:find("?", 1, true) then
    local q
    path, q = path:match("^([^?]*)%?(.*)$")
    query = {}
    local function unescape(s)
      return (s:gsub("+", " "):gsub("%%(%x%x)", function(h)
        return string.char(tonumber(h, 16))
      end))
    end
    for pair in q:gmatch("[^&]+") do
      local k, v = pair:match("^([^=]*)=?(.*)$")
      query[#query + 1] = { unescape(k), unescape(v) }
    end
  end
  local user_data = opts.user_data or (opts.context and opts.context.values.user_data) or {}
  local saved = {}
  for k, v in pairs(user_data) do
    saved[k] = { os.getenv(k) }
    core.setenv(k, tostring(v))
  end
  local ok, status, raw, etype = pcall(core.invoke, {
    dir = opts.dir or M.dir or tool.realpath("."),
    handler = opts.handler,
    mode = opts.mode,
    method = opts.method,
    path = path,
    query = query,
    -- the limits of an HTTP function come from the options, not its clients' headers
    timeout = opts.timeout and tostring(math.max(1, math.ceil(opts.timeout))),
    memory = opts.memory and tostring(opts.memory),
    event = body,
    headers = headers,
  })
  for k, v in pairs(saved) do
    core.setenv(k, v[1])
  end
  if not ok then
    error(status, 2)
  end
  if status == nil then
    error(raw, 2) -- the options themselves were refused (a bad handler name, a missing folder)
  end
  local r = decode_answer(raw)
  return r, { ok = etype == nil, status = status, raw = raw, errorType = etype }
end

return M
