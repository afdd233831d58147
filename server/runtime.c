/* runtime.c - the function instance (see runtime.h). */
#include "runtime.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "convert.h"
#include "log.h"
#include "reload.h"
#include "worker.h"

struct fl_runtime {
    const fl_config *cfg;
    int n;
    fl_worker *workers;
    fl_pool *pool; /* NULL when unthreaded */

    pthread_mutex_t lock;
    int init_failed;       /* sticky: every /invoke answers init_error */
    fl_response init_error;
    int init_answered;     /* an /init has completed: init_result is its answer */
    fl_response init_result;
    int init_pending;      /* per-worker load jobs of the /init in progress */
    fl_job *init_waiters;  /* /init requests waiting for it */
    fl_job *init_jobs;     /* one per worker */
    unsigned init_failed_gen;

    atomic_uint code_gen;  /* bumped by --reload's watcher and by SIGHUP */
    fl_reload *reload;
    int swap_pending;      /* rebuild jobs of a SIGHUP still running */
    int swap_ok;
    fl_job *swap_jobs;     /* one per worker */
};

static void copy_response(fl_response *dst, const fl_response *src)
{
    fl_response_reset(dst);
    dst->status = src->status;
    dst->error_type = src->error_type;
    fl_buf_add(&dst->headers, src->headers.data, src->headers.len);
    fl_buf_add(&dst->body, src->body.data, src->body.len);
}

/* A load failed in some worker: the instance is broken from now on. */
static void record_init_failure(fl_runtime *rt, const fl_response *resp)
{
    pthread_mutex_lock(&rt->lock);
    if (!rt->init_failed) {
        rt->init_failed = 1;
        rt->init_failed_gen = atomic_load(&rt->code_gen);
        copy_response(&rt->init_error, resp);
    }
    pthread_mutex_unlock(&rt->lock);
}

/* A failed init holds until the code changes (--reload, SIGHUP). */
static int init_failed(fl_runtime *rt)
{
    pthread_mutex_lock(&rt->lock);
    if (rt->init_failed && rt->init_failed_gen != atomic_load(&rt->code_gen)) {
        rt->init_failed = 0;
        rt->init_answered = 0; /* the next /init tries the new code */
    }
    int f = rt->init_failed;
    pthread_mutex_unlock(&rt->lock);
    return f;
}

static void answer_init_failed(fl_runtime *rt, fl_response *resp)
{
    pthread_mutex_lock(&rt->lock);
    copy_response(resp, &rt->init_error);
    pthread_mutex_unlock(&rt->lock);
}

/* ---------------------------------------------------------------- /init */

/* One worker's part of /init finished (worker thread). */
static void init_part_done(fl_job *part)
{
    fl_runtime *rt = part->ud;
    if (part->resp.status >= 400)
        record_init_failure(rt, &part->resp);
    pthread_mutex_lock(&rt->lock);
    fl_job *waiters = NULL;
    if (--rt->init_pending == 0) {
        rt->init_answered = 1;
        if (rt->init_failed) {
            copy_response(&rt->init_result, &rt->init_error);
        } else {
            fl_response_reset(&rt->init_result);
            rt->init_result.status = 200;
            fl_buf_adds(&rt->init_result.body, "{\"status\":\"ok\"}");
        }
        waiters = rt->init_waiters;
        rt->init_waiters = NULL;
        FL_INFO("init %s in %d worker(s)", rt->init_failed ? "failed" : "done", rt->n);
    }
    pthread_mutex_unlock(&rt->lock);
    while (waiters) {
        fl_job *next = waiters->next;
        copy_response(&waiters->resp, &rt->init_result); /* init_result no longer changes */
        waiters->done(waiters);
        waiters = next;
    }
}

