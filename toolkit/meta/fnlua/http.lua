---@meta fnlua.http
-- `require "fnlua.http"`: HTTP and HTTPS calls that wait without holding the
-- Lua state.  Network failures return `nil, err`; a request that is wrong in
-- itself raises.

---@class fnlua.http
local M = {}

---@class fnlua.http.Request
---@field url string `http://` or `https://` address; may already hold a query string
---@field method? string default "GET"; upper-cased
---@field headers? table<string, string|number> values without line breaks
---@field query? table<string, string|number|(string|number)[]> appended to url, percent-encoded, in key order
---@field body? string|table a string is sent as it is; a table as JSON (Content-Type: application/json unless set)
---@field timeout? number seconds for the whole call, default 30; never past the invocation's deadline
---@field max_body? integer largest response body accepted, default 6291456
---@field redirects? integer redirects to follow, 0 (default) to 50
---@field verify? boolean check the server's certificate and host name, default true

---@class fnlua.http.Options
---@field headers? table<string, string|number>
---@field query? table<string, string|number|(string|number)[]>
---@field body? string|table
---@field timeout? number
---@field max_body? integer
---@field redirects? integer
---@field verify? boolean

---@class fnlua.http.Response
---@field status integer the HTTP status: every status is a response, not an error
---@field headers table<string, string> lower-case names; repeated headers joined with ", "
---@field body string the bytes received (decompressed)

---One call.  `err` starts with its kind: "timeout", "dns", "connect", "tls",
---"too large", "protocol" or "cancelled".
---@param req fnlua.http.Request
---@return fnlua.http.Response|nil res
---@return string? err
function M.request(req) end

---Up to 256 requests at once; returns when every one has ended.  For each `i`
---exactly one of `responses[i]` and `errors[i]` is set: walk them with
---`for i = 1, #reqs`.
---@param reqs fnlua.http.Request[]
---@return table<integer, fnlua.http.Response> responses
---@return table<integer, string> errors
function M.request_all(reqs) end

---`http.request` with `url` and `method = "GET"`.
---@param url string
---@param opts? fnlua.http.Options
---@return fnlua.http.Response|nil res
---@return string? err
function M.get(url, opts) end

---`http.request` with `url`, `method = "POST"` and `body`.
---@param url string
---@param body? string|table
---@param opts? fnlua.http.Options
---@return fnlua.http.Response|nil res
---@return string? err
function M.post(url, body, opts) end

return M
