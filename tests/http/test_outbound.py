"""Outbound calls, the API: fnlua.http from a handler against local peers — round
trips, request_all, every err kind naming its host, HTTPS with a test CA, proxies, redirects,
connection reuse, the blocking fallbacks (initializer, a handler's own coroutine), `fnlua
invoke` and HTTP functions. Waiting, deadlines and scale are in test_outbound_waits.

The peers (outbound.py) run in this process on 127.0.0.1 and port 0; the handler is
tests/handlers/outbound (one `case` per feature).
"""

import json
import shutil
import tempfile
import time

from harness import FnluaCase, decode, handler_path, run_cli
from outbound import OutboundCase, Peers, closed_port, hwm_kb, rss_kb, sanitized

PEERS = Peers()


def setUpModule():
    OutboundCase.peers = PEERS.start(tempfile.mkdtemp(prefix="fnlua-outbound-"))


def tearDownModule():
    PEERS.stop()
    shutil.rmtree(PEERS.tmp, ignore_errors=True)


def echoed(res):
    """The backend's /echo document inside a handler's result."""
    return json.loads(res["body"])


# ---------------------------------------------------------------- round trips

class RoundTripTest(OutboundCase):
    """Request table → the bytes the backend saw; the backend's answer → res."""

    def test_get_query_table_sorted_and_repeated_keys_lowercase_response_headers(self):
        url = PEERS.backend.url("/echo?first=0")

        def check(resp):
            res = self.result(resp)
            self.assertEqual(res["status"], 200, res)
            doc = echoed(res)
            self.assertEqual(doc["method"], "GET")
            # keys sorted, a list value repeats its key, both percent-encoded, after the URL's own query
            self.assertEqual(doc["query"], "first=0&a=x&a=y%20z&b%26=1%3D2&n=5", doc)
            self.assertEqual(doc["headers"].get("x-custom"), "v 1", doc)
            # response header names are lower case; repeated ones joined
            self.assertEqual(res["headers"].get("x-mixed-case"), "Yes", res["headers"])
            self.assertNotIn("X-Mixed-Case", res["headers"])
            self.assertEqual(res["headers"].get("x-repeated"), "one, two", res["headers"])
            self.assertEqual(res["headers"].get("content-type"), "application/json")

        self.check_twice("POST", "/invoke", check, same=False, body={
            "case": "request",
            "req": {"url": url, "query": {"n": 5, "b&": "1=2", "a": ["x", "y z"]}, "headers": {"X-Custom": "v 1"}},
        })

    def test_table_body_sent_as_exact_json_with_content_type(self):
        value = {"name": "fnlua", "n": 5, "pi": 1.5, "list": [1, 2, 3], "nested": {"ok": True, "s": "é\"\n"}}

        def check(resp):
            res = self.result(resp)
            doc = echoed(res)
            self.assertEqual(doc["method"], "POST")
            self.assertEqual(doc["headers"].get("content-type"), "application/json", doc["headers"])
            sent = doc["body"].encode("latin-1").decode("utf-8")
            self.assertEqual(json.loads(sent), value, sent)
            self.assertRegex(sent.replace(" ", ""), r'"n":5[,}]', "an integer must stay an integer (not 5.0)")

        self.check_twice("POST", "/invoke", check, same=False,
                         body={"case": "post", "url": PEERS.backend.url("/echo"), "body": value})

    def test_content_type_given_by_caller_is_kept_once(self):
        res = self.result(self.call("request", req={
            "url": PEERS.backend.url("/echo"), "method": "PUT", "body": {"a": 1},
            "headers": {"content-type": "application/vnd.test+json"}}))
        doc = echoed(res)
        types = [v for k, v in doc["header_list"] if k == "content-type"]
        self.assertEqual(types, ["application/vnd.test+json"], doc["header_list"])
        self.assertEqual(json.loads(doc["body"]), {"a": 1})

    def test_string_body_sent_byte_for_byte(self):
        text = "line one\nline two\0after a NUL \u00e9"

        def check(resp):
            doc = echoed(self.result(resp))
            self.assertEqual(doc["method"], "POST")
            self.assertEqual(doc["body"].encode("latin-1"), text.encode("utf-8"))
            self.assertNotEqual(doc["headers"].get("content-type"), "application/json")

        self.check_twice("POST", "/invoke", check, same=False,
                         body={"case": "post", "url": PEERS.backend.url("/echo"), "body": text})

    def test_methods_passed_through(self):
        for method, want, body in (("PUT", "PUT", "put body"), ("patch", "PATCH", "patched"),
                                   ("DELETE", "DELETE", None), ("OPTIONS", "OPTIONS", None)):
            with self.subTest(method):
                req = {"url": PEERS.backend.url("/echo"), "method": method}
                if body is not None:
                    req["body"] = body
                doc = echoed(self.result(self.call("request", req=req)))
                self.assertEqual(doc["method"], want)
                self.assertEqual(doc["body"], body or "")
        res = self.result(self.call("request", req={"url": PEERS.backend.url("/echo"), "method": "HEAD"}))
        self.assertEqual((res["status"], res["len"]), (200, 0), res)

    def test_backend_error_status_is_a_response_not_an_err(self):
        for status in (404, 500, 503):
            with self.subTest(status=status):
                def check(resp):
                    res = self.result(resp)
                    self.assertNotIn("err", res)
                    self.assertEqual(res["status"], status, res)
                    self.assertEqual(echoed(res)["path"], "/echo")

                self.check_twice("POST", "/invoke", check, same=False,
                                 body={"case": "get", "url": PEERS.backend.url(f"/echo?status={status}")})
        res = self.result(self.call("get", url=PEERS.backend.url("/no/such/route")))
        self.assertEqual((res["status"], res["body"]), (404, "no such route"))

    def test_request_all_runs_calls_at_once_results_in_order(self):
        reqs = [{"url": PEERS.backend.url(f"/delay?ms=200&i={i}")} for i in range(5)]

        def check(resp):
            res = self.result(resp)
            self.assertEqual(res["n"], 5)
            for i, r in enumerate(res["results"]):
                self.assertEqual(r.get("status"), 200, r)
            seen = [p for _, p, _, _ in PEERS.backend.requests if p.startswith("/delay?ms=200")]
            self.assertEqual(len(seen), 5, seen)

        for attempt in (1, 2):
            with self.subTest(attempt=attempt):
                PEERS.backend.reset_counts()
                start = time.monotonic()
                resp = self.call("all", reqs=reqs)
                elapsed = time.monotonic() - start
                check(resp)
                self.assertLess(elapsed, 0.6, f"5 calls of 200 ms in request_all took {elapsed:.2f} s: not at once")

    def test_request_all_mixes_responses_and_errors_at_their_index(self):
        dead = closed_port()
        reqs = [
            {"url": PEERS.backend.url("/echo?i=1")},
            {"url": f"http://127.0.0.1:{dead}/"},
            {"url": PEERS.backend.url("/echo?status=404")},
            {"url": "http://name.invalid/"},
            {"url": PEERS.backend.url("/delay?ms=50")},
        ]

        def check(resp):
            r = self.result(resp)["results"]
            self.assertEqual(len(r), 5, r)
            self.assertEqual(echoed(r[0])["query"], "i=1")
            self.assertTrue(r[1].get("err", "").startswith("connect"), r[1])
            self.assertEqual(r[2].get("status"), 404, r[2])
            self.assertTrue(r[3].get("err", "").startswith("dns"), r[3])
            self.assertEqual(json.loads(r[4]["body"]), {"delayed": 50})

        self.check_twice("POST", "/invoke", check, same=False, body={"case": "all", "reqs": reqs})
        res = self.result(self.call("all", reqs=[]))
        self.assertEqual(res["n"], 0)

    def test_redirects_followed_only_when_asked(self):
        url = PEERS.backend.url("/redirect?n=2&to=/echo")
        res = self.result(self.call("request", req={"url": url}))
        self.assertEqual(res["status"], 302, "redirects = 0 (the default) must not follow")
        self.assertTrue(res["headers"].get("location", "").startswith("/redirect?n=1"), res["headers"])
        res = self.result(self.call("request", req={"url": url, "redirects": 2}))
        self.assertEqual(res["status"], 200, res)
        self.assertEqual(echoed(res)["path"], "/echo")
        self.assertNotIn("location", res["headers"], "headers must be the final response's")
        res = self.result(self.call("request", req={"url": url, "redirects": 1}))
        self.assertIn("err", res, "more hops than `redirects` allows must fail")
        self.assertIn("127.0.0.1", res["err"])

    def test_head_of_a_large_resource_is_a_response(self):
        """HEAD has no body: a Content-Length over max_body is no reason to refuse it (asking
        OBS for an object's size is a HEAD)."""
        def check(resp):
            res = self.result(resp)
            self.assertNotIn("err", res, f"HEAD of a 50 MB resource refused: {res.get('err')}")
            self.assertEqual((res["status"], res["len"]), (200, 0), res)
            self.assertEqual(res["headers"].get("content-length"), str(50 << 20))

        self.check_twice("POST", "/invoke", check, same=False, body={
            "case": "request", "req": {"url": PEERS.backend.url("/huge?mb=50"), "method": "HEAD"}})

    def test_max_body_is_the_largest_body_accepted(self):
        res = self.result(self.call("request", req={"url": PEERS.backend.url("/huge?bytes=1000"), "max_body": 1000},
                                    with_body=False))
        self.assertEqual(res.get("len"), 1000, res)
        res = self.result(self.call("request", req={"url": PEERS.backend.url("/huge?bytes=1000"), "max_body": 999},
                                    with_body=False))
        self.assertTrue(res.get("err", "").startswith("too large"), res)

    def test_header_with_empty_value_sent(self):
        doc = echoed(self.result(self.call("request", req={
            "url": PEERS.backend.url("/echo"), "headers": {"X-Empty": "", "X-Num": 42}})))
        self.assertEqual(doc["headers"].get("x-empty"), "", doc["headers"])
        self.assertEqual(doc["headers"].get("x-num"), "42", doc["headers"])

    def test_peer_dropping_kept_alive_connections_costs_no_call(self):
        """The peer closes each connection after answering, without `Connection: close`: the
        pooled connection is dead by the next call, which must open a new one, not fail."""
        for i in range(10):
            res = self.result(self.call("get", url=PEERS.backend.url(f"/closeafter?i={i}")))
            self.assertEqual(res.get("status"), 200, f"call {i}: {res}")
            self.assertEqual(res["body"], "closed after this")
            time.sleep(0.05)

    def test_redirects_never_leave_http_and_https(self):
        """A peer's Location may point anywhere; a followed redirect must not read a local file."""
        for to in ("file:///etc/passwd", "ftp://127.0.0.1/", "dict://127.0.0.1:1/"):
            with self.subTest(to=to):
                res = self.result(self.call("request", req={"url": PEERS.backend.url("/redirect?to=" + to),
                                                            "redirects": 3}))
                self.assertIn("err", res, f"redirect to {to} followed: {res!r:.300}")
                self.assertNotIn("root:", res["err"])

    def test_request_all_takes_256_calls_at_once(self):
        reqs = [{"url": PEERS.backend.url(f"/delay?ms=300&i={i}")} for i in range(256)]
        resp, elapsed = self.timed("all", reqs=reqs, with_body=False)
        res = self.result(resp)
        self.assertEqual([r.get("status") for r in res["results"]], [200] * 256)
        self.assertLess(elapsed, 3.0, f"256 calls of 300 ms at once took {elapsed:.2f} s")
        resp = self.call("all", reqs=reqs + reqs[:1])
        self.assertErrorObject(resp, 500, "HandlerError", "256")

    def test_connections_kept_alive_and_reused_across_invocations(self):
        """20 sequential invocations on one Lua state, each calling the backend: the backend
        accepts far fewer than 20 connections."""
        PEERS.backend.reset_counts()
        for i in range(20):
            res = self.result(self.call("get", url=PEERS.backend.url(f"/echo?seq={i}")))
            self.assertEqual(res["status"], 200)
        self.assertEqual(len(PEERS.backend.requests), 20)
        self.assertLessEqual(PEERS.backend.connections, 3,
                             f"20 calls opened {PEERS.backend.connections} connections: no keep-alive reuse")


