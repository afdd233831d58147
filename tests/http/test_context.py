"""Request headers and RUNTIME_* environment → the handler's context getters (docs/handler-api.md, "context")."""

import time

from harness import FnluaCase

NIL = "(nil)"  # what the context fixture reports for a getter that returned nil

FULL_HEADERS = {
    "X-CFF-Request-Id": "ctx-req-1",
    "X-CFF-Memory": "256",
    "X-CFF-Timeout": "5",
    "X-CFF-Func-Name": "0@default@myfunc",
    "X-CFF-Func-Version": "v3",
    "X-CFF-Package": "mypkg",
    "X-CFF-Project-Id": "proj-123",
    "X-CFF-Region": "cn-north-4",
    "X-Cff-Origin-Version-Tag": "!myalias",
    "X-CFF-Invoke-Type": "async",
    "X-CFF-Security-Access-Key": "secret-sak-5d1e",
    "X-CFF-Security-Secret-Key": "secret-ssk-5d1e",
    "X-CFF-Security-Token": "secret-stoken-5d1e",
    "X-CFF-Auth-Token": "secret-authtok-5d1e",
    "X-CFF-Access-Key": "secret-ak-5d1e",
    "X-CFF-Secret-Key": "secret-sk-5d1e",
    "X-Custom-Thing": "Abc",
}

SECRET_HEADERS = [
    "X-CFF-Security-Access-Key", "X-CFF-Security-Secret-Key", "X-CFF-Security-Token",
    "X-CFF-Auth-Token", "X-CFF-Access-Key", "X-CFF-Secret-Key",
]

# getter → value expected from FULL_HEADERS
FROM_HEADERS = {
    "getRequestID": "ctx-req-1",
    "getRunningTimeInSeconds": 5,
    "getMemorySize": 256,
    "getFunctionName": "myfunc",
    "getVersion": "v3",
    "getPackage": "mypkg",
    "getProjectID": "proj-123",
    "getRegion": "cn-north-4",
    "getAlias": "myalias",
    "getInvokeType": "async",
    "getSecurityAccessKey": "secret-sak-5d1e",
    "getSecuritySecretKey": "secret-ssk-5d1e",
    "getSecurityToken": "secret-stoken-5d1e",
    "getToken": "secret-authtok-5d1e",
    "getAccessKey": "secret-ak-5d1e",
    "getSecretKey": "secret-sk-5d1e",
}

OPTIONAL_STRING_GETTERS = [
    ("getFunctionName", "X-CFF-Func-Name"),
    ("getVersion", "X-CFF-Func-Version"),
    ("getPackage", "X-CFF-Package"),
    ("getProjectID", "X-CFF-Project-Id"),
    ("getRegion", "X-CFF-Region"),
    ("getSecurityAccessKey", "X-CFF-Security-Access-Key"),
    ("getSecuritySecretKey", "X-CFF-Security-Secret-Key"),
    ("getSecurityToken", "X-CFF-Security-Token"),
    ("getToken", "X-CFF-Auth-Token"),
    ("getAccessKey", "X-CFF-Access-Key"),
    ("getSecretKey", "X-CFF-Secret-Key"),
]

RUNTIME_ENV = {
    "RUNTIME_FUNC_NAME": "envfunc",
    "RUNTIME_FUNC_VERSION": "envver",
    "RUNTIME_PACKAGE": "envpkg",
    "RUNTIME_PROJECT_ID": "envproj",
    "RUNTIME_REGION": "env-region",
    "RUNTIME_MEMORY": "1024",
    "RUNTIME_TIMEOUT": "17",
}

# getter, header, value from RUNTIME_ENV
RUNTIME_FALLBACKS = [
    ("getFunctionName", "X-CFF-Func-Name", "envfunc"),
    ("getVersion", "X-CFF-Func-Version", "envver"),
    ("getPackage", "X-CFF-Package", "envpkg"),
    ("getProjectID", "X-CFF-Project-Id", "envproj"),
    ("getRegion", "X-CFF-Region", "env-region"),
    ("getMemorySize", "X-CFF-Memory", 1024),
    ("getRunningTimeInSeconds", "X-CFF-Timeout", 17),
]


