-- soak: every fifth invocation fails, each time in a different way (docs/errors.md).
local M = {}
local n = 0

local failures = {
  function() error("failure kind 1: a raised string") end,
  function() error({ code = 2, reason = "a raised table" }) end,
  function() return { body = { f = print } } end,                      -- ResultError: unencodable
  function() local t = {} for i = 1, 1e8 do t[i] = i end end,          -- MemoryLimitError
  function() local t = os.clock() while true do if os.clock() - t > 5 then break end end end, -- TimeoutError (X-CFF-Timeout: 1)
  function() local function f() return 1 + f() end return f() end,     -- stack overflow
}

function M.handler(event, context)
  n = n + 1
  if n % 5 == 0 then
    local kind = (n // 5) % #failures + 1
    return failures[kind]()
  end
  return { statusCode = 200, body = { ok = true, n = n, id = context:getRequestID(), echo = event.name } }
end

return M
