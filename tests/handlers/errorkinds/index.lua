-- errorkinds: errors from coroutines, re-raised by pcall/xpcall, objects with __tostring, stack overflow, deep results → clean 500s naming index.lua:line
local M = {}

local Err = {}
Err.__index = Err
Err.__tostring = function(self) return "MyError(" .. self.code .. "): " .. self.text end

local function recurse(n)
  return 1 + recurse(n + 1) -- RECURSE:nontail
end

-- recursion through C functions (string.gsub calling back into Lua): the C stack, not the Lua stack
local function through_c(s)
  return (s:gsub(".", through_c)) -- RECURSE:cstack
end

-- recursion through a metamethod
local looping = setmetatable({}, { __index = function(t, k) return t[k] end }) -- RECURSE:index

local function nested(depth)
  local root = {}
  local t = root
  for _ = 1, depth do
    local child = {}
    t.next = child
    t = child
  end
  return root
end

function M.handler(event)
  local case = event.case
  if case == "coroutine" then
    local co = coroutine.create(function()
      error("boom in coroutine") -- RAISE:coroutine
    end)
    local ok, err = coroutine.resume(co)
    error(err, 0) -- the coroutine's message (with its position) passed on as is
  elseif case == "wrap" then
    local f = coroutine.wrap(function()
      coroutine.yield(1)
      error("boom in wrapped coroutine") -- RAISE:wrap
    end)
    f()
    f() -- CALL:wrap
  elseif case == "reraise" then
    local ok, err = pcall(function()
      error("first failure") -- RAISE:reraise
    end)
    error(err, 0) -- RERAISE:plain
  elseif case == "reraise_wrapped" then
    local ok, err = pcall(function() error("inner") end)
    error("outer: " .. err) -- RAISE:wrapped
  elseif case == "xpcall_reraise" then
    local ok, err = xpcall(function()
      local x = nil
      return x.y -- RAISE:xpcall
    end, function(m) return m end)
    error(err, 0)
  elseif case == "tostring_object" then
    error(setmetatable({ code = 42, text = "object with __tostring" }, Err)) -- RAISE:tostring
  elseif case == "tostring_raises" then
    error(setmetatable({}, { __tostring = function() error("tostring itself fails") end })) -- RAISE:badtostring
  elseif case == "tostring_nonstring" then
    error(setmetatable({}, { __tostring = function() return 17 end })) -- RAISE:nonstringtostring
  elseif case == "boolean" then
    error(false) -- RAISE:boolean
  elseif case == "recursion" then
    return recurse(1)
  elseif case == "cstack" then
    return through_c("x")
  elseif case == "index" then
    return looping.anything
  elseif case == "pcall_recursion" then
    -- a stack overflow caught by the handler itself, then a normal answer
    local ok, err = pcall(recurse, 1)
    return { body = { caught = not ok, message = tostring(err):sub(1, 200) } }
  elseif case == "deep_result" then
    return { body = nested(event.depth or 1000) }
  elseif case == "deep_result_direct" then
    return nested(event.depth or 1000)
  end
  return "ok"
end

return M
