"""Event-mode routes: /healthz, /init, /invoke life cycle and requests refused before any function runs."""

import time

from harness import FnluaCase

INIT_LOG = "initializer ran count="


def allowed(resp):
    return {m.strip().upper() for m in resp.headers.get("allow", "").split(",") if m.strip()}


def padded_json(size):
    """A valid JSON object of exactly `size` bytes."""
    body = '{"pad":"' + "x" * (size - 10) + '"}'
    assert len(body) == size
    return body


class HealthzBeforeInitTest(FnluaCase):
    handler_dir = "echo"

    def test_healthz_200_before_init_then_init_ok(self):
        self.check_twice("GET", "/healthz", lambda resp: self.assertEqual(resp.status, 200, resp))

        def init_ok(resp):
            self.assertEqual(resp.status, 200, resp)
            self.assertEqual(resp.json, {"status": "ok"})
            self.assertIn("application/json", resp.headers.get("content-type", ""))

        self.check_twice("POST", "/init", init_ok)
        self.assertEqual(self.server.request("GET", "/healthz").status, 200)


class RefusedRequestsTest(FnluaCase):
    """Requests wrong before any function runs: 404, 405 with Allow, 400, 413; the server keeps serving."""

    handler_dir = "echo"
    server_args = ("--max-body", "1024")

    def test_unknown_path_404_not_found(self):
        for method, path in (("GET", "/nope"), ("POST", "/nope"), ("POST", "/invoke/extra"), ("GET", "/")):
            with self.subTest(f"{method} {path} → 404 NotFound"):
                self.check_twice(method, path, lambda resp: self.assertErrorObject(resp, 404, "NotFound"))

    def test_wrong_method_405_with_allow(self):
        cases = [
            ("GET", "/invoke", {"POST"}),
            ("PUT", "/invoke", {"POST"}),
            ("GET", "/init", {"POST"}),
            ("DELETE", "/init", {"POST"}),
            ("POST", "/healthz", {"GET", "HEAD"}),
        ]
        for method, path, allow in cases:
            with self.subTest(f"{method} {path} → 405 Allow: {', '.join(sorted(allow))}"):
                def check(resp):
                    self.assertErrorObject(resp, 405, "MethodNotAllowed")
                    self.assertEqual(allowed(resp), allow, resp)

                self.check_twice(method, path, check)

    def test_head_healthz_200(self):
        self.check_twice("HEAD", "/healthz", lambda resp: self.assertEqual(resp.status, 200, resp))

    def test_invalid_json_event_400_and_handler_not_called(self):
        before = self.envelope_json_body(self.invoke({"countCalls": True}))["calls"]
        for body in ('{"a":', "not json", "{'a': 1}", '{"a":1} trailing', "[1,2"):
            with self.subTest(f"{body!r} → 400 InvalidEvent"):
                self.check_twice("POST", "/invoke",
                                 lambda resp: self.assertErrorObject(resp, 400, "InvalidEvent"), body=body,
                                 logged=("InvalidEvent", "WARN"))
        after = self.envelope_json_body(self.invoke({"countCalls": True}))["calls"]
        self.assertEqual(after, before + 1, "the handler ran for an invalid event")

    def test_body_over_max_body_413(self):
        self.check_twice("POST", "/invoke",
                         lambda resp: self.assertErrorObject(resp, 413, "PayloadTooLarge"), body=padded_json(2048))
        self.check_twice("POST", "/invoke",
                         lambda resp: self.assertErrorObject(resp, 413, "PayloadTooLarge"), body=padded_json(1025))

    def test_body_at_max_body_accepted(self):
        body = self.envelope_json_body(self.invoke(padded_json(1024)))
        self.assertEqual(len(body["event"]["pad"]), 1014)

    def test_still_serving_after_refused_requests(self):
        self.server.request("GET", "/nope")
        self.server.request("GET", "/invoke")
        self.server.request("POST", "/invoke", body="{")
        self.server.request("POST", "/invoke", body=padded_json(4096))
        self.assertEqual(self.server.request("GET", "/healthz").status, 200)
        self.assertEqual(self.envelope_json_body(self.invoke({"x": 1}))["event"], {"x": 1})


