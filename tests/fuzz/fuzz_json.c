/*
 * fuzz_json.c - libFuzzer target: JSON text -> Lua value -> JSON text.
 *
 * Any input must either be refused with an "invalid JSON" error or decode;
 * a decoded value must encode, and from the second round on decoding and
 * encoding our own output must be stable (the first round may normalise
 * invalid UTF-8).  The sorted forms (fnlua invoke's output) are exact:
 * our output decoded keeping number text and encoded sorted must give the
 * same bytes whether it went through the indented form first or not.  Run
 * by `make test` for a few seconds and by `make fuzz` for longer.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <lauxlib.h>
#include <lualib.h>

#include "buf.h"
#include "json.h"

typedef struct job {
    const char *in;
    size_t len;
    fl_buf *out;
    unsigned dflags, eflags; /* fl_json_decode_with / fl_json_encode_with options */
} job;

static int decode_encode(lua_State *L)
{
    job *j = lua_touserdata(L, 1);
    fl_json_decode_with(L, j->in, j->len, j->dflags);
    fl_json_encode_with(L, -1, j->out, j->eflags);
    return 0;
}

/* 1 when in decodes and encodes with these options; out holds the text. */
static int run(lua_State *L, const char *in, size_t len, fl_buf *out, unsigned dflags, unsigned eflags)
{
    job j = {in, len, out, dflags, eflags};
    lua_pushcfunction(L, decode_encode);
    lua_pushlightuserdata(L, &j);
    int ok = lua_pcall(L, 1, 0, 0) == LUA_OK;
    if (!ok) {
        fprintf(stderr, "sorted forms: our own output failed: %s\n%.*s\n", lua_tostring(L, -1), (int)len, in);
        abort();
    }
    return ok;
}

/* text is our own output: sorted directly and sorted via the indented form are the same bytes. */
static void check_sorted(lua_State *L, const fl_buf *text)
{
    fl_buf direct, pretty, again;
    fl_buf_init(&direct);
    fl_buf_init(&pretty);
    fl_buf_init(&again);
    const char *in = text->data ? text->data : "";
    run(L, in, text->len, &direct, FL_JSON_NUMBER_TEXT, FL_JSON_SORTED);
    run(L, in, text->len, &pretty, FL_JSON_NUMBER_TEXT, FL_JSON_SORTED | FL_JSON_PRETTY);
    run(L, pretty.data ? pretty.data : "", pretty.len, &again, FL_JSON_NUMBER_TEXT, FL_JSON_SORTED);
    if (direct.len != again.len || memcmp(direct.data, again.data, direct.len) != 0) {
        fprintf(stderr, "sorted forms differ:\n%.*s\n%.*s\n", (int)direct.len, direct.data, (int)again.len,
                again.data);
        abort();
    }
    fl_buf_free(&direct);
    fl_buf_free(&pretty);
    fl_buf_free(&again);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static lua_State *L;
    if (!L) {
        L = luaL_newstate();
        luaL_openlibs(L);
    }
    /* round 1 may normalise (invalid UTF-8 -> U+FFFD, which can merge two
     * keys); from then on the text must be stable */
    fl_buf out[3];
    for (int i = 0; i < 3; i++)
        fl_buf_init(&out[i]);
    const char *in = (const char *)data;
    size_t len = size;
    for (int round = 0; round < 3; round++) {
        job j = {in, len, &out[round], 0, 0};
        lua_pushcfunction(L, decode_encode);
        lua_pushlightuserdata(L, &j);
        if (lua_pcall(L, 1, 0, 0) != LUA_OK) {
            const char *msg = lua_tostring(L, -1);
            if (round > 0) {
                fprintf(stderr, "re-decoding our own output failed: %s\n%.*s\n", msg, (int)len, in);
                abort();
            }
            if (!msg || !strstr(msg, "invalid JSON")) {
                fprintf(stderr, "unexpected error text: %s\n", msg ? msg : "(none)");
                abort();
            }
            break;
        }
        in = out[round].data ? out[round].data : "";
        len = out[round].len;
        /* object key order may differ between two tables, so compare lengths */
        if (round == 2 && out[1].len != out[2].len) {
            fprintf(stderr, "round trip not stable:\n%.*s\n%.*s\n", (int)out[1].len, out[1].data, (int)out[2].len,
                    out[2].data);
            abort();
        }
        if (round == 1)
            check_sorted(L, &out[0]);
    }
    lua_settop(L, 0);
    lua_gc(L, LUA_GCCOLLECT);
    for (int i = 0; i < 3; i++)
        fl_buf_free(&out[i]);
    return 0;
}
