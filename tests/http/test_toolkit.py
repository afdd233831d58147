"""The toolkit: `fnlua new`, `fnlua test` (busted inside the runtime), LuaRocks.

Every test works in a scratch folder outside the checkout and runs the real
binary, Debian's busted, luacheck and luarocks:
  - a folder scaffolded for every trigger passes `fnlua test` (TAP, JUnit),
    `fnlua invoke event.json` and luacheck out of the box;
  - `fnlua new` refuses a non-empty folder and an unknown trigger (exit 2);
  - a failing spec is exit 1 with TAP "not ok" and a JUnit <failure>;
  - fnlua.testing reports a handler past its deadline or memory budget as
    TimeoutError / MemoryLimitError, and hands the chosen X-CFF-* values,
    user data and HTTP request to the real context;
  - a pure-Lua rock and a rock with a C module, built from tests/rocks with
    luarocks (no network), load in `fnlua test` and `fnlua invoke`.
"""

import json
import os
import re
import shutil
import subprocess
import tempfile
import unittest
import xml.etree.ElementTree as ET
from pathlib import Path

from harness import REPO, decode, run_cli

TRIGGERS = ["apig", "http", "timer", "smn", "obs", "kafka", "dis", "lts", "cts"]
ROCKS = REPO / "tests" / "rocks"


def need(*tools):
    missing = [t for t in tools if not shutil.which(t)]
    if missing:
        raise unittest.SkipTest(f"needs {', '.join(missing)} (tools/deps test installs them)")


class Scratch(unittest.TestCase):
    def setUp(self):
        self.tmp = Path(tempfile.mkdtemp(prefix="fnlua-toolkit-"))
        self.addCleanup(shutil.rmtree, self.tmp, True)

    def new(self, name, *args):
        cp = run_cli(["new", self.tmp / name, *args], cwd=self.tmp)
        self.assertEqual(cp.returncode, 0, decode(cp))
        return self.tmp / name

    def fnlua_test(self, folder, *args, timeout=30.0):
        return run_cli(["test", *args], cwd=folder, timeout=timeout)


class TestScaffold(Scratch):
    def test_every_trigger_works_at_once(self):
        need("busted", "luacheck")
        for trigger in TRIGGERS:
            with self.subTest(trigger=trigger):
                d = self.new(f"{trigger}-fn", "--trigger", trigger)
                files = sorted(str(p.relative_to(d)) for p in d.rglob("*") if p.is_file())
                for f in ["index.lua", "event.json", "spec/handler_spec.lua", ".luacheckrc", ".gitignore",
                          "README.md", f"{trigger}-fn-dev-1.rockspec"]:
                    self.assertIn(f, files)
                # the sample event is the toolkit's fixture, byte for byte
                self.assertEqual((d / "event.json").read_bytes(),
                                 (REPO / "toolkit" / "fixtures" / f"{trigger}.json").read_bytes())
                self.assertIn(f"{trigger}-fn", (d / "README.md").read_text())

                cp = self.fnlua_test(d, "--output", "tap")
                out, err = decode(cp)
                self.assertEqual(cp.returncode, 0, out + err)
                self.assertRegex(out, r"(?m)^1\.\.\d+$")
                self.assertNotIn("not ok", out)
                self.assertGreaterEqual(out.count("\nok ") + out.startswith("ok "), 1)

                mode = ["--mode", "http"] if trigger == "http" else []
                cp = run_cli(["invoke", *mode, "event.json"], cwd=d)
                out, err = decode(cp)
                self.assertEqual(cp.returncode, 0, out + err)
                self.assertEqual(json.loads(out)["statusCode"], 200)

                lc = subprocess.run(["luacheck", "--no-color", "."], cwd=d, capture_output=True, text=True)
                self.assertEqual(lc.returncode, 0, lc.stdout + lc.stderr)

    def test_editor_settings_point_at_this_fnlua(self):
        if not (REPO / "toolkit" / "luarc.json").is_file():
            self.skipTest("this fnlua ships no toolkit/luarc.json")
        d = self.new("edit")
        luarc = json.loads((d / ".luarc.json").read_text())
        for lib in luarc.get("workspace.library", []):
            self.assertTrue(Path(lib).is_dir(), lib)

    def test_name_is_substituted(self):
        d = self.new("Orders API")
        self.assertTrue((d / "orders-api-dev-1.rockspec").is_file())
        self.assertIn('package = "orders-api"', (d / "orders-api-dev-1.rockspec").read_text())
        self.assertNotIn("{{", (d / "index.lua").read_text() + (d / "README.md").read_text())

    def test_refuses_a_folder_that_is_not_empty(self):
        d = self.tmp / "busy"
        d.mkdir()
        (d / "keep.txt").write_text("mine")
        cp = run_cli(["new", d], cwd=self.tmp)
        out, err = decode(cp)
        self.assertEqual(cp.returncode, 2)
        self.assertEqual(len(err.strip().splitlines()), 1, err)
        self.assertIn("not empty", err)
        self.assertEqual(sorted(p.name for p in d.iterdir()), ["keep.txt"])

    def test_refuses_an_unknown_trigger(self):
        cp = run_cli(["new", self.tmp / "x", "--trigger", "sqs"], cwd=self.tmp)
        out, err = decode(cp)
        self.assertEqual(cp.returncode, 2)
        for t in TRIGGERS:
            self.assertIn(t, err)
        self.assertFalse((self.tmp / "x").exists())

    def test_needs_a_folder(self):
        cp = run_cli(["new"], cwd=self.tmp)
        self.assertEqual(cp.returncode, 2)
        self.assertIn("usage: fnlua new DIR", decode(cp)[1])


