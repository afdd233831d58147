"""Harness for fnlua's HTTP and CLI tests: start the real binary, talk HTTP to it.

Provides:
  - `Server`: starts `fnlua serve --host 127.0.0.1 --port 0 ...`, learns the port
    from the `listening on HOST:PORT` log line, collects stdout/stderr lines in
    background threads, stops with SIGTERM (context manager or start/stop).
  - `request()`: one HTTP request on a fresh connection (as the platform does),
    returning a `Response` (status, lower-cased headers, body bytes, parsed JSON).
  - `run_cli()`: runs the binary once (for `invoke`, `--help`, bad configuration).
  - `FnluaCase`: unittest base class; set `handler_dir` (and optionally
    `server_args`, `server_env`) to get one server per test class, plus
    assertions for the envelope and the error object, and `check_twice`, which
    sends a request twice and checks both answers (state leaking between requests,
    lua-nginx-module's `repeat_each`).

Uses only the Python standard library. The binary comes from $FNLUA_BIN.
"""

import http.client
import json
import os
import re
import resource
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
import time
import unittest
from pathlib import Path

HERE = Path(__file__).resolve().parent
HANDLERS = HERE.parent / "handlers"
REPO = Path(os.environ.get("FNLUA_SRC") or HERE.parent.parent)

START_TIMEOUT = 10.0
STOP_TIMEOUT = 10.0
REQUEST_TIMEOUT = 10.0

LISTENING_RE = re.compile(r"listening on (\S+):(\d+)")

# `<UTC ISO ms>Z <request-id> LEVEL file:line message`
LOG_LINE_RE = re.compile(
    r"^(?P<time>\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z) "
    r"(?P<request_id>\S+) "
    r"(?P<level>DEBUG|INFO|WARN|ERROR) "
    r"(?P<source>\S+:\d+) "
    r"(?P<message>.*)$"
)

SANITIZER_RE = re.compile(r"ERROR: (Address|Leak|Memory|Thread)Sanitizer|runtime error: ")

ENVELOPE_KEYS = ["isBase64Encoded", "statusCode", "headers", "body"]
ERROR_KEYS = {"errorType", "errorMessage", "stackTrace"}


def fnlua_bin():
    """Path of the binary under test; a missing $FNLUA_BIN fails loudly."""
    path = os.environ.get("FNLUA_BIN")
    if not path:
        raise RuntimeError(
            "FNLUA_BIN is not set: run as "
            "FNLUA_BIN=build/fnlua python3 -m unittest discover -s tests/http"
        )
    if not (os.path.isfile(path) and os.access(path, os.X_OK)):
        raise RuntimeError(f"FNLUA_BIN={path!r} is not an executable file")
    return path


def handler_path(name):
    """Fixture directory tests/handlers/<name> (or an absolute/Path as given)."""
    if isinstance(name, Path) or os.path.isabs(str(name)):
        return Path(name)
    return HANDLERS / name


def fixture_line(relpath, marker):
    """1-based line number of the first line in a fixture file containing `marker`."""
    text = (HANDLERS / relpath).read_text(encoding="utf-8")
    for number, line in enumerate(text.splitlines(), start=1):
        if marker in line:
            return number
    raise AssertionError(f"marker {marker!r} not found in {relpath}")


def free_port():
    """A TCP port that was free a moment ago (for servers whose start line may be filtered)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def raise_nofile(wanted):
    """Make sure this process (and the servers it starts from now on) may hold `wanted`
    descriptors: raise the soft limit if allowed. Returns the soft limit."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft != resource.RLIM_INFINITY and soft < wanted:
        target = wanted if hard == resource.RLIM_INFINITY else min(wanted, hard)
        resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
        soft = target
    return soft


