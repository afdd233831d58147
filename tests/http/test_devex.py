"""Developer experience: --reload of required modules, SIGHUP under load,
JSON logs under concurrency, secrets at debug level, fnlua's own log lines.

What test_lifecycle, test_logging and test_context already check (reload of the
handler file, one SIGHUP swap without load, one JSON line, secrets at info
level) is not repeated here.
"""

import concurrent.futures
import http.client
import json
import os
import re
import shutil
import signal
import tempfile
import threading
import time
from pathlib import Path

from harness import (
    HANDLERS,
    LOG_LINE_RE,
    REQUEST_TIMEOUT,
    FnluaCase,
    Server,
    copy_handler,
    fixture_line,
)

JSON_LOG_KEYS = {"time", "level", "requestId", "source", "message"}


def write_script(path, text, bump=0):
    """Write a script (whole file, then close) and move its mtime forward, so a change is seen within one second."""
    path = Path(path)
    path.write_text(text, encoding="utf-8")
    later = time.time() + bump
    os.utime(path, (later, later))


def fixture_text(relpath):
    return (HANDLERS / relpath).read_text(encoding="utf-8")


def private_copy(case, name):
    """A copy of fixture `name` in a temp dir removed after the test."""
    tmp = tempfile.mkdtemp(prefix="fnlua-devex-")
    case.addCleanup(shutil.rmtree, tmp, True)
    return copy_handler(name, tmp)


def all_output(server):
    return "\n".join(server.output() + list(server.stderr_lines))


# ----------------------------------------------------------------------------- --reload and modules

GREET_V2 = fixture_text("reloadmodules/greet.lua").replace('"greet-v1"', '"greet-v2"').replace('"hello, "', '"hi, "')
EXTRA = '-- extra: a module added while the server runs\nreturn { NAME = "extra-1" }\n'


def index_requiring_extra():
    text = fixture_text("reloadmodules/index.lua")
    edited = text.replace('local greet = require "greet"\n', 'local greet = require "greet"\nlocal extra = require "extra"\n')
    edited = edited.replace('extra = "none", -- EXTRA', "extra = extra.NAME,")
    assert edited.count("extra") > text.count("extra") + 2, "fixture reloadmodules/index.lua changed: update the test"
    return edited


