"""`fnlua invoke`: one event in, only the result JSON on stdout (keys sorted), logs on stderr, exit 0/1/2;
--body, --pretty, --event, --env-file."""

import json
import os
import random
import shutil
import tempfile
from pathlib import Path

from harness import ENVELOPE_KEYS, ERROR_KEYS, FnluaCase, decode, fixture_line, handler_path, run_cli


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
        self.assertEqual(list(env), sorted(ENVELOPE_KEYS), out)
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


def cli_bytes(name, *args, input=None, env=None):
    """Like cli(), but stdout as bytes."""
    cp = run_cli(["invoke", "--dir", handler_path(name), *args], input=input, env=env)
    return cp.returncode, cp.stdout, cp.stderr.decode("utf-8", errors="replace")


def assert_sorted_everywhere(test, text):
    """Every JSON object in text has its keys in sorted (code point) order, at every level."""
    def hook(pairs):
        keys = [k for k, _ in pairs]
        test.assertEqual(keys, sorted(keys), f"keys not sorted in {text[:300]!r}")
        return dict(pairs)
    return json.loads(text, object_pairs_hook=hook)


class CliStableOutputTest(FnluaCase):
    """Object keys are sorted at every level, so the same result prints the same bytes every run."""

    def test_many_keys_same_bytes_every_run_sorted_at_every_level(self):
        rng = random.Random(13)
        keys = [f"key{i:03d}" for i in range(80)] + ["Zeta", "_under", "émile", "10", "9"]
        rng.shuffle(keys)
        event = {k: {"inner" + str(j): j for j in rng.sample(range(30), 30)} for k in keys}
        text = json.dumps(event)  # the file's own order is shuffled
        outputs = set()
        for attempt in range(4):
            rc, out, err = cli("echo", "-", input=text)
            self.assertEqual(rc, 0, err)
            outputs.add(out)
            env = assert_sorted_everywhere(self, out)
            body = assert_sorted_everywhere(self, env["body"])  # a table body: encoded sorted too
            self.assertEqual(body["event"], event)
        self.assertEqual(len(outputs), 1, "stdout changed between runs")

    def test_exact_stdout_golden(self):
        cases = [
            ("status_body", '{"body":"created","headers":{"X-Bool":"true","X-Float":"1.5","X-Num":"42","X-Str":"s"},'
                            '"isBase64Encoded":false,"statusCode":201}\n'),
            ("body_table", '{"body":"{\\"a\\":1,\\"list\\":[1,2,3],\\"nested\\":{\\"b\\":{\\"c\\":\\"d\\"}}}",'
                           '"headers":{"Content-Type":"application/json"},"isBase64Encoded":false,"statusCode":200}\n'),
            ("binary_body", '{"body":"//4AAWJpbmFyeQ==","headers":{},"isBase64Encoded":true,"statusCode":200}\n'),
            ("bigint_in_table", '{"body":"{\\"id\\":1234567890123456,\\"max\\":9223372036854775807,'
                                '\\"pow53\\":9007199254740992,\\"tenth\\":0.1}","headers":{"Content-Type":'
                                '"application/json"},"isBase64Encoded":false,"statusCode":200}\n'),
        ]
        for case, want in cases:
            for attempt in (1, 2):
                with self.subTest(case=case, attempt=attempt):
                    rc, out, err = cli("results", "-", input=json.dumps({"case": case}))
                    self.assertEqual(rc, 0, err)
                    self.assertEqual(out, want)

    def test_error_object_keys_sorted(self):
        rc, out, err = cli("results", "-", input='{"case":"function"}')
        self.assertEqual(rc, 1, err)
        self.assertEqual(list(json.loads(out)), sorted(ERROR_KEYS))


