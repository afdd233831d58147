/*
 * test_json.c - json.c: JSON text <-> Lua values through a real lua_State.
 *
 * Decoding and encoding run inside lua_pcall (jdecode/jencode of
 * luahelp.h); kind(v) renders a decoded value with its exact Lua type so a
 * float that should be an integer (or the reverse) shows up in the check.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "json.h"
#include "luahelp.h"

static lua_State *L;

#define EVAL(name, code, want)            CHECK_STR(name, lh_eval(L, code), want)
#define EVAL_CONTAINS(name, code, needle) CHECK_CONTAINS(name, lh_eval(L, code), needle)

static const char helpers[] =
    "cjson = require 'cjson'\n"
    "local function show(s)\n"
    "  return (s:gsub('[^\\32-\\126]', function(c) return string.format('\\\\x%02x', c:byte()) end))\n"
    "end\n"
    /* the exact Lua type and value of a decoded scalar */
    "function kind(v)\n"
    "  local t = type(v)\n"
    "  if t == 'number' then\n"
    "    if math.type(v) == 'integer' then return 'integer ' .. v end\n"
    "    return string.format('float %.17g', v)\n"
    "  elseif t == 'string' then return 'string \"' .. show(v) .. '\"'\n"
    "  elseif v == cjson.null then return 'cjson.null'\n"
    "  else return t .. ' ' .. tostring(v) end\n"
    "end\n"
    /* deep equality that also compares integer vs float and metatables */
    "function same(a, b)\n"
    "  if type(a) ~= type(b) then return false end\n"
    "  if type(a) == 'number' then return math.type(a) == math.type(b) and a == b end\n"
    "  if type(a) ~= 'table' then return a == b end\n"
    "  if getmetatable(a) ~= getmetatable(b) then return false end\n"
    "  for k, v in pairs(a) do if not same(v, b[k]) then return false end end\n"
    "  for k in pairs(b) do if a[k] == nil then return false end end\n"
    "  return true\n"
    "end\n"
    "function dec(s) return kind(jdecode(s)) end\n";

/* ---------------------------------------------------------------- numbers in */

static void test_decode_numbers(void)
{
    EVAL("JSON 0 -> Lua integer 0", "return dec '0'", "integer 0");
    EVAL("JSON 42 -> Lua integer", "return dec '42'", "integer 42");
    EVAL("JSON -17 -> Lua integer", "return dec '-17'", "integer -17");
    EVAL("JSON integer 2^53 -> Lua integer", "return dec '9007199254740992'", "integer 9007199254740992");
    EVAL("JSON integer -2^53 -> Lua integer", "return dec '-9007199254740992'", "integer -9007199254740992");
    EVAL("JSON integer 2^53-1 -> Lua integer", "return dec '9007199254740991'", "integer 9007199254740991");
    EVAL("JSON integer 2^53+1 -> Lua float (nearest double)", "return dec '9007199254740993'",
         "float 9007199254740992");
    EVAL("JSON integer -(2^53+1) -> Lua float", "return dec '-9007199254740993'", "float -9007199254740992");
    EVAL("JSON integer 10^16 (17 digits) -> Lua float", "return dec '10000000000000000'", "float 10000000000000000");
    EVAL("JSON integer 2^64 -> Lua float", "return dec '18446744073709551616'", "float 1.8446744073709552e+19");
    EVAL("JSON 40-digit integer -> Lua float", "return dec '1234567890123456789012345678901234567890'",
         "float 1.2345678901234568e+39");
    EVAL("JSON 1e3 -> Lua float 1000", "return dec '1e3'", "float 1000");
    EVAL("JSON 1E+3 -> Lua float 1000", "return dec '1E+3'", "float 1000");
    EVAL("JSON 1.5 -> Lua float", "return dec '1.5'", "float 1.5");
    EVAL("JSON 1.0 -> Lua float (a fraction part makes a float)", "return dec '1.0'", "float 1");
    EVAL("JSON -1.5e-3 -> Lua float", "return dec '-1.5e-3'", "float -0.0015");
    EVAL("JSON 0.1 -> Lua float 0.1", "return jdecode '0.1' == 0.1", "true");
    EVAL("JSON -0 -> Lua float -0.0 (sign kept, as in JavaScript)", "return dec '-0'", "float -0");
    EVAL("JSON -0.0 -> Lua float -0.0 (sign kept)", "return dec '-0.0'", "float -0");
    EVAL_CONTAINS("JSON 1e400 (beyond a double) -> error", "return dec '1e400'", "invalid JSON at line");
    EVAL_CONTAINS("JSON -1e400 (beyond a double) -> error", "return dec '-1e400'", "invalid JSON at line");
    EVAL("JSON 1e-400 (underflow) -> Lua float 0", "return dec '1e-400'", "float 0");
    EVAL("JSON number with surrounding whitespace -> Lua integer", "return dec ' \\t\\r\\n 7 \\n'", "integer 7");
}

