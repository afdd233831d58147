/* runtime.c - the function instance (see runtime.h). */
#include "runtime.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "convert.h"
#include "log.h"
#include "reload.h"
#include "worker.h"

/* How long an invocation may run on the HTTP thread that received it before
 * it is paused and handed to a worker thread (see fl_runtime_submit). */
#define FL_INLINE_SLICE 0.002

struct fl_runtime {
    const fl_config *cfg;
    int n;
    fl_worker *workers;
    fl_pool *pool; /* NULL when unthreaded */

    pthread_mutex_t lock;
    /* scheduling (under lock) */
    int *idle; /* stack of idle worker indexes */
    int n_idle;
    fl_job *wait_head, *wait_tail; /* requests waiting for an idle worker */
    fl_job **control;              /* per worker: load/rebuild jobs to run before anything else */
    int stopping;

    /* the init record (under lock) */
    int init_failed; /* every /invoke answers init_error */
    unsigned init_failed_gen;
    fl_response init_error;
    int init_answered; /* an /init has completed: init_result is its answer */
    fl_response init_result;
    int init_pending; /* per-worker load jobs of the /init in progress */
    fl_job *init_waiters;
    fl_job *init_jobs; /* one per worker */

    atomic_uint code_gen; /* bumped by --reload's watcher and by SIGHUP */
    fl_reload *reload;
    int swap_pending; /* rebuild jobs of a SIGHUP still running */
    int swap_ok;
    fl_job *swap_jobs; /* one per worker */
};

static void copy_response(fl_response *dst, const fl_response *src)
{
    fl_response_reset(dst);
    dst->status = src->status;
    dst->error_type = src->error_type;
    fl_buf_add(&dst->headers, src->headers.data, src->headers.len);
    fl_buf_add(&dst->body, src->body.data, src->body.len);
}

static void answer_message(fl_response *resp, int status, const char *type, const char *msg)
{
    fl_response_reset(resp);
    resp->status = status;
    resp->error_type = type;
    fl_convert_message_to_json(type, msg, &resp->body);
}

/* ---------------------------------------------------------------- init record */

/* A load failed in some worker: the instance is broken until the code changes. */
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

/* Under lock.  A failed init holds until the code changes (--reload, SIGHUP). */
static int init_failed_locked(fl_runtime *rt)
{
    if (rt->init_failed && rt->init_failed_gen != atomic_load(&rt->code_gen)) {
        rt->init_failed = 0;
        rt->init_answered = 0; /* the next /init tries the new code */
    }
    return rt->init_failed;
}

static int init_failed(fl_runtime *rt)
{
    pthread_mutex_lock(&rt->lock);
    int f = init_failed_locked(rt);
    pthread_mutex_unlock(&rt->lock);
    return f;
}

static void answer_init_failed(fl_runtime *rt, fl_response *resp)
{
    pthread_mutex_lock(&rt->lock);
    copy_response(resp, &rt->init_error);
    pthread_mutex_unlock(&rt->lock);
}

/* ---------------------------------------------------------------- scheduling */

/* Under lock: worker wi's next job (a control job first, then a waiting
 * request), or NULL after putting wi back on the idle stack. */
static fl_job *next_job_locked(fl_runtime *rt, int wi)
{
    fl_job *j = rt->control[wi];
    if (j) {
        rt->control[wi] = j->next;
    } else if ((j = rt->wait_head)) {
        rt->wait_head = j->next;
        if (!rt->wait_head)
            rt->wait_tail = NULL;
        j->resume = 0;
    } else {
        rt->idle[rt->n_idle++] = wi;
        return NULL;
    }
    j->next = NULL;
    j->worker = wi;
    return j;
}

/* Worker wi is done with its job: give it the next one, or let it rest. */
static void release(fl_runtime *rt, int wi)
{
    pthread_mutex_lock(&rt->lock);
    fl_job *j = next_job_locked(rt, wi);
    pthread_mutex_unlock(&rt->lock);
    if (j)
        fl_pool_submit(rt->pool, j);
}

/* Under lock: take wi off the idle stack if it is there. */
static int take_if_idle_locked(fl_runtime *rt, int wi)
{
    for (int i = 0; i < rt->n_idle; i++)
        if (rt->idle[i] == wi) {
            rt->idle[i] = rt->idle[--rt->n_idle];
            return 1;
        }
    return 0;
}

/* Gives worker wi a control job (load for /init, rebuild for SIGHUP): now
 * when it is idle, else as soon as it finishes what it runs. */