static int submit_init(fl_runtime *rt, fl_job *job)
{
    pthread_mutex_lock(&rt->lock);
    if (rt->init_answered || (rt->init_failed && rt->init_pending == 0)) {
        copy_response(&job->resp, rt->init_answered ? &rt->init_result : &rt->init_error);
        pthread_mutex_unlock(&rt->lock);
        return 1;
    }
    job->next = rt->init_waiters;
    rt->init_waiters = job;
    if (rt->init_pending > 0) { /* an /init is running: share its outcome */
        pthread_mutex_unlock(&rt->lock);
        return 0;
    }
    rt->init_pending = rt->n;
    pthread_mutex_unlock(&rt->lock);
    for (int i = 0; i < rt->n; i++) {
        fl_job *part = &rt->init_jobs[i];
        part->req = job->req; /* job waits until every part is done */
        fl_response_reset(&part->resp);
        part->done = init_part_done;
        part->ud = rt;
        fl_pool_submit_to(rt->pool, i, part);
    }
    return 0;
}

/* ---------------------------------------------------------------- running */

/* One worker's part of a SIGHUP swap finished (worker thread). */
static void swap_part_done(fl_job *part)
{
    fl_runtime *rt = part->ud;
    pthread_mutex_lock(&rt->lock);
    if (!part->resp.error_type)
        rt->swap_ok++;
    int last = --rt->swap_pending == 0;
    int ok = rt->swap_ok;
    pthread_mutex_unlock(&rt->lock);
    if (last) {
        if (ok == rt->n)
            FL_INFO("SIGHUP: every worker (%d) now runs the current code", rt->n);
        else
            FL_ERROR("SIGHUP: the current code does not load; %d of %d worker(s) keep the previous code",
                     rt->n - ok, rt->n);
    }
}

static void run_job(void *ctx, int wi, fl_job *job)
{
    fl_runtime *rt = ctx;
    fl_worker *w = &rt->workers[wi];
    if (rt->reload) {
        /* --reload: a state built from older code is replaced by a fresh one */
        fl_reload_poll(rt->reload);
        unsigned gen = atomic_load(&rt->code_gen);
        if (w->generation != gen) {
            w->generation = gen;
            fl_worker_reset(w);
        }
    }
    if (job->req.kind == FL_REQ_REBUILD) {
        unsigned gen = atomic_load(&rt->code_gen);
        if (fl_worker_rebuild(w, &job->req, &job->resp) == 0)
            w->generation = gen;
        else
            FL_WARN("SIGHUP: worker %d keeps its previous code (the load error is logged above)", wi);
    } else if (job->req.kind == FL_REQ_INIT) {
        /* this worker's part of /init: load once, unless already loaded */
        fl_response_reset(&job->resp);
        if (!fl_worker_ready(w) && !init_failed(rt))
            fl_worker_load(w, &job->req, &job->resp);
    } else if (init_failed(rt)) {
        answer_init_failed(rt, &job->resp);
    } else if (!fl_worker_ready(w) && fl_worker_load(w, &job->req, &job->resp) != 0) {
        /* lazy init (an /invoke before any /init) failed */
        record_init_failure(rt, &job->resp);
    } else {
        fl_worker_invoke(w, &job->req, &job->resp);
    }
    if (job->done)
        job->done(job);
}

void fl_runtime_swap(fl_runtime *rt)
{
    if (!rt->pool)
        return;
    pthread_mutex_lock(&rt->lock);
    if (rt->swap_pending) {
        pthread_mutex_unlock(&rt->lock);
        FL_WARN("SIGHUP: the previous swap is still running; ignoring this one");
        return;
    }
    rt->swap_pending = rt->n;
    rt->swap_ok = 0;
    atomic_fetch_add(&rt->code_gen, 1);
    pthread_mutex_unlock(&rt->lock);
    FL_INFO("SIGHUP: rebuilding %d Lua state(s) with the current code", rt->n);
    for (int i = 0; i < rt->n; i++) {
        fl_job *part = &rt->swap_jobs[i];
        fl_response_reset(&part->resp);
        memset(&part->req, 0, sizeof part->req);
        part->req.kind = FL_REQ_REBUILD;
        part->req.body = "";
        part->req.arrival = fl_now();
        part->done = swap_part_done;
        part->ud = rt;
        fl_pool_submit_to(rt->pool, i, part);
    }
}

