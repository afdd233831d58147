"""Handler loading: dotted module names, global functions, lua_modules (pure Lua and C), cjson, fnlua.json."""

import json
import shutil
import subprocess
import tempfile

from harness import FnluaCase, copy_handler


class DottedModuleTest(FnluaCase):
    handler_dir = "dotted"
    server_args = ("--handler", "api.v1.users.handler")

    def test_dotted_handler_loads_nested_file_and_sibling_module(self):
        def check(resp):
            body = self.envelope_json_body(resp)
            self.assertEqual(body, {"module": "api/v1/users.lua", "helper": "api.v1.helper"})

        self.check_twice("POST", "/invoke", check)


class GlobalsModuleTest(FnluaCase):
    handler_dir = "globals"

    def test_module_defining_global_handler(self):
        def check(resp):
            self.assertEqual(self.assertEnvelope(resp)["body"], "hello from a global handler, lua")

        self.assertEqual(self.server.request("POST", "/init").status, 200)
        self.check_twice("POST", "/invoke", check, body={"name": "lua"})


class LuaModulesPureLuaTest(FnluaCase):
    handler_dir = "luamodules"

    def test_require_from_lua_modules_share_tree(self):
        def check(resp):
            body = self.envelope_json_body(resp)
            self.assertEqual(body, {"greet": "hello, rocks", "greeting": "greetings from greeting/init.lua"})

        self.check_twice("POST", "/invoke", check, body={"name": "rocks"})


class LuaModulesCModuleTest(FnluaCase):
    """cmod.c compiled into <copy>/lua_modules/lib/lua/5.4/cmod.so, found through package.cpath."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cc = shutil.which("cc")
        pkg = shutil.which("pkg-config")
        if not cc or not pkg:
            raise AssertionError("cc and pkg-config are needed to build the C module fixture")
        cflags = subprocess.run([pkg, "--cflags", "lua5.4"], capture_output=True, text=True)
        if cflags.returncode != 0:
            raise AssertionError(f"pkg-config --cflags lua5.4 failed: {cflags.stderr.strip()}")
        cls.tmp = tempfile.mkdtemp(prefix="fnlua-cmod-")
        cls.addClassCleanup(shutil.rmtree, cls.tmp, True)
        code = copy_handler("cmodule", cls.tmp)
        libdir = code / "lua_modules" / "lib" / "lua" / "5.4"
        libdir.mkdir(parents=True)
        build = subprocess.run(
            [cc, "-shared", "-fPIC", *cflags.stdout.split(), "-o", str(libdir / "cmod.so"), str(code / "cmod.c")],
            capture_output=True, text=True,
        )
        if build.returncode != 0:
            raise AssertionError(f"building cmod.so failed:\n{build.stderr}")
        cls.server = cls.start_server(code)

    def test_require_c_module_from_lua_modules_lib_tree(self):
        def check(resp):
            body = self.envelope_json_body(resp)
            self.assertEqual(body, {"sum": 5, "version": "Lua 5.4"})

        self.check_twice("POST", "/invoke", check, body={"a": 2, "b": 3})


class BuiltinModulesTest(FnluaCase):
    """require "cjson" and require "fnlua.json" work from any handler directory."""

    handler_dir = "builtins"

    def test_cjson_and_fnlua_json(self):
        body = self.envelope_json_body(self.invoke())
        self.assertEqual(body["cjson"], '["x"]')
        self.assertEqual(json.loads(body["fjson"]), {"id": 1234567890123456})
        self.assertIn("1234567890123456", body["fjson"])
        self.assertEqual(body["idType"], "integer")
        self.assertEqual(body["id"], 4503599627370497)
        self.assertEqual(body["f"], 0.1)