# ---------------------------------------------------------------- failures: nil, err

class ErrorKindsTest(OutboundCase):
    """Every network failure is `nil, err`, err starting with its kind and naming the host;
    the instance keeps serving."""

    def cases(self):
        b = PEERS.backend
        return [
            ("timeout", {"url": b.url("/delay?ms=2000"), "timeout": 0.2}, "127.0.0.1"),
            ("dns", {"url": "http://name.invalid/x"}, "name.invalid"),
            ("connect", {"url": f"http://127.0.0.1:{closed_port()}/"}, "127.0.0.1"),
            ("tls", {"url": PEERS.https.url("/echo")}, "127.0.0.1"),
            ("tls", {"url": f"https://127.0.0.1:{b.port}/echo"}, "127.0.0.1"),
            ("too large", {"url": b.url("/echo"), "max_body": 100}, "127.0.0.1"),
            ("too large", {"url": b.url("/huge?mb=50")}, "127.0.0.1"),
            ("too large", {"url": b.url("/endless")}, "127.0.0.1"),
            ("too large", {"url": b.url("/gzipbomb")}, "127.0.0.1"),
            ("too large", {"url": b.url("/bigheaders")}, "127.0.0.1"),
            ("protocol", {"url": PEERS.garbage.url("/")}, "127.0.0.1"),
            ("connect", {"url": f"http://user:s3cret-pw@127.0.0.1:{closed_port()}/"}, "127.0.0.1"),
        ]

    def test_each_failure_is_an_err_of_its_kind_naming_the_host(self):
        for kind, req, host in self.cases():
            with self.subTest(kind, url=req["url"]):
                start = time.monotonic()

                def check(resp):
                    res = self.result(resp)
                    err = res.get("err")
                    self.assertIsInstance(err, str, f"expected nil, err; got {res!r:.300}")
                    self.assertTrue(err.startswith(kind + ":"), f"err {err!r} does not start with {kind!r}")
                    self.assertIn(host, err)
                    self.assertNotIn("\n", err, "err must be one line")
                    self.assertNotIn("s3cret-pw", err, "err shows the URL's password")

                self.check_twice("POST", "/invoke", check, body={"case": "request", "req": req, "with_body": False},
                                 same=False)
                self.assertLess(time.monotonic() - start, 5.0, f"{kind}: two failing calls took too long")
        self.assertEqual(self.result(self.call("get", url=PEERS.backend.url("/echo")))["status"], 200)
        self.assertEqual(self.server.request("GET", "/healthz").status, 200)

    def test_timeout_ends_the_call_at_its_timeout(self):
        resp, elapsed = self.timed("request", req={"url": PEERS.backend.url("/delay?ms=2000"), "timeout": 0.3})
        self.assertTrue(self.result(resp)["err"].startswith("timeout"))
        self.assertGreater(elapsed, 0.25)
        self.assertLess(elapsed, 1.0, f"timeout = 0.3 answered after {elapsed:.2f} s")

    def test_late_answer_of_a_timed_out_call_never_reaches_the_next_call(self):
        """The timed-out call's connection is dropped, not reused: a later call on the same
        state gets its own answer, never the delayed one."""
        for attempt in range(3):
            res = self.result(self.call("request", req={"url": PEERS.backend.url("/delay?ms=500"), "timeout": 0.1}))
            self.assertTrue(res.get("err", "").startswith("timeout"), res)
            if attempt:
                time.sleep(0.5)  # the late answer has been written by now
            res = self.result(self.call("get", url=PEERS.backend.url(f"/echo?after=late{attempt}")))
            self.assertEqual(echoed(res)["query"], f"after=late{attempt}", res)

    def test_huge_and_endless_bodies_refused_without_buffering_them(self):
        """50 MB with Content-Length, an endless chunked stream and a gzip bomb, 3 times each with
        the default max_body (6 MiB): refused, the peer stops being read, RSS stays bounded."""
        pid = self.server.proc.pid
        self.call("get", url=PEERS.backend.url("/echo"))
        before = hwm_kb(pid)
        PEERS.backend.reset_counts()
        for path in ("/huge?mb=50", "/endless", "/gzipbomb") * 3:
            res = self.result(self.call("request", req={"url": PEERS.backend.url(path)}, with_body=False))
            self.assertTrue(res.get("err", "").startswith("too large"), res)
        grown_mb = (hwm_kb(pid) - before) / 1024
        if not sanitized():
            self.assertLess(grown_mb, 40, f"peak RSS grew {grown_mb:.0f} MB while refusing large bodies")
        time.sleep(0.3)
        for sent in PEERS.backend.streamed:  # what the peer wrote before fnlua hung up (socket buffers included)
            self.assertLess(sent, 24 << 20, f"fnlua read {sent} bytes of a refused body")
        self.assertEqual(self.result(self.call("get", url=PEERS.backend.url("/echo")))["status"], 200)


