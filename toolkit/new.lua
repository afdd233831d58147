-- fnlua new DIR [--trigger apig|http|timer|smn|obs|kafka|dis|lts|cts] [--name NAME]
--
-- Writes a function that works at once into DIR (created; it must not hold
-- anything yet): index.lua for the trigger, event.json (the trigger's sample
-- event, toolkit/fixtures/<trigger>.json), spec/handler_spec.lua (busted,
-- run by `fnlua test`), .luacheckrc, .luarc.json (editor), a rockspec for
-- its dependencies, .gitignore, README.md, and the Dockerfile of its image
-- (toolkit/docker/, when present).  The templates are the files
-- of toolkit/templates/common/ and toolkit/templates/<trigger>/, with
-- {{name}} and a few other words replaced in their names and contents.
-- Exit status: 0 written, 2 usage (nothing written), 1 a write failed.
local tool = require "fnlua.tool"

local TRIGGERS = { "apig", "http", "timer", "smn", "obs", "kafka", "dis", "lts", "cts" }
local TITLES = {
  apig = "an event function behind an API Gateway (APIG) trigger",
  http = "an HTTP function",
  timer = "an event function run by a timer trigger",
  smn = "an event function subscribed to an SMN topic",
  obs = "an event function run by OBS bucket events",
  kafka = "an event function consuming a Kafka topic",
  dis = "an event function reading a DIS stream",
  lts = "an event function subscribed to LTS logs",
  cts = "an event function receiving CTS audit traces",
}

local USAGE = "usage: fnlua new DIR [--trigger " .. table.concat(TRIGGERS, "|") .. "] [--name NAME]\n"

local function usage_error(msg)
  io.stderr:write("fnlua new: ", msg, "\n")
  return 2
end

local dir, trigger, name
local i = 1
while i <= #arg do
  local a = arg[i]
  local flag, value = a:match("^(%-%-[%w-]+)=(.*)$")
  flag = flag or a
  if flag == "-h" or flag == "--help" then
    io.stdout:write(USAGE)
    return 0
  elseif flag == "--trigger" or flag == "-t" or flag == "--name" then
    if not value then
      value = arg[i + 1]
      i = i + 1
    end
    if not value then
      return usage_error(flag .. " needs a value")
    end
    if flag == "--name" then
      name = value
    else
      trigger = value
    end
  elseif a:sub(1, 1) == "-" then
    return usage_error("unknown option " .. a .. "\n" .. USAGE)
  elseif dir then
    return usage_error("one folder only (" .. dir .. ", " .. a .. ")")
  else
    dir = a
  end
  i = i + 1
end
if not dir then
  io.stderr:write(USAGE)
  return 2
end
trigger = trigger or "apig"
if not TITLES[trigger] then
  return usage_error("unknown trigger '" .. trigger .. "'; choose one of " .. table.concat(TRIGGERS, ", "))
end

local kind = tool.stat(dir)
if kind == "directory" then
  if #assert(tool.dir(dir)) > 0 then
    return usage_error(dir .. " is not empty; give a new or empty folder")
  end
elseif kind then
  return usage_error(dir .. " exists and is not a folder")
end

-- the rock's package name: the folder's name, in the letters LuaRocks takes
dir = dir:gsub("(.)/+$", "%1")
if not name then
  name = (dir:match("([^/]+)$") or "function"):lower():gsub("[^%w_-]", "-"):gsub("^[-_]+", "")
  if name == "" then
    name = "function"
  end
elseif not name:match("^[%w][%w_-]*$") then
  return usage_error("--name '" .. name .. "' must be letters, digits, '-' and '_'")
end

local vars = {
  name = name,
  trigger = trigger,
  trigger_title = TITLES[trigger],
  mode_flag = trigger == "http" and " --mode http" or "",
  curl = trigger == "http" and "curl -s -X POST -d @event.json localhost:8000/"
    or "curl -s -X POST -H 'Content-Type: application/json' -d @event.json localhost:8000/invoke",
  image_note = trigger == "http"
      and "\nAn HTTP function: set `FNLUA_MODE=http` in the image or in the function's environment.\n"
    or "",
  toolkit = tool.toolkit,
  libdir = tool.libdir,
}
local function subst(s)
  return (s:gsub("{{([%w_]+)}}", function(k)
    return vars[k]
  end))
end

local function read(path)
  local f = assert(io.open(path, "rb"))
  local s = f:read("a")
  f:close()
  return s
end

-- what goes where, in order: path in DIR -> contents
local files, order = {}, {}
local function add(rel, contents)
  if not files[rel] then
    order[#order + 1] = rel
  end
  files[rel] = contents
end
local function add_tree(src, rel)
  for _, entry in ipairs(assert(tool.dir(src))) do
    local from, to = src .. "/" .. entry, (rel and rel .. "/" or "") .. subst(entry)
    if tool.stat(from) == "directory" then
      add_tree(from, to)
    else
      add(to, subst(read(from)))
    end
  end
end
add_tree(tool.toolkit .. "/templates/common")
add_tree(tool.toolkit .. "/templates/" .. trigger)
add("event.json", read(tool.toolkit .. "/fixtures/" .. trigger .. ".json"))
add(".luacheckrc", read(tool.toolkit .. "/luacheckrc"))
if tool.stat(tool.toolkit .. "/luarc.json") == "file" then
  -- the definitions of this fnlua, wherever it is installed or checked out
  local luarc = read(tool.toolkit .. "/luarc.json"):gsub("/usr/share/fnlua/toolkit", (tool.toolkit:gsub("%%", "%%%%")))
  add(".luarc.json", subst(luarc))
end
-- the Docker build of the image (FROM fnlua's base, COPY the folder), when the toolkit has it
if tool.stat(tool.toolkit .. "/docker") == "directory" then
  for _, entry in ipairs(assert(tool.dir(tool.toolkit .. "/docker"))) do
    add(entry, read(tool.toolkit .. "/docker/" .. entry))
  end
end

local function mkdirs(path)
  local sofar = path:sub(1, 1) == "/" and "" or "."
  for part in path:gmatch("[^/]+") do
    sofar = sofar .. "/" .. part
    local ok, err = tool.mkdir(sofar)
    if not ok then
      error(err, 0)
    end
  end
end

local ok, err = pcall(function()
  mkdirs(dir)
  for _, rel in ipairs(order) do
    local parent = rel:match("^(.*)/[^/]+$")
    if parent then
      mkdirs(dir .. "/" .. parent)
    end
    local f, ferr = io.open(dir .. "/" .. rel, "wb")
    if not f then
      error(ferr, 0)
    end
    f:write(files[rel])
    f:close()
  end
end)
if not ok then
  io.stderr:write("fnlua new: ", tostring(err), "\n")
  return 1
end

table.sort(order)
io.stdout:write(string.format("created %s: %s (%s)\n", dir, name, TITLES[trigger]))
for _, rel in ipairs(order) do
  io.stdout:write("  ", rel, "\n")
end
io.stdout:write(string.format("next:\n  cd %s\n  fnlua test\n  fnlua invoke%s event.json\n", dir, vars.mode_flag))
return 0
