/*
 * test_convert.c - convert.c: request -> Lua values, handler result ->
 * envelope -> JSON (every rule of docs/handler-api.md), error -> error object
 * (the JSON text itself is answer.c's, whose own cases are in test_answer.c).
 *
 * toenv(v) converts v with fl_convert_result_to_envelope inside lua_pcall
 * and returns fl_answer_envelope_json's text; it raises when the Lua
 * stack is not left as it was found.
 */
#include <string.h>

#include "call.h"
#include "check.h"
#include "answer.h"
#include "convert.h"
#include "json.h"
#include "luahelp.h"

static lua_State *L;
static fl_envelope env;
static fl_buf out;

#define EVAL(name, code, want)            CHECK_STR(name, lh_eval(L, code), want)
#define EVAL_CONTAINS(name, code, needle) CHECK_CONTAINS(name, lh_eval(L, code), needle)

/* Stack: [v] -> [v, envelope JSON] */
static int toenv(lua_State *Ls)
{
    luaL_checkany(Ls, 1);
    int top = lua_gettop(Ls);
    fl_convert_result_to_envelope(Ls, 1, &env);
    if (lua_gettop(Ls) != top)
        return luaL_error(Ls, "stack changed: %d -> %d", top, lua_gettop(Ls));
    fl_buf_reset(&out);
    fl_answer_envelope_json(&env, &out);
    lua_pushlstring(Ls, out.data, out.len);
    return 1;
}

/* Stack: [s] -> [s, event] */
static int toevent(lua_State *Ls)
{
    size_t n;
    const char *s = luaL_checklstring(Ls, 1, &n);
    fl_convert_event_to_lua(Ls, s, n);
    return 1;
}

static const char helpers[] = "cjson = require 'cjson'\n"
                              "function envt(v) return jdecode(toenv(v)) end\n"
                              "function nkeys(t) local n = 0 for _ in pairs(t) do n = n + 1 end return n end\n";

/* ---------------------------------------------------------------- result -> envelope */

