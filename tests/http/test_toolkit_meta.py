"""Editor support: the LuaLS definitions in toolkit/meta cover the whole API.

Parses the sources, not a list kept by hand: every public function of lua/fnlua/*.lua, every function and
field the C modules register (fnlua, fnlua.json, fnlua.base64, fnlua.crypto, fnlua.http) and every context
getter and logger method server/context.c registers must have a definition, so adding one without its
definition fails here.  Also: toolkit/luarc.json points editors at the installed definitions."""

import json
import re
import unittest

from harness import REPO

META = REPO / "toolkit" / "meta"
SERVER = REPO / "server"

DEFINED_RE = re.compile(r"^function\s+(\w+)[.:](\w+)\s*\(|^(\w+)\.(\w+)\s*=", re.M)
FIELD_RE = re.compile(r"^---@field\s+(\w+)", re.M)


def meta_names(path, table):
    """Names defined on `table` in a meta file: `function T.x()`, `function T:x()`, `T.x =`, and the
    `---@field`s of the `---@class` that `local T = {}` follows."""
    text = path.read_text(encoding="utf-8")
    names = set()
    for m in DEFINED_RE.finditer(text):
        t, n = (m[1], m[2]) if m[1] else (m[3], m[4])
        if t == table:
            names.add(n)
    # the @field lines of the class block right above `local <table> = {}`
    block = re.search(r"((?:^---.*\n)+)local " + re.escape(table) + r" = \{\}", text, re.M)
    if block:
        names |= set(FIELD_RE.findall(block[1]))
    return names


def lua_public(path):
    """{table: names} of a library file: `function T.x`/`T:x` and `T.x =` at top level, for non-local
    functions; methods made in a loop (`Router[m] = function` over a literal list) too."""
    text = path.read_text(encoding="utf-8")
    out = {}
    for m in DEFINED_RE.finditer(text):
        t, n = (m[1], m[2]) if m[1] else (m[3], m[4])
        if n.startswith("_") or n == "__index":
            continue
        out.setdefault(t, set()).add(n)
    loop = re.search(r'for _, m in ipairs\(\{([^}]*)\}\) do\s+local method = m:upper\(\)\s+(\w+)\[m\]', text)
    if loop:
        out.setdefault(loop[2], set()).update(re.findall(r'"(\w+)"', loop[1]))
    return out


def c_function_body(path, name):
    text = path.read_text(encoding="utf-8")
    m = re.search(r"^(?:static )?int " + re.escape(name) + r"\(lua_State \*L\)\n\{\n(.*?)^\}", text, re.M | re.S)
    assert m, f"{name} not found in {path}"
    return m[1]


def c_registered(path, func):
    """Names a luaopen function puts in its module: luaL_Reg entries and lua_setfield(L, -2, "x")."""
    body = c_function_body(path, func)
    names = set(re.findall(r'\{"(\w+)",\s*\w+\}', body))
    names |= set(re.findall(r'lua_setfield\(L, -2, "(\w+)"\)', body))
    return names


