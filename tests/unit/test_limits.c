/*
 * test_limits.c - limit.c: the budgeted allocator on its own and as the
 * lua_Alloc of a real state, and the deadline hook against loops that try
 * to outlive it (including ones that pcall the timeout away).
 *
 * A watchdog alarm turns a hook that never fires into a failed test
 * instead of a hung one.
 */
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <lauxlib.h>
#include <lualib.h>

#include "check.h"
#include "limit.h"
#include "request.h"

#define KiB ((size_t)1024)
#define MiB ((size_t)1024 * 1024)

static const char *running = "start";

static void watchdog(int sig)
{
    (void)sig;
    static const char msg[] = "test_limits: FAIL: watchdog fired after 30 s, a limit did not stop: ";
    if (write(2, msg, sizeof msg - 1) < 0 || write(2, running, strlen(running)) < 0 || write(2, "\n", 1) < 0)
        _exit(1);
    _exit(1);
}

/* ---------------------------------------------------------------- the allocator alone */

static void test_allocator(void)
{
    fl_limits lim;
    memset(&lim, 0, sizeof lim);
    lim.budget = 1000;

    char *p = fl_limits_alloc(&lim, NULL, LUA_TTABLE, 100);
    CHECK("new block of 100 within budget 1000 -> allocated", p != NULL);
    CHECK_INT("new block with ptr NULL -> osize is a type tag, used grows by nsize", lim.used, 100);
    memset(p, 1, 100);

    char *q = fl_limits_alloc(&lim, NULL, LUA_TTHREAD, 50);
    CHECK("second new block (tag LUA_TTHREAD) -> allocated", q != NULL);
    CHECK_INT("second new block -> used 150, the tag never subtracted", lim.used, 150);

    p = fl_limits_alloc(&lim, p, 100, 950);
    CHECK("growth 100 -> 950 reaching the budget exactly -> allowed", p != NULL);
    CHECK_INT("growth to the budget -> used 1000", lim.used, 1000);
    CHECK_INT("growth to the budget -> exceeded not set", lim.exceeded, 0);
    CHECK_INT("growth to the budget -> peak 1000", lim.peak, 1000);

    char *r = fl_limits_alloc(&lim, p, 950, 951);
    CHECK("growth one byte past the budget -> refused (NULL)", r == NULL);
    CHECK_INT("refused growth -> exceeded set", lim.exceeded, 1);
    CHECK_INT("refused growth -> used unchanged", lim.used, 1000);
    memset(p, 2, 950); /* the old block is still ours (ASan would object otherwise) */

    CHECK("new block past the budget -> refused (NULL)", fl_limits_alloc(&lim, NULL, LUA_TSTRING, 1) == NULL);

    lim.budget = 500; /* now over budget: frees and shrinks must still work */
    p = fl_limits_alloc(&lim, p, 950, 600);
    CHECK("shrink 950 -> 600 while over budget -> allowed", p != NULL);
    CHECK_INT("shrink while over budget -> used 650", lim.used, 650);
    CHECK("growth 600 -> 601 while over budget -> refused", fl_limits_alloc(&lim, p, 600, 601) == NULL);
    CHECK("same-size realloc while over budget -> allowed", (p = fl_limits_alloc(&lim, p, 600, 600)) != NULL);
    CHECK("free while over budget -> returns NULL", fl_limits_alloc(&lim, p, 600, 0) == NULL);
    CHECK_INT("free while over budget -> used drops by the block size", lim.used, 50);
    CHECK("free of the tagged block -> returns NULL", fl_limits_alloc(&lim, q, 50, 0) == NULL);
    CHECK_INT("free of every block -> used 0", lim.used, 0);
    CHECK_INT("frees -> exceeded stays set until the next begin", lim.exceeded, 1);
    CHECK_INT("frees -> peak kept", lim.peak, 1000);

    lim.budget = 0;
    p = fl_limits_alloc(&lim, NULL, LUA_TUSERDATA, 16 * MiB);
    CHECK("budget 0 -> unlimited, 16 MiB allocated", p != NULL);
    CHECK_INT("budget 0 -> used counts the block", lim.used, 16 * MiB);
    fl_limits_alloc(&lim, p, 16 * MiB, 0);
    CHECK_INT("budget 0 -> free counts back to 0", lim.used, 0);
    CHECK("free of NULL -> NULL, no change", fl_limits_alloc(&lim, NULL, LUA_TSTRING, 0) == NULL);
    CHECK_INT("free of NULL -> used still 0", lim.used, 0);
}

