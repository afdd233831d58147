"""Local peers for the outbound-call tests (test_outbound*.py): what a function calls.

  - `Backend`: a threaded HTTP/1.1 keep-alive server on 127.0.0.1 and port 0 (HTTPS when
    given an ssl context) with routes: /echo (method, path, query, headers, body; ?status=N),
    /delay?ms=N, /stall (accepts, never answers), /huge?mb=N (Content-Length, streamed),
    /endless (chunked, never ends), /gzipbomb (small on the wire, 64 MiB unpacked),
    /bigheaders, /redirect?to=PATH&n=HOPS. It counts accepted connections (keep-alive reuse)
    and the requests it saw.
  - `GarbageServer`: a raw socket that answers every connection with bytes that are not HTTP.
  - `ForwardProxy`: a plain HTTP proxy (absolute-form requests, no CONNECT) that records
    what it forwarded.
  - `make_test_pki()`: a test CA and server certificates made with the `openssl` CLI.
  - `closed_port()`: a port nothing listens on.

Uses only the Python standard library (and the `openssl` program for the certificates).
"""

import gzip
import http.client
import http.server
import json
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
        elif path == "/delay":
            time.sleep(int(query.get("ms", "1000")) / 1000.0)
            self._send(200, json.dumps({"delayed": int(query.get("ms", "1000"))}).encode(),
                       [("Content-Type", "application/json")])
        elif path == "/stall":
            # accepted and read, never answered: wait until the caller gives up (or the test ends)
            until = time.monotonic() + STALL_MAX
            while time.monotonic() < until and not self.server.backend.stopping.is_set():
                if _peer_closed(self.connection, 0.2):
                    break
            self.close_connection = True
        elif path == "/huge":
            size = int(float(query.get("mb", "50")) * (1 << 20))
            self.send_response(200)
            self.send_header("Content-Type", "application/octet-stream")
            self.send_header("Content-Length", str(size))
            self.end_headers()
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