class ReloadModulesTest(FnluaCase):
    """--reload watches every .lua file of the code directory, not only the handler file."""

    def setUp(self):
        self.code = private_copy(self, "reloadmodules")
        self.srv = Server(self.code, args=["--reload"], workers=1).start()
        self.addCleanup(self.srv.stop)

    def body(self):
        return self.envelope_json_body(self.srv.invoke({"name": "ann"}))

    def test_edited_required_module_used_by_next_invocation(self):
        first = self.body()
        self.assertEqual((first["version"], first["message"]), ("greet-v1", "hello, ann"))
        write_script(self.code / "greet.lua", GREET_V2, 2)
        after = self.body()  # the very next invocation, no waiting
        self.assertEqual((after["version"], after["message"]), ("greet-v2", "hi, ann"),
                         "an edit of a module the handler requires was not picked up by the next invocation")

    def test_new_module_required_by_edited_handler(self):
        self.assertEqual(self.body()["extra"], "none")
        # the handler now requires a module that does not exist yet: a load error naming it
        write_script(self.code / "index.lua", index_requiring_extra(), 2)
        err = self.assertErrorObject(self.srv.invoke({"name": "ann"}), 500, "HandlerLoadError")
        self.assertIn("'extra'", err["errorMessage"])
        # adding the file is a change too: the next invocation loads it
        write_script(self.code / "extra.lua", EXTRA, 4)
        body = self.body()
        self.assertEqual(body["extra"], "extra-1", "a newly added module was not picked up")
        self.assertEqual(body["version"], "greet-v1")
        self.assertEqual(self.srv.request("GET", "/healthz").status, 200)

    def test_new_module_added_before_handler_edit(self):
        write_script(self.code / "extra.lua", EXTRA, 2)
        write_script(self.code / "index.lua", index_requiring_extra(), 2)
        self.assertEqual(self.body()["extra"], "extra-1")

    def test_removed_module_gives_load_error_naming_it_until_restored(self):
        self.assertEqual(self.body()["version"], "greet-v1")
        (self.code / "greet.lua").unlink()
        for attempt in (1, 2):
            resp = self.srv.invoke({"name": "ann"})
            self.assertEqual(resp.status, 500, f"attempt {attempt}: module deleted but the old state still serves: {resp!r}")
            err = self.assertErrorObject(resp, 500, "HandlerLoadError")
            self.assertIn("'greet'", err["errorMessage"], f"load error does not name the missing module: {resp!r}")
        self.assertEqual(self.srv.request("GET", "/healthz").status, 503, "a failed load should mark the instance broken")
        write_script(self.code / "greet.lua", GREET_V2, 4)
        self.assertEqual(self.body()["version"], "greet-v2", "restored module not picked up")
        self.assertEqual(self.srv.request("GET", "/healthz").status, 200)

    def test_initializer_runs_again_in_rebuilt_state(self):
        def init_lines(version):
            return [l for l in self.srv.output() if f"reloadmodules initializer ran with {version}" in l]

        first = self.body()
        self.assertEqual((first["inits"], first["initVersion"]), (1, "greet-v1"))
        self.assertEqual(self.body()["inits"], 1, "initializer ran twice in one state without an edit")
        write_script(self.code / "greet.lua", GREET_V2, 2)
        after = self.body()
        self.assertEqual(after["initVersion"], "greet-v2",
                         "the initializer did not run with the new code after an edit")
        self.assertEqual(after["inits"], 1, "the rebuilt state is not fresh (module-level counter carried over)")
        self.assertEqual(self.body()["inits"], 1)
        self.srv.wait_for_lines(lambda l: "initializer ran with greet-v2" in l)
        time.sleep(0.1)
        self.assertEqual(len(init_lines("greet-v1")), 1, self.srv.output())
        self.assertEqual(len(init_lines("greet-v2")), 1, self.srv.output())


# ----------------------------------------------------------------------------- --reload with two workers

SWAP_V1 = fixture_text("codeswap/index.lua")


def swap_version(version):
    text = SWAP_V1.replace('local VERSION = "swap-v1"', f'local VERSION = "{version}"')
    assert text != SWAP_V1
    return text


SWAP_BROKEN = SWAP_V1.replace("local M = {}\n", "local M = {}\nlocal = 1 -- BROKEN\n")
SWAP_BROKEN_LINE = SWAP_BROKEN.splitlines().index("local = 1 -- BROKEN") + 1


def burst(port, n, busy_ms):
    """n concurrent invocations, each on its own connection."""
    def one(i):
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=REQUEST_TIMEOUT)
        try:
            conn.request("POST", "/invoke", body=json.dumps({"busyMs": busy_ms}),
                         headers={"X-CFF-Request-Id": f"burst-{i}"})
            resp = conn.getresponse()
            return resp.status, resp.read().decode("utf-8", "replace")
        finally:
            conn.close()

    with concurrent.futures.ThreadPoolExecutor(max_workers=n) as pool:
        return list(pool.map(one, range(n)))


class ReloadTwoWorkersTest(FnluaCase):
    def test_both_workers_serve_new_code_after_edit(self):
        code = private_copy(self, "codeswap")
        srv = Server(code, args=["--reload"], workers=2).start()
        self.addCleanup(srv.stop)

        def answers(rounds_max, version):
            states, wrong = set(), []
            for _ in range(rounds_max):
                for status, text in burst(srv.port, 6, 40):
                    self.assertEqual(status, 200, text)
                    body = json.loads(json.loads(text)["body"])
                    if body["version"] == version:
                        states.add(body["state"])
                    else:
                        wrong.append(body)
                if len(states) >= 2:
                    break
            return states, wrong

        before, wrong = answers(10, "swap-v1")
        self.assertEqual(wrong, [])
        self.assertEqual(len(before), 2, f"concurrent requests did not reach both workers: {before}")
        write_script(code / "index.lua", swap_version("swap-v2"), 2)
        after, wrong = answers(10, "swap-v2")
        self.assertEqual(wrong, [], "a worker still ran the old code after the edit")
        self.assertEqual(len(after), 2, f"new code seen in {len(after)} of 2 workers")


