---@meta fnlua.hwcloud
-- `require "fnlua.hwcloud"`: AK/SK signing (SDK-HMAC-SHA256) of requests to
-- Huawei Cloud APIs.

---@class fnlua.hwcloud
local M = {}

---"SDK-HMAC-SHA256"
M.ALGORITHM = "SDK-HMAC-SHA256"

---@class fnlua.hwcloud.Credentials
---@field access_key string
---@field secret_key string
---@field security_token? string

---Signs `req` in place (X-Sdk-Date, Host, X-Security-Token, Authorization)
---and returns it.  `creds` is the context (its temporary keys) or a table.
---@param req fnlua.http.Request
---@param creds fnlua.Context|fnlua.hwcloud.Credentials
---@return fnlua.http.Request
function M.sign(req, creds) end

---The canonical request text and the signed header names of a request as
---`sign` leaves it.
---@param req fnlua.http.Request
---@return string canonical_request
---@return string signed_headers
function M.canonical_request(req) end

---`"SDK-HMAC-SHA256\n" .. sdk_date .. "\n" .. hex(sha256(canonical_request))`
---@param canonical_request string
---@param sdk_date string
---@return string
function M.string_to_sign(canonical_request, sdk_date) end

---Lower-case hex HMAC-SHA256.
---@param secret_key string
---@param string_to_sign string
---@return string
function M.signature(secret_key, string_to_sign) end

return M
