"""Outbound calls, the waiting: an invocation that waits on a call or a sleep is
suspended — it holds neither its Lua state nor a thread — and still keeps its deadline, its
request id and its error object. Deadlines during a call, stalled peers, sleeps, module state
shared by suspended invocations, --concurrency, 1000 waiting invocations, leaks over 10,000
failing calls, SIGTERM while calls wait. The API itself is in test_outbound.
"""

import concurrent.futures
import json
import shutil
import signal
import subprocess
import tempfile
import time

from harness import LOG_LINE_RE, Server, fnlua_bin
from outbound import (OutboundCase, Peers, Sampler, closed_port, fds, invoke_many, rss_kb,
                      sanitized, tcp_connections, threads)

PEERS = Peers()


def setUpModule():
    OutboundCase.peers = PEERS.start(tempfile.mkdtemp(prefix="fnlua-outbound-"))


def tearDownModule():
    PEERS.stop()
    shutil.rmtree(PEERS.tmp, ignore_errors=True)


def links_debian_libcurl():
    """The binary under test uses the shared libcurl.so.4 (Debian's: threaded resolver)."""
    try:
        out = subprocess.run(["ldd", fnlua_bin()], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, timeout=10)
    except (OSError, subprocess.TimeoutExpired):
        return False
    return b"libcurl.so" in out.stdout


def in_parallel(n, f):
    with concurrent.futures.ThreadPoolExecutor(max_workers=n) as pool:
        return list(pool.map(f, range(n)))


# ---------------------------------------------------------------- deadlines

class DeadlineDuringCallTest(OutboundCase):
    """The invocation's deadline passes while it waits: TimeoutError, the transfer aborted, the
    state (one worker) serves the next invocation at once."""

    def assertTimedOut(self, case, fields, limit=1.5):
        resp, elapsed = self.timed(case, headers={"X-CFF-Timeout": "1"}, **fields)
        self.assertErrorObject(resp, 500, "TimeoutError")
        self.assertLess(elapsed, limit, f"{case}: TimeoutError after {elapsed:.2f} s with X-CFF-Timeout 1")
        self.assertGreater(elapsed, 0.8, f"{case}: ended after {elapsed:.2f} s, before the deadline")
        resp, elapsed = self.timed("get", url=PEERS.backend.url("/echo?after=timeout"))
        self.assertEqual(self.result(resp)["status"], 200)
        self.assertLess(elapsed, 0.5, "the next invocation waited behind the timed-out one")

    def test_call_to_stalled_peer_ends_with_timeout_error(self):
        for attempt in (1, 2):
            with self.subTest(attempt=attempt):
                self.assertTimedOut("request", {"req": {"url": PEERS.backend.url("/stall"), "timeout": 30}})

    def test_request_all_to_stalled_peers_ends_with_timeout_error(self):
        reqs = [{"url": PEERS.backend.url("/stall")}, {"url": PEERS.backend.url("/echo")},
                {"url": PEERS.backend.url("/stall")}]
        self.assertTimedOut("all", {"reqs": reqs})

    def test_own_pcall_around_the_call_cannot_swallow_the_timeout(self):
        for attempt in (1, 2):
            with self.subTest(attempt=attempt):
                self.assertTimedOut("pcall_call", {"url": PEERS.backend.url("/stall")})

    def test_sleep_past_the_deadline_ends_with_timeout_error(self):
        for case in ("sleep", "pcall_sleep"):
            with self.subTest(case):
                self.assertTimedOut(case, {"seconds": 5})