/* ---------------------------------------------------------------- a real state */

static double elapsed;

/* Runs code in protected mode; returns the status, *out = result or message. */
static int run(lua_State *L, const char *code, char *out, size_t outlen)
{
    running = code;
    double t0 = fl_now();
    int rc = luaL_loadstring(L, code);
    if (rc == LUA_OK)
        rc = lua_pcall(L, 0, 1, 0);
    elapsed = fl_now() - t0;
    const char *s = lua_tostring(L, -1);
    snprintf(out, outlen, "%s", s ? s : (rc == LUA_OK ? "(no string result)" : "(non-string error)"));
    lua_settop(L, 0);
    return rc;
}

static void test_memory_in_state(lua_State *L, fl_limits *lim)
{
    char out[256];
    size_t budget = lim->used + 4 * MiB;
    fl_limits_begin(L, lim, budget, 0);
    CHECK_INT("begin -> exceeded cleared", lim->exceeded, 0);
    CHECK_INT("begin -> peak starts at used", lim->peak, lim->used);

    int rc = run(L, "local t = {} for i = 1, 1e8 do t[i] = i end return 'finished'", out, sizeof out);
    CHECK_INT("table growing past a 4 MiB budget -> LUA_ERRMEM", rc, LUA_ERRMEM);
    CHECK_STR("table growing past the budget -> \"not enough memory\"", out, "not enough memory");
    CHECK_INT("table growing past the budget -> exceeded set", lim->exceeded, 1);
    CHECK("table growing past the budget -> peak never above the budget", lim->peak <= budget);

    rc = run(L, "local t = {} for i = 1, 10000 do t[i] = i end return tostring(#t)", out, sizeof out);
    CHECK_INT("same budget after a memory error -> small table works", rc, LUA_OK);
    CHECK_STR("same budget after a memory error -> right result", out, "10000");

    rc = run(L, "local s = 'x' while true do s = s .. s end", out, sizeof out);
    CHECK_INT("string doubling past the budget -> LUA_ERRMEM", rc, LUA_ERRMEM);

    rc = run(L,
             "local ok, e = pcall(function() local t = {} for i = 1, 1e8 do t[i] = {} end end)\n"
             "return tostring(ok) .. ' ' .. tostring(e)",
             out, sizeof out);
    CHECK_INT("memory error inside the handler's pcall -> caught by it", rc, LUA_OK);
    CHECK_STR("memory error inside the handler's pcall -> false + message", out, "false not enough memory");

    fl_limits_end(L, lim);
    CHECK_INT("end -> budget lifted", lim->budget, 0);
    rc = run(L, "return tostring(#string.rep('x', 8 * 1024 * 1024))", out, sizeof out);
    CHECK_INT("after end -> 8 MiB string (past the old budget) works", rc, LUA_OK);
    CHECK_STR("after end -> 8 MiB string has its length", out, "8388608");
    lua_gc(L, LUA_GCCOLLECT);
    CHECK("after end and a collection -> heap back under 1 MiB", lim->used < MiB);
}

