"""The shipped luacheck configuration (toolkit/luacheckrc): every example function, the Lua library and the
toolkit's own Lua pass Debian's luacheck with it, and it still catches real mistakes (a global, an unused
variable) while accepting busted specs and third-party code under lua_modules/."""

import shutil
import subprocess
import tempfile
import unittest
from pathlib import Path

from harness import REPO

CONFIG = REPO / "toolkit" / "luacheckrc"
LUACHECK = shutil.which("luacheck")


def luacheck(*args, cwd=REPO):
    return subprocess.run([LUACHECK, "--no-color", "--codes", *map(str, args)], cwd=str(cwd),
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, timeout=60)


@unittest.skipUnless(LUACHECK, "luacheck is not installed (Debian: apt install lua-check; tools/deps test does it)")
class LuacheckTest(unittest.TestCase):
    def test_examples_library_and_toolkit_pass(self):
        cp = luacheck("--config", CONFIG, "handlers", "lua/fnlua", "toolkit")
        self.assertEqual(cp.returncode, 0, cp.stdout)
        self.assertRegex(cp.stdout, r"Total: 0 warnings / 0 errors in [1-9]\d* files")
        for d in sorted((REPO / "handlers").iterdir()):
            if (d / "index.lua").exists():
                self.assertIn(f"handlers/{d.name}/index.lua", cp.stdout)

    def test_scaffold_like_folder_with_config_as_dotfile(self):
        tmp = Path(tempfile.mkdtemp(prefix="fnlua-luacheck-"))
        self.addCleanup(shutil.rmtree, tmp, True)
        shutil.copy(CONFIG, tmp / ".luacheckrc")
        (tmp / "spec").mkdir()
        (tmp / "lua_modules" / "share" / "lua" / "5.4").mkdir(parents=True)
        (tmp / "index.lua").write_text(
            "local M = {}\n\nfunction M.handler(event, context)\n"
            "  return { statusCode = 200, body = { n = math.tointeger(3.0), s = utf8.char(233) } }\nend\n\nreturn M\n")
        (tmp / "spec" / "index_spec.lua").write_text(
            'local index = require "index"\n\ndescribe("handler", function()\n  it("answers 200", function()\n'
            "    assert.are.equal(200, index.handler({}, {}).statusCode)\n  end)\nend)\n")
        (tmp / "lua_modules" / "share" / "lua" / "5.4" / "thirdparty.lua").write_text("leaked_global = 1\n")
        cp = luacheck(".", cwd=tmp)
        self.assertEqual(cp.returncode, 0, cp.stdout)
        self.assertNotIn("thirdparty.lua", cp.stdout)

        (tmp / "bad.lua").write_text("local unused = 1\nleaked = 2\nlocal function f(a) return 1 end\nreturn f\n")
        cp = luacheck(".", cwd=tmp)
        self.assertNotEqual(cp.returncode, 0, cp.stdout)
        self.assertIn("(W211)", cp.stdout)  # unused variable
        self.assertIn("(W111)", cp.stdout)  # setting a global
        self.assertIn("(W212)", cp.stdout)  # unused argument other than event/context/req/params

    def test_lua54_std(self):
        tmp = Path(tempfile.mkdtemp(prefix="fnlua-luacheck-"))
        self.addCleanup(shutil.rmtree, tmp, True)
        shutil.copy(CONFIG, tmp / ".luacheckrc")
        (tmp / "old.lua").write_text("return setfenv, unpack\n")  # Lua 5.1 globals: gone in 5.4
        cp = luacheck(".", cwd=tmp)
        self.assertNotEqual(cp.returncode, 0, cp.stdout)
        self.assertIn("setfenv", cp.stdout)


if __name__ == "__main__":
    unittest.main()