# ----------------------------------------------------------------------------- SIGHUP under load

class LoadLoop:
    """Threads sending /invoke in a loop: some on one kept-alive connection each, some on a new connection per request."""

    def __init__(self, port, keepalive=2, fresh=2, max_per_thread=2000):
        self.port = port
        self.stop_event = threading.Event()
        self.lock = threading.Lock()
        self.results = []  # (thread, start, end, status, version or error text)
        self.threads = [threading.Thread(target=self.run, args=(f"keepalive-{i}", True, max_per_thread), daemon=True)
                        for i in range(keepalive)]
        self.threads += [threading.Thread(target=self.run, args=(f"fresh-{i}", False, max_per_thread), daemon=True)
                         for i in range(fresh)]

    def start(self):
        for t in self.threads:
            t.start()
        return self

    def stop(self):
        self.stop_event.set()
        for t in self.threads:
            t.join(REQUEST_TIMEOUT + 5)

    def count(self, since=None):
        with self.lock:
            return sum(1 for r in self.results if since is None or r[1] >= since)

    def wait_count(self, n, since=None, timeout=20.0):
        deadline = time.monotonic() + timeout
        while self.count(since) < n and time.monotonic() < deadline:
            time.sleep(0.01)
        return self.count(since)

    def run(self, name, keepalive, max_requests):
        conn = None
        for i in range(max_requests):
            if self.stop_event.is_set():
                break
            if conn is None:
                conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=REQUEST_TIMEOUT)
            start = time.monotonic()
            status, outcome = None, None
            try:
                conn.request("POST", "/invoke", body=json.dumps({"busyMs": 3 if i % 3 == 0 else 0}),
                             headers={"X-CFF-Request-Id": f"{name}-{i}"})
                resp = conn.getresponse()
                text = resp.read().decode("utf-8", "replace")
                status = resp.status
                try:
                    outcome = json.loads(json.loads(text)["body"])["version"]
                except (ValueError, KeyError, TypeError):
                    outcome = text[:300]
            except (OSError, http.client.HTTPException) as e:
                outcome = f"{type(e).__name__}: {e}"
                conn.close()
                conn = None
            end = time.monotonic()
            with self.lock:
                self.results.append((name, start, end, status, outcome))
            if not keepalive and conn is not None:
                conn.close()
                conn = None
        if conn is not None:
            conn.close()