class ContextFromHeadersTest(FnluaCase):
    handler_dir = "context"
    server_env = {"GREETING": "bonjour"}

    def context_of(self, resp):
        body = self.envelope_json_body(resp)
        for name, value in body["values"].items():
            self.assertFalse(str(value).startswith("(missing)"), f"context:{name} does not exist")
            self.assertFalse(str(value).startswith("(error)"), f"context:{name}() raised: {value}")
        return body

    def test_every_header_getter(self):
        def check(resp):
            values = self.context_of(resp)["values"]
            for getter, expected in FROM_HEADERS.items():
                self.assertEqual(values[getter], expected, f"context:{getter}()")

        self.check_twice("POST", "/invoke", check, headers=FULL_HEADERS, same=False)

    def test_secret_header_values_never_logged_by_fnlua(self):
        self.envelope_json_body(self.invoke(headers=FULL_HEADERS))
        self.server.request("POST", "/invoke", body="{", headers=FULL_HEADERS)  # refused: 400
        time.sleep(0.1)
        logged = "\n".join(self.server.output() + self.server.stderr_lines)
        for name in SECRET_HEADERS:
            self.assertNotIn(FULL_HEADERS[name], logged, f"value of {name} was logged")

    def test_remaining_time_is_integer_ms_within_timeout(self):
        body = self.context_of(self.invoke(headers={"X-CFF-Timeout": "5", "X-CFF-Request-Id": "rt-1"}))
        remaining = body["values"]["getRemainingTimeInMilliSeconds"]
        self.assertEqual(body["mathTypes"].get("getRemainingTimeInMilliSeconds"), "integer")
        self.assertGreater(remaining, 0)
        self.assertLessEqual(remaining, 5000)
        self.assertGreater(remaining, 4000, "a quick handler has most of its 5 s left")

    def test_cpu_number_is_positive_integer_and_instance_id_a_string(self):
        body = self.context_of(self.invoke())
        self.assertEqual(body["mathTypes"].get("getCPUNumber"), "integer")
        self.assertGreaterEqual(body["values"]["getCPUNumber"], 1)
        self.assertIsInstance(body["values"]["getInstanceID"], str)
        self.assertTrue(body["values"]["getInstanceID"])
        self.assertIn(body["loggerType"], ("table", "userdata"))

    def test_defaults_without_headers(self):
        """no headers, no RUNTIME_* → timeout 30, memory 512, invoke type sync, strings nil"""
        def check(resp):
            values = self.context_of(resp)["values"]
            self.assertEqual(values["getRunningTimeInSeconds"], 30)
            self.assertEqual(values["getMemorySize"], 512)
            self.assertEqual(values["getInvokeType"], "sync")
            self.assertEqual(values["getAlias"], NIL)
            for getter, _ in OPTIONAL_STRING_GETTERS:
                self.assertEqual(values[getter], NIL, f"context:{getter}() without its header")

        self.check_twice("POST", "/invoke", check, same=False)

    def test_empty_header_counts_as_absent(self):
        for getter, name in OPTIONAL_STRING_GETTERS:
            with self.subTest(f"empty {name} → {getter}() is nil"):
                values = self.context_of(self.invoke(headers={name: ""}))["values"]
                self.assertEqual(values[getter], NIL)

    def test_function_name_platform_prefix_stripped(self):
        for sent, expected in (("0@default@myfunc", "myfunc"), ("plainname", "plainname"), ("a@b@c@last", "last")):
            with self.subTest(f"X-CFF-Func-Name {sent} → {expected}"):
                values = self.context_of(self.invoke(headers={"X-CFF-Func-Name": sent}))["values"]
                self.assertEqual(values["getFunctionName"], expected)

    def test_alias_from_origin_version_tag(self):
        values = self.context_of(self.invoke(headers={"X-Cff-Origin-Version-Tag": "!prod"}))["values"]
        self.assertEqual(values["getAlias"], "prod")

    def test_header_names_are_case_insensitive(self):
        headers = {"x-cff-func-version": "lower", "X-CFF-REGION": "UPPER-REGION", "x-CfF-rEqUeSt-iD": "mixed-id"}
        values = self.context_of(self.invoke(headers=headers))["values"]
        self.assertEqual(values["getVersion"], "lower")
        self.assertEqual(values["getRegion"], "UPPER-REGION")
        self.assertEqual(values["getRequestID"], "mixed-id")

    def test_context_headers_holds_every_header_under_lower_case_name(self):
        body = self.context_of(self.invoke(headers=FULL_HEADERS))
        for name, value in FULL_HEADERS.items():
            self.assertEqual(body["headers"].get(name.lower()), value, f"context.headers[{name.lower()!r}]")
        self.assertNotIn("X-Custom-Thing", body["headers"], "headers are keyed by lower-case name only")

    def test_get_user_data_reads_environment(self):
        resp = self.invoke({"userDataKeys": ["GREETING", "FNLUA_TEST_NO_SUCH_VARIABLE"]})
        user = self.context_of(resp)["userData"]
        self.assertEqual(user["GREETING"], "bonjour")
        self.assertEqual(user["FNLUA_TEST_NO_SUCH_VARIABLE"], NIL)

    def test_context_values_do_not_leak_into_next_request(self):
        """a request with every header, then one with none → defaults again"""
        self.context_of(self.invoke(headers=FULL_HEADERS))
        values = self.context_of(self.invoke(headers={"X-CFF-Request-Id": "after-full"}))["values"]
        self.assertEqual(values["getRequestID"], "after-full")
        self.assertEqual(values["getAlias"], NIL)
        self.assertEqual(values["getToken"], NIL)
        self.assertEqual(values["getInvokeType"], "sync")
        self.assertEqual(values["getMemorySize"], 512)