def clean_env(extra=None):
    """The environment for the binary: ours minus FNLUA_* and RUNTIME_*, plus `extra`."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not (k.startswith("FNLUA_") or k.startswith("RUNTIME_"))
    }
    env.update(extra or {})
    return env


class Response:
    """An HTTP answer: status, headers (lower-cased names), body bytes, JSON (or None)."""

    def __init__(self, status, headers, body):
        self.status = status
        self.headers = headers
        self.body = body
        self.text = body.decode("utf-8", errors="replace")
        try:
            self.json = json.loads(self.text) if body else None
        except ValueError:
            self.json = None

    def ordered_keys(self):
        """Top-level keys of the JSON body in the order they were written."""
        pairs = json.loads(self.text, object_pairs_hook=lambda p: p)
        return [k for k, _ in pairs]

    def __repr__(self):
        text = self.text if len(self.text) < 600 else self.text[:600] + "..."
        return f"<Response {self.status} {self.headers} {text!r}>"


def to_response(resp, body):
    """A harness Response from an http.client response: lower-case header
    names, repeated headers joined with ", "."""
    merged = {}
    for name, value in resp.getheaders():
        name = name.lower()
        merged[name] = f"{merged[name]}, {value}" if name in merged else value
    return Response(resp.status, merged, body)


def request(port, method, path, body=None, headers=None, host="127.0.0.1"):
    """One request on a new connection. `body` may be bytes, str, or a JSON-able value."""
    if body is not None and not isinstance(body, (bytes, str)):
        body = json.dumps(body)
    if isinstance(body, str):
        body = body.encode("utf-8")
    conn = http.client.HTTPConnection(host, port, timeout=REQUEST_TIMEOUT)
    try:
        try:
            conn.request(method, path, body=body, headers=dict(headers or {}))
        except (BrokenPipeError, ConnectionResetError):
            pass  # the server may answer (413) and close before reading a large body: read that answer
        resp = conn.getresponse()
        return to_response(resp, resp.read())
    finally:
        conn.close()


class Server:
    """A running `fnlua serve` on 127.0.0.1 and an ephemeral port."""

    def __init__(self, handler_dir=None, args=(), env=None, workers=1, use_flags=True, port=0):
        self.port_flag = port
        self.handler_dir = handler_path(handler_dir) if handler_dir is not None else None
        self.args = list(args)
        self.env = clean_env(env)
        self.workers = workers
        self.use_flags = use_flags
        self.proc = None
        self.port = None
        self.stdout_lines = []
        self.stderr_lines = []
        self._cond = threading.Condition()
        self._threads = []
        self.returncode = None

    # -- life cycle -------------------------------------------------------
    def command(self):
        cmd = [fnlua_bin(), "serve"]
        if self.use_flags:
            cmd += ["--host", "127.0.0.1", "--port", str(self.port_flag)]
            if self.workers is not None:
                cmd += ["--workers", str(self.workers)]
            if self.handler_dir is not None:
                cmd += ["--dir", str(self.handler_dir)]
        return cmd + self.args

    def start(self):
        cmd = self.command()
        self.proc = subprocess.Popen(
            cmd,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=self.env,
            cwd=str(REPO),
        )
        for stream, sink in ((self.proc.stdout, self.stdout_lines), (self.proc.stderr, self.stderr_lines)):
            t = threading.Thread(target=self._pump, args=(stream, sink), daemon=True)
            t.start()
            self._threads.append(t)
        deadline = time.monotonic() + START_TIMEOUT
        if self.port_flag:
            # a fixed port (when the `listening on` line may be filtered by the log level): poll it
            while self.proc.poll() is None and time.monotonic() < deadline:
                try:
                    socket.create_connection(("127.0.0.1", self.port_flag), timeout=0.5).close()
                    self.port = self.port_flag
                    return self
                except OSError:
                    time.sleep(0.02)
        with self._cond:
            while not self.port_flag:
                for line in self.stdout_lines:
                    m = LISTENING_RE.search(line)
                    if m:
                        self.port = int(m.group(2))
                        return self
                if self.proc.poll() is not None and all(not t.is_alive() for t in self._threads):
                    break
                left = deadline - time.monotonic()
                if left <= 0:
                    break
                self._cond.wait(min(left, 0.05))
        alive = self.proc.poll() is None
        self.stop()
        raise AssertionError(
            f"fnlua did not {'accept on port %d' % self.port_flag if self.port_flag else 'log listening on HOST:PORT'}"
            f" within {START_TIMEOUT}s "
            f"({'still running' if alive else f'exited {self.returncode}'})\n"
            f"command: {' '.join(cmd)}\nstdout: {self.stdout_lines}\nstderr: {self.stderr_lines}"
        )

    def _pump(self, stream, sink):
        for raw in iter(stream.readline, b""):
            line = raw.decode("utf-8", errors="replace").rstrip("\r\n")
            with self._cond:
                sink.append(line)
                self._cond.notify_all()
        stream.close()
        with self._cond:
            self._cond.notify_all()

    def stop(self, sig=signal.SIGTERM):
        """SIGTERM, wait up to 10 s (then SIGKILL and fail). Returns the exit code."""
        if self.proc is None:
            return None
        if self.returncode is not None:
            return self.returncode
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
        try:
            self.returncode = self.proc.wait(timeout=STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.returncode = self.proc.wait()
            for t in self._threads:
                t.join(2)
            raise AssertionError(f"fnlua did not exit within {STOP_TIMEOUT}s of {sig.name}; killed")
        for t in self._threads:
            t.join(2)
        reports = [l for l in self.stderr_lines if SANITIZER_RE.search(l)]
        if reports:  # a FNLUA_SANITIZE=ON build found a memory error, leak or undefined behaviour
            raise AssertionError("sanitizer report from fnlua:\n" + "\n".join(self.stderr_lines[-60:]))
        return self.returncode

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()
        return False

    # -- talking to it ----------------------------------------------------
    def request(self, method, path, body=None, headers=None):
        return request(self.port, method, path, body=body, headers=headers)

    def invoke(self, event=None, headers=None):
        return self.request("POST", "/invoke", body=event, headers=headers)

    # -- logs ---------------------------------------------------------------
    def output(self):
        with self._cond:
            return list(self.stdout_lines)

    def wait_for_lines(self, predicate, count=1, timeout=5.0):
        """stdout lines matching `predicate`, waiting until there are `count` of them."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while True:
                found = [l for l in self.stdout_lines if predicate(l)]
                left = deadline - time.monotonic()
                if len(found) >= count or left <= 0:
                    return found
                self._cond.wait(min(left, 0.05))


