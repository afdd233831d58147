"""Event JSON → Lua values (docs/handler-api.md, "event"), seen through the echo fixture."""

import json

from harness import FnluaCase

# name, raw JSON body, expected Lua types (echo's `types`), expected "n=" .. v, expected round trip
CASES = [
    (
        "JSON integers |n| <= 2^53 → Lua integers",
        '{"i":5,"neg":-7,"zero":0,"pow53":9007199254740992,"negpow53":-9007199254740992,"id":4503599627370497}',
        {"i": "integer", "neg": "integer", "zero": "integer", "pow53": "integer", "negpow53": "integer", "id": "integer"},
        {"i": "n=5", "neg": "n=-7", "zero": "n=0", "id": "n=4503599627370497", "pow53": "n=9007199254740992"},
        {"i": 5, "neg": -7, "zero": 0, "pow53": 9007199254740992, "negpow53": -9007199254740992, "id": 4503599627370497},
    ),
    (
        "JSON fraction, exponent, integer beyond 2^53 → Lua floats",
        '{"f":1.5,"one":1.0,"e":1e3,"neg":-0.25,"over":9007199254740993}',
        {"f": "float", "one": "float", "e": "float", "neg": "float", "over": "float"},
        {"f": "n=1.5", "one": "n=1.0", "e": "n=1000.0", "neg": "n=-0.25"},
        None,
    ),
    (
        "JSON null → cjson.null, also inside arrays",
        '{"x":null,"arr":[1,null,3]}',
        {"x": "null", "arr": ["integer", "null", "integer"]},
        {},
        None,
    ),
    (
        "JSON strings, booleans → Lua strings, booleans",
        '{"s":"text","t":true,"f":false}',
        {"s": "string", "t": "boolean", "f": "boolean"},
        {},
        {"s": "text", "t": True, "f": False},
    ),
    (
        "nested JSON arrays and objects → nested Lua tables → same JSON back",
        '{"m":[[1,2],[3,[4,5]]],"objs":[{"a":{"b":[true,false,"x"]}}]}',
        {"m": [["integer", "integer"], ["integer", ["integer", "integer"]]],
         "objs": [{"a": {"b": ["boolean", "boolean", "string"]}}]},
        {},
        {"m": [[1, 2], [3, [4, 5]]], "objs": [{"a": {"b": [True, False, "x"]}}]},
    ),
    (
        "unicode strings (raw UTF-8 and \\u escapes incl. surrogate pairs) → intact UTF-8",
        '{"raw":"héllo 世界 🎉","esc":"\\u00e9\\ud83c\\udf89"}',
        {"raw": "string", "esc": "string"},
        {},
        {"raw": "héllo 世界 🎉", "esc": "é🎉"},
    ),
]


class EventDecodingTest(FnluaCase):
    handler_dir = "echo"

    def test_event_cases(self):
        for name, raw, types, concat, round_trip in CASES:
            with self.subTest(name):
                def check(resp):
                    body = self.envelope_json_body(resp)
                    self.assertEqual(body["eventType"], "table")
                    self.assertEqual(body["types"], types)
                    for key, text in concat.items():
                        self.assertEqual(body["concat"].get(key), text, f"'n=' .. event.{key}")
                    if round_trip is not None:
                        self.assertEqual(body["event"], round_trip)

                self.check_twice("POST", "/invoke", check, body=raw, headers={"Content-Type": "application/json"})

    def test_integer_id_in_event_comes_back_digit_for_digit(self):
        for raw_id in ("4503599627370497", "9007199254740992", "-9007199254740992", "1234567890123456"):
            with self.subTest(raw_id):
                resp = self.invoke('{"id":%s}' % raw_id)
                env = self.assertEnvelope(resp)
                self.assertIn(f'"id":{raw_id}', env["body"].replace(" ", ""), env["body"])

    def test_json_null_in_event_round_trips_as_null(self):
        resp = self.invoke('{"x":null,"arr":[1,null,3]}')
        body = self.envelope_json_body(resp)
        self.assertEqual(body["event"], {"x": None, "arr": [1, None, 3]})
        self.assertEqual(body["lengths"]["arr"], 3, "array with a null keeps its length")

    def test_unicode_string_has_its_utf8_byte_length(self):
        s = "héllo 世界 🎉"
        body = self.envelope_json_body(self.invoke(json.dumps({"s": s}, ensure_ascii=False)))
        self.assertEqual(body["bytes"]["s"], len(s.encode("utf-8")))

    def test_empty_body_gives_empty_event_table(self):
        def check(resp):
            body = self.envelope_json_body(resp)
            self.assertEqual(body["eventType"], "table")
            self.assertTrue(body["empty"])

        self.check_twice("POST", "/invoke", check, body=b"")

    def test_empty_json_object_gives_empty_event_table(self):
        def check(resp):
            body = self.envelope_json_body(resp)
            self.assertEqual(body["eventType"], "table")
            self.assertTrue(body["empty"])

        self.check_twice("POST", "/invoke", check, body="{}")

    def test_deeply_nested_event_does_not_crash(self):
        """valid JSON nested 100000 deep → 200 or 400 InvalidEvent, never a crash; the server keeps serving"""
        for depth in (100000, 1000):
            with self.subTest(depth=depth):
                resp = self.invoke("[" * depth + "]" * depth)
                self.assertIn(resp.status, (200, 400), resp)
                if resp.status == 400:
                    self.assertErrorObject(resp, 400, "InvalidEvent")
        self.assertEqual(self.server.request("GET", "/healthz").status, 200)
        self.assertEqual(self.envelope_json_body(self.invoke({"a": 1}))["event"], {"a": 1})