class ResponseOverMemoryBudgetTest(OutboundCase):
    """--memory 64: a response the handler allowed (max_body) but the state cannot hold is
    an error of this invocation only, not a crash; its buffer is given back."""

    server_args = ("--memory", "64")

    def test_body_larger_than_the_lua_budget(self):
        pid = self.server.proc.pid
        self.assertEqual(self.result(self.call("get", url=PEERS.backend.url("/echo")))["status"], 200)
        before = rss_kb(pid)
        for attempt in (1, 2):
            with self.subTest(attempt=attempt):
                resp = self.call("request", req={"url": PEERS.backend.url("/huge?mb=60"), "max_body": 100 << 20},
                                 with_body=False)
                if resp.status == 200:  # refused as too large is fine too
                    self.assertTrue(self.result(resp).get("err", "").startswith("too large"), resp)
                else:
                    self.assertErrorObject(resp, 500, "MemoryLimitError")
                self.assertEqual(self.result(self.call("get", url=PEERS.backend.url("/echo")))["status"], 200)
        grown = (rss_kb(pid) - before) / 1024
        if not sanitized():
            self.assertLess(grown, 30, f"RSS stays {grown:.0f} MB up after refusing a 60 MB body")


# ---------------------------------------------------------------- HTTPS

def ca_env(peers):
    return {"FNLUA_CA_FILE": peers.pki["ca"]}


