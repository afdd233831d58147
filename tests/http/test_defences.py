"""What a client, an event or a handler may send, and the answer each gets: limits and
context that clients cannot set, framing that cannot be smuggled, responses that cannot
break the connection, slots and memory a slow or abandoned client cannot hold, chunks
and modules that cannot crash or surprise, a logger that never throws.

Each class names the attack it replays; every test failed before its defence existed.
"""

import json
import re
import socket
import tempfile
import time
from pathlib import Path

from harness import FnluaCase, connect, decode, fixture_line, handler_path, read_response, read_responses, run_cli

UUID_RE = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$")

CLIENT_HEADERS = {
    "X-CFF-Timeout": "100",
    "X-CFF-Memory": "4096",
    "X-CFF-Request-Id": "client-chosen-id",
    "X-CFF-Auth-Token": "stolen-token",
    "X-CFF-Security-Access-Key": "forged-ak",
    "X-CFF-Func-Name": "0@default@forged",
}


class HttpModeClientHeadersTest(FnluaCase):
    """HTTP mode: X-CFF-* headers come from the function's clients, so they set no limit,
    request id or getter; the handler still sees them as plain headers."""

    handler_dir = "clientheaders"
    server_args = ("--mode", "http", "--timeout", "3", "--memory", "256")
    server_env = {"RUNTIME_FUNC_NAME": "from-env"}

    def test_client_x_cff_headers_do_not_reach_limits_or_getters(self):
        def check(resp):
            self.assertEqual(resp.status, 200, resp)
            body = resp.json
            self.assertEqual(body["timeout"], 3, resp)
            self.assertEqual(body["memory"], 256, resp)
            self.assertLessEqual(body["remainingMs"], 3000, resp)
            self.assertRegex(body["requestId"], UUID_RE)
            self.assertEqual(body["token"], "(nil)", resp)
            self.assertEqual(body["accessKey"], "(nil)", resp)
            self.assertEqual(body["functionName"], "from-env", resp)
            # still ordinary headers for the handler
            self.assertEqual(body["headerTimeout"], "100", resp)
            self.assertEqual(body["headerToken"], "stolen-token", resp)
            self.assertEqual(body["eventHeaderMemory"], "4096", resp)

        self.check_twice("GET", "/", check, headers=CLIENT_HEADERS, same=False)
        self.assertFalse([l for l in self.server.output() if "client-chosen-id" in l])


class RequestIdTest(FnluaCase):
    """Every mode: a request id that is not [A-Za-z0-9._-]{1,128} is replaced by a generated one,
    so an id cannot forge a log line."""

    handler_dir = "clientheaders"

    def test_forged_or_long_request_id_replaced_valid_one_kept(self):
        ok128 = "a" * 125 + "._-"
        for rid, kept in [
            ("evil ERROR fnlua/http.c:1 forged", False),
            ("line\tbreak", False),
            ("x" * 129, False),
            ("id/with/slash", False),
            (ok128, True),
            ("Req-1.2_3", True),
        ]:
            with self.subTest(rid=rid[:40]):
                resp = self.invoke({}, headers={"X-CFF-Request-Id": rid})
                got = self.envelope_json_body(resp)["requestId"]
                if kept:
                    self.assertEqual(got, rid)
                else:
                    self.assertRegex(got, UUID_RE)
                lines = self.server.wait_for_lines(lambda l: got in l and " seen" in l)
                self.assertTrue(lines, self.server.output()[-5:])
        self.assertFalse([l for l in self.server.output() if "forged" in l])


class PortNotSharedTest(FnluaCase):
    """A second fnlua on a port already in use (a forgotten dev server) must not share it:
    it exits non-zero with one line naming the port, and the first keeps every request."""

    def test_second_server_on_same_port_exits_non_zero_naming_port(self):
        first = self.start_server("echo")
        cp = run_cli(["serve", "--host", "127.0.0.1", "--port", str(first.port), "--dir", "tests/handlers/echo"],
                     timeout=10)
        out, err = decode(cp)
        self.assertNotEqual(cp.returncode, 0, (out, err))
        lines = [l for l in err.splitlines() if l.strip()]
        self.assertEqual(len(lines), 1, err)
        self.assertIn(str(first.port), lines[0])
        self.assertIn("already in use", lines[0])
        self.assertEqual(first.invoke({}).status, 200)


