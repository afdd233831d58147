---@meta fnlua.crypto
-- `require "fnlua.crypto"`: hashes and HMAC (mbed TLS), random bytes (the kernel).

---@class fnlua.crypto
local M = {}

---SHA-256 of `s`: 32 raw bytes.
---@param s string
---@return string
function M.sha256(s) end

---HMAC-SHA256 of `s` with `key`: 32 raw bytes.
---@param key string
---@param s string
---@return string
function M.hmac_sha256(key, s) end

---Lower-case hex of the bytes of `s`.
---@param s string
---@return string
function M.hex(s) end

---`n` bytes (0 to 1048576) from the kernel's secure random generator.
---@param n integer
---@return string
function M.random(n) end

return M