class HttpsWithTestCaTest(OutboundCase):
    """FNLUA_CA_FILE names the test CA: its certificates verify; a wrong name is still refused."""

    server_env = staticmethod(ca_env)

    def test_certificate_and_name_verified_with_fnlua_ca_file(self):
        for host in ("127.0.0.1", "localhost"):
            with self.subTest(host=host):
                def check(resp):
                    res = self.result(resp)
                    self.assertEqual(res.get("status"), 200, res)
                    self.assertEqual(echoed(res)["path"], "/echo")

                self.check_twice("POST", "/invoke", check, same=False,
                                 body={"case": "get", "url": PEERS.https.url("/echo", host=host)})

    def test_wrong_host_name_is_tls_err(self):
        def check(resp):
            err = self.result(resp).get("err", "")
            self.assertTrue(err.startswith("tls:"), err)
            self.assertIn("127.0.0.1", err)

        self.check_twice("POST", "/invoke", check, same=False,
                         body={"case": "get", "url": PEERS.wrongname.url("/echo")})

    def test_https_connections_reused(self):
        PEERS.https.reset_counts()
        for i in range(10):
            self.assertEqual(self.result(self.call("get", url=PEERS.https.url(f"/echo?i={i}")))["status"], 200)
        self.assertLessEqual(PEERS.https.connections, 2, "10 HTTPS calls, each a new TLS connection")


