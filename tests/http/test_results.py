"""Handler return value → envelope: every rule of docs/handler-api.md, "Returning a result", and exact numbers."""

import base64
import json

from harness import FnluaCase, header


def json_body(expected, content_type="application/json"):
    """Check: envelope body is JSON equal to `expected`, Content-Type as given."""
    def check(test, env):
        test.assertFalse(env["isBase64Encoded"])
        test.assertEqual(json.loads(env["body"]), expected)
        media = (header(env["headers"], "Content-Type") or "").split(";")[0].strip()
        test.assertEqual(media, content_type, env["headers"])
    return check


def text_body(expected):
    def check(test, env):
        test.assertFalse(env["isBase64Encoded"])
        test.assertEqual(env["body"], expected)
    return check


def contains(*parts):
    def check(test, env):
        for part in parts:
            test.assertIn(part, env["body"])
    return check


def all_of(*checks):
    def check(test, env):
        for c in checks:
            c(test, env)
    return check


def headers_are(expected):
    def check(test, env):
        for name, value in expected.items():
            test.assertEqual(header(env["headers"], name), value, f"header {name}")
    return check


def base64_of(raw):
    def check(test, env):
        test.assertTrue(env["isBase64Encoded"])
        test.assertEqual(base64.b64decode(env["body"]), raw)
    return check


def passed_through(text):
    def check(test, env):
        test.assertTrue(env["isBase64Encoded"])
        test.assertEqual(env["body"], text)
    return check


# (what is checked, event.case, envelope statusCode, check(test, envelope))
ENVELOPE_CASES = [
    ("table with statusCode + headers + body → that envelope, header values as strings", "status_body", 201,
     all_of(text_body("created"), headers_are({"X-Num": "42", "X-Float": "1.5", "X-Bool": "true", "X-Str": "s"}))),
    ("table with only body → statusCode 200", "body_only", 200, text_body("just a body")),
    ("table with only statusCode → that status, empty body", "status_only", 204, text_body("")),
    ("body that is a table → JSON text + Content-Type application/json", "body_table", 200,
     json_body({"a": 1, "list": [1, 2, 3], "nested": {"b": {"c": "d"}}})),
    ("body table with its own Content-Type → JSON text, Content-Type kept", "body_table_own_type", 200,
     json_body({"a": 1}, content_type="application/vnd.api+json")),
    ("body bytes that are not UTF-8 → base64 + isBase64Encoded true", "binary_body", 200,
     base64_of(b"\xff\xfe\x00\x01binary")),
    ("body string in UTF-8 (non-ASCII) → plain body, not base64", "unicode_body", 200, text_body("héllo 世界 🎉")),
    ("isBase64Encoded = true set by the handler → body passed through", "prebase64", 200, passed_through("aGVsbG8=")),
    ("any other table → 200 + JSON body of the table + Content-Type application/json", "plain_table", 200,
     json_body({"a": 1, "nested": {"b": {"c": "d"}}, "arr": [1, "two", True]})),
    ("nested Lua arrays → nested JSON arrays", "nested_arrays", 200, json_body({"m": [[1, 2], [3, [4, 5]]]})),
    ("string → that string as body", "string", 200, text_body("hello")),
    ("Lua integer → its JSON text", "integer", 200, text_body("42")),
    ("Lua float 0.1 → 0.1 (shortest text that reads back)", "float", 200, text_body("0.1")),
    ("Lua float 1.5 → 1.5", "float_half", 200, text_body("1.5")),
    ("true → true", "boolean_true", 200, text_body("true")),
    ("false → false", "boolean_false", 200, text_body("false")),
    ("nil → empty body", "nil", 200, text_body("")),
    ("no return value → empty body", "nothing", 200, text_body("")),
    ("Lua integer 1234567890123456 → all 16 digits", "bigint", 200, text_body("1234567890123456")),
    ("math.maxinteger → 9223372036854775807 exactly", "maxinteger", 200, text_body("9223372036854775807")),
    ("math.mininteger → -9223372036854775808 exactly", "mininteger", 200, text_body("-9223372036854775808")),
    ("float 2^53 → 9007199254740992", "pow53", 200, text_body("9007199254740992")),
    ("exact numbers inside a returned table", "bigint_in_table", 200,
     all_of(contains('"id":1234567890123456', '"max":9223372036854775807', '"tenth":0.1'),
            json_body({"id": 1234567890123456, "max": 9223372036854775807, "tenth": 0.1, "pow53": 9007199254740992}))),
]

# (what is checked, event.case)
RESULT_ERROR_CASES = [
    ("returned function → 500 ResultError", "function"),
    ("returned userdata (io.stdout) → 500 ResultError", "userdata"),
    ("returned cyclic table → 500 ResultError", "cycle"),
    ("function inside the body table → 500 ResultError", "function_in_body"),
    ("table nested 100000 deep → 500 ResultError (depth limit, no crash)", "deep_table"),
]


class ReturnValueToEnvelopeTest(FnluaCase):
    handler_dir = "results"

    def test_return_value_rows(self):
        for name, case, status_code, check in ENVELOPE_CASES:
            with self.subTest(name):
                self.check_twice(
                    "POST", "/invoke",
                    lambda resp: check(self, self.assertEnvelope(resp, status_code)),
                    body={"case": case},
                )

    def test_unencodable_results(self):
        for name, case in RESULT_ERROR_CASES:
            with self.subTest(name):
                self.check_twice(
                    "POST", "/invoke",
                    lambda resp: self.assertErrorObject(resp, 500, "ResultError"),
                    body={"case": case}, logged="ResultError",
                )

    def test_result_over_platform_limit_is_a_function_error(self):
        """ResultTooLarge, answered and logged as such; the message names the 6,291,456-byte limit"""
        def check(resp):
            self.assertErrorObject(resp, 500, "ResultTooLarge", "6291456")

        self.check_twice("POST", "/invoke", check, body={"case": "huge_body"}, logged="ResultTooLarge")

    def test_envelope_raw_text_starts_with_isBase64Encoded_false(self):
        resp = self.invoke({"case": "string"})
        self.assertTrue(resp.text.replace(" ", "").startswith('{"isBase64Encoded":false,"statusCode":200,'), resp)

    def test_integer_id_in_event_comes_out_unchanged(self):
        for ident in (4503599627370497, 9007199254740992, 1234567890123456, -42):
            with self.subTest(ident):
                env = self.assertEnvelope(self.invoke('{"case":"echo_id","id":%d}' % ident))
                self.assertIn('"id":%d' % ident, env["body"].replace(" ", ""))
                self.assertEqual(json.loads(env["body"]), {"id": ident})

    def test_server_keeps_serving_after_result_error(self):
        self.assertErrorObject(self.invoke({"case": "cycle"}), 500, "ResultError")
        env = self.assertEnvelope(self.invoke({"case": "string"}))
        self.assertEqual(env["body"], "hello")
