"""fnlua.hwcloud.sign() → the Authorization an independent Python signer (hwsign.py) computes.

Each case sends a request description and keys (or X-CFF-Security-* headers
for a context) to the hwsigning fixture with a fixed X-Sdk-Date; the fixture
returns the request as fnlua would send it. The test recomputes the
Authorization from the original description with hwsign.py, compares it
exactly, and verifies the request as sent the way API Gateway would.
"""

import json
import time

import hwsign
from harness import FnluaCase

DATE = "20260101T080000Z"
AK, SK, TOKEN = "HPUAEXAMPLEAK0123456", "ExampleSecretKey0123456789abcdefghijklmn", "tokenTOKEN+/=="


def header(headers, name):
    for k, v in headers.items():
        if k.lower() == name.lower():
            return v
    return None


class HwcloudSigningTest(FnluaCase):
    handler_dir = "hwsigning"

    def sign_and_check(self, req, creds=None, token=None, context_headers=None):
        """Signs `req` in fnlua (keys in `creds`, or the context's from
        `context_headers`), twice; checks both against hwsign.py. Returns what
        fnlua would send."""
        req = dict(req)
        req.setdefault("headers", {"X-Sdk-Date": DATE})
        event = {"req": req}
        if creds is not None:
            event["creds"] = creds
        ak = creds["access_key"] if creds else AK
        sk = creds["secret_key"] if creds else SK
        sent = {}

        def check(resp):
            out = self.envelope_json_body(resp)
            sent.update(out)
            headers = out["headers"]
            # what an SDK would add, computed here from the original description
            want_headers = dict(req["headers"])
            if header(want_headers, "Host") is None:
                want_headers["Host"] = hwsign.host_of(req["url"])
            if token is not None:
                want_headers["X-Security-Token"] = token
            body = req.get("body")
            if isinstance(body, dict):
                # fnlua.json's exact text is fnlua's to choose; it must be the same JSON
                self.assertEqual(json.loads(out["body"]), body, "table body → JSON of the same value")
                body = out["body"]
                if header(want_headers, "Content-Type") is None:
                    want_headers["Content-Type"] = "application/json"
            want = hwsign.authorization(ak, sk, req.get("method", "GET"), req["url"], want_headers,
                                        (body or "").encode("utf-8"), query=req.get("query"))
            self.assertEqual(headers.get("Authorization"), want, out)
            self.assertEqual(header(headers, "X-Sdk-Date"), header(req["headers"], "X-Sdk-Date"), out)
            self.assertEqual(header(headers, "Host"), header(want_headers, "Host"), out)
            self.assertEqual(header(headers, "X-Security-Token"), token, out)
            self.assertIsNone(out.get("query"), "query moved into the URL")
            # the request exactly as it would go out verifies on the server side
            ok, why = hwsign.verify(out["method"], out["url"], headers, (out.get("body") or "").encode("utf-8"),
                                    {ak: sk})
            self.assertTrue(ok, why)

        self.check_twice("POST", "/invoke", check, body=event, headers=context_headers)
        return sent

    def test_path_with_spaces_and_unicode_segments(self):
        out = self.sign_and_check({"url": "https://obs.example.com/my bucket/Grüße 2026/ä+b;c.txt"},
                                  creds={"access_key": AK, "secret_key": SK})
        self.assertEqual(out["url"], "https://obs.example.com/my%20bucket/Gr%C3%BC%C3%9Fe%202026/%C3%A4%2Bb%3Bc.txt")

    def test_percent_encoded_path_and_trailing_slash(self):
        self.sign_and_check({"url": "https://svc.example.com/v1/a%20b/c%2Fd/"},
                            creds={"access_key": AK, "secret_key": SK})

    def test_repeated_query_keys_from_url_and_query_table(self):
        out = self.sign_and_check({
            "url": "https://svc.example.com/v1/items?tag=b&tag=a&limit=10&sp=%20x+y&empty",
            "query": {"tag": ["c", "a"], "q": "x y/z&w=1", "page": 2, "all": True},
        }, creds={"access_key": AK, "secret_key": SK})
        self.assertEqual(out["url"].split("?", 1)[1],
                         "all=true&empty=&limit=10&page=2&q=x%20y%2Fz%26w%3D1&sp=%20x%2By&tag=a&tag=a&tag=b&tag=c")

    def test_table_body_sent_as_json_with_content_type(self):
        out = self.sign_and_check({
            "method": "post", "url": "https://smn.example.com/v2/p/publish",
            "body": {"subject": "hi", "message": "héllo \"world\"", "n": [1, 2.5, 3], "nested": {"ok": True}},
        }, creds={"access_key": AK, "secret_key": SK})
        self.assertEqual(out["method"], "POST")
        self.assertEqual(out["headers"].get("Content-Type"), "application/json")

    def test_string_body_and_token_present(self):
        self.sign_and_check({
            "method": "PUT", "url": "https://svc.example.com/v1/objects/x",
            "headers": {"X-Sdk-Date": DATE, "Content-Type": "text/plain", "X-Meta-Note": "  padded value  "},
            "body": "plain text body\n",
        }, creds={"access_key": AK, "secret_key": SK, "security_token": TOKEN}, token=TOKEN)

    def test_token_absent_or_null(self):
        self.sign_and_check({"url": "https://svc.example.com/v1/x"},
                            creds={"access_key": AK, "secret_key": SK, "security_token": "null"})

    def test_context_as_creds_from_security_headers(self):
        self.sign_and_check({"method": "DELETE", "url": "https://svc.example.com/v1/x?id=7"}, token=TOKEN,
                            context_headers={"X-CFF-Security-Access-Key": AK, "X-CFF-Security-Secret-Key": SK,
                                             "X-CFF-Security-Token": TOKEN})

    def test_context_with_null_token(self):
        self.sign_and_check({"url": "https://svc.example.com/v1/x"},
                            context_headers={"X-CFF-Security-Access-Key": AK, "X-CFF-Security-Secret-Key": SK,
                                             "X-CFF-Security-Token": "null"})

    def test_context_without_keys_is_a_clear_error(self):
        resp = self.invoke({"req": {"url": "https://svc.example.com/"}})
        self.assertErrorObject(resp, 500, "HandlerError", "the context has no temporary access key")

    def test_non_default_port_and_lower_case_date_header(self):
        out = self.sign_and_check({"url": "http://127.0.0.1:8080/api", "headers": {"x-sdk-date": DATE}},
                                  creds={"access_key": AK, "secret_key": SK})
        self.assertEqual(out["headers"]["Host"], "127.0.0.1:8080")

    def test_unsigned_payload(self):
        self.sign_and_check({
            "method": "POST", "url": "https://obs.example.com/b/big",
            "headers": {"X-Sdk-Date": DATE, "X-Sdk-Content-Sha256": "UNSIGNED-PAYLOAD"}, "body": "not hashed",
        }, creds={"access_key": AK, "secret_key": SK})

    def test_no_date_given_is_now_in_utc(self):
        before = time.time()
        out = self.envelope_json_body(self.invoke({"req": {"url": "https://svc.example.com/"},
                                                   "creds": {"access_key": AK, "secret_key": SK}}))
        ok, why = hwsign.verify(out["method"], out["url"], out["headers"], b"", {AK: SK}, now=before)
        self.assertTrue(ok, why)


if __name__ == "__main__":
    import unittest

    unittest.main()
