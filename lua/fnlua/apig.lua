-- fnlua.apig - helpers for API Gateway (APIG/APIC) events and HTTP functions.
--
-- An APIG-triggered event function and an HTTP function (--mode http) both
-- receive the same event shape:
--   { httpMethod, path, queryStringParameters, headers, pathParameters,
--     body, isBase64Encoded, requestContext? }
-- where query and header values are strings or arrays of strings.
--
--   local apig = require "fnlua.apig"
--   function M.handler(event, context)
--     local req = apig.request(event)
--     local data, err = req:json()
--     if not data then return apig.error(400, err) end
--     return apig.json(200, { hello = data.name, agent = req:header("User-Agent") })
--   end
--
-- Reading:   apig.request(event) -> req
--   req.method            "GET", "POST", ... (upper case; "GET" when absent)
--   req.path              "/users/7" ("/" when absent)
--   req.headers           every header under its lower-case name (raw values)
--   req.query_params      the event's queryStringParameters (a table, maybe empty)
--   req.pathParameters    the event's pathParameters (a table, maybe empty)
--   req.event             the event itself
--   req:query(name)       first value of a query parameter, or nil
--   req:query_all(name)   every value of a query parameter, as an array ({} when absent)
--   req:header(name)      first value of a header, name case-insensitive, or nil
--   req:body()            the raw body bytes, base64-decoded when isBase64Encoded;
--                         "" when there is none; nil, message when the base64 is bad
--   req:json()            the body decoded with fnlua.json (exact numbers, null =
--                         fnlua.json.null); nil, message when empty or not JSON
--
-- Writing: each builder returns an envelope table the runtime turns into the
-- response ({statusCode, headers, body, isBase64Encoded}).  `headers` given by
-- the caller are added to, and override (case-insensitively), the defaults.
--   apig.json(status, value, headers?)       value encoded with fnlua.json
--   apig.text(status, text, headers?)        text/plain; charset=utf-8
--   apig.binary(status, bytes, content_type?, headers?)
--                                            base64 body, isBase64Encoded = true
--   apig.redirect(location, status?)         302 unless told otherwise
--   apig.error(status, message, headers?)    JSON {"error": message}

local json = require "fnlua.json"
local base64 = require "fnlua.base64"

local M = {}

-- A JSON null arrives as fnlua.json.null (== cjson.null); treat it as absent.
local function present(v)
  if v == nil or v == json.null then
    return nil
  end
  return v
end

-- Query and header values may be a string or an array of strings.
local function first(v)
  v = present(v)
  if type(v) == "table" then
    return present(v[1])
  end
  return v
end

local Request = {}
Request.__index = Request

function M.request(event)
  if type(event) ~= "table" then
    event = {}
  end
  local headers = {}
  local raw = present(event.headers)
  if type(raw) == "table" then
    for k, v in pairs(raw) do
      if type(k) == "string" then
        headers[k:lower()] = v
      end
    end
  end
  local query = present(event.queryStringParameters)
  local params = present(event.pathParameters)
  local method = present(event.httpMethod)
  return setmetatable({
    event = event,
    method = type(method) == "string" and method:upper() or "GET",
    path = type(present(event.path)) == "string" and event.path or "/",
    headers = headers,
    query_params = type(query) == "table" and query or {},
    pathParameters = type(params) == "table" and params or {},
  }, Request)
end

function Request:query(name)
  local v = first(self.query_params[name])
  if v ~= nil then
    return tostring(v)
  end
  return nil
end

function Request:query_all(name)
  local v = present(self.query_params[name])
  if v == nil then
    return {}
  end
  if type(v) ~= "table" then
    return { tostring(v) }
  end
  local out = {}
  for _, x in ipairs(v) do
    out[#out + 1] = tostring(x)
  end
  return out
end

function Request:header(name)
  local v = first(self.headers[string.lower(name)])
  if v ~= nil then
    return tostring(v)
  end
  return nil
end

function Request:body()
  if self._body == nil then
    local b = present(self.event.body)
    if b == nil then
      b = ""
    elseif type(b) ~= "string" then
      -- a test event may carry the body as a JSON object rather than a string
      b = json.encode(b)
    elseif self.event.isBase64Encoded == true then
      local decoded, err = base64.decode(b)
      if not decoded then
        return nil, "request body: " .. err
      end
      b = decoded
    end
    self._body = b
  end
  return self._body
end

function Request:json()
  local b, err = self:body()
  if not b then
    return nil, err
  end
  if b:find("^%s*$") then
    return nil, "request body is empty, expected JSON"
  end
  local ok, value = pcall(json.decode, b)
  if not ok then
    return nil, "request body is not valid JSON: " .. tostring(value)
  end
  return value
end

-- ------------------------------------------------------------------ responses

local function check_status(status, fname)
  if math.type(status) ~= "integer" or status < 200 or status > 599 then
    error(string.format("apig.%s: status must be an integer from 200 to 599, got %s", fname, tostring(status)), 3)
  end
end

-- defaults, then the caller's headers replacing any default of the same name
-- (compared case-insensitively).
local function merge(defaults, extra)
  local out = {}
  for k, v in pairs(defaults) do
    out[k] = v
  end
  if extra ~= nil then
    for k, v in pairs(extra) do
      for d in pairs(defaults) do
        if type(k) == "string" and d:lower() == k:lower() then
          out[d] = nil
        end
      end
      out[k] = v
    end
  end
  return out
end

function M.json(status, value, headers)
  check_status(status, "json")
  return {
    statusCode = status,
    headers = merge({ ["Content-Type"] = "application/json" }, headers),
    body = json.encode(value),
    isBase64Encoded = false,
  }
end

function M.text(status, text, headers)
  check_status(status, "text")
  -- isBase64Encoded is left to the runtime: bytes that are not UTF-8 get base64-encoded
  return {
    statusCode = status,
    headers = merge({ ["Content-Type"] = "text/plain; charset=utf-8" }, headers),
    body = text == nil and "" or tostring(text),
  }
end

function M.binary(status, bytes, content_type, headers)
  check_status(status, "binary")
  if type(bytes) ~= "string" then
    error("apig.binary: bytes must be a string, got " .. type(bytes), 2)
  end
  return {
    statusCode = status,
    headers = merge({ ["Content-Type"] = content_type or "application/octet-stream" }, headers),
    body = base64.encode(bytes),
    isBase64Encoded = true,
  }
end

function M.redirect(location, status)
  status = status or 302
  check_status(status, "redirect")
  if type(location) ~= "string" or location == "" then
    error("apig.redirect: location must be a non-empty string", 2)
  end
  return { statusCode = status, headers = { Location = location }, body = "", isBase64Encoded = false }
end

function M.error(status, message, headers)
  check_status(status, "error")
  return M.json(status, { error = message == nil and "" or tostring(message) }, headers)
end

return M
