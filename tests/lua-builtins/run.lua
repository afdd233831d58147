-- Runs every test file of what the runtime gives every Lua state (its C modules,
-- the module search) inside the real runtime; fails (exit 1) if any test fails:
--   fnlua invoke --dir tests/lua-builtins --handler run.handler
-- Each test_*.lua returns a table of named test functions (called with the context).
local M = {}

local FILES = {
  "test_json",
  "test_base64",
  "test_cjson",
  "test_package",
  "test_crypto",
}

-- Runs one test; returns true, or false and the error with its traceback.
local function run_one(f, context)
  return xpcall(f, function(e) return debug.traceback(tostring(e), 2) end, context)
end

function M.handler(event, context)
  -- the runner must itself notice a failing test, or every report below means nothing
  assert(not run_one(function() error("deliberate") end), "runner cannot see a failing test")
  assert(run_one(function() end), "runner cannot see a passing test")

  local passed, failed = 0, {}
  for _, file in ipairs(FILES) do
    local ok, tests = pcall(require, file)
    if not ok or type(tests) ~= "table" then
      failed[#failed + 1] = file
      print(string.format("FAIL %s: cannot load the test file: %s", file, tostring(tests)))
    else
      local names = {}
      for name in pairs(tests) do names[#names + 1] = name end
      table.sort(names)
      for _, name in ipairs(names) do
        local ok2, err = run_one(tests[name], context)
        if ok2 then
          passed = passed + 1
          print(string.format("ok   %s: %s", file, name))
        else
          failed[#failed + 1] = file .. ": " .. name
          print(string.format("FAIL %s: %s\n%s", file, name, err))
        end
      end
    end
  end
  if #failed > 0 then
    error(string.format("%d of %d Lua tests failed: %s", #failed, passed + #failed, table.concat(failed, "; ")), 0)
  end
  if passed == 0 then
    error("no Lua tests ran", 0)
  end
  print(string.format("lua tests: %d passed", passed))
  return { statusCode = 200, body = { passed = passed, failed = 0 } }
end

return M
