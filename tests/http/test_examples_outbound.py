"""handlers/rest-retry and handlers/fan-out → calls to a local stand-in for a REST API.

The stand-in (loopback, port 0, HTTP/1.1 keep-alive) answers by path, so each
test picks the behaviour it needs: `/flaky/<key>` fails twice with 503 and
then answers, `/down/<key>` always answers 503, `/stall-once/<key>` keeps the
first request waiting, `/items/<id>` answers after 300 ms. It records every
request (path, client port, start and end time), so the tests see the
attempts the functions made and whether calls overlapped. The examples run in
`fnlua serve` with API_URL pointing at the stand-in, one worker (one Lua
state), so "in flight at once" means in one Lua state.
"""

import json
import threading
import time
import unittest
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

from harness import REPO, FnluaCase, Server

REST_RETRY = REPO / "handlers" / "rest-retry"
FAN_OUT = REPO / "handlers" / "fan-out"
ITEM_DELAY = 0.3
# calls to 127.0.0.1 never go through a proxy the machine may have set
NO_PROXY = {"no_proxy": "127.0.0.1", "NO_PROXY": "127.0.0.1"}


class ApiStandIn(ThreadingHTTPServer):
    """A REST API on 127.0.0.1 that misbehaves on request; see the module doc."""

    daemon_threads = True

    def __init__(self):
        super().__init__(("127.0.0.1", 0), ApiHandler)
        self.lock = threading.Lock()
        self.calls = []  # {"path", "port", "start", "end"} per request, in arrival order
        self.counts = {}  # path -> requests so far

    @property
    def endpoint(self):
        return f"http://{self.hostport}"

    @property
    def hostport(self):
        """How fnlua.http's errors name this stand-in."""
        return f"127.0.0.1:{self.server_address[1]}"

    def seen(self, prefix=""):
        with self.lock:
            return [c for c in self.calls if c["path"].startswith(prefix)]


class ApiHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as real APIs do

    def log_message(self, *args):  # keep the test output clean
        pass

    def answer(self, status, value, headers=()):
        data = value.encode() if isinstance(value, str) else json.dumps(value).encode()
        try:
            self.send_response(status)
            self.send_header("Content-Type", "text/plain" if isinstance(value, str) else "application/json")
            self.send_header("Content-Length", str(len(data)))
            for name, v in headers:
                self.send_header(name, v)
            self.end_headers()
            self.wfile.write(data)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the caller gave up (its timeout): nothing to answer

    def do_GET(self):
        path = urlsplit(self.path).path
        record = {"path": path, "port": self.client_address[1], "start": time.monotonic(), "end": None}
        with self.server.lock:
            self.server.calls.append(record)
            n = self.server.counts[path] = self.server.counts.get(path, 0) + 1
        kind, _, key = path.strip("/").partition("/")
        if kind == "flaky" and n <= 2:
            self.answer(503, {"error": "busy, try again"})
        elif kind == "down":
            self.answer(503, {"error": "down for maintenance"})
        elif kind == "busy" and n == 1:
            self.answer(429, {"error": "slow down"}, [("Retry-After", "1")])
        elif kind == "missing":
            self.answer(404, {"error": "no such thing"})
        elif kind == "stall" or (kind == "stall-once" and n == 1):
            time.sleep(3)
            self.answer(200, {"late": True})
        elif kind == "items":
            time.sleep(ITEM_DELAY)
            if key == "missing":
                self.answer(404, {"error": "no such item"})
            elif key == "broken":
                self.answer(200, "<html>not json</html>")
            elif key == "slow":
                time.sleep(2)
                self.answer(200, {"id": key})
            else:
                self.answer(200, {"id": key, "name": f"item {key}"})
        else:
            self.answer(200, {"key": key, "ok": True, "attempt": n})
        record["end"] = time.monotonic()