class HttpsWithoutTestCaTest(OutboundCase):
    """Without FNLUA_CA_FILE the system bundle does not know the test CA: tls err, unless
    verify = false is asked for."""

    def test_unknown_ca_is_tls_err(self):
        def check(resp):
            err = self.result(resp).get("err", "")
            self.assertTrue(err.startswith("tls:"), err)
            self.assertIn("127.0.0.1", err)

        self.check_twice("POST", "/invoke", check, same=False,
                         body={"case": "get", "url": PEERS.https.url("/echo")})

    def test_verify_false_per_request(self):
        for peer in (PEERS.https, PEERS.wrongname):
            with self.subTest(port=peer.port):
                res = self.result(self.call("request", req={"url": peer.url("/echo"), "verify": False}))
                self.assertEqual(res.get("status"), 200, res)
        # and only for that request: the next one verifies again
        err = self.result(self.call("get", url=PEERS.https.url("/echo"))).get("err", "")
        self.assertTrue(err.startswith("tls:"), err)

    def test_unreadable_ca_file_is_tls_err_not_a_crash(self):
        server = self.start_server("outbound", env={"FNLUA_CA_FILE": "/nonexistent/ca.pem"})
        err = self.result(self.call("get", url=PEERS.https.url("/echo"), server=server)).get("err", "")
        self.assertTrue(err.startswith("tls:"), err)


# ---------------------------------------------------------------- proxies

