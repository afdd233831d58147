"""Pattern matching on untrusted input: a backtracking string.match, string.gsub (string or
function replacement) or string.gmatch that would run for many seconds in C is stopped at the
invocation's deadline with TimeoutError, a handler's pcall around it cannot swallow the timeout,
the worker serves the next invocation, and ordinary matching returns the standard answers."""

import time

from harness import FnluaCase


class PatternDeadlineTest(FnluaCase):
    handler_dir = "patterns"
    workers = 1

    def stopped_by_deadline(self, kind):
        start = time.monotonic()
        resp = self.invoke({"kind": kind}, headers={"X-CFF-Timeout": "2", "X-CFF-Request-Id": f"pattern-{kind}"})
        took = time.monotonic() - start
        self.assertErrorObject(resp, 500, "TimeoutError")
        self.assertIn("timed out after 2", resp.json["errorMessage"], resp)
        self.assertLess(took, 2.5, f"{kind}: answered after {took:.2f} s (the standard matcher takes ~29 s)")
        self.assertGreater(took, 1.9, f"{kind}: answered before its deadline, after {took:.2f} s")
        lines = self.server.wait_for_lines(lambda l: f"pattern-{kind}" in l and " ERROR " in l and "TimeoutError" in l)
        self.assertTrue(lines, f"{kind}: no ERROR line naming TimeoutError with the request id")
        # the worker is usable again, and matching in it is still right
        self.check_ordinary_matching()

    def check_ordinary_matching(self):
        body = self.envelope_json_body(self.invoke({"kind": "ordinary"}))
        self.assertEqual(body, {
            "trim": "key = value ; other=2",
            "key": "key", "value": "value",
            "find": [2, 2, 3, "b"],  # the first find is cut to one value by the table constructor
            "words": ["one", "two", "three"],
            "gsub": "hell0 w0rld", "count": 2,
            "balanced": "(a(b)c)",
            "frontier": 3,
            "positions": [3, 5],
        })

    def test_trim_of_80_kb_of_spaces_times_out_at_the_deadline_worker_reusable(self):
        self.stopped_by_deadline("trim")

    def test_trim_inside_pcall_cannot_swallow_the_timeout(self):
        self.stopped_by_deadline("trim_pcall")

    def test_catastrophic_gsub_times_out_at_the_deadline(self):
        self.stopped_by_deadline("gsub")

    def test_catastrophic_gsub_with_function_times_out_at_the_deadline(self):
        self.stopped_by_deadline("gsub_function")

    def test_catastrophic_gmatch_times_out_at_the_deadline(self):
        self.stopped_by_deadline("gmatch")

    def test_ordinary_matching_returns_the_standard_answers_twice(self):
        self.check_ordinary_matching()
        self.check_ordinary_matching()
