/*
 * pool.h - worker threads and the job queue between them and the HTTP side.
 *
 * N threads, each owning worker i (and so one Lua state).  A job goes to
 * whichever worker is idle first (fl_pool_submit), or to one given worker
 * (fl_pool_submit_to: /init must reach every Lua state).  A worker runs one
 * job at a time; a slow job holds only its own worker.  Knows nothing of
 * HTTP or Lua: the run function does the work and calls job->done.
 */
#ifndef FL_POOL_H
#define FL_POOL_H

#include "request.h"

typedef struct fl_job fl_job;
typedef void (*fl_job_done_fn)(fl_job *job);

struct fl_job {
    fl_request req;
    fl_response resp;
    fl_job_done_fn done; /* called once the response is filled, from a worker thread */
    void *ud;
    fl_job *next;
};

typedef struct fl_pool fl_pool;
typedef void (*fl_pool_run_fn)(void *ctx, int worker, fl_job *job);

fl_pool *fl_pool_create(int n, fl_pool_run_fn run, void *ctx);
/* 0 when queued; -1 once the pool is stopping (the job is not taken). */
int fl_pool_submit(fl_pool *p, fl_job *job);
void fl_pool_submit_to(fl_pool *p, int worker, fl_job *job);
/* Lets queued and running jobs finish, then joins the threads.  When that
 * takes longer than grace_s seconds, expire(ctx) is called once (it should
 * make running jobs stop) and the rest drains.  grace_s < 0: no bound. */
void fl_pool_stop(fl_pool *p, double grace_s, void (*expire)(void *ctx));
void fl_pool_free(fl_pool *p);

#endif
