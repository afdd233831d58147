-- Assertions for the tests in tests/lua-builtins: strict equality (integer ~= float), errors with both values.
local check = {}

local function show(v)
  if type(v) == "string" then
    return string.format("%q", v)
  elseif math.type(v) == "float" then
    return string.format("%.17g (float)", v)
  elseif math.type(v) == "integer" then
    return tostring(v) .. " (integer)"
  end
  return tostring(v)
end

-- got == want, with the same type and, for numbers, the same math.type
function check.eq(got, want, what)
  if type(got) ~= type(want) or math.type(got) ~= math.type(want) or got ~= want then
    error(string.format("%s: got %s, want %s", what or "value", show(got), show(want)), 2)
  end
end

function check.truthy(v, what)
  if not v then
    error(string.format("%s: got %s, want a true value", what or "condition", show(v)), 2)
  end
end

-- f(...) raises an error whose message contains plain text `needle`
function check.raises(needle, what, f, ...)
  local ok, err = pcall(f, ...)
  if ok then
    error(string.format("%s: no error raised, want one containing %q", what, needle), 2)
  end
  if not tostring(err):find(needle, 1, true) then
    error(string.format("%s: error %s does not contain %q", what, show(tostring(err)), needle), 2)
  end
end

-- s contains plain text `needle`
function check.contains(s, needle, what)
  if type(s) ~= "string" or not s:find(needle, 1, true) then
    error(string.format("%s: %s does not contain %q", what or "text", show(s), needle), 2)
  end
end

return check