/* ---------------------------------------------------------------- other values in */

static void test_decode_values(void)
{
    EVAL("JSON null -> cjson.null", "return dec 'null'", "cjson.null");
    EVAL("JSON null -> NULL light userdata",
         "local v = jdecode 'null' return type(v) .. ' ' .. tostring(v == cjson.null)", "userdata true");
    EVAL("JSON true -> Lua true", "return dec 'true'", "boolean true");
    EVAL("JSON false -> Lua false", "return dec 'false'", "boolean false");
    EVAL("JSON string -> Lua string", "return dec '\"hello\"'", "string \"hello\"");
    EVAL("JSON empty string -> Lua empty string", "return dec '\"\"'", "string \"\"");
    EVAL("JSON \\u00e9 -> UTF-8 bytes c3 a9", "return dec [[\"caf\\u00e9\"]]", "string \"caf\\xc3\\xa9\"");
    EVAL("JSON \\u20ac -> UTF-8 bytes e2 82 ac", "return dec [[\"\\u20AC\"]]", "string \"\\xe2\\x82\\xac\"");
    EVAL("JSON surrogate pair \\ud83d\\ude00 -> UTF-8 bytes f0 9f 98 80", "return dec [[\"\\ud83d\\ude00\"]]",
         "string \"\\xf0\\x9f\\x98\\x80\"");
    EVAL("JSON lone high surrogate -> U+FFFD", "return dec [[\"a\\ud83db\"]]", "string \"a\\xef\\xbf\\xbdb\"");
    EVAL("JSON high surrogate + non-surrogate escape -> U+FFFD then the character", "return dec [[\"\\ud83d\\u0041\"]]",
         "string \"\\xef\\xbf\\xbdA\"");
    EVAL("JSON lone low surrogate -> U+FFFD", "return dec [[\"\\ude00\"]]", "string \"\\xef\\xbf\\xbd\"");
    EVAL("JSON raw UTF-8 string -> same bytes", "return dec '\"\\xc3\\xa9\\xf0\\x9f\\x98\\x80\"'",
         "string \"\\xc3\\xa9\\xf0\\x9f\\x98\\x80\"");
    EVAL("JSON escapes \\\" \\\\ \\/ \\b \\f \\n \\r \\t -> the bytes", "return dec [[\"\\\"\\\\\\/\\b\\f\\n\\r\\t\"]]",
         "string \"\"\\/\\x08\\x0c\\x0a\\x0d\\x09\"");
    EVAL("JSON \\u0000 -> NUL byte inside the Lua string",
         "local s = jdecode [[\"a\\u0000b\"]] return #s .. ' ' .. s:byte(2)", "3 0");
    EVAL("JSON escape after plain text -> text kept", "return dec [[\"abc\\ndef\"]]", "string \"abc\\x0adef\"");

    EVAL("JSON nested arrays -> Lua sequences",
         "local v = jdecode '[1,[2,[3,[]]],\"x\"]' return #v .. ' ' .. v[2][2][1] .. ' ' .. #v[2][2][2] .. ' ' .. v[3]",
         "3 3 0 x");
    EVAL("JSON nested objects -> Lua tables",
         "local v = jdecode '{\"a\":{\"b\":{\"c\":[true,false,null]}},\"d\":\"e\"}'\n"
         "return kind(v.a.b.c[1]) .. ',' .. kind(v.a.b.c[2]) .. ',' .. kind(v.a.b.c[3]) .. ',' .. v.d",
         "boolean true,boolean false,cjson.null,e");
    EVAL("JSON array of null keeps its length", "return #jdecode '[null,null,null]'", "3");
    EVAL("JSON object keys with escapes -> decoded keys", "return jdecode [[{\"a\\nb\":1}]]['a\\nb']", "1");
    EVAL("JSON object with repeated key -> last value wins", "return jdecode '{\"a\":1,\"a\":2}'.a", "2");
    EVAL("JSON empty array -> table with the array marker metatable",
         "local v = jdecode '[]' local mt = getmetatable(v)\n"
         "return tostring(next(v)) .. ' ' .. tostring(mt and mt.__jsontype)",
         "nil array");
    EVAL("JSON empty array -> re-encodes as []", "return jencode(jdecode '[]')", "[]");
    EVAL("JSON nested empty array -> re-encodes as []", "return jencode(jdecode '{\"a\":[]}')", "{\"a\":[]}");
    EVAL("JSON empty object -> empty table without metatable",
         "local v = jdecode '{}' return tostring(next(v)) .. ' ' .. tostring(getmetatable(v))", "nil nil");
    EVAL("JSON empty object -> re-encodes as {}", "return jencode(jdecode '{}')", "{}");
    EVAL("JSON value inside whitespace-only padding -> decoded", "return jdecode ' \\n [ 1 , 2 ] \\n '[2]", "2");

    /* the decoder must honour the length, not look for a NUL */
    lua_settop(L, 0);
    const char text[] = "[1,2]garbage";
    lua_pushcfunction(L, lh_jdecode);
    lua_pushlstring(L, text, 5);
    int rc = lua_pcall(L, 1, 1, 0);
    CHECK_INT("JSON text followed by bytes past its length -> decoded (length honoured)", rc, LUA_OK);
    CHECK_INT("JSON [1,2] of a longer buffer -> table of 2", rc == LUA_OK ? (long long)lua_rawlen(L, -1) : -1, 2);
    lua_settop(L, 0);
}