class StandInCase(FnluaCase):
    """Starts the stand-in once per class; subclasses start their servers."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.api = ApiStandIn()
        threading.Thread(target=cls.api.serve_forever, daemon=True).start()
        cls.addClassCleanup(cls.api.server_close)
        cls.addClassCleanup(cls.api.shutdown)

    def timed_invoke(self, event, headers=None, server=None):
        t0 = time.monotonic()
        resp = self.invoke(event, headers=headers, server=server)
        return resp, time.monotonic() - t0


class RestRetryExampleTest(StandInCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.server = cls.start_server(REST_RETRY, env=dict(NO_PROXY, API_URL=cls.api.endpoint + "/"))
        # a second state of affairs: many attempts allowed, short attempts, so the deadline decides
        cls.patient = cls.start_server(REST_RETRY, env=dict(
            NO_PROXY, API_URL=cls.api.endpoint, API_MAX_ATTEMPTS="50", API_ATTEMPT_TIMEOUT="0.5"))

    def test_two_503_then_success_three_attempts_and_the_json(self):
        for run in (1, 2):  # twice: nothing of the first invocation leaks into the second
            with self.subTest(run=run):
                path = f"/flaky/k{run}"
                resp = self.invoke({"path": path, "query": {"lang": "en"}},
                                   headers={"X-CFF-Request-Id": f"flaky-{run}"})
                body = self.envelope_json_body(resp)
                self.assertEqual(body, {"attempts": 3, "data": {"key": f"k{run}", "ok": True, "attempt": 3}}, resp)
                self.assertEqual(len(self.api.seen(path)), 3)
                warned = self.server.wait_for_lines(lambda l, r=run: f"flaky-{r} WARN" in l and "HTTP 503" in l, 2)
                self.assertEqual(len(warned), 2, self.server.output()[-10:])

    def test_always_503_clear_error_after_max_attempts(self):
        resp, took = self.timed_invoke({"path": "/down/a"}, headers={"X-CFF-Timeout": "10"})
        self.assertErrorObject(resp, 500, "HandlerError", [
            f"GET {self.api.endpoint}/down/a failed after 4 attempt(s): HTTP 503: ",
            "down for maintenance"])
        self.assertEqual(len(self.api.seen("/down/a")), 4)
        self.assertLess(took, 5.0)

    def test_always_503_gives_up_before_the_deadline_not_timeout_error(self):
        resp, took = self.timed_invoke({"path": "/down/b"}, headers={"X-CFF-Timeout": "2"}, server=self.patient)
        self.assertErrorObject(resp, 500, "HandlerError", [
            "failed after", "HTTP 503", "no time left for another attempt before the deadline"])
        self.assertLess(took, 2.0, "answered after the invocation's deadline")
        self.assertGreaterEqual(len(self.api.seen("/down/b")), 3)

    def test_stalling_api_each_attempt_times_out_error_before_the_deadline(self):
        resp, took = self.timed_invoke({"path": "/stall/c"}, headers={"X-CFF-Timeout": "2"}, server=self.patient)
        self.assertErrorObject(resp, 500, "HandlerError", [
            f"timeout: {self.api.hostport} did not answer in time",
            "no time left for another attempt before the deadline"])
        self.assertLess(took, 2.0)
        self.assertGreaterEqual(len(self.api.seen("/stall/c")), 2)

    def test_attempt_timeout_is_retried(self):
        resp = self.invoke({"path": "/stall-once/d"}, headers={"X-CFF-Timeout": "10"}, server=self.patient)
        self.assertEqual(self.envelope_json_body(resp)["attempts"], 2, resp)

    def test_retry_after_is_waited_for(self):
        resp, took = self.timed_invoke({"path": "/busy/e"})
        self.assertEqual(self.envelope_json_body(resp)["attempts"], 2, resp)
        first, second = self.api.seen("/busy/e")
        self.assertGreaterEqual(second["start"] - first["end"], 0.95, "Retry-After: 1 not honoured")

    def test_404_is_not_retried(self):
        resp = self.invoke({"path": "/missing/f"})
        self.assertErrorObject(resp, 500, "HandlerError", "/missing/f failed: HTTP 404: ")
        self.assertIn("(not retried)", resp.json["errorMessage"])
        self.assertEqual(len(self.api.seen("/missing/f")), 1)

    def test_bad_path_is_400_without_a_call(self):
        before = len(self.api.seen())
        env = self.assertEnvelope(self.invoke({"path": "@evil.example"}), 400)
        self.assertIn("path", json.loads(env["body"])["error"])
        self.assertEqual(len(self.api.seen()), before)

    def test_backing_off_invocation_does_not_hold_the_lua_state(self):
        # one worker: while the first invocation sleeps between attempts, the
        # same Lua state answers the second at once
        slow = {}
        t = threading.Thread(target=lambda: slow.update(resp=self.invoke(
            {"path": "/down/g"}, headers={"X-CFF-Timeout": "2"}, server=self.patient)))
        t.start()
        self.addCleanup(t.join, 5)
        deadline = time.monotonic() + 2
        while not self.api.seen("/down/g") and time.monotonic() < deadline:
            time.sleep(0.01)
        resp, took = self.timed_invoke({"path": "/ok/g"}, server=self.patient)
        self.assertEqual(self.envelope_json_body(resp)["attempts"], 1, resp)
        self.assertLess(took, 0.5)
        self.assertTrue(t.is_alive(), "the first invocation should still be backing off")
        t.join(5)
        self.assertErrorObject(slow["resp"], 500, "HandlerError", "no time left")

    def test_connection_kept_alive_across_invocations(self):
        self.invoke({"path": "/ok/h1"})
        self.invoke({"path": "/ok/h2"})
        ports = [c["port"] for c in self.api.seen("/ok/h")]
        self.assertEqual(len(ports), 2)
        self.assertEqual(ports[0], ports[1], "the second invocation opened a new connection")

    def test_no_api_url_is_an_initializer_error(self):
        server = Server(REST_RETRY, env=NO_PROXY).start()
        self.addCleanup(server.stop)
        self.assertErrorObject(server.invoke({}), 500, "InitializerError", "API_URL must be")


class FanOutExampleTest(StandInCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.server = cls.start_server(FAN_OUT, env=dict(
            NO_PROXY, API_URL=cls.api.endpoint + "/items/{id}", API_TIMEOUT="1"))

    def test_five_items_fetched_at_once(self):
        for run in (1, 2):
            with self.subTest(run=run):
                ids = [f"r{run}-{i}" for i in range(1, 6)]
                resp, took = self.timed_invoke({"ids": ids})
                body = self.envelope_json_body(resp)
                self.assertEqual(body["ok"], 5, resp)
                self.assertEqual(body["failed"], 0, resp)
                self.assertEqual(body["items"], [{"id": i, "item": {"id": i, "name": f"item {i}"}} for i in ids])
                calls = self.api.seen(f"/items/r{run}-")
                self.assertEqual(len(calls), 5)
                # five calls of 300 ms each: one after another they would take 1.5 s
                self.assertLess(took, 1.0)
                self.assertLess(max(c["start"] for c in calls), min(c["end"] for c in calls),
                                "the calls did not overlap")

    def test_failures_reported_per_item(self):
        resp = self.invoke({"ids": ["good", "missing", "broken", "slow", 7]})
        body = self.envelope_json_body(resp)
        self.assertEqual((body["ok"], body["failed"]), (2, 3), resp)
        items = body["items"]
        self.assertEqual(items[0], {"id": "good", "item": {"id": "good", "name": "item good"}})
        self.assertEqual(items[1], {"id": "missing", "error": "HTTP 404"})
        self.assertEqual(items[2]["id"], "broken")
        self.assertTrue(items[2]["error"].startswith("not JSON: "), items[2])
        self.assertEqual(items[3], {"id": "slow", "error": f"timeout: {self.api.hostport} did not answer in time"})
        self.assertEqual(items[4], {"id": 7, "item": {"id": "7", "name": "item 7"}})
        self.assertTrue(self.server.wait_for_lines(lambda l: "WARN" in l and "item missing: HTTP 404" in l))

    def test_every_item_failing_is_502(self):
        env = self.assertEnvelope(self.invoke({"ids": ["missing", "missing"]}), 502)
        self.assertEqual(json.loads(env["body"])["failed"], 2)

    def test_ids_are_percent_encoded_into_the_url(self):
        self.envelope_json_body(self.invoke({"ids": ["a/b c"]}))
        self.assertEqual([c["path"] for c in self.api.seen("/items/a")], ["/items/a%2Fb%20c"])

    def test_bad_ids_are_400_without_a_call(self):
        before = len(self.api.seen())
        for event in ({}, {"ids": []}, {"ids": "1,2"}, {"ids": [1.5]}, {"ids": list(range(51))}):
            with self.subTest(event=event):
                env = self.assertEnvelope(self.invoke(event), 400)
                self.assertIn("ids", json.loads(env["body"])["error"])
        self.assertEqual(len(self.api.seen()), before)


if __name__ == "__main__":
    unittest.main()