static void test_result_tables(void)
{
    EVAL("table with statusCode, headers, body -> that envelope",
         "return toenv({statusCode = 201, headers = {['X-A'] = 'one'}, body = 'hi'})",
         "{\"isBase64Encoded\":false,\"statusCode\":201,\"headers\":{\"X-A\":\"one\"},\"body\":\"hi\"}");
    EVAL("table with only body -> statusCode 200, no headers", "return toenv({body = 'only'})",
         "{\"isBase64Encoded\":false,\"statusCode\":200,\"headers\":{},\"body\":\"only\"}");
    EVAL("table with only statusCode -> empty body", "return toenv({statusCode = 204})",
         "{\"isBase64Encoded\":false,\"statusCode\":204,\"headers\":{},\"body\":\"\"}");
    EVAL("table with statusCode as float 404.0 -> 404", "return envt({statusCode = 404.0}).statusCode", "404");
    EVAL("table with statusCode and body false -> body false", "return envt({statusCode = 200, body = false}).body",
         "false");
    EVAL("table with statusCode and body number -> its JSON text", "return envt({statusCode = 200, body = 12.5}).body",
         "12.5");
    EVAL("table with body table -> JSON body", "return envt({statusCode = 200, body = {a = {1, 2}}}).body",
         "{\"a\":[1,2]}");
    EVAL("table with body table -> Content-Type application/json",
         "local e = envt({body = {a = 1}}) return e.headers['Content-Type'] .. ' ' .. nkeys(e.headers)",
         "application/json 1");
    EVAL("table with body table and exact integer -> body keeps every digit",
         "return envt({body = {id = 1797297383227174912}}).body", "{\"id\":1797297383227174912}");
    EVAL("table with body table and Content-Type set -> Content-Type kept, not duplicated",
         "local e = envt({headers = {['Content-Type'] = 'application/vnd.x+json'}, body = {1}})\n"
         "return e.headers['Content-Type'] .. ' ' .. nkeys(e.headers)",
         "application/vnd.x+json 1");
    EVAL("table with body table and content-type in lower case -> kept, none added",
         "local e = envt({headers = {['content-type'] = 'text/plain'}, body = {1}})\n"
         "return tostring(e.headers['content-type']) .. ' ' .. nkeys(e.headers)",
         "text/plain 1");
    EVAL("table with body table and CONTENT-TYPE in upper case -> kept, none added",
         "local e = envt({headers = {['CONTENT-TYPE'] = 'text/csv'}, body = {1}})\n"
         "return tostring(e.headers['CONTENT-TYPE']) .. ' ' .. nkeys(e.headers)",
         "text/csv 1");
    EVAL("table with body string -> no Content-Type added", "return nkeys(envt({body = 'x'}).headers)", "0");
    EVAL("table with body invalid UTF-8 -> base64 body", "return toenv({body = '\\xff\\0\\1'})",
         "{\"isBase64Encoded\":true,\"statusCode\":200,\"headers\":{},\"body\":\"/wAB\"}");
    EVAL("table with body of every byte value -> base64 that decodes back",
         "local t = {} for i = 0, 255 do t[#t + 1] = string.char(i) end local s = table.concat(t)\n"
         "local e = envt({body = s}) return tostring(e.isBase64Encoded) .. ' ' .. #e.body",
         "true 344");
    EVAL("table with body valid UTF-8 -> body as is, not base64",
         "local e = envt({body = 'caf\\xc3\\xa9'}) return tostring(e.isBase64Encoded) .. ' ' .. e.body",
         "false caf\xc3\xa9");
    EVAL("table with isBase64Encoded = true -> body passed through",
         "return toenv({statusCode = 200, isBase64Encoded = true, body = 'aGk='})",
         "{\"isBase64Encoded\":true,\"statusCode\":200,\"headers\":{},\"body\":\"aGk=\"}");
    EVAL("table with isBase64Encoded = false and text body -> plain body",
         "return envt({isBase64Encoded = false, body = 'aGk='}).isBase64Encoded", "false");
    EVAL_CONTAINS("table with isBase64Encoded = true and body table -> error",
                  "return toenv({isBase64Encoded = true, body = {1}})", "base64 string");
    EVAL("table without statusCode or body -> JSON of the table as body",
         "local e = envt({a = 1, b = {2, 3}}) local b = jdecode(e.body)\n"
         "return e.statusCode .. ' ' .. e.headers['Content-Type'] .. ' ' .. b.a .. b.b[1] .. b.b[2]",
         "200 application/json 123");
    EVAL("table without statusCode or body, with headers key -> headers are part of the JSON body",
         "local e = envt({headers = {x = 'y'}}) return e.body", "{\"headers\":{\"x\":\"y\"}}");
    EVAL("empty table -> JSON {} body", "return envt({}).body", "{}");
    EVAL("sequence -> JSON array body", "return envt({1, 2, 3}).body", "[1,2,3]");
}

