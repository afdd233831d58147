---@meta fnlua.testing
-- `require "fnlua.testing"` in busted specs run by `fnlua test`: each
-- invoke() runs the handler in a fresh fnlua runtime (docs/toolkit.md).

---@class fnlua.testing.Options
---@field timeout? integer seconds: the deadline (X-CFF-Timeout, --timeout)
---@field memory? integer MB: the memory size and Lua memory budget (X-CFF-Memory, --memory)
---@field request_id? string X-CFF-Request-Id
---@field headers? table<string, string> more request headers
---@field context? fnlua.testing.Context its X-CFF-* headers and user data
---@field user_data? table<string, string> environment variables during the call (context:getUserData)
---@field handler? string "module.function", default "index.handler"
---@field dir? string the code directory, default the folder under test
---@field mode? "event"|"http"
---@field method? string an HTTP function's request method
---@field path? string an HTTP function's path and query ("/x?a=1")

---@class fnlua.testing.ContextValues
---@field request_id? string
---@field function_name? string
---@field version? string
---@field package? string
---@field project_id? string
---@field region? string
---@field timeout? integer
---@field memory? integer
---@field cpu? integer
---@field alias? string
---@field invoke_type? string
---@field access_key? string
---@field secret_key? string
---@field security_token? string
---@field auth_token? string
---@field user_data? table<string, string>

---@class fnlua.testing.Info
---@field ok boolean the invocation succeeded
---@field status integer the HTTP status fnlua answers with
---@field raw string the answer's exact bytes
---@field errorType? string "HandlerError", "TimeoutError", "MemoryLimitError", ...

---The answer, decoded: an envelope (with `json`, the body decoded when it is
---JSON), an error object, another JSON value, or the answer's text.
---@class fnlua.testing.Result
---@field statusCode? integer
---@field headers? table<string, string|string[]>
---@field body? string the body, base64-decoded when isBase64Encoded
---@field isBase64Encoded? boolean
---@field json? any the body decoded, when it is JSON
---@field errorType? string
---@field errorMessage? string
---@field stackTrace? string[]

---@class fnlua.testing
---@field json fnlua.json the runtime's exact JSON codec
---@field dir string? the folder under test (set by `fnlua test`)
local M = {}

---Runs one event through a fresh fnlua runtime (/init, then the event).
---@param event table|string|nil a table (encoded as JSON), a raw body, or nil
---@param opts? fnlua.testing.Options
---@return fnlua.testing.Result|string r
---@return fnlua.testing.Info info
function M.invoke(event, opts) end

---A stand-in context with chosen values, and the X-CFF-* headers that give
---a real invocation the same ones (`invoke(event, {context = ctx})`).
---@param values? fnlua.testing.ContextValues
---@return fnlua.testing.Context
function M.context(values) end

---The sample event of a trigger: apig, http, timer, smn, obs, kafka, dis, lts, cts.
---@param trigger string
---@return table
function M.fixture(trigger) end

---The event in a JSON file.
---@param path string
---@return table
function M.event(path) end

---@class fnlua.testing.Context: fnlua.Context
---@field headers table<string, string> the X-CFF-* headers of the chosen values
---@field values table the values given
local Context = {}

---@return string
function Context:getRequestID() end
---@return integer
function Context:getRunningTimeInSeconds() end
---@return integer
function Context:getRemainingTimeInMilliSeconds() end
---@return integer
function Context:getMemorySize() end
---@return integer?
function Context:getCPUNumber() end
---@return string?
function Context:getFunctionName() end
---@return string?
function Context:getVersion() end
---@return string?
function Context:getPackage() end
---@return string?
function Context:getProjectID() end
---@return string?
function Context:getRegion() end
---@return string?
function Context:getAlias() end
---@return string
function Context:getInvokeType() end
---@return string?
function Context:getSecurityAccessKey() end
---@return string?
function Context:getSecuritySecretKey() end
---@return string?
function Context:getSecurityToken() end
---@return string?
function Context:getToken() end
---@param key string
---@return string?
function Context:getUserData(key) end
---A logger writing "LEVEL message" lines to stderr.
---@return fnlua.Logger
function Context:getLogger() end

return M
