---@meta _
-- LuaLS definitions of the handler's context, its logger and the result
-- envelope (editor support only).  Annotate a handler with them:
--
--   ---@param event fnlua.event.APIG
--   ---@param context fnlua.Context
--   ---@return fnlua.Envelope
--   function M.handler(event, context) ... end

---The invocation's context: FunctionGraph's X-CFF-* headers, with the
---RUNTIME_* environment variables as fallback.  Valid only while its
---invocation runs.
---@class fnlua.Context
---@field headers table<string, string> every request header, under its lower-case name
local Context = {}

---X-CFF-Request-Id when it is 1 to 128 characters of A-Z a-z 0-9 . _ -,
---otherwise a random UUID; "-" in an initializer run without one.
---@return string
function Context:getRequestID() end

---Deadline − now in ms, at least 0 (deadline = arrival + timeout).
---@return integer
function Context:getRemainingTimeInMilliSeconds() end

---The timeout in seconds: X-CFF-Timeout, else --timeout.
---@return integer
function Context:getRunningTimeInSeconds() end

---Memory in MB: X-CFF-Memory, else --memory.
---@return integer
function Context:getMemorySize() end

---RUNTIME_CPU, else the CPUs available to the process.
---@return integer
function Context:getCPUNumber() end

---X-CFF-Func-Name (the text after the last "@"), else RUNTIME_FUNC_NAME.
---@return string?
function Context:getFunctionName() end

---X-CFF-Func-Version, else RUNTIME_FUNC_VERSION.
---@return string?
function Context:getVersion() end

---X-CFF-Package, else RUNTIME_PACKAGE.
---@return string?
function Context:getPackage() end

---X-CFF-Project-Id, else RUNTIME_PROJECT_ID.
---@return string?
function Context:getProjectID() end

---X-CFF-Region, else RUNTIME_REGION.
---@return string?
function Context:getRegion() end

---X-Cff-Origin-Version-Tag without its leading "!".
---@return string?
function Context:getAlias() end

---X-CFF-Invoke-Type: "sync" when absent.
---@return string
function Context:getInvokeType() end

---X-CFF-Security-Access-Key: the temporary access key (needs an agency).
---@return string?
function Context:getSecurityAccessKey() end

---X-CFF-Security-Secret-Key: its secret key.
---@return string?
function Context:getSecuritySecretKey() end

---X-CFF-Security-Token: the token temporary keys need.
---@return string?
function Context:getSecurityToken() end

---X-CFF-Auth-Token: an IAM token.
---@return string?
function Context:getToken() end

---X-CFF-Access-Key (deprecated by the platform).
---@return string?
---@deprecated
function Context:getAccessKey() end

---X-CFF-Secret-Key (deprecated by the platform).
---@return string?
---@deprecated
function Context:getSecretKey() end

---X-Cff-Workflow-Id.
---@return string?
function Context:getWorkflowID() end

---X-Cff-Workflow-Run-Id.
---@return string?
function Context:getWorkflowRunID() end

---X-Cff-Workflow-State-Id.
---@return string?
function Context:getWorkflowStateID() end

---The environment variable `key` (the function's environment variables).
---@param key string
---@return string?
function Context:getUserData(key) end

---PAAS_POD_ID, POD_NAME, HOSTNAME, else the host name.
---@return string?
function Context:getInstanceID() end

---The invocation's logger.
---@return fnlua.Logger
function Context:getLogger() end

---Writes one line per call, `<time> <request id> LEVEL file:line message`;
---with arguments, the message is `string.format(fmt, ...)`.
---@class fnlua.Logger
local Logger = {}

---@param fmt any
---@param ... any
function Logger:debug(fmt, ...) end

---@param fmt any
---@param ... any
function Logger:info(fmt, ...) end

---@param fmt any
---@param ... any
function Logger:warn(fmt, ...) end

---@param fmt any
---@param ... any
function Logger:error(fmt, ...) end

---What a handler returns for an APIG trigger or an HTTP function (any other
---value is the body of a 200 answer).
---@class fnlua.Envelope
---@field statusCode? integer 200 to 599, default 200
---@field headers? table<string, string|number|boolean|(string|number|boolean)[]>
---@field body? string|table|number|boolean a table is JSON-encoded
---@field isBase64Encoded? boolean body is already base64

---A handler: `function M.handler(event, context)`.
---@alias fnlua.Handler fun(event: any, context: fnlua.Context): any
