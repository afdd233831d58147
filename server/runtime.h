/*
 * runtime.h - the function instance: workers, their pool and the init record.
 *
 * Decides what a job means (spec §6): /init loads the handler into every
 * Lua state once and remembers the first outcome; /invoke initializes its
 * worker lazily, and fails fast once init has failed.  The HTTP glue and
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

/* Returns 1 when the job was answered at once (resp filled, done not
 * called), 0 when it was queued (done is called later, from a worker). */
int fl_runtime_submit(fl_runtime *rt, fl_job *job);
/* Runs the job to completion on the calling thread (unthreaded runtimes). */
void fl_runtime_run(fl_runtime *rt, fl_job *job);

/* 0 once init has failed (the instance is broken), else 1. */
int fl_runtime_healthy(fl_runtime *rt);
/* SIGHUP: every worker rebuilds its Lua state with the current code between
 * invocations; a worker whose new state does not load keeps the old one. */
void fl_runtime_swap(fl_runtime *rt);
/* Stops the workers after their queued jobs (running ones get grace_s
 * seconds, then are cancelled), runs the shutdown hooks. */
void fl_runtime_stop(fl_runtime *rt, double grace_s);

#endif