static void test_result_scalars(void)
{
    EVAL("string -> statusCode 200, that string as body", "return toenv('hello')",
         "{\"isBase64Encoded\":false,\"statusCode\":200,\"headers\":{},\"body\":\"hello\"}");
    EVAL("string with quotes and newline -> escaped in the envelope", "return toenv('a\"b\\nc')",
         "{\"isBase64Encoded\":false,\"statusCode\":200,\"headers\":{},\"body\":\"a\\\"b\\nc\"}");
    EVAL("string of invalid UTF-8 -> base64 body", "return toenv('\\xfe\\xff')",
         "{\"isBase64Encoded\":true,\"statusCode\":200,\"headers\":{},\"body\":\"/v8=\"}");
    EVAL("integer -> its JSON text as body", "return toenv(42)",
         "{\"isBase64Encoded\":false,\"statusCode\":200,\"headers\":{},\"body\":\"42\"}");
    EVAL("integer maxinteger -> exact digits as body", "return envt(math.maxinteger).body", "9223372036854775807");
    EVAL("float 0.1 -> 0.1 as body", "return envt(0.1).body", "0.1");
    EVAL("boolean true -> true as body", "return toenv(true)",
         "{\"isBase64Encoded\":false,\"statusCode\":200,\"headers\":{},\"body\":\"true\"}");
    EVAL("boolean false -> false as body", "return envt(false).body", "false");
    EVAL("nil -> statusCode 200, empty body", "return toenv(nil)",
         "{\"isBase64Encoded\":false,\"statusCode\":200,\"headers\":{},\"body\":\"\"}");
    /* JSON null read from the event (cjson.null) is a JSON value, not an opaque userdata: echoing
     * event.body of {"body": null} must work; an empty body or "null" are both fair renderings */
    EVAL("cjson.null -> statusCode 200, empty or null body",
         "local e = envt(cjson.null) return e.statusCode == 200 and (e.body == '' or e.body == 'null')", "true");
    EVAL("body cjson.null (echoing a null event body) -> empty or null body",
         "local e = envt({statusCode = 200, body = jdecode('{\"body\":null}').body})\n"
         "return e.statusCode == 200 and (e.body == '' or e.body == 'null')",
         "true");
    EVAL_CONTAINS("function -> error", "return toenv(print)", "cannot encode");
    EVAL_CONTAINS("function -> error names the type", "return toenv(print)", "function");
    EVAL_CONTAINS("body function -> error", "return toenv({statusCode = 200, body = print})", "function");
    EVAL_CONTAINS("body userdata -> error", "return toenv({body = io.stdout})", "userdata");
    EVAL_CONTAINS("body table with a function inside -> error naming the path", "return toenv({body = {a = {print}}})",
                  ".a[1]");
    EVAL_CONTAINS("cyclic table -> error", "local t = {} t.t = t return toenv(t)", "cyclic");
    EVAL_CONTAINS("body cyclic table -> error", "local t = {} t[1] = t return toenv({body = t})", "cyclic");
    EVAL_CONTAINS("NaN -> error", "return toenv(0/0)", "NaN");
    EVAL("envelope after a failed conversion -> next conversion clean", "return toenv('ok')",
         "{\"isBase64Encoded\":false,\"statusCode\":200,\"headers\":{},\"body\":\"ok\"}");
}

static void test_result_headers(void)
{
    EVAL("header value integer -> string", "return envt({body = '', headers = {['X-N'] = 5}}).headers['X-N']", "5");
    EVAL("header value float -> string", "return envt({body = '', headers = {['X-F'] = 1.5}}).headers['X-F']", "1.5");
    EVAL("header value integer 2^53+1 -> exact string",
         "return envt({body = '', headers = {['X-Id'] = 9007199254740993}}).headers['X-Id']", "9007199254740993");
    EVAL("header value true -> \"true\"", "return envt({body = '', headers = {['X-B'] = true}}).headers['X-B']",
         "true");
    EVAL("header value false -> \"false\"", "return envt({body = '', headers = {['X-B'] = false}}).headers['X-B']",
         "false");
    EVAL("header value array -> values joined with \", \"",
         "return envt({body = '', headers = {['Set-Cookie'] = {'a=1', 'b=2', 'c=3'}}}).headers['Set-Cookie']",
         "a=1, b=2, c=3");
    EVAL("header value array of one -> that value",
         "return envt({body = '', headers = {['X-One'] = {'v'}}}).headers['X-One']", "v");
    EVAL("header value array of numbers -> strings joined",
         "return envt({body = '', headers = {['X-L'] = {1, 2.5, true}}}).headers['X-L']", "1, 2.5, true");
    EVAL("header value array next to other headers -> each header once",
         "local e = envt({body = '', headers = {A = {'1', '2'}, B = 'x', C = {'3'}}})\n"
         "return nkeys(e.headers) .. ' ' .. e.headers.A .. ' ' .. e.headers.B .. ' ' .. e.headers.C",
         "3 1, 2 x 3");
    EVAL("header value with UTF-8 -> kept", "return envt({body = '', headers = {X = 'caf\\xc3\\xa9'}}).headers.X",
         "caf\xc3\xa9");
    EVAL("headers nil -> no headers", "return nkeys(envt({body = 'x', headers = nil}).headers)", "0");
    EVAL("headers empty table -> no headers", "return nkeys(envt({body = 'x', headers = {}}).headers)", "0");
    EVAL_CONTAINS("headers not a table -> error", "return toenv({body = 'x', headers = 'X: y'})", "headers");
    EVAL_CONTAINS("header value table of tables -> error", "return toenv({body = 'x', headers = {X = {{}}}})",
                  "cannot encode header 'X'");
    EVAL_CONTAINS("header value function -> error", "return toenv({body = 'x', headers = {X = print}})",
                  "cannot encode header 'X'");
    EVAL_CONTAINS("header value with line break -> error (no header injection)",
                  "return toenv({body = 'x', headers = {X = 'a\\r\\nSet-Cookie: evil=1'}})", "control character");
    EVAL_CONTAINS("header value with NUL -> error", "return toenv({body = 'x', headers = {X = 'a\\0b'}})",
                  "control character");
    EVAL_CONTAINS("header value with another C0 byte -> error", "return toenv({body = 'x', headers = {X = 'a\\1b'}})",
                  "control character");
    EVAL_CONTAINS("header value with DEL -> error", "return toenv({body = 'x', headers = {X = 'a\\127b'}})",
                  "control character");
    EVAL("header value with a tab -> kept", "return envt({body = '', headers = {X = 'a\\tb'}}).headers.X", "a\tb");
    EVAL_CONTAINS("header name with a separator -> error", "return toenv({body = 'x', headers = {['X(Y)'] = 'v'}})",
                  "RFC 9110 token");
    EVAL_CONTAINS("header name with a C0 byte -> error", "return toenv({body = 'x', headers = {['X\\1'] = 'v'}})",
                  "header name");
    EVAL_CONTAINS("header name with colon -> error", "return toenv({body = 'x', headers = {['X:Y'] = 'v'}})",
                  "header name");
    EVAL_CONTAINS("header name with space -> error", "return toenv({body = 'x', headers = {['X Y'] = 'v'}})",
                  "header name");
    EVAL_CONTAINS("header name empty -> error", "return toenv({body = 'x', headers = {[''] = 'v'}})", "header name");
    EVAL_CONTAINS("header name number -> error", "return toenv({body = 'x', headers = {'v'}})", "must be strings");
}

