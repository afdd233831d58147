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
 * (errors.h) that the step knows it to be.  The interface is plain C (the
 * types are opaque; their Lua insides are worker.c's), so the runtime
 * schedules Lua states without including Lua.
 */
#ifndef FL_WORKER_H
#define FL_WORKER_H

#include <stdatomic.h>

#include "config.h"
#include "loop.h"
#include "request.h"

typedef struct fl_worker fl_worker; /* one Lua state and what belongs to it (worker.c) */
typedef struct fl_inv fl_inv;       /* one invocation in flight in it */

/* DONE: resp is filled.  PAUSED: the time slice ended; continue it soon.
 * WAITING: suspended on outbound work; waiter.ready says when to continue. */
typedef enum { FL_RUN_DONE, FL_RUN_PAUSED, FL_RUN_WAITING } fl_run;

/* A worker with a fresh Lua state (nothing loaded); NULL when out of memory. */
fl_worker *fl_worker_new(const fl_config *cfg, int id, int n_workers, fl_loop *loop, const atomic_int *cancel);
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
/* The job given to fl_worker_inv_new, the invocation's request id (given
 * or generated) and its deadline (monotonic seconds, answer margin taken). */
void *fl_inv_job(const fl_inv *inv);
const char *fl_inv_request_id(const fl_inv *inv);
double fl_inv_answer_by(const fl_inv *inv);

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
