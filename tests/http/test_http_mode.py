"""--mode http: any method and path → APIG-shaped event; the envelope → a plain HTTP response (docs/handler-api.md, "HTTP functions")."""

import base64

from harness import FnluaCase, fixture_line


def event_body(ev):
    """The request body as the handler saw it, decoded from base64 when flagged."""
    body = ev.get("body") or ""
    return base64.b64decode(body).decode("utf-8") if ev.get("isBase64Encoded") else body


class HttpModeTest(FnluaCase):
    handler_dir = "httpmode"
    server_args = ("--mode", "http")

    def test_request_becomes_apig_event_and_envelope_becomes_response(self):
        cases = [
            ("GET", "/hello?name=lua&x=1", None, {"name": "lua", "x": "1"}, ""),
            ("POST", "/items", '{"a":1}', {}, '{"a":1}'),
            ("PUT", "/items/7", "plain text body", {}, "plain text body"),
            ("DELETE", "/items/7", None, {}, ""),
            ("POST", "/invoke", '{"not":"special"}', {}, '{"not":"special"}'),
        ]
        for method, path, body, query, seen_body in cases:
            with self.subTest(f"{method} {path} → event.httpMethod/path/query/body, 201 from the envelope"):
                def check(resp):
                    self.assertEqual(resp.status, 201, resp)
                    self.assertEqual(resp.headers.get("x-echo-method"), method)
                    ev = resp.json
                    self.assertEqual(ev["httpMethod"], method)
                    self.assertEqual(ev["path"], path.split("?")[0])
                    self.assertEqual(ev.get("query") or {}, query)
                    self.assertEqual(ev["headers"].get("x-test"), "yes")
                    self.assertEqual(event_body(ev), seen_body)

                self.check_twice(method, path, check, body=body, headers={"X-Test": "yes"})

    def test_base64_body_decoded_into_http_response(self):
        resp = self.server.request("GET", "/binary")
        self.assertEqual(resp.status, 200, resp)
        self.assertEqual(resp.body, b"\xff\x00binary")
        self.assertEqual(resp.headers.get("content-type"), "application/octet-stream")
        resp = self.server.request("GET", "/prebase64")
        self.assertEqual(resp.body, b"hello")

    def test_healthz_not_forwarded(self):
        resp = self.server.request("GET", "/healthz")
        self.assertEqual(resp.status, 200, resp)
        self.assertNotIn("x-echo-method", resp.headers)

    def test_handler_error_500_error_object(self):
        where = f"index.lua:{fixture_line('httpmode/index.lua', 'RAISE:http')}"
        self.check_twice("GET", "/fail", lambda resp: self.assertErrorObject(resp, 500, "HandlerError", where))
