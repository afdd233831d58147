-- check: the assertions tests/lua-library uses; each raises with both values shown.
local json = require "fnlua.json"

local M = {}

local function show(v)
  if type(v) == "string" then
    return string.format("%q", v)
  end
  if type(v) == "table" then
    local ok, s = pcall(json.encode, v)
    if ok then
      return s
    end
  end
  return tostring(v)
end

local function deep_equal(a, b)
  if a == b then
    return true
  end
  if type(a) ~= "table" or type(b) ~= "table" then
    return false
  end
  for k, v in pairs(a) do
    if not deep_equal(v, b[k]) then
      return false
    end
  end
  for k in pairs(b) do
    if a[k] == nil then
      return false
    end
  end
  return true
end

function M.eq(got, want, what)
  if not deep_equal(got, want) then
    error(string.format("%s: got %s, want %s", what or "value", show(got), show(want)), 2)
  end
end

function M.truthy(v, what)
  if not v then
    error((what or "value") .. ": expected a true value, got " .. show(v), 2)
  end
end

-- fn(...) must raise an error whose message contains `fragment` (plain text)
function M.raises(fragment, fn, ...)
  local ok, err = pcall(fn, ...)
  if ok then
    error("expected an error containing " .. show(fragment) .. ", none raised", 2)
  end
  if not tostring(err):find(fragment, 1, true) then
    error("error " .. show(tostring(err)) .. " does not contain " .. show(fragment), 2)
  end
end

return M