int fl_runtime_submit(fl_runtime *rt, fl_job *job)
{
    fl_reload_poll(rt->reload); /* --reload: fixed code must clear a failed init before the fast path */
    if (job->req.kind == FL_REQ_INIT)
        return submit_init(rt, job);
    if (init_failed(rt)) {
        answer_init_failed(rt, &job->resp); /* fail fast, no worker needed */
        return 1;
    }
    if (fl_pool_submit(rt->pool, job) != 0) {
        fl_response_reset(&job->resp);
        job->resp.status = 503;
        job->resp.error_type = "ShuttingDown";
        fl_convert_message_to_json("ShuttingDown", "the instance is shutting down; send the request again",
                                   &job->resp.body);
        return 1;
    }
    return 0;
}

void fl_runtime_run(fl_runtime *rt, fl_job *job)
{
    fl_job_done_fn done = job->done;
    job->done = NULL;
    run_job(rt, 0, job);
    job->done = done;
}

int fl_runtime_healthy(fl_runtime *rt) { return !init_failed(rt); }

/* ---------------------------------------------------------------- life cycle */

fl_runtime *fl_runtime_create(const fl_config *cfg, int threaded)
{
    fl_runtime *rt = calloc(1, sizeof *rt);
    if (!rt)
        return NULL;
    rt->cfg = cfg;
    rt->n = threaded ? cfg->workers : 1;
    rt->workers = calloc((size_t)rt->n, sizeof *rt->workers);
    rt->init_jobs = calloc((size_t)rt->n, sizeof *rt->init_jobs);
    rt->swap_jobs = calloc((size_t)rt->n, sizeof *rt->swap_jobs);
    pthread_mutex_init(&rt->lock, NULL);
    fl_response_init(&rt->init_error);
    fl_response_init(&rt->init_result);
    if (!rt->workers || !rt->init_jobs || !rt->swap_jobs) {
        fl_runtime_destroy(rt);
        return NULL;
    }
    for (int i = 0; i < rt->n; i++) {
        fl_response_init(&rt->init_jobs[i].resp);
        fl_response_init(&rt->swap_jobs[i].resp);
        if (fl_worker_init(&rt->workers[i], cfg, i, rt->n) != 0) {
            FL_ERROR("cannot create Lua state %d", i);
            fl_runtime_destroy(rt);
            return NULL;
        }
    }
    if (cfg->reload)
        rt->reload = fl_reload_start(cfg->dir, &rt->code_gen);
    if (threaded) {
        rt->pool = fl_pool_create(rt->n, run_job, rt);
        if (!rt->pool) {
            FL_ERROR("cannot start %d worker threads", rt->n);
            fl_runtime_destroy(rt);
            return NULL;
        }
    }
    return rt;
}

static void cancel_running(void *ctx)
{
    (void)ctx;
    FL_WARN("shutdown: grace period over; cancelling the invocations still running");
    fl_limits_cancel_all();
}

void fl_runtime_stop(fl_runtime *rt, double grace_s)
{
    fl_reload_stop(rt->reload);
    rt->reload = NULL;
    if (rt->pool) {
        fl_pool_stop(rt->pool, grace_s, cancel_running);
        fl_pool_free(rt->pool);
        rt->pool = NULL;
    }
    for (int i = 0; i < rt->n; i++)
        if (rt->workers[i].st)
            fl_worker_shutdown(&rt->workers[i]);
}

void fl_runtime_destroy(fl_runtime *rt)
{
    if (!rt)
        return;
    if (rt->pool)
        fl_runtime_stop(rt, 0);
    for (int i = 0; rt->workers && i < rt->n; i++)
        fl_worker_free(&rt->workers[i]);
    for (int i = 0; rt->init_jobs && i < rt->n; i++)
        fl_response_free(&rt->init_jobs[i].resp);
    for (int i = 0; rt->swap_jobs && i < rt->n; i++)
        fl_response_free(&rt->swap_jobs[i].resp);
    fl_reload_stop(rt->reload);
    fl_response_free(&rt->init_error);
    fl_response_free(&rt->init_result);
    pthread_mutex_destroy(&rt->lock);
    free(rt->workers);
    free(rt->init_jobs);
    free(rt->swap_jobs);
    free(rt);
}