class MetaCoversApiTest(unittest.TestCase):
    maxDiff = None

    def check(self, what, wanted, meta_file, table):
        self.assertTrue(wanted, f"parsed nothing for {what}: the parser needs updating")
        have = meta_names(meta_file, table)
        missing = sorted(wanted - have)
        self.assertEqual(missing, [], f"{what}: no LuaLS definition in {meta_file.relative_to(REPO)}")

    def test_lua_library_functions_defined(self):
        files = sorted((REPO / "lua" / "fnlua").glob("*.lua"))
        self.assertGreaterEqual(len(files), 4)
        for src in files:
            meta = META / "fnlua" / src.name
            with self.subTest(module=src.stem):
                self.assertTrue(meta.exists(), f"no definitions for fnlua.{src.stem}: add {meta.relative_to(REPO)}")
                for table, names in lua_public(src).items():
                    self.check(f"fnlua.{src.stem} ({table})", names, meta, table)

    def test_c_modules_defined(self):
        cases = [
            ("fnlua", SERVER / "lfetch.c", "luaopen_fnlua", META / "fnlua.lua"),
            ("fnlua.http", SERVER / "lfetch.c", "luaopen_fnlua_http", META / "fnlua" / "http.lua"),
            ("fnlua.json", SERVER / "lib.c", "luaopen_fnlua_json", META / "fnlua" / "json.lua"),
            ("fnlua.base64", SERVER / "lib.c", "luaopen_fnlua_base64", META / "fnlua" / "base64.lua"),
            ("fnlua.crypto", SERVER / "crypto.c", "fl_crypto_open", META / "fnlua" / "crypto.lua"),
        ]
        for module, src, func, meta in cases:
            with self.subTest(module=module):
                self.check(module, c_registered(src, func), meta, "M")

    def test_every_preloaded_fnlua_module_has_a_file(self):
        preloaded = set()
        for src in SERVER.glob("*.c"):
            text = src.read_text(encoding="utf-8")
            preloaded |= set(re.findall(r'lua_setfield\(L, -2, "(fnlua[\w.]*)"\);', text))
            preloaded |= set(re.findall(r'\{"(fnlua[\w.]*)", luaopen_\w+\}', text))
        preloaded = {p for p in preloaded if p not in ("fnlua.buffer",)}
        self.assertIn("fnlua.http", preloaded)
        for name in sorted(preloaded):
            path = META / (name.replace(".", "/") + ".lua")
            with self.subTest(module=name):
                self.assertTrue(path.exists(), f"{name} is preloaded but {path.relative_to(REPO)} is missing")
                self.assertTrue(path.read_text(encoding="utf-8").startswith(f"---@meta {name}\n"))

    def test_context_getters_and_logger_defined(self):
        text = (SERVER / "context.c").read_text(encoding="utf-8")
        methods = re.search(r"static const luaL_Reg methods\[\] = \{(.*?)\};", text, re.S)[1]
        getters = set(re.findall(r'\{"(\w+)",', methods))
        strings = re.search(r"static const string_getter string_getters\[\] = \{(.*?)\};", text, re.S)[1]
        getters |= set(re.findall(r'\{"(\w+)",', strings))
        self.assertIn("getRequestID", getters)
        self.assertIn("getSecurityToken", getters)
        self.check("context getters", getters, META / "context.lua", "Context")
        logger = re.search(r"static const luaL_Reg logger_methods\[\] = \{(.*?)\};", text, re.S)[1]
        self.check("logger methods", set(re.findall(r'\{"(\w+)",', logger)), META / "context.lua", "Logger")
        self.assertIn("headers", FIELD_RE.findall((META / "context.lua").read_text(encoding="utf-8")))

    def test_event_shapes_for_every_trigger(self):
        text = (META / "events.lua").read_text(encoding="utf-8")
        classes = set(re.findall(r"^---@class (fnlua\.event\.\w+)", text, re.M))
        for trigger in ("APIG", "Timer", "SMN", "OBS", "Kafka", "DIS", "LTS", "CTS"):
            self.assertIn(f"fnlua.event.{trigger}", classes)
        # every class a definition mentions is defined somewhere
        all_meta = "\n".join(p.read_text(encoding="utf-8") for p in META.rglob("*.lua"))
        defined = set(re.findall(r"^---@(?:class|alias) ([\w.]+)", all_meta, re.M))
        used = set(re.findall(r"\b(fnlua\.(?:event\.)?[A-Z]\w*|fnlua\.\w+\.[A-Z]\w*)", all_meta))
        self.assertEqual(sorted(used - defined), [])

    def test_event_shapes_match_the_trigger_fixtures(self):
        """Every key of each trigger's sample event (toolkit/fixtures) is a field of its class, at every level
        a class describes."""
        text = (META / "events.lua").read_text(encoding="utf-8")
        classes = {}
        for m in re.finditer(r"^---@class (fnlua\.event\.\w+)\n((?:---@field .*\n)*)", text, re.M):
            classes[m[1]] = dict(re.findall(r"^---@field (\w+)\??\s+(\S+)", m[2], re.M))

        def check(value, cls, where):
            if isinstance(value, list):
                for i, v in enumerate(value):
                    check(v, cls, f"{where}[{i + 1}]")
                return
            self.assertIsInstance(value, dict, where)
            fields = classes[cls]
            for key, v in value.items():
                self.assertIn(key, fields, f"{where}.{key} is not a field of {cls}")
                inner = re.match(r"(fnlua\.event\.\w+)", fields[key])
                if inner and v is not None:
                    check(v, inner[1], f"{where}.{key}")

        fixtures = REPO / "toolkit" / "fixtures"  # http.json is a request body, not an event
        names = {"apig": "APIG", "timer": "Timer", "smn": "SMN", "obs": "OBS", "kafka": "Kafka",
                 "dis": "DIS", "lts": "LTS", "cts": "CTS"}
        if not fixtures.is_dir():
            self.skipTest("no toolkit/fixtures in this tree")
        for trigger, cls in names.items():
            path = fixtures / f"{trigger}.json"
            if not path.exists():
                continue
            with self.subTest(trigger=trigger):
                check(json.loads(path.read_text(encoding="utf-8")), f"fnlua.event.{cls}", trigger)

    def test_templates_annotate_handlers_with_defined_types(self):
        """`fnlua new`'s event templates type their handler's event and context with classes defined here."""
        templates = REPO / "toolkit" / "templates"
        if not templates.is_dir():
            self.skipTest("no toolkit/templates in this tree")
        all_meta = "\n".join(p.read_text(encoding="utf-8") for p in META.rglob("*.lua"))
        defined = set(re.findall(r"^---@(?:class|alias) ([\w.]+)", all_meta, re.M))
        annotated = 0
        for index in sorted(templates.glob("*/index.lua")):
            text = index.read_text(encoding="utf-8")
            for name, typ in re.findall(r"^---@param (\w+) ([\w.]+)", text, re.M):
                with self.subTest(template=index.parent.name, param=name):
                    self.assertIn(typ, defined)
                    annotated += 1
            if re.search(r"^function M\.handler\(event, context\)", text, re.M):
                with self.subTest(template=index.parent.name):
                    self.assertRegex(text, r"---@param event fnlua\.event\.\w+\n---@param context fnlua\.Context\n"
                                           r"function M\.handler\(event, context\)")
        self.assertGreater(annotated, 0)

    def test_meta_files_are_valid_lua_meta(self):
        for path in sorted(META.rglob("*.lua")):
            with self.subTest(file=str(path.relative_to(META))):
                first = path.read_text(encoding="utf-8").splitlines()[0]
                self.assertRegex(first, r"^---@meta( [\w.]+)?$")

    def test_luarc_template_points_at_installed_meta(self):
        rc = json.loads((REPO / "toolkit" / "luarc.json").read_text(encoding="utf-8"))
        self.assertEqual(rc["runtime.version"], "Lua 5.4")
        self.assertIn("/usr/share/fnlua/toolkit/meta", rc["workspace.library"])


if __name__ == "__main__":
    unittest.main()
