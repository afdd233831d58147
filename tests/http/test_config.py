"""Configuration: bad values refused with one stderr line, --help/--version, environment variables vs flags,
and docs/configuration.md against --help."""

import re
import time

from harness import REPO, FnluaCase, decode, handler_path, run_cli

ECHO = str(handler_path("echo"))
GOOD = ["--host", "127.0.0.1", "--port", "0", "--workers", "1"]

# (what is refused, arguments, extra environment)
BAD_CONFIG = [
    ("unknown flag", ["serve", "--bogus-flag", "--dir", ECHO, *GOOD], {}),
    ("unknown flag without serve", ["--no-such-option", "--dir", ECHO, *GOOD], {}),
    ("port 70000 out of range", ["serve", "--dir", ECHO, "--host", "127.0.0.1", "--port", "70000"], {}),
    ("port -1 out of range", ["serve", "--dir", ECHO, "--host", "127.0.0.1", "--port", "-1"], {}),
    ("port abc not a number", ["serve", "--dir", ECHO, "--host", "127.0.0.1", "--port", "abc"], {}),
    ("FNLUA_PORT=70000 out of range", ["serve", "--dir", ECHO, "--host", "127.0.0.1"], {"FNLUA_PORT": "70000"}),
    ("missing code directory", ["serve", "--dir", "/nonexistent/fnlua-test-dir", *GOOD], {}),
    ("FNLUA_DIR missing code directory", ["serve", *GOOD], {"FNLUA_DIR": "/nonexistent/fnlua-test-dir"}),
    ("handler name with ..", ["serve", "--dir", ECHO, "--handler", "../echo/index.handler", *GOOD], {}),
    ("handler name with ..", ["serve", "--dir", ECHO, "--handler", "..index.handler", *GOOD], {}),
    ("handler name with /", ["serve", "--dir", ECHO, "--handler", "sub/index.handler", *GOOD], {}),
    ("FNLUA_HANDLER with /", ["serve", "--dir", ECHO, *GOOD], {"FNLUA_HANDLER": "/etc/passwd.handler"}),
    ("workers 0", ["serve", "--dir", ECHO, "--host", "127.0.0.1", "--port", "0", "--workers", "0"], {}),
    ("workers not a number", ["serve", "--dir", ECHO, "--host", "127.0.0.1", "--port", "0", "--workers", "many"], {}),
    ("mode neither event nor http", ["serve", "--dir", ECHO, *GOOD, "--mode", "banana"], {}),
    ("log format neither text nor json", ["serve", "--dir", ECHO, *GOOD, "--log-format", "xml"], {}),
    ("flag missing its value", ["serve", "--dir", ECHO, *GOOD, "--handler"], {}),
    ("host not an IP address", ["serve", "--dir", ECHO, "--host", "not-an-ip", "--port", "0", "--workers", "1"], {}),
    ("FNLUA_HOST a host name", ["serve", "--dir", ECHO, "--port", "0", "--workers", "1"], {"FNLUA_HOST": "localhost"}),
    ("concurrency 0", ["serve", "--dir", ECHO, *GOOD, "--concurrency", "0"], {}),
    ("concurrency 100001", ["serve", "--dir", ECHO, *GOOD, "--concurrency", "100001"], {}),
    ("FNLUA_CONCURRENCY not a number", ["serve", "--dir", ECHO, *GOOD], {"FNLUA_CONCURRENCY": "lots"}),
    ("invoke-only flag given to serve", ["serve", "--dir", ECHO, *GOOD, "--header", "X-A: 1"], {}),
]


class BadConfigurationTest(FnluaCase):
    def test_bad_configuration_refused_with_one_stderr_line(self):
        for name, args, env in BAD_CONFIG:
            with self.subTest(name, args=" ".join(args), env=env):
                start = time.monotonic()
                cp = run_cli(args, env=env, timeout=5)
                elapsed = time.monotonic() - start
                out, err = decode(cp)
                self.assertNotEqual(cp.returncode, 0, f"accepted; stdout={out!r} stderr={err!r}")
                self.assertGreater(cp.returncode, 0, f"killed by signal {-cp.returncode}")
                self.assertEqual(cp.returncode, 2, f"bad configuration exits 2; stderr={err!r}")
                lines = err.strip("\n").split("\n")
                self.assertEqual(len(lines), 1, f"expected exactly one stderr line, got {err!r}")
                self.assertTrue(lines[0].strip(), "stderr line is empty")
                self.assertLess(elapsed, 3, "refusing bad configuration should be quick")


class HelpVersionTest(FnluaCase):
    def test_help_prints_usage_to_stdout_exit_0(self):
        cp = run_cli(["--help"])
        out, err = decode(cp)
        self.assertEqual(cp.returncode, 0, err)
        self.assertIn("usage", out.lower())
        for word in ("--handler", "--dir", "--port", "invoke"):
            self.assertIn(word, out)

    def test_version_prints_fnlua_line_exit_0(self):
        cp = run_cli(["--version"])
        out, err = decode(cp)
        self.assertEqual(cp.returncode, 0, err)
        self.assertTrue(out.startswith("fnlua "), out)
        self.assertGreater(len(out.split("\n")[0].split()), 1, out)


class EnvironmentOnlyServerTest(FnluaCase):
    """No flags at all: FNLUA_HOST, FNLUA_PORT, FNLUA_DIR, FNLUA_HANDLER, FNLUA_WORKERS configure serve."""

    def test_server_configured_by_environment(self):
        env = {
            "FNLUA_HOST": "127.0.0.1",
            "FNLUA_PORT": "0",
            "FNLUA_WORKERS": "1",
            "FNLUA_DIR": str(handler_path("twohandlers")),
            "FNLUA_HANDLER": "other.handler",
        }
        server = self.start_server(None, env=env, use_flags=False)
        self.assertEqual(self.assertEnvelope(server.invoke())["body"], "other.handler")


