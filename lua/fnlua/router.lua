-- fnlua.router - a tiny method + path router for HTTP functions (and
-- APIG-triggered event functions, which receive the same event shape).
--
--   local router = require "fnlua.router"
--   local apig = require "fnlua.apig"
local unescape = require("fnlua.url").unescape
--   local r = router.new()
--   r:get("/users/:id", function(req, params, context)
--     return apig.json(200, { id = params.id })
--   end)
--   M.handler = r:handler()      -- or: function M.handler(e, c) return r:handle(e, c) end
--
-- Routes:  r:get / r:post / r:put / r:delete / r:patch / r:head / r:options
--          (pattern, fn), and r:any(pattern, fn) for every method.  Routes are
--          tried in the order they were added; the first whose path and method
--          match wins.  A route returns r, so calls can be chained.
-- Patterns: literal segments and ":name" segments; a ":name" segment matches
--          one non-empty path segment and its value is URL-decoded ("%2F"
--          stays inside the value).  Literal segments are compared after
--          URL-decoding.  A trailing slash and repeated slashes are ignored on
--          both sides: "/items/" matches "/items".
-- Handling: r:handle(event, context) calls fn(req, params, context), where req
--          is fnlua.apig.request(event) (req.params is params as well), and
--          returns what fn returns.  No path matches -> 404 JSON error; a path
--          matches but not the method -> 405 JSON error with an Allow header
--          listing the path's methods.  HEAD is served by a GET route when
--          there is no HEAD route.

local apig = require "fnlua.apig"

local M = {}

local Router = {}
Router.__index = Router

function M.new()
  return setmetatable({ routes = {} }, Router)
end

-- "/a//b/" -> { "a", "b" }
local function split(path)
  local segs = {}
  for seg in path:gmatch("[^/]+") do
    segs[#segs + 1] = seg
  end
  return segs
end

local function compile(pattern)
  if type(pattern) ~= "string" or pattern:sub(1, 1) ~= "/" then
    error("router: a route pattern must be a string starting with '/', got " .. tostring(pattern), 3)
  end
  local segs = {}
  for i, seg in ipairs(split(pattern)) do
    if seg:sub(1, 1) == ":" then
      local name = seg:sub(2)
      if name == "" then
        error("router: empty parameter name in route pattern '" .. pattern .. "'", 3)
      end
      segs[i] = { param = name }
    else
      segs[i] = { literal = unescape(seg) }
    end
  end
  return segs
end

-- params table when path segments match the compiled pattern, else nil
local function match(segs, path_segs)
  if #segs ~= #path_segs then
    return nil
  end
  local params = {}
  for i, s in ipairs(segs) do
    local v = unescape(path_segs[i])
    if s.param then
      params[s.param] = v
    elseif s.literal ~= v then
      return nil
    end
  end
  return params
end

function Router:add(method, pattern, fn)
  if type(fn) ~= "function" and not (type(fn) == "table" and getmetatable(fn) and getmetatable(fn).__call) then
    error("router: the handler for " .. tostring(method) .. " " .. tostring(pattern) .. " must be a function", 3)
  end
  self.routes[#self.routes + 1] = { method = method, pattern = pattern, segs = compile(pattern), fn = fn }
  return self
end

for _, m in ipairs({ "get", "post", "put", "delete", "patch", "head", "options" }) do
  local method = m:upper()
  Router[m] = function(self, pattern, fn)
    return self:add(method, pattern, fn)
  end
end

function Router:any(pattern, fn)
  return self:add("*", pattern, fn)
end

function Router:handle(event, context)
  local req = apig.request(event)
  local path_segs = split(req.path)
  local allowed, seen = {}, {}
  local fallback -- a GET route answering HEAD
  for _, route in ipairs(self.routes) do
    local params = match(route.segs, path_segs)
    if params then
      if route.method == "*" or route.method == req.method then
        req.params = params
        return route.fn(req, params, context)
      end
      if req.method == "HEAD" and route.method == "GET" and not fallback then
        fallback = { route = route, params = params }
      end
      if not seen[route.method] then
        seen[route.method] = true
        allowed[#allowed + 1] = route.method
      end
    end
  end
  if fallback then
    req.params = fallback.params
    return fallback.route.fn(req, fallback.params, context)
  end
  if #allowed == 0 then
    return apig.error(404, "no route for " .. req.path)
  end
  if seen.GET and not seen.HEAD then
    allowed[#allowed + 1] = "HEAD"
  end
  return apig.error(405, "method " .. req.method .. " not allowed for " .. req.path,
    { Allow = table.concat(allowed, ", ") })
end

-- A handler function for the module: M.handler = r:handler()
function Router:handler()
  return function(event, context)
    return self:handle(event, context)
  end
end

return M