BAD_RESPONSES = [
    ("interim", "statusCode 101"),
    ("early", "statusCode 103"),
    ("status199", "statusCode 199"),
    ("crlf", "X-Split"),
    ("bell", "X-Bell"),
    ("del", "X-Del"),
    ("badname", "X Name"),
    ("colonname", "X-A:B"),
]


class ResponseValidationHttpModeTest(FnluaCase):
    """HTTP mode: a 1xx statusCode was sent as an interim answer (the next pipelined answer,
    another user's, was taken for this one); header names and values are checked too."""

    handler_dir = "badresponses"
    server_args = ("--mode", "http")

    def test_1xx_status_and_bad_header_are_result_error(self):
        for case, named in BAD_RESPONSES:
            with self.subTest(case=case):
                self.check_twice("GET", f"/?case={case}",
                                 lambda resp: self.assertErrorObject(resp, 500, "ResultError", named))

    def test_pipelined_after_1xx_each_gets_its_own_answer(self):
        with connect(self.server.port) as s:
            s.sendall(b"GET /?case=interim HTTP/1.1\r\nHost: x\r\n\r\nGET /?case=ok HTTP/1.1\r\nHost: x\r\n\r\n")
            first, second = read_responses(s, ["GET", "GET"])
        self.assertErrorObject(first, 500, "ResultError", "statusCode 101")
        self.assertEqual((second.status, second.body), (200, b"fine"))

    def test_tab_in_header_value_allowed(self):
        resp = self.server.request("GET", "/?case=tab")
        self.assertEqual(resp.status, 200, resp)
        self.assertEqual(resp.headers.get("x-tab"), "a\tb")


class ResponseValidationEventModeTest(FnluaCase):
    """Event mode: the envelope's statusCode must be a final status too (APIG would send a 1xx
    as an interim answer), and headers obey the same rules."""

    handler_dir = "badresponses"

    def test_1xx_status_and_bad_header_are_result_error(self):
        for case, named in BAD_RESPONSES:
            with self.subTest(case=case):
                self.check_twice("POST", "/invoke", lambda resp: self.assertErrorObject(resp, 500, "ResultError", named),
                                 body={"case": case})


class BinaryChunkTest(FnluaCase):
    """load() of a corrupted string.dump inside pcall crashed the whole server (Lua does not
    verify precompiled code); load, loadfile and dofile now take text unless asked for "b"."""

    handler_dir = "binarychunks"

    def body(self, case):
        return self.envelope_json_body(self.invoke({"case": case}))

    def test_corrupted_binary_chunk_is_an_error_server_keeps_serving(self):
        for _ in range(2):
            got = self.body("corrupt")
            self.assertFalse(got["loaded"], got)
            self.assertIn("binary chunk", got["err"])
        self.assertEqual(self.body("text"), {"result": 42})

    def test_binary_refused_by_default_in_load_loadfile_dofile(self):
        got = self.body("dump")
        self.assertEqual(got["err"], "attempt to load a binary chunk (mode is 't')")
        got = self.body("loadfile")
        self.assertFalse(got["loaded"], got)
        self.assertIn("binary chunk", got["err"])
        self.assertFalse(got["dofile"], got)
        self.assertIn("binary chunk", got["dofileErr"])
        self.assertEqual(got["loadstring"], "nil")

    def test_explicit_binary_mode_still_loads(self):
        self.assertEqual(self.body("explicit"), {"result": 4})