class ProxyTest(OutboundCase):
    """HTTP_PROXY (upper case, which libcurl itself ignores) and NO_PROXY are honoured."""

    server_env = staticmethod(lambda p: {"HTTP_PROXY": p.proxy.url, "NO_PROXY": "localhost"})

    def test_http_proxy_used_and_no_proxy_bypasses_it(self):
        PEERS.proxy.seen.clear()
        via = self.result(self.call("get", url=PEERS.backend.url("/echo?via=proxy")))
        self.assertEqual(via.get("status"), 200, via)
        self.assertEqual(via["headers"].get("x-test-proxy"), "forwarded", "HTTP_PROXY was not used")
        self.assertEqual(PEERS.proxy.seen, [PEERS.backend.url("/echo?via=proxy")])
        direct = self.result(self.call("get", url=PEERS.backend.url("/echo?via=direct", host="localhost")))
        self.assertEqual(direct.get("status"), 200, direct)
        self.assertNotIn("x-test-proxy", direct["headers"], "NO_PROXY=localhost was not honoured")
        self.assertEqual(len(PEERS.proxy.seen), 1, PEERS.proxy.seen)

    def test_lower_case_http_proxy_and_no_proxy(self):
        server = self.start_server("outbound", env={"http_proxy": PEERS.proxy.url, "no_proxy": "localhost"})
        PEERS.proxy.seen.clear()
        via = self.result(self.call("get", url=PEERS.backend.url("/echo?lower=1"), server=server))
        self.assertEqual(via["headers"].get("x-test-proxy"), "forwarded")
        direct = self.result(self.call("get", url=PEERS.backend.url("/echo", host="localhost"), server=server))
        self.assertNotIn("x-test-proxy", direct["headers"])
        self.assertEqual(PEERS.proxy.seen, [PEERS.backend.url("/echo?lower=1")])

    def test_dead_proxy_is_an_err(self):
        server = self.start_server("outbound", env={"HTTP_PROXY": f"http://127.0.0.1:{closed_port()}"})
        err = self.result(self.call("get", url=PEERS.backend.url("/echo"), server=server)).get("err", "")
        self.assertTrue(err.startswith("connect:"), err)


# ---------------------------------------------------------------- where the caller cannot suspend

class BlockingFallbackTest(OutboundCase):
    """The initializer and a coroutine the handler made cannot suspend: the call blocks in
    place and still returns the response."""

    server_env = staticmethod(lambda p: {"OUTBOUND_INIT_URL": p.backend.url("/echo?from=initializer")})

    def test_call_in_initializer_returns_the_response(self):
        init = self.result(self.call("init_result"))["init"]
        self.assertEqual(init.get("status"), 200, init)
        self.assertEqual(json.loads(init["body"])["query"], "from=initializer")

    def test_call_inside_coroutine_wrap_returns_the_response(self):
        def check(resp):
            res = self.result(resp)
            self.assertEqual(res.get("status"), 200, res)
            self.assertEqual(echoed(res)["query"], "from=wrap")

        self.check_twice("POST", "/invoke", check, same=False,
                         body={"case": "wrap", "url": PEERS.backend.url("/echo?from=wrap")})

    def test_sleep_inside_own_coroutine_waits_in_place(self):
        resp, elapsed = self.timed("wrap_sleep", seconds=0.2)
        self.assertEqual(self.result(resp), {"ok": True, "v": "slept"})
        self.assertGreaterEqual(elapsed, 0.2)

    def test_call_inside_a_sort_comparator_waits_in_place(self):
        res = self.result(self.call("sort_call", url=PEERS.backend.url("/echo")))
        self.assertEqual(res, {"sorted": [1, 2, 3], "status": 200})

    def test_initializer_call_to_stalled_peer_bounded_by_the_init_deadline(self):
        server = self.start_server("outbound", env={"OUTBOUND_INIT_URL": PEERS.backend.url("/stall")})
        start = time.monotonic()
        resp = server.request("POST", "/init", headers={"X-CFF-Timeout": "1"})
        self.assertErrorObject(resp, 500, "TimeoutError")
        self.assertLess(time.monotonic() - start, 2.0)
        self.assertEqual(server.request("GET", "/healthz").status, 503, "a failed init leaves the instance broken")

    def test_blocking_call_still_bounded_by_the_deadline(self):
        resp, elapsed = self.timed("wrap", headers={"X-CFF-Timeout": "1"}, url=PEERS.backend.url("/stall"))
        self.assertErrorObject(resp, 500, "TimeoutError")
        self.assertLess(elapsed, 2.0)
        self.assertEqual(self.result(self.call("get", url=PEERS.backend.url("/echo")))["status"], 200)


# ---------------------------------------------------------------- fnlua invoke, HTTP functions

