-- test_router: fnlua.router matching methods and paths, params, 404/405.
local router = require "fnlua.router"
local json = require "fnlua.json"
local check = require "check"
local eq = check.eq

local function ev(method, path, extra)
  local e = extra or {}
  e.httpMethod, e.path = method, path
  return e
end

-- a router whose routes answer with their own name and params
local function sample()
  local r = router.new()
  local function named(name)
    return function(req, params, context)
      return { route = name, params = params, method = req.method, ctx = context }
    end
  end
  r:get("/items", named("list"))
  r:get("/items/:id", named("get"))
  r:post("/items", named("create"))
  r:put("/items/:id", named("put"))
  r:delete("/items/:id", named("delete"))
  r:patch("/items/:id", named("patch"))
  r:get("/users/:uid/items/:iid", named("nested"))
  r:any("/any", named("any"))
  r:get("/", named("root"))
  return r
end

local function body_of(resp)
  return json.decode(resp.body)
end

return {
  { "GET /items → the GET route", function()
    eq(sample():handle(ev("GET", "/items")).route, "list", "route")
  end },

  { "POST /items → the POST route on the same path", function()
    eq(sample():handle(ev("POST", "/items")).route, "create", "route")
  end },

  { "each verb (PUT, DELETE, PATCH) → its route", function()
    local r = sample()
    eq(r:handle(ev("PUT", "/items/1")).route, "put", "put")
    eq(r:handle(ev("DELETE", "/items/1")).route, "delete", "delete")
    eq(r:handle(ev("PATCH", "/items/1")).route, "patch", "patch")
  end },

  { "GET / → root route; empty path treated as /", function()
    local r = sample()
    eq(r:handle(ev("GET", "/")).route, "root", "root")
    eq(r:handle(ev("GET", nil)).route, "root", "absent path")
  end },

  { ":id segment → params.id, also req.params", function()
    local r = router.new()
    local seen
    r:get("/items/:id", function(req, params) seen = { params.id, req.params.id } end)
    r:handle(ev("GET", "/items/42"))
    eq(seen, { "42", "42" }, "params")
  end },

  { "two params → both captured", function()
    eq(sample():handle(ev("GET", "/users/u1/items/i2")).params, { uid = "u1", iid = "i2" }, "params")
  end },

  { ":name params are URL-decoded (%20, %2F, UTF-8)", function()
    local r = sample()
    eq(r:handle(ev("GET", "/items/a%20b")).params.id, "a b", "space")
    eq(r:handle(ev("GET", "/items/a%2Fb")).params.id, "a/b", "encoded slash stays in the segment")
    eq(r:handle(ev("GET", "/items/caf%C3%A9")).params.id, "café", "utf-8")
    eq(r:handle(ev("GET", "/items/100%")).params.id, "100%", "lone % kept")
    eq(r:handle(ev("GET", "/items/a+b")).params.id, "a+b", "+ is not a space in a path")
  end },

  { "trailing slash and repeated slashes → same route", function()
    local r = sample()
    eq(r:handle(ev("GET", "/items/")).route, "list", "trailing slash")
    eq(r:handle(ev("GET", "//items//7/")).params, { id = "7" }, "repeated slashes")
    local r2 = router.new()
    r2:get("/things/", function() return "ok" end)
    eq(r2:handle(ev("GET", "/things")), "ok", "pattern with trailing slash")
  end },

  { "unmatched path → 404 JSON error", function()
    local resp = sample():handle(ev("GET", "/nothing/here"))
    eq(resp.statusCode, 404, "status")
    eq(resp.headers["Content-Type"], "application/json", "content type")
    eq(body_of(resp), { error = "no route for /nothing/here" }, "body")
  end },

  { "extra or missing segment → 404 (params match exactly one segment)", function()
    local r = sample()
    eq(r:handle(ev("GET", "/items/1/extra")).statusCode, 404, "extra")
    eq(r:handle(ev("GET", "/users/u1/items")).statusCode, 404, "missing")
  end },

  { "matched path, wrong method → 405 with Allow listing the methods", function()
    local r = sample()
    local resp = r:handle(ev("DELETE", "/items"))
    eq(resp.statusCode, 405, "status")
    eq(resp.headers.Allow, "GET, POST, HEAD", "allow")
    eq(body_of(resp).error, "method DELETE not allowed for /items", "body")
    eq(r:handle(ev("POST", "/items/1")).headers.Allow, "GET, PUT, DELETE, PATCH, HEAD", "allow for :id")
  end },

  { "HEAD → served by the GET route", function()
    eq(sample():handle(ev("HEAD", "/items")).route, "list", "route")
  end },

  { "any() → every method", function()
    local r = sample()
    for _, m in ipairs({ "GET", "POST", "OPTIONS", "PURGE" }) do
      eq(r:handle(ev(m, "/any")).method, m, m)
    end
  end },

  { "routes tried in order → first match wins", function()
    local r = router.new()
    r:get("/items/new", function() return "literal" end)
    r:get("/items/:id", function() return "param" end)
    eq(r:handle(ev("GET", "/items/new")), "literal", "literal first")
    eq(r:handle(ev("GET", "/items/7")), "param", "param")
  end },

  { "handler gets req (apig.request) and context; return value passed through", function()
    local r = router.new()
    r:post("/echo", function(req, params, context)
      return { name = req:json().name, rid = context.rid, q = req:query("q") }
    end)
    local out = r:handle(ev("POST", "/echo", { body = '{"name":"x"}', queryStringParameters = { q = "1" } }),
      { rid = "r1" })
    eq(out, { name = "x", rid = "r1", q = "1" }, "result")
  end },

  { "lower-case httpMethod → matched as upper case", function()
    eq(sample():handle(ev("get", "/items")).route, "list", "route")
  end },

  { "r:handler() → a function(event, context) for M.handler", function()
    local h = sample():handler()
    eq(h(ev("GET", "/items/5"), "ctx").ctx, "ctx", "context passed")
  end },

  { "route methods chain; bad pattern or handler → error", function()
    local r = router.new()
    eq(r:get("/a", function() end), r, "returns the router")
    check.raises("must be a string starting with '/'", r.get, r, "a", function() end)
    check.raises("empty parameter name", r.get, r, "/a/:", function() end)
    check.raises("must be a function", r.post, r, "/a", nil)
  end },

  { "handler error → propagates to the runtime (function error)", function()
    local r = router.new()
    r:get("/boom", function() error("boom!") end)
    check.raises("boom!", r.handle, r, ev("GET", "/boom"))
  end },
}
