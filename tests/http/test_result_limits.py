"""What a handler returns cannot make the server bloat or drop the connection: a result
over the platform's limit is refused before it is encoded (a string of control bytes
would grow six-fold in JSON), also in HTTP mode; error values are cut to a readable
size; response headers that libmicrohttpd could not send are a ResultError; and
string.rep of an empty string returns at once instead of looping in C past the
deadline."""

import re
import time

from harness import FnluaCase
from outbound import sanitized


def vm_hwm_kb(pid):
    with open(f"/proc/{pid}/status") as f:
        return int(re.search(r"VmHWM:\s+(\d+)", f.read()).group(1))


class EventModeLimitsTest(FnluaCase):
    handler_dir = "bigresults"
    workers = 1
    server_args = ("--memory", "512", "--timeout", "10")

    def test_control_bytes_over_the_limit_refused_before_encoding(self):
        resp = self.invoke({"kind": "controlbytes", "mb": 60})
        self.assertErrorObject(resp, 500, "ResultTooLarge", ["62914560 bytes"])
        # the 60 MB string itself is in the Lua heap; its JSON form (about 360 MB) never was
        if not sanitized():
            self.assertLess(vm_hwm_kb(self.server.proc.pid), 250 * 1024)
        self.assertEqual(self.envelope_json_body(self.invoke({})), {"ok": True})

    def test_table_body_over_the_limit_is_result_too_large(self):
        self.assertErrorObject(self.invoke({"kind": "bigtable", "n": 200000}), 500, "ResultTooLarge")

    def test_huge_error_value_is_cut_to_a_readable_message(self):
        resp = self.invoke({"kind": "hugeerror", "mb": 20})
        self.assertErrorObject(resp, 500, "HandlerError", ["more bytes)"])
        self.assertLess(len(resp.json["errorMessage"]), 20000)
        self.assertLess(len(resp.body), 40000)

    def test_headers_too_large_to_send_are_a_result_error(self):
        self.assertErrorObject(self.invoke({"kind": "bigheaders"}), 500, "ResultError", ["headers"])

    def test_string_rep_of_an_empty_string_returns_at_once(self):
        start = time.monotonic()
        body = self.envelope_json_body(self.invoke({"kind": "emptyrep"}))
        self.assertLess(time.monotonic() - start, 1.0)
        self.assertEqual(body, {"len": 0, "sep": 0, "one": "ab-ab-ab"})


class HttpModeLimitsTest(FnluaCase):
    handler_dir = "bigresults"
    workers = 1
    server_args = ("--mode", "http", "--memory", "512")

    def test_http_function_result_over_the_limit_is_result_too_large(self):
        resp = self.server.request("POST", "/", body=b'{"kind": "controlbytes", "mb": 7}',
                                   headers={"Content-Type": "application/json"})
        self.assertErrorObject(resp, 500, "ResultTooLarge")

    def test_http_function_headers_too_large_answered_not_dropped(self):
        resp = self.server.request("POST", "/", body=b'{"kind": "bigheaders"}',
                                   headers={"Content-Type": "application/json"})
        self.assertErrorObject(resp, 500, "ResultError", ["headers"])