class StalledPeerTest(OutboundCase):
    """10 invocations waiting on a peer that never answers do not stall the instance."""

    def test_stalled_calls_leave_instance_serving(self):
        PEERS.backend.reset_counts()
        url = PEERS.backend.url("/stall")
        calls = [({"case": "get", "url": url}, {"X-CFF-Timeout": "3", "X-CFF-Request-Id": f"stalled-{i}"})
                 for i in range(10)]
        with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
            waiting = pool.submit(invoke_many, self.server.port, calls, 20)
            deadline = time.monotonic() + 3
            while sum(1 for _, p, _, _ in PEERS.backend.requests if p == "/stall") < 10:
                self.assertLess(time.monotonic(), deadline, "the 10 stalled calls did not all reach the peer")
                time.sleep(0.02)
            for n in range(3):
                start = time.monotonic()
                self.assertEqual(self.server.request("GET", "/healthz").status, 200)
                res = self.result(self.call("get", url=PEERS.backend.url(f"/echo?beside=stall{n}")))
                self.assertEqual(res["status"], 200)
                self.assertEqual(self.result(self.call("sleep", seconds=0.01)), {"slept": 0.01})
                took = time.monotonic() - start
                self.assertLess(took, 0.5, f"healthz + two invocations took {took:.2f} s beside 10 stalled calls")
            answers = waiting.result(25)
        for status, doc, text, _ in answers:
            self.assertEqual(status, 500, text)
            self.assertEqual(doc["errorType"], "TimeoutError", text)
        # fnlua's own error lines name the invocation that timed out while it was suspended
        logged = self.server.wait_for_lines(lambda l: "TimeoutError" in l and " stalled-" in l, count=10)
        self.assertEqual(sorted(LOG_LINE_RE.match(l)["request_id"] for l in logged),
                         sorted(f"stalled-{i}" for i in range(10)), logged)
        # the transfers were aborted: the peer saw its callers hang up, fnlua holds no socket to it
        deadline = time.monotonic() + 2
        while PEERS.backend.stalled and time.monotonic() < deadline:
            time.sleep(0.05)
        self.assertEqual(PEERS.backend.stalled, 0, "stalled calls still connected after their invocations ended")


# ---------------------------------------------------------------- suspension in one state

class SuspendedInvocationsTest(OutboundCase):
    """--workers 1: waiting invocations share the one state, with their own request ids."""

    def test_sleep_waits_at_least_its_time(self):
        for attempt in (1, 2):
            resp, elapsed = self.timed("sleep", seconds=0.3)
            self.assertEqual(self.result(resp), {"slept": 0.3})
            self.assertGreaterEqual(elapsed, 0.3, f"sleep(0.3) returned after {elapsed:.3f} s")
            self.assertLess(elapsed, 0.8)

    def test_two_sleeps_in_one_state_overlap(self):
        start = time.monotonic()
        answers = in_parallel(2, lambda i: self.call("sleep", seconds=0.5))
        elapsed = time.monotonic() - start
        for resp in answers:
            self.assertEqual(self.result(resp), {"slept": 0.5})
        self.assertLess(elapsed, 0.9, f"two sleeps of 0.5 s in one state took {elapsed:.2f} s: one blocked the other")

    def test_calls_in_one_state_overlap(self):
        start = time.monotonic()
        answers = in_parallel(4, lambda i: self.call("get", url=PEERS.backend.url(f"/delay?ms=400&i={i}")))
        elapsed = time.monotonic() - start
        for resp in answers:
            self.assertEqual(self.result(resp)["status"], 200)
        self.assertLess(elapsed, 1.0, f"4 calls of 400 ms from 4 invocations in one state took {elapsed:.2f} s")

    def test_busy_past_the_slice_then_call_then_busy(self):
        """Invocations paused at the end of their time slice, then waiting, then busy again
        (carried by the state's loop thread): each answered with its own request id."""
        url = PEERS.backend.url("/delay?ms=100")
        calls = [({"case": "busy_call", "ms": 15, "url": url}, {"X-CFF-Request-Id": f"busy-{i}"}) for i in range(8)]
        for status, doc, text, _ in invoke_many(self.server.port, calls, 20):
            self.assertEqual(status, 200, text)
        answers = invoke_many(self.server.port, calls, 20)
        for i, (status, doc, text, _) in enumerate(answers):
            self.assertEqual(status, 200, text)
            self.assertEqual(json.loads(doc["body"]), {"id": f"busy-{i}", "status": 200})

    def test_module_level_variables_shared_between_suspended_invocations(self):
        before = self.result(self.call("counter_read"))["counter"]
        answers = in_parallel(5, lambda i: self.call("counter", seconds=0.3))
        seen = sorted(self.result(r)["counter"] - before for r in answers)
        # every invocation's first increment lands before any second one: all 5 waited at once
        self.assertGreaterEqual(seen[0], 6, f"counters seen after the sleep: {seen}")
        self.assertEqual(seen[-1], 10, f"counters seen after the sleep: {seen}")
        self.assertEqual(self.result(self.call("counter_read"))["counter"] - before, 10)

    def test_request_id_on_every_log_line_before_and_after_waits(self):
        url = PEERS.backend.url("/delay?ms=200")
        calls = [({"case": "log_around", "url": url, "tag": f"tag{i:02d}x"}, {"X-CFF-Request-Id": f"rid-{i:02d}"})
                 for i in range(20)]
        start = time.monotonic()
        answers = invoke_many(self.server.port, calls, 20)
        elapsed = time.monotonic() - start
        for i, (status, doc, text, _) in enumerate(answers):
            self.assertEqual(status, 200, text)
            body = json.loads(doc["body"])
            self.assertEqual((body["id"], body["status"]), (f"rid-{i:02d}", 200), body)
        self.assertLess(elapsed, 2.0, f"20 invocations each waiting 250 ms took {elapsed:.2f} s")
        for i in range(20):
            tag = f"tag{i:02d}x"
            lines = self.server.wait_for_lines(lambda l, t=tag: l.endswith(" " + t), count=4)
            messages = []
            for line in lines:
                m = LOG_LINE_RE.match(line)
                self.assertIsNotNone(m, line)
                self.assertEqual(m["request_id"], f"rid-{i:02d}", f"log line of another invocation: {line}")
                messages.append(m["message"])
            self.assertEqual(sorted(messages), sorted([f"before call {tag}", f"after call {tag}",
                                                       f"print after call {tag}", f"after sleep {tag}"]), lines)