static void test_result_status(void)
{
    EVAL("statusCode 200 -> accepted", "return envt({statusCode = 200}).statusCode", "200");
    EVAL("statusCode 599 -> accepted", "return envt({statusCode = 599}).statusCode", "599");
    static const char *const bad[] = {"99",   "100",   "101",   "103",       "199",  "600",
                                      "0",    "-200",  "200.5", "'abc'",     "true", "{}",
                                      "1e10", "-1e10", "2^31",  "math.huge", "0/0",  "math.maxinteger"};
    char code[160], name[160];
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        snprintf(code, sizeof code, "return toenv({statusCode = %s, body = 'x'})", bad[i]);
        snprintf(name, sizeof name, "statusCode %s -> error", bad[i]);
        CHECK_CONTAINS(name, lh_eval(L, code), "cannot encode statusCode");
    }
}

/* ---------------------------------------------------------------- envelope -> JSON (plain C) */

static void test_envelope_json(void)
{
    fl_envelope e;
    fl_envelope_init(&e);
    fl_buf o;
    fl_buf_init(&o);
    fl_answer_envelope_json(&e, &o);
    CHECK_STR("fresh envelope -> 200, no headers, empty body", fl_buf_cstr(&o),
              "{\"isBase64Encoded\":false,\"statusCode\":200,\"headers\":{},\"body\":\"\"}");

    e.status = 302;
    static const char pairs[] = "Location\0/x\0Set-Cookie\0a=1\0Set-Cookie\0b=2\0X-Q\0\"q\"\0";
    fl_buf_add(&e.headers, pairs, sizeof pairs - 1);
    fl_buf_adds(&e.body, "line1\nline2\x01");
    fl_buf_reset(&o);
    fl_answer_envelope_json(&e, &o);
    CHECK_STR("envelope with repeated header -> one name, values joined, all escaped", fl_buf_cstr(&o),
              "{\"isBase64Encoded\":false,\"statusCode\":302,\"headers\":{\"Location\":\"/x\","
              "\"Set-Cookie\":\"a=1, b=2\",\"X-Q\":\"\\\"q\\\"\"},\"body\":\"line1\\nline2\\u0001\"}");

    fl_buf_reset(&e.headers);
    fl_buf_reset(&e.body);
    fl_buf_add(&e.body, "\xff", 1);
    fl_buf_reset(&o);
    fl_answer_envelope_json(&e, &o);
    CHECK("envelope with invalid UTF-8 body -> still valid UTF-8 JSON", fl_utf8_valid(o.data, o.len));
    fl_buf_free(&o);
    fl_envelope_free(&e);
}

