"""`fnlua invoke`: one event in, only the result JSON on stdout, logs on stderr, exit 0/1/2."""

import json
import shutil
import tempfile
from pathlib import Path

from harness import ENVELOPE_KEYS, FnluaCase, decode, fixture_line, handler_path, run_cli


def cli(name, *args, input=None, env=None, cwd=None):
    """`fnlua invoke --dir tests/handlers/<name> ARGS`, returns (returncode, stdout, stderr)."""
    cp = run_cli(["invoke", "--dir", handler_path(name), *args], input=input, env=env, cwd=cwd)
    out, err = decode(cp)
    return cp.returncode, out, err


class CliInvokeTest(FnluaCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.tmp = Path(tempfile.mkdtemp(prefix="fnlua-cli-"))
        cls.addClassCleanup(shutil.rmtree, cls.tmp, True)

    def event_file(self, name, text):
        path = self.tmp / name
        path.write_text(text, encoding="utf-8")
        return path

    def only_json(self, out):
        """stdout is exactly one JSON document followed by a newline."""
        self.assertTrue(out.endswith("\n"), f"stdout does not end with a newline: {out!r}")
        try:
            return json.loads(out)
        except ValueError:
            self.fail(f"stdout is not only the result JSON: {out!r}")

    def envelope(self, out):
        env = self.only_json(out)
        self.assertEqual(list(env), ENVELOPE_KEYS, out)
        return env

    def error_object(self, out, error_type):
        err = self.only_json(out)
        self.assertEqual(err.get("errorType"), error_type, out)
        self.assertIsInstance(err.get("errorMessage"), str, out)
        self.assertIsInstance(err.get("stackTrace"), list, out)
        return err

    def test_event_file_envelope_on_stdout_exit_0(self):
        path = self.event_file("event.json", '{"id":4503599627370497,"s":"héllo"}')
        for attempt in (1, 2):
            with self.subTest(attempt=attempt):
                rc, out, err = cli("echo", path)
                self.assertEqual(rc, 0, err)
                body = json.loads(self.envelope(out)["body"])
                self.assertEqual(body["event"], {"id": 4503599627370497, "s": "héllo"})
                self.assertIn("4503599627370497", out)

    def test_stdin_dash_reads_event(self):
        rc, out, err = cli("echo", "-", input='{"from":"stdin","n":5}')
        self.assertEqual(rc, 0, err)
        body = json.loads(self.envelope(out)["body"])
        self.assertEqual(body["event"], {"from": "stdin", "n": 5})
        self.assertEqual(body["concat"]["n"], "n=5")

    def test_no_event_file_gives_empty_event(self):
        rc, out, err = cli("echo")
        self.assertEqual(rc, 0, err)
        body = json.loads(self.envelope(out)["body"])
        self.assertTrue(body["empty"])
        self.assertEqual(body["eventType"], "table")

    def test_headers_become_context(self):
        rc, out, err = cli("context", "--header", "X-CFF-Request-Id: cli-req-1",
                           "--header", "X-CFF-Func-Name: 0@default@clifunc", "--header", "x-cff-memory: 128")
        self.assertEqual(rc, 0, err)
        body = json.loads(self.envelope(out)["body"])
        self.assertEqual(body["values"]["getRequestID"], "cli-req-1")
        self.assertEqual(body["values"]["getFunctionName"], "clifunc")
        self.assertEqual(body["values"]["getMemorySize"], 128)
        self.assertEqual(body["headers"].get("x-cff-request-id"), "cli-req-1")

    def test_logs_on_stderr_not_stdout(self):
        path = self.event_file("log.json", '{"tag":"cli-log-tag"}')
        rc, out, err = cli("logger", path, "--header", "X-CFF-Request-Id: cli-log-req")
        self.assertEqual(rc, 0, err)
        self.assertEqual(self.envelope(out)["body"], "logged cli-log-tag")
        self.assertNotIn("info line", out)
        info_line = fixture_line("logger/index.lua", "LOG:info")
        matching = [l for l in err.splitlines() if "info line cli-log-tag 42" in l]
        self.assertEqual(len(matching), 1, err)
        self.assertIn("cli-log-req", matching[0])
        self.assertIn(f"index.lua:{info_line}", matching[0])

    def test_default_dir_is_working_directory(self):
        cp = run_cli(["invoke", "-"], input='{"a":1}', cwd=handler_path("echo"))
        out, err = decode(cp)
        self.assertEqual(cp.returncode, 0, err)
        self.assertEqual(json.loads(self.envelope(out)["body"])["event"], {"a": 1})

    def test_handler_flag(self):
        rc, out, err = cli("dotted", "--handler", "api.v1.users.handler")
        self.assertEqual(rc, 0, err)
        self.assertEqual(json.loads(self.envelope(out)["body"])["module"], "api/v1/users.lua")

    def test_handler_error_exit_1(self):
        where = f"index.lua:{fixture_line('raising/index.lua', 'RAISE:string')}"
        rc, out, err = cli("raising", "-", input='{"case":"string"}')
        self.assertEqual(rc, 1, err)
        e = self.error_object(out, "HandlerError")
        self.assertIn(where, e["errorMessage"])

    def test_result_error_exit_1(self):
        rc, out, err = cli("results", "-", input='{"case":"function"}')
        self.assertEqual(rc, 1, err)
        self.error_object(out, "ResultError")

    def test_handler_load_error_exit_2(self):
        where = f"index.lua:{fixture_line('syntaxerror/index.lua', 'SYNTAX:error')}"
        rc, out, err = cli("syntaxerror")
        self.assertEqual(rc, 2, err)
        self.assertIn(where, self.error_object(out, "HandlerLoadError")["errorMessage"])

    def test_missing_function_exit_2(self):
        rc, out, err = cli("missingfunction")
        self.assertEqual(rc, 2, err)
        self.error_object(out, "HandlerLoadError")

    def test_initializer_error_exit_2(self):
        rc, out, err = cli("initraises")
        self.assertEqual(rc, 2, err)
        self.error_object(out, "InitializerError")

    def test_invalid_event_json_exit_2(self):
        rc, out, err = cli("echo", "-", input='{"broken":')
        self.assertEqual(rc, 2, err)
        if out.strip():
            self.error_object(out, "InvalidEvent")

    def test_bad_flag_exit_2(self):
        rc, out, err = cli("echo", "--no-such-flag")
        self.assertEqual(rc, 2, err)
        self.assertEqual(out, "", "usage errors print nothing on stdout")
        self.assertTrue(err.strip())

    def test_missing_event_file_exit_2(self):
        rc, out, err = cli("echo", str(self.tmp / "does-not-exist.json"))
        self.assertEqual(rc, 2, err)
        self.assertTrue(err.strip())

    def test_initializer_runs_before_handler(self):
        rc, out, err = cli("initcounter")
        self.assertEqual(rc, 0, err)
        self.assertEqual(json.loads(self.envelope(out)["body"])["count"], 1)
        self.assertNotIn("initializer ran", out)