class JsonLogsAfterResumeTest(OutboundCase):
    """--log-format json: lines written after a wait carry the invocation's requestId too."""

    server_args = ("--log-format", "json")

    def test_request_id_field_after_resume(self):
        calls = [({"case": "log_around", "url": PEERS.backend.url("/delay?ms=100"), "tag": f"json{i}x"},
                  {"X-CFF-Request-Id": f"json-rid-{i}"}) for i in range(5)]
        for status, doc, text, _ in invoke_many(self.server.port, calls, 20):
            self.assertEqual(status, 200, text)
        for i in range(5):
            lines = self.server.wait_for_lines(lambda l, t=f"json{i}x": t in l, count=4)
            self.assertEqual(len(lines), 4, lines)
            for line in lines:
                self.assertEqual(json.loads(line)["requestId"], f"json-rid-{i}", line)


class ConcurrencyLimitTest(OutboundCase):
    """--concurrency 2: six sleeping invocations, at most two in flight at once, all answered."""

    server_args = ("--concurrency", "2")

    def test_at_most_two_invocations_in_flight(self):
        self.result(self.call("inflight_reset"))
        start = time.monotonic()
        answers = invoke_many(self.server.port, [({"case": "inflight", "seconds": 0.4}, {})] * 6, 20)
        elapsed = time.monotonic() - start
        maxima = []
        for status, doc, text, _ in answers:
            self.assertEqual(status, 200, text)
            maxima.append(json.loads(doc["body"])["max"])
        self.assertEqual(max(maxima), 2, f"in flight at once, as each invocation saw it: {maxima}")
        self.assertGreater(elapsed, 3 * 0.4 - 0.05, f"6 × 0.4 s at 2 at a time took only {elapsed:.2f} s")
        self.assertLess(elapsed, 3 * 0.4 + 1.0, f"6 × 0.4 s at 2 at a time took {elapsed:.2f} s")
        done = sorted(t for *_, t in answers)
        self.assertLess(done[1], 0.4 + 0.35, f"the first two did not run at once: {done}")

    def test_invocation_waiting_its_turn_still_answered_by_its_deadline(self):
        """Past --concurrency a request waits its turn, but its deadline runs from its arrival:
        when it passes in the queue, the answer is its TimeoutError then, not when a slot frees."""
        with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
            busy = pool.submit(invoke_many, self.server.port, [({"case": "sleep", "seconds": 3}, {})] * 2, 20)
            time.sleep(0.3)
            resp, took = self.timed("sleep", headers={"X-CFF-Timeout": "1"}, seconds=0)
            busy.result(20)
        self.assertErrorObject(resp, 500, "TimeoutError")
        self.assertLess(took, 1.5, f"queued past --concurrency with X-CFF-Timeout 1: answered after {took:.1f} s")