class ModuleSearchTest(FnluaCase):
    """Modules were also found in the current directory and the host's Lua folders (and via
    LUA_PATH/LUA_CPATH): code worked locally and failed in the image. Now only the code
    directory, its lua_modules tree and fnlua's own library count, and the error says so."""

    handler_dir = "modulesearch"

    def test_current_directory_and_lua_path_env_are_not_searched(self):
        with tempfile.TemporaryDirectory() as cwd, tempfile.TemporaryDirectory() as envdir:
            (Path(cwd) / "stray.lua").write_text('return "from the current directory"\n')
            (Path(envdir) / "stray.lua").write_text('return "from LUA_PATH"\n')
            env = {"LUA_PATH": f"{envdir}/?.lua;;", "LUA_PATH_5_4": f"{envdir}/?.lua;;",
                   "LUA_CPATH": f"{envdir}/?.so;;", "LUA_CPATH_5_4": f"{envdir}/?.so;;"}
            cp = run_cli(["invoke", "--dir", handler_path("modulesearch"), "-"], input='{"module": "stray"}',
                         env=env, cwd=cwd)
            out, err = decode(cp)
            self.assertEqual(cp.returncode, 0, (out, err))
            body = json.loads(json.loads(out)["body"])
            self.assertFalse(body["found"], body)
            for text in (body["path"], body["cpath"], body["err"]):
                self.assertNotIn(envdir, text)
                self.assertNotIn("./?", text)
                self.assertNotIn("/usr/", text)

    def test_not_found_lists_exactly_the_places_searched(self):
        code = str(self.server.handler_dir)
        body = self.envelope_json_body(self.invoke({"module": "nosuchdep"}))
        self.assertFalse(body["found"], body)
        tried = re.findall(r"no file '([^']*)'", body["err"])
        self.assertEqual(tried, [
            f"{code}/nosuchdep.lua",
            f"{code}/nosuchdep/init.lua",
            f"{code}/lua_modules/share/lua/5.4/nosuchdep.lua",
            f"{code}/lua_modules/share/lua/5.4/nosuchdep/init.lua",
            f"{code}/nosuchdep.so",
            f"{code}/lua_modules/lib/lua/5.4/nosuchdep.so",
        ], body["err"])
        self.assertEqual(self.envelope_json_body(self.invoke({"module": "fnlua.apig"}))["found"], True)

    def test_missing_handler_module_message_lists_the_files_tried(self):
        code = str(self.server.handler_dir)
        cp = run_cli(["invoke", "--dir", code, "--handler", "nosuch.handler"])
        out, _ = decode(cp)
        self.assertEqual(cp.returncode, 2, out)
        msg = json.loads(out)["errorMessage"]
        self.assertEqual(re.findall(r"no file '([^']*)'", msg), [
            f"{code}/nosuch.lua", f"{code}/nosuch/init.lua",
            f"{code}/lua_modules/share/lua/5.4/nosuch.lua", f"{code}/lua_modules/share/lua/5.4/nosuch/init.lua",
        ], msg)


class LoggerNeverThrowsTest(FnluaCase):
    """log:info("%d", "x") failed the whole invocation (FunctionGraph's loggers never throw);
    now a bad format, a raising __tostring or a dot call logs the raw arguments."""

    handler_dir = "loggernothrow"

    def line_for(self, rid, marker):
        src = f"index.lua:{fixture_line('loggernothrow/index.lua', marker)} "
        lines = self.server.wait_for_lines(lambda l: f" {rid} " in l and src in l)
        self.assertEqual(len(lines), 1, (marker, self.server.output()[-12:]))
        return lines[0].split(src, 1)[1]

    def test_bad_formats_and_odd_values_are_logged_raw_invocation_succeeds(self):
        for attempt in (1, 2):
            rid = f"logger-{attempt}"
            resp = self.invoke({}, headers={"X-CFF-Request-Id": rid})
            self.assertEqual(self.assertEnvelope(resp)["body"], "survived")
            self.assertTrue(self.line_for(rid, "LOG:badint").startswith("count=%d not-a-number [log format error:"))
            self.assertIn("number expected", self.line_for(rid, "LOG:badint"))
            self.assertTrue(self.line_for(rid, "LOG:missing").startswith("%s and %s only-one [log format error:"))
            self.assertRegex(self.line_for(rid, "LOG:badq"), r"^%q table: 0x[0-9a-f]+ \[log format error:")
            self.assertRegex(self.line_for(rid, "LOG:raising"), r"^table: 0x[0-9a-f]+$")
            self.assertIn("tostring exploded", self.line_for(rid, "LOG:raisingarg"))
            self.assertRegex(self.line_for(rid, "LOG:notext"), r"^table: 0x[0-9a-f]+$")
            self.assertEqual(self.line_for(rid, "LOG:dot"), "called with a dot")
            self.assertRegex(self.line_for(rid, "LOG:print"), r"^printed\ttable: 0x[0-9a-f]+\tnil\t1\.5\ttable: 0x")
            self.assertEqual(self.line_for(rid, "LOG:ok"), "ok 42")


def read_until_close(sock, timeout=5.0):
    """Everything the server sends until it closes the connection; b"" + None when it did not."""
    sock.settimeout(timeout)
    data = b""
    try:
        while True:
            chunk = sock.recv(65536)
            if not chunk:
                return data, True
            data += chunk
    except socket.timeout:
        return data, False
    except ConnectionResetError:
        return data, True