class CliBodyPrettyTest(FnluaCase):
    def body(self, case, *flags):
        rc, out, err = cli_bytes("results", *flags, "-", input=json.dumps({"case": case}))
        self.assertEqual(rc, 0, err)
        return out

    def test_body_binary_bytes_exactly(self):
        self.assertEqual(self.body("binary_body", "--body"), b"\xff\xfe\x00\x01binary")

    def test_body_base64_from_handler_decoded(self):
        self.assertEqual(self.body("prebase64", "--body"), b"hello")

    def test_body_text_unchanged_no_newline_added(self):
        self.assertEqual(self.body("string", "--body"), b"hello")
        self.assertEqual(self.body("unicode_body", "--body"), "héllo 世界 🎉".encode())
        self.assertEqual(self.body("status_only", "--body"), b"")

    def test_body_json_sorted_every_digit_kept(self):
        self.assertEqual(self.body("body_table", "--body"), b'{"a":1,"list":[1,2,3],"nested":{"b":{"c":"d"}}}\n')
        self.assertEqual(self.body("bigint_in_table", "--body"),
                         b'{"id":1234567890123456,"max":9223372036854775807,"pow53":9007199254740992,"tenth":0.1}\n')
        # JSON text the handler wrote itself: sorted too, 2^53+1 not rounded
        self.assertEqual(self.body("json_string", "--body"), b'{"a":9007199254740993,"b":[2,{"c":2,"d":1}]}\n')

    def test_pretty_envelope_two_spaces_sorted(self):
        out = self.body("status_body", "--pretty").decode()
        want = json.dumps(json.loads(out), indent=2, sort_keys=True, ensure_ascii=False) + "\n"
        self.assertEqual(out, want)
        self.assertTrue(out.startswith('{\n  "body": "created",\n  "headers": {\n    "X-Bool": "true",'), out)

    def test_body_pretty_json_indented(self):
        out = self.body("plain_table", "--body", "--pretty").decode()
        self.assertEqual(out, '{\n  "a": 1,\n  "arr": [\n    1,\n    "two",\n    true\n  ],\n'
                              '  "nested": {\n    "b": {\n      "c": "d"\n    }\n  }\n}\n')

    def test_body_pretty_not_json_unchanged(self):
        self.assertEqual(self.body("string", "--body", "--pretty"), b"hello")
        self.assertEqual(self.body("binary_body", "--pretty", "--body"), b"\xff\xfe\x00\x01binary")

    def test_body_on_failure_prints_error_object_exit_1(self):
        rc, out, err = cli_bytes("results", "--body", "--pretty", "-", input='{"case":"function"}')
        self.assertEqual(rc, 1, err)
        text = out.decode()
        self.assertEqual(list(json.loads(text)), sorted(ERROR_KEYS))
        self.assertTrue(text.startswith('{\n  "errorMessage": '), text)

    def test_body_http_mode(self):
        rc, out, err = cli_bytes("httpmode", "--mode", "http", "--body", "--path", "/hello")
        self.assertEqual(rc, 0, err)
        rc2, env, err2 = cli("httpmode", "--mode", "http", "--path", "/hello")
        self.assertEqual(rc2, 0, err2)
        envelope = json.loads(env)
        import base64
        want = base64.b64decode(envelope["body"]) if envelope["isBase64Encoded"] else envelope["body"].encode()
        try:
            want = (json.dumps(json.loads(want), separators=(",", ":"), sort_keys=True, ensure_ascii=False)
                    + "\n").encode()
        except ValueError:
            pass
        self.assertEqual(out, want)