static void control(fl_runtime *rt, int wi, fl_job *job)
{
    job->worker = wi;
    job->next = NULL;
    pthread_mutex_lock(&rt->lock);
    int now = take_if_idle_locked(rt, wi);
    if (!now) {
        fl_job **p = &rt->control[wi];
        while (*p)
            p = &(*p)->next;
        *p = job;
    }
    pthread_mutex_unlock(&rt->lock);
    if (now)
        fl_pool_submit(rt->pool, job);
}

/* --reload: a state built from older code is replaced by a fresh one. */
static int stale(fl_runtime *rt, fl_worker *w)
{
    return rt->reload && w->generation != atomic_load(&rt->code_gen);
}

/* Runs a request on worker w, which the caller holds: lazy init first, then
 * the handler, for at most slice_s seconds (0: to the end). */
static fl_run run_request(fl_runtime *rt, fl_worker *w, fl_job *job, double slice_s)
{
    if (stale(rt, w)) {
        w->generation = atomic_load(&rt->code_gen);
        fl_worker_reset(w);
    }
    if (init_failed(rt)) {
        answer_init_failed(rt, &job->resp);
        return FL_RUN_DONE;
    }
    if (!fl_worker_ready(w) && fl_worker_load(w, &job->req, &job->resp) != 0) {
        record_init_failure(rt, &job->resp); /* lazy init (an /invoke before any /init) failed */
        return FL_RUN_DONE;
    }
    return fl_worker_start(w, &job->req, &job->resp, slice_s);
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
    init_failed_locked(rt);
    if (rt->init_answered || (rt->init_failed && rt->init_pending == 0)) {
        copy_response(&job->resp, rt->init_answered ? &rt->init_result : &rt->init_error);
        pthread_mutex_unlock(&rt->lock);
        return 1;
    }
    job->suspend(job); /* before anyone else can see it */
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
        control(rt, i, part);
    }
    return 0;
}

/* ---------------------------------------------------------------- SIGHUP */

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
            FL_ERROR("SIGHUP: the current code does not load; %d of %d worker(s) keep the previous code", rt->n - ok,
                     rt->n);
    }
}

void fl_runtime_swap(fl_runtime *rt)
{
    if (!rt->pool)
        return;
    pthread_mutex_lock(&rt->lock);
    if (rt->swap_pending || rt->stopping) {
        pthread_mutex_unlock(&rt->lock);
        FL_WARN("SIGHUP: a swap is still running, or the instance is stopping; ignoring this one");
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
        control(rt, i, part);
    }
}

/* ---------------------------------------------------------------- running */

/* A pool thread runs a job on the worker it was given. */
static void run_task(void *ctx, int thread, fl_job *job)
{
    (void)thread;
    fl_runtime *rt = ctx;
    int wi = job->worker;
    fl_worker *w = &rt->workers[wi];
    switch (job->req.kind) {
    case FL_REQ_REBUILD: {
        unsigned gen = atomic_load(&rt->code_gen);
        if (fl_worker_rebuild(w, &job->req, &job->resp) == 0)
            w->generation = gen;
        else
            FL_WARN("SIGHUP: worker %d keeps its previous code (the load error is logged above)", wi);
        break;
    }
    case FL_REQ_INIT:
        /* this worker's part of /init: load once, unless already loaded */
        fl_response_reset(&job->resp);
        if (stale(rt, w)) {
            w->generation = atomic_load(&rt->code_gen);
            fl_worker_reset(w);
        }
        if (!fl_worker_ready(w) && !init_failed(rt))
            fl_worker_load(w, &job->req, &job->resp);
        break;
    default:
        if (job->resume)
            fl_worker_continue(w, 0); /* an invocation paused on the HTTP thread */
        else
            run_request(rt, w, job, 0);
    }
    job->done(job);
    release(rt, wi);
}

