"""Helpers of the outbound-call suites (test_outbound*.py): the local peers a function
calls, a base class for talking to the `outbound` fixture, and probes of the fnlua process.

Peers:

  - `Backend`: a threaded HTTP/1.1 keep-alive server on 127.0.0.1 and port 0 (HTTPS when
    given an ssl context) with routes: /echo (method, path, query, headers, body; ?status=N),
    /delay?ms=N, /stall (accepts, never answers), /huge?mb=N (Content-Length, streamed),
    /huge?bytes=N, /endless (chunked, never ends), /gzipbomb (small on the wire, 64 MiB
    unpacked), /bigheaders, /redirect?to=PATH&n=HOPS, /closeafter (answers, then drops the
    kept-alive connection without saying so). It counts accepted connections (keep-alive reuse)
    and the requests it saw.
  - `GarbageServer`: a raw socket that answers every connection with bytes that are not HTTP.
  - `ForwardProxy`: a plain HTTP proxy (absolute-form requests, no CONNECT) that records
    what it forwarded.
  - `make_test_pki()`: a test CA and server certificates made with the `openssl` CLI.
  - `closed_port()`: a port nothing listens on.
  - `Peers`: all of the above, started once per test module.

Talking to fnlua and watching it:
  - `OutboundCase`: FnluaCase for `tests/handlers/outbound` (`call(case, ...)`, `result(resp)`).
  - `invoke_many()`: many /invoke requests at once, each on its own connection (asyncio).
  - `sanitized()`: whether memory figures of the binary mean anything (not under ASan).
  - `threads()`, `fds()`, `rss_kb()`, `hwm_kb()`, `tcp_connections()`: the fnlua
    process as /proc sees it; `Sampler` watches one of them on a thread.

Uses only the Python standard library (and the `openssl` program for the certificates).
"""

import asyncio
import gzip
import http.client
import http.server
import json
import os
import select
import shutil
import socket
import socketserver
import ssl
import subprocess
import threading
import time
import urllib.parse
from pathlib import Path

from harness import FnluaCase, fnlua_bin, raise_nofile

STALL_MAX = 60.0  # a stalled answer never outlives the test run


