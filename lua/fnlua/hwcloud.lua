-- fnlua.hwcloud - signs requests to Huawei Cloud APIs with an access key and
-- secret key (AK/SK), the SDK-HMAC-SHA256 algorithm of API Gateway and IAM.
--
--   local http = require "fnlua.http"
--   local hwcloud = require "fnlua.hwcloud"
--   local res, err = http.request(hwcloud.sign({
--     method = "POST",
--     url = "https://smn.cn-north-4.myhuaweicloud.com/v2/" .. project .. "/notifications/topics/" .. urn .. "/publish",
--     body = { subject = "hi", message = "hello" },
--   }, context))
--
-- sign(req, creds) -> req
--   req     the table fnlua.http's request() takes: url, method (default GET),
--           headers, query (merged with the URL's own query; a table value is
--           a repeated key), body (string, or table sent as JSON)
--   creds   { access_key =, secret_key =, security_token = } or the context,
--           whose temporary keys (getSecurityAccessKey, getSecuritySecretKey,
--           getSecurityToken) are used; "" and "null" count as absent
-- It adds X-Sdk-Date (UTC now, unless req.headers has one), Host (from the
-- URL), X-Security-Token (with a token) and Authorization, and signs every
-- header in req.headers.  So that the bytes signed are the bytes sent, it
-- also: replaces a table body with its fnlua.json text (Content-Type
-- application/json unless set), moves the query into req.url encoded exactly
-- as signed (req.query becomes nil), percent-encodes the URL's path and
-- upper-cases the method.  req.headers is replaced by a new table, so a
-- headers table shared between calls is never changed.  The header
-- X-Sdk-Content-Sha256: UNSIGNED-PAYLOAD leaves the body out of the signature.
--
-- The pieces, for tests and for other signers:
--   canonical_request(req) -> text, signed header names   (req as sign() leaves it)
--   string_to_sign(canonical_request, sdk_date) -> text
--   signature(secret_key, string_to_sign) -> lower-case hex
--
-- APIs that take an IAM token instead: headers = { ["X-Auth-Token"] = context:getToken() }.
local crypto = require "fnlua.crypto"
local json = require "fnlua.json"
local escape = require("fnlua.url").escape
local unescape = require("fnlua.url").unescape

local M = {}

M.ALGORITHM = "SDK-HMAC-SHA256"

local DEFAULT_PORT = { http = "80", https = "443" }

local function fail(msg)
  error("hwcloud.sign: " .. msg, 0)
end

-- "https://user@host:8443/a/b?x=1#f" -> { scheme, authority, host, port, path, query }
local function parse_url(url)
  if type(url) ~= "string" then
    fail("req.url must be a string, got " .. type(url))
  end
  local scheme, rest = url:match("^(%a[%w+.%-]*)://(.*)$")
  scheme = scheme and scheme:lower()
  if not DEFAULT_PORT[scheme] then
    fail("req.url must start with http:// or https://, got " .. string.format("%q", url))
  end
  rest = rest:gsub("#.*$", "")
  local authority, path, query = rest:match("^([^/?]*)([^?]*)%??(.*)$")
  local hostport = authority:gsub("^.*@", "")
  local host, port
  if hostport:sub(1, 1) == "[" then
    host, port = hostport:match("^(%[[^%]]*%]):?(%d*)$")
  else
    host, port = hostport:match("^([^:]+):?(%d*)$")
  end
  if not host then
    fail("req.url has no valid host: " .. string.format("%q", url))
  end
  return {
    scheme = scheme,
    authority = authority,
    host = host,
    port = port ~= "" and port or nil,
    path = path ~= "" and path or "/",
    query = query,
  }
end

