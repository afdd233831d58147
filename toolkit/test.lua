-- fnlua test [DIR] [--output tap|junit|plain] [busted options]
--
-- Runs the folder's busted specs (spec/**/*_spec.lua) with Debian's
-- lua-busted.  The specs run in this Lua state; each
-- require("fnlua.testing").invoke() runs the handler in a fresh fnlua runtime
-- (see lua/fnlua/testing.lua).  Exit status: 0 every test passed, 1 a test
-- failed or errored, 2 usage.
local tool = require "fnlua.tool"

local USAGE = [[
usage: fnlua test [DIR] [--output tap|junit|plain] [busted options]

Runs DIR's busted specs (spec/**/*_spec.lua; DIR defaults to the current
folder) with require "fnlua.testing" running the handler inside fnlua's
runtime.  --output: tap (TAP), junit (JUnit XML on stdout), plain (text);
other options go to busted: --filter PATTERN, --filter-out PATTERN,
--tags T, --exclude-tags T, --pattern P, --shuffle, --seed N, --verbose,
--keep-going, -Xoutput ARG (e.g. -Xoutput junit.xml: JUnit into that file).
Exit status: 0 all passed, 1 a test failed or errored (no spec found counts),
2 usage.
]]

local OUTPUTS = { tap = "TAP", junit = "junit", plain = "plainTerminal", utf = "utfTerminal", json = "json" }

local dir, output
local rest = {}
local i = 1
if arg[1] and arg[1]:sub(1, 1) ~= "-" then -- DIR comes first, if given
  dir = arg[1]
  i = 2
end
while i <= #arg do
  local a = arg[i]
  if a == "-h" or a == "--help" then
    io.stdout:write(USAGE)
    return 0
  elseif a == "--output" or a == "-o" then
    output = arg[i + 1]
    if not output then
      io.stderr:write("fnlua test: --output needs a value: tap, junit or plain\n")
      return 2
    end
    i = i + 1
  elseif a:match("^%-%-output=") then
    output = a:sub(10)
  else
    rest[#rest + 1] = a
  end
  i = i + 1
end

if output then
  if not OUTPUTS[output] then
    io.stderr:write("fnlua test: --output '" .. output .. "' is not tap, junit or plain\n")
    return 2
  end
  output = OUTPUTS[output]
end

dir = dir or "."
local absdir, err = tool.realpath(dir)
if not absdir or tool.stat(absdir) ~= "directory" then
  io.stderr:write("fnlua test: no folder " .. dir .. (err and (" (" .. err .. ")") or "") .. "\n")
  return 2
end

-- Module search: the function's own (code dir, its LuaRocks tree, fnlua's
-- library), then busted and its modules from the system's Lua 5.4 folders.
-- The handler itself never sees the system's folders: fnlua.testing.invoke
-- loads it in a runtime state with the server's exact search.
local sys_path, sys_cpath = {}, {}
for p in package.path:gmatch("[^;]+") do
  if p:match("^/usr/") then sys_path[#sys_path + 1] = p end
end
for p in package.cpath:gmatch("[^;]+") do
  if p:match("^/usr/") then sys_cpath[#sys_cpath + 1] = p end
end
package.path = table.concat({
  absdir .. "/?.lua", absdir .. "/?/init.lua",
  absdir .. "/lua_modules/share/lua/5.4/?.lua", absdir .. "/lua_modules/share/lua/5.4/?/init.lua",
  tool.libdir .. "/?.lua",
  table.concat(sys_path, ";"),
}, ";")
package.cpath = table.concat({
  absdir .. "/?.so", absdir .. "/lua_modules/lib/lua/5.4/?.so",
  table.concat(sys_cpath, ";"),
}, ";")

local have_busted = pcall(require, "busted.runner")
if not have_busted then
  io.stderr:write("fnlua test: busted is not installed (Debian: apt install lua-busted)\n")
  return 2
end

require("fnlua.testing").dir = absdir

-- busted's own command line: the folder, the output, then what was left
local bargs = { [0] = "fnlua test", "--directory=" .. absdir }
if output then
  bargs[#bargs + 1] = "--output=" .. output
end
for _, a in ipairs(rest) do
  bargs[#bargs + 1] = a
end

-- a usage error is 2 (busted itself says 1): check the options first
local options = require "busted.options"
local cli = require("busted.modules.cli")(options)
cli:set_name("fnlua test")
local parsed, perr = cli:parse(bargs)
if not parsed then
  io.stderr:write(perr, "\n")
  return 2
end
if parsed.help then
  return 0
end

arg = bargs -- luacheck: ignore (busted reads the global)
-- busted ends with os.exit(1) when a test failed, and returns when all passed
require "busted.runner"({ standalone = false })
return 0
