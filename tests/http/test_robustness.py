"""Every failure is an answer (docs/errors.md, docs/architecture.md): function errors, deadlines, memory
budget, deep recursion, malformed and abandoned requests, slow clients, concurrency, shutdown.

Each test here would fail if the behaviour it names broke; the basics (error("text"),
error({code=1}), load errors, 404/405/400/413 over http.client, the plain timeout and memory
cases) live in test_errors, test_protocol and test_limits and are not repeated.
"""

import concurrent.futures
import http.client
import json
import re
import signal
import socket
import struct
import threading
import time

from harness import FnluaCase, Response, Server, connect, fixture_line, raise_nofile, read_response

RECV_TIMEOUT = 10.0


# ---------------------------------------------------------------- raw-socket helpers

def reset_close(sock):
    """Close with an RST instead of a FIN (SO_LINGER 0): the abrupt end of a crashed client."""
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    except OSError:
        pass
    sock.close()


def read_until_close(sock, limit=1 << 20, timeout=RECV_TIMEOUT):
    """Everything the server sends until it closes (or `timeout`, or `limit` bytes)."""
    deadline = time.monotonic() + timeout
    data = b""
    while len(data) < limit:
        left = deadline - time.monotonic()
        if left <= 0:
            break
        sock.settimeout(left)
        try:
            chunk = sock.recv(65536)
        except socket.timeout:
            break
        except ConnectionResetError:
            break
        if not chunk:
            break
        data += chunk
    return data


def status_of(raw):
    """Status code of a raw answer (b"HTTP/1.1 400 ..."), None for no answer."""
    m = re.match(rb"HTTP/1\.[01] (\d{3}) ", raw)
    return int(m.group(1)) if m else None


def trace_text(err):
    return "\n".join(err["stackTrace"])


def where(fixture, marker):
    return f"index.lua:{fixture_line(fixture + '/index.lua', marker)}"


# ---------------------------------------------------------------- 1. function errors

class FunctionErrorKindsTest(FnluaCase):
    """Errors raised in coroutines, re-raised after pcall/xpcall, non-string values: 500 HandlerError naming file:line."""

    handler_dir = "errorkinds"

    def test_errors_from_coroutines_and_reraised_from_pcall(self):
        cases = [
            ("error() inside coroutine.resume, passed on", "coroutine", "RAISE:coroutine", "boom in coroutine"),
            ("error() inside coroutine.wrap (propagates)", "wrap", "RAISE:wrap", "boom in wrapped coroutine"),
            ("pcall catches, error(err, 0) re-raises", "reraise", "RAISE:reraise", "first failure"),
            ("pcall catches, error('outer: ' .. err) wraps", "reraise_wrapped", "RAISE:wrapped", "outer: "),
            ("xpcall catches a runtime error, re-raises", "xpcall_reraise", "RAISE:xpcall", "attempt to index a nil value"),
        ]
        for name, case, marker, text in cases:
            line = where("errorkinds", marker)
            with self.subTest(name, where=line):
                def check(resp):
                    err = self.assertErrorObject(resp, 500, "HandlerError", [text, line])
                    self.assertTrue(err["stackTrace"], resp)
                    self.assertTrue(any("index.lua:" in f for f in err["stackTrace"]), resp)

                self.check_twice("POST", "/invoke", check, body={"case": case})
        self.assertEqual(self.assertEnvelope(self.invoke({"case": "none"}))["body"], "ok")

    def test_non_string_error_values_name_file_line(self):
        cases = [
            ("error(object with __tostring)", "tostring_object", "RAISE:tostring"),
            ("error(object whose __tostring raises)", "tostring_raises", "RAISE:badtostring"),
            ("error(object whose __tostring returns a number)", "tostring_nonstring", "RAISE:nonstringtostring"),
            ("error(false)", "boolean", "RAISE:boolean"),
        ]
        for name, case, marker in cases:
            line = where("errorkinds", marker)
            with self.subTest(name, where=line):
                self.check_twice("POST", "/invoke",
                                 lambda resp: self.assertErrorObject(resp, 500, "HandlerError", line),
                                 body={"case": case})
        self.assertEqual(self.assertEnvelope(self.invoke({"case": "none"}))["body"], "ok")

    def test_error_object_with_tostring_shows_its_text(self):
        """An error object's __tostring is the message its author wrote (as lua.c, print and
        luaL_tolstring show it); the error object must carry it, not only a dump of the fields."""
        err = self.assertErrorObject(self.invoke({"case": "tostring_object"}), 500, "HandlerError",
                                     where("errorkinds", "RAISE:tostring"))
        self.assertIn("MyError(42): object with __tostring", err["errorMessage"], err)


