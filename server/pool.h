/*
 * pool.h - worker threads and the job queue that feeds them.
 *
 * N threads take jobs from one queue.  A job arrives with the Lua state
 * (worker) it must run on already chosen by the runtime, so a thread never
 * waits for a state: it runs the job and asks the runtime for the next.
 * Jobs are requests that could not run on the HTTP thread (every state was
 * busy, the state had to load first, or the invocation outlived its slice
 * there) and the per-state control jobs of /init and SIGHUP.  Knows
 * nothing of HTTP or Lua.
 */
#ifndef FL_POOL_H
#define FL_POOL_H

#include "request.h"

typedef struct fl_job fl_job;
typedef void (*fl_job_fn)(fl_job *job);

struct fl_job {
    fl_request req;
    fl_response resp;
    fl_job_fn done;    /* the response is filled; called once, from the thread that finished it */
    fl_job_fn suspend; /* called before the job is handed to another thread (HTTP: suspend the connection) */
    void *ud;
    int worker; /* the Lua state it runs on (set by the runtime) */
    int resume; /* continue an invocation paused at the end of its slice */
    fl_job *next;
};

typedef struct fl_pool fl_pool;
typedef void (*fl_pool_run_fn)(void *ctx, int thread, fl_job *job);

fl_pool *fl_pool_create(int n, fl_pool_run_fn run, void *ctx);
void fl_pool_submit(fl_pool *p, fl_job *job);
/* Runs what is queued, then joins the threads. */
void fl_pool_stop(fl_pool *p);
void fl_pool_free(fl_pool *p);

#endif
