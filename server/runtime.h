/*
 * runtime.h - the function instance: workers, their pool and the init record.
 *
 * Decides what a job means (spec §6): /init loads the handler into every
 * Lua state once and remembers the first outcome; /invoke initializes its
 * worker lazily, and fails fast once init has failed.  Schedules Lua states
 * (workers): a request runs on the HTTP thread that received it when a state
 * is idle, for a short time slice; what outlives the slice, waits for a
 * state, or must load first goes to the worker threads (pool.h).  The HTTP glue and
 * `fnlua invoke` both talk only to this interface.  Code changes (--reload,
 * SIGHUP) bump a generation; the init record belongs to one generation, so
 * fixed code clears a failed init.  Uses pool.h, worker.h, reload.h.
 */
#ifndef FL_RUNTIME_H
#define FL_RUNTIME_H

#include "config.h"
#include "pool.h"

typedef struct fl_runtime fl_runtime;

/* threaded: run workers on their own threads (serve); otherwise jobs run
 * on the caller's thread in worker 0 (fnlua invoke). */
fl_runtime *fl_runtime_create(const fl_config *cfg, int threaded);
void fl_runtime_destroy(fl_runtime *rt);

/* Called on the HTTP thread.  Returns 1 when the job was answered at once
 * (resp filled, done not called): failed init, or the invocation ran to its
 * end right here, within its time slice.  Returns 0 when it went to another
 * thread: job->suspend was called first, done is called later. */
int fl_runtime_submit(fl_runtime *rt, fl_job *job);
/* Runs the job to completion on the calling thread (unthreaded runtimes). */
void fl_runtime_run(fl_runtime *rt, fl_job *job);

/* 0 once init has failed (the instance is broken), else 1. */
int fl_runtime_healthy(fl_runtime *rt);
/* SIGHUP: every worker rebuilds its Lua state with the current code between
 * invocations; a worker whose new state does not load keeps the old one. */
void fl_runtime_swap(fl_runtime *rt);
/* Refuses new requests, lets running and waiting invocations finish within
 * grace_s seconds (then cancels them), stops the threads and runs the
 * shutdown hooks.  -1 when an invocation could not be stopped (stuck in C
 * code): the states are still in use, so the caller should just exit. */
int fl_runtime_stop(fl_runtime *rt, double grace_s);

#endif