class FlagsWinOverEnvironmentTest(FnluaCase):
    def test_fnlua_handler_env_used(self):
        server = self.start_server("twohandlers", env={"FNLUA_HANDLER": "other.handler"})
        self.assertEqual(self.assertEnvelope(server.invoke())["body"], "other.handler")

    def test_handler_flag_wins_over_fnlua_handler_env(self):
        server = self.start_server("twohandlers", args=["--handler", "index.second"],
                                   env={"FNLUA_HANDLER": "other.handler"})
        self.assertEqual(self.assertEnvelope(server.invoke())["body"], "index.second")

    def test_dir_flag_wins_over_fnlua_dir_env(self):
        server = self.start_server("twohandlers", env={"FNLUA_DIR": str(handler_path("echo"))})
        self.assertEqual(self.assertEnvelope(server.invoke())["body"], "index.handler")

    def test_timeout_memory_env_used_and_flags_win(self):
        env = {"FNLUA_TIMEOUT": "12", "FNLUA_MEMORY": "256"}
        from_env = self.start_server("context", env=env)
        values = self.envelope_json_body(from_env.invoke())["values"]
        self.assertEqual((values["getRunningTimeInSeconds"], values["getMemorySize"]), (12, 256))
        from_flags = self.start_server("context", env=env, args=["--timeout", "7", "--memory", "300"])
        values = self.envelope_json_body(from_flags.invoke())["values"]
        self.assertEqual((values["getRunningTimeInSeconds"], values["getMemorySize"]), (7, 300))


class ConcurrencyOptionTest(FnluaCase):
    """--concurrency / FNLUA_CONCURRENCY in range are accepted (the runtime's use of it is tested elsewhere)."""

    def test_concurrency_flag_and_variable_accepted(self):
        server = self.start_server("echo", args=["--concurrency", "1"], env={"FNLUA_CONCURRENCY": "100000"})
        self.assertEqual(self.assertEnvelope(server.invoke())["statusCode"], 200)
        cp = run_cli(["invoke", "--dir", ECHO, "--concurrency=100000"])
        self.assertEqual(cp.returncode, 0, decode(cp)[1])


DOCS = REPO / "docs" / "configuration.md"
HELP_OPTION_RE = re.compile(r"^  (--[a-z][a-z-]*.*?)\s{2,}.*\(default: (.*)\)$")
VARIABLE_RE = re.compile(r"\b(?:FNLUA|RUNTIME)_[A-Z_]+")


def plain(cell):
    """A Markdown table cell as --help writes it: no backticks, `\\|` is `|`."""
    return cell.replace("`", "").replace("\\|", "|").strip()


def help_options():
    """{flag: (flag and placeholder, default, variables named)} from the option lines of `fnlua --help`."""
    cp = run_cli(["--help"])
    options = {}
    for line in decode(cp)[0].splitlines():
        m = HELP_OPTION_RE.match(line)
        if m:
            options[m[1].split()[0]] = (m[1], m[2], set(VARIABLE_RE.findall(line)))
    return options


def docs_options():
    """{flag: (flag and placeholder, default, variables named)} from the tables of docs/configuration.md
    that have a flag and a default column."""
    options, header = {}, None
    for line in DOCS.read_text(encoding="utf-8").splitlines():
        if not line.startswith("|"):
            header = None
            continue
        cells = [c.strip() for c in re.split(r"(?<!\\)\|", line.strip())[1:-1]]
        if header is None:
            header = [c.lower() for c in cells]
        elif {"flag", "default"} <= set(header) and not re.fullmatch(r"[-| ]+", line):
            flag = plain(cells[header.index("flag")])
            options[flag.split()[0]] = (flag, plain(cells[header.index("default")]), set(VARIABLE_RE.findall(line)))
    return options


class DocsMatchHelpTest(FnluaCase):
    """docs/configuration.md and `fnlua --help` (made from config.c's option table) list the same options,
    placeholders, defaults and environment variables, so neither can drift from the other."""

    def test_every_help_option_documented_with_same_default(self):
        docs, help_ = docs_options(), help_options()
        self.assertGreater(len(help_), 15, "--help option lines not recognised")
        for flag, (name, default, variables) in help_.items():
            with self.subTest(flag):
                self.assertTrue(flag in docs, f"{flag} is in fnlua --help but not in a table of {DOCS.name}")
                self.assertEqual(docs[flag][0], name, "flag and placeholder")
                self.assertEqual(docs[flag][1], default, "default")
                self.assertEqual(docs[flag][2], variables, "environment variables named")

    def test_every_documented_option_in_help(self):
        help_ = help_options()
        for flag in docs_options():
            with self.subTest(flag):
                self.assertTrue(flag in help_, f"{flag} is in {DOCS.name} but not in fnlua --help")

    def test_every_flag_and_variable_in_help_mentioned_in_docs(self):
        text = DOCS.read_text(encoding="utf-8")
        out = decode(run_cli(["--help"]))[0]
        for word in set(re.findall(r"--[a-z][a-z-]+", out)) | set(VARIABLE_RE.findall(out)):
            with self.subTest(word):
                found = re.search(re.escape(word) + r"\b", text)
                self.assertTrue(found, f"{word} is in fnlua --help but not in {DOCS.name}")
