"""Logger: context:getLogger() and print → one stdout line each, `<UTC ms>Z <request-id> LEVEL index.lua:<line> message`."""

import concurrent.futures
import datetime
import json
import time

from harness import LOG_LINE_RE, FnluaCase, fixture_line, free_port

# level, message template ({tag}), marker of the source line in logger/index.lua
LOG_CALLS = [
    ("INFO", "info line {tag} 42", "LOG:info"),
    ("WARN", "warn line {tag}", "LOG:warn"),
    ("ERROR", "error line {tag}", "LOG:error"),
]


def parse_time(text):
    return datetime.datetime.strptime(text, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=datetime.timezone.utc)


class LoggerTextTest(FnluaCase):
    handler_dir = "logger"

    def lines_for(self, tag, count):
        return self.server.wait_for_lines(lambda l: f" {tag}" in l, count=count)

    def test_logger_lines_carry_time_request_id_level_source(self):
        for attempt in (1, 2):
            tag, rid = f"text-tag-{attempt}", f"log-req-{attempt}"
            with self.subTest(attempt=attempt):
                env = self.assertEnvelope(self.invoke({"tag": tag}, headers={"X-CFF-Request-Id": rid}))
                self.assertEqual(env["body"], f"logged {tag}")
                lines = self.lines_for(tag, 4)
                now = datetime.datetime.now(datetime.timezone.utc)
                for level, template, marker in LOG_CALLS:
                    message = template.format(tag=tag)
                    found = [l for l in lines if l.endswith(" " + message)]
                    self.assertEqual(len(found), 1, f"{level} line for {message!r} in {lines}")
                    m = LOG_LINE_RE.match(found[0])
                    self.assertIsNotNone(m, f"log line not in the documented format: {found[0]!r}")
                    self.assertEqual(m["request_id"], rid)
                    self.assertEqual(m["level"], level)
                    self.assertEqual(m["source"], f"index.lua:{fixture_line('logger/index.lua', marker)}")
                    self.assertEqual(m["message"], message)
                    age = abs((now - parse_time(m["time"])).total_seconds())
                    self.assertLess(age, 30, f"log time is not current UTC: {m['time']}")

    def test_print_is_logged_with_request_id(self):
        tag, rid = "print-tag", "print-req"
        self.assertEnvelope(self.invoke({"tag": tag}, headers={"X-CFF-Request-Id": rid}))
        found = self.server.wait_for_lines(lambda l: l.endswith(f"print line {tag}"))
        self.assertEqual(len(found), 1, self.server.output()[-20:])
        m = LOG_LINE_RE.match(found[0])
        self.assertIsNotNone(m, f"print line not in the log format: {found[0]!r}")
        self.assertEqual(m["request_id"], rid)

    def test_debug_hidden_at_default_level(self):
        tag = "debug-hidden-tag"
        self.assertEnvelope(self.invoke({"tag": tag}))
        self.lines_for(tag, 4)
        self.assertFalse([l for l in self.server.output() if f"debug line {tag}" in l])


class LoggerLongAndConcurrentTest(FnluaCase):
    handler_dir = "logger"
    workers = 2

    def test_very_long_message_is_split_not_truncated(self):
        size, rid = 200000, "long-req"
        self.assertEnvelope(self.invoke({"tag": "long-tag", "long": size}, headers={"X-CFF-Request-Id": rid}))
        self.server.wait_for_lines(lambda l: "print line long-tag" in l)
        deadline = time.monotonic() + 5
        while True:
            mine = [l for l in self.server.output() if rid in l]
            logged = sum(l.count("y") for l in mine)
            if logged >= size or time.monotonic() > deadline:
                break
            time.sleep(0.05)
        self.assertEqual(logged, size, "characters of the long message are missing from the log")
        for line in mine:
            self.assertIsNotNone(LOG_LINE_RE.match(line), f"split part is not a log line: {line[:200]!r}")

    def test_lines_from_concurrent_workers_never_interleave(self):
        n = 20

        def one(i):
            return self.invoke({"tag": f"il-{i:02d}-tag", "long": 5000}, headers={"X-CFF-Request-Id": f"il-req-{i:02d}"})

        with concurrent.futures.ThreadPoolExecutor(max_workers=n) as pool:
            for resp in pool.map(one, range(n)):
                self.assertEnvelope(resp)
        self.server.wait_for_lines(lambda l: "il-req-" in l and "print line" in l, count=n)
        for line in self.server.output():  # every stdout line, split parts included, is one whole log line
            m = LOG_LINE_RE.match(line)
            self.assertIsNotNone(m, f"mangled log line: {line[:200]!r}")
            if " line il-" in m["message"]:
                tag = m["message"].split()[2]
                self.assertEqual(m["request_id"], "il-req-" + tag.split("-")[1], line)


class LoggerDebugLevelTest(FnluaCase):
    handler_dir = "logger"
    server_args = ("--log-level", "debug")

    def test_debug_shown_with_log_level_debug(self):
        tag, rid = "debug-shown-tag", "debug-req"
        self.assertEnvelope(self.invoke({"tag": tag}, headers={"X-CFF-Request-Id": rid}))
        found = self.server.wait_for_lines(lambda l: l.endswith(f"debug line {tag}"))
        self.assertEqual(len(found), 1)
        m = LOG_LINE_RE.match(found[0])
        self.assertIsNotNone(m, found[0])
        self.assertEqual((m["level"], m["request_id"]), ("DEBUG", rid))
        self.assertEqual(m["source"], f"index.lua:{fixture_line('logger/index.lua', 'LOG:debug')}")


class LoggerLevelFromEnvTest(FnluaCase):
    """FNLUA_LOG_LEVEL=warn may hide the INFO `listening on` line too: the server gets a fixed free port."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.server = cls.start_server("logger", env={"FNLUA_LOG_LEVEL": "warn"}, port=free_port())

    def test_fnlua_log_level_warn_hides_info(self):
        tag = "warn-level-tag"
        self.assertEnvelope(self.invoke({"tag": tag}))
        self.server.wait_for_lines(lambda l: f"error line {tag}" in l)
        out = self.server.output()
        self.assertTrue([l for l in out if l.endswith(f"warn line {tag}")], out[-10:])
        self.assertFalse([l for l in out if f"info line {tag}" in l], out[-10:])


class LoggerJsonTest(FnluaCase):
    handler_dir = "logger"
    server_args = ("--log-format", "json")

    def test_json_log_lines(self):
        tag, rid = "json-tag", "json-req"
        self.assertEnvelope(self.invoke({"tag": tag}, headers={"X-CFF-Request-Id": rid}))
        found = self.server.wait_for_lines(lambda l: f"info line {tag}" in l)
        self.assertEqual(len(found), 1, self.server.output()[-10:])
        try:
            obj = json.loads(found[0])
        except ValueError:
            self.fail(f"not one JSON object per line: {found[0]!r}")
        for field in ("time", "level", "requestId", "source", "message"):
            self.assertIn(field, obj)
        self.assertEqual(obj["requestId"], rid)
        self.assertEqual(obj["level"].upper(), "INFO")
        self.assertEqual(obj["source"], f"index.lua:{fixture_line('logger/index.lua', 'LOG:info')}")
        self.assertEqual(obj["message"], f"info line {tag} 42")
        parse_time(obj["time"])