class CliEventEnvFileTest(FnluaCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.tmp = Path(tempfile.mkdtemp(prefix="fnlua-cli-env-"))
        cls.addClassCleanup(shutil.rmtree, cls.tmp, True)

    def write(self, name, data):
        path = self.tmp / name
        path.write_bytes(data.encode() if isinstance(data, str) else data)
        return path

    def test_event_flag_same_as_positional(self):
        path = self.write("e.json", '{"a":[1,2],"b":"x"}')
        rc1, out1, err1 = cli("echo", str(path))
        rc2, out2, err2 = cli("echo", "--event", str(path))
        rc3, out3, err3 = cli("echo", "--event", "-", input='{"a":[1,2],"b":"x"}')
        self.assertEqual((rc1, rc2, rc3), (0, 0, 0), err1 + err2 + err3)
        self.assertEqual(out1, out2)
        self.assertEqual(out1, out3)

    def test_event_flag_and_positional_refused(self):
        path = self.write("e2.json", "{}")
        rc, out, err = cli("echo", "--event", str(path), str(path))
        self.assertEqual(rc, 2)
        self.assertEqual(out, "")
        self.assertEqual(len(err.strip().splitlines()), 1, err)
        self.assertIn("more than one event file", err)

    def user_data(self, env_file, keys, env=None, event_extra=None):
        event = {"userDataKeys": keys, **(event_extra or {})}
        rc, out, err = cli("context", "--env-file", str(env_file), "-", input=json.dumps(event), env=env)
        self.assertEqual(rc, 0, err)
        return json.loads(json.loads(out)["body"])

    def test_env_file_values_reach_get_user_data(self):
        path = self.write("app.env", "\n".join([
            "# a comment",
            "",
            "PLAIN=value",
            "export EXPORTED=yes",
            'DOUBLE="quoted value"',
            "SINGLE='single # not a comment'",
            "WITH_EQUALS=a=b=c",
            "EMPTY=",
            "  SPACED = padded  ",
            'HALF="unbalanced',
            "INHERITED",
            "RUNTIME_FUNC_NAME=from-env-file",
            "CRLF=windows\r",
            "LAST=1",
            "LAST=2",
            "",
        ]))
        body = self.user_data(path, ["PLAIN", "EXPORTED", "DOUBLE", "SINGLE", "WITH_EQUALS", "EMPTY", "SPACED",
                                     "HALF", "INHERITED", "CRLF", "LAST", "UNSET_KEY"],
                              env={"INHERITED": "from-the-shell"})
        self.assertEqual(body["userData"], {
            "PLAIN": "value", "EXPORTED": "yes", "DOUBLE": "quoted value", "SINGLE": "single # not a comment",
            "WITH_EQUALS": "a=b=c", "EMPTY": "", "SPACED": "padded", "HALF": '"unbalanced',
            "INHERITED": "from-the-shell", "CRLF": "windows", "LAST": "2", "UNSET_KEY": "(nil)",
        })
        self.assertEqual(body["values"]["getFunctionName"], "from-env-file")

    def test_env_file_bad_lines_exit_2_one_line(self):
        cases = [
            ("bad name", "1ABC=x\n", "line 1"),
            ("dash in name", "OK=1\nMY-VAR=x\n", "line 2"),
            ("no name", "=value\n", "line 1"),
            ("NUL byte", "A=1\nB=x\x00y\n", "line 2"),
        ]
        for name, text, where in cases:
            with self.subTest(name=name):
                path = self.write(f"bad-{abs(hash(name))}.env", text)
                rc, out, err = cli("context", "--env-file", str(path))
                self.assertEqual(rc, 2, err)
                self.assertEqual(out, "")
                self.assertEqual(len(err.strip().splitlines()), 1, err)
                self.assertIn(where, err)
                self.assertIn(str(path), err)

    def test_env_file_missing_exit_2(self):
        rc, out, err = cli("context", "--env-file", str(self.tmp / "nope.env"))
        self.assertEqual(rc, 2)
        self.assertEqual(out, "")
        self.assertEqual(len(err.strip().splitlines()), 1, err)
        self.assertIn("nope.env", err)


class CliBadFlagsTest(FnluaCase):
    def test_bad_flags_exit_2_one_clear_line(self):
        cases = [
            ("--pretty with a bad value", ["invoke", "--dir", handler_path("echo"), "--pretty=maybe"], "--pretty"),
            ("--body with a bad value", ["invoke", "--dir", handler_path("echo"), "--body=2"], "--body"),
            ("--event without a file", ["invoke", "--dir", handler_path("echo"), "--event"], "--event"),
            ("--env-file without a file", ["invoke", "--dir", handler_path("echo"), "--env-file"], "--env-file"),
            ("--body given to serve", ["serve", "--dir", handler_path("echo"), "--body"], "--body"),
            ("--env-file given to serve", ["--dir", handler_path("echo"), "--env-file", "x"], "--env-file"),
            ("unknown flag", ["invoke", "--dir", handler_path("echo"), "--bodyy"], "--bodyy"),
            ("--log-invocations with a bad value", ["invoke", "--dir", handler_path("echo"), "--log-invocations=x"],
             "--log-invocations"),
        ]
        for name, args, named in cases:
            with self.subTest(name=name):
                cp = run_cli(args)
                out, err = decode(cp)
                self.assertEqual(cp.returncode, 2, err)
                self.assertEqual(out, "")
                self.assertEqual(len(err.strip().splitlines()), 1, err)
                self.assertIn(named, err)


class CliLogInvocationsTest(FnluaCase):
    def test_log_invocations_line_on_stderr(self):
        rc, out, err = cli("results", "--log-invocations", "--header", "X-CFF-Request-Id: cli-inv-1", "-",
                           input='{"case":"string"}')
        self.assertEqual(rc, 0, err)
        self.assertEqual(json.loads(out)["body"], "hello")
        lines = [l for l in err.splitlines() if "Finish invoke request 'cli-inv-1', status: ok, duration: " in l]
        self.assertEqual(len(lines), 1, err)
        rc, out, err = cli("results", "-", input='{"case":"string"}')
        self.assertNotIn("Finish invoke request", err)