class DeepRecursionTest(FnluaCase):
    """Stack overflow in the handler and tables nested too deep to encode: clean 500s, never a crash."""

    handler_dir = "errorkinds"

    def test_unbounded_non_tail_recursion_clean_500(self):
        line = where("errorkinds", "RECURSE:nontail")

        def check(resp):
            # Lua's stack limit (1,000,000 slots, about 16 MB) comes long before the budget
            err = self.assertErrorObject(resp, 500, "HandlerError", "stack overflow")
            self.assertIn(line, err["errorMessage"] + "\n" + trace_text(err), resp)
            self.assertLess(len(resp.body), 64 * 1024, "the stack trace of a stack overflow is not abbreviated")

        self.check_twice("POST", "/invoke", check, body={"case": "recursion"}, logged="HandlerError")
        self.assertEqual(self.assertEnvelope(self.invoke({"case": "none"}))["body"], "ok")
        self.assertEqual(self.server.request("GET", "/healthz").status, 200)

    def test_recursion_through_c_functions_and_metamethods_clean_500(self):
        cases = [
            ("string.gsub calling back into Lua", "cstack", "RECURSE:cstack"),
            ("__index calling itself", "index", "RECURSE:index"),
        ]
        for name, case, marker in cases:
            line = where("errorkinds", marker)
            with self.subTest(name, where=line):
                def check(resp):
                    err = self.assertErrorObject(resp, 500, "HandlerError", [line, "stack overflow"])
                    self.assertLess(len(resp.body), 64 * 1024, "the stack trace is not abbreviated")

                self.check_twice("POST", "/invoke", check, body={"case": case})
        self.assertEqual(self.assertEnvelope(self.invoke({"case": "none"}))["body"], "ok")

    def test_stack_overflow_caught_by_handler_then_normal_answer(self):
        def check(resp):
            body = self.envelope_json_body(resp)
            self.assertTrue(body["caught"], resp)
            self.assertIn("stack overflow", body["message"], resp)

        self.check_twice("POST", "/invoke", check, body={"case": "pcall_recursion"})

    def test_deeply_nested_body_table_result_error(self):
        """(a table nested deep as the whole result is in test_results; this one is an envelope's body)"""
        for case in ("deep_result", "deep_result_direct"):
            with self.subTest(case):
                self.check_twice("POST", "/invoke",
                                 lambda resp: self.assertErrorObject(resp, 500, "ResultError", "200"),
                                 body={"case": case, "depth": 5000})
        self.assertEqual(self.assertEnvelope(self.invoke({"case": "none"}))["body"], "ok")


# ---------------------------------------------------------------- 2. deadline