class SighupUnderLoadTest(FnluaCase):
    def test_two_swaps_under_load_no_failed_request(self):
        code = private_copy(self, "codeswap")
        srv = Server(code, workers=2).start()
        self.addCleanup(srv.stop)
        self.assertEqual(srv.request("POST", "/init").status, 200)
        load = LoadLoop(srv.port).start()
        self.addCleanup(load.stop)

        # old code under load
        self.assertGreaterEqual(load.wait_count(80), 80, "load loop too slow")
        write_script(code / "index.lua", swap_version("swap-v2"), 2)
        time.sleep(0.05)  # the edit alone changes nothing without --reload
        sig1 = time.monotonic()
        srv.proc.send_signal(signal.SIGHUP)
        swapped = srv.wait_for_lines(lambda l: "SIGHUP" in l and "now runs the current code" in l, timeout=10)
        self.assertTrue(swapped, f"good swap not reported: {srv.output()[-20:]}")
        done1 = time.monotonic()

        # new code under load, then broken code
        self.assertGreaterEqual(load.wait_count(80, since=done1), 80, "load loop stalled after the swap")
        write_script(code / "index.lua", SWAP_BROKEN, 4)
        sig2 = time.monotonic()
        srv.proc.send_signal(signal.SIGHUP)
        refused = srv.wait_for_lines(lambda l: "SIGHUP" in l and "does not load" in l, timeout=10)
        self.assertTrue(refused, f"failed swap not reported: {srv.output()[-20:]}")
        done2 = time.monotonic()
        self.assertGreaterEqual(load.wait_count(80, since=done2), 80, "load loop stalled after the failed swap")
        load.stop()

        results = sorted(load.results, key=lambda r: r[1])
        failures = [r for r in results if r[3] != 200 or r[4] not in ("swap-v1", "swap-v2")]
        self.assertEqual(failures, [], f"{len(failures)} of {len(results)} requests failed during the swaps")
        self.assertGreaterEqual(len(results), 240)
        for kind in ("keepalive", "fresh"):
            self.assertTrue([r for r in results if r[0].startswith(kind) and r[1] >= done2],
                            f"no {kind} requests after the second swap")
        self.assertEqual([r for r in results if r[2] < sig1 and r[4] != "swap-v1"], [],
                         "new code served before SIGHUP")
        late_old = [r for r in results if r[1] >= done1 and r[4] != "swap-v2"]
        self.assertEqual(late_old, [], "old code (or nothing) served after the swap was reported done"
                                       " / after the broken swap")
        self.assertTrue([r for r in results if r[1] >= done2 and r[4] == "swap-v2"])
        for name in {r[0] for r in results}:  # per connection loop: once new, never old again
            versions = [r[4] for r in results if r[0] == name]
            if "swap-v2" in versions:
                first_new = versions.index("swap-v2")
                self.assertNotIn("swap-v1", versions[first_new:], f"{name} went back to the old code")
        error_logged = [l for l in srv.output() + srv.stderr_lines if f"index.lua:{SWAP_BROKEN_LINE}" in l]
        self.assertTrue(error_logged, "the load error of the broken code (index.lua:line) was not logged")
        self.assertEqual(srv.request("GET", "/healthz").status, 200)
        self.assertLess(sig2, done2)


# ----------------------------------------------------------------------------- JSON logs under load

def tricky(tag):
    return (f'tricky {tag} line1\nline2 "quoted" \\ back\tslash \u00e9t\u00e9 \u4e2d\u6587 \U0001F600 end')


def long_message(tag, n):
    return f"long {tag}:" + "\u00fc0123456789" * n + ":end"