int fl_runtime_submit(fl_runtime *rt, fl_job *job)
{
    fl_reload_poll(rt->reload); /* --reload: fixed code must clear a failed init before the fast path */
    if (job->req.kind == FL_REQ_INIT)
        return submit_init(rt, job);
    pthread_mutex_lock(&rt->lock);
    if (rt->stopping) {
        pthread_mutex_unlock(&rt->lock);
        answer_message(&job->resp, 503, "ShuttingDown", "the instance is shutting down; send the request again");
        return 1;
    }
    if (init_failed_locked(rt)) {
        copy_response(&job->resp, &rt->init_error); /* fail fast, no worker needed */
        pthread_mutex_unlock(&rt->lock);
        return 1;
    }
    if (rt->n_idle == 0) {
        /* every Lua state is busy: the first one to finish takes this */
        job->suspend(job);
        job->next = NULL;
        if (rt->wait_tail)
            rt->wait_tail->next = job;
        else
            rt->wait_head = job;
        rt->wait_tail = job;
        pthread_mutex_unlock(&rt->lock);
        return 0;
    }
    int wi = rt->idle[--rt->n_idle];
    pthread_mutex_unlock(&rt->lock);
    fl_worker *w = &rt->workers[wi];
    job->worker = wi;
    job->resume = 0;
    if (!fl_worker_ready(w) || stale(rt, w)) {
        /* loading (the initializer may be slow) happens on a worker thread */
        job->suspend(job);
        fl_pool_submit(rt->pool, job);
        return 0;
    }
    /* Run it right here on the HTTP thread: no hand-off, no wake-up.  If it
     * is still running when its slice ends, it is paused and a worker
     * thread finishes it, so this thread's other connections never wait
     * long behind a slow invocation. */
    if (run_request(rt, w, job, FL_INLINE_SLICE) == FL_RUN_DONE) {
        release(rt, wi);
        return 1;
    }
    job->suspend(job);
    job->resume = 1;
    fl_pool_submit(rt->pool, job);
    return 0;
}

void fl_runtime_run(fl_runtime *rt, fl_job *job)
{
    fl_worker *w = &rt->workers[0];
    if (job->req.kind == FL_REQ_INIT) {
        fl_response_reset(&job->resp);
        if (!fl_worker_ready(w) && !init_failed(rt))
            fl_worker_load(w, &job->req, &job->resp);
    } else {
        run_request(rt, w, job, 0);
    }
}

int fl_runtime_healthy(fl_runtime *rt)
{
    return !init_failed(rt);
}

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
    rt->idle = calloc((size_t)rt->n, sizeof *rt->idle);
    rt->control = calloc((size_t)rt->n, sizeof *rt->control);
    pthread_mutex_init(&rt->lock, NULL);
    fl_response_init(&rt->init_error);
    fl_response_init(&rt->init_result);
    if (!rt->workers || !rt->init_jobs || !rt->swap_jobs || !rt->idle || !rt->control) {
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
        rt->idle[rt->n_idle++] = rt->n - 1 - i; /* worker 0 is taken first */
    }
    if (cfg->reload)
        rt->reload = fl_reload_start(cfg->dir, &rt->code_gen);
    if (threaded) {
        rt->pool = fl_pool_create(rt->n, run_task, rt);
        if (!rt->pool) {
            FL_ERROR("cannot start %d worker threads", rt->n);
            fl_runtime_destroy(rt);
            return NULL;
        }
    }
    return rt;
}

/* Every worker idle and nobody waiting. */
static int drained(fl_runtime *rt)
{
    pthread_mutex_lock(&rt->lock);
    int d = rt->n_idle == rt->n && !rt->wait_head;
    pthread_mutex_unlock(&rt->lock);
    return d;
}

int fl_runtime_stop(fl_runtime *rt, double grace_s)
{
    /* the watcher stays until fl_runtime_destroy: HTTP threads still poll it */
    if (rt->pool) {
        pthread_mutex_lock(&rt->lock);
        rt->stopping = 1;
        pthread_mutex_unlock(&rt->lock);
        /* running and waiting invocations finish within the grace period... */
        double until = fl_now() + grace_s;
        while (!drained(rt) && fl_now() < until)
            usleep(2000);
        if (!drained(rt)) {
            /* ...or are cancelled at their next hook */
            FL_WARN("shutdown: grace period over; cancelling the invocations still running");
            fl_limits_cancel_all();
            until = fl_now() + 2.0;
            while (!drained(rt) && fl_now() < until)
                usleep(2000);
        }
        if (!drained(rt)) {
            FL_ERROR("shutdown: an invocation is stuck in C code and cannot be stopped; exiting without it");
            return -1;
        }
        fl_pool_stop(rt->pool);
        fl_pool_free(rt->pool);
        rt->pool = NULL;
    }
    for (int i = 0; i < rt->n; i++)
        if (rt->workers[i].st)
            fl_worker_shutdown(&rt->workers[i]);
    return 0;
}

void fl_runtime_destroy(fl_runtime *rt)
{
    if (!rt)
        return;
    if (rt->pool && fl_runtime_stop(rt, 0) != 0)
        return; /* a thread still uses the states: leave them to the exit */
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
    free(rt->idle);
    free(rt->control);
    free(rt);
}