/* ---------------------------------------------------------------- invalid text */

static void expect_invalid(const char *name, const char *json, size_t len, const char *detail)
{
    lua_settop(L, 0);
    lua_pushcfunction(L, lh_jdecode);
    lua_pushlstring(L, json, len);
    int rc = lua_pcall(L, 1, 1, 0);
    const char *msg = rc == LUA_OK ? "(no error)" : lua_tostring(L, -1);
    CHECK_CONTAINS(name, msg, "invalid JSON at line");
    if (detail)
        CHECK_CONTAINS(name, msg, detail);
    lua_settop(L, 0);
}

#define INVALID(name, lit, detail) expect_invalid(name, lit, sizeof(lit) - 1, detail)

static void test_decode_invalid(void)
{
    INVALID("empty JSON text -> error", "", "unexpected end of input");
    INVALID("whitespace-only JSON text -> error", "  \n ", NULL);
    INVALID("JSON array with trailing comma -> error", "[1,2,]", NULL);
    INVALID("JSON object with trailing comma -> error", "{\"a\":1,}", NULL);
    INVALID("JSON number with leading zero 01 -> error", "01", NULL);
    INVALID("JSON number with leading zero -01 -> error", "-01", NULL);
    INVALID("JSON lone minus -> error", "-", "bad number");
    INVALID("JSON minus then letter -> error", "-a", "bad number");
    INVALID("JSON number 1. -> error", "1.", NULL);
    INVALID("JSON number .5 -> error", ".5", NULL);
    INVALID("JSON number 1e -> error", "1e", NULL);
    INVALID("JSON number +1 -> error", "+1", NULL);
    INVALID("JSON unterminated string -> error", "\"abc", "unterminated string");
    INVALID("JSON unterminated string after an escape -> error", "\"ab\\n", "unterminated string");
    INVALID("JSON string ending in a backslash -> error", "\"ab\\", NULL);
    INVALID("JSON raw control character in string -> error", "\"a\x01z\"", "control character");
    INVALID("JSON raw newline in string -> error", "\"a\nz\"", "control character");
    INVALID("JSON raw tab in string after an escape -> error", "\"\\n\tz\"", "control character");
    INVALID("JSON bad escape \\x -> error", "\"\\x41\"", "bad escape");
    INVALID("JSON truncated \\u escape -> error", "\"\\u12\"", NULL);
    INVALID("JSON \\u escape with a bad hex digit -> error", "\"\\u12G4\"", "hex");
    INVALID("JSON trailing garbage -> error", "[1] x", "unexpected data after");
    INVALID("JSON two values -> error", "1 2", "unexpected data after");
    INVALID("JSON object without colon -> error", "{\"a\" 1}", NULL);
    INVALID("JSON object with unquoted key -> error", "{a:1}", NULL);
    INVALID("JSON unclosed array -> error", "[1,2", NULL);
    INVALID("JSON unclosed object -> error", "{\"a\":1", NULL);
    INVALID("JSON truncated literal tru -> error", "tru", NULL);
    INVALID("JSON truncated literal nul -> error", "nul", NULL);
    INVALID("JSON literal with capital letter -> error", "True", NULL);
    INVALID("JSON single-quoted string -> error", "'a'", NULL);
    INVALID("JSON NaN literal -> error", "NaN", NULL);
    INVALID("JSON NUL byte after the value -> error", "1\0", NULL);
    INVALID("JSON error position -> line 2, column 3", "[1,\n  x]", "line 2, column 3");
    INVALID("JSON error position on the first line -> line 1, column 4", "[1,]", "line 1, column 4");

    /* nesting: 200 levels are fine, 201 are refused */
    char deep[2 * 202 + 1];
    for (int n = 200; n <= 201; n++) {
        memset(deep, '[', (size_t)n);
        memset(deep + n, ']', (size_t)n);
        lua_settop(L, 0);
        lua_pushcfunction(L, lh_jdecode);
        lua_pushlstring(L, deep, 2 * (size_t)n);
        int rc = lua_pcall(L, 1, 1, 0);
        if (n == 200) {
            CHECK_INT("JSON arrays nested 200 deep -> decoded", rc, LUA_OK);
            if (rc == LUA_OK) {
                lua_setglobal(L, "deep");
                EVAL("JSON arrays nested 200 deep -> re-encodes identically",
                     "local s = jencode(deep) return #s .. s:sub(1, 3) .. s:sub(-3)", "400[[[]]]");
            }
        } else {
            CHECK_CONTAINS("JSON arrays nested 201 deep -> error", rc == LUA_OK ? "(no error)" : lua_tostring(L, -1),
                           "invalid JSON at line");
            CHECK_CONTAINS("JSON arrays nested 201 deep -> error names the depth",
                           rc == LUA_OK ? "(no error)" : lua_tostring(L, -1), "200");
        }
    }
    lua_settop(L, 0);
    /* very deep input must fail cleanly, not overflow the C stack */
    size_t huge = 100000;
    char *objs = malloc(huge * 5);
    for (size_t i = 0; i < huge; i++)
        memcpy(objs + i * 5, "{\"a\":", 5);
    expect_invalid("JSON objects nested 100000 deep -> error, no crash", objs, huge * 5, "deep");
    free(objs);
    EVAL("Lua state after decode errors -> still usable", "return dec '[1]' ~= nil", "true");
}