class CliInvokeTest(FnluaCase):
    """`fnlua invoke` runs the same calls and sleeps."""

    def invoke_cli(self, event, env=None):
        cp = run_cli(["invoke", "--dir", handler_path("outbound"), "-"], input=json.dumps(event), env=env, timeout=20)
        out, err = decode(cp)
        self.assertEqual(cp.returncode, 0, err)
        return json.loads(json.loads(out)["body"])

    def test_invoke_makes_calls(self):
        res = self.invoke_cli({"case": "get", "url": PEERS.backend.url("/echo?cli=1")})
        self.assertEqual(echoed(res)["query"], "cli=1")
        res = self.invoke_cli({"case": "all", "reqs": [{"url": PEERS.backend.url("/delay?ms=200")}] * 3})
        self.assertEqual([r.get("status") for r in res["results"]], [200] * 3)
        err = self.invoke_cli({"case": "get", "url": f"http://127.0.0.1:{closed_port()}/"}).get("err", "")
        self.assertTrue(err.startswith("connect:"), err)

    def test_invoke_sleeps(self):
        start = time.monotonic()
        self.assertEqual(self.invoke_cli({"case": "sleep", "seconds": 0.3}), {"slept": 0.3})
        self.assertGreaterEqual(time.monotonic() - start, 0.3)

    def test_invoke_deadline_during_a_call(self):
        start = time.monotonic()
        cp = run_cli(["invoke", "--dir", handler_path("outbound"), "--timeout", "1", "-"],
                     input=json.dumps({"case": "get", "url": PEERS.backend.url("/stall")}), timeout=20)
        elapsed = time.monotonic() - start
        out, err = decode(cp)
        self.assertEqual(cp.returncode, 1, err)
        self.assertEqual(json.loads(out)["errorType"], "TimeoutError", out)
        self.assertLess(elapsed, 2.5)

    def test_invoke_initializer_call(self):
        env = {"OUTBOUND_INIT_URL": PEERS.backend.url("/echo?from=cli-init")}
        init = self.invoke_cli({"case": "init_result"}, env=env)["init"]
        self.assertEqual(json.loads(init["body"])["query"], "from=cli-init")


class HttpModeOutboundTest(FnluaCase):
    """--mode http: an HTTP function's call works the same, and relays the backend's answer.
    Limits and request ids come from configuration, never from the client's X-CFF-* headers."""

    handler_dir = "outboundhttp"
    server_args = ("--mode", "http", "--timeout", "1")

    def test_http_function_calls_a_backend(self):
        from urllib.parse import quote

        def check(resp):
            self.assertEqual(resp.status, 200, resp)
            self.assertEqual(resp.headers.get("x-backend-status"), "200")
            doc = resp.json
            self.assertEqual(doc["path"], "/echo")
            # the invocation's own (generated) request id went out on the call
            self.assertEqual(doc["headers"].get("x-relayed-by"), resp.headers.get("x-request-id"))
            self.assertNotEqual(resp.headers.get("x-request-id"), "client-chosen")

        for attempt in (1, 2):
            resp = self.server.request("GET", "/relay?url=" + quote(PEERS.backend.url("/echo"), safe=""),
                                       headers={"X-CFF-Request-Id": "client-chosen"})
            with self.subTest(attempt=attempt):
                check(resp)
        resp = self.server.request("GET", "/relay?url=" + quote(PEERS.backend.url("/echo?status=404"), safe=""))
        self.assertEqual(resp.status, 404, resp)
        resp = self.server.request("GET", "/relay?url=" + quote(f"http://127.0.0.1:{closed_port()}/", safe=""))
        self.assertEqual(resp.status, 502, resp)
        self.assertTrue(resp.text.startswith("connect:"), resp)

    def test_http_function_deadline_during_a_call(self):
        from urllib.parse import quote

        start = time.monotonic()
        # --timeout 1; a client's X-CFF-Timeout cannot lift it
        resp = self.server.request("GET", "/relay?url=" + quote(PEERS.backend.url("/stall"), safe=""),
                                   headers={"X-CFF-Timeout": "60"})
        self.assertErrorObject(resp, 500, "TimeoutError")
        self.assertLess(time.monotonic() - start, 1.5)
        resp = self.server.request("GET", "/relay?url=" + quote(PEERS.backend.url("/echo"), safe=""))
        self.assertEqual(resp.status, 200, resp)
