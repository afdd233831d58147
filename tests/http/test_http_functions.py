"""HTTP functions (docs/handler-api.md, "HTTP functions"): query strings, repeated headers, Set-Cookie arrays,
byte-exact binary up- and download, chunked uploads, HEAD, Expect: 100-continue, bodies at and past
--max-body, and one handler answering alike in event mode and HTTP mode.

test_http_mode.py has the basics (methods, simple query, base64 response, /healthz not forwarded,
handler error); this file extends it.
"""

import base64
import http.client
import json
import socket
import time

from harness import REPO, FnluaCase, Response, connect, read_response, read_responses

RECV_TIMEOUT = 10.0


def checksum(data):
    """The fixture's order-sensitive checksum (Adler-32 style, as a plain integer)."""
    a, b = 1, 0
    for byte in data:
        a = (a + byte) % 65521
        b = (b + a) % 65521
    return b * 65536 + a


def read_head(sock, timeout=RECV_TIMEOUT):
    """Bytes up to and including the first blank line (a status line and headers)."""
    deadline = time.monotonic() + timeout
    data = b""
    while b"\r\n\r\n" not in data and time.monotonic() < deadline:
        sock.settimeout(max(0.01, deadline - time.monotonic()))
        try:
            chunk = sock.recv(1)
        except socket.timeout:
            break
        if not chunk:
            break
        data += chunk
    return data


def raw_request(method, path, headers, body=b""):
    lines = [f"{method} {path} HTTP/1.1", "Host: 127.0.0.1"] + [f"{k}: {v}" for k, v in headers]
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body


def chunked(parts):
    return b"".join(b"%x\r\n%s\r\n" % (len(p), p) for p in parts) + b"0\r\n\r\n"