class ContextRuntimeEnvFallbackTest(FnluaCase):
    """RUNTIME_* environment variables are the fallback when a header is absent or empty."""

    handler_dir = "context"
    server_env = RUNTIME_ENV

    def values(self, headers=None):
        return self.envelope_json_body(self.invoke(headers=headers))["values"]

    def test_header_absent_uses_runtime_env(self):
        values = self.values()
        for getter, _, expected in RUNTIME_FALLBACKS:
            self.assertEqual(values[getter], expected, f"context:{getter}() from RUNTIME_*")

    def test_empty_header_uses_runtime_env(self):
        for getter, name, expected in RUNTIME_FALLBACKS:
            with self.subTest(f"empty {name} → {getter}() from RUNTIME_*"):
                self.assertEqual(self.values({name: ""})[getter], expected)

    def test_header_wins_over_runtime_env(self):
        headers = {
            "X-CFF-Func-Name": "0@default@hdrfunc", "X-CFF-Func-Version": "hdrver", "X-CFF-Package": "hdrpkg",
            "X-CFF-Project-Id": "hdrproj", "X-CFF-Region": "hdr-region", "X-CFF-Memory": "128", "X-CFF-Timeout": "9",
        }
        values = self.values(headers)
        self.assertEqual(values["getFunctionName"], "hdrfunc")
        self.assertEqual(values["getVersion"], "hdrver")
        self.assertEqual(values["getPackage"], "hdrpkg")
        self.assertEqual(values["getProjectID"], "hdrproj")
        self.assertEqual(values["getRegion"], "hdr-region")
        self.assertEqual(values["getMemorySize"], 128)
        self.assertEqual(values["getRunningTimeInSeconds"], 9)


class ContextFromOptionsTest(FnluaCase):
    """--timeout and --memory are the defaults when X-CFF-Timeout / X-CFF-Memory are absent."""

    handler_dir = "context"
    server_args = ("--timeout", "7", "--memory", "300")

    def test_timeout_and_memory_options(self):
        values = self.envelope_json_body(self.invoke())["values"]
        self.assertEqual(values["getRunningTimeInSeconds"], 7)
        self.assertEqual(values["getMemorySize"], 300)
        self.assertLessEqual(values["getRemainingTimeInMilliSeconds"], 7000)

    def test_headers_win_over_options(self):
        values = self.envelope_json_body(self.invoke(headers={"X-CFF-Timeout": "3", "X-CFF-Memory": "128"}))["values"]
        self.assertEqual(values["getRunningTimeInSeconds"], 3)
        self.assertEqual(values["getMemorySize"], 128)
