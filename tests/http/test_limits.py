"""Limits: past the deadline → "timed out after N s"; past the heap budget → "runtime memory limit exceeded"; worker reusable."""

import time

from harness import FnluaCase


class TimeoutTest(FnluaCase):
    handler_dir = "limits"

    def test_endless_loop_times_out_and_worker_is_reusable(self):
        for case in ("loop", "pcall_loop"):
            with self.subTest(f"{case} with X-CFF-Timeout 1 → 500 timed out, next invoke works"):
                start = time.monotonic()
                resp = self.invoke({"case": case}, headers={"X-CFF-Timeout": "1"})
                elapsed = time.monotonic() - start
                self.assertEqual(resp.status, 500, resp)
                err = resp.json
                self.assertIsInstance(err, dict, resp)
                self.assertIn("timed out after 1", err.get("errorMessage", ""), resp)
                self.assertLess(elapsed, 1.5, "timeout answered well after the deadline")
                self.assertEqual(self.assertEnvelope(self.invoke({"case": "ok"}))["body"], "ok")


class MemoryLimitTest(FnluaCase):
    handler_dir = "limits"

    def test_heap_past_budget_fails_and_worker_is_reusable(self):
        # without a limit the handler stops by itself at ~450 MB and answers 200
        resp = self.invoke({"case": "grow", "capMB": 400}, headers={"X-CFF-Memory": "128"})
        self.assertEqual(resp.status, 500, resp)
        self.assertIn("runtime memory limit exceeded", (resp.json or {}).get("errorMessage", ""), resp)
        self.assertEqual(self.assertEnvelope(self.invoke({"case": "ok"}))["body"], "ok")
