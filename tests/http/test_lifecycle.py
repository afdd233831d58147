"""Instance life cycle: shutdown hook and graceful stop, --reload, SIGHUP (docs/architecture.md, "Life cycle")."""

import os
import shutil
import signal
import tempfile
import threading
import time
from pathlib import Path

from harness import FnluaCase, Server, copy_handler

SHUTDOWN_LOG = "shutdown hook ran"

V2 = '-- reload: edited copy\nlocal M = {}\nfunction M.handler() return "version 2" end\nreturn M\n'
V3 = '-- reload: fixed again\nlocal M = {}\nfunction M.handler() return "version 3" end\nreturn M\n'
BROKEN = '-- reload: no longer compiles\nlocal M = {}\nfunction M.handler()\n  return = 1\nend\nreturn M\n'
BROKEN_LINE = 4


def write_script(path, text, bump):
    """Rewrite a script and move its mtime forward, so a change is seen even within one second."""
    path.write_text(text, encoding="utf-8")
    later = time.time() + bump
    os.utime(path, (later, later))


class ShutdownTest(FnluaCase):
    def test_sigterm_runs_shutdown_hook_once_per_lua_state_exit_0(self):
        server = self.start_server("shutdown", workers=2)
        self.assertEqual(server.request("POST", "/init").status, 200)
        self.assertEqual(server.stop(), 0)
        lines = [l for l in server.output() if SHUTDOWN_LOG in l]
        self.assertEqual(len(lines), 2, server.output())

    def test_sigterm_finishes_in_flight_invocation(self):
        server = self.start_server("shutdown", workers=1)
        result = {}
        t = threading.Thread(target=lambda: result.setdefault("resp", server.invoke({"slowSeconds": 2})))
        t.start()
        time.sleep(0.5)
        server.proc.send_signal(signal.SIGTERM)
        t.join(10)
        self.assertIn("resp", result, "in-flight invocation got no answer")
        env = self.assertEnvelope(result["resp"])
        self.assertEqual(env["body"], "slow done")
        self.assertEqual(server.stop(), 0)

    def test_get_shutdown_stops_instance_exit_0(self):
        server = self.start_server("shutdown", workers=1)
        self.assertEnvelope(server.invoke())
        try:
            server.request("GET", "/shutdown")
        except OSError:
            pass  # the server may close the connection as it stops
        try:
            code = server.proc.wait(timeout=10)
        except Exception:
            self.fail("GET /shutdown did not stop the instance within 10 s")
        self.assertEqual(code, 0)
        server.wait_for_lines(lambda l: SHUTDOWN_LOG in l)
        self.assertEqual(len([l for l in server.output() if SHUTDOWN_LOG in l]), 1)


class ReloadTest(FnluaCase):
    """--reload: an edited script is used by the next invocation; a broken one names file:line until fixed."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.tmp = tempfile.mkdtemp(prefix="fnlua-reload-")
        cls.addClassCleanup(shutil.rmtree, cls.tmp, True)
        cls.code = copy_handler("reload", cls.tmp)
        cls.server = cls.start_server(cls.code, args=["--reload"])

    bump = 0

    def body(self):
        return self.assertEnvelope(self.invoke())["body"]

    def edit(self, text):
        type(self).bump += 2
        write_script(Path(self.code) / "index.lua", text, self.bump)

    def wait_status(self, status, timeout=2.0):
        """The first answer with `status`, polling: this test is about reloading, not its latency."""
        deadline = time.monotonic() + timeout
        while True:
            resp = self.invoke()
            if resp.status == status or time.monotonic() > deadline:
                return resp
            time.sleep(0.02)

    def wait_body(self, expected, timeout=2.0):
        resp = self.wait_status(200, timeout)
        deadline = time.monotonic() + timeout
        while resp.status == 200 and resp.json.get("body") != expected and time.monotonic() < deadline:
            time.sleep(0.02)
            resp = self.invoke()
        return self.assertEnvelope(resp)["body"]

    def test_edit_break_fix(self):
        self.edit(V2)
        self.assertEqual(self.wait_body("version 2"), "version 2", "edited script not picked up")
        self.edit(BROKEN)
        resp = self.wait_status(500)
        for _ in range(2):
            self.assertEqual(resp.status, 500, resp)
            self.assertIn(f"index.lua:{BROKEN_LINE}", resp.json["errorMessage"], resp)
            resp = self.invoke()
        self.edit(V3)
        self.assertEqual(self.wait_body("version 3"), "version 3", "fixed script not picked up")

    def test_edit_used_by_the_very_next_invocation(self):
        """With --reload an edited script is picked up by the next invocation — no waiting in between"""
        for attempt in range(5):
            text = V2.replace("version 2", f"version next-{attempt}")
            self.edit(text)
            self.assertEqual(self.body(), f"version next-{attempt}",
                             f"edit #{attempt + 1}: the invocation right after saving ran the old code")


class SighupTest(FnluaCase):
    """SIGHUP rebuilds every Lua state with the current scripts; new code that does not load leaves the old serving."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.tmp = tempfile.mkdtemp(prefix="fnlua-sighup-")
        cls.addClassCleanup(shutil.rmtree, cls.tmp, True)
        cls.code = copy_handler("reload", cls.tmp)
        cls.server = cls.start_server(cls.code, workers=2)

    def wait_body(self, expected, timeout=5.0):
        deadline = time.monotonic() + timeout
        while True:
            body = self.assertEnvelope(self.invoke())["body"]
            if body == expected or time.monotonic() > deadline:
                return body
            time.sleep(0.05)

    def test_sighup_picks_up_edit_and_keeps_old_code_when_new_is_broken(self):
        script = Path(self.code) / "index.lua"
        self.assertEqual(self.server.request("POST", "/init").status, 200)
        self.assertEqual(self.assertEnvelope(self.invoke())["body"], "version 1")
        write_script(script, V2, 2)
        self.assertEqual(self.assertEnvelope(self.invoke())["body"], "version 1", "edit used without --reload or SIGHUP")
        self.server.proc.send_signal(signal.SIGHUP)
        self.assertEqual(self.wait_body("version 2"), "version 2")
        # every state is rebuilt once nothing is in flight in it: wait for the swap to end
        self.assertTrue(self.server.wait_for_lines(lambda l: "now runs the current code" in l),
                        "the swap did not report its end")
        for _ in range(4):  # every worker was rebuilt
            self.assertEqual(self.assertEnvelope(self.invoke())["body"], "version 2")
        write_script(script, BROKEN, 4)
        self.server.proc.send_signal(signal.SIGHUP)
        logged = self.server.wait_for_lines(lambda l: f"index.lua:{BROKEN_LINE}" in l)
        self.assertTrue(logged or [l for l in self.server.stderr_lines if f"index.lua:{BROKEN_LINE}" in l],
                        "failed rebuild was not logged")
        for _ in range(4):
            self.assertEqual(self.assertEnvelope(self.invoke())["body"], "version 2", "old code no longer serving")
        self.assertEqual(self.server.request("GET", "/healthz").status, 200)
