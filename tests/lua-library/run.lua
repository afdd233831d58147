-- run: a handler that runs every suite of the Lua library's tests (lua/fnlua/*.lua)
-- and raises when a test failed, so
-- `fnlua invoke --dir tests/lua-library --handler run.handler` exits 0 only when all pass.
local M = {}

-- each suite module returns an array of { "name", function() ... end }
M.suites = { "test_apig", "test_router", "test_url", "test_hwcloud" }

function M.handler(event, context)
  local passed, failed, failures = 0, 0, {}
  for _, suite in ipairs(M.suites) do
    local ok, tests = pcall(require, suite)
    if not ok then
      failed = failed + 1
      failures[#failures + 1] = suite
      print(string.format("FAIL %s: cannot load: %s", suite, tests))
    else
      for _, t in ipairs(tests) do
        local name, fn = t[1], t[2]
        local tok, err = xpcall(fn, debug.traceback)
        if tok then
          passed = passed + 1
          print(string.format("ok   %s: %s", suite, name))
        else
          failed = failed + 1
          failures[#failures + 1] = suite .. ": " .. name
          print(string.format("FAIL %s: %s: %s", suite, name, err))
        end
      end
    end
  end
  print(string.format("%d passed, %d failed", passed, failed))
  if failed > 0 then
    error(string.format("%d of %d Lua tests failed: %s", failed, passed + failed, table.concat(failures, "; ")), 0)
  end
  return { passed = passed, failed = failed }
end

return M
