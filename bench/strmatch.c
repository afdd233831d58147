/* strmatch.c - what fnlua's pattern matching (server/lstrlib_match.c) costs
 * against the standard library's: the same loops of common string.find,
 * match, gmatch and gsub calls in a state with the standard functions and
 * in one with fnlua's, both as a worker's state is during an invocation
 * (fl_limits_alloc, the deadline hook armed, a deadline far away, so the
 * matcher's own checks run too).  Best of 5 rounds of each.
 *
 *   strmatch                    the table (N = 1e6)
 *   strmatch std|fnlua INDEX    loop INDEX once with N = 1e5, for
 *                               valgrind --tool=callgrind (instructions)
 *
 * Build (after cmake --build build):
 *   cc -O2 -Iserver -o build/strmatch bench/strmatch.c build/libfnlua_core.a \
 *      $(pkg-config --cflags --libs lua5.4 libmicrohttpd libcurl) -lmbedcrypto -lm -lpthread
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <lauxlib.h>
#include <lualib.h>

#include "limit.h"
#include "lstrlib_match.h"
#include "request.h"

static const struct {
    const char *name, *code;
} loops[] = {
    {"1e6 find plain (60-byte subject)", "local s = ('abc '):rep(14) .. 'needle' local f = string.find "
                                         "for i = 1, N do f(s, 'needle', 1, true) end"},
    {"1e6 find, no specials (memmem path)",
     "local s = ('abc '):rep(14) .. 'needle' local f = string.find for i = 1, N do f(s, 'needle') end"},
    {"1e6 find %d+ (60-byte subject)",
     "local s = ('abc '):rep(14) .. '42' local f = string.find for i = 1, N do f(s, '%d+') end"},
    {"1e6 match key=value captures", "local s = 'content-type = application/json' local m = string.match "
                                     "for i = 1, N do m(s, '^%s*([%w%-]+)%s*=%s*(.-)%s*$') end"},
    {"1e6 trim of a 17-byte string",
     "local s = '  hello world  ' local m = string.match for i = 1, N do m(s, '^%s*(.-)%s*$') end"},
    {"1e5 gsub %s+ on 60 bytes", "local s = ('a  b\\t'):rep(12) for i = 1, N / 10 do s:gsub('%s+', ' ') end"},
    {"1e5 gmatch %a+ over 12 words",
     "local s = ('word '):rep(12) for i = 1, N / 10 do for w in s:gmatch('%a+') do end end"},
    {"100 match (.*)$ on 100 KB", "local s = ('x'):rep(1e5) for i = 1, N / 1e4 do s:match('^(.*)$') end"},
};

static double run(lua_State *L, const char *code)
{
    double best = 1e9;
    for (int round = 0; round < 5; round++) {
        double start = fl_now();
        if (luaL_dostring(L, code) != LUA_OK) {
            fprintf(stderr, "%s\n", lua_tostring(L, -1));
            return -1;
        }
        double t = fl_now() - start;
        if (t < best)
            best = t;
    }
    return best;
}

/* A state as a worker has it: fl_limits_alloc, the deadline hook armed
 * (a deadline an hour away), fnlua's matching or the standard one. */
static lua_State *open_state(fl_limits *lim, int fnlua, double n)
{
    memset(lim, 0, sizeof *lim);
    lua_State *L = lua_newstate(fl_limits_alloc, lim);
    luaL_openlibs(L);
    if (fnlua)
        fl_strmatch_openstate(L);
    lua_pushnumber(L, n);
    lua_setglobal(L, "N");
    fl_limits_begin(L, lim, 0, fl_now() + 3600);
    return L;
}

int main(int argc, char **argv)
{
    fl_limits lim_std, lim_fl;
    if (argc == 3) {
        size_t i = (size_t)atoi(argv[2]);
        lua_State *L = open_state(&lim_fl, strcmp(argv[1], "fnlua") == 0, 1e5);
        if (i >= sizeof loops / sizeof *loops || luaL_dostring(L, loops[i].code) != LUA_OK)
            return 1;
        fl_limits_end(L, &lim_fl);
        lua_close(L);
        return 0;
    }
    lua_State *std = open_state(&lim_std, 0, 1e6), *fl = open_state(&lim_fl, 1, 1e6);
    printf("| loop | standard (ms) | fnlua (ms) | fnlua / standard |\n|---|---|---|---|\n");
    for (size_t i = 0; i < sizeof loops / sizeof *loops; i++) {
        double a = run(std, loops[i].code), b = run(fl, loops[i].code);
        printf("| %s | %.1f | %.1f | %.2f |\n", loops[i].name, a * 1e3, b * 1e3, b / a);
    }
    fl_limits_end(std, &lim_std);
    fl_limits_end(fl, &lim_fl);
    lua_close(std);
    lua_close(fl);
    return 0;
}