def run_cli(args, input=None, env=None, cwd=None, timeout=10.0):
    """Run `fnlua ARGS` once; returns CompletedProcess with str stdout/stderr."""
    cmd = [fnlua_bin()] + [str(a) for a in args]
    try:
        cp = subprocess.run(
            cmd,
            input=input.encode("utf-8") if isinstance(input, str) else (input if input is not None else b""),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=clean_env(env),
            cwd=str(cwd or REPO),
            timeout=timeout,
        )
    except subprocess.TimeoutExpired as e:
        raise AssertionError(f"`{' '.join(cmd)}` did not exit within {timeout}s") from e
    err = cp.stderr.decode("utf-8", errors="replace")
    if SANITIZER_RE.search(err):
        raise AssertionError(f"sanitizer report from `{' '.join(cmd)}`:\n{err[-4000:]}")
    return cp


def decode(cp):
    """(stdout, stderr) of a CompletedProcess as text."""
    return cp.stdout.decode("utf-8", errors="replace"), cp.stderr.decode("utf-8", errors="replace")


def copy_handler(name, into=None):
    """A private copy of a fixture directory (for tests that add files to it)."""
    tmp = Path(into or tempfile.mkdtemp(prefix="fnlua-test-"))
    dest = tmp / name
    shutil.copytree(handler_path(name), dest)
    return dest


