-- patterns: a backtracking pattern match on untrusted input stops at the deadline (even under pcall); ordinary matching is unchanged
local M = {}

-- Quadratic or worse in the standard matcher: the trim ran 29 s on these 80 KB.
local spaced = "x" .. string.rep(" ", 80 * 1024) .. "x"
local spaces = string.rep(" ", 80 * 1024)

local stuck = {
  trim = function() return spaced:match("^%s*(.-)%s*$") end,
  trim_pcall = function()
    local ok, err = pcall(string.match, spaced, "^%s*(.-)%s*$")
    return { caught = tostring(err), ok = ok } -- not reached: the timeout is re-raised at once
  end,
  gsub = function() return (spaces:gsub("%s*x", "")) end,
  gsub_function = function() return (spaces:gsub("%s-x", function() return "" end)) end,
  gmatch = function()
    local n = 0
    for _ in spaces:gmatch(".-.-x") do n = n + 1 end
    return n
  end,
}

function M.handler(event)
  if stuck[event.kind] then return { body = { result = stuck[event.kind]() } } end
  -- ordinary matching: the same answers as the standard library's
  local s = "  key = value ; other=2  "
  local k, v = s:match("^%s*(%w+)%s*=%s*(%w+)")
  local words = {}
  for w in ("one two  three"):gmatch("%a+") do words[#words + 1] = w end
  local replaced, count = ("hello world"):gsub("o", { o = "0" })
  return {
    body = {
      trim = s:match("^%s*(.-)%s*$"),
      key = k, value = v,
      find = { ("a.b.c"):find(".", 1, true), ("a.b.c"):find("%.(%a)") },
      words = words,
      gsub = replaced, count = count,
      balanced = ("f(a(b)c) d"):match("%b()"),
      frontier = select(2, ("THE (quick) fox"):gsub("%f[%a]%a+", "W")),
      positions = { ("hello"):match("()ll()") },
    },
  }
end

return M
