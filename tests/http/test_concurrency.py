"""50 concurrent invocations on 2 workers: each answer carries its own request id and event (no cross-talk)."""

import concurrent.futures

from harness import FnluaCase

N = 50


class ConcurrentInvokeTest(FnluaCase):
    handler_dir = "requestid"
    workers = 2

    def one(self, n):
        rid = f"conc-{n:03d}"
        resp = self.server.invoke({"n": n}, headers={"X-CFF-Request-Id": rid})
        return n, rid, resp

    def test_concurrent_invokes_each_get_their_own_request_id(self):
        for round_ in (1, 2):
            with self.subTest(round=round_):
                with concurrent.futures.ThreadPoolExecutor(max_workers=N) as pool:
                    results = list(pool.map(self.one, range(N)))
                seen = set()
                for n, rid, resp in results:
                    body = self.envelope_json_body(resp)
                    self.assertEqual(body["id"], rid, f"request {n} got another request's id")
                    self.assertEqual(body["after"], rid, f"request id changed during request {n}")
                    self.assertEqual(body["header"], rid, f"context.headers of request {n} belong to another")
                    self.assertEqual(body["n"], n, f"request {n} got another request's event")
                    self.assertFalse(body["overlapped"], "two invocations ran at once in one Lua state")
                    self.assertTrue(body["stillMine"])
                    seen.add(body["id"])
                self.assertEqual(len(seen), N)
        self.assertEqual(self.server.request("GET", "/healthz").status, 200)