/* ---------------------------------------------------------------- numbers out */

static void test_encode_numbers(void)
{
    EVAL("Lua integer 0 -> JSON 0", "return jencode(0)", "0");
    EVAL("Lua integer maxinteger -> exact JSON", "return jencode(math.maxinteger)", "9223372036854775807");
    EVAL("Lua integer mininteger -> exact JSON", "return jencode(math.mininteger)", "-9223372036854775808");
    EVAL("Lua integer 1234567890123456 -> exact JSON", "return jencode(1234567890123456)", "1234567890123456");
    EVAL("Lua integer snowflake id 1797297383227174912 -> exact JSON", "return jencode(1797297383227174912)",
         "1797297383227174912");
    EVAL("Lua integer -42 -> JSON -42", "return jencode(-42)", "-42");
    EVAL("Lua float 0.1 -> JSON 0.1", "return jencode(0.1)", "0.1");
    EVAL("Lua float 0.1+0.2 -> JSON 0.30000000000000004", "return jencode(0.1 + 0.2)", "0.30000000000000004");
    EVAL("Lua float 2^53 -> JSON 9007199254740992", "return jencode(2^53)", "9007199254740992");
    EVAL("Lua float -1.5 -> JSON -1.5", "return jencode(-1.5)", "-1.5");
    EVAL("Lua float 1/3 -> JSON reads back the same double",
         "local s = jencode(1/3) return tostring(tonumber(s) == 1/3) .. ' ' .. s", "true 0.3333333333333333");
    EVAL("Lua float 1e300 -> JSON reads back as 1e300",
         "local s = jencode(1e300) return tonumber(s) == 1e300 and #s <= 6", "true");
    EVAL("Lua float 1e300 -> JSON number the decoder accepts", "return dec(jencode(1e300))",
         "float 1.0000000000000001e+300");
    EVAL("Lua float 1e-300 -> JSON reads back the same double", "return tonumber(jencode(1e-300)) == 1e-300", "true");
    EVAL("Lua float max -> JSON reads back the same double",
         "return tonumber(jencode(1.7976931348623157e308)) == 1.7976931348623157e308", "true");
    EVAL("Lua float smallest subnormal -> JSON reads back the same double",
         "return tonumber(jencode(4.9406564584124654e-324)) == 4.9406564584124654e-324", "true");
    EVAL("Lua float -0.0 -> JSON -0", "return jencode(-0.0)", "-0");
    EVAL("Lua float 1e21 -> JSON reads back the same double", "return tonumber(jencode(1e21)) == 1e21", "true");
    EVAL_CONTAINS("Lua float NaN -> error", "return jencode(0/0)", "NaN or infinite");
    EVAL_CONTAINS("Lua float inf -> error", "return jencode(math.huge)", "NaN or infinite");
    EVAL_CONTAINS("Lua float -inf -> error", "return jencode(-math.huge)", "NaN or infinite");
    EVAL_CONTAINS("Lua float NaN inside a table -> error naming the path", "return jencode({x = {0/0}})", ".x[1]");

    /* the plain C helpers */
    fl_buf b;
    fl_buf_init(&b);
    fl_json_integer(&b, -9223372036854775807LL - 1);
    CHECK_MEM("C long long min -> JSON text", b.data, b.len, "-9223372036854775808", 20);
    fl_buf_reset(&b);
    CHECK_INT("C double NaN -> fl_json_float returns 0", fl_json_float(&b, NAN), 0);
    CHECK_INT("C double NaN -> nothing written", (long long)b.len, 0);
    CHECK_INT("C double 0.5 -> fl_json_float returns 1", fl_json_float(&b, 0.5), 1);
    CHECK_MEM("C double 0.5 -> JSON 0.5", b.data, b.len, "0.5", 3);
    fl_buf_free(&b);
}

