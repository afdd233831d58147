/*
 * runtime.h - the function instance: Lua states, who runs what on them, and
 * the init record.
 *
 * Decides what a job means: /init loads the handler into every Lua state
 * once and remembers the first outcome; /invoke initializes its state
 * lazily, and fails fast once init has failed.  Schedules invocations on
 * Lua states (worker.h): many may be in flight in one state, each in its
 * own coroutine; one thread at a time holds a state.  A new request runs
 * on the HTTP thread that received it when a state is free, for a short
 * time slice; an invocation that outlives its slice, waits on an outbound
 * call or a sleep (loop.h), must load first, or finds every state busy is
 * carried on by the state's loop thread — one per Lua state, which also
 * drives that state's outbound calls.  At most --concurrency invocations
 * are in flight; the rest wait in arrival order.  The HTTP glue and
 * `fnlua invoke` both talk only to this interface.  Code changes (--reload,
 * SIGHUP) bump a generation; the init record belongs to one generation, so
 * fixed code clears a failed init.  Uses worker.h, loop.h, reload.h.
 */
#ifndef FL_RUNTIME_H
#define FL_RUNTIME_H

#include "config.h"
#include "request.h"

typedef struct fl_job fl_job;
typedef void (*fl_job_fn)(fl_job *job);

/* One request for the runtime, and its answer.  Owned by the caller, which
 * keeps it until done is called (or submit answered at once). */
struct fl_job {
    fl_request req;
    fl_response resp;
    fl_job_fn done;    /* the response is filled; called once, from the thread that finished it */
    fl_job_fn suspend; /* called before the answer is left to another thread (HTTP: park the connection) */
    /* Called from the runtime's supervisor when the code running this job
     * never returned: send answer to the client now, without waiting for
     * the job, and keep the job itself alive (the stuck thread may still
     * use it).  on_its_thread: the stuck code runs on the HTTP thread that
     * received the job, inside fl_runtime_submit. */
    void (*abandon)(fl_job *job, const fl_response *answer, int on_its_thread);
    void *ud;
    fl_job *next;                      /* the runtime's queues */
    fl_job *flight_prev, *flight_next; /* the runtime's: in flight in a Lua state */
    void *where;                       /* the runtime's: that Lua state */
    void *inv;                         /* the runtime's: its invocation there */
    double answer_by;                  /* the runtime's: its timeout is answered then, started or not */
    int timeout_s;
};

typedef struct fl_runtime fl_runtime;

/* threaded: --workers Lua states, each with its loop thread, and requests
 * start on the HTTP thread that received them (serve); otherwise one Lua
 * state and jobs run on the caller's thread (fnlua invoke). */
fl_runtime *fl_runtime_create(const fl_config *cfg, int threaded);
void fl_runtime_destroy(fl_runtime *rt);

/* Called on the HTTP thread.  Returns 1 when the job was answered at once
 * (resp filled, done not called): failed init, or the invocation ran to its
 * end right here, within its time slice.  Returns 0 when it goes on
 * elsewhere: job->suspend was called first, done is called later.  Returns
 * -1 when its code got stuck right here and the supervisor answered it
 * through job->abandon meanwhile: the connection should be closed; the
 * runtime no longer uses the job. */
int fl_runtime_submit(fl_runtime *rt, fl_job *job);
/* Runs the job to completion on the calling thread (unthreaded runtimes). */
void fl_runtime_run(fl_runtime *rt, fl_job *job);

/* 0 once init has failed (the instance is broken) or more Lua states are
 * stuck in code that never returns than --workers, else 1.  detail (may be
 * NULL) gets a JSON array describing the stuck states ("[]": none). */
int fl_runtime_healthy(fl_runtime *rt, fl_buf *detail);
/* SIGHUP: every Lua state is rebuilt with the current code once the
 * invocations in flight in it have finished (it starts no new ones
 * meanwhile); a state whose new code does not load keeps the old one. */
void fl_runtime_swap(fl_runtime *rt);
/* Refuses new requests, lets running and waiting invocations finish within
 * grace_s seconds (then cancels them), stops the threads and runs the
 * shutdown hooks.  -1 when an invocation could not be stopped (stuck in C
 * code): the states are still in use, so the caller should just exit. */
int fl_runtime_stop(fl_runtime *rt, double grace_s);

#endif
