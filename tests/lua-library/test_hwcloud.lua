-- test_hwcloud: fnlua.hwcloud signing requests with AK/SK (SDK-HMAC-SHA256).
local hwcloud = require "fnlua.hwcloud"
local json = require "fnlua.json"
local check = require "check"
local eq = check.eq

-- the example of Huawei Cloud's API signing guide
local GUIDE_AK = "QTWAOYTTINDUT2QVKYUC"
local GUIDE_SK = "MFyfvK41ba2giqM7Uio6PznpdUKGpownRZlmVmHc"
local GUIDE_DATE = "20191115T033655Z"
local GUIDE_SIGNATURE = "7be6668032f70418fcc22abc52071e57aff61b84a1d2381bb430d6870f4f6ebe"
local EMPTY_SHA256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

local CREDS = { access_key = "AK", secret_key = "SK" }
local DATE = { ["X-Sdk-Date"] = "20260101T000000Z" }

-- canonical request split into its six parts (the headers part spans lines)
local function parts(canonical)
  local method, uri, query, rest = canonical:match("^([^\n]*)\n([^\n]*)\n([^\n]*)\n(.*)$")
  local headers, signed, payload = rest:match("^(.*\n)\n([^\n]*)\n([^\n]*)$")
  return { method = method, uri = uri, query = query, headers = headers, signed = signed, payload = payload }
end

local function signed_parts(req, creds)
  req.headers = req.headers or { ["X-Sdk-Date"] = DATE["X-Sdk-Date"] }
  hwcloud.sign(req, creds or CREDS)
  return parts((hwcloud.canonical_request(req))), req
end