/* ---------------------------------------------------------------- other values out */

static void test_encode_values(void)
{
    EVAL("Lua nil -> JSON null", "return jencode(nil)", "null");
    EVAL("Lua cjson.null -> JSON null", "return jencode(cjson.null)", "null");
    EVAL("Lua true -> JSON true", "return jencode(true)", "true");
    EVAL("Lua false -> JSON false", "return jencode(false)", "false");
    EVAL("Lua string -> JSON string", "return jencode('hi')", "\"hi\"");
    EVAL("Lua empty string -> JSON \"\"", "return jencode('')", "\"\"");
    EVAL("Lua sequence -> JSON array", "return jencode({1, 'a', true})", "[1,\"a\",true]");
    EVAL("Lua table with one string key -> JSON object", "return jencode({a = 1})", "{\"a\":1}");
    EVAL("Lua nested tables -> nested JSON", "return jencode({a = {b = {1, {c = 'd'}}}})",
         "{\"a\":{\"b\":[1,{\"c\":\"d\"}]}}");
    EVAL("Lua empty table -> JSON {}", "return jencode({})", "{}");
    EVAL("Lua empty table with array marker -> JSON []", "return jencode(setmetatable({}, getmetatable(jdecode '[]')))",
         "[]");
    EVAL("Lua table with array marker -> JSON array",
         "return jencode(setmetatable({1, 2}, getmetatable(jdecode '[]')))", "[1,2]");
    EVAL("Lua table with another metatable -> encoded by its keys",
         "return jencode(setmetatable({}, {__index = function() return 1 end}))", "{}");
    EVAL("Lua sequence with a hole -> JSON array with null", "return jencode({1, nil, 3})", "[1,null,3]");
    EVAL("Lua sparse array {[1]=1,[20]=2} -> JSON object with string keys",
         "local s = jencode({[1] = 1, [20] = 2}) local v = jdecode(s)\n"
         "return s:sub(1, 1) .. ' ' .. kind(v['1']) .. ' ' .. kind(v['20'])",
         "{ integer 1 integer 2");
    EVAL("Lua array starting at 2 -> JSON array with leading null", "return jencode({[2] = 'b'})", "[null,\"b\"]");
    EVAL("Lua table with key 0 -> JSON object", "return jencode({[0] = 'z'})", "{\"0\":\"z\"}");
    EVAL("Lua table with negative key -> JSON object", "return jencode({[-1] = 'z'})", "{\"-1\":\"z\"}");
    EVAL("Lua mixed keys {1, 2, x=3} -> JSON object",
         "local v = jdecode(jencode({1, 2, x = 3})) return kind(v['1']) .. ' ' .. kind(v['2']) .. ' ' .. kind(v.x)",
         "integer 1 integer 2 integer 3");
    EVAL("Lua float key 1.5 -> JSON object key \"1.5\"", "return jencode({[1.5] = true})", "{\"1.5\":true}");
    EVAL_CONTAINS("Lua boolean key -> error", "return jencode({[true] = 1})", "table key of type boolean");
    EVAL_CONTAINS("Lua table key -> error", "return jencode({[{}] = 1})", "table key of type table");
    EVAL_CONTAINS("Lua infinite key -> error", "return jencode({[math.huge] = 1})", "NaN or infinite table key");

    EVAL_CONTAINS("Lua function at top level -> error", "return jencode(print)", "function");
    EVAL_CONTAINS("Lua function at top level -> error says top level", "return jencode(print)", "top level");
    EVAL_CONTAINS("Lua function at .a[2] -> error naming the path", "return jencode({a = {1, print}})",
                  "cannot encode a function value at .a[2]");
    EVAL_CONTAINS("Lua userdata at .f -> error naming the path", "return jencode({f = io.stdout})",
                  "userdata value at .f");
    EVAL_CONTAINS("Lua coroutine -> error", "return jencode({co = coroutine.create(print)})", "thread");
    EVAL_CONTAINS("Lua non-NULL light userdata -> error", "return jencode({u = jlight})", "userdata value at .u");
    EVAL_CONTAINS("Lua cyclic table -> error", "local t = {} t.self = t return jencode(t)", "cyclic");
    EVAL_CONTAINS("Lua cyclic table -> error names where the cycle closes",
                  "local t = {a = {}} t.a.b = t return jencode(t)", ".a.b");
    EVAL_CONTAINS("Lua cycle through an array -> error", "local t = {} t[1] = {t} return jencode(t)", "cyclic");
    EVAL("Lua table referenced twice (no cycle) -> encoded twice", "local x = {1} return jencode({x, x})", "[[1],[1]]");
    EVAL_CONTAINS("Lua tables nested 201 deep -> error",
                  "local t = {} local cur = t for i = 1, 200 do cur[1] = {} cur = cur[1] end return jencode(t)",
                  "nested more than 200");
    EVAL("Lua tables nested 200 deep -> encoded",
         "local t = {} local cur = t for i = 1, 199 do cur[1] = {1} cur = cur[1] end return #jencode(t)", "401");
    EVAL("Lua state after encode errors -> still usable", "return jencode({1})", "[1]");

    /* strings */
    EVAL("Lua string with quote and backslash -> escaped", "return jencode('a\"b\\\\c')", "\"a\\\"b\\\\c\"");
    EVAL("Lua string with \\n \\r \\t \\b \\f -> short escapes", "return jencode('\\n\\r\\t\\b\\f')",
         "\"\\n\\r\\t\\b\\f\"");
    EVAL("Lua string with control bytes 01 1f 00 -> \\u escapes", "return jencode('\\1\\31\\0')",
         "\"\\u0001\\u001f\\u0000\"");
    EVAL("Lua string with DEL and / -> unescaped", "return jencode('\\127/')", "\"\x7f/\"");
    EVAL("Lua valid UTF-8 string -> raw UTF-8 in JSON", "return jencode('caf\\xc3\\xa9 \\xf0\\x9f\\x98\\x80')",
         "\"caf\xc3\xa9 \xf0\x9f\x98\x80\"");
    /* each byte that is not part of valid UTF-8 becomes U+FFFD (escaped or raw), so the text is valid */
    EVAL("Lua invalid UTF-8 byte ff -> U+FFFD", "return dec(jencode('a\\xffb'))", "string \"a\\xef\\xbf\\xbdb\"");
    EVAL("Lua truncated UTF-8 sequence at end -> U+FFFD", "return dec(jencode('a\\xc3'))",
         "string \"a\\xef\\xbf\\xbd\"");
    EVAL("Lua overlong UTF-8 c0 80 -> two U+FFFD", "return dec(jencode('\\xc0\\x80'))",
         "string \"\\xef\\xbf\\xbd\\xef\\xbf\\xbd\"");
    EVAL("Lua UTF-8 encoded surrogate ed a0 80 -> three U+FFFD", "return dec(jencode('\\xed\\xa0\\x80'))",
         "string \"\\xef\\xbf\\xbd\\xef\\xbf\\xbd\\xef\\xbf\\xbd\"");
    EVAL("Lua code point above U+10FFFF -> four U+FFFD",
         "return select(2, dec(jencode('\\xf4\\x90\\x80\\x80')):gsub('xef', ''))", "4");
    EVAL("Lua invalid UTF-8 in a table key -> U+FFFD",
         "return next(jdecode(jencode({['k\\xff'] = 1}))) == 'k\\u{fffd}'", "true");
    EVAL("Lua invalid UTF-8 string -> JSON text that is valid UTF-8",
         "return utf8.len(jencode('\\xff\\xc3\\xed\\xa0\\x80\\xf8 ok')) ~= nil", "true");
    EVAL("Lua string with invalid UTF-8 -> JSON that decodes to U+FFFD", "return dec(jencode('\\xff'))",
         "string \"\\xef\\xbf\\xbd\"");
}

