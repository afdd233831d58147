---@meta fnlua.apig
-- `require "fnlua.apig"`: API Gateway events and HTTP functions.

---@class fnlua.apig
local M = {}

---What `apig.request(event)` returns.
---@class fnlua.apig.Request
---@field method string "GET", "POST", ... (upper case; "GET" when absent)
---@field path string "/users/7" ("/" when absent)
---@field headers table<string, string|string[]> every header under its lower-case name
---@field query_params table<string, string|string[]> the event's queryStringParameters
---@field pathParameters table<string, string> the event's pathParameters
---@field params? table<string, string> fnlua.router: the route's `:name` values
---@field event fnlua.event.APIG the event itself
local Request = {}

---First value of a query parameter, or nil.
---@param name string
---@return string?
function Request:query(name) end

---Every value of a query parameter, as an array (`{}` when absent).
---@param name string
---@return string[]
function Request:query_all(name) end

---First value of a header (name case-insensitive), or nil.
---@param name string
---@return string?
function Request:header(name) end

---The body bytes, base64-decoded when isBase64Encoded; "" when none.
---@return string|nil body
---@return string? err bad base64
function Request:body() end

---The body decoded with fnlua.json.
---@return any|nil value
---@return string? err empty or not JSON
function Request:json() end

---@param event fnlua.event.APIG|table
---@return fnlua.apig.Request
function M.request(event) end

---`value` encoded with fnlua.json, `Content-Type: application/json`.
---@param status integer
---@param value any
---@param headers? table<string, string|number|boolean>
---@return fnlua.Envelope
function M.json(status, value, headers) end

---`text/plain; charset=utf-8`.
---@param status integer
---@param text string
---@param headers? table<string, string|number|boolean>
---@return fnlua.Envelope
function M.text(status, text, headers) end

---Base64 body, `isBase64Encoded = true`.
---@param status integer
---@param bytes string
---@param content_type? string
---@param headers? table<string, string|number|boolean>
---@return fnlua.Envelope
function M.binary(status, bytes, content_type, headers) end

---302 unless told otherwise.
---@param location string
---@param status? integer
---@return fnlua.Envelope
function M.redirect(location, status) end

---JSON `{"error": message}`.
---@param status integer
---@param message string
---@param headers? table<string, string|number|boolean>
---@return fnlua.Envelope
function M.error(status, message, headers) end

return M