def closed_port():
    """A TCP port on 127.0.0.1 that nothing listens on (was free a moment ago)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _peer_closed(sock, wait):
    """True when the peer closed `sock` (EOF or reset) within `wait` seconds."""
    try:
        r, _, _ = select.select([sock], [], [], wait)
        if not r:
            return False
        return sock.recv(1, socket.MSG_PEEK) == b""
    except (OSError, ValueError):
        return True


_GZIP_BOMB = gzip.compress(b"\0" * (64 << 20), compresslevel=9)


class _Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive: one handler (one thread) per connection

    def setup(self):
        super().setup()
        self.server.backend._accepted(self.client_address)

    def log_message(self, *args):
        pass

    # every method goes through one router
    def do_GET(self):
        self.route()

    do_POST = do_PUT = do_PATCH = do_DELETE = do_OPTIONS = do_GET

    def do_HEAD(self):
        self.route(head=True)

    def _send(self, status, body=b"", headers=(), head=False):
        self.send_response(status)
        for k, v in headers:
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if not head:
            self.wfile.write(body)

    def route(self, head=False):
        url = urllib.parse.urlsplit(self.path)
        query = dict(urllib.parse.parse_qsl(url.query))
        n = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(n) if n else b""
        self.server.backend._seen(self.command, self.path, self.headers, body)
        path = url.path
        if path == "/echo":
            doc = {
                "method": self.command,
                "path": url.path,
                "query": url.query,
                "args": urllib.parse.parse_qsl(url.query, keep_blank_values=True),
                "headers": {k.lower(): v for k, v in self.headers.items()},
                "header_list": [[k.lower(), v] for k, v in self.headers.items()],
                "body": body.decode("latin-1"),
            }
            status = int(query.get("status", "200"))
            self._send(status, json.dumps(doc).encode(), [
                ("Content-Type", "application/json"),
                ("X-Mixed-Case", "Yes"),
                ("X-Repeated", "one"),
                ("X-Repeated", "two"),
            ], head=head)
        elif path == "/closeafter":
            # answers with keep-alive framing, then hangs up: a pooled connection the peer dropped
            self._send(200, b"closed after this", [("Content-Type", "text/plain")], head=head)
            self.close_connection = True
        elif path == "/delay":
            time.sleep(int(query.get("ms", "1000")) / 1000.0)
            self._send(200, json.dumps({"delayed": int(query.get("ms", "1000"))}).encode(),
                       [("Content-Type", "application/json")])
        elif path == "/stall":
            # accepted and read, never answered: wait until the caller gives up (or the test ends)
            self.server.backend._stalling(+1)
            until = time.monotonic() + STALL_MAX
            while time.monotonic() < until and not self.server.backend.stopping.is_set():
                if _peer_closed(self.connection, 0.2):
                    break
            self.server.backend._stalling(-1)
            self.close_connection = True
        elif path == "/huge":
            size = int(query["bytes"]) if "bytes" in query else int(float(query.get("mb", "50")) * (1 << 20))
            self.send_response(200)
            self.send_header("Content-Type", "application/octet-stream")
            self.send_header("Content-Length", str(size))
            self.end_headers()
            if not head:
                self._stream(size)
        elif path == "/endless":
            self.send_response(200)
            self.send_header("Content-Type", "application/octet-stream")
            self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
            chunk = b"x" * 65536
            frame = b"%x\r\n" % len(chunk) + chunk + b"\r\n"
            sent = 0
            try:
                while sent < (1 << 30) and not self.server.backend.stopping.is_set():
                    self.wfile.write(frame)
                    sent += len(chunk)
            except OSError:
                pass
            self.server.backend.streamed.append(sent)
            self.close_connection = True
        elif path == "/gzipbomb":
            self._send(200, _GZIP_BOMB, [("Content-Type", "application/octet-stream"), ("Content-Encoding", "gzip")])
        elif path == "/bigheaders":
            self.send_response(200)
            for i in range(4000):
                self.send_header(f"X-Filler-{i}", "f" * 100)
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"ok")
        elif path == "/redirect":
            hops = int(query.get("n", "1"))
            to = query.get("to", "/echo")
            loc = f"/redirect?n={hops - 1}&to={urllib.parse.quote(to)}" if hops > 1 else to
            self._send(302, b"moved", [("Location", loc), ("Content-Type", "text/plain")])
        else:
            self._send(404, b"no such route", [("Content-Type", "text/plain")])

    def _stream(self, size):
        chunk = b"h" * 65536
        sent = 0
        try:
            while sent < size and not self.server.backend.stopping.is_set():
                part = chunk[: min(len(chunk), size - sent)]
                self.wfile.write(part)
                sent += len(part)
        except OSError:
            pass
        self.server.backend.streamed.append(sent)
        self.close_connection = True


class _Server(http.server.ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 1024

    def handle_error(self, request, client_address):
        pass  # a caller that gave up (reset, TLS refused) is part of these tests


class Backend:
    """A threaded HTTP/1.1 server on 127.0.0.1:0; `ssl_context` makes it HTTPS."""

    def __init__(self, ssl_context=None):
        self.ssl_context = ssl_context
        self.stopping = threading.Event()
        self.lock = threading.Lock()
        self.connections = 0
        self.stalled = 0  # /stall requests whose caller has not hung up yet
        self.requests = []  # (method, path, headers, body)
        self.streamed = []  # bytes written by /huge and /endless before the caller stopped reading
        self.httpd = _Server(("127.0.0.1", 0), _Handler)
        self.httpd.backend = self
        if ssl_context is not None:
            self.httpd.socket = ssl_context.wrap_socket(self.httpd.socket, server_side=True)
        self.port = self.httpd.server_address[1]
        self.scheme = "https" if ssl_context else "http"
        self.thread = threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)

    def start(self):
        self.thread.start()
        return self

    def stop(self):
        self.stopping.set()
        self.httpd.shutdown()
        self.httpd.server_close()

    def url(self, path, host="127.0.0.1"):
        return f"{self.scheme}://{host}:{self.port}{path}"

    def _accepted(self, addr):
        with self.lock:
            self.connections += 1

    def _stalling(self, n):
        with self.lock:
            self.stalled += n

    def _seen(self, method, path, headers, body):
        with self.lock:
            self.requests.append((method, path, headers, body))

    def reset_counts(self):
        with self.lock:
            self.connections = 0
            self.requests = []
            self.streamed = []


class GarbageServer:
    """Answers every connection with bytes that are not an HTTP response, then closes."""

    ANSWER = b"SSH-2.0-not-http\r\n\x00\x01\x02 garbage garbage\r\n\r\n"

    def __init__(self):
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(64)
        self.port = self.sock.getsockname()[1]
        self.stopping = False
        self.thread = threading.Thread(target=self._serve, daemon=True)

    def start(self):
        self.thread.start()
        return self

    def _serve(self):
        while not self.stopping:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            try:
                conn.settimeout(1.0)
                try:
                    conn.recv(65536)
                except OSError:
                    pass
                conn.sendall(self.ANSWER)
            except OSError:
                pass
            finally:
                conn.close()

    def stop(self):
        self.stopping = True
        try:
            socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
        except OSError:
            pass
        self.sock.close()

    def url(self, path="/"):
        return f"http://127.0.0.1:{self.port}{path}"


class _ProxyHandler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def do_GET(self):
        target = urllib.parse.urlsplit(self.path)
        n = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(n) if n else None
        self.server.proxy.seen.append(self.path)
        if target.scheme != "http" or not target.hostname:
            self.send_response(400)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        headers = {k: v for k, v in self.headers.items() if k.lower() not in ("proxy-connection", "connection")}
        conn = http.client.HTTPConnection(target.hostname, target.port or 80, timeout=10)
        try:
            conn.request(self.command, target.path + (f"?{target.query}" if target.query else ""), body=body,
                         headers=headers)
            resp = conn.getresponse()
            data = resp.read()
            self.send_response(resp.status)
            for k, v in resp.getheaders():
                if k.lower() not in ("content-length", "transfer-encoding", "connection"):
                    self.send_header(k, v)
            self.send_header("X-Test-Proxy", "forwarded")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)
        finally:
            conn.close()

    do_POST = do_PUT = do_DELETE = do_GET


class ForwardProxy:
    """A plain HTTP forward proxy on 127.0.0.1:0; `seen` lists the absolute URLs it forwarded."""

    def __init__(self):
        self.seen = []
        self.httpd = _Server(("127.0.0.1", 0), _ProxyHandler)
        self.httpd.proxy = self
        self.port = self.httpd.server_address[1]
        self.thread = threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)

    def start(self):
        self.thread.start()
        return self

    def stop(self):
        self.httpd.shutdown()
        self.httpd.server_close()

    @property
    def url(self):
        return f"http://127.0.0.1:{self.port}"


def make_test_pki(dirpath):
    """A test CA and two server certificates it signed, made with `openssl` in `dirpath`:
    `good` for DNS:localhost and IP:127.0.0.1, `wrongname` for DNS:wrong.example only.
    Returns {"ca": path, "good": (cert, key), "wrongname": (cert, key)}."""
    openssl = shutil.which("openssl")
    if not openssl:
        raise RuntimeError("the `openssl` program is needed for the HTTPS tests: tools/deps test installs it")
    d = Path(dirpath)

    def run(*args):
        subprocess.run([openssl, *args], cwd=d, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)

    run("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "ca.key", "-out", "ca.pem", "-days", "2",
        "-subj", "/CN=fnlua test CA", "-addext", "basicConstraints=critical,CA:TRUE",
        "-addext", "keyUsage=critical,keyCertSign,cRLSign")
    out = {"ca": str(d / "ca.pem")}
    for name, san in (("good", "DNS:localhost,IP:127.0.0.1"), ("wrongname", "DNS:wrong.example")):
        run("req", "-newkey", "rsa:2048", "-nodes", "-keyout", f"{name}.key", "-out", f"{name}.csr",
            "-subj", f"/CN={name}")
        (d / f"{name}.ext").write_text(
            f"subjectAltName={san}\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n")
        run("x509", "-req", "-in", f"{name}.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial",
            "-out", f"{name}.pem", "-days", "2", "-extfile", f"{name}.ext")
        out[name] = (str(d / f"{name}.pem"), str(d / f"{name}.key"))
    return out


def server_tls_context(cert, key):
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(cert, key)
    return ctx


class Peers:
    """Every peer one test module needs, started once (setUpModule) and stopped at the end."""

    def __init__(self):
        self.tmp = None
        self.started = []

    def start(self, tmpdir):
        self.tmp = tmpdir
        self.backend = self._keep(Backend().start())
        self.garbage = self._keep(GarbageServer().start())
        self.proxy = self._keep(ForwardProxy().start())
        self.pki = make_test_pki(tmpdir)
        self.https = self._keep(Backend(server_tls_context(*self.pki["good"])).start())
        self.wrongname = self._keep(Backend(server_tls_context(*self.pki["wrongname"])).start())
        return self

    def _keep(self, peer):
        self.started.append(peer)
        return peer

    def stop(self):
        for peer in reversed(self.started):
            peer.stop()
        self.started = []


# ---------------------------------------------------------------- talking to fnlua, watching it

class OutboundCase(FnluaCase):
    """A server for tests/handlers/outbound; `server_env` may be a function of the peers
    (called at setUpClass, when they run)."""

    handler_dir = "outbound"
    peers = None  # set by the test module's setUpModule
    nofile = None  # raise RLIMIT_NOFILE before the server starts (it inherits the limit)

    @classmethod
    def setUpClass(cls):
        if cls.nofile:
            raise_nofile(cls.nofile)
        env = cls.server_env
        if callable(env):
            cls.server_env = env(cls.peers)
        try:
            super().setUpClass()
        finally:
            cls.server_env = env

    def call(self, case, headers=None, server=None, **fields):
        return self.invoke(dict(fields, case=case), headers=headers, server=server)

    def result(self, resp):
        """The handler's table (the envelope's JSON body) of a 200 answer."""
        return self.envelope_json_body(resp)

    def timed(self, case, headers=None, server=None, **fields):
        start = time.monotonic()
        resp = self.call(case, headers=headers, server=server, **fields)
        return resp, time.monotonic() - start


def _parse_answer(head, body):
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split(" ")[1])
    text = body.decode("utf-8", errors="replace")
    try:
        doc = json.loads(text)
    except ValueError:
        doc = None
    return status, doc, text


def invoke_many(port, calls, timeout=30.0, path="/invoke"):
    """Sends every (event, headers) of `calls` at once, each POST on its own connection.
    Returns, in order, (status, JSON body or None, text, seconds from the start to the answer);
    a connection that failed gives (None, None, repr(error), seconds)."""

    async def one(event, headers, start):
        body = json.dumps(event).encode()
        head = "".join(f"{k}: {v}\r\n" for k, v in (headers or {}).items())
        try:
            reader, writer = await asyncio.open_connection("127.0.0.1", port, limit=1 << 22)
            writer.write(
                f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n"
                f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n{head}\r\n".encode() + body)
            await writer.drain()
            raw_head = await reader.readuntil(b"\r\n\r\n")
            length = 0
            for line in raw_head.decode("latin-1").split("\r\n")[1:]:
                if line.lower().startswith("content-length:"):
                    length = int(line.split(":", 1)[1])
            data = await reader.readexactly(length)
            writer.close()
            return (*_parse_answer(raw_head, data), time.monotonic() - start)
        except (OSError, asyncio.IncompleteReadError, asyncio.LimitOverrunError, ValueError) as e:
            return None, None, repr(e), time.monotonic() - start

    async def main():
        start = time.monotonic()
        return await asyncio.wait_for(asyncio.gather(*(one(e, h, start) for e, h in calls)), timeout)

    return asyncio.run(main())


_SANITIZED = None


def sanitized():
    """The binary under test is a sanitizer build (AddressSanitizer or ThreadSanitizer): its
    RSS holds the sanitizer's shadow memory, so memory figures say nothing about fnlua's own use."""
    global _SANITIZED
    if _SANITIZED is None:
        with open(fnlua_bin(), "rb") as f:
            data = f.read()  # the sanitizer runtime may be a shared library: look for its symbols
            _SANITIZED = b"__asan_init" in data or b"__tsan_init" in data
    return _SANITIZED


def _status_field(pid, name):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith(name + ":"):
                return int(line.split()[1])
    raise AssertionError(f"no {name} in /proc/{pid}/status")


def threads(pid):
    return _status_field(pid, "Threads")


def rss_kb(pid):
    return _status_field(pid, "VmRSS")


def hwm_kb(pid):
    return _status_field(pid, "VmHWM")


def fds(pid):
    return len(os.listdir(f"/proc/{pid}/fd"))


def tcp_connections(pid, port, remote=False):
    """Connections process `pid` holds whose local port (or, with `remote`, whose peer's
    port) is `port`: fnlua's clients on its own port, or its calls to a peer."""
    inodes = set()
    for fd in os.listdir(f"/proc/{pid}/fd"):
        try:
            link = os.readlink(f"/proc/{pid}/fd/{fd}")
        except OSError:
            continue
        if link.startswith("socket:["):
            inodes.add(link[8:-1])
    held = 0
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            with open(table) as f:
                rows = f.readlines()[1:]
        except OSError:
            continue
        for row in rows:
            cols = row.split()
            addr = cols[2] if remote else cols[1]
            if int(addr.rsplit(":", 1)[1], 16) == port and cols[3] != "0A" and cols[9] in inodes:  # 0A: LISTEN
                held += 1
    return held


class Sampler:
    """Samples f() every `every` seconds on a thread until stopped; keeps the largest value."""

    def __init__(self, f, every=0.01):
        self.f, self.every = f, every
        self.max = None
        self.samples = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self):
        while not self._stop.is_set():
            try:
                v = self.f()
            except (OSError, AssertionError):
                return
            self.samples += 1
            self.max = v if self.max is None else max(self.max, v)
            self._stop.wait(self.every)

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join(5)
        return False