class JsonLogsUnderLoadTest(FnluaCase):
    handler_dir = "jsonlogs"
    workers = 4
    server_args = ("--log-format", "json")

    N = 40
    LONG_REPEAT = 7000  # 77,000 bytes: more than one 64 KiB line

    def test_every_line_parses_and_carries_its_request_id(self):
        def one(i):
            event = {"tag": f"jt{i:02d}"}
            if i % 8 == 0:
                event["long"] = self.LONG_REPEAT
            return self.invoke(event, headers={"X-CFF-Request-Id": f"jl-req-{i:02d}"})

        with concurrent.futures.ThreadPoolExecutor(max_workers=self.N) as pool:
            for i, resp in enumerate(pool.map(one, range(self.N))):
                self.assertEqual(self.assertEnvelope(resp)["body"], f"logged jt{i:02d}")
        longs = [i for i in range(self.N) if i % 8 == 0]
        self.server.wait_for_lines(lambda l: "print\\tjt" in l or "print\tjt" in l, count=self.N)
        long_src = f"index.lua:{fixture_line('jsonlogs/index.lua', 'LOG:long')}"

        def long_parts(objs, rid):
            return [o["message"] for o in objs if o["requestId"] == rid and o["source"] == long_src]

        deadline = time.monotonic() + 5
        while True:  # the long messages' last parts may still be on their way
            objs = []
            bad = []
            for line in self.server.output():
                try:
                    obj = json.loads(line)
                except ValueError:
                    bad.append(line)
                    continue
                objs.append(obj)
            done = all(sum(len(p) for p in long_parts(objs, f"jl-req-{i:02d}"))
                       >= len(long_message(f"jt{i:02d}", self.LONG_REPEAT)) for i in longs)
            if done or time.monotonic() > deadline:
                break
            time.sleep(0.05)

        self.assertEqual(bad[:3], [], f"{len(bad)} stdout line(s) are not JSON")
        for obj in objs:
            self.assertIsInstance(obj, dict, obj)
            self.assertEqual(set(obj), JSON_LOG_KEYS, f"log object does not have exactly {sorted(JSON_LOG_KEYS)}: "
                                                      f"{str(obj)[:300]}")
            for key in JSON_LOG_KEYS:
                self.assertIsInstance(obj[key], str, f"{key} is not a string: {str(obj)[:300]}")

        tricky_src = f"index.lua:{fixture_line('jsonlogs/index.lua', 'LOG:tricky')}"
        print_src = f"index.lua:{fixture_line('jsonlogs/index.lua', 'LOG:print')}"
        for i in range(self.N):
            tag, rid = f"jt{i:02d}", f"jl-req-{i:02d}"
            with self.subTest(request=rid):
                mine = [o for o in objs if o["requestId"] == rid]
                self.assertEqual([o for o in mine if o["source"] == tricky_src and o["message"] == tricky(tag)
                                  and o["level"].upper() == "INFO"].__len__(), 1,
                                 f"tricky message (newlines, quotes, non-ASCII) not logged whole: "
                                 f"{[o for o in mine if o['source'] == tricky_src]}")
                self.assertEqual(len([o for o in mine if o["message"] == f"warn {tag} 7"
                                      and o["level"].upper() in ("WARN", "WARNING")]), 1, mine[:5])
                self.assertEqual(len([o for o in mine if o["source"] == print_src
                                      and o["message"] == f"print\t{tag}\t1\ttrue"]), 1, mine[:5])
                # nothing of this request was logged under another id
                strays = [o for o in objs if o["requestId"] != rid and
                          (f" {tag} " in o["message"] or f"\t{tag}\t" in o["message"] or f" {tag}:" in o["message"])]
                self.assertEqual(strays, [], "a line carries the wrong request id")
                if i in longs:
                    parts = long_parts(objs, rid)
                    self.assertGreaterEqual(len(parts), 2, "a message over 64 KiB was not split")
                    self.assertEqual("".join(parts), long_message(tag, self.LONG_REPEAT),
                                     "the parts of the long message do not give the whole message")
                    for part in parts:
                        self.assertLessEqual(len(part.encode("utf-8")), 64 * 1024)


# ----------------------------------------------------------------------------- secrets at debug level

SECRETS = {
    "X-CFF-Security-Access-Key": "SAK-q7Zr1-dbgsecret",
    "X-CFF-Security-Secret-Key": "SSK-w3Xp8-dbgsecret",
    "X-CFF-Security-Token": "STOKEN-m5Vt2-dbgsecret",
    "X-CFF-Auth-Token": "AUTHTOK-k9Ls4-dbgsecret",
    "X-CFF-Access-Key": "AK-h2Jd6-dbgsecret",
    "X-CFF-Secret-Key": "SK-f8Gn3-dbgsecret",
}


class SecretsAtDebugLevelTest(FnluaCase):
    def check_format(self, fmt):
        srv = Server("raising", args=["--log-level", "debug", "--log-format", fmt], workers=2).start()
        try:
            headers = dict(SECRETS, **{"X-CFF-Request-Id": f"secret-{fmt}"})
            self.assertEqual(srv.request("POST", "/init", headers=headers).status, 200)
            for case in ("string", "nested", "runtime", "table"):
                self.assertEqual(srv.invoke({"case": case}, headers=headers).status, 500, case)
            self.assertEqual(srv.invoke({"case": "none"}, headers=headers).status, 200)
            self.assertEqual(srv.request("POST", "/invoke", body="{", headers=headers).status, 400)
            self.assertEqual(srv.request("GET", "/nowhere", headers=headers).status, 404)
            self.assertEqual(srv.request("GET", "/invoke", headers=headers).status, 405)
            srv.wait_for_lines(lambda l: "deep boom" in l)
        finally:
            srv.stop()
        out = all_output(srv)
        # the debug level and the error path really were exercised
        self.assertIn("boom", out, "the handler's error was not logged")
        self.assertIn("invocation finished", out, "no debug lines at --log-level debug")
        for name, value in SECRETS.items():
            self.assertNotIn(value, out, f"value of {name} appears in the {fmt} output")
            self.assertNotIn(value[:-len("-dbgsecret")], out, f"part of {name}'s value appears in the {fmt} output")

    def test_text(self):
        self.check_format("text")

    def test_json(self):
        self.check_format("json")


