-- Tests of the module search path fnlua sets up: code directory first, then its lua_modules tree.
local check = require "check"

local T = {}

-- the code directory, found from where this runner was loaded
local function code_dir()
  local path = assert(package.searchpath("run", package.path))
  return (path:gsub("/run%.lua$", ""))
end

T["package.path -> starts with the code directory"] = function()
  local dir = code_dir()
  check.eq(dir:sub(1, 1), "/", "absolute code directory")
  check.eq(package.path:find(dir .. "/?.lua;", 1, true), 1, "code directory first")
  check.contains(package.path, dir .. "/?/init.lua", "package.path")
end

T["package.path -> has the lua_modules tree"] = function()
  local dir = code_dir()
  check.contains(package.path, dir .. "/lua_modules/share/lua/5.4/?.lua", "package.path")
  check.contains(package.path, dir .. "/lua_modules/share/lua/5.4/?/init.lua", "package.path")
end

T["package.cpath -> code directory and lua_modules C modules"] = function()
  local dir = code_dir()
  check.eq(package.cpath:find(dir .. "/?.so;", 1, true), 1, "code directory first")
  check.contains(package.cpath, dir .. "/lua_modules/lib/lua/5.4/?.so", "package.cpath")
end

T["error in a code file -> message names the file relative to the code directory"] = function()
  local ok, err = pcall(error, "boom", 1)
  check.eq(ok, false, "pcall")
  local ok2, err2 = pcall(function() error("boom") end)
  check.eq(ok2, false, "pcall")
  check.truthy(tostring(err2):find("^test_package%.lua:%d+: boom$"), "message " .. tostring(err2))
  check.eq(err, "boom", "level 1 from C keeps the text")
end

T["require of a missing fnlua module -> error naming it"] = function()
  check.raises("fnlua.does_not_exist", "missing module", require, "fnlua.does_not_exist")
end

T["os.exit -> error instead of stopping the server"] = function()
  check.raises("os.exit", "os.exit", os.exit, 0)
end

T["debug.sethook -> error (the deadline hook is reserved)"] = function()
  check.raises("debug.sethook", "sethook", debug.sethook, function() end, "", 0)
end

T["context argument -> the invocation's context"] = function(context)
  check.eq(type(context), "userdata", "context type")
  check.eq(type(context:getRequestID()), "string", "request id")
end

return T