/* ---------------------------------------------------------------- into Lua */

typedef struct headers_arg {
    const fl_header *h;
    size_t n;
} headers_arg;

/* Stack: [ud] -> [ud]; sets the global h */
static int headers_to_global(lua_State *Ls)
{
    headers_arg *a = lua_touserdata(Ls, 1);
    int top = lua_gettop(Ls);
    fl_convert_headers_to_lua(Ls, a->h, a->n);
    if (lua_gettop(Ls) != top + 1)
        return luaL_error(Ls, "stack grew by %d", lua_gettop(Ls) - top);
    lua_setglobal(Ls, "h");
    return 0;
}

#define HDR(n, v)                                                                                                      \
    {                                                                                                                  \
        n, sizeof(n) - 1, v, sizeof(v) - 1                                                                             \
    }

static void test_event_and_headers(void)
{
    EVAL("event body '' -> empty table", "local e = toevent('') return type(e) .. ' ' .. nkeys(e)", "table 0");
    EVAL("event body of whitespace -> empty table",
         "local e = toevent(' \\r\\n\\t ') return type(e) .. ' ' .. nkeys(e)", "table 0");
    EVAL("event body JSON object -> table", "return toevent('{\"name\":\"x\",\"n\":5}').n", "5");
    EVAL("event body JSON integer -> Lua integer", "return math.type(toevent('{\"n\":5}').n)", "integer");
    EVAL("event body JSON array -> sequence", "return #toevent('[1,2,3]')", "3");
    EVAL("event body JSON null -> cjson.null", "return toevent('null') == cjson.null", "true");
    EVAL_CONTAINS("event body not JSON -> error", "return toevent('{name:1}')", "invalid JSON at line");
    EVAL_CONTAINS("event body truncated -> error", "return toevent('{\"a\":')", "invalid JSON at line");

    lua_settop(L, 0);
    static const fl_header hs[] = {
        HDR("X-CFF-Request-Id", "abc"), HDR("Content-Type", "application/json"),
        HDR("Accept", "text/html"),     HDR("ACCEPT", "application/xml"),
        HDR("accept", "*/*"),           HDR("X-Empty", ""),
    };
    headers_arg a = {hs, sizeof hs / sizeof hs[0]};
    lua_pushcfunction(L, headers_to_global);
    lua_pushlightuserdata(L, &a);
    CHECK_INT("headers -> Lua table without error", lua_pcall(L, 1, 0, 0), LUA_OK);
    lua_settop(L, 0);
    EVAL("header X-CFF-Request-Id -> key x-cff-request-id", "return h['x-cff-request-id']", "abc");
    EVAL("header Content-Type -> key content-type", "return h['content-type']", "application/json");
    EVAL("header names -> only lower-case keys", "return tostring(h['Content-Type']) .. ' ' .. nkeys(h)", "nil 4");
    EVAL("repeated header names in any case -> values joined with \", \" in order", "return h.accept",
         "text/html, application/xml, */*");
    EVAL("empty header value -> empty string", "return '[' .. h['x-empty'] .. ']'", "[]");

    /* a long name goes through the other lower-casing path; values may hold NULs */
    char longname[300];
    memset(longname, 'A', sizeof longname);
    static const char nulval[] = {'a', '\0', 'b'};
    fl_header hl[2] = {{longname, sizeof longname, "v", 1}, {"X-Nul", 5, nulval, 3}};
    headers_arg b = {hl, 2};
    lua_pushcfunction(L, headers_to_global);
    lua_pushlightuserdata(L, &b);
    CHECK_INT("headers with a 300-byte name -> Lua table without error", lua_pcall(L, 1, 0, 0), LUA_OK);
    lua_settop(L, 0);
    EVAL("header with a 300-byte name -> lower-case key", "return h[string.rep('a', 300)]", "v");
    EVAL("header value with a NUL byte -> kept whole", "return #h['x-nul']", "3");

    headers_arg none = {NULL, 0};
    lua_pushcfunction(L, headers_to_global);
    lua_pushlightuserdata(L, &none);
    CHECK_INT("no headers -> Lua table without error", lua_pcall(L, 1, 0, 0), LUA_OK);
    lua_settop(L, 0);
    EVAL("no headers -> empty table", "return type(h) .. ' ' .. nkeys(h)", "table 0");
}

