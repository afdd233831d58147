-- rest-retry: a REST call retried with exponential back-off and jitter (fnlua.sleep), never past the deadline.
local fnlua = require "fnlua"
local http = require "fnlua.http"
local json = require "fnlua.json"

local M = {}

local MAX_BACKOFF = 5   -- seconds: the longest wait between two attempts (unless the API asks for more)
local MIN_ATTEMPT = 0.2 -- seconds: an attempt with less time than this is not worth starting
local SPARE = 0.1       -- seconds kept back to log and answer after the last attempt

-- A number from an environment variable, or its default; a bad value fails the init.
local function setting(context, name, default, min)
  local raw = context:getUserData(name)
  if raw == nil or raw == "" then
    return default
  end
  local v = tonumber(raw)
  if not v or v < min then
    error(string.format("%s must be a number >= %s, got %q", name, min, raw), 0)
  end
  return v
end

-- Read once per Lua state: every invocation of this state uses the same settings.
function M.initializer(context)
  local url = context:getUserData("API_URL")
  if type(url) ~= "string" or not url:match("^https?://[^/]") then
    error("API_URL must be the API's http:// or https:// address, got " .. string.format("%q", tostring(url)), 0)
  end
  M.base_url = url:gsub("/+$", "")
  M.max_attempts = math.tointeger(setting(context, "API_MAX_ATTEMPTS", 4, 1))
  if not M.max_attempts then
    error("API_MAX_ATTEMPTS must be a whole number", 0)
  end
  M.attempt_timeout = setting(context, "API_ATTEMPT_TIMEOUT", 5, 0.1)
  M.backoff = setting(context, "API_BACKOFF", 0.2, 0)
end

-- Seconds this invocation may still spend. getRemainingTimeInMilliSeconds()
-- counts to the platform's deadline; fnlua ends the invocation a little
-- earlier (5 % of the timeout, at most 1 s), so that margin is not ours.
local function time_left(context)
  local margin = math.min(1, 0.05 * context:getRunningTimeInSeconds())
  return context:getRemainingTimeInMilliSeconds() / 1000 - margin - SPARE
end

-- "Full jitter": a random wait up to base * 2^(attempt-1), capped, so that
-- many callers that failed together do not all come back together. A
-- Retry-After of n seconds (429, 503) is a floor.
local function backoff(attempt, retry_after)
  local wait = math.random() * math.min(MAX_BACKOFF, M.backoff * 2 ^ (attempt - 1))
  if retry_after and retry_after > wait then
    wait = retry_after
  end
  return wait
end

-- Failures that may go away by themselves. dns, tls, too large and protocol
-- errors, and 4xx answers other than 429, would be the same next time.
local function transient(res, err)
  if not res then
    return err:find("^timeout") ~= nil or err:find("^connect") ~= nil
  end
  return res.status == 429 or res.status >= 500
end

local function describe(res, err)
  if not res then
    return err
  end
  local text = res.body:sub(1, 200):gsub("%s+", " ")
  return text ~= "" and string.format("HTTP %d: %s", res.status, text) or "HTTP " .. res.status
end

-- GET url with retries. Returns the decoded JSON and the number of attempts,
-- or raises an error that says what happened to the last attempt.
local function get_json(url, query, context)
  local log = context:getLogger()
  local why
  local attempt = 0
  while attempt < M.max_attempts do
    local left = time_left(context)
    if left < MIN_ATTEMPT then
      why = (why and why .. "; " or "") .. "no time left for another attempt before the deadline"
      break
    end
    attempt = attempt + 1
    -- the attempt's own timeout ends it before the invocation's deadline, so
    -- a slow API is an error we can report, not a TimeoutError of the function
    local res, err = http.request({
      url = url,
      query = query,
      headers = { Accept = "application/json" },
      timeout = math.min(M.attempt_timeout, left),
    })
    if res and res.status >= 200 and res.status < 300 then
      if res.body == "" then
        return json.null, attempt
      end
      local ok, data = pcall(json.decode, res.body)
      if not ok then
        error(string.format("GET %s answered %d but not with JSON: %s", url, res.status, data), 0)
      end
      return data, attempt
    end
    why = describe(res, err)
    if not transient(res, err) then
      error(string.format("GET %s failed: %s (not retried)", url, why), 0)
    end
    if attempt < M.max_attempts then
      local wait = backoff(attempt, res and tonumber(res.headers["retry-after"]))
      if time_left(context) - wait < MIN_ATTEMPT then
        why = why .. "; no time left for another attempt before the deadline"
        break
      end
      log:warn("attempt %d of %d: %s; retrying in %.2f s", attempt, M.max_attempts, why, wait)
      -- the invocation is suspended meanwhile: the Lua state serves others
      fnlua.sleep(wait)
    end
  end
  error(string.format("GET %s failed after %d attempt(s): %s", url, attempt, why), 0)
end

function M.handler(event, context)
  local path, query = event.path or "", event.query
  if type(path) ~= "string" or (path ~= "" and path:sub(1, 1) ~= "/") then
    return { statusCode = 400, body = { error = 'field "path" must be a string that starts with "/"' } }
  end
  if query ~= nil and type(query) ~= "table" then
    return { statusCode = 400, body = { error = 'field "query" must be an object' } }
  end
  local data, attempts = get_json(M.base_url .. path, query, context)
  context:getLogger():info("GET %s answered after %d attempt(s)", path, attempts)
  -- a table of our own: the API's object could itself hold "statusCode" or
  -- "body", which would be read as the envelope's
  return { attempts = attempts, data = data }
end

return M