static void test_deadline_in_state(lua_State *L, fl_limits *lim)
{
    char out[256];
    static const char *const loops[] = {
        "while true do end",
        "while true do pcall(function() while true do end end) end",
        "while true do xpcall(function() while true do end end, function(m) return m end) end",
        "while true do pcall(pcall, function() while true do end end) end",
        "local co = coroutine.wrap(function() while true do end end) co()",
        "while true do pcall(coroutine.wrap(function() while true do end end)) end",
        "local function f() return f() end f()", /* a proper tail call loops without growing the stack */
        "while true do pcall(string.rep, 'x', 10) end",
    };
    char name[300];
    for (size_t i = 0; i < sizeof loops / sizeof loops[0]; i++) {
        fl_limits_begin(L, lim, 0, fl_now() + 0.05);
        int rc = run(L, loops[i], out, sizeof out);
        snprintf(name, sizeof name, "`%s` with a 50 ms deadline -> error", loops[i]);
        CHECK_INT(name, rc, LUA_ERRRUN);
        snprintf(name, sizeof name, "`%s` with a 50 ms deadline -> \"timed out\" message", loops[i]);
        CHECK_CONTAINS(name, out, "timed out");
        snprintf(name, sizeof name, "`%s` with a 50 ms deadline -> timed_out set", loops[i]);
        CHECK_INT(name, lim->timed_out, 1);
        snprintf(name, sizeof name, "`%s` with a 50 ms deadline -> stopped within 5 s", loops[i]);
        CHECK(name, elapsed >= 0.04 && elapsed < 5.0);
        fl_limits_end(L, lim);

        snprintf(name, sizeof name, "after `%s` timed out and end -> no hook left", loops[i]);
        CHECK(name, lua_gethook(L) == NULL && lua_gethookmask(L) == 0);
        rc = run(L, "local s = 0 for i = 1, 1e6 do s = s + i end return tostring(s)", out, sizeof out);
        snprintf(name, sizeof name, "after `%s` timed out -> state runs code normally", loops[i]);
        CHECK_INT(name, rc, LUA_OK);
        CHECK_STR(name, out, "500000500000");
    }

    fl_limits_begin(L, lim, 0, fl_now() + 5.0);
    int rc = run(L, "local s = 0 for i = 1, 1e6 do s = s + i end return tostring(s)", out, sizeof out);
    CHECK_INT("1e6 iterations with a 5 s deadline -> no timeout", rc, LUA_OK);
    CHECK_INT("1e6 iterations with a 5 s deadline -> timed_out not set", lim->timed_out, 0);
    fl_limits_end(L, lim);

    fl_limits_begin(L, lim, 0, 0);
    rc = run(L, "local s = 0 for i = 1, 1e6 do s = s + i end return tostring(s)", out, sizeof out);
    CHECK_INT("deadline 0 -> no hook, code runs", rc, LUA_OK);
    CHECK("deadline 0 -> no hook installed", lua_gethook(L) == NULL);
    fl_limits_end(L, lim);

    fl_limits_begin(L, lim, 0, fl_now() - 1.0);
    rc = run(L, "local x = 0 for i = 1, 1e7 do x = x + 1 end return 'finished'", out, sizeof out);
    CHECK_INT("deadline already past -> error at the first hook", rc, LUA_ERRRUN);
    CHECK_CONTAINS("deadline already past -> timed out", out, "timed out");
    fl_limits_end(L, lim);

    /* timeout and memory budget together: the timeout is reported, the budget untouched */
    fl_limits_begin(L, lim, lim->used + 4 * MiB, fl_now() + 0.05);
    rc = run(L, "local t = {} while true do t[1] = {} end", out, sizeof out);
    CHECK_INT("busy loop with a budget and a deadline -> timeout error", rc, LUA_ERRRUN);
    CHECK_INT("busy loop with a budget and a deadline -> exceeded not set", lim->exceeded, 0);
    fl_limits_end(L, lim);
}

/* The runtime's cancel flag stops a loop that pcalls everything away; a
 * limits without the flag set runs on as before. */
static void test_cancel(lua_State *L, fl_limits *lim)
{
    char out[256];
    atomic_int cancel = 0;
    lim->cancel = &cancel;
    fl_limits_begin(L, lim, 0, fl_now() + 0.05);
    int rc = run(L, "local n = 0 while n < 1e5 do n = n + 1 end", out, sizeof out);
    CHECK_INT("cancel flag clear -> a short loop runs to its end", rc, LUA_OK);
    fl_limits_end(L, lim);

    fl_limits_begin(L, lim, 0, fl_now() + 20.0);
    atomic_store(&cancel, 1);
    rc = run(L, "while true do pcall(function() while true do end end) end", out, sizeof out);
    CHECK_INT("cancel flag set -> running loop stopped with an error", rc, LUA_ERRRUN);
    CHECK_CONTAINS("cancel flag set -> message says shutting down", out, "shutting down");
    CHECK_INT("cancel flag set -> cancelled set", lim->cancelled, 1);
    CHECK("cancel flag set -> well before the deadline", elapsed < 5.0);
    fl_limits_end(L, lim);
    lim->cancel = NULL;
}

int main(void)
{
    signal(SIGALRM, watchdog);
    alarm(30);
    test_allocator();

    fl_limits lim;
    memset(&lim, 0, sizeof lim);
    lua_State *L = lua_newstate(fl_limits_alloc, &lim);
    CHECK("lua_newstate with fl_limits_alloc -> a state", L != NULL);
    if (!L)
        return check_finish("test_limits");
    luaL_openlibs(L);
    CHECK("a fresh state with the standard libraries -> counted in used", lim.used > 10 * KiB);
    test_memory_in_state(L, &lim);
    test_deadline_in_state(L, &lim);
    test_cancel(L, &lim);
    lua_close(L);
    CHECK_INT("lua_close -> every byte given back (used 0)", lim.used, 0);
    return check_finish("test_limits");
}