# A folder with a handler that misbehaves on request, and specs about it.
PROBE = r'''
local M = {}
function M.initializer(context)
  M.init_id = context:getRequestID()
end
function M.handler(event, context)
  if event.loop then while true do end end
  if event.eat then
    local t = {}
    for i = 1, 1e8 do t[i] = ("x"):rep(64) .. i end
  end
  if event.fail then error("asked to fail") end
  return {
    name = context:getFunctionName(), id = context:getRequestID(), memory = context:getMemorySize(),
    timeout = context:getRunningTimeInSeconds(), version = context:getVersion(),
    greeting = context:getUserData("GREETING"), n = event.n, mt = math.type(event.n),
  }
end
return M
'''

PROBE_SPEC = r'''
local testing = require "fnlua.testing"
describe("probe", function()
  it("stops a handler past its deadline", function()
    local r, info = testing.invoke({ loop = true }, { timeout = 1 })
    assert.is_false(info.ok)
    assert.equal(500, info.status)
    assert.equal("TimeoutError", r.errorType)
    assert.equal("TimeoutError", info.errorType)
  end)
  it("stops a handler past its memory budget", function()
    local r = testing.invoke({ eat = true }, { memory = 64 })
    assert.equal("MemoryLimitError", r.errorType)
  end)
  it("reports a raised error", function()
    local r = testing.invoke({ fail = true })
    assert.equal("HandlerError", r.errorType)
    assert.matches("asked to fail", r.errorMessage)
  end)
  it("gives the handler the chosen X-CFF values", function()
    local ctx = testing.context({ function_name = "orders", version = "v7", memory = 256, timeout = 9,
      request_id = "req-42", user_data = { GREETING = "hej" } })
    local r, info = testing.invoke({ n = 5 }, { context = ctx })
    assert.is_true(info.ok)
    assert.same({ name = "orders", id = "req-42", memory = 256, timeout = 9, version = "v7", greeting = "hej",
      n = 5, mt = "integer" }, r.json)
    assert.equal("orders", ctx:getFunctionName())
  end)
  it("takes headers as given", function()
    local r = testing.invoke({}, { headers = { ["X-CFF-Func-Name"] = "0@default@billing" } })
    assert.equal("billing", r.json.name)
  end)
  it("leaves the environment as it was", function()
    testing.invoke({}, { user_data = { GREETING = "tmp" } })
    assert.is_nil(os.getenv("GREETING"))
  end)
  it("serves an HTTP function", function()
    local r = testing.invoke("", { mode = "http", method = "GET", path = "/x?a=1&b=two%20words",
      handler = "web.handler" })
    assert.equal(200, r.statusCode)
    assert.same({ method = "GET", path = "/x", a = "1", b = "two words" }, r.json)
  end)
  it("reads fixtures", function()
    assert.equal("TIMER", testing.fixture("timer").trigger_type)
    assert.equal("integer", math.type(testing.fixture("kafka").event_time))
  end)
end)
'''