def one_request(port, method, path, body=None, headers=(), timeout=RECV_TIMEOUT):
    """http.client request with headers given as a list of pairs (a name may repeat);
    returns (Response, the http.client message for get_all)."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        conn.putrequest(method, path, skip_accept_encoding=True)
        for name, value in headers:
            conn.putheader(name, value)
        if body is not None:
            conn.putheader("Content-Length", str(len(body)))
        try:
            conn.endheaders(body)
        except (BrokenPipeError, ConnectionResetError):
            pass  # answered (413) and closed before the whole body was sent: read that answer
        resp = conn.getresponse()
        data = resp.read()
        merged = {}
        for name, value in resp.getheaders():
            name = name.lower()
            merged[name] = f"{merged[name]}, {value}" if name in merged else value
        return Response(resp.status, merged, data), resp.msg
    finally:
        conn.close()


class HttpFunctionRequestTest(FnluaCase):
    """The request → the APIG-shaped event."""

    handler_dir = "httpfunctions"
    server_args = ("--mode", "http")

    def echo(self, method, path, body=None, headers=()):
        resp, _ = one_request(self.server.port, method, path, body, headers)
        self.assertEqual(resp.status, 200, resp)
        self.assertEqual(resp.headers.get("x-echo"), "yes", resp)
        return resp.json

    def test_query_strings(self):
        cases = [
            ("repeated keys → an array, in order", "/q?a=1&b=x&a=2&a=3",
             {"a": ["1", "2", "3"], "b": "x"}),
            ("+ and %XX decoded in values", "/q?text=hello+world&sym=%41%2F%26%3D%25&utf=%E2%82%AC",
             {"text": "hello world", "sym": "A/&=%", "utf": "\u20ac"}),
            ("%XX decoded in keys", "/q?na%6De=v&sp+ace=1", {"name": "v", "sp ace": "1"}),
            ("key without value", "/q?flag&empty=", {"flag": "", "empty": ""}),
            ("repeated key, two values", "/q?tag=x&tag=x", {"tag": ["x", "x"]}),
        ]
        for name, path, query in cases:
            with self.subTest(name, path=path):
                def check(resp):
                    self.assertEqual(resp.status, 200, resp)
                    ev = resp.json
                    self.assertEqual(ev["query"], query, resp)
                    self.assertEqual(ev["path"], "/q", resp)

                self.check_twice("GET", path, check)

    def test_path_kept_percent_encoded_and_slashes_collapsed(self):
        cases = [
            ("/items/a%2Fb", "/items/a%2Fb"),
            ("/items/a%20b/%41", "/items/a%20b/%41"),
            ("//a//b", "/a/b"),
            ("/a///b/", "/a/b/"),
            ("//items//a%2Fb?x=1", "/items/a%2Fb"),
        ]
        for sent, seen in cases:
            with self.subTest(sent=sent, seen=seen):
                self.check_twice("GET", sent, lambda resp: self.assertEqual(resp.json["path"], seen, resp))

    def test_repeated_request_headers_joined_under_lower_case_name(self):
        ev = self.echo("GET", "/h", headers=[("X-Multi", "a"), ("X-Multi", "b"), ("X-Single", "Only"),
                                             ("x-MIXED-case", "v")])
        self.assertEqual(ev["headers"].get("x-multi"), "a, b", ev["headers"])
        self.assertEqual(ev["headers"].get("x-single"), "Only", ev["headers"])
        self.assertEqual(ev["headers"].get("x-mixed-case"), "v", ev["headers"])
        self.assertNotIn("X-Multi", ev["headers"])

    def test_text_body_arrives_as_text(self):
        text = "plain ünïcödé text € ✓".encode("utf-8")
        ev = self.echo("POST", "/t", body=text, headers=[("Content-Type", "text/plain; charset=utf-8")])
        self.assertFalse(ev["isBase64Encoded"])
        self.assertEqual(ev["body"], text.decode("utf-8"))
        self.assertEqual(ev["length"], len(text))

    def test_binary_upload_base64_in_event_and_bytes_intact(self):
        payload = bytes(range(256)) * 16 + bytes(reversed(range(256))) * 4  # 5 KB, every byte value
        resp, _ = one_request(self.server.port, "POST", "/upload", payload,
                              [("Content-Type", "application/octet-stream")])
        self.assertEqual(resp.status, 200, resp)
        self.assertEqual(resp.headers.get("x-was-base64"), "true", "event.isBase64Encoded was not true")
        self.assertEqual(int(resp.headers.get("x-body-length")), len(payload))
        self.assertEqual(int(resp.headers.get("x-body-checksum")), checksum(payload),
                         "the handler saw other bytes than were sent")
        self.assertEqual(resp.body, payload, "the bytes sent back differ")

        # and the event itself: base64 of exactly the bytes
        ev = self.echo("PUT", "/raw", body=payload, headers=[("Content-Type", "application/octet-stream")])
        self.assertTrue(ev["isBase64Encoded"])
        self.assertEqual(base64.b64decode(ev["body"]), payload)

    def test_binary_download_byte_for_byte(self):
        for n in (1, 256, 4096, 100_003):
            with self.subTest(n=n):
                resp, _ = one_request(self.server.port, "GET", f"/download?n={n}")
                self.assertEqual(resp.status, 200, resp)
                expected = bytes(i % 256 for i in range(n))
                self.assertEqual(len(resp.body), n)
                self.assertEqual(resp.body, expected, "the response body is not the handler's bytes")
                self.assertEqual(resp.headers.get("content-type"), "application/octet-stream")
                self.assertEqual(int(resp.headers.get("content-length")), n)


class HttpFunctionResponseTest(FnluaCase):
    handler_dir = "httpfunctions"
    server_args = ("--mode", "http")

    def test_header_array_becomes_separate_header_lines(self):
        resp, msg = one_request(self.server.port, "GET", "/cookies")
        self.assertEqual(resp.status, 200, resp)
        self.assertEqual(msg.get_all("Set-Cookie"), ["a=1; Path=/", "b=2; HttpOnly"], resp)
        self.assertEqual(msg.get_all("X-Single"), ["one"])
        self.assertEqual(resp.body, b"cookies set")
        # the raw bytes, too
        with connect(self.server.port) as s:
            s.sendall(raw_request("GET", "/cookies", [("Connection", "close")]))
            head = read_head(s)
        lines = head.split(b"\r\n")
        self.assertIn(b"Set-Cookie: a=1; Path=/", lines, head)
        self.assertIn(b"Set-Cookie: b=2; HttpOnly", lines, head)

    def test_head_status_and_headers_without_body(self):
        get, _ = one_request(self.server.port, "GET", "/download?n=1000")
        self.assertEqual(get.status, 200)
        head, msg = one_request(self.server.port, "HEAD", "/download?n=1000")
        self.assertEqual(head.status, 200, head)
        self.assertEqual(head.body, b"")
        self.assertEqual(head.headers.get("content-type"), "application/octet-stream")
        # on one kept-alive connection: no body bytes follow the HEAD answer, so the GET after
        # it parses cleanly (a stray body would be read as the next status line)
        with connect(self.server.port) as s:
            s.sendall(raw_request("HEAD", "/download?n=1000", []) +
                      raw_request("GET", "/download?n=5", [("Connection", "close")]))
            first, second = read_responses(s, ["HEAD", "GET"])
        self.assertEqual(first.status, 200)
        self.assertEqual(first.body, b"")
        self.assertEqual(second.status, 200, second)
        self.assertEqual(second.body, bytes(range(5)))

    def test_head_event_says_head(self):
        resp, _ = one_request(self.server.port, "HEAD", "/anything?x=1")
        self.assertEqual(resp.status, 200)
        self.assertEqual(resp.headers.get("x-echo"), "yes")
        self.assertEqual(resp.headers.get("x-method"), "HEAD", "event.httpMethod of a HEAD request")
        self.assertEqual(resp.body, b"")

    def test_expect_100_continue(self):
        body = json.dumps({"name": "continue"}).encode()
        with connect(self.server.port) as s:
            s.sendall(raw_request("POST", "/hello", [("Content-Type", "application/json"),
                                                     ("Content-Length", str(len(body))),
                                                     ("Expect", "100-continue")]))
            interim = read_head(s, timeout=3)
            self.assertTrue(interim.startswith(b"HTTP/1.1 100"), f"no 100 Continue before the body: {interim!r}")
            s.sendall(body)
            resp = read_response(s)
        self.assertEqual(resp.status, 201, resp)
        self.assertEqual(resp.json["message"], "Hello, continue!")


class HttpFunctionBodyLimitTest(FnluaCase):
    """--max-body 1000000: 999,999 and 1,000,000 bytes reach the handler whole, more gets 413."""

    handler_dir = "httpfunctions"
    server_args = ("--mode", "http", "--max-body", "1000000")

    def size(self, n):
        body = b"a" + b"x" * (n - 2) + b"z"
        resp, _ = one_request(self.server.port, "POST", "/size", body, [("Content-Type", "text/plain")])
        return resp

    def test_body_near_the_limit_accepted_whole(self):
        for n in (999_999, 1_000_000):
            with self.subTest(n=n):
                resp = self.size(n)
                self.assertEqual(resp.status, 200, resp)
                self.assertEqual(resp.json, {"length": n, "first": "a", "last": "z"})

    def test_body_past_the_limit_413(self):
        for n in (1_000_001, 3_000_000):
            with self.subTest(n=n):
                resp = self.size(n)
                self.assertErrorObject(resp, 413, "PayloadTooLarge")
        self.assertEqual(self.size(10).status, 200)

    def test_chunked_upload_accepted_and_seen_whole(self):
        parts = [b'{"name":', b' "chun', b"ked", b'"}']
        with connect(self.server.port) as s:
            s.sendall(raw_request("POST", "/hello", [("Content-Type", "application/json"),
                                                     ("Transfer-Encoding", "chunked")]))
            for p in parts:  # several chunks, several packets
                s.sendall(b"%x\r\n%s\r\n" % (len(p), p))
                time.sleep(0.05)
            s.sendall(b"0\r\n\r\n")
            resp = read_response(s)
        self.assertEqual(resp.status, 201, resp)
        self.assertEqual(resp.json["message"], "Hello, chunked!")

        big = bytes(range(256)) * 2000  # 512,000 bytes of binary in 100 chunks
        with connect(self.server.port) as s:
            s.sendall(raw_request("POST", "/upload", [("Transfer-Encoding", "chunked")]) +
                      chunked([big[i:i + 5120] for i in range(0, len(big), 5120)]))
            resp = read_response(s)
        self.assertEqual(resp.status, 200, resp)
        self.assertEqual(int(resp.headers["x-body-length"]), len(big))
        self.assertEqual(int(resp.headers["x-body-checksum"]), checksum(big))
        self.assertEqual(resp.body, big)

    def test_chunked_upload_past_max_body_413(self):
        piece = b"y" * 65536
        with connect(self.server.port) as s:
            s.sendall(raw_request("POST", "/size", [("Transfer-Encoding", "chunked")]))
            try:
                for _ in range(30):  # 1.9 MB offered; the answer may come (and the socket close) early
                    s.sendall(b"%x\r\n%s\r\n" % (len(piece), piece))
                s.sendall(b"0\r\n\r\n")
            except (BrokenPipeError, ConnectionResetError):
                pass
            try:
                resp = read_response(s)
            except (ConnectionResetError, http.client.RemoteDisconnected) as e:
                self.fail(f"no 413 answer for a chunked body past --max-body: {e!r}")
        self.assertErrorObject(resp, 413, "PayloadTooLarge")
        self.assertEqual(self.size(10).status, 200)

    def test_expect_100_continue_past_limit_413_without_continue(self):
        with connect(self.server.port) as s:
            s.sendall(raw_request("POST", "/size", [("Content-Length", "5000000"), ("Expect", "100-continue")]))
            resp = read_response(s)
        self.assertErrorObject(resp, 413, "PayloadTooLarge")


class HttpModeShutdownTest(FnluaCase):
    def test_get_head_shutdown_forwarded_to_function_instance_keeps_serving(self):
        """In HTTP mode /shutdown is one of the function's paths: any client could call it,
        so it must never stop the instance (event mode keeps GET /shutdown for the platform)."""
        server = self.start_server("httpfunctions", args=["--mode", "http"])
        for method in ("GET", "HEAD", "GET"):
            with self.subTest(method=method):
                resp = server.request(method, "/shutdown")
                self.assertEqual(resp.status, 200, resp)
                self.assertEqual(resp.headers.get("x-echo"), "yes", f"{method} /shutdown was not handed to the function")
        time.sleep(0.3)
        self.assertIsNone(server.proc.poll(), "the instance stopped after GET /shutdown")
        self.assertEqual(server.request("GET", "/x").headers.get("x-echo"), "yes")


class SameHandlerBothModesTest(FnluaCase):
    """One fnlua.apig handler: an APIG event to /invoke (envelope) and the real request (plain
    response) give the same status, headers and body."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.event_server = cls.start_server("httpfunctions")
        cls.http_server = cls.start_server("httpfunctions", args=["--mode", "http"])

    def both(self, method, path, query, body, headers):
        """(envelope from event mode, plain response from HTTP mode) for one request."""
        event = {
            "httpMethod": method,
            "path": path,
            "queryStringParameters": query,
            "headers": {k.lower(): v for k, v in headers},
            "pathParameters": {},
            "body": base64.b64encode(body).decode() if body is not None else "",
            "isBase64Encoded": True,
            "requestContext": {"requestId": "r"},
        }
        resp = self.event_server.invoke(event)
        self.assertEqual(resp.status, 200, resp)
        env = resp.json
        qs = "&".join(f"{k}={v}" for k, vals in query.items() for v in (vals if isinstance(vals, list) else [vals]))
        plain, _ = one_request(self.http_server.port, method, path + ("?" + qs if qs else ""), body, headers)
        return env, plain

    def assertSame(self, env, plain):
        self.assertEqual(plain.status, env["statusCode"], (env, plain))
        env_body = base64.b64decode(env["body"]) if env["isBase64Encoded"] else env["body"].encode("utf-8")
        if "json" in plain.headers.get("content-type", ""):  # key order may differ between Lua states
            self.assertEqual(json.loads(plain.body), json.loads(env_body), (env, plain))
        else:
            self.assertEqual(plain.body, env_body, (env, plain))
        for name, value in env["headers"].items():
            self.assertEqual(plain.headers.get(name.lower()), value, f"header {name}: {env} vs {plain}")

    def test_json_api_alike_in_both_modes(self):
        cases = [
            ("POST", "/hello", {"sort": ["a", "b"]}, b'{"name":"Lua"}', [("Content-Type", "application/json"),
                                                                         ("User-Agent", "both-modes")]),
            ("POST", "/hello", {}, b'{"nom":"x"}', [("Content-Type", "application/json")]),  # 400 from apig.error
            ("GET", "/download", {"n": "300"}, None, []),  # binary: base64 envelope vs raw bytes
            ("POST", "/upload", {}, bytes(range(256)), [("Content-Type", "application/octet-stream")]),
        ]
        for method, path, query, body, headers in cases:
            with self.subTest(f"{method} {path}"):
                env, plain = self.both(method, path, query, body, headers)
                self.assertSame(env, plain)
        env, plain = self.both("POST", "/hello", {"sort": ["a", "b"]}, b'{"name":"Lua"}',
                               [("Content-Type", "application/json"), ("User-Agent", "both-modes")])
        self.assertEqual(env["statusCode"], 201)
        self.assertEqual(json.loads(plain.body), {"message": "Hello, Lua!", "sort": ["a", "b"], "agent": "both-modes"})

    def test_apig_json_api_example_in_http_mode(self):
        """handlers/apig-json-api, written for APIG events, serves a real request unchanged."""
        repo_handler = REPO / "handlers" / "apig-json-api"
        server = self.start_server(repo_handler, args=["--mode", "http"])
        event = json.loads((repo_handler / "event.json").read_text())
        ev_server = self.start_server(repo_handler)
        env = ev_server.invoke(event, headers={"X-CFF-Request-Id": "same-id"}).json
        plain, _ = one_request(server.port, "POST", "/hello?responseType=html",
                               base64.b64decode(event["body"]),
                               [("Content-Type", "application/json"), ("X-Real-IP", "103.218.216.98"),
                                ("X-CFF-Request-Id", "same-id")])
        self.assertEqual(env["statusCode"], 200, env)
        # in HTTP mode a client's X-CFF-Request-Id is an ordinary header: the id is generated
        self.assertNotEqual(plain.json["requestId"], "same-id")
        plain.json["requestId"] = "same-id"
        plain.body = json.dumps(plain.json).encode()
        self.assertSame(env, plain)
        self.assertEqual(plain.json["message"], "Hello, OpenTelekomCloud!")
