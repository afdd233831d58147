-- coroutines: waits and long computations inside coroutines the handler creates suspend or pause the invocation like code in the handler itself, and coroutine semantics are Lua's
local fnlua = require "fnlua"

local M = {}

local parked -- an invocation's own coroutine, kept while it sleeps (never do this)
local shared_gen -- a generator shared by invocations, waiting inside

local function spin(seconds)
  local stop = os.clock() + seconds
  while os.clock() < stop do end
end

function M.handler(event, context)
  if event.kind == "sleepy_iterator" then
    local gen = coroutine.wrap(function()
      for i = 1, 3 do
        fnlua.sleep(event.sleep)
        coroutine.yield(i)
      end
    end)
    local got = {}
    for i in gen do got[#got + 1] = i end
    return { body = { got = got, id = context:getRequestID() } }
  elseif event.kind == "busy_wrap" then
    return coroutine.wrap(function() spin(event.busy) return "done" end)()
  elseif event.kind == "semantics" then
    local co = coroutine.create(function(a)
      local b = coroutine.yield(a + 1)
      fnlua.sleep(0.01)
      error("boom " .. b, 0)
    end)
    local r = { coroutine.resume(co, 1) }
    local r2 = { coroutine.resume(co, 5) }
    local r3 = { coroutine.resume(co) }
    local okw, ew = pcall(coroutine.wrap(function() error({ code = 7 }) end))
    local nested = coroutine.wrap(function()
      return coroutine.wrap(function() fnlua.sleep(0.01) return "inner" end)() .. "+outer"
    end)()
    return { body = { r = r, r2 = r2, r3 = r3, wrapOk = okw, wrapCode = ew.code, nested = nested,
                      status = coroutine.status(co) } }
  elseif event.kind == "park" then
    parked = coroutine.running()
    fnlua.sleep(event.sleep)
    parked = nil
    return { body = { parked = "woke normally" } }
  elseif event.kind == "steal" then
    local okr, er = coroutine.resume(parked)
    local okc, ec = coroutine.close(parked)
    return { body = { resumeOk = okr, resumeErr = er, closeOk = okc, closeErr = ec } }
  elseif event.kind == "share_gen" then
    shared_gen = coroutine.wrap(function() fnlua.sleep(event.sleep) coroutine.yield("first") end)
    return { body = { got = shared_gen() } }
  elseif event.kind == "steal_gen" then
    local ok, err = pcall(shared_gen)
    return { body = { ok = ok, err = err } }
  end
  return { body = { ok = true } }
end

return M
