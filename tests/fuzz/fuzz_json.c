/*
 * fuzz_json.c - libFuzzer target: JSON text -> Lua value -> JSON text.
 *
 * Any input must either be refused with an "invalid JSON" error or decode;
 * a decoded value must encode, and from the second round on decoding and
 * encoding our own output must be stable (the first round may normalise
 * invalid UTF-8).  Run by `make test` for a few
 * seconds and by `make fuzz` for longer.
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
} job;

static int decode_encode(lua_State *L)
{
    job *j = lua_touserdata(L, 1);
    fl_json_decode(L, j->in, j->len);
    fl_json_encode(L, -1, j->out);
    return 0;
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
        job j = {in, len, &out[round]};
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
    }
    lua_settop(L, 0);
    lua_gc(L, LUA_GCCOLLECT);
    for (int i = 0; i < 3; i++)
        fl_buf_free(&out[i]);
    return 0;
}