class FnluaCase(unittest.TestCase):
    """Base class: one server per test class when `handler_dir` is set."""

    handler_dir = None
    server_args = ()
    server_env = {}
    workers = 1
    maxDiff = None

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        fnlua_bin()
        cls.server = None
        if cls.handler_dir is not None:
            cls.server = cls.start_server(cls.handler_dir, args=cls.server_args, env=cls.server_env, workers=cls.workers)

    @classmethod
    def start_server(cls, handler_dir, args=(), env=None, workers=1, use_flags=True, port=0):
        """Start an extra server, stopped when the class finishes."""
        server = Server(handler_dir, args=args, env=env, workers=workers, use_flags=use_flags, port=port).start()
        cls.addClassCleanup(server.stop)
        return server

    # -- requests -------------------------------------------------------------
    def invoke(self, event=None, headers=None, server=None):
        return (server or self.server).invoke(event, headers)

    def check_twice(self, method, path, check, body=None, headers=None, server=None, same=True, request_id=None,
                    logged=None):
        """Send the same request twice; `check(response)` must pass for both answers.

        Each attempt gets its own X-CFF-Request-Id (`request_id` + "-1"/"-2", unless
        the caller set one); with `same`, the two answers must be equal once that id
        is replaced by a placeholder: nothing of the first request leaks into the second.
        With `logged` (an errorType, or (errorType, level)), each attempt's failure
        must be logged naming exactly that errorType (assertErrorLogged).
        """
        server = server or self.server
        answers = []
        base = request_id or f"req-{self.id().rsplit('.', 1)[-1]}"
        if logged and not request_id:
            base += "-" + os.urandom(4).hex()  # a fresh id per call: its log lines are this call's alone
        if isinstance(logged, str):
            logged = (logged, "ERROR")
        for attempt in (1, 2):
            hdrs = dict(headers or {})
            rid = None
            if not any(k.lower() == "x-cff-request-id" for k in hdrs):
                rid = f"{base}-{attempt}"
                hdrs["X-CFF-Request-Id"] = rid
            resp = server.request(method, path, body=body, headers=hdrs)
            with self.subTest(attempt=attempt):
                try:
                    check(resp)
                except AssertionError:
                    raise
                except Exception as e:  # a KeyError etc. in a check: show what came back
                    raise AssertionError(f"{e!r} while checking {resp!r}") from e
            if logged and rid:
                self.assertErrorLogged(rid, *logged, server=server)
            answers.append((resp, rid))
        if same:
            (r1, id1), (r2, id2) = answers
            t1 = normalize(r1.text, id1)
            t2 = normalize(r2.text, id2)
            self.assertEqual(r1.status, r2.status, "second answer's status differs from the first")
            self.assertEqual(t1, t2, "second answer differs from the first (state leaked between requests?)")
        return [a[0] for a in answers]

    # -- assertions -----------------------------------------------------------
    def assertErrorLogged(self, request_id, error_type, level="ERROR", server=None, timeout=5.0):
        """fnlua's own log line for the failure of request `request_id` names exactly
        `error_type` (`errorType: message`) at `level`, and no line of fnlua's for that
        request names another errorType."""
        server = server or self.server
        lines = server.wait_for_lines(lambda l: (error_line(l) or (None,))[0] == request_id, timeout=timeout)
        found = [error_line(l) for l in lines]
        self.assertTrue(found, f"no log line naming an errorType for request {request_id}: {server.output()[-20:]}")
        for rid, lv, kind in found:
            self.assertEqual((kind, lv), (error_type, level), f"log line of request {request_id}: {lines}")

    def assertEnvelope(self, resp, status_code=200):
        """HTTP 200 whose JSON body is the envelope, keys in the documented order."""
        self.assertEqual(resp.status, 200, resp)
        self.assertIsInstance(resp.json, dict, resp)
        self.assertIn("application/json", resp.headers.get("content-type", ""), resp)
        self.assertEqual(resp.ordered_keys(), ENVELOPE_KEYS, resp)
        env = resp.json
        self.assertIsInstance(env["isBase64Encoded"], bool, resp)
        self.assertEqual(env["statusCode"], status_code, resp)
        self.assertIsInstance(env["headers"], dict, resp)
        self.assertIsInstance(env["body"], str, resp)
        for name, value in env["headers"].items():
            self.assertIsInstance(value, str, f"header {name} is not a string in {resp}")
        return env

    def envelope_json_body(self, resp, status_code=200):
        """Envelope whose body is JSON text; returns the decoded body."""
        env = self.assertEnvelope(resp, status_code)
        self.assertFalse(env["isBase64Encoded"], resp)
        try:
            return json.loads(env["body"])
        except ValueError:
            self.fail(f"envelope body is not JSON: {env['body']!r}")

    def assertErrorObject(self, resp, status, error_type, message_contains=()):
        """`status` with Content-Type JSON and {errorType, errorMessage, stackTrace}."""
        self.assertEqual(resp.status, status, resp)
        self.assertIn("application/json", resp.headers.get("content-type", ""), resp)
        err = resp.json
        self.assertIsInstance(err, dict, resp)
        self.assertTrue(ERROR_KEYS <= set(err), f"error object lacks {ERROR_KEYS - set(err)}: {resp}")
        self.assertEqual(err["errorType"], error_type, resp)
        self.assertIsInstance(err["errorMessage"], str, resp)
        self.assertTrue(err["errorMessage"], f"empty errorMessage: {resp}")
        self.assertIsInstance(err["stackTrace"], list, resp)
        for frame in err["stackTrace"]:
            self.assertIsInstance(frame, str, resp)
        for part in [message_contains] if isinstance(message_contains, str) else message_contains:
            self.assertIn(part, err["errorMessage"], resp)
        return err