-- Each segment of the decoded path, percent-encoded: the path sent, and the
-- canonical URI (the same, always ending in "/").
local function encode_path(path)
  local segs = {}
  for seg in (unescape(path) .. "/"):gmatch("([^/]*)/") do
    segs[#segs + 1] = escape(seg)
  end
  return table.concat(segs, "/")
end

local function canonical_uri(path)
  local p = encode_path(path)
  return p:sub(-1) == "/" and p or p .. "/"
end

local function scalar(v, what)
  local t = type(v)
  if t == "string" then
    return v
  elseif t == "number" or t == "boolean" then
    return tostring(v)
  end
  fail(what .. " must be a string, number or boolean, got " .. t)
end

-- The URL's query and req.query as one sorted list of { key, value } pairs.
local function query_pairs(url_query, query)
  local list = {}
  for kv in url_query:gmatch("[^&]+") do
    local k, v = kv:match("^([^=]*)=?(.*)$")
    if k ~= "" then
      list[#list + 1] = { unescape(k), unescape(v) }
    end
  end
  if query ~= nil then
    if type(query) ~= "table" then
      fail("req.query must be a table, got " .. type(query))
    end
    for k, v in pairs(query) do
      if type(k) ~= "string" then
        fail("req.query keys must be strings, got " .. type(k))
      end
      if type(v) == "table" then
        for i, item in ipairs(v) do
          list[#list + 1] = { k, scalar(item, "req.query." .. k .. "[" .. i .. "]") }
        end
      else
        list[#list + 1] = { k, scalar(v, "req.query." .. k) }
      end
    end
  end
  table.sort(list, function(a, b)
    if a[1] ~= b[1] then
      return a[1] < b[1]
    end
    return a[2] < b[2]
  end)
  return list
end

local function canonical_query(list)
  local parts = {}
  for i, kv in ipairs(list) do
    parts[i] = escape(kv[1]) .. "=" .. escape(kv[2])
  end
  return table.concat(parts, "&")
end

-- The key under which headers holds `name` (case-insensitive), and its value.
local function find_header(headers, name)
  name = name:lower()
  for k, v in pairs(headers) do
    if type(k) == "string" and k:lower() == name then
      return k, v
    end
  end
end

local function set_header(headers, name, value)
  local k = find_header(headers, name)
  while k do
    headers[k] = nil
    k = find_header(headers, name)
  end
  headers[name] = value
end

local function trim(s)
  return s:match("^%s*(.-)%s*$")
end

local function body_text(body)
  if body == nil then
    return ""
  elseif type(body) == "string" then
    return body
  elseif type(body) == "table" then
    return json.encode(body)
  end
  fail("req.body must be a string or a table, got " .. type(body))
end

function M.canonical_request(req)
  local u = parse_url(req.url)
  local headers = req.headers or {}
  local names, values = {}, {}
  for k, v in pairs(headers) do
    if type(k) ~= "string" then
      fail("req.headers keys must be strings, got " .. type(k))
    end
    local name = k:lower()
    if values[name] then
      fail("header " .. name .. " is given twice (names are case-insensitive)")
    end
    if name ~= "authorization" then -- it carries the signature, so it is never signed
      names[#names + 1] = name
      values[name] = trim(scalar(v, "header " .. k))
    end
  end
  table.sort(names)
  local lines = {}
  for i, name in ipairs(names) do
    lines[i] = name .. ":" .. values[name] .. "\n"
  end
  local signed = table.concat(names, ";")
  local payload = values["x-sdk-content-sha256"] or crypto.hex(crypto.sha256(body_text(req.body)))
  return table.concat({
    (req.method or "GET"):upper(),
    canonical_uri(u.path),
    canonical_query(query_pairs(u.query, req.query)),
    table.concat(lines),
    signed,
    payload,
  }, "\n"), signed
end

function M.string_to_sign(canonical_request, sdk_date)
  return M.ALGORITHM .. "\n" .. sdk_date .. "\n" .. crypto.hex(crypto.sha256(canonical_request))
end

function M.signature(secret_key, string_to_sign)
  return crypto.hex(crypto.hmac_sha256(secret_key, string_to_sign))
end

-- A credential value, or nil when absent ("" and the literal "null" included).
local function present(v, what)
  if v == nil or v == "" or v == "null" or v == json.null then
    return nil
  end
  if type(v) ~= "string" then
    fail(what .. " must be a string, got " .. type(v))
  end
  return v
end

local function is_context(creds)
  local ok, getter = pcall(function()
    return creds.getSecurityAccessKey
  end)
  return ok and type(getter) == "function"
end

-- access key, secret key, token (or nil) from creds; errors never show a key.
local function credentials(creds)
  local t = type(creds)
  if (t == "userdata" or t == "table") and is_context(creds) then
    local ak = present(creds:getSecurityAccessKey(), "context:getSecurityAccessKey()")
    local sk = present(creds:getSecuritySecretKey(), "context:getSecuritySecretKey()")
    if not ak or not sk then
      fail("the context has no temporary " .. (ak and "secret key" or "access key")
        .. " (X-CFF-Security-*): give the function an agency and let the platform pass its keys")
    end
    return ak, sk, present(creds:getSecurityToken(), "context:getSecurityToken()")
  elseif t == "table" then
    local ak = present(creds.access_key, "creds.access_key")
    local sk = present(creds.secret_key, "creds.secret_key")
    if not ak or not sk then
      fail("creds." .. (ak and "secret_key" or "access_key") .. " is missing")
    end
    return ak, sk, present(creds.security_token, "creds.security_token")
  end
  fail("creds must be { access_key =, secret_key =, security_token = } or the context, got " .. t)
end

function M.sign(req, creds)
  if type(req) ~= "table" then
    fail("req must be a table, got " .. type(req))
  end
  local ak, sk, token = credentials(creds)
  local u = parse_url(req.url)
  local method = req.method or "GET"
  if type(method) ~= "string" then
    fail("req.method must be a string, got " .. type(method))
  end
  if req.headers ~= nil and type(req.headers) ~= "table" then
    fail("req.headers must be a table, got " .. type(req.headers))
  end
  local headers = {}
  for k, v in pairs(req.headers or {}) do
    headers[k] = v
  end
  set_header(headers, "Authorization", nil)

  if type(req.body) == "table" then
    req.body = body_text(req.body)
    if not find_header(headers, "Content-Type") then
      headers["Content-Type"] = "application/json"
    end
  end
  local _, date = find_header(headers, "X-Sdk-Date")
  if date == nil then
    date = os.date("!%Y%m%dT%H%M%SZ")
    headers["X-Sdk-Date"] = date
  elseif type(date) ~= "string" or not trim(date):match("^%d%d%d%d%d%d%d%dT%d%d%d%d%d%dZ$") then
    fail("X-Sdk-Date must look like 20191115T033655Z (UTC), got " .. string.format("%q", tostring(date)))
  end
  if not find_header(headers, "Host") then
    local default = u.port == nil or u.port == DEFAULT_PORT[u.scheme]
    headers.Host = default and u.host or u.host .. ":" .. u.port
  end
  if token then
    set_header(headers, "X-Security-Token", token)
  end

  local query = canonical_query(query_pairs(u.query, req.query))
  req.url = u.scheme .. "://" .. u.authority .. encode_path(u.path) .. (query ~= "" and "?" .. query or "")
  req.query = nil
  req.method = method:upper()
  req.headers = headers

  local canonical, signed = M.canonical_request(req)
  local signature = M.signature(sk, M.string_to_sign(canonical, trim(date)))
  headers.Authorization = string.format("%s Access=%s, SignedHeaders=%s, Signature=%s", M.ALGORITHM, ak, signed,
    signature)
  return req
end

return M
