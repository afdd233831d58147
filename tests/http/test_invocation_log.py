"""--log-invocations: one INFO line per finished invocation (request id, status, duration, Lua memory),
like FunctionGraph's own "Finish invoke request" line, in text and JSON log formats; off by default."""

import json
import re
import time

from harness import LOG_LINE_RE, FnluaCase

FINISH_RE = re.compile(
    r"^Finish invoke request '(?P<rid>[^']+)', status: (?P<status>\S+), "
    r"duration: (?P<ms>\d+\.\d{3})ms, memory used: (?P<kb>\d+)KB$"
)


class InvocationLogTextTest(FnluaCase):
    handler_dir = "results"
    server_args = ("--log-invocations",)

    def finish_lines(self, rid):
        return self.server.wait_for_lines(lambda l: f"Finish invoke request '{rid}'" in l)

    def test_success_and_error_lines(self):
        cases = [("string", "ok", 200), ("function", "ResultError", 500)]
        for case, status, http_status in cases:
            for attempt in (1, 2):
                rid = f"inv-log-{case}-{attempt}"
                with self.subTest(case=case, attempt=attempt):
                    resp = self.invoke({"case": case}, headers={"X-CFF-Request-Id": rid})
                    self.assertEqual(resp.status, http_status)
                    lines = self.finish_lines(rid)
                    self.assertEqual(len(lines), 1, self.server.output()[-10:])
                    m = LOG_LINE_RE.match(lines[0])
                    self.assertIsNotNone(m, lines[0])
                    self.assertEqual(m["level"], "INFO")
                    self.assertEqual(m["request_id"], rid)
                    f = FINISH_RE.match(m["message"])
                    self.assertIsNotNone(f, m["message"])
                    self.assertEqual(f["rid"], rid)
                    self.assertEqual(f["status"], status)
                    self.assertLess(float(f["ms"]), 5000.0)
                    self.assertGreater(int(f["kb"]), 10)  # a Lua state with fnlua's library loaded

    def test_memory_reflects_what_the_handler_holds(self):
        # a 2 MB body is alive in the state when the invocation ends: the line shows it
        rid = "inv-log-big"
        resp = self.invoke({"case": "echo_id", "id": "x" * (2 << 20)}, headers={"X-CFF-Request-Id": rid})
        self.assertEqual(resp.status, 200)
        f = FINISH_RE.match(LOG_LINE_RE.match(self.finish_lines(rid)[0])["message"])
        self.assertGreater(int(f["kb"]), 2000)


class InvocationLogJsonTest(FnluaCase):
    handler_dir = "results"
    server_env = {"FNLUA_LOG_INVOCATIONS": "1", "FNLUA_LOG_FORMAT": "json"}

    def test_json_line_has_fields(self):
        for case, status in (("body_table", "ok"), ("cycle", "ResultError")):
            rid = f"inv-json-{case}"
            with self.subTest(case=case):
                self.invoke({"case": case}, headers={"X-CFF-Request-Id": rid})
                lines = self.server.wait_for_lines(lambda l: f"Finish invoke request '{rid}'" in l)
                self.assertEqual(len(lines), 1, self.server.output()[-10:])
                obj = json.loads(lines[0])
                self.assertEqual(obj["level"], "INFO")
                self.assertEqual(obj["requestId"], rid)
                self.assertEqual(obj["status"], status)
                self.assertIsInstance(obj["durationMs"], float)
                self.assertIsInstance(obj["memoryKB"], int)
                self.assertGreater(obj["memoryKB"], 10)
                f = FINISH_RE.match(obj["message"])
                self.assertIsNotNone(f, obj["message"])
                self.assertEqual((f["status"], int(f["kb"])), (status, obj["memoryKB"]))


class InvocationLogOffByDefaultTest(FnluaCase):
    handler_dir = "results"

    def test_no_line_by_default(self):
        self.invoke({"case": "string"}, headers={"X-CFF-Request-Id": "inv-off-1"})
        self.invoke({"case": "function"}, headers={"X-CFF-Request-Id": "inv-off-2"})
        # the error line of the second proves its invocation finished and was logged by then
        self.server.wait_for_lines(lambda l: "inv-off-2" in l and "ResultError" in l)
        time.sleep(0.1)
        self.assertEqual([l for l in self.server.output() if "Finish invoke request" in l], [])