SMUGGLED = b"GET /shutdown HTTP/1.1\r\nHost: x\r\n\r\n"

AMBIGUOUS_FRAMING = {
    "folded Content-Length hides a smuggled GET /shutdown":
        b"POST /invoke HTTP/1.1\r\nHost: x\r\nContent-Length:\r\n %d\r\n\r\n" % len(SMUGGLED) + SMUGGLED,
    "folded Transfer-Encoding slips past the CL+TE guard":
        b"POST /invoke HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nTransfer-Encoding:\r\n chunked\r\n\r\n"
        b"0\r\n\r\n" + SMUGGLED,
    "obs-fold of an ordinary header (space)": b"POST /invoke HTTP/1.1\r\nHost: x\r\nX-A: a\r\n b\r\nContent-Length: 2\r\n\r\n{}",
    "obs-fold of an ordinary header (tab)": b"POST /invoke HTTP/1.1\r\nHost: x\r\nX-A: a\r\n\tb\r\nContent-Length: 2\r\n\r\n{}",
    "Transfer-Encoding other than chunked": b"POST /invoke HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip, chunked\r\n\r\n"
                                            b"2\r\n{}\r\n0\r\n\r\n",
    "two Transfer-Encoding headers": b"POST /invoke HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n"
                                     b"Transfer-Encoding: chunked\r\n\r\n2\r\n{}\r\n0\r\n\r\n",
}


class AmbiguousFramingTest(FnluaCase):
    """obs-fold: libmicrohttpd 0.9.75 glued a folded line onto the header name, so a folded
    Content-Length was dropped and the body parsed as a second, smuggled request (a smuggled
    GET /shutdown stopped the instance). Ambiguous framing now gets 400 and a closed connection."""

    handler_dir = "echo"

    def test_folded_or_ambiguous_framing_400_connection_closed_instance_serving(self):
        for name, raw in AMBIGUOUS_FRAMING.items():
            for attempt in (1, 2):
                with self.subTest(name, attempt=attempt), connect(self.server.port) as s:
                    s.sendall(raw)
                    data, closed = read_until_close(s)
                    self.assertTrue(data.startswith(b"HTTP/1.1 400 "), data)
                    self.assertEqual(data.count(b"HTTP/1.1 "), 1, f"a second (smuggled) answer: {data!r}")
                    self.assertIn(b'"errorType":"BadRequest"', data)
                    self.assertTrue(closed, "the connection stayed open after ambiguous framing")
        self.assertIsNone(self.server.proc.poll(), "the instance stopped")
        self.assertEqual(self.invoke({}).status, 200)

    def test_folding_message_names_the_problem(self):
        with connect(self.server.port) as s:
            s.sendall(AMBIGUOUS_FRAMING["obs-fold of an ordinary header (space)"])
            resp = read_response(s)
        self.assertErrorObject(resp, 400, "BadRequest", "obsolete line folding")

    def test_unfolded_headers_with_white_space_after_colon_still_served(self):
        with connect(self.server.port) as s:
            s.sendall(b"POST /invoke HTTP/1.1\r\nHost: x\r\nX-A:\t  spaced  \r\nX-Empty:\r\nX-B:v\r\n"
                      b"Content-Length: 2\r\n\r\n{}"
                      b"POST /invoke HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\n{}")
            first, second = read_responses(s, ["POST", "POST"])
        self.assertEqual((first.status, second.status), (200, 200), (first, second))


def trickle_until_closed(port, data, interval=0.25, limit=8.0):
    """Send `data` one byte per `interval` seconds; seconds until the server closed (None: never
    within `limit`) and whatever it answered."""
    start = time.monotonic()
    with connect(port) as s:
        s.settimeout(interval)
        answer = b""
        for i in range(int(limit / interval)):
            try:
                s.sendall(data[i % len(data):i % len(data) + 1] if i < len(data) else b"x")
            except (BrokenPipeError, ConnectionResetError):
                return time.monotonic() - start, answer
            try:
                chunk = s.recv(4096)
                if not chunk:
                    return time.monotonic() - start, answer
                answer += chunk
            except socket.timeout:
                pass
            except ConnectionResetError:
                return time.monotonic() - start, answer
    return None, answer