# ---------------------------------------------------------------- scale, leaks

class ManyWaitingTest(OutboundCase):
    """--workers 2: 1000 invocations waiting at once need no more threads than a quiet
    instance; 10,000 failing calls leave no descriptors or memory behind."""

    workers = 2
    nofile = 8192

    def test_1000_waiting_invocations_answered_without_new_threads(self):
        pid = self.server.proc.pid
        for _ in range(4):  # both states loaded, the connection cache warm
            self.result(self.call("get", url=PEERS.backend.url("/echo")))
        idle = threads(pid)
        calls = [({"case": "sleep", "seconds": 1}, {"X-CFF-Request-Id": f"many-{i}"}) for i in range(800)]
        calls += [({"case": "get", "url": PEERS.backend.url(f"/delay?ms=1000&i={i}")}, {}) for i in range(200)]
        start = time.monotonic()
        with Sampler(lambda: threads(pid), every=0.02) as sampled:
            answers = invoke_many(self.server.port, calls, 30)
        elapsed = time.monotonic() - start
        bad = [(i, a[0], a[2][:200]) for i, a in enumerate(answers) if a[0] != 200]
        self.assertFalse(bad, f"{len(bad)} of 1000 not answered 200, e.g. {bad[:3]}")
        for status, doc, text, _ in answers[800:]:
            self.assertEqual(json.loads(doc["body"])["status"], 200, text)
        self.assertLess(elapsed, 5.0, f"1000 invocations waiting 1 s each took {elapsed:.2f} s")
        self.assertGreater(sampled.samples, 10)
        self.assertLessEqual(sampled.max, idle + 2,
                             f"{sampled.max} threads while 1000 invocations waited; {idle} when quiet")

    def test_calls_to_host_names_start_no_threads(self):
        """Real calls go to host names (OBS, SMN, IAM), not IP literals: resolving them must not
        cost a thread per call either (an instance may have 1024 threads in all)."""
        if links_debian_libcurl():
            self.skipTest("this binary links Debian's shared libcurl, which resolves each new host name on a "
                          "thread of its own (docs/deploy.md); the image's libcurl (c-ares) must pass this")
        pid = self.server.proc.pid
        self.result(self.call("sleep", seconds=0.01))
        idle = threads(pid)
        calls = [({"case": "all", "reqs": [{"url": f"http://n{i}-{j}.invalid/"} for j in range(10)]}, {})
                 for i in range(50)]
        with Sampler(lambda: threads(pid), every=0.001) as sampled:
            answers = invoke_many(self.server.port, calls, 30)
        for status, doc, text, _ in answers:
            self.assertEqual(status, 200, text)
            for r in json.loads(doc["body"])["results"]:
                self.assertTrue(r["err"].startswith("dns:"), r)
        self.assertLessEqual(sampled.max, idle + 2,
                             f"{sampled.max} threads while 500 calls resolved host names; {idle} when quiet")

    def test_10000_failing_calls_leak_no_descriptors_or_memory(self):
        pid = self.server.proc.pid
        url = f"http://127.0.0.1:{closed_port()}/"
        batch = [({"case": "fail_many", "url": url, "n": 100}, {})] * 10

        def run(rounds):
            for _ in range(rounds):
                for status, doc, text, _ in invoke_many(self.server.port, batch, 30):
                    self.assertEqual(status, 200, text)
                    self.assertEqual(json.loads(doc["body"]), {"connect": 100}, text)

        run(3)  # warm: both states, their allocators' arenas, libcurl's caches (RSS levels off here)
        fds_before, rss_before = fds(pid), rss_kb(pid)
        start = time.monotonic()
        run(10)  # 10 × 10 invocations × 100 calls
        elapsed = time.monotonic() - start
        time.sleep(0.2)
        fds_after, rss_after = fds(pid), rss_kb(pid)
        self.assertLessEqual(fds_after, fds_before + 10, f"descriptors {fds_before} → {fds_after} over 10,000 calls")
        if not sanitized():
            self.assertLess(rss_after - rss_before, 20 * 1024, f"RSS {rss_before} → {rss_after} kB over 10,000 calls")
        self.assertLess(elapsed, 30, f"10,000 refused calls took {elapsed:.1f} s")
        self.assertEqual(self.result(self.call("get", url=PEERS.backend.url("/echo")))["status"], 200)