class DeadlineTest(FnluaCase):
    """A handler looping inside its own pcall/xpcall/coroutine is stopped at the deadline, answered
    before it, and the same (only) worker serves the next invocation."""

    handler_dir = "deadline"
    workers = 1

    def timed_invoke(self, event, timeout, request_id=None):
        start = time.monotonic()
        headers = {"X-CFF-Timeout": str(timeout)}
        if request_id:
            headers["X-CFF-Request-Id"] = request_id
        resp = self.invoke(event, headers=headers)
        return resp, time.monotonic() - start

    def test_loops_inside_own_pcall_xpcall_coroutine_time_out(self):
        for case in ("xpcall_loop", "catch_and_retry", "coroutine_loop"):
            with self.subTest(f"{case} with X-CFF-Timeout 2 → TimeoutError before 2 s, same worker next"):
                resp, elapsed = self.timed_invoke({"case": case}, 2, request_id=f"timeout-{case}")
                self.assertErrorObject(resp, 500, "TimeoutError", "timed out after 2 s")
                self.assertErrorLogged(f"timeout-{case}", "TimeoutError")
                self.assertLess(elapsed, 2.0, "the timeout was answered after the deadline itself")
                self.assertGreater(elapsed, 1.5, "stopped long before the deadline")
                body = self.envelope_json_body(self.invoke({"case": "ok"}))
                self.assertTrue(body["ok"])

    def test_deadline_counts_from_the_request_arrival(self):
        """With one worker busy for 1.2 s, a looping request sent 0.2 s later with X-CFF-Timeout 2
        is answered ~2 s after it was sent (not 2 s after a worker picked it up)."""
        slow = {}
        t = threading.Thread(target=lambda: slow.setdefault(
            "resp", self.invoke({"case": "busy", "ms": 1200}, headers={"X-CFF-Timeout": "10"})))
        t.start()
        try:
            time.sleep(0.2)
            resp, elapsed = self.timed_invoke({"case": "xpcall_loop"}, 2)
        finally:
            t.join(15)
        self.assertErrorObject(resp, 500, "TimeoutError", "timed out after 2 s")
        self.assertLess(elapsed, 2.0, "deadline counted from when the worker took the request, not its arrival")
        self.assertEqual(slow["resp"].status, 200, slow["resp"])

        # a request that waited 1 s in the queue sees 1 s less remaining time
        t = threading.Thread(target=lambda: slow.__setitem__(
            "resp", self.invoke({"case": "busy", "ms": 1000}, headers={"X-CFF-Timeout": "10"})))
        t.start()
        try:
            time.sleep(0.1)
            resp = self.invoke({"case": "ok"}, headers={"X-CFF-Timeout": "5"})
        finally:
            t.join(15)
        remaining = self.envelope_json_body(resp)["remainingMs"]
        self.assertLess(remaining, 4300, "getRemainingTimeInMilliSeconds ignores the time spent queued")
        self.assertGreater(remaining, 2500)


class DeadlineMessageHandlerLoopTest(FnluaCase):
    """xpcall whose message handler loops: Lua runs message handlers of errors raised from a hook
    with hooks disabled, so the deadline must not rely on the hook alone there."""

    def test_looping_xpcall_message_handler_times_out(self):
        server = Server("deadline", workers=1).start()
        hung = False
        try:
            start = time.monotonic()
            try:
                resp = request_with_timeout(server.port, "POST", "/invoke", {"case": "handler_loops"},
                                            {"X-CFF-Timeout": "2"}, timeout=6)
            except socket.timeout:
                hung = True
                self.fail("no answer 6 s after a 2 s deadline: the worker is stuck in the xpcall message "
                          "handler (index.lua:%d)" % fixture_line("deadline/index.lua", "LOOP:msgh"))
            elapsed = time.monotonic() - start
            self.assertErrorObject(resp, 500, "TimeoutError", "timed out after 2 s")
            self.assertLess(elapsed, 2.0)
            self.assertEqual(server.invoke({"case": "ok"}).status, 200)
        finally:
            if hung:  # the worker never comes back: SIGTERM would wait for it forever
                server.proc.kill()
                server.proc.wait(5)
            server.stop()


def request_with_timeout(port, method, path, body, headers, timeout):
    if body is not None and not isinstance(body, (bytes, str)):
        body = json.dumps(body)
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        conn.request(method, path, body=body, headers=dict(headers or {}))
        resp = conn.getresponse()
        data = resp.read()
        return Response(resp.status, {k.lower(): v for k, v in resp.getheaders()}, data)
    finally:
        conn.close()


# ---------------------------------------------------------------- 3. memory

MB_RE = re.compile(r"\d+(\.\d+)? ?MB")