WEB = r'''
local apig = require "fnlua.apig"
return { handler = function(event)
  local req = apig.request(event)
  return apig.json(200, { method = req.method, path = req.path, a = req:query("a"), b = req:query("b") })
end }
'''

FAILING_SPEC = r'''
describe("arithmetic", function()
  it("holds", function() assert.equal(2, 1 + 1) end)
  it("breaks", function() assert.equal(3, 1 + 1) end)
end)
'''


class TestInstalledLayout(Scratch):
    def test_toolkit_found_beside_the_installed_library(self):
        """<prefix>/bin/fnlua finds <prefix>/share/fnlua/lua and .../toolkit."""
        need("busted")
        from harness import fnlua_bin
        prefix = self.tmp / "prefix"
        (prefix / "bin").mkdir(parents=True)
        shutil.copy2(fnlua_bin(), prefix / "bin" / "fnlua")
        shutil.copytree(REPO / "lua", prefix / "share" / "fnlua" / "lua")
        shutil.copytree(REPO / "toolkit", prefix / "share" / "fnlua" / "toolkit")
        fnlua = str(prefix / "bin" / "fnlua")
        cp = subprocess.run([fnlua, "new", "inst", "--trigger", "timer"], cwd=self.tmp, capture_output=True, text=True)
        self.assertEqual(cp.returncode, 0, cp.stderr)
        cp = subprocess.run([fnlua, "test", "-o", "tap"], cwd=self.tmp / "inst", capture_output=True, text=True)
        self.assertEqual(cp.returncode, 0, cp.stdout + cp.stderr)
        self.assertNotIn("not ok", cp.stdout)
        # without its toolkit: one clear line, exit 2
        shutil.rmtree(prefix / "share" / "fnlua" / "toolkit")
        cp = subprocess.run([fnlua, "new", "other"], cwd=self.tmp, capture_output=True, text=True)
        self.assertEqual(cp.returncode, 2)
        self.assertIn("toolkit", cp.stderr)


class TestRunner(Scratch):
    def setUp(self):
        super().setUp()
        need("busted")

    def test_helper_reaches_the_real_runtime(self):
        d = self.tmp / "probe"
        (d / "spec").mkdir(parents=True)
        (d / "index.lua").write_text(PROBE)
        (d / "web.lua").write_text(WEB)
        (d / "spec" / "probe_spec.lua").write_text(PROBE_SPEC)
        cp = self.fnlua_test(d, "--output", "tap")
        out, err = decode(cp)
        self.assertEqual(cp.returncode, 0, out + err)
        self.assertEqual(out.count("not ok"), 0, out)
        self.assertIn("1..8", out)
        # the handler's logs are the runtime's lines, on stderr
        self.assertIn("TimeoutError", err)

    def test_failure_is_exit_1_in_tap_and_junit(self):
        d = self.tmp / "failing"
        (d / "spec" / "deep").mkdir(parents=True)
        (d / "spec" / "deep" / "math_spec.lua").write_text(FAILING_SPEC)
        cp = self.fnlua_test(d, "--output", "tap")
        out, _ = decode(cp)
        self.assertEqual(cp.returncode, 1, out)
        self.assertRegex(out, r"(?m)^ok 1 - arithmetic holds$")
        self.assertRegex(out, r"(?m)^not ok 2 - arithmetic breaks$")

        # DIR given on the command line, from elsewhere; JUnit XML on stdout
        cp = run_cli(["test", d, "--output", "junit"], cwd=self.tmp)
        out, _ = decode(cp)
        self.assertEqual(cp.returncode, 1)
        root = ET.fromstring(out[out.index("<"):])
        failures = root.findall(".//testcase/failure")
        self.assertEqual(len(failures), 1)
        self.assertEqual(len(root.findall(".//testcase")), 2)

        # busted options pass through: only the passing test
        cp = self.fnlua_test(d, "--output", "plain", "--filter", "holds")
        self.assertEqual(cp.returncode, 0, decode(cp))

    def test_usage_errors_are_exit_2(self):
        d = self.tmp / "empty"
        d.mkdir()
        for args in (["--output", "html"], ["--no-such-flag"], [str(self.tmp / "missing")]):
            with self.subTest(args=args):
                cp = self.fnlua_test(d, *args)
                self.assertEqual(cp.returncode, 2, decode(cp))

    def test_no_specs_is_a_failure(self):
        d = self.tmp / "untested"
        d.mkdir()
        (d / "index.lua").write_text("return { handler = function() return 1 end }\n")
        cp = self.fnlua_test(d)
        self.assertEqual(cp.returncode, 1, decode(cp))
        self.assertIn("spec", decode(cp)[0])

    def test_outside_fnlua_test_the_helper_says_so(self):
        d = self.tmp / "direct"
        d.mkdir()
        (d / "index.lua").write_text('local t = require "fnlua.testing"\nreturn { handler = function() return t end }\n')
        cp = run_cli(["invoke"], cwd=d)
        out, err = decode(cp)
        self.assertNotEqual(cp.returncode, 0)
        self.assertIn("fnlua test", out + err)


