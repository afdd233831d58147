/*
 * worker.h - one Lua state and everything that belongs to it.
 *
 * A worker owns its Lua state (fl_state: the lua_State with its memory
 * budget and deadline, limit.h, and the loaded handler, loader.h), the
 * current invocation (context.h) and reusable buffers.  The limits are
 * reachable from the lua_State through the allocator's ud.  Only the
 * worker's own thread touches it.  The functions here run one step in the
 * state (load, invoke, shutdown hook) through fl_call and turn every
 * failure into an error object in the response.
 */
#ifndef FL_WORKER_H
#define FL_WORKER_H

#include <lua.h>

#include "call.h"
#include "config.h"
#include "context.h"
#include "convert.h"
#include "limit.h"
#include "loader.h"
#include "request.h"

typedef enum {
    FL_PHASE_NONE,
    FL_PHASE_LOAD,
    FL_PHASE_INIT,
    FL_PHASE_DECODE,
    FL_PHASE_HANDLER,
    FL_PHASE_ENCODE,
    FL_PHASE_SHUTDOWN
} fl_phase;

/* One Lua state with what was loaded into it.  Two may exist at once while
 * a SIGHUP rebuild prepares the replacement. */
typedef struct fl_state {
    fl_limits limits; /* first: the allocator's ud and the deadline hook find it */
    lua_State *L;
    lua_State *co; /* the coroutine invocations run in (anchored by co_ref) */
    int co_ref;
    fl_loaded loaded;
    int ready; /* handler loaded and initializer run in this state */
} fl_state;

typedef enum { FL_RUN_DONE, FL_RUN_PAUSED } fl_run;

typedef struct fl_worker {
    int id;
    int n_workers;
    const fl_config *cfg;
    size_t budget; /* Lua heap bytes the state may hold during a call */
    fl_state *st;
    unsigned generation; /* code generation the state was loaded from (--reload) */
    fl_invocation inv;
    fl_phase phase;
    fl_error err;
    fl_envelope env;
    fl_buf scratch;
    fl_response *resp; /* of the invocation running or paused */
    double started;
    unsigned long invocations;
} fl_worker;

int fl_worker_init(fl_worker *w, const fl_config *cfg, int id, int n_workers);
void fl_worker_free(fl_worker *w);
int fl_worker_ready(const fl_worker *w);

/* Loads the handler module and runs the initializer with a context built
 * from req.  0 on success; -1 with resp holding the error object. */
int fl_worker_load(fl_worker *w, const fl_request *req, fl_response *resp);
/* Runs the handler on req (event or HTTP function) and fills resp.  With
 * slice_s > 0 the invocation may be paused when the slice is over
 * (FL_RUN_PAUSED): fl_worker_continue goes on, from any thread, and fills
 * resp when it is done.  req and resp must live until then. */
fl_run fl_worker_start(fl_worker *w, const fl_request *req, fl_response *resp, double slice_s);
fl_run fl_worker_continue(fl_worker *w, double slice_s);
/* Builds a fresh state and loads the current code into it.  On success it
 * replaces the running state (0); otherwise the running state stays and
 * resp holds the load error (-1). */
int fl_worker_rebuild(fl_worker *w, const fl_request *req, fl_response *resp);
/* Replaces the state by a fresh one with nothing loaded (the next job loads). */
int fl_worker_reset(fl_worker *w);
/* Runs the shutdown hook, if any; errors are logged. */
void fl_worker_shutdown(fl_worker *w);

/* Instance memory (MB) -> Lua heap budget of one worker, in bytes. */
size_t fl_worker_budget(int memory_mb, int n_workers);

#endif