class ConcurrencyLimitTwoStatesTest(OutboundCase):
    """--concurrency 2 holds for the instance, not per Lua state (--workers 2)."""

    workers = 2
    server_args = ("--concurrency", "2")

    def test_at_most_two_in_flight_across_states(self):
        start = time.monotonic()
        answers = invoke_many(self.server.port, [({"case": "sleep", "seconds": 0.4}, {})] * 6, 20)
        elapsed = time.monotonic() - start
        for status, doc, text, _ in answers:
            self.assertEqual(status, 200, text)
        done = sorted(t for *_, t in answers)
        self.assertGreater(elapsed, 3 * 0.4 - 0.05, f"6 × 0.4 s at 2 at a time took only {elapsed:.2f} s: {done}")
        self.assertGreater(done[2], 2 * 0.4 - 0.05, f"a third invocation ran beside the first two: {done}")


class ClientGoneWhileWaitingTest(OutboundCase):
    """Clients that hang up while their invocation waits: the invocations end quietly, their
    connections are released, the instance keeps serving (and the sanitizer build stays silent)."""

    workers = 2

    def test_clients_hanging_up_during_calls_and_sleeps(self):
        import socket
        import struct

        pid, port = self.server.proc.pid, self.server.port
        socks = []
        for i in range(40):
            event = ({"case": "get", "url": PEERS.backend.url(f"/delay?ms=400&gone={i}")} if i % 2
                     else {"case": "sleep", "seconds": 0.4})
            body = json.dumps(event).encode()
            s = socket.create_connection(("127.0.0.1", self.server.port), timeout=5)
            s.sendall(b"POST /invoke HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\n\r\n" % len(body) + body)
            socks.append(s)
        time.sleep(0.15)
        for i, s in enumerate(socks):
            if i % 4 == 0:  # some reset, the rest close normally
                s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            s.close()
        time.sleep(0.8)  # their waits end; the answers go nowhere
        for n in range(3):
            self.assertEqual(self.server.request("GET", "/healthz").status, 200)
            self.assertEqual(self.result(self.call("get", url=PEERS.backend.url(f"/echo?after=gone{n}")))["status"], 200)
        deadline = time.monotonic() + 3
        while tcp_connections(pid, port) > 0 and time.monotonic() < deadline:
            time.sleep(0.1)
        self.assertEqual(tcp_connections(pid, port), 0, "connections of clients that left are still held")


class SighupWhileWaitingTest(OutboundCase):
    """SIGHUP while invocations wait on calls: the state is rebuilt once they are done, no request fails."""

    def test_sighup_with_suspended_invocations(self):
        first = [({"case": "get", "url": PEERS.backend.url(f"/delay?ms=800&i={i}")}, {}) for i in range(5)]
        with concurrent.futures.ThreadPoolExecutor(max_workers=2) as pool:
            waiting = pool.submit(invoke_many, self.server.port, first, 20)
            time.sleep(0.3)
            self.server.proc.send_signal(signal.SIGHUP)
            time.sleep(0.1)
            later = pool.submit(invoke_many, self.server.port, [({"case": "sleep", "seconds": 0.1}, {})] * 3, 20)
            answers = waiting.result(20) + later.result(20)
        for status, doc, text, _ in answers:
            self.assertEqual(status, 200, text)
        for status, doc, text, _ in answers[:5]:
            self.assertEqual(json.loads(doc["body"])["status"], 200, text)
        done = self.server.wait_for_lines(lambda l: "SIGHUP: every Lua state" in l, timeout=5)
        self.assertTrue(done, self.server.output()[-10:])
        self.assertEqual(self.result(self.call("get", url=PEERS.backend.url("/echo")))["status"], 200)

    def test_sighup_beside_a_stalled_call_does_not_stall_new_invocations(self):
        """A stalled peer must never stall the instance (§8), SIGHUP included: while one
        invocation waits on a peer that never answers, a SIGHUP must not hold every new
        invocation until that wait ends."""
        server = self.start_server("outbound", workers=2)
        with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
            stalled = pool.submit(invoke_many, server.port, [
                ({"case": "get", "url": PEERS.backend.url("/stall")}, {"X-CFF-Timeout": "3"})] * 2, 20)
            time.sleep(0.3)
            server.proc.send_signal(signal.SIGHUP)
            time.sleep(0.2)
            start = time.monotonic()
            resp = self.call("sleep", seconds=0, server=server)
            took = time.monotonic() - start
            stalled.result(20)
        self.assertEqual(self.result(resp), {"slept": 0})
        self.assertLess(took, 1.0, f"a new invocation waited {took:.1f} s after SIGHUP, behind a call to a stalled peer")


