---@meta fnlua.router
-- `require "fnlua.router"`: a method + path router for HTTP functions and
-- APIG-triggered event functions.

---@class fnlua.router
local M = {}

---@alias fnlua.router.Route fun(req: fnlua.apig.Request, params: table<string, string>, context: fnlua.Context): any

---@class fnlua.Router
local Router = {}

---A new router.
---@return fnlua.Router
function M.new() end

---Adds a route for `method` ("*" for any); routes are tried in the order added.
---@param method string
---@param pattern string literal and ":name" segments
---@param fn fnlua.router.Route
---@return fnlua.Router
function Router:add(method, pattern, fn) end

---@param pattern string
---@param fn fnlua.router.Route
---@return fnlua.Router
function Router:get(pattern, fn) end

---@param pattern string
---@param fn fnlua.router.Route
---@return fnlua.Router
function Router:post(pattern, fn) end

---@param pattern string
---@param fn fnlua.router.Route
---@return fnlua.Router
function Router:put(pattern, fn) end

---@param pattern string
---@param fn fnlua.router.Route
---@return fnlua.Router
function Router:delete(pattern, fn) end

---@param pattern string
---@param fn fnlua.router.Route
---@return fnlua.Router
function Router:patch(pattern, fn) end

---@param pattern string
---@param fn fnlua.router.Route
---@return fnlua.Router
function Router:head(pattern, fn) end

---@param pattern string
---@param fn fnlua.router.Route
---@return fnlua.Router
function Router:options(pattern, fn) end

---A route for every method.
---@param pattern string
---@param fn fnlua.router.Route
---@return fnlua.Router
function Router:any(pattern, fn) end

---Calls the matching route's `fn(req, params, context)` and returns its
---result; 404 when no path matches, 405 (with Allow) when only the method
---does not.
---@param event fnlua.event.APIG|table
---@param context fnlua.Context
---@return any
function Router:handle(event, context) end

---`function(event, context) return r:handle(event, context) end`
---@return fun(event: fnlua.event.APIG|table, context: fnlua.Context): any
function Router:handler() end

return M
