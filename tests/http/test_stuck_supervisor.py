"""Code that no hook can interrupt (a C function, or a __gc metamethod, which Lua runs with
hooks off) and never returns. The supervisor answers the invocation TimeoutError shortly
after its deadline, answers the other invocations of that Lua state ServiceUnavailable,
puts a fresh state in its place (the instance keeps serving at full capacity, on the HTTP
thread too), reports the stuck state in the log and in /healthz, and still stops on SIGTERM.
The finalizers spin a CPU core, so each test runs its own short-lived server."""

import http.client
import json
import threading
import time
import unittest

from harness import FnluaCase, Server, handler_path, header

TIMEOUT_S = 1           # --timeout: the deadline is 0.95 s after arrival (5 % margin)
ANSWER_WITHIN = 3.0     # deadline + the supervisor's 0.5 s + its 0.1 s tick + a loaded machine


class StuckSupervisorTest(FnluaCase):
    def fresh_server(self, workers=1, extra=()):
        s = Server(handler_path("stuckcode"), args=("--timeout", str(TIMEOUT_S), *extra), workers=workers)
        s.start()
        self.addCleanup(self.stop_quickly, s)
        return s

    def stop_quickly(self, s):
        code = s.stop()
        self.assertEqual(code, 0, "fnlua did not exit cleanly with a stuck state:\n" + "\n".join(s.stderr_lines[-40:]))

    def timed_invoke(self, s, event, rid):
        t0 = time.monotonic()
        resp = s.invoke(event, headers={"X-CFF-Request-Id": rid})
        return resp, time.monotonic() - t0

    def health(self, s):
        resp = s.request("GET", "/healthz")
        return resp.status, json.loads(resp.body)

    def assert_serves(self, s, n=3):
        for i in range(n):
            resp = s.invoke({"kind": "fine"}, headers={"X-CFF-Request-Id": f"after-{i}"})
            self.assertEqual(self.envelope_json_body(resp), {"ok": True})

    def test_stuck_on_the_http_thread_is_answered_and_replaced(self):
        s = self.fresh_server()
        # a loaded state runs a new invocation on the HTTP thread that received it; a
        # kept-alive neighbour on that (only) HTTP thread must not be left hanging
        neighbour = http.client.HTTPConnection("127.0.0.1", s.port, timeout=10)
        neighbour.request("POST", "/invoke", body=json.dumps({"kind": "fine"}))
        self.assertEqual(neighbour.getresponse().read() != b"", True)
        time.sleep(0.3)  # the loop thread that loaded the state lets go of it: the next one runs inline
        resp, took = self.timed_invoke(s, {"kind": "gc"}, "stuck-http")
        self.assertLess(took, ANSWER_WITHIN, f"answered after {took:.2f} s")
        self.assertGreater(took, 0.9, "answered before its deadline")
        self.assertErrorObject(resp, 500, "TimeoutError", message_contains=("cannot interrupt",))
        self.assertEqual(header(resp.headers, "Connection").lower(), "close")
        self.assertErrorLogged("stuck-http", "TimeoutError", server=s)
        lines = s.wait_for_lines(lambda l: "is stuck in request stuck-http" in l and " ERROR " in l)
        self.assertTrue(lines, "no ERROR line naming the stuck state")
        # the neighbour's connection is closed (its client sends again), not left hanging
        neighbour.sock.settimeout(5)
        self.assertEqual(neighbour.sock.recv(1), b"", "the neighbour connection was not closed")
        neighbour.close()
        # the only Lua state and the only HTTP thread are lost: both are replaced
        self.assert_serves(s)
        status, body = self.health(s)
        self.assertEqual(status, 200)
        self.assertEqual(body["status"], "ok")
        self.assertEqual(len(body["stuck"]), 1)
        stuck = body["stuck"][0]
        self.assertEqual((stuck["requestId"], stuck["thread"], stuck["returned"]), ("stuck-http", "http", False))

    def test_stuck_on_the_loop_thread_answers_the_state_s_other_invocations(self):
        s = self.fresh_server()
        results = {}

        def sleeper(i):
            results[i] = self.timed_invoke(s, {"kind": "sleep", "seconds": 0.8}, f"victim-{i}")

        threads = [threading.Thread(target=sleeper, args=(i,)) for i in range(3)]
        for t in threads:
            t.start()
        time.sleep(0.2)  # the sleepers are suspended in the one state
        resp, took = self.timed_invoke(s, {"kind": "gcafterwait"}, "stuck-loop")
        for t in threads:
            t.join(10)
        self.assertLess(took, ANSWER_WITHIN, f"answered after {took:.2f} s")
        self.assertErrorObject(resp, 500, "TimeoutError")
        # a sleeper still waiting when the state got stuck gets ServiceUnavailable; one whose
        # sleep ended before cannot go on either (the state is held): same answer
        for i, (vresp, vtook) in results.items():
            self.assertLess(vtook, ANSWER_WITHIN)
            self.assertErrorObject(vresp, 503, "ServiceUnavailable", message_contains=("send the request again",))
        status, body = self.health(s)
        self.assertEqual(status, 200)
        self.assertEqual(body["stuck"][0]["thread"], "loop")
        self.assert_serves(s)

    def test_code_that_comes_back_late_is_not_answered_twice(self):
        s = self.fresh_server()
        resp, took = self.timed_invoke(s, {"kind": "gc", "seconds": 2.5}, "slow-gc")
        self.assertLess(took, 2.4, f"answered after {took:.2f} s: waited for the finalizer")
        self.assertErrorObject(resp, 500, "TimeoutError")
        lines = s.wait_for_lines(lambda l: "slow-gc returned" in l, timeout=10)
        self.assertTrue(lines, "no line saying the stuck code came back")
        status, body = self.health(s)
        self.assertEqual(status, 200)
        self.assertEqual(body["stuck"][0]["returned"], True)
        self.assert_serves(s)
        # one answer only: the request id has exactly one TimeoutError line
        errors = [l for l in s.output() if "slow-gc" in l and "TimeoutError:" in l]
        self.assertEqual(len(errors), 1, errors)

    def test_more_stuck_states_than_workers_make_the_instance_unhealthy(self):
        s = self.fresh_server()
        for i in range(2):
            resp, _ = self.timed_invoke(s, {"kind": "gc"}, f"stuck-{i}")
            self.assertErrorObject(resp, 500, "TimeoutError")
            status, body = self.health(s)
            self.assertEqual(len(body["stuck"]), i + 1)
        self.assertEqual(status, 503)
        self.assertEqual(body["status"], "unhealthy")
        self.assertIn("stuck", body["reason"])
        # unhealthy, yet still serving on its replacement state
        self.assert_serves(s, 1)


if __name__ == "__main__":
    unittest.main()