class ReceiveTimeLimitTest(FnluaCase):
    """A 1-byte-per-second trickle reset libmicrohttpd's idle timer forever, holding a connection
    slot; now the whole request must arrive within a receive time limit (60 s; 2 s here)."""

    handler_dir = "echo"
    server_args = ("--idle-timeout", "30")
    server_env = {"FNLUA_RECEIVE_TIMEOUT": "2"}

    def test_trickled_headers_or_body_cut_at_the_receive_limit(self):
        cases = {
            "headers": b"POST /invoke HTTP/1.1\r\nHost: x\r\nX-Padding: " + b"a" * 200,
            "body": b"POST /invoke HTTP/1.1\r\nHost: x\r\nContent-Length: 500\r\n\r\n",
        }
        for name, data in cases.items():
            with self.subTest(name):
                elapsed, answer = trickle_until_closed(self.server.port, data)
                self.assertIsNotNone(elapsed, f"a {name} trickle was never cut (got {answer[:100]!r})")
                self.assertGreater(elapsed, 1.5, "cut before the limit")
                self.assertLess(elapsed, 4.0, "cut long after the limit")
                self.assertEqual(answer, b"")
        self.assertEqual(self.invoke({}).status, 200)

    def test_keep_alive_connection_answers_every_request_in_time(self):
        with connect(self.server.port) as s:
            for i in range(3):
                s.sendall(b"POST /invoke HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\n{}")
                self.assertEqual(read_response(s).status, 200)
                time.sleep(1.0)  # 3 s in all on one connection, each request well within the limit


class HalfClosedClientTest(FnluaCase):
    """Partial requests whose client closed at once stayed in CLOSE-WAIT until the idle timeout
    (libmicrohttpd missed the end of stream): all slots held, everyone else got 503."""

    handler_dir = "echo"
    workers = 2
    server_args = ("--max-connections", "20")

    def test_partial_request_then_close_releases_its_slot_at_once(self):
        partials = [
            b"POST /invoke HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n{\"a\":",
            b"POST /invoke HTTP/1.1\r\nHost: x\r\nX-Slo",
            b"POS",
            b"",
        ]
        for attempt in (1, 2):
            socks = [connect(self.server.port) for _ in range(40)]
            for i, s in enumerate(socks):
                if partials[i % len(partials)]:
                    s.sendall(partials[i % len(partials)])
                s.close()
            deadline = time.monotonic() + 1.5
            while True:
                status = self.invoke({}).status
                if status == 200 or time.monotonic() > deadline:
                    break
                time.sleep(0.1)
            self.assertEqual(status, 200, f"attempt {attempt}: slots still held 1.5 s after the clients closed")


def json_of_size(n):
    """A JSON object text of exactly n bytes (n >= 11)."""
    return ('{"pad":"' + "x" * (n - 10) + '"}').encode()


class BufferedBodiesBudgetTest(FnluaCase):
    """Buffered request bodies were not bounded in total (100 held 6 MiB bodies: 624 MB). Now
    at most 4 x --max-body are held at once; past that new bodies get 503 ServerBusy."""

    handler_dir = "echo"
    server_args = ("--max-body", "1000")

    def hold_bodies(self, count, size=999):
        """Connections each holding `size` bytes of a 1000-byte body, never finished."""
        socks = []
        for _ in range(count):
            s = connect(self.server.port)
            s.sendall(b"POST /invoke HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\n" + b"x" * size)
            socks.append(s)
        time.sleep(0.3)  # the server has read what was sent
        return socks

    def test_bodies_past_the_total_get_503_server_keeps_serving(self):
        for attempt in (1, 2):
            held = self.hold_bodies(4)  # 3996 of 4000 bytes
            try:
                resp = self.invoke(json_of_size(100).decode())
                self.assertErrorObject(resp, 503, "ServerBusy", "request bodies")
                with connect(self.server.port) as s:  # chunked: counted as it arrives
                    s.sendall(b"POST /invoke HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
                              b"64\r\n" + json_of_size(100) + b"\r\n0\r\n\r\n")
                    self.assertErrorObject(read_response(s), 503, "ServerBusy")
                self.assertEqual(self.invoke({}).status, 200, "a 2-byte body still fits")
            finally:
                for s in held:
                    s.close()
            time.sleep(0.5)
            resp = self.invoke(json_of_size(1000).decode())
            self.assertEqual(self.envelope_json_body(resp)["event"]["pad"], "x" * 990, f"attempt {attempt}")