# ----------------------------------------------------------------------------- fnlua's own lines

DURATION_RE = re.compile(r"(?<![\w.])\d+(\.\d+)? ?ms\b")
MEMORY_RE = re.compile(r"(?<![\w.])\d+(\.\d+)? ?KB\b")


class OwnLogLinesTest(FnluaCase):
    def test_invocation_line_with_duration_and_memory_text(self):
        srv = self.start_server("raising", args=["--log-level", "debug"])
        for rid, case, status in (("own-ok-1", "none", 200), ("own-fail-1", "string", 500)):
            with self.subTest(rid=rid):
                self.assertEqual(srv.invoke({"case": case}, headers={"X-CFF-Request-Id": rid}).status, status)
                found = srv.wait_for_lines(
                    lambda l: LOG_LINE_RE.match(l) is not None and LOG_LINE_RE.match(l)["request_id"] == rid
                    and DURATION_RE.search(LOG_LINE_RE.match(l)["message"]) is not None
                    and MEMORY_RE.search(LOG_LINE_RE.match(l)["message"]) is not None)
                self.assertEqual(len(found), 1, [l for l in srv.output() if rid in l])
                self.assertEqual(LOG_LINE_RE.match(found[0])["level"], "DEBUG", found[0])

    def test_invocation_line_with_duration_and_memory_json(self):
        srv = self.start_server("raising", args=["--log-level", "debug", "--log-format", "json"])
        rid = "own-json-1"
        self.assertEqual(srv.invoke({"case": "none"}, headers={"X-CFF-Request-Id": rid}).status, 200)

        def match(line):
            try:
                o = json.loads(line)
            except ValueError:
                return False
            return (o.get("requestId") == rid and DURATION_RE.search(o.get("message", "")) is not None
                    and MEMORY_RE.search(o.get("message", "")) is not None)

        found = srv.wait_for_lines(match)
        self.assertEqual(len(found), 1, [l for l in srv.output() if rid in l])
        self.assertEqual(json.loads(found[0])["level"].upper(), "DEBUG")

    def test_no_invocation_line_at_info(self):
        srv = self.start_server("raising")
        rid = "own-info-1"
        self.assertEqual(srv.invoke({"case": "none"}, headers={"X-CFF-Request-Id": rid}).status, 200)
        time.sleep(0.2)
        self.assertEqual([l for l in srv.output() if rid in l and DURATION_RE.search(l)], [])

    def test_listening_line_at_every_level(self):
        for fmt in ("text", "json"):
            for level in ("debug", "info", "warn", "error"):
                with self.subTest(format=fmt, level=level):
                    # Server.start() waits for `listening on HOST:PORT` and fails without it
                    srv = Server("logger", args=["--log-level", level, "--log-format", fmt]).start()
                    try:
                        lines = [l for l in srv.output() if f"listening on 127.0.0.1:{srv.port}" in l]
                        self.assertEqual(len(lines), 1, srv.output())
                        if fmt == "json":
                            self.assertEqual(set(json.loads(lines[0])), JSON_LOG_KEYS, lines[0])
                        if level == "error":  # the level is really applied to everything else
                            tag = "lvl-error-tag"
                            self.assertEqual(srv.invoke({"tag": tag}).status, 200)
                            srv.wait_for_lines(lambda l: f"error line {tag}" in l)
                            time.sleep(0.1)
                            self.assertEqual([l for l in srv.output() if f"warn line {tag}" in l
                                              or f"info line {tag}" in l], [])
                    finally:
                        srv.stop()

    def test_listening_line_with_env_log_level_error(self):
        srv = Server("logger", env={"FNLUA_LOG_LEVEL": "error"}).start()
        self.addCleanup(srv.stop)
        self.assertTrue([l for l in srv.output() if "listening on" in l])