class MemoryBudgetTest(FnluaCase):
    """--workers 2 --memory 128: a runaway invocation fails alone with MemoryLimitError while the
    other worker's invocation (with a heap of its own) completes; the failed worker then works."""

    handler_dir = "memory"
    workers = 2
    server_args = ("--memory", "128")

    def run_beside_steady(self, runaway_case):
        steady = {}
        start = time.monotonic()
        t = threading.Thread(target=lambda: steady.setdefault(
            "resp", self.invoke({"case": "steady", "firstMB": 16, "ms": 3000, "thenMB": 8})))
        t.start()
        try:
            time.sleep(0.4)  # the steady invocation holds worker A
            failed = self.invoke({"case": runaway_case})
            # worker A is still busy: this one can only run on the worker that just failed
            after = self.invoke({"case": "check"})
            after_at = time.monotonic() - start
        finally:
            t.join(30)
        self.assertIn("resp", steady, "the steady invocation got no answer")
        steady_at = time.monotonic() - start

        err = self.assertErrorObject(failed, 500, "MemoryLimitError", "runtime memory limit exceeded")
        self.assertRegex(err["errorMessage"], MB_RE, "the message does not say how much memory was used")

        body = self.envelope_json_body(steady["resp"])
        self.assertEqual(body["items"], 24 * 1024, "the other worker's invocation was disturbed")

        checked = self.envelope_json_body(after)
        self.assertLess(after_at, steady_at, "the check did not run while the steady invocation held the other worker")
        self.assertNotEqual(checked["state"], body["state"], "the check ran on the steady worker")
        return checked

    def test_runaway_local_allocation_fails_alone_and_worker_recovers(self):
        checked = self.run_beside_steady("grow")
        self.assertFalse(checked["hoard"])

    def test_runaway_kept_in_global_state_is_reset(self):
        checked = self.run_beside_steady("hoard")
        self.assertFalse(checked["hoard"], "the runaway global survived: the worker's state was not reset")
        for _ in range(4):  # every worker answers normally afterwards
            self.envelope_json_body(self.invoke({"case": "check"}))

    def test_memory_header_sets_the_budget(self):
        """X-CFF-Memory 256 doubles the budget: a steady heap of 80 MB fits on one of 2 workers."""
        resp = self.invoke({"case": "steady", "firstMB": 60, "ms": 1, "thenMB": 20}, headers={"X-CFF-Memory": "256"})
        self.assertEqual(self.envelope_json_body(resp)["items"], 80 * 1024)
        resp = self.invoke({"case": "steady", "firstMB": 60, "ms": 1, "thenMB": 20},
                           headers={"X-CFF-Request-Id": "over-budget-1"})
        self.assertErrorObject(resp, 500, "MemoryLimitError", "runtime memory limit exceeded")
        self.assertErrorLogged("over-budget-1", "MemoryLimitError")


# ---------------------------------------------------------------- 5. bad requests

