"""Coroutines the handler creates: a call or a sleep inside one (an iterator, coroutine.wrap)
suspends the invocation instead of holding the Lua state; a long computation inside one is
paused at the end of its time slice instead of holding the HTTP thread; and
coroutine.resume/coroutine.wrap keep Lua's own results and errors."""

import concurrent.futures
import http.client
import threading
import time

from harness import FnluaCase


class CoroutineWaitsTest(FnluaCase):
    handler_dir = "coroutines"
    workers = 1

    def test_sleeps_inside_a_wrapped_iterator_let_other_invocations_run(self):
        self.invoke({})  # load the state first
        start = time.monotonic()
        with concurrent.futures.ThreadPoolExecutor(max_workers=4) as pool:
            futs = [pool.submit(self.invoke, {"kind": "sleepy_iterator", "sleep": 0.2},
                                {"X-CFF-Request-Id": f"co-{i}"}) for i in range(4)]
            results = [f.result() for f in futs]
        took = time.monotonic() - start
        for i, resp in enumerate(results):
            self.assertEqual(self.envelope_json_body(resp), {"got": [1, 2, 3], "id": f"co-{i}"})
        # 4 invocations x 0.6 s of sleeps on one Lua state: overlapped, not in turn (2.4 s)
        self.assertLess(took, 1.5, f"the sleeps inside coroutines were taken in turn: {took:.2f} s")

    def test_coroutine_resume_and_wrap_keep_lua_results_and_errors(self):
        def check(resp):
            body = self.envelope_json_body(resp)
            self.assertEqual(body["r"], [True, 2])
            self.assertEqual(body["r2"], [False, "boom 5"])
            self.assertEqual(body["r3"], [False, "cannot resume dead coroutine"])
            self.assertEqual(body["wrapOk"], False)
            self.assertEqual(body["wrapCode"], 7)
            self.assertEqual(body["nested"], "inner+outer")
            self.assertEqual(body["status"], "dead")

        self.check_twice("POST", "/invoke", check, body={"kind": "semantics"})


class CoroutineSliceTest(FnluaCase):
    handler_dir = "coroutines"
    workers = 1

    def test_busy_code_inside_coroutine_wrap_does_not_hold_the_http_thread(self):
        self.invoke({})  # loaded: the next invocation runs inline on the HTTP thread
        busy = {}
        t = threading.Thread(target=lambda: busy.setdefault("resp", self.invoke({"kind": "busy_wrap", "busy": 1.5})))
        t.start()
        try:
            time.sleep(0.3)
            conn = http.client.HTTPConnection("127.0.0.1", self.server.port, timeout=10)
            start = time.monotonic()
            conn.request("GET", "/healthz")
            r = conn.getresponse()
            r.read()
            took = time.monotonic() - start
            conn.close()
            self.assertEqual(r.status, 200)
            self.assertLess(took, 0.5, f"/healthz waited {took:.2f} s behind busy code in a coroutine")
        finally:
            t.join(10)
        self.assertEqual(busy["resp"].json["body"], "done")


class WaitingCoroutinesTest(FnluaCase):
    """A coroutine suspended on a wait cannot be resumed or closed by other code (another
    invocation holding it in a module variable): its call or timer is still in flight."""

    handler_dir = "coroutines"
    workers = 1

    def test_another_invocation_cannot_resume_or_close_a_waiting_invocation(self):
        self.invoke({})
        parked = {}
        t = threading.Thread(target=lambda: parked.setdefault("resp", self.invoke({"kind": "park", "sleep": 0.5})))
        t.start()
        try:
            time.sleep(0.2)
            body = self.envelope_json_body(self.invoke({"kind": "steal"}))
        finally:
            t.join(10)
        self.assertEqual(body["resumeOk"], False)
        self.assertIn("waiting for fnlua.http or fnlua.sleep", body["resumeErr"])
        self.assertEqual(body["closeOk"], False)
        self.assertIn("waiting for fnlua.http or fnlua.sleep", body["closeErr"])
        self.assertEqual(self.envelope_json_body(parked["resp"]), {"parked": "woke normally"})

    def test_a_shared_generator_waiting_inside_cannot_be_resumed_by_another_invocation(self):
        self.invoke({})
        first = {}
        t = threading.Thread(target=lambda: first.setdefault("resp", self.invoke({"kind": "share_gen", "sleep": 0.5})))
        t.start()
        try:
            time.sleep(0.2)
            body = self.envelope_json_body(self.invoke({"kind": "steal_gen"}))
        finally:
            t.join(10)
        self.assertEqual(body["ok"], False)
        self.assertIn("waiting for fnlua.http or fnlua.sleep", body["err"])
        self.assertEqual(self.envelope_json_body(first["resp"]), {"got": "first"})
