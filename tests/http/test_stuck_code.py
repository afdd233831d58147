"""Code that tries to run past its invocation's deadline where the handler's own frames are
gone, and failures that must keep their own kind: an error object whose __tostring loops,
a <close> handler that loops, a memory error caught by pcall followed by another error, a
result over the size limit. Each is answered by its deadline with the right errorType, in
the answer and in the log line, and the worker serves the next invocation."""

import time

from harness import FnluaCase


class StuckCodeTest(FnluaCase):
    handler_dir = "stuckcode"
    workers = 1
    server_args = ("--timeout", "2", "--memory", "128")

    def answered_by_deadline(self, kind, error_type, within=3.5, headers=None):
        start = time.monotonic()
        resp = self.invoke({"kind": kind}, headers={"X-CFF-Request-Id": f"stuck-{kind}", **(headers or {})})
        took = time.monotonic() - start
        self.assertLess(took, within, f"{kind}: answered after {took:.1f} s")
        self.assertErrorObject(resp, 500, error_type)
        lines = self.server.wait_for_lines(lambda l: f"stuck-{kind}" in l and f" ERROR " in l and f"{error_type}:" in l)
        self.assertTrue(lines, f"{kind}: no ERROR line naming {error_type} with the request id")
        # the worker is usable again
        self.assertEqual(self.envelope_json_body(self.invoke({"kind": "fine"})), {"ok": True})
        return resp

    def test_error_object_whose_tostring_loops_is_stopped_at_the_deadline(self):
        self.answered_by_deadline("tostring", "TimeoutError")

    def test_close_handler_that_loops_never_pins_the_worker(self):
        self.answered_by_deadline("close", "TimeoutError")

    def test_memory_error_caught_by_pcall_does_not_relabel_a_later_error(self):
        # a deadline far enough for the bomb to reach the budget even under a sanitizer
        resp = self.answered_by_deadline("caughtmemory", "HandlerError", within=60,
                                         headers={"X-CFF-Timeout": "60", "X-CFF-Memory": "64"})
        self.assertIn("a different error", resp.json["errorMessage"])

    def test_result_over_the_limit_is_result_too_large_in_answer_and_log(self):
        self.answered_by_deadline("toolarge", "ResultTooLarge")
