"""Failures → HTTP 500 with the error object {errorType, errorMessage, stackTrace} (docs/errors.md)."""

from harness import FnluaCase, fixture_line


def trace_text(err):
    return "\n".join(err["stackTrace"])


class HandlerRaisesTest(FnluaCase):
    handler_dir = "raising"

    def test_raising_handler(self):
        cases = [
            ("error('boom') → 500 HandlerError naming index.lua:line", "string", "RAISE:string", "boom"),
            ("error({code=1}) → 500 HandlerError naming index.lua:line", "table", "RAISE:table", None),
            ("error in a nested call → 500 HandlerError naming the raising line", "nested", "RAISE:nested", "deep boom"),
        ]
        for name, case, marker, text in cases:
            where = f"index.lua:{fixture_line('raising/index.lua', marker)}"
            with self.subTest(name, where=where):
                def check(resp):
                    err = self.assertErrorObject(resp, 500, "HandlerError")
                    if text:
                        self.assertIn(text, err["errorMessage"])
                    self.assertIn(where, err["errorMessage"])
                    self.assertTrue(err["stackTrace"], "stackTrace is empty")
                    self.assertIn(where, trace_text(err))

                self.check_twice("POST", "/invoke", check, body={"case": case}, logged="HandlerError")

    def test_other_raised_values(self):
        cases = [
            ("error(nil) → 500 HandlerError", "nil", "RAISE:nil"),
            ("error(42) → 500 HandlerError", "number", "RAISE:number"),
            ("coroutine.yield outside a coroutine → 500 HandlerError", "yield", "RAISE:yield"),
            ("indexing nil → 500 HandlerError naming index.lua:line", "runtime", "RAISE:runtime"),
        ]
        for name, case, marker in cases:
            where = f"index.lua:{fixture_line('raising/index.lua', marker)}"
            with self.subTest(name, where=where):
                def check(resp):
                    err = self.assertErrorObject(resp, 500, "HandlerError")
                    self.assertIn(where, err["errorMessage"] + "\n" + trace_text(err))

                self.check_twice("POST", "/invoke", check, body={"case": case})
        self.assertEqual(self.assertEnvelope(self.invoke({"case": "none"}))["body"], "no error")

    def test_traceback_of_nested_error_names_caller_line(self):
        err = self.assertErrorObject(self.invoke({"case": "nested"}), 500, "HandlerError")
        caller = f"index.lua:{fixture_line('raising/index.lua', 'CALL:nested')}"
        self.assertIn(caller, trace_text(err))

    def test_worker_usable_after_handler_error(self):
        self.assertErrorObject(self.invoke({"case": "string"}), 500, "HandlerError")
        env = self.assertEnvelope(self.invoke({"case": "none"}))
        self.assertEqual(env["body"], "no error")

    def test_healthz_stays_200_after_handler_error(self):
        self.assertErrorObject(self.invoke({"case": "string"}), 500, "HandlerError")
        self.assertEqual(self.server.request("GET", "/healthz").status, 200)


class SyntaxErrorModuleTest(FnluaCase):
    """A module that does not compile: /init and every /invoke → HandlerLoadError naming index.lua:line."""

    handler_dir = "syntaxerror"

    def where(self):
        return f"index.lua:{fixture_line('syntaxerror/index.lua', 'SYNTAX:error')}"

    def test_init_answers_handler_load_error(self):
        def check(resp):
            self.assertErrorObject(resp, 500, "HandlerLoadError", self.where())

        self.check_twice("POST", "/init", check)

    def test_every_invoke_answers_the_same_load_error(self):
        first = self.assertErrorObject(self.server.request("POST", "/init"), 500, "HandlerLoadError")

        def check(resp):
            err = self.assertErrorObject(resp, 500, "HandlerLoadError", self.where())
            self.assertEqual(err["errorMessage"], first["errorMessage"])

        self.check_twice("POST", "/invoke", check, body={"a": 1})

    def test_healthz_503_after_failed_init(self):
        self.server.request("POST", "/init")
        self.check_twice("GET", "/healthz", lambda resp: self.assertEqual(resp.status, 503, resp))


