/*
 * worker.h - one Lua state and everything that belongs to it.
 *
 * A worker owns its Lua state (fl_state: the lua_State with its memory
 * budget and deadline, limit.h, and the loaded handler, loader.h), the
 * invocations in flight in it (fl_inv: each a coroutine with its own
 * context, deadline and waiter) and reusable buffers.  The limits are
 * reachable from the lua_State through the allocator's ud.  One thread at a
 * time touches a worker: the one the runtime lets hold it (an HTTP thread
 * for a time slice, or the state's loop thread).  The functions here run
 * one step in the state (load, a slice of an invocation, shutdown hook)
 * through call.h and turn every failure into an error object of the kind
 * (errors.h) that the step knows it to be.
 */
#ifndef FL_WORKER_H
#define FL_WORKER_H

#include <stdatomic.h>

#include <lua.h>

#include "call.h"
#include "config.h"
#include "context.h"
#include "convert.h"
#include "limit.h"
#include "loader.h"
#include "loop.h"
#include "request.h"

/* One Lua state with what was loaded into it.  Two may exist at once while
 * a SIGHUP rebuild prepares the replacement. */
typedef struct fl_state {
    fl_limits limits; /* first: the allocator's ud and the deadline hook find it */
    lua_State *L;
    fl_loaded loaded;
    int ready;              /* handler loaded and initializer run in this state */
    fl_errkind fails_as;    /* what a failure of the main thread's call is: load or initializer */
    fl_waiter *running;     /* waiter of the invocation running now (loop.h's slot) */
    fl_invocation *current; /* its context: what print logs under (context.h) */
    int free_refs[32];      /* finished coroutines kept for the next invocations */
    int n_free;
    int inflight;          /* invocations started in this state and not finished */
    int retiring;          /* replaced: 1 close when empty, 2 run the shutdown hook first */
    struct fl_state *next; /* the worker's list of retiring states */
} fl_state;

/* DONE: resp is filled.  PAUSED: the time slice ended; continue it soon.
 * WAITING: suspended on outbound work; waiter.ready says when to continue. */
typedef enum { FL_RUN_DONE, FL_RUN_PAUSED, FL_RUN_WAITING } fl_run;

typedef struct fl_worker fl_worker;

/* One invocation in flight in a worker's Lua state: many may be, each in
 * its own coroutine, with its own context, deadline and error. */
typedef struct fl_inv {
    fl_worker *w;
    fl_state *st; /* the state it runs in: a rebuild does not move it */
    const fl_request *req;
    fl_response *resp;
    lua_State *co;
    int co_ref;
    fl_invocation ctx;
    fl_limits_run lim;
    size_t budget;
    fl_waiter waiter;    /* ready() and ud are the runtime's */
    fl_errkind fails_as; /* what a failure now is: InvalidEvent, HandlerError, ResultError */
    double started;
    struct fl_inv *next; /* the runtime's queues */
    void *job;           /* the runtime's */
} fl_inv;

struct fl_worker {
    int id;
    int n_workers;
    const fl_config *cfg;
    size_t budget;            /* Lua heap bytes the state may hold during a call */
    fl_state *st;             /* the state new invocations start in */
    fl_state *retired;        /* replaced states that invocations still run in */
    fl_loop *loop;            /* where this state's invocations wait (NULL: they wait in place) */
    const atomic_int *cancel; /* the runtime's "stop everything" flag */
    unsigned generation;      /* code generation the state was loaded from (--reload) */
    int inflight;             /* invocations started in the state and not finished */
    fl_invocation idle_ctx;   /* the context of load, initializer and shutdown hook */
    fl_inv *spare;            /* finished invocation records, for reuse */
    fl_error err;
    fl_envelope env;
};

int fl_worker_init(fl_worker *w, const fl_config *cfg, int id, int n_workers, fl_loop *loop, const atomic_int *cancel);
void fl_worker_free(fl_worker *w);
int fl_worker_ready(const fl_worker *w);

/* Loads the handler module and runs the initializer with a context built
 * from req.  0 on success; -1 with resp holding the error object. */
int fl_worker_load(fl_worker *w, const fl_request *req, fl_response *resp);

/* A new invocation of req, answered in resp (both live until it is done),
 * its context (request id, deadline) set; NULL when out of memory.  ready(&inv->waiter) is called (on the loop's
 * thread) when a WAITING invocation can continue. */
fl_inv *fl_worker_inv_new(fl_worker *w, const fl_request *req, fl_response *resp, void (*ready)(fl_waiter *),
                          void *job);
/* Runs it for at most slice_s seconds (0: until it ends or waits). */
fl_run fl_worker_start(fl_worker *w, fl_inv *inv, double slice_s);
/* Goes on with a PAUSED or a WAITING invocation whose waits ended. */
fl_run fl_worker_continue(fl_worker *w, fl_inv *inv, double slice_s);
/* After DONE: the record goes back for reuse. */
void fl_worker_inv_free(fl_worker *w, fl_inv *inv);

/* Builds a fresh state and loads the current code into it.  On success new
 * invocations start in it (0); otherwise the current state stays and resp
 * holds the load error (-1).  The replaced state is closed, after its
 * shutdown hook, once the invocations in flight in it have finished. */
int fl_worker_rebuild(fl_worker *w, const fl_request *req, fl_response *resp);
/* Replaces the state by a fresh one with nothing loaded (the next job
 * loads); -1 (the old state stays) when out of memory.  The old one is
 * closed once the invocations in flight in it have finished. */
int fl_worker_reset(fl_worker *w);
/* Runs the shutdown hook, if any; errors are logged. */
void fl_worker_shutdown(fl_worker *w);

/* Instance memory (MB) -> Lua heap budget of one worker, in bytes. */
size_t fl_worker_budget(int memory_mb, int n_workers);

#endif
