/*
 * limit.h - memory budget of one Lua state, deadline and time slice of the
 * invocation running in it.
 *
 * Memory: fl_limits_alloc is the state's lua_Alloc (ud = fl_limits).  It
 * counts the bytes the state holds and refuses growth past the budget, so
 * the allocation fails inside Lua (a catchable "not enough memory") instead
 * of the container being OOM-killed.  Frees and shrinks never fail; with
 * ptr == NULL the old-size argument is a type tag, not a size.
 *
 * Deadline: a count hook checks a monotonic deadline every FL_HOOK_COUNT VM
 * instructions; once expired it re-arms itself to fire on every
 * instruction, so a handler's own pcall cannot swallow the timeout.  Many
 * invocations take turns in one state: each keeps its deadline and flags in
 * an fl_limits_run, swapped in and out around each resume.  Code that
 * waited outside Lua checks them with fl_limits_check when it comes back.
 *
 * Time slice: the same hook ends a slice of an invocation.  When the slice
 * is over and the invocation's own coroutine can yield, the hook yields it
 * (lua_yield from a count hook); the runtime then leaves the paused
 * invocation to its state's loop thread (see runtime.c).
 */
#ifndef FL_LIMIT_H
#define FL_LIMIT_H

#include <stdatomic.h>
#include <stddef.h>

#include <lua.h>

#define FL_HOOK_COUNT 1000

typedef struct fl_limits {
    size_t used;     /* bytes held by the state now */
    size_t peak;     /* high-water mark since the last fl_limits_begin */
    size_t budget;   /* 0 = unlimited */
    int exceeded;    /* an allocation was refused since fl_limits_begin */
    double deadline; /* of the call running now: monotonic seconds; 0 = none */
    int timed_out;
    int cancelled;              /* stopped through *cancel */
    const atomic_int *cancel;   /* the runtime's "stop everything" flag, or NULL */
    double slice_end;           /* monotonic seconds; 0 = run to completion */
    lua_State *slice_thread;    /* this coroutine is paused at the slice's end, */
    int (*relays)(lua_State *); /* and any that says it passes the pause up to it */
    int paused;                 /* the hook yielded slice_thread */
} fl_limits;

/* The part of the limits that belongs to one invocation when many take
 * turns in a state: saved when it yields, restored when it resumes. */
typedef struct fl_limits_run {
    double deadline;
    int timed_out;
    int cancelled;
    int exceeded;
} fl_limits_run;

void *fl_limits_alloc(void *ud, void *ptr, size_t osize, size_t nsize);

/* Starts a call on L's main thread (load, shutdown hook): budget in bytes
 * (0 = unlimited), deadline (0 = none). */
void fl_limits_begin(lua_State *L, fl_limits *lim, size_t budget, double deadline);
/* Ends it: removes the hook, lifts the budget so error handling can allocate. */
void fl_limits_end(lua_State *L, fl_limits *lim);

/* An invocation's coroutine gets the deadline hook once, when it starts. */
void fl_limits_arm(lua_State *co);
/* Before each resume of an invocation: its own deadline and flags, the
 * state's budget, and a time slice for co ending at slice_end (0: none). */
void fl_limits_enter(fl_limits *lim, const fl_limits_run *run, size_t budget, lua_State *co, double slice_end);
/* After it: the invocation's flags saved into run, the budget lifted. */
void fl_limits_leave(fl_limits *lim, fl_limits_run *run);

/* For code that waited outside Lua (fnlua.sleep, fnlua.http): raises the
 * invocation's cancellation or timeout if it is due, as the hook would. */
void fl_limits_check(lua_State *L);
/* Raises the timeout now and re-arms the hook, so pcall cannot swallow it. */
void fl_limits_expire(lua_State *L) __attribute__((noreturn));

#endif