class SyntaxErrorLazyInitTest(FnluaCase):
    """No /init at all: the first /invoke loads the module lazily and reports the load error."""

    handler_dir = "syntaxerror"

    def test_invoke_without_init_answers_handler_load_error(self):
        where = f"index.lua:{fixture_line('syntaxerror/index.lua', 'SYNTAX:error')}"
        resp = self.invoke({}, headers={"X-CFF-Request-Id": "lazy-load-1"})
        self.assertErrorObject(resp, 500, "HandlerLoadError", where)
        self.assertErrorLogged("lazy-load-1", "HandlerLoadError")  # the load that failed; later answers repeat it
        self.check_twice("POST", "/invoke",
                         lambda resp: self.assertErrorObject(resp, 500, "HandlerLoadError", where))


class MissingFunctionTest(FnluaCase):
    handler_dir = "missingfunction"

    def test_module_without_handler_function_gives_handler_load_error_naming_it(self):
        def check(resp):
            err = self.assertErrorObject(resp, 500, "HandlerLoadError", "handler")
            self.assertIn("index", err["errorMessage"])

        self.check_twice("POST", "/init", check)
        self.check_twice("POST", "/invoke", check)

    def test_healthz_503(self):
        self.server.request("POST", "/init")
        self.assertEqual(self.server.request("GET", "/healthz").status, 503)


class MissingModuleFileTest(FnluaCase):
    handler_dir = "echo"
    server_args = ("--handler", "nosuchmodule.handler")

    def test_missing_module_file_gives_handler_load_error_naming_it(self):
        check = lambda resp: self.assertErrorObject(resp, 500, "HandlerLoadError", "nosuchmodule")
        self.check_twice("POST", "/init", check)
        self.check_twice("POST", "/invoke", check)


class InitializerRaisesTest(FnluaCase):
    handler_dir = "initraises"

    def test_raising_initializer_gives_initializer_error_at_init_and_invoke(self):
        where = f"index.lua:{fixture_line('initraises/index.lua', 'RAISE:init')}"

        def check(resp):
            err = self.assertErrorObject(resp, 500, "InitializerError", "initializer refused to start")
            self.assertIn(where, err["errorMessage"] + "\n" + trace_text(err))

        self.check_twice("POST", "/init", check)
        self.check_twice("POST", "/invoke", check)

    def test_healthz_503_after_initializer_error(self):
        self.server.request("POST", "/init")
        self.assertEqual(self.server.request("GET", "/healthz").status, 503)


class StaleContextTest(FnluaCase):
    """A context kept past its invocation and used in the next one: no crash, no other request's id."""

    handler_dir = "stalecontext"

    def test_stale_context_and_logger_do_not_crash(self):
        first = self.envelope_json_body(self.invoke(headers={"X-CFF-Request-Id": "stale-1"}))
        self.assertTrue(first["first"])
        resp = self.invoke(headers={"X-CFF-Request-Id": "stale-2"})
        self.assertIn(resp.status, (200, 500), resp)
        if resp.status == 200:
            second = self.envelope_json_body(resp)
            if second["requestIdOk"]:
                self.assertNotEqual(second["requestId"], "stale-2", "a stale context reads the current request")
        self.assertEqual(self.server.request("GET", "/healthz").status, 200)
        self.assertEqual(self.invoke(headers={"X-CFF-Request-Id": "stale-3"}).status, 200)


class InitializerRaisesLoggedTest(FnluaCase):
    handler_dir = "initraises"

    def test_raising_initializer_logged_as_initializer_error(self):
        resp = self.server.request("POST", "/init", headers={"X-CFF-Request-Id": "init-raises-1"})
        self.assertErrorObject(resp, 500, "InitializerError")
        self.assertErrorLogged("init-raises-1", "InitializerError")