ERROR_LINE_RE = re.compile(r"([A-Z][A-Za-z]+): ")


def error_line(line):
    """(request id, level, errorType) of fnlua's own log line `errorType: message`
    (text or JSON format), else None.  Handler lines come from the handler's
    files, fnlua's from `fnlua/<file>.c`."""
    try:
        obj = json.loads(line) if line.startswith("{") else None
    except ValueError:
        obj = None
    if obj:
        rid, lv, source, msg = obj.get("requestId"), obj.get("level"), obj.get("source", ""), obj.get("message", "")
    else:
        parts = line.split(" ", 4)
        if len(parts) < 5:
            return None
        _, rid, lv, source, msg = parts
    m = ERROR_LINE_RE.match(msg)
    if not source.startswith("fnlua/") or not m:
        return None
    return rid, lv, m.group(1)


def normalize(text, request_id=None):
    """Text of an answer with what may differ between two equal requests replaced:
    its own request id, and addresses such as `function: 0x55d0c3a0` (a new closure each time)."""
    if request_id:
        text = text.replace(request_id, "<request-id>")
    return re.sub(r"0x[0-9a-fA-F]+", "0x...", text)


def header(headers, name):
    """Value of a header in an envelope's headers, name compared case-insensitively."""
    for k, v in headers.items():
        if k.lower() == name.lower():
            return v
    return None


# ---------------------------------------------------------------- raw-socket helpers (shared by the suites)

def connect(port, timeout=10.0):
    s = socket.create_connection(("127.0.0.1", port), timeout=timeout)
    s.settimeout(timeout)
    return s


def read_response(sock, method="POST"):
    resp = http.client.HTTPResponse(sock, method=method)
    resp.begin()
    return to_response(resp, resp.read())


class _Pipelined:
    """One buffered reader shared by several HTTPResponse objects: answers to
    pipelined requests may arrive in one packet, and a reader per response
    would swallow the next answer into its buffer."""

    class _File:
        def __init__(self, f):
            self.f = f

        def __getattr__(self, name):
            return getattr(self.f, name)

        def close(self):  # HTTPResponse closes its file when done; keep it for the next answer
            pass

    def __init__(self, sock):
        self.file = self._File(sock.makefile("rb"))

    def makefile(self, *args, **kwargs):
        return self.file


def read_responses(sock, methods):
    """The answers to pipelined requests, in order."""
    shared = _Pipelined(sock)
    return [read_response(shared, method=m) for m in methods]
