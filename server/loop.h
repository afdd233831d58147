/*
 * loop.h - the waiting room: one event loop per Lua state, where suspended
 * invocations wait for outbound calls and sleeps.
 *
 * An invocation that must wait for something outside Lua does not hold its
 * Lua state or its thread.  The Lua library function (lfetch.c) registers
 * each wait here and yields the invocation's coroutine; the loop's thread
 * (runtime.c runs one per Lua state) drives libcurl's multi interface with
 * epoll (curl_multi_socket_action), keeps the sleeps in a timer heap, and
 * counts each invocation's waits down.  When the last one ends it calls the
 * waiter's ready(), on the loop's thread, and the runtime resumes the
 * invocation on whichever thread next holds the Lua state.
 *
 * Thread rules: fl_loop_add, fl_loop_sleep, fl_loop_wake and
 * fl_loop_cancel_all may be called from any thread (the loop's own lock
 * guards libcurl's multi handle and the heap); fl_loop_poll from one thread
 * at a time.  No callback runs with that lock held.
 *
 * The waiter of the invocation running in a Lua state is found through the
 * state's extra space (fl_wait_current), so a library needs no globals and
 * knows nothing of worker.h or the runtime.  Knows nothing of HTTP serving; of
 * Lua only that lookup.  Uses fetch.h (a transfer's end) and libcurl.
 */
#ifndef FL_LOOP_H
#define FL_LOOP_H

#include <stdatomic.h>
#include <stddef.h>

#include <curl/curl.h>

struct lua_State; /* lua.h's: only pointers to it here */

typedef struct fl_loop fl_loop;
typedef struct fl_fetch fl_fetch;

/* What one invocation waits on.  Owned by the invocation (worker.h). */
typedef struct fl_waiter fl_waiter;
struct fl_waiter {
    fl_loop *loop;              /* the Lua state's loop */
    struct lua_State *co;       /* the invocation's coroutine: only it may suspend */
    double deadline;            /* the invocation's, monotonic seconds (0 = none) */
    atomic_int pending;         /* waits registered and not ended */
    int suspended;              /* the library yielded to wait (not the time slice) */
    void (*ready)(fl_waiter *); /* pending reached 0: resume me (loop's thread) */
    void *ud;
    /* Coroutines the invocation resumed through fnlua's coroutine.resume
     * and coroutine.wrap, innermost last: a wait there is relayed up to the
     * invocation's own coroutine (NULL: a link that cannot yield). */
    struct lua_State *relay[16];
    int n_relay;
};

/* A sleep: lives in the sleeping invocation's Lua stack (lfetch.c). */
typedef struct fl_timer {
    double at; /* monotonic seconds */
    size_t slot;
    fl_waiter *waiter;
} fl_timer;

fl_loop *fl_loop_create(void);
void fl_loop_free(fl_loop *l);

/* Starts transfer f (its waiter set); it ends through fl_fetch_finished. */
void fl_loop_add(fl_loop *l, fl_fetch *f);
/* The response-bytes quota of the state's transfers (fetch.h). */
struct fl_fetch_quota *fl_loop_quota(fl_loop *l);
/* An easy handle kept from an ended call (reset), or NULL. */
CURL *fl_loop_easy(fl_loop *l);
/* Gives an ended call's easy handle back for reuse. */
void fl_loop_easy_done(fl_loop *l, CURL *e);
/* Ends one wait of t->waiter at time at. */
void fl_loop_sleep(fl_loop *l, fl_timer *t, double at);
/* Makes a blocked fl_loop_poll return. */
void fl_loop_wake(fl_loop *l);
/* Ends every wait at once, and every wait registered from now on
 * (shutdown past its grace period): transfers end as cancelled. */
void fl_loop_cancel_all(fl_loop *l);
/* Waits up to max_s seconds (0: only what is ready, < 0: until something
 * happens) for sockets, timers or a wake-up, and ends the waits that are
 * over.  Returns the number of waits ended. */
int fl_loop_poll(fl_loop *l, double max_s);
/* Waits registered and not ended. */
int fl_loop_busy(fl_loop *l);

/* Once per state, before its first coroutine: slot is where the runtime
 * keeps the waiter of the invocation running in the state (NULL while
 * none runs). */
void fl_wait_openstate(struct lua_State *L, fl_waiter **slot);
/* The waiter of the invocation running in L's state, or NULL. */
fl_waiter *fl_wait_current(struct lua_State *L);
/* One wait of w ended (loop's thread): the last one calls w->ready. */
void fl_wait_end(fl_waiter *w);

#endif
