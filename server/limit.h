/*
 * limit.h - memory budget and deadline for one Lua state.
 *
 * Memory: fl_limits_alloc is the state's lua_Alloc (ud = fl_limits).  It
 * counts the bytes the state holds and refuses growth past the budget, so
 * the allocation fails inside Lua (a catchable "not enough memory") instead
 * of the container being OOM-killed.  Frees and shrinks never fail; with
 * ptr == NULL the old-size argument is a type tag, not a size.
 *
 * Deadline: a count hook checks a monotonic deadline every FL_HOOK_COUNT VM
 * instructions; once expired it re-arms itself to fire on every
 * instruction, so a handler's own pcall cannot swallow the timeout.
 *
 * Time slice: the same hook ends an invocation's slice on the HTTP thread.
 * When the slice is over and the invocation's own coroutine can yield, the
 * hook yields it (lua_yield from a count hook); the caller then hands the
 * paused invocation to a worker thread (see runtime.c).
 */
#ifndef FL_LIMIT_H
#define FL_LIMIT_H

#include <stddef.h>

#include <lua.h>

#define FL_HOOK_COUNT 1000

typedef struct fl_limits {
    size_t used;     /* bytes held by the state now */
    size_t peak;     /* high-water mark since the last fl_limits_begin */
    size_t budget;   /* 0 = unlimited */
    int exceeded;    /* an allocation was refused since fl_limits_begin */
    double deadline; /* monotonic seconds; 0 = none */
    int timed_out;
    int cancelled;           /* stopped by fl_limits_cancel_all */
    double slice_end;        /* monotonic seconds; 0 = run to completion */
    lua_State *slice_thread; /* only this coroutine is paused at the slice's end */
    int paused;              /* the hook yielded slice_thread */
} fl_limits;

void *fl_limits_alloc(void *ud, void *ptr, size_t osize, size_t nsize);

/* Starts an invocation: budget in bytes (0 = unlimited), deadline (0 = none). */
void fl_limits_begin(lua_State *L, fl_limits *lim, size_t budget, double deadline);
/* A time slice for the call running in thread co (0: none). */
void fl_limits_slice(fl_limits *lim, lua_State *co, double slice_end);
/* Ends it: removes the hook, lifts the budget so error handling can allocate. */
void fl_limits_end(lua_State *L, fl_limits *lim);
/* Shutdown past its grace period: every running call stops at its next hook. */
void fl_limits_cancel_all(void);

#endif
