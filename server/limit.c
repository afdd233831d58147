/* limit.c - memory budget and deadline for one Lua state (see limit.h). */
#include "limit.h"

#include <stdlib.h>

#include <lauxlib.h>

#include "request.h"

void *fl_limits_alloc(void *ud, void *ptr, size_t osize, size_t nsize)
{
    fl_limits *lim = ud;
    size_t old = ptr ? osize : 0;
    if (nsize == 0) {
        free(ptr);
        lim->used -= old;
        return NULL;
    }
    if (nsize > old && lim->budget && lim->used - old + nsize > lim->budget) {
        lim->exceeded = 1;
        return NULL;
    }
    void *p = realloc(ptr, nsize);
    if (!p)
        return NULL; /* a failed shrink keeps the old block: Lua handles it */
    lim->used = lim->used - old + nsize;
    if (lim->used > lim->peak)
        lim->peak = lim->used;
    return p;
}

static void deadline_hook(lua_State *L, lua_Debug *ar);

static fl_limits *limits_of(lua_State *L)
{
    void *ud;
    lua_getallocf(L, &ud);
    return ud;
}

void fl_limits_expire(lua_State *L)
{
    fl_limits *lim = limits_of(L);
    lim->timed_out = 1;
    /* fire again at the very next instruction: a pcall in the handler that
     * catches this error cannot go on running */
    lua_sethook(L, deadline_hook, LUA_MASKCOUNT, 1);
    luaL_error(L, "invocation timed out");
    abort(); /* not reached */
}

static void cancel_now(lua_State *L, fl_limits *lim)
{
    lim->cancelled = 1;
    lua_sethook(L, deadline_hook, LUA_MASKCOUNT, 1);
    luaL_error(L, "invocation cancelled: the instance is shutting down");
}

void fl_limits_check(lua_State *L)
{
    fl_limits *lim = limits_of(L);
    if (lim->cancel && atomic_load_explicit(lim->cancel, memory_order_relaxed))
        cancel_now(L, lim);
    if (lim->deadline && fl_now() >= lim->deadline)
        fl_limits_expire(L);
}

static void deadline_hook(lua_State *L, lua_Debug *ar)
{
    (void)ar;
    fl_limits *lim = limits_of(L);
    if (lim->cancel && atomic_load_explicit(lim->cancel, memory_order_relaxed))
        cancel_now(L, lim);
    if (!lim->deadline && !lim->slice_end)
        return;
    double now = fl_now();
    if (lim->slice_end && now >= lim->slice_end && lua_isyieldable(L) &&
        (L == lim->slice_thread || (lim->relays && lim->relays(L)))) {
        lim->slice_end = 0;
        lim->paused = 1;
        lua_yield(L, 0); /* from a hook: returns, and Lua yields after it */
        return;
    }
    if (lim->deadline && now >= lim->deadline)
        fl_limits_expire(L);
}

void fl_limits_begin(lua_State *L, fl_limits *lim, size_t budget, double deadline)
{
    lim->budget = budget;
    lim->exceeded = 0;
    lim->peak = lim->used;
    lim->deadline = deadline;
    lim->timed_out = 0;
    lim->cancelled = 0;
    lim->slice_end = 0;
    lim->slice_thread = NULL;
    lim->paused = 0;
    if (deadline > 0)
        lua_sethook(L, deadline_hook, LUA_MASKCOUNT, FL_HOOK_COUNT);
}

void fl_limits_end(lua_State *L, fl_limits *lim)
{
    lua_sethook(L, NULL, 0, 0);
    lim->budget = 0;
    lim->deadline = 0;
    lim->slice_end = 0;
}

void fl_limits_arm(lua_State *co)
{
    lua_sethook(co, deadline_hook, LUA_MASKCOUNT, FL_HOOK_COUNT);
}

void fl_limits_enter(fl_limits *lim, const fl_limits_run *run, size_t budget, lua_State *co, double slice_end)
{
    lim->budget = budget;
    lim->exceeded = 0;
    lim->peak = lim->used;
    lim->deadline = run->deadline;
    lim->timed_out = run->timed_out;
    lim->cancelled = run->cancelled;
    lim->slice_end = slice_end;
    lim->slice_thread = co;
    lim->paused = 0;
}

void fl_limits_leave(fl_limits *lim, fl_limits_run *run)
{
    run->timed_out = lim->timed_out;
    run->cancelled = lim->cancelled;
    run->exceeded |= lim->exceeded;
    lim->budget = 0;
    lim->deadline = 0;
    lim->slice_end = 0;
    lim->slice_thread = NULL;
}