class TestRocks(Scratch):
    """luarocks for Lua 5.4 with local rocks only: `luarocks make` of a rock's
    folder, and a local rock server (packed rocks + manifest)."""

    def setUp(self):
        super().setUp()
        need("busted", "luarocks", "luarocks-admin", "lua5.4", "gcc")
        if not Path("/usr/include/lua5.4/lua.h").exists():
            raise unittest.SkipTest("needs liblua5.4-dev (tools/deps installs it)")

    def luarocks(self, args, cwd):
        env = dict(os.environ, HOME=str(self.tmp))  # no user config of the machine's
        cp = subprocess.run(["luarocks", "--lua-version", "5.4", *args], cwd=cwd, capture_output=True, text=True,
                            env=env, timeout=120)
        self.assertEqual(cp.returncode, 0, cp.stdout + cp.stderr)
        return cp.stdout

    def check_function(self, d):
        (d / "index.lua").write_text(
            'local greet = require "greet"\nlocal fnv = require "fnv"\n'
            'return { handler = function(event)\n'
            '  return { message = greet.hello(event.name), hash = fnv.fnv1a(event.name) }\nend }\n')
        (d / "spec" / "handler_spec.lua").write_text(
            'local testing = require "fnlua.testing"\n'
            'describe("rocks", function()\n'
            '  it("load in the runtime", function()\n'
            '    local r = testing.invoke({ name = "abc" })\n'
            '    assert.same({ message = "Hello, abc!", hash = 440920331 }, r.json)\n'
            '  end)\n'
            'end)\n')
        self.assertTrue((d / "lua_modules/share/lua/5.4/greet.lua").is_file())
        self.assertTrue((d / "lua_modules/lib/lua/5.4/fnv.so").is_file())
        cp = self.fnlua_test(d, "--output", "tap")
        self.assertEqual(cp.returncode, 0, decode(cp))
        cp = run_cli(["invoke", "-"], input='{"name":"abc"}', cwd=d)
        out, err = decode(cp)
        self.assertEqual(cp.returncode, 0, out + err)
        self.assertEqual(json.loads(json.loads(out)["body"]), {"message": "Hello, abc!", "hash": 440920331})

    def test_make_and_local_server(self):
        # 1. luarocks make in a copy of each rock's folder (the build writes beside the sources)
        fn1 = self.new("fn-make")
        for rock in ("greet", "fnv"):
            src = self.tmp / "src" / rock
            shutil.copytree(ROCKS / rock, src)
            self.luarocks(["--tree", fn1 / "lua_modules", "make", f"{rock}-1.0-1.rockspec"], cwd=src)
        self.check_function(fn1)

        # 2. a local rock server: the rocks packed, a manifest, then the
        #    function's rockspec lists them and --deps-only installs them
        server = self.tmp / "rocks-server"
        server.mkdir()
        for rock in ("greet", "fnv"):
            self.luarocks(["--tree", fn1 / "lua_modules", "pack", rock], cwd=server)
        subprocess.run(["luarocks-admin", "--lua-version", "5.4", "make-manifest", "."], cwd=server, check=True,
                       capture_output=True, env=dict(os.environ, HOME=str(self.tmp)))
        fn2 = self.new("fn-server")
        spec = fn2 / "fn-server-dev-1.rockspec"
        text = spec.read_text()
        self.assertIn('-- "inspect >= 3.1",', text)
        spec.write_text(text.replace('-- "inspect >= 3.1",', '"greet >= 1.0",\n  "fnv >= 1.0",'))
        self.luarocks(["--tree", "lua_modules", "install", "--only-server", server, "--deps-only", spec.name],
                      cwd=fn2)
        self.check_function(fn2)


if __name__ == "__main__":
    unittest.main()
