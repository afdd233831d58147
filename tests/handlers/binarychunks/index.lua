-- binarychunks: load() takes text only unless the handler asks for binary with a mode containing "b"; a corrupted precompiled chunk is an error, not a crash
local M = {}

local function victim(a)
  local t = { a, a + 1, "k" }
  return t[1] + #t
end

-- string.dump (stripped) with one instruction byte overwritten: what an attacker-supplied
-- "chunk" looks like; Lua's undump does not verify code, so running it used to crash
local function corrupted()
  local d = string.dump(victim, true)
  return d:sub(1, 35) .. "\255" .. d:sub(37)
end

function M.handler(event)
  local case = event.case
  if case == "dump" then -- a valid precompiled chunk, default mode
    local f, err = load(string.dump(victim))
    return { loaded = f ~= nil, err = err }
  elseif case == "corrupt" then -- a corrupted one, as an untrusted event could carry it
    local ok, f, err = pcall(load, corrupted())
    if ok and f then pcall(f, 1) end
    return { loaded = ok and f ~= nil, err = err }
  elseif case == "explicit" then -- the owner opts in to binary
    local f = assert(load(string.dump(victim), "victim", "b"))
    return { result = f(1) }
  elseif case == "text" then
    return { result = load("return 6 * 7")() }
  elseif case == "loadfile" then
    local path = os.tmpname()
    local fh = assert(io.open(path, "wb"))
    fh:write(string.dump(victim))
    fh:close()
    local f, err = loadfile(path)
    local ok, derr = pcall(dofile, path)
    os.remove(path)
    return { loaded = f ~= nil, err = err, dofile = ok, dofileErr = tostring(derr), loadstring = type(loadstring) }
  end
end

return M