/* ---------------------------------------------------------------- round trips */

/* ---------------------------------------------------------------- sorted, pretty */

static void test_encode_sorted_pretty(void)
{
    lua_pushinteger(L, FL_JSON_SORTED);
    lua_setglobal(L, "SORTED");
    lua_pushinteger(L, FL_JSON_SORTED | FL_JSON_PRETTY);
    lua_setglobal(L, "PRETTY");
    /* 40 keys: lua_next's order differs from the sorted one (and between runs) */
    EVAL("Lua table with 40 keys, sorted -> JSON keys in byte order",
         "local t, want = {}, {}\n"
         "for i = 1, 40 do t[string.format('k%02d', 41 - i)] = i end\n"
         "for i = 1, 40 do want[#want + 1] = string.format('\"k%02d\":%d', i, 41 - i) end\n"
         "local s = jencode(t, SORTED)\n"
         "return s == '{' .. table.concat(want, ',') .. '}' or s",
         "true");
    EVAL("Lua nested tables, sorted -> every level sorted",
         "return jencode({b = {z = 1, a = {y = 2, x = 3}}, a = {1, {d = 4, c = 5}}}, SORTED)",
         "{\"a\":[1,{\"c\":5,\"d\":4}],\"b\":{\"a\":{\"x\":3,\"y\":2},\"z\":1}}");
    EVAL("Lua keys A, a, _, é, 10, 9 sorted -> code point order, numbers as their text",
         "return jencode({a = 1, A = 2, _ = 3, ['\xc3\xa9'] = 4, [10] = 5, [9.5] = 6}, SORTED)",
         "{\"10\":5,\"9.5\":6,\"A\":2,\"_\":3,\"a\":1,\"\xc3\xa9\":4}");
    EVAL("Lua key 'a\\0b' and 'a' sorted -> the shorter first", "return jencode({['a\\0b'] = 1, a = 2}, SORTED)",
         "{\"a\":2,\"a\\u0000b\":1}");
    EVAL("Lua table, pretty -> two-space indent, \": \" after keys, empty containers compact",
         "return jencode({b = {1, 2}, a = {}, c = {d = setmetatable({}, getmetatable(jdecode '[]'))}}, PRETTY)",
         "{\n  \"a\": {},\n  \"b\": [\n    1,\n    2\n  ],\n  \"c\": {\n    \"d\": []\n  }\n}");
    EVAL("Lua scalar, pretty -> as compact", "return jencode('x', PRETTY)", "\"x\"");
    EVAL_CONTAINS("Lua table with a function, sorted -> error names the path",
                  "return jencode({a = {b = print}}, SORTED)", "cannot encode a function value at .a.b");
    EVAL_CONTAINS("Lua table with a boolean key, sorted -> error", "return jencode({[true] = 1}, SORTED)",
                  "cannot encode a table key of type boolean at top level");
    EVAL_CONTAINS("Lua cyclic table, sorted -> error", "local t = {} t.x = {y = t} return jencode(t, SORTED)",
                  "cyclic table");
    lua_pushinteger(L, FL_JSON_NUMBER_TEXT);
    lua_setglobal(L, "NUMTEXT");
    EVAL("JSON numbers decoded as text, encoded sorted -> every digit kept",
         "return jencode(jdecode('{\"b\":[9223372036854775807,1.10,1E2,-0,123456789012345678901234567890],"
         "\"a\":0.1}', NUMTEXT), SORTED)",
         "{\"a\":0.1,\"b\":[9223372036854775807,1.10,1E2,-0,123456789012345678901234567890]}");
    EVAL("JSON bad number with NUMBER_TEXT -> still an error", "return (pcall(jdecode, '[1.]', NUMTEXT))", "false");
    EVAL("Lua stack after sorted encodes -> balanced",
         "local n = select('#', jencode({a = 1, b = {c = 2}}, SORTED)) return n", "1");
}