return {
  { "secret key + StringToSign of the signing guide → its signature", function()
    local sts = "SDK-HMAC-SHA256\n20191115T033655Z\nb25362e603ee30f4f25e7858e8a7160fd36e803bb2dfe206278659d71a9bcd7a"
    eq(hwcloud.signature(GUIDE_SK, sts), GUIDE_SIGNATURE, "signature")
  end },

  { "the signing guide's GET request → its StringToSign and Authorization", function()
    local req = hwcloud.sign({
      url = "https://service.region.example.com/v1/77b6a44cba5143ab91d13ab9a8ff44fd/vpcs?marker=13551d6b-755d-4757-b956-536f674975c0&limit=2",
      headers = { ["Content-Type"] = "application/json", ["X-Sdk-Date"] = GUIDE_DATE },
    }, { access_key = GUIDE_AK, secret_key = GUIDE_SK })
    local canonical, signed = hwcloud.canonical_request(req)
    eq(canonical, table.concat({
      "GET", "/v1/77b6a44cba5143ab91d13ab9a8ff44fd/vpcs/",
      "limit=2&marker=13551d6b-755d-4757-b956-536f674975c0",
      "content-type:application/json", "host:service.region.example.com", "x-sdk-date:" .. GUIDE_DATE, "",
      "content-type;host;x-sdk-date", EMPTY_SHA256 }, "\n"), "canonical request")
    eq(signed, "content-type;host;x-sdk-date", "signed headers")
    eq(hwcloud.string_to_sign(canonical, GUIDE_DATE),
      "SDK-HMAC-SHA256\n20191115T033655Z\nb25362e603ee30f4f25e7858e8a7160fd36e803bb2dfe206278659d71a9bcd7a",
      "string to sign")
    eq(req.headers.Authorization, "SDK-HMAC-SHA256 Access=" .. GUIDE_AK
      .. ", SignedHeaders=content-type;host;x-sdk-date, Signature=" .. GUIDE_SIGNATURE, "Authorization")
    eq(req.url, "https://service.region.example.com/v1/77b6a44cba5143ab91d13ab9a8ff44fd/vpcs?limit=2&marker=13551d6b-755d-4757-b956-536f674975c0",
      "URL sent: query in canonical order")
  end },

  { "path segments with spaces, unicode, reserved bytes → percent-encoded, ending in /", function()
    local p, req = signed_parts({ url = "https://h/v1/a b/caf%C3%A9/ü:x;y/~ok-_./+" })
    eq(p.uri, "/v1/a%20b/caf%C3%A9/%C3%BC%3Ax%3By/~ok-_./%2B/", "canonical URI")
    eq(req.url, "https://h/v1/a%20b/caf%C3%A9/%C3%BC%3Ax%3By/~ok-_./%2B", "URL sent, without the added /")
    eq(signed_parts({ url = "https://h" }).uri, "/", "no path")
    eq(signed_parts({ url = "https://h/" }).uri, "/", "root")
    eq(signed_parts({ url = "https://h/a/" }).uri, "/a/", "trailing slash kept, not doubled")
    eq(signed_parts({ url = "https://h/a//b" }).uri, "/a//b/", "empty segment kept")
  end },

  { "URL query + req.query → merged, encoded, sorted by key then value; table = repeated key", function()
    local p, req = signed_parts({
      url = "https://h/x?b=2&a=z&a=y&flag&c=%20sp+ace#frag",
      query = { a = { "x", "b" }, ["k e/y"] = "v&=1", n = 5, t = true },
    })
    eq(p.query, "a=b&a=x&a=y&a=z&b=2&c=%20sp%2Bace&flag=&k%20e%2Fy=v%26%3D1&n=5&t=true", "canonical query")
    eq(req.url, "https://h/x?" .. p.query, "URL sent carries the canonical query, no fragment")
    eq(req.query, nil, "req.query folded into the URL")
  end },

  { "headers → lower-case names, trimmed values, sorted; all signed", function()
    local p = signed_parts({ url = "https://h/", headers = {
      ["X-Sdk-Date"] = DATE["X-Sdk-Date"], ["X-Custom"] = "  two  words ", ["accept"] = "*/*", ["X-Num"] = 7 } })
    eq(p.headers, "accept:*/*\nhost:h\nx-custom:two  words\nx-num:7\nx-sdk-date:20260101T000000Z\n", "headers")
    eq(p.signed, "accept;host;x-custom;x-num;x-sdk-date", "signed header names")
  end },

  { "Host from the URL: default port left out, another port kept; a given Host kept", function()
    local _, req = signed_parts({ url = "https://Svc.example.com:443/" })
    eq(req.headers.Host, "Svc.example.com", "https :443")
    _, req = signed_parts({ url = "http://127.0.0.1:8080/" })
    eq(req.headers.Host, "127.0.0.1:8080", "http :8080")
    _, req = signed_parts({ url = "http://user@[::1]:80/" })
    eq(req.headers.Host, "[::1]", "IPv6 literal, default port, no user info")
    local p
    p, req = signed_parts({ url = "https://h/", headers = { host = "other", ["x-sdk-date"] = "20260101T000000Z" } })
    eq(req.headers.host, "other", "kept")
    eq(req.headers.Host, nil, "not added twice")
    eq(p.signed, "host;x-sdk-date", "signed")
  end },

  { "X-Sdk-Date given in any case → kept; absent → UTC now; malformed → error", function()
    local _, req = signed_parts({ url = "https://h/", headers = { ["x-sdk-date"] = "20200101T010203Z" } })
    eq(req.headers["x-sdk-date"], "20200101T010203Z", "kept under its own name")
    eq(req.headers["X-Sdk-Date"], nil, "no second date")
    check.truthy(req.headers.Authorization:find("SignedHeaders=host;x-sdk-date,", 1, true), "signed")
    local before = os.date("!%Y%m%dT%H%M%SZ")
    req = hwcloud.sign({ url = "https://h/" }, CREDS)
    local after, date = os.date("!%Y%m%dT%H%M%SZ"), req.headers["X-Sdk-Date"]
    check.truthy(date:match("^%d%d%d%d%d%d%d%dT%d%d%d%d%d%dZ$"), "format")
    check.truthy(before <= date and date <= after, "UTC now: " .. before .. " <= " .. date .. " <= " .. after)
    check.raises("X-Sdk-Date must look like", hwcloud.sign,
      { url = "https://h/", headers = { ["X-Sdk-Date"] = "2020-01-01" } }, CREDS)
  end },

  { "body string → its SHA-256; no body → SHA-256 of empty; UNSIGNED-PAYLOAD → literal", function()
    eq(signed_parts({ url = "https://h/", method = "post", body = "abc" }).payload,
      "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad", "abc")
    eq(signed_parts({ url = "https://h/" }).payload, EMPTY_SHA256, "empty")
    local p = signed_parts({ url = "https://h/", body = "abc", headers = {
      ["X-Sdk-Date"] = DATE["X-Sdk-Date"], ["X-Sdk-Content-Sha256"] = "UNSIGNED-PAYLOAD" } })
    eq(p.payload, "UNSIGNED-PAYLOAD", "unsigned payload")
    eq(p.signed, "host;x-sdk-content-sha256;x-sdk-date", "the header itself is signed")
  end },

  { "table body → its fnlua.json text, Content-Type application/json unless set", function()
    local body = { message = "hi", n = 3, list = json.array({}) }
    local p, req = signed_parts({ url = "https://h/", method = "post", body = body })
    eq(req.body, json.encode(body), "body replaced by the bytes sent")
    eq(req.method, "POST", "method upper-cased")
    eq(req.headers["Content-Type"], "application/json", "Content-Type")
    eq(p.method, "POST", "canonical method")
    eq(p.payload, require("fnlua.crypto").hex(require("fnlua.crypto").sha256(req.body)), "hash of the JSON")
    local _
    _, req = signed_parts({ url = "https://h/", body = { a = 1 }, headers = {
      ["X-Sdk-Date"] = DATE["X-Sdk-Date"], ["content-type"] = "application/json;charset=utf-8" } })
    eq(req.headers["content-type"], "application/json;charset=utf-8", "given Content-Type kept")
    eq(req.headers["Content-Type"], nil, "no second Content-Type")
  end },

  { "security token → X-Security-Token, signed; the caller's headers table untouched", function()
    local shared = { ["X-Sdk-Date"] = "20260101T000000Z", Authorization = "old" }
    local req = hwcloud.sign({ url = "https://h/", headers = shared },
      { access_key = "AK", secret_key = "SK", security_token = "TOKEN" })
    eq(req.headers["X-Security-Token"], "TOKEN", "token header")
    check.truthy(req.headers.Authorization:find("^SDK%-HMAC%-SHA256 Access=AK, SignedHeaders=host;x%-sdk%-date;x%-security%-token, Signature=%x+$"),
      "Authorization: " .. req.headers.Authorization)
    eq(shared, { ["X-Sdk-Date"] = "20260101T000000Z", Authorization = "old" }, "shared headers")
  end },

  { "a context's temporary keys → signed like the same keys in a table; \"null\" is absent", function()
    local ctx = {
      getSecurityAccessKey = function() return "AK" end,
      getSecuritySecretKey = function() return "SK" end,
      getSecurityToken = function() return "null" end,
    }
    local a = hwcloud.sign({ url = "https://h/", headers = { ["X-Sdk-Date"] = "20260101T000000Z" } }, ctx)
    local b = hwcloud.sign({ url = "https://h/", headers = { ["X-Sdk-Date"] = "20260101T000000Z" } }, CREDS)
    eq(a.headers.Authorization, b.headers.Authorization, "same signature")
    eq(a.headers["X-Security-Token"], nil, "no token header for \"null\"")
  end },

  { "missing keys or bad arguments → clear errors without secrets", function()
    local ctx = {
      getSecurityAccessKey = function() return "null" end,
      getSecuritySecretKey = function() return "SECRET" end,
      getSecurityToken = function() return nil end,
    }
    check.raises("the context has no temporary access key", hwcloud.sign, { url = "https://h/" }, ctx)
    local ok, err = pcall(hwcloud.sign, { url = "https://h/" }, ctx)
    eq(ok, false, "raised")
    eq(tostring(err):find("SECRET", 1, true), nil, "secret not in the message")
    check.raises("creds.secret_key is missing", hwcloud.sign, { url = "https://h/" }, { access_key = "AK" })
    check.raises("creds.access_key is missing", hwcloud.sign, { url = "https://h/" }, { secret_key = "", access_key = "" })
    check.raises("creds must be", hwcloud.sign, { url = "https://h/" }, nil)
    check.raises("req.url must start with http:// or https://", hwcloud.sign, { url = "ftp://h/" }, CREDS)
    check.raises("req.url has no valid host", hwcloud.sign, { url = "https:///x" }, CREDS)
    check.raises("req.body must be a string or a table", hwcloud.sign, { url = "https://h/", body = 5 }, CREDS)
    check.raises("req.query.a[1] must be a string, number or boolean", hwcloud.sign,
      { url = "https://h/", query = { a = { {} } } }, CREDS)
    check.raises("header x-a is given twice", hwcloud.sign,
      { url = "https://h/", headers = { ["X-A"] = "1", ["x-a"] = "2" } }, CREDS)
  end },
}