/* ---------------------------------------------------------------- HTTP request -> APIG-shaped event */

static int http_to_global(lua_State *Ls)
{
    fl_convert_http_to_lua(Ls, lua_touserdata(Ls, 1));
    lua_setglobal(Ls, "ev");
    return 0;
}

static void test_http_event(void)
{
    static const fl_header hs[] = {HDR("Host", "example.com")};
    static const fl_header qs[] = {HDR("a", "1"), HDR("b", "x"), HDR("a", "2"), HDR("a", "3")};
    fl_request req;
    memset(&req, 0, sizeof req);
    req.kind = FL_REQ_HTTP;
    req.method = "POST";
    req.path = "//api//users/";
    req.headers = hs;
    req.n_headers = 1;
    req.query = qs;
    req.n_query = 4;
    req.body = "\xff\x00";
    req.body_len = 2;
    lua_pushcfunction(L, http_to_global);
    lua_pushlightuserdata(L, &req);
    CHECK_INT("HTTP request -> APIG event without error", lua_pcall(L, 1, 0, 0), LUA_OK);
    lua_settop(L, 0);
    EVAL("HTTP method -> event.httpMethod", "return ev.httpMethod", "POST");
    EVAL("HTTP path with repeated slashes -> event.path collapsed", "return ev.path", "/api/users/");
    EVAL("HTTP query with one value -> string", "return ev.queryStringParameters.b", "x");
    EVAL("HTTP query with a repeated key -> array of its values",
         "return table.concat(ev.queryStringParameters.a, ',')", "1,2,3");
    EVAL("HTTP header Host -> event.headers.host", "return ev.headers.host", "example.com");
    EVAL("HTTP binary body -> base64 body, isBase64Encoded true",
         "return ev.body .. ' ' .. tostring(ev.isBase64Encoded)", "/wA= true");

    req.body = "plain";
    req.body_len = 5;
    req.path = "/";
    req.n_query = 0;
    lua_pushcfunction(L, http_to_global);
    lua_pushlightuserdata(L, &req);
    CHECK_INT("HTTP request with text body -> APIG event without error", lua_pcall(L, 1, 0, 0), LUA_OK);
    lua_settop(L, 0);
    EVAL("HTTP text body -> body as is, isBase64Encoded false", "return ev.body .. ' ' .. tostring(ev.isBase64Encoded)",
         "plain false");
    EVAL("HTTP request without query -> empty queryStringParameters", "return nkeys(ev.queryStringParameters)", "0");
}

/* ---------------------------------------------------------------- error -> error object */

static int run_chunk(lua_State *Ls)
{
    const char *code = lua_touserdata(Ls, 1);
    if (luaL_loadbuffer(Ls, code, strlen(code), "@index.lua") != LUA_OK)
        return lua_error(Ls);
    lua_call(Ls, 0, 0);
    return 0;
}

/* The error object of a failed Lua call, as the worker writes it. */
static void error_json(const char *type, const fl_error *err, fl_buf *o)
{
    fl_answer_error_json(o, type, err->message.data, err->message.len, err->traceback.data, err->traceback.len);
}