class DefaultMaxBodyTest(FnluaCase):
    """Without --max-body the limit is 6 MiB (6291456 bytes)."""

    handler_dir = "results"  # answers "hello" to {"case":"string"}: a 6 MiB event must not come back

    def test_body_over_6_mib_413_and_at_6_mib_accepted(self):
        def event(size):
            head = '{"case":"string","pad":"'
            return head + "x" * (size - len(head) - 2) + '"}'

        self.assertEqual(len(event(6291456)), 6291456)
        self.assertErrorObject(self.invoke(event(6291457)), 413, "PayloadTooLarge")
        self.assertEqual(self.assertEnvelope(self.invoke(event(6291456)))["body"], "hello")


class MaxBodyFromEnvTest(FnluaCase):
    handler_dir = "echo"
    server_env = {"FNLUA_MAX_BODY": "100"}

    def test_fnlua_max_body_env_gives_413(self):
        self.assertErrorObject(self.invoke(padded_json(200)), 413, "PayloadTooLarge")
        self.assertEnvelope(self.invoke(padded_json(100)))


class RepeatedInitTest(FnluaCase):
    """/init three times with one worker: initializer runs once, the handler sees count 1."""

    handler_dir = "initcounter"

    def test_repeated_init_runs_initializer_once(self):
        for attempt in range(3):
            resp = self.server.request("POST", "/init")
            self.assertEqual(resp.status, 200, f"/init #{attempt + 1}: {resp}")
            self.assertEqual(resp.json, {"status": "ok"})
        body = self.envelope_json_body(self.invoke())
        self.assertEqual(body["count"], 1)
        self.assertEqual(self.envelope_json_body(self.invoke())["count"], 1, "initializer ran again at /invoke")
        lines = self.server.wait_for_lines(lambda l: INIT_LOG in l, count=1)
        time.sleep(0.2)  # give a second (wrong) line time to show up
        lines = [l for l in self.server.output() if INIT_LOG in l]
        self.assertEqual(len(lines), 1, lines)
        self.assertIn(INIT_LOG + "1", lines[0])


class RepeatedInitTwoWorkersTest(FnluaCase):
    """/init three times with two workers: the initializer logs once per worker, never more."""

    handler_dir = "initcounter"
    workers = 2

    def test_initializer_once_per_worker(self):
        for _ in range(3):
            self.assertEqual(self.server.request("POST", "/init").json, {"status": "ok"})
        self.server.wait_for_lines(lambda l: INIT_LOG in l, count=2)
        for _ in range(4):
            self.assertEqual(self.envelope_json_body(self.invoke())["count"], 1)
        time.sleep(0.2)
        lines = [l for l in self.server.output() if INIT_LOG in l]
        self.assertEqual(len(lines), 2, lines)
        self.assertTrue(all(INIT_LOG + "1" in l for l in lines), lines)


class LazyInitTest(FnluaCase):
    """/invoke before any /init initializes lazily: the initializer runs before the handler."""

    handler_dir = "initcounter"

    def test_invoke_without_init_runs_initializer_first(self):
        self.assertEqual(self.envelope_json_body(self.invoke())["count"], 1)
        resp = self.server.request("POST", "/init")
        self.assertEqual(resp.status, 200, resp)
        self.assertEqual(resp.json, {"status": "ok"})
        self.assertEqual(self.envelope_json_body(self.invoke())["count"], 1, "/init after lazy init ran it again")


class InitializerOptionTest(FnluaCase):
    handler_dir = "initcounter"
    server_args = ("--initializer", "index.setup")

    def test_initializer_flag_chooses_the_function(self):
        self.assertEqual(self.server.request("POST", "/init").status, 200)
        self.assertTrue(self.envelope_json_body(self.invoke())["setupRan"])


class SigtermTest(FnluaCase):
    def test_sigterm_exits_zero(self):
        server = self.start_server("echo")
        self.assertEnvelope(server.invoke({"a": 1}))
        self.assertEqual(server.stop(), 0)


class RefusalLoggedTest(FnluaCase):
    """A refusal is logged at its kind's level (DEBUG) naming its errorType."""

    handler_dir = "echo"
    server_args = ("--log-level", "debug")

    def test_unknown_path_logged_as_not_found(self):
        self.assertErrorObject(self.server.request("GET", "/no/such/path"), 404, "NotFound")
        self.assertErrorLogged("-", "NotFound", "DEBUG")