static void test_round_trip(void)
{
    static const char *const values[] = {
        "0",
        "-1",
        "9007199254740992",
        "-9007199254740992",
        "1234567890123456",
        "0.1",
        "-1.5",
        "2.0^60",
        "-0.0",
        "1e300",
        "1/3",
        "5e-324",
        "-0.5",
        "123.456",
        "'plain'",
        "''",
        "'caf\\xc3\\xa9'",
        "'\\0\\1\\31\"\\\\'",
        "'\\xf0\\x9f\\x98\\x80'",
        "true",
        "false",
        "cjson.null",
        "{}",
        "jdecode '[]'",
        "{1, 2, 3}",
        "{a = 1, b = {c = {true, false}}}",
        "{list = {1.5, 2, 'x', cjson.null}, n = 9007199254740991}",
        "{[''] = 'empty key'}",
        "{nested = {{}, jdecode '[]', {{1}}}}",
    };
    char code[512], name[256];
    for (size_t i = 0; i < sizeof values / sizeof values[0]; i++) {
        snprintf(code, sizeof code, "local x = %s return same(jdecode(jencode(x)), x)", values[i]);
        snprintf(name, sizeof name, "Lua %s -> JSON -> same Lua value and type", values[i]);
        EVAL(name, code, "true");
    }
    EVAL("same() sees integer vs float -> the round trip check is strict", "return same(1, 1.0)", "false");
    EVAL(
        "JSON text -> Lua -> same JSON text",
        "local s = '[1,-2,0.5,\"x\",true,false,null,[],{},{\"k\":[9007199254740992]}]' return jencode(jdecode(s)) == s",
        "true");
}

int main(void)
{
    L = lh_newstate();
    lua_pushlightuserdata(L, &L);
    lua_setglobal(L, "jlight");
    CHECK_STR("test helpers load", lh_eval(L, helpers), "nil");
    test_decode_numbers();
    test_decode_values();
    test_decode_invalid();
    test_encode_numbers();
    test_encode_values();
    test_encode_sorted_pretty();
    test_round_trip();
    lh_close(L);
    return check_finish("test_json");
}