static void test_error_json(void)
{
    fl_error err;
    fl_error_init(&err);
    fl_buf o;
    fl_buf_init(&o);

    error_json("HandlerError", &err, &o);
    CHECK_STR("empty error -> object with empty message and stackTrace []", fl_buf_cstr(&o),
              "{\"errorType\":\"HandlerError\",\"errorMessage\":\"\",\"stackTrace\":[]}");

    fl_buf_adds(&err.message, "index.lua:3: bad \"thing\"\n");
    fl_buf_adds(&err.traceback, "stack traceback:\n\t[C]: in function 'error'\n\tindex.lua:3: in function "
                                "'handler'\n\t[C]: in ?");
    fl_buf_reset(&o);
    error_json("HandlerError", &err, &o);
    CHECK_STR("error with traceback -> stackTrace of frames without title or tabs", fl_buf_cstr(&o),
              "{\"errorType\":\"HandlerError\",\"errorMessage\":\"index.lua:3: bad \\\"thing\\\"\\n\","
              "\"stackTrace\":[\"[C]: in function 'error'\",\"index.lua:3: in function 'handler'\",\"[C]: in ?\"]}");

    fl_buf_reset(&err.traceback);
    fl_buf_adds(&err.traceback, "stack traceback:\n\tindex.lua:1: in main chunk\n");
    fl_buf_reset(&o);
    error_json("X", &err, &o);
    CHECK_CONTAINS("traceback ending in a newline -> no empty frame", fl_buf_cstr(&o),
                   "\"stackTrace\":[\"index.lua:1: in main chunk\"]}");

    /* a real error through fl_call */
    lua_settop(L, 0);
    fl_call_openstate(L);
    static const char code[] = "local function handler()\n  error('boom')\nend\nhandler()\n";
    int rc = fl_call(L, run_chunk, (void *)code, &err);
    CHECK_INT("Lua error() through fl_call -> LUA_ERRRUN", rc, LUA_ERRRUN);
    CHECK_INT("fl_call -> stack unchanged", lua_gettop(L), 0);
    fl_buf_reset(&o);
    error_json("HandlerError", &err, &o);
    lua_pushlstring(L, o.data, o.len);
    lua_setglobal(L, "errjson");
    EVAL("Lua error -> error object that is valid JSON", "return type(jdecode(errjson))", "table");
    EVAL("Lua error -> errorType", "return jdecode(errjson).errorType", "HandlerError");
    EVAL("Lua error -> errorMessage names file:line", "return jdecode(errjson).errorMessage", "index.lua:2: boom");
    EVAL("Lua error -> stackTrace is a non-empty array", "return #jdecode(errjson).stackTrace > 1", "true");
    EVAL("Lua error -> no stackTrace entry is the \"stack traceback:\" title or starts with a tab",
         "for _, f in ipairs(jdecode(errjson).stackTrace) do\n"
         "  if f:find('stack traceback', 1, true) or f:find('^%s') then return 'bad: ' .. f end\n"
         "end return 'ok'",
         "ok");
    EVAL("Lua error -> stackTrace names the raising line",
         "for _, f in ipairs(jdecode(errjson).stackTrace) do\n"
         "  if f:find('index.lua:2:', 1, true) then return 'found' end\n"
         "end return 'missing: ' .. errjson",
         "found");

    fl_response r;
    fl_response_init(&r);
    fl_response_error(&r, FL_ERR_INVALID_EVENT, NULL, "test", "line 1\t\"x\"");
    CHECK_STR("refusal -> error object with empty stackTrace", fl_buf_cstr(&r.body),
              "{\"errorType\":\"InvalidEvent\",\"errorMessage\":\"line 1\\t\\\"x\\\"\",\"stackTrace\":[]}");
    CHECK_INT("refusal -> the kind's status", r.status, 400);
    fl_response_free(&r);
    fl_buf_free(&o);
    fl_error_free(&err);
}

int main(void)
{
    fl_envelope_init(&env);
    fl_buf_init(&out);
    L = lh_newstate();
    lua_register(L, "toenv", toenv);
    lua_register(L, "toevent", toevent);
    CHECK_STR("test helpers load", lh_eval(L, helpers), "nil");
    test_result_tables();
    test_result_scalars();
    test_result_headers();
    test_result_status();
    test_envelope_json();
    test_event_and_headers();
    test_http_event();
    test_error_json();
    lh_close(L);
    fl_envelope_free(&env);
    fl_buf_free(&out);
    return check_finish("test_convert");
}