# ---------------------------------------------------------------- shutdown

class ShutdownWhileWaitingTest(OutboundCase):
    """SIGTERM while invocations wait on 2 s calls: they finish with 200, the process exits 0."""

    handler_dir = None  # a server of its own, stopped by the test

    def test_sigterm_lets_waiting_calls_finish(self):
        server = Server("outbound", workers=2,
                        env={"OUTBOUND_SHUTDOWN_URL": PEERS.backend.url("/echo?from=shutdown")}).start()
        try:
            calls = [({"case": "get", "url": PEERS.backend.url(f"/delay?ms=2000&i={i}")}, {}) for i in range(6)]
            calls += [({"case": "sleep", "seconds": 1.5}, {})] * 4
            with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
                waiting = pool.submit(invoke_many, server.port, calls, 20)
                time.sleep(0.5)
                server.proc.send_signal(signal.SIGTERM)
                answers = waiting.result(20)
            code = server.proc.wait(10)
        finally:
            if server.proc.poll() is None:
                server.proc.kill()
            rc = server.stop()
        for status, doc, text, _ in answers:
            self.assertEqual(status, 200, text)
        for status, doc, text, _ in answers[:6]:
            self.assertEqual(json.loads(doc["body"])["status"], 200, text)
        self.assertEqual(code, 0, f"exit status {code} after SIGTERM")
        self.assertEqual(rc, 0)
        # the shutdown hook (once per state, after the loops stopped) can still call out
        self.assertEqual(len([l for l in server.output() if "shutdown call: 200" in l]), 2, server.output()[-10:])

    def test_sigterm_past_the_grace_cancels_waits_then_shutdown_hook_calls_out(self):
        """A call to a stalled peer and a long sleep outlive the 10 s grace: both end as
        InvocationCancelled, the process exits 0, and the shutdown hook's own call still works."""
        PEERS.backend.reset_counts()
        server = Server("outbound", workers=1,
                        env={"OUTBOUND_SHUTDOWN_URL": PEERS.backend.url("/echo?from=shutdown")}).start()
        try:
            calls = [({"case": "get", "url": PEERS.backend.url("/stall")}, {"X-CFF-Timeout": "60"}),
                     ({"case": "sleep", "seconds": 60}, {"X-CFF-Timeout": "60"})]
            with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
                waiting = pool.submit(invoke_many, server.port, calls, 30)
                time.sleep(0.5)
                sent = time.monotonic()
                server.proc.send_signal(signal.SIGTERM)
                answers = waiting.result(30)
            code = server.proc.wait(10)
            exited = time.monotonic() - sent
        finally:
            if server.proc.poll() is None:
                server.proc.kill()
            server.stop()
        for status, doc, text, _ in answers:
            self.assertEqual(status, 500, text)
            self.assertEqual(doc["errorType"], "InvocationCancelled", text)
        self.assertEqual(code, 0)
        self.assertLess(exited, 14, f"exit {exited:.1f} s after SIGTERM (grace 10 s)")
        self.assertIn("/echo?from=shutdown", [p for _, p, _, _ in PEERS.backend.requests])
        self.assertTrue([l for l in server.output() if "shutdown call: 200" in l], server.output()[-10:])