class BadRequestsTest(FnluaCase):
    """Malformed HTTP, abandoned requests and responses, header floods: answered or closed, server keeps serving."""

    handler_dir = "workload"
    workers = 2

    def assertStillServing(self):
        self.assertEqual(self.server.request("GET", "/healthz").status, 200)
        body = self.envelope_json_body(self.invoke({"still": "serving"}, headers={"X-CFF-Request-Id": "after"}))
        self.assertEqual(body["event"], {"still": "serving"})
        self.assertEqual(body["id"], "after")

    def test_malformed_http_gets_4xx_or_close(self):
        cases = [
            ("garbage request line", b"GARBAGE\r\n\r\n"),
            ("request line without version", b"GET /healthz\r\nHost: x\r\n\r\n"),
            ("binary junk", bytes(range(256)) + b"\r\n\r\n"),
            ("header line without a colon", b"GET /healthz HTTP/1.1\r\nHost: x\r\nNoColonHere\r\n\r\n"),
            ("bad Content-Length", b"POST /invoke HTTP/1.1\r\nHost: x\r\nContent-Length: abc\r\n\r\n{}"),
            ("negative Content-Length", b"POST /invoke HTTP/1.1\r\nHost: x\r\nContent-Length: -5\r\n\r\n{}"),
            ("bad chunk size", b"POST /invoke HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n{}\r\n0\r\n\r\n"),
        ]
        for name, data in cases:
            with self.subTest(name):
                with connect(self.server.port, timeout=5) as s:
                    s.sendall(data)
                    raw = read_until_close(s, timeout=5)
                status = status_of(raw)
                if raw:
                    self.assertIsNotNone(status, f"not an HTTP answer: {raw[:200]!r}")
                    self.assertTrue(400 <= status < 500 or status == 505, f"{name}: {raw[:300]!r}")
                self.assertStillServing()

    def test_tolerated_oddities_answered_normally(self):
        """Lines a lenient parser may accept (RFC 9112 allows bare LF; an empty header name is ignored)."""
        cases = [
            ("bare LF line endings", b"POST /invoke HTTP/1.1\nHost: x\nContent-Length: 2\nConnection: close\n\n{}"),
            ("header with an empty name", b"POST /invoke HTTP/1.1\r\nHost: x\r\n: no-name\r\nContent-Length: 2\r\n"
                                          b"Connection: close\r\n\r\n{}"),
        ]
        for name, data in cases:
            with self.subTest(name):
                with connect(self.server.port, timeout=5) as s:
                    s.sendall(data)
                    raw = read_until_close(s, timeout=5)
                status = status_of(raw)
                if raw:
                    self.assertIsNotNone(status, f"not an HTTP answer: {raw[:200]!r}")
                    self.assertTrue(status == 200 or 400 <= status < 500, f"{name}: {raw[:300]!r}")
                self.assertStillServing()

    def test_ambiguous_message_framing_refused_400(self):
        """RFC 9112 §6.3 and §5.1: differing Content-Length values, and whitespace between a field
        name and its colon, MUST be answered 400 (and the connection closed) — otherwise a proxy in
        front and fnlua split the byte stream into different requests (request smuggling). Here the
        body hides a second request, `GET /healthz`, that a wrong split answers separately."""
        hidden = b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n"
        body = b"{}" + hidden
        cases = [
            ("two different Content-Length values",
             b"POST /invoke HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\nContent-Length: %d\r\n\r\n" % len(body) + body),
            ("whitespace before the colon of Content-Length",
             b"POST /invoke HTTP/1.1\r\nHost: x\r\nContent-Length : %d\r\n\r\n" % len(body) + body),
        ]
        for name, data in cases:
            with self.subTest(name):
                with connect(self.server.port, timeout=5) as s:
                    s.sendall(data)
                    raw = read_until_close(s, timeout=3)
                answers = re.findall(rb"HTTP/1\.1 \d{3} [^\r]*", raw)
                self.assertEqual(len(answers), 1, f"{name}: the bytes were taken as {len(answers)} requests: {answers}")
                self.assertEqual(status_of(raw), 400, f"{name}: answered {raw[:400]!r}")
                self.assertNotIn(b"InvalidEvent", raw, f"{name}: the request reached the function: {raw[:400]!r}")
                self.assertStillServing()

    def test_client_disconnects_mid_request_body(self):
        head = b"POST /invoke HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100000\r\n\r\n"
        for i in range(20):
            s = connect(self.server.port)
            s.sendall(head + b'{"pad":"xx')
            if i % 2:
                reset_close(s)
            else:
                s.close()
        for i in range(10):  # mid-headers too
            s = connect(self.server.port)
            s.sendall(b"POST /invoke HTTP/1.1\r\nHost: x\r\nX-Half: ")
            reset_close(s) if i % 2 else s.close()
        time.sleep(0.3)
        self.assertStillServing()

    def test_client_disconnects_before_reading_a_large_response(self):
        req = json.dumps({"bigMB": 5}).encode()
        head = b"POST /invoke HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\n\r\n" % len(req)
        for i in range(6):
            s = connect(self.server.port)
            s.sendall(head + req)
            if i % 3 == 0:
                s.close()  # gone before the handler even answers
            elif i % 3 == 1:
                s.recv(1000)  # read the start of the answer, then vanish
                reset_close(s)
            else:
                s.recv(1000)
                s.close()
        # gone while a slow invocation runs
        slow = json.dumps({"ms": 300, "bigMB": 1}).encode()
        for _ in range(2):
            s = connect(self.server.port)
            s.sendall(b"POST /invoke HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\n\r\n" % len(slow) + slow)
            reset_close(s)
        time.sleep(0.8)
        self.assertStillServing()
        resp = self.invoke({"bigMB": 5})
        self.assertEqual(len(self.assertEnvelope(resp)["body"]), 5 * 1024 * 1024)

    def test_header_flood_refused_server_keeps_serving(self):
        many = b"".join(b"X-Flood-%d: %d\r\n" % (i, i) for i in range(5000))
        cases = [
            ("5000 header lines", b"POST /invoke HTTP/1.1\r\nHost: x\r\n" + many + b"Content-Length: 2\r\n\r\n{}"),
            ("one 100 KB header", b"POST /invoke HTTP/1.1\r\nHost: x\r\nX-Big: " + b"v" * 100_000 +
             b"\r\nContent-Length: 2\r\n\r\n{}"),
            ("a 100 KB request line", b"GET /" + b"a" * 100_000 + b" HTTP/1.1\r\nHost: x\r\n\r\n"),
        ]
        for name, data in cases:
            with self.subTest(name):
                with connect(self.server.port, timeout=5) as s:
                    try:
                        s.sendall(data)
                    except (BrokenPipeError, ConnectionResetError):
                        pass  # refused before all of it was sent
                    raw = read_until_close(s, timeout=5)
                status = status_of(raw)
                if raw:
                    self.assertIsNotNone(status, f"not an HTTP answer: {raw[:200]!r}")
                    self.assertTrue(400 <= status < 500, f"{name}: {raw[:300]!r}")
                self.assertStillServing()

    def test_hundreds_of_small_headers_bounded(self):
        """300 small headers fit libmicrohttpd's buffer: answered (200, at most 256 kept) or refused 4xx."""
        headers = "".join(f"X-H{i}: {i}\r\n" for i in range(300)).encode()
        with connect(self.server.port) as s:
            s.sendall(b"POST /invoke HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\nConnection: close\r\n" + headers + b"\r\n{}")
            raw = read_until_close(s)
        status = status_of(raw)
        self.assertIsNotNone(status, raw[:200])
        if status == 200:
            env = json.loads(raw.split(b"\r\n\r\n", 1)[1])
            self.assertLessEqual(json.loads(env["body"])["headerCount"], 256)
        else:
            self.assertTrue(400 <= status < 500, raw[:300])
        self.assertStillServing()

    def test_413_decided_from_content_length_before_the_body_is_sent(self):
        with connect(self.server.port) as s:
            start = time.monotonic()
            s.sendall(b"POST /invoke HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                      b"Content-Length: 10000000\r\n\r\n")
            s.settimeout(3)
            try:
                resp = read_response(s)
            except socket.timeout:
                self.fail("no 413 within 3 s without the body: the server waits for a 10 MB body first")
            elapsed = time.monotonic() - start
        self.assertErrorObject(resp, 413, "PayloadTooLarge")
        self.assertLess(elapsed, 1.0)
        self.assertStillServing()


# ---------------------------------------------------------------- 6. slow and idle clients

class SlowClientsTest(FnluaCase):
    """--idle-timeout 2: stalled clients cost no worker and are closed after ~2 s."""

    handler_dir = "workload"
    workers = 2
    server_args = ("--idle-timeout", "2")

    def test_300_stalled_partial_requests_do_not_hold_up_a_normal_invoke(self):
        raise_nofile(1024)
        partials = [
            b"POST /invoke HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n{\"a\":",  # partial body
            b"POST /invoke HTTP/1.1\r\nHost: x\r\nX-Slo",  # partial headers
            b"POS",  # partial request line
        ]
        stalled = []
        try:
            for i in range(300):
                s = connect(self.server.port)
                s.sendall(partials[i % len(partials)])
                stalled.append(s)
            for attempt in range(3):
                start = time.monotonic()
                resp = self.invoke({"n": attempt}, headers={"X-CFF-Request-Id": f"through-{attempt}"})
                elapsed = time.monotonic() - start
                self.assertEqual(self.envelope_json_body(resp)["id"], f"through-{attempt}")
                self.assertLess(elapsed, 1.0, f"a normal /invoke took {elapsed:.2f} s beside 300 stalled clients")
        finally:
            for s in stalled:
                s.close()

    def test_idle_connections_closed_after_idle_timeout(self):
        cases = [
            ("connected, nothing sent", b""),
            ("request half sent", b"POST /invoke HTTP/1.1\r\nHost: x\r\nContent-Length: 50\r\n\r\n{"),
            ("kept alive after an answer", b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n"),
        ]
        socks = []
        try:
            start = time.monotonic()
            for name, data in cases:
                s = connect(self.server.port, timeout=6)
                if data:
                    s.sendall(data)
                socks.append((name, s))
            for name, s in socks:
                with self.subTest(name):
                    data = read_until_close(s, timeout=6 - (time.monotonic() - start))
                    elapsed = time.monotonic() - start
                    self.assertLess(elapsed, 5.5, f"{name}: still open after {elapsed:.1f} s (idle timeout 2 s)")
                    if name.startswith("kept"):
                        self.assertEqual(status_of(data), 200, data[:200])
                    self.assertGreater(elapsed, 1.0, f"{name}: closed after {elapsed:.1f} s, before the idle timeout")
        finally:
            for _, s in socks:
                s.close()


class MaxConnectionsTest(FnluaCase):
    """--max-connections 20: the 21st open connection gets 503 TooManyConnections and is closed."""

    handler_dir = "workload"
    workers = 2
    server_args = ("--max-connections", "20")

    def test_connection_past_the_limit_gets_503_error_object(self):
        raise_nofile(256)
        held = []
        try:
            for i in range(20):  # each really accepted and counted: it got an answer and stays open
                conn = http.client.HTTPConnection("127.0.0.1", self.server.port, timeout=RECV_TIMEOUT)
                conn.request("GET", "/healthz")
                resp = conn.getresponse()
                resp.read()
                self.assertEqual(resp.status, 200, f"connection {i + 1} of 20 refused")
                held.append(conn)
            for attempt in range(3):
                resp = self.server.invoke({"n": attempt})
                err = self.assertErrorObject(resp, 503, "TooManyConnections")
                self.assertEqual(resp.headers.get("connection", "").lower(), "close", resp)
            for conn in held[:5]:
                conn.close()
            held = held[5:]
            deadline = time.monotonic() + 3
            while True:  # the server notices the closes
                resp = self.server.invoke({"n": 99})
                if resp.status == 200 or time.monotonic() > deadline:
                    break
                time.sleep(0.05)
            self.assertEqual(self.envelope_json_body(resp)["event"], {"n": 99})
        finally:
            for conn in held:
                conn.close()


# ---------------------------------------------------------------- 7. concurrency

class ConcurrencyTest(FnluaCase):
    handler_dir = "workload"
    workers = 2

    def test_two_slow_invocations_run_in_parallel(self):
        start = time.monotonic()
        with concurrent.futures.ThreadPoolExecutor(max_workers=2) as pool:
            results = list(pool.map(lambda n: self.invoke({"ms": 1000, "n": n}), range(2)))
        elapsed = time.monotonic() - start
        for resp in results:
            self.assertFalse(self.envelope_json_body(resp)["overlapped"])
        self.assertLess(elapsed, 1.8, f"two 1 s invocations on 2 workers took {elapsed:.2f} s")

    def test_fast_request_not_held_behind_a_slow_one(self):
        kept = http.client.HTTPConnection("127.0.0.1", self.server.port, timeout=RECV_TIMEOUT)
        try:
            def on_kept(n):
                kept.request("POST", "/invoke", body=json.dumps({"kept": n}),
                             headers={"X-CFF-Request-Id": f"kept-{n}"})
                r = kept.getresponse()
                return Response(r.status, {k.lower(): v for k, v in r.getheaders()}, r.read())

            self.assertEqual(self.envelope_json_body(on_kept(0))["id"], "kept-0")
            for round_ in range(2):  # the slow one lands on either worker
                slow = {}
                t = threading.Thread(target=lambda: slow.setdefault("resp", self.invoke({"ms": 1500})))
                t.start()
                try:
                    time.sleep(0.3)
                    for n in range(3):
                        start = time.monotonic()
                        resp = self.invoke({"fresh": n})
                        fresh_s = time.monotonic() - start
                        self.assertEqual(self.envelope_json_body(resp)["event"], {"fresh": n})
                        self.assertLess(fresh_s, 0.5, f"new connection waited {fresh_s:.2f} s behind a slow invocation")
                        start = time.monotonic()
                        resp = on_kept(n + 1)
                        kept_s = time.monotonic() - start
                        self.assertEqual(self.envelope_json_body(resp)["id"], f"kept-{n + 1}")
                        self.assertLess(kept_s, 0.5, f"kept-alive connection waited {kept_s:.2f} s behind a slow one")
                finally:
                    t.join(10)
                self.assertEqual(slow["resp"].status, 200)
        finally:
            kept.close()

    def test_200_parallel_invocations_each_get_their_own_answer(self):
        raise_nofile(1024)
        n_req = 200
        barrier = threading.Barrier(n_req, timeout=20)

        def one(n):
            rid = f"par-{n:03d}-{'x' * (n % 7)}"
            event = {"n": n, "text": f"event {n}", "list": list(range(n % 5))}
            try:
                barrier.wait()
            except threading.BrokenBarrierError:
                pass
            resp = self.server.invoke(event, headers={"X-CFF-Request-Id": rid, "X-Tag": f"tag-{n}"})
            return n, rid, event, resp

        with concurrent.futures.ThreadPoolExecutor(max_workers=n_req) as pool:
            results = list(pool.map(one, range(n_req)))
        ids = set()
        for n, rid, event, resp in results:
            body = self.envelope_json_body(resp)
            self.assertEqual(body["id"], rid, f"request {n} got another request's id")
            self.assertEqual(body["header"], rid, f"request {n} got another request's headers")
            self.assertEqual(body["tag"], f"tag-{n}", f"request {n} got another request's headers")
            self.assertEqual(body["event"], event, f"request {n} got another request's event")
            self.assertFalse(body["overlapped"], "two invocations ran at once in one Lua state")
            ids.add(body["id"])
        self.assertEqual(len(ids), n_req)


# ---------------------------------------------------------------- 8. shutdown

class ShutdownSignalTest(FnluaCase):
    """SIGTERM/SIGINT with an invocation running past the 10 s grace: bounded stop, exit 0, the
    in-flight request answered (InvocationCancelled) or closed, new connections refused or 503."""

    GRACE = 10.0

    def stop_with(self, sig):
        server = Server("workload", workers=2).start()
        try:
            kept = http.client.HTTPConnection("127.0.0.1", server.port, timeout=20)
            kept.request("GET", "/healthz")
            r = kept.getresponse()
            r.read()
            self.assertEqual(r.status, 200)

            results = {}

            def call(key, event, timeout_s):
                conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=30)
                try:
                    conn.request("POST", "/invoke", body=json.dumps(event), headers={"X-CFF-Timeout": str(timeout_s)})
                    r = conn.getresponse()
                    results[key] = (Response(r.status, {k.lower(): v for k, v in r.getheaders()}, r.read()),
                                    time.monotonic())
                except (OSError, http.client.HTTPException) as e:
                    results[key] = (e, time.monotonic())
                finally:
                    conn.close()

            long_t = threading.Thread(target=call, args=("long", {"ms": 30000}, 60))
            short_t = threading.Thread(target=call, args=("short", {"ms": 1500, "short": True}, 60))
            long_t.start()
            short_t.start()
            time.sleep(0.5)
            sent = time.monotonic()
            server.proc.send_signal(sig)
            time.sleep(0.3)

            # a new connection: refused, or answered 503 ShuttingDown
            try:
                resp = request_with_timeout(server.port, "POST", "/invoke", {"late": True}, {}, timeout=5)
                self.assertErrorObject(resp, 503, "ShuttingDown")
            except (ConnectionRefusedError, ConnectionResetError, http.client.RemoteDisconnected):
                pass
            # a connection kept alive from before: 503 ShuttingDown, or closed
            try:
                kept.request("POST", "/invoke", body="{}")
                r = kept.getresponse()
                resp = Response(r.status, {k.lower(): v for k, v in r.getheaders()}, r.read())
                self.assertErrorObject(resp, 503, "ShuttingDown")
            except (OSError, http.client.HTTPException):
                pass
            kept.close()

            try:
                code = server.proc.wait(timeout=self.GRACE + 4)
            except Exception:
                self.fail(f"still running {self.GRACE + 4:.0f} s after {sig.name} (grace {self.GRACE:.0f} s)")
            exited = time.monotonic() - sent
            self.assertEqual(code, 0, f"exit status after {sig.name}")
            self.assertLess(exited, self.GRACE + 2.5, f"exit took {exited:.1f} s after {sig.name}")
            long_t.join(5)
            short_t.join(5)

            short, _ = results["short"]
            self.assertIsInstance(short, Response, f"in-flight 1.5 s invocation lost: {short!r}")
            self.assertEqual(self.envelope_json_body(short)["event"], {"ms": 1500, "short": True})

            long_, at = results["long"]
            if isinstance(long_, Response):
                self.assertErrorObject(long_, 500, "InvocationCancelled")
            self.assertGreater(at - sent, self.GRACE - 1.0,
                               f"the running invocation was ended {at - sent:.1f} s after {sig.name}, before the grace")
        finally:
            if server.proc.poll() is None:
                server.proc.kill()
            server.stop()

    def test_sigterm_bounded_by_grace(self):
        self.stop_with(signal.SIGTERM)

    def test_sigint_behaves_like_sigterm(self):
        self.stop_with(signal.SIGINT)
