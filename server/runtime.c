/* runtime.c - the function instance (see runtime.h). */
#include "runtime.h"

#include <pthread.h>
#include <stdio.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "answer.h"
#include "log.h"
#include "loop.h"
#include "reload.h"
#include "worker.h"

/* How long an invocation may run on the HTTP thread that received it before
 * it is paused and left to its state's loop thread (see fl_runtime_submit). */
#define FL_INLINE_SLICE 0.002
/* On a loop thread: one invocation's turn before the next one's, and the
 * work done between two looks at the state's sockets and timers. */
#define FL_LOOP_SLICE          0.010
#define FL_LOOP_TURN           0.010
#define FL_CONCURRENCY_DEFAULT 1000
/* The supervisor: how often it looks at the invocations running now, and
 * how long past its deadline one may still be running before its code is
 * taken to be stuck where no hook reaches it (a C function, a __gc
 * metamethod): it is answered then, and its state replaced. */
#define FL_WATCH_INTERVAL_NS 100000000L
#define FL_STUCK_MARGIN      0.5

/* One Lua state and the scheduling around it.  Fields marked (lock) are
 * under the runtime's lock; w (the state and what belongs to it, worker.h)
 * belongs to whichever thread holds the state. */
typedef struct vm {
    fl_worker *w;
    int id; /* its place in the table of states */
    struct fl_runtime *rt;
    fl_loop *loop;
    pthread_t thread;
    int has_thread;
    int held;                        /* (lock) a thread runs Lua in it now */
    fl_inv *owner;                   /* (lock) paused at the end of its slice: runs next, alone */
    fl_job *ready_head, *ready_tail; /* (lock) invocations to continue */
    fl_job *start_head, *start_tail; /* (lock) new invocations that must load first */
    fl_job *control;                 /* (lock) /init and SIGHUP work for this state */
    int inflight;                    /* (lock) invocations started in it and not finished */
    unsigned gen;                    /* (lock) code generation its state was loaded from (--reload) */
    fl_job *flight;                  /* (lock) jobs of the invocations in flight in it */
    /* The invocation running in it now, for the supervisor: whichever of
     * the holder (when the run returns) and the supervisor (at the deadline
     * plus a margin) takes run_job first answers it. */
    _Atomic(fl_job *) run_job;
    _Atomic double run_deadline;
    atomic_int run_on_http; /* run by an HTTP thread, inline */
    fl_inv *run_inv;        /* its invocation: written before run_job */
    /* Replaced because code in it never returned (lock): */
    int stuck;
    int came_back;         /* the stuck code has returned since */
    double stuck_since;    /* fl_now() when it was replaced */
    double stuck_deadline; /* the deadline the code ran past */
    int stuck_on_http;     /* on an HTTP thread (else its loop thread) */
    char stuck_rid[FL_REQUEST_ID_MAX + 1];
    struct vm *next_stuck;
} vm;

struct fl_runtime {
    const fl_config *cfg;
    int n;
    vm **vms;  /* (lock) the live states; the supervisor replaces a stuck one */
    vm *stuck; /* (lock) states replaced because their code never returned */
    int n_stuck;
    int threaded;
    int concurrency;
    atomic_int cancel; /* shutdown past its grace period: every invocation stops */

    pthread_mutex_t lock;
    /* scheduling (under lock) */
    fl_job *wait_head, *wait_tail; /* arrived, not started: over --concurrency or no free state */
    double next_expiry;            /* the soonest answer_by among them */
    int inflight;                  /* invocations started and not finished */
    int stopping;
    int quit; /* loop threads end */

    /* the init record (under lock) */
    int init_failed; /* every /invoke answers init_error */
    unsigned init_failed_gen;
    fl_response init_error;
    int init_answered; /* an /init has completed: init_result is its answer */
    fl_response init_result;
    int init_pending; /* per-state load jobs of the /init in progress */
    fl_job *init_waiters;
    fl_job *init_jobs; /* one per state */

    atomic_uint code_gen; /* bumped by --reload's watcher and by SIGHUP */
    unsigned newest_gen;  /* (lock) the newest generation a state has loaded */
    fl_reload *reload;
    int swap_pending; /* rebuild jobs of a SIGHUP still running */
    int swap_ok;
    int swap_again;    /* a SIGHUP came while a swap was running */
    fl_job *swap_jobs; /* one per state */

    pthread_t supervisor;
    int has_supervisor;
    pthread_cond_t supervisor_wake;
};

static void copy_response(fl_response *dst, const fl_response *src)
{
    fl_response_reset(dst);
    dst->status = src->status;
    dst->error_kind = src->error_kind;
    fl_buf_add(&dst->headers, src->headers.data, src->headers.len);
    fl_buf_add(&dst->body, src->body.data, src->body.len);
}

/* ---------------------------------------------------------------- init record */

/* A load failed in some state: the instance is broken until the code changes. */
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

/* ---------------------------------------------------------------- queues (under lock) */

static void job_push(fl_job **head, fl_job **tail, fl_job *j)
{
    j->next = NULL;
    if (*tail)
        (*tail)->next = j;
    else
        *head = j;
    *tail = j;
}

static fl_job *job_pop(fl_job **head, fl_job **tail)
{
    fl_job *j = *head;
    if (j) {
        *head = j->next;
        if (!*head)
            *tail = NULL;
        j->next = NULL;
    }
    return j;
}

static void ready_push(vm *v, fl_job *job)
{
    job_push(&v->ready_head, &v->ready_tail, job);
}

/* The next invocation ready to continue, or NULL. */
static fl_inv *ready_pop(vm *v)
{
    fl_job *job = job_pop(&v->ready_head, &v->ready_tail);
    return job ? job->inv : NULL;
}

/* Under lock.  --reload: a state built from older code is replaced before
 * its next start, once nothing is in flight in it. */
static int stale_locked(fl_runtime *rt, vm *v)
{
    return rt->reload && v->gen != atomic_load(&rt->code_gen);
}

static int stale(fl_runtime *rt, vm *v)
{
    pthread_mutex_lock(&rt->lock);
    int s = stale_locked(rt, v);
    pthread_mutex_unlock(&rt->lock);
    return s;
}

/* Under lock, by whoever holds v: its state now comes from generation gen. */
static void loaded_gen(fl_runtime *rt, vm *v, unsigned gen)
{
    pthread_mutex_lock(&rt->lock);
    v->gen = gen;
    if (gen > rt->newest_gen)
        rt->newest_gen = gen;
    pthread_mutex_unlock(&rt->lock);
}

/* Under lock: v waits for a SIGHUP rebuild while another state already runs
 * the newer code: it starts nothing new until then, so a client never sees
 * the old code again after it has seen the new. */
static int behind_locked(fl_runtime *rt, vm *v)
{
    if (v->gen >= rt->newest_gen)
        return 0;
    for (fl_job *j = v->control; j; j = j->next)
        if (j->req.kind == FL_REQ_REBUILD)
            return 1;
    return 0;
}

/* Under lock: what may run on v now, in this order. */
static int control_runnable_locked(vm *v)
{
    return v->control != NULL;
}

static int start_runnable_locked(vm *v)
{
    return v->start_head != NULL;
}

static int fresh_runnable_locked(fl_runtime *rt)
{
    return rt->wait_head && !rt->quit && rt->inflight < rt->concurrency;
}

/* Under lock: work that v's loop thread should do now. */
static int has_work_locked(fl_runtime *rt, vm *v)
{
    return v->owner || control_runnable_locked(v) || v->ready_head || start_runnable_locked(v) ||
           fresh_runnable_locked(rt);
}

/* The holder of v lets go of it; its loop thread takes what is left. */
static void release(fl_runtime *rt, vm *v)
{
    pthread_mutex_lock(&rt->lock);
    v->held = 0;
    int work = has_work_locked(rt, v) || rt->quit;
    pthread_mutex_unlock(&rt->lock);
    if (work && v->has_thread)
        fl_loop_wake(v->loop);
}

/* A waiting invocation's calls and sleeps are over (loop thread; or the
 * holder's, when a call could not even start). */
static void on_ready(fl_waiter *wt)
{
    fl_job *job = fl_inv_job(wt->ud);
    vm *v = job->where;
    fl_runtime *rt = v->rt;
    pthread_mutex_lock(&rt->lock);
    ready_push(v, job);
    pthread_mutex_unlock(&rt->lock);
    /* the loop thread looks at its queue after every poll; a holder's
     * release wakes it */
}

/* ---------------------------------------------------------------- running invocations (holding v) */

/* Under lock: job is counted in flight in v from now on. */
static void enter_flight_locked(vm *v, fl_job *job)
{
    v->inflight++;
    job->where = v;
    job->flight_prev = NULL;
    job->flight_next = v->flight;
    if (v->flight)
        v->flight->flight_prev = job;
    v->flight = job;
}

/* An invocation counted in flight in v is over (ended, refused, or never
 * started): room for the next.  Returns the number still in flight. */
static int leave_flight(fl_runtime *rt, vm *v, fl_job *job)
{
    pthread_mutex_lock(&rt->lock);
    rt->inflight--;
    v->inflight--;
    if (job->flight_prev)
        job->flight_prev->flight_next = job->flight_next;
    else
        v->flight = job->flight_next;
    if (job->flight_next)
        job->flight_next->flight_prev = job->flight_prev;
    int left = rt->inflight;
    pthread_mutex_unlock(&rt->lock);
    return left;
}

/* An invocation ended: answer it, and make room for the next. */
static void ended(fl_runtime *rt, vm *v, fl_inv *inv, int inline_answer)
{
    fl_job *job = fl_inv_job(inv);
    fl_worker_inv_free(v->w, inv);
    leave_flight(rt, v, job);
    if (!inline_answer)
        job->done(job);
}

/* A run whose code got stuck: the supervisor answered it and replaced v. */
#define FL_RUN_ABANDONED (-1)

static void came_back(fl_runtime *rt, vm *v);

/* Runs (begin: starts) an invocation of job in v, watched by the
 * supervisor.  Returns an fl_run, or FL_RUN_ABANDONED when the supervisor
 * took the job meanwhile: the code came back after its state was replaced,
 * and the caller must not touch v or the job again. */
static int run_watched(fl_runtime *rt, vm *v, fl_inv *inv, fl_job *job, int begin, double slice_s, int on_http)
{
    v->run_inv = inv;
    atomic_store_explicit(&v->run_deadline, job->answer_by, memory_order_relaxed);
    atomic_store_explicit(&v->run_on_http, on_http, memory_order_relaxed);
    atomic_store(&v->run_job, job);
    fl_run r = begin ? fl_worker_start(v->w, inv, slice_s) : fl_worker_continue(v->w, inv, slice_s);
    if (!atomic_exchange(&v->run_job, NULL)) {
        if (r == FL_RUN_DONE)
            fl_worker_inv_free(v->w, inv); /* else its waits may still name it */
        came_back(rt, v);
        return FL_RUN_ABANDONED;
    }
    return (int)r;
}

/* The holder of v is back from code the supervisor gave up on: v stays
 * out of use (its invocations were answered; its Lua state may hold
 * anything), the thread goes on with other work. */
static void came_back(fl_runtime *rt, vm *v)
{
    pthread_mutex_lock(&rt->lock);
    v->came_back = 1;
    double late = fl_now() - v->stuck_deadline;
    int id = v->id;
    char rid[sizeof v->stuck_rid];
    memcpy(rid, v->stuck_rid, sizeof rid);
    pthread_mutex_unlock(&rt->lock);
    FL_WARN("Lua state %d: the code stuck in request %s returned %.1f s after its deadline; the replaced state "
            "stays out of use",
            id, rid, late);
}

/* Where a run left the invocation.  Returns 1 when it ended. */
static int after_run(fl_runtime *rt, vm *v, fl_inv *inv, fl_run r, int inline_answer)
{
    switch (r) {
    case FL_RUN_DONE:
        ended(rt, v, inv, inline_answer);
        return 1;
    case FL_RUN_PAUSED:
        /* Only a wait lets another invocation of this state run: code
         * between two waits is never interleaved with other invocations'
         * (as in Node and OpenResty), the slice only frees the thread. */
        pthread_mutex_lock(&rt->lock);
        v->owner = inv;
        pthread_mutex_unlock(&rt->lock);
        return 0;
    case FL_RUN_WAITING:
        return 0;
    }
    return 0;
}

/* --reload saw new code since v's state was built: a fresh state (the next
 * job loads it), unless there is no memory for one. */
static void refresh_if_stale(fl_runtime *rt, vm *v)
{
    if (!stale(rt, v))
        return;
    unsigned gen = atomic_load(&rt->code_gen);
    if (fl_worker_reset(v->w) == 0)
        loaded_gen(rt, v, gen);
    else
        FL_ERROR("state %d: out of memory for a fresh Lua state; keeping the previous code", v->id);
}

/* Makes v's state fit to start job: rebuilt when --reload saw new code,
 * loaded (lazy init).  0 when the invocation can start; otherwise job's
 * response holds the answer (a failed init) and 1 is returned.  Runs the
 * initializer: never on an HTTP thread. */
static int prepare(fl_runtime *rt, vm *v, fl_job *job)
{
    fl_worker *w = v->w;
    refresh_if_stale(rt, v);
    pthread_mutex_lock(&rt->lock);
    int failed = init_failed_locked(rt);
    if (failed)
        copy_response(&job->resp, &rt->init_error);
    pthread_mutex_unlock(&rt->lock);
    if (failed)
        return 1;
    if (!fl_worker_ready(w) && fl_worker_load(w, &job->req, &job->resp) != 0) {
        record_init_failure(rt, &job->resp); /* lazy init (an /invoke before any /init) failed */
        return 1;
    }
    return 0;
}

/* Starts job as a new invocation in v (counted in flight already).  Returns
 * 1 when it ended at once.  inline_answer: the caller (the HTTP thread)
 * answers an invocation that ended at once itself, and the job is
 * suspended when it goes on elsewhere. */
static int start(fl_runtime *rt, vm *v, fl_job *job, double slice_s, int inline_answer)
{
    fl_inv *inv = fl_worker_inv_new(v->w, &job->req, &job->resp, on_ready, job);
    job->inv = inv;
    if (!inv) {
        fl_response_error(&job->resp, FL_ERR_SERVICE_UNAVAILABLE, NULL, FL_HERE,
                          "out of memory for a new invocation; try again");
        leave_flight(rt, v, job);
        if (!inline_answer)
            job->done(job);
        return 1;
    }
    job->answer_by = fl_inv_answer_by(inv);
    int r = run_watched(rt, v, inv, job, 1, slice_s, inline_answer);
    if (r == FL_RUN_ABANDONED)
        return FL_RUN_ABANDONED;
    if (r != FL_RUN_DONE && inline_answer)
        job->suspend(job); /* on the HTTP thread, before it lets go of v: only a holder of v can finish it */
    return after_run(rt, v, inv, (fl_run)r, inline_answer);
}

/* A job whose state must be prepared first (loop thread).  Returns
 * FL_RUN_ABANDONED when its code got stuck and v was replaced. */
static int start_prepared(fl_runtime *rt, vm *v, fl_job *job)
{
    if (prepare(rt, v, job)) {
        leave_flight(rt, v, job);
        job->done(job);
        return 1;
    }
    return start(rt, v, job, FL_LOOP_SLICE, 0);
}

/* ---------------------------------------------------------------- control jobs: /init, SIGHUP */

static void run_control(fl_runtime *rt, vm *v, fl_job *job)
{
    fl_worker *w = v->w;
    if (job->req.kind == FL_REQ_REBUILD) {
        unsigned gen = atomic_load(&rt->code_gen);
        if (fl_worker_rebuild(w, &job->req, &job->resp) == 0)
            loaded_gen(rt, v, gen);
        else
            FL_WARN("SIGHUP: state %d keeps its previous code (the load error is logged above)", v->id);
    } else {
        /* this state's part of /init: load once, unless already loaded */
        fl_response_reset(&job->resp);
        refresh_if_stale(rt, v);
        if (!fl_worker_ready(w) && !init_failed(rt))
            fl_worker_load(w, &job->req, &job->resp);
    }
    job->done(job);
}

/* Gives v a control job; its loop thread runs it as soon as it may. */
static void control(fl_runtime *rt, int i, fl_job *job)
{
    pthread_mutex_lock(&rt->lock);
    vm *v = rt->vms[i];
    fl_job **p = &v->control;
    while (*p)
        p = &(*p)->next;
    job->next = NULL;
    *p = job;
    int idle = !v->held;
    pthread_mutex_unlock(&rt->lock);
    if (idle)
        fl_loop_wake(v->loop);
}

/* ---------------------------------------------------------------- a loop thread's turn */

/* Under lock: the next thing v's holder should do.  At most one of the
 * outputs is set. */
static void next_work_locked(fl_runtime *rt, vm *v, fl_job **ctl, fl_inv **inv, fl_job **prep, fl_job **fresh)
{
    *ctl = NULL, *inv = NULL, *prep = NULL, *fresh = NULL;
    if (v->owner) {
        *inv = v->owner;
        v->owner = NULL;
    } else if (control_runnable_locked(v)) {
        *ctl = v->control;
        v->control = (*ctl)->next;
        (*ctl)->next = NULL;
    } else if ((*inv = ready_pop(v))) {
        return;
    } else if (start_runnable_locked(v)) {
        *prep = job_pop(&v->start_head, &v->start_tail);
        enter_flight_locked(v, *prep);
    } else if (fresh_runnable_locked(rt)) {
        *fresh = job_pop(&rt->wait_head, &rt->wait_tail);
        rt->inflight++;
        enter_flight_locked(v, *fresh);
    }
}

static void answer_expired_job(fl_runtime *rt, fl_job *j, int in_flight)
{
    char rid[FL_REQUEST_ID_MAX + 1];
    char msg[256];
    snprintf(msg, sizeof msg,
             "invocation timed out after %d s while it waited for its turn: %d invocation(s) were in flight "
             "(--concurrency %d)",
             j->timeout_s, in_flight, rt->concurrency);
    fl_response_error(&j->resp, FL_ERR_TIMEOUT, fl_request_id(&j->req, rid, sizeof rid), FL_HERE, msg);
    j->done(j);
}

/* A job taken from the arrival queue (counted in flight) whose deadline passed. */
static void expire_fresh(fl_runtime *rt, vm *v, fl_job *j)
{
    answer_expired_job(rt, j, leave_flight(rt, v, j));
}

/* Holding v: runs what is ready for up to FL_LOOP_TURN seconds.  Returns
 * -1 when code in v got stuck and v was replaced meanwhile (v is then
 * never to be touched again), else 0. */
static int turn(fl_runtime *rt, vm *v)
{
    double until = fl_now() + FL_LOOP_TURN;
    do {
        fl_job *ctl, *prep, *fresh;
        fl_inv *inv;
        pthread_mutex_lock(&rt->lock);
        next_work_locked(rt, v, &ctl, &inv, &prep, &fresh);
        pthread_mutex_unlock(&rt->lock);
        if (ctl) {
            run_control(rt, v, ctl);
        } else if (inv) {
            int r = run_watched(rt, v, inv, fl_inv_job(inv), 0, FL_LOOP_SLICE, 0);
            if (r == FL_RUN_ABANDONED)
                return -1;
            after_run(rt, v, inv, (fl_run)r, 0);
        } else if (fresh && fl_now() >= fresh->answer_by) {
            expire_fresh(rt, v, fresh); /* its deadline passed while it waited: never started late */
        } else if (prep || fresh) {
            if (start_prepared(rt, v, prep ? prep : fresh) == FL_RUN_ABANDONED)
                return -1;
        } else {
            return 0;
        }
    } while (fl_now() < until);
    return 0;
}

/* Jobs that waited in the arrival queue until their deadline are answered
 * with their timeout, without running (loop thread 0).  Returns how long
 * until the next one expires (< 0: none waits). */
static double answer_expired(fl_runtime *rt)
{
    double now = fl_now();
    fl_job *expired = NULL;
    pthread_mutex_lock(&rt->lock);
    double next = 0;
    fl_job **p = &rt->wait_head;
    rt->wait_tail = NULL;
    while (*p) {
        fl_job *j = *p;
        if (j->answer_by <= now) {
            *p = j->next;
            j->next = expired;
            expired = j;
            continue;
        }
        if (!next || j->answer_by < next)
            next = j->answer_by;
        rt->wait_tail = j;
        p = &j->next;
    }
    rt->next_expiry = next;
    int in_flight = rt->inflight;
    pthread_mutex_unlock(&rt->lock);
    while (expired) {
        fl_job *j = expired;
        expired = j->next;
        answer_expired_job(rt, j, in_flight);
    }
    return next ? next - now : -1;
}

static void *loop_main(void *arg)
{
    vm *v = arg;
    fl_runtime *rt = v->rt;
    double wait = -1;
    for (;;) {
        fl_loop_poll(v->loop, wait);
        pthread_mutex_lock(&rt->lock);
        int first = rt->vms[0] == v, stuck = v->stuck;
        pthread_mutex_unlock(&rt->lock);
        if (stuck)
            return NULL; /* replaced: its Lua state stays with the code stuck in it */
        if (first)
            wait = answer_expired(rt);
        pthread_mutex_lock(&rt->lock);
        if (rt->quit && !v->held && !has_work_locked(rt, v) && !fl_loop_busy(v->loop)) {
            pthread_mutex_unlock(&rt->lock);
            return NULL;
        }
        if (v->held || !has_work_locked(rt, v)) {
            pthread_mutex_unlock(&rt->lock);
            continue; /* the holder wakes this thread when it lets go */
        }
        v->held = 1;
        pthread_mutex_unlock(&rt->lock);
        if (turn(rt, v) != 0)
            return NULL; /* v was replaced while this thread was stuck in it */
        release(rt, v);
    }
}

/* ---------------------------------------------------------------- /init */

/* One state's part of /init finished (its loop thread). */
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
        FL_INFO("init %s in %d Lua state(s)", rt->init_failed ? "failed" : "done", rt->n);
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
    if (rt->stopping && rt->init_pending == 0) {
        /* no loop thread may be left to load: answer now, never park it */
        pthread_mutex_unlock(&rt->lock);
        fl_response_error(&job->resp, FL_ERR_SHUTTING_DOWN, NULL, FL_HERE,
                          "the instance is shutting down; send the request again");
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
    if (!part->resp.error_kind)
        rt->swap_ok++;
    int last = --rt->swap_pending == 0;
    int ok = rt->swap_ok;
    int again = last && rt->swap_again;
    if (again)
        rt->swap_again = 0;
    pthread_mutex_unlock(&rt->lock);
    if (last) {
        if (ok == rt->n)
            FL_INFO("SIGHUP: every Lua state (%d) now runs the current code", rt->n);
        else
            FL_ERROR("SIGHUP: the current code does not load; %d of %d Lua state(s) keep the previous code", rt->n - ok,
                     rt->n);
    }
    if (again)
        fl_runtime_swap(rt);
}

void fl_runtime_swap(fl_runtime *rt)
{
    if (!rt->threaded)
        return;
    pthread_mutex_lock(&rt->lock);
    if (rt->stopping) {
        pthread_mutex_unlock(&rt->lock);
        FL_WARN("SIGHUP: the instance is stopping; ignoring it");
        return;
    }
    if (rt->swap_pending) {
        /* states wait for their invocations to end before they are rebuilt:
         * the code may change again meanwhile, so a SIGHUP is never lost */
        rt->swap_again = 1;
        pthread_mutex_unlock(&rt->lock);
        FL_INFO("SIGHUP: a swap is still running; another one follows it");
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

/* ---------------------------------------------------------------- submitting */

/* Under lock: a free state to run a new invocation on, taken; or NULL.
 * Not one that is busy: held, loading, or owned by
 * an invocation paused mid-slice.  Of the rest, the one with the least in
 * flight, a state with invocations ready to continue last. */
static vm *take_free_locked(fl_runtime *rt)
{
    vm *best = NULL;
    long best_score = 0;
    for (int i = 0; i < rt->n; i++) {
        vm *v = rt->vms[i];
        if (v->held || v->owner || v->start_head || behind_locked(rt, v))
            continue;
        long score = v->inflight + (v->ready_head ? 1000000L : 0);
        if (!best || score < best_score) {
            best = v;
            best_score = score;
        }
    }
    if (best)
        best->held = 1;
    return best;
}

int fl_runtime_submit(fl_runtime *rt, fl_job *job)
{
    fl_reload_poll(rt->reload); /* --reload: fixed code must clear a failed init before the fast path */
    if (job->req.kind == FL_REQ_INIT)
        return submit_init(rt, job);
    pthread_mutex_lock(&rt->lock);
    if (rt->stopping) {
        pthread_mutex_unlock(&rt->lock);
        fl_response_error(&job->resp, FL_ERR_SHUTTING_DOWN, NULL, FL_HERE,
                          "the instance is shutting down; send the request again");
        return 1;
    }
    if (init_failed_locked(rt)) {
        copy_response(&job->resp, &rt->init_error); /* fail fast, no state needed */
        pthread_mutex_unlock(&rt->lock);
        return 1;
    }
    vm *v = NULL;
    if (!rt->wait_head && rt->inflight < rt->concurrency)
        v = take_free_locked(rt);
    if (!v) {
        /* over --concurrency, or every state busy: wait in arrival order,
         * but never past the deadline (loop thread 0 answers it then) */
        job->suspend(job);
        job->answer_by = fl_request_answer_by(&job->req, rt->cfg->timeout_s, &job->timeout_s);
        int sooner = !rt->wait_head || job->answer_by < rt->next_expiry;
        job_push(&rt->wait_head, &rt->wait_tail, job);
        if (sooner)
            rt->next_expiry = job->answer_by;
        fl_loop *first = rt->vms[0]->loop;
        pthread_mutex_unlock(&rt->lock);
        if (sooner)
            fl_loop_wake(first);
        return 0;
    }
    rt->inflight++;
    if (!fl_worker_ready(v->w) || stale_locked(rt, v)) {
        /* loading (the initializer may be slow) happens on the loop thread;
         * counted in v when it starts there (a rebuild waits for v to empty) */
        job->suspend(job);
        job_push(&v->start_head, &v->start_tail, job);
        pthread_mutex_unlock(&rt->lock);
        release(rt, v);
        return 0;
    }
    enter_flight_locked(v, job);
    pthread_mutex_unlock(&rt->lock);
    /* Run it right here on the HTTP thread: no hand-off, no wake-up.  If it
     * is still running when its slice ends, or waits on a call, its state's
     * loop thread carries it on, so this thread's other connections never
     * wait long behind it. */
    int answered = start(rt, v, job, FL_INLINE_SLICE, 1);
    if (answered == FL_RUN_ABANDONED)
        return -1; /* answered by the supervisor; v is no longer in use */
    release(rt, v);
    return answered;
}

void fl_runtime_run(fl_runtime *rt, fl_job *job)
{
    vm *v = rt->vms[0];
    if (job->req.kind == FL_REQ_INIT) {
        fl_response_reset(&job->resp);
        if (!fl_worker_ready(v->w) && !init_failed(rt))
            fl_worker_load(v->w, &job->req, &job->resp);
        return;
    }
    if (prepare(rt, v, job))
        return;
    fl_inv *inv = fl_worker_inv_new(v->w, &job->req, &job->resp, on_ready, job);
    job->inv = inv;
    job->where = v;
    if (!inv) {
        fl_response_error(&job->resp, FL_ERR_SERVICE_UNAVAILABLE, NULL, FL_HERE, "out of memory for a new invocation");
        return;
    }
    fl_run r = fl_worker_start(v->w, inv, 0);
    while (r != FL_RUN_DONE) {
        fl_inv *next = NULL;
        while (!next) {
            pthread_mutex_lock(&rt->lock);
            next = ready_pop(v);
            pthread_mutex_unlock(&rt->lock);
            if (!next)
                fl_loop_poll(v->loop, -1);
        }
        r = fl_worker_continue(v->w, next, 0);
    }
    fl_worker_inv_free(v->w, inv);
}

/* ---------------------------------------------------------------- the supervisor */

/* A new Lua state (nothing loaded yet) with its loop, to stand in for
 * state i; its loop thread is started by the caller. */
static vm *vm_new(fl_runtime *rt, int i)
{
    vm *v = calloc(1, sizeof *v);
    if (!v)
        return NULL;
    v->rt = rt;
    v->id = i;
    v->loop = fl_loop_create();
    if (!v->loop || !(v->w = fl_worker_new(rt->cfg, i, rt->n, v->loop, &rt->cancel))) {
        if (v->loop)
            fl_loop_free(v->loop);
        free(v);
        return NULL;
    }
    return v;
}

static void vm_free(vm *v)
{
    if (!v)
        return;
    fl_worker_free(v->w);
    fl_loop_free(v->loop);
    free(v);
}

/* Answers job through its abandon callback (the job stays its owner's). */
static void abandon(fl_job *job, const char *rid, fl_errkind kind, const char *msg, int on_its_thread)
{
    fl_response resp;
    fl_response_init(&resp);
    fl_response_error(&resp, kind, rid, FL_HERE, msg);
    if (job->abandon)
        job->abandon(job, &resp, on_its_thread);
    fl_response_free(&resp);
}

/* The invocation running in state i has run FL_STUCK_MARGIN past its
 * deadline: its code is where no hook reaches (a C function, a __gc
 * metamethod).  It is answered TimeoutError now, the other invocations in
 * flight in the state are answered ServiceUnavailable (the state is lost to
 * them), and a fresh state takes the place of the stuck one, so the
 * instance keeps its capacity.  The stuck thread keeps the old state. */
static void replace_stuck(fl_runtime *rt, int i)
{
    vm *nv = vm_new(rt, i);
    if (!nv) {
        FL_ERROR("Lua state %d is stuck and no memory is left for a state to replace it", i);
        return;
    }
    pthread_mutex_lock(&rt->lock);
    vm *v = rt->vms[i];
    fl_job *job = atomic_exchange(&v->run_job, NULL);
    if (!job || rt->quit) { /* it came back just now, or the instance is gone */
        if (job)
            atomic_store(&v->run_job, job);
        pthread_mutex_unlock(&rt->lock);
        vm_free(nv);
        return;
    }
    int on_http = atomic_load(&v->run_on_http);
    v->stuck = 1;
    v->stuck_since = fl_now();
    v->stuck_deadline = atomic_load(&v->run_deadline);
    v->stuck_on_http = on_http;
    /* run_inv and its request id were written before run_job, which this
     * thread has taken: the stuck thread no longer changes either */
    snprintf(v->stuck_rid, sizeof v->stuck_rid, "%s", fl_inv_request_id(v->run_inv));
    /* what waited for v goes to its replacement */
    nv->control = v->control;
    v->control = NULL;
    nv->start_head = v->start_head;
    nv->start_tail = v->start_tail;
    v->start_head = v->start_tail = NULL;
    nv->gen = atomic_load(&rt->code_gen); /* it loads the code on disk now */
    /* what was in flight in v is answered below: no longer counted */
    fl_job *victims = v->flight;
    v->flight = NULL;
    rt->inflight -= v->inflight;
    if (pthread_create(&nv->thread, NULL, loop_main, nv) == 0) /* it waits for the lock */
        nv->has_thread = 1;
    else
        FL_ERROR("cannot start the loop thread of the state replacing Lua state %d", i);
    rt->vms[i] = nv;
    v->next_stuck = rt->stuck;
    rt->stuck = v;
    rt->n_stuck++;
    int n_stuck = rt->n_stuck;

    /* Answered under the lock: the stuck code coming back (came_back)
     * waits for it, so the job is not let go while it is answered. */
    char msg[512];
    snprintf(msg, sizeof msg,
             "invocation timed out: its code was still running %.1f s after its deadline, in code the runtime "
             "cannot interrupt (a C function or a __gc metamethod that does not return); the Lua state was "
             "replaced",
             FL_STUCK_MARGIN);
    int n_victims = 0;
    for (fl_job *j = victims, *next; j; j = next) {
        next = j->flight_next;
        if (j == job)
            continue;
        n_victims++;
        char rid[FL_REQUEST_ID_MAX + 1];
        abandon(j, fl_request_id(&j->req, rid, sizeof rid), FL_ERR_SERVICE_UNAVAILABLE,
                "the Lua state this invocation ran in was lost to another invocation's code that never returned; "
                "send the request again",
                0);
    }
    abandon(job, v->stuck_rid, FL_ERR_TIMEOUT, msg, on_http);
    pthread_mutex_unlock(&rt->lock);

    pthread_detach(v->thread); /* ends by itself: at once, or when the stuck code returns */
    fl_loop_wake(v->loop);
    FL_ERROR("Lua state %d is stuck in request %s (on %s thread, %.1f s past its deadline): replaced by a fresh "
             "state; %d other invocation(s) in it answered ServiceUnavailable; %d state(s) stuck in this instance",
             i, v->stuck_rid, on_http ? "an HTTP" : "its loop", v->stuck_since - v->stuck_deadline, n_victims, n_stuck);
    fl_loop_wake(nv->loop);
}

static void *supervise(void *arg)
{
    fl_runtime *rt = arg;
    pthread_mutex_lock(&rt->lock);
    while (!rt->quit) {
        fl_cond_wait_ns(&rt->supervisor_wake, &rt->lock, FL_WATCH_INTERVAL_NS);
        double now = fl_now();
        for (int i = 0; i < rt->n && !rt->quit; i++) {
            vm *v = rt->vms[i];
            if (!atomic_load(&v->run_job) || now < atomic_load(&v->run_deadline) + FL_STUCK_MARGIN)
                continue;
            pthread_mutex_unlock(&rt->lock);
            replace_stuck(rt, i);
            pthread_mutex_lock(&rt->lock);
        }
    }
    pthread_mutex_unlock(&rt->lock);
    return NULL;
}

int fl_runtime_healthy(fl_runtime *rt, fl_buf *detail)
{
    pthread_mutex_lock(&rt->lock);
    int healthy = !init_failed_locked(rt);
    int still = 0;
    if (detail)
        fl_buf_addc(detail, '[');
    double now = fl_now();
    for (vm *v = rt->stuck; v; v = v->next_stuck) {
        still += !v->came_back;
        if (detail)
            fl_buf_printf(detail,
                          "%s{\"state\":%d,\"requestId\":\"%s\",\"thread\":\"%s\",\"stuckForSeconds\":%.1f,"
                          "\"returned\":%s}",
                          v == rt->stuck ? "" : ",", v->id, v->stuck_rid, v->stuck_on_http ? "http" : "loop",
                          now - v->stuck_since, v->came_back ? "true" : "false");
    }
    if (detail)
        fl_buf_addc(detail, ']');
    if (still > rt->n)
        healthy = 0;
    pthread_mutex_unlock(&rt->lock);
    return healthy;
}

/* States whose stuck code has not returned: their threads still run. */
static int still_stuck(fl_runtime *rt)
{
    pthread_mutex_lock(&rt->lock);
    int n = 0;
    for (vm *v = rt->stuck; v; v = v->next_stuck)
        n += !v->came_back;
    pthread_mutex_unlock(&rt->lock);
    return n;
}

/* ---------------------------------------------------------------- life cycle */

fl_runtime *fl_runtime_create(const fl_config *cfg, int threaded)
{
    fl_runtime *rt = calloc(1, sizeof *rt);
    if (!rt)
        return NULL;
    rt->cfg = cfg;
    rt->threaded = threaded;
    rt->n = threaded ? cfg->workers : 1;
    rt->concurrency = cfg->concurrency > 0 ? cfg->concurrency : FL_CONCURRENCY_DEFAULT;
    rt->vms = calloc((size_t)rt->n, sizeof *rt->vms);
    rt->init_jobs = calloc((size_t)rt->n, sizeof *rt->init_jobs);
    rt->swap_jobs = calloc((size_t)rt->n, sizeof *rt->swap_jobs);
    pthread_mutex_init(&rt->lock, NULL);
    pthread_cond_init(&rt->supervisor_wake, NULL);
    fl_response_init(&rt->init_error);
    fl_response_init(&rt->init_result);
    if (!rt->vms || !rt->init_jobs || !rt->swap_jobs) {
        fl_runtime_destroy(rt);
        return NULL;
    }
    for (int i = 0; i < rt->n; i++) {
        fl_response_init(&rt->init_jobs[i].resp);
        fl_response_init(&rt->swap_jobs[i].resp);
    }
    for (int i = 0; i < rt->n; i++) {
        if (!(rt->vms[i] = vm_new(rt, i))) {
            FL_ERROR("cannot create Lua state %d", i);
            fl_runtime_destroy(rt);
            return NULL;
        }
    }
    if (cfg->reload)
        rt->reload = fl_reload_start(cfg->dir, &rt->code_gen);
    if (threaded) {
        for (int i = 0; i < rt->n; i++) {
            vm *v = rt->vms[i];
            if (pthread_create(&v->thread, NULL, loop_main, v) != 0) {
                FL_ERROR("cannot start the loop thread of Lua state %d", i);
                fl_runtime_destroy(rt);
                return NULL;
            }
            v->has_thread = 1;
        }
        if (pthread_create(&rt->supervisor, NULL, supervise, rt) == 0)
            rt->has_supervisor = 1;
        else
            FL_WARN("no supervisor thread: an invocation stuck in C code holds its Lua state for good");
    }
    return rt;
}

/* Nothing in flight, nobody waiting, no state held. */
static int drained(fl_runtime *rt)
{
    pthread_mutex_lock(&rt->lock);
    int d = rt->inflight == 0 && !rt->wait_head && rt->init_pending == 0;
    for (int i = 0; d && i < rt->n; i++)
        d = !rt->vms[i]->held && !rt->vms[i]->start_head && !rt->vms[i]->control;
    pthread_mutex_unlock(&rt->lock);
    return d;
}

static void wait_drained(fl_runtime *rt, double seconds)
{
    double until = fl_now() + seconds;
    while (!drained(rt) && fl_now() < until)
        usleep(2000);
}

int fl_runtime_stop(fl_runtime *rt, double grace_s)
{
    /* the watcher stays until fl_runtime_destroy: HTTP threads still poll it */
    if (rt->threaded) {
        pthread_mutex_lock(&rt->lock);
        int running = !rt->quit;
        rt->stopping = 1;
        pthread_mutex_unlock(&rt->lock);
        if (running) {
            /* running and waiting invocations finish within the grace period
             * (one stuck in C code is answered and left by the supervisor)... */
            wait_drained(rt, grace_s);
            if (!drained(rt)) {
                /* ...or are cancelled: at their next hook, and their calls and sleeps now */
                FL_WARN("shutdown: grace period over; cancelling the invocations still running");
                atomic_store(&rt->cancel, 1);
                pthread_mutex_lock(&rt->lock);
                for (int i = 0; i < rt->n; i++)
                    fl_loop_cancel_all(rt->vms[i]->loop);
                pthread_mutex_unlock(&rt->lock);
                wait_drained(rt, 2.0);
            }
            if (!drained(rt)) {
                FL_ERROR("shutdown: an invocation is stuck in C code and cannot be stopped; exiting without it");
                return -1;
            }
            pthread_mutex_lock(&rt->lock);
            rt->quit = 1; /* from here on the states are not replaced */
            pthread_cond_signal(&rt->supervisor_wake);
            pthread_mutex_unlock(&rt->lock);
            if (rt->has_supervisor) {
                pthread_join(rt->supervisor, NULL);
                rt->has_supervisor = 0;
            }
            for (int i = 0; i < rt->n; i++) {
                vm *v = rt->vms[i];
                if (!v->has_thread)
                    continue;
                fl_loop_wake(v->loop);
                pthread_join(v->thread, NULL);
                v->has_thread = 0;
            }
        } else {
            return 0; /* stopped already */
        }
    }
    /* the cancellation was for the invocations: the hooks get their own time */
    atomic_store(&rt->cancel, 0);
    for (int i = 0; i < rt->n; i++)
        fl_worker_shutdown(rt->vms[i]->w);
    if (still_stuck(rt)) {
        FL_ERROR("shutdown: %d Lua state(s) still run code stuck in C; exiting without them", still_stuck(rt));
        return -1;
    }
    return 0;
}

void fl_runtime_destroy(fl_runtime *rt)
{
    if (!rt)
        return;
    for (int i = 0; rt->vms && i < rt->n; i++)
        if (rt->vms[i] && rt->vms[i]->has_thread && fl_runtime_stop(rt, 0) != 0)
            return; /* a thread still uses the states: leave them to the exit */
    if (still_stuck(rt))
        return;
    for (int i = 0; rt->vms && i < rt->n; i++)
        vm_free(rt->vms[i]);
    while (rt->stuck) { /* every one came back: no thread uses them */
        vm *next = rt->stuck->next_stuck;
        vm_free(rt->stuck);
        rt->stuck = next;
    }
    for (int i = 0; rt->init_jobs && i < rt->n; i++)
        fl_response_free(&rt->init_jobs[i].resp);
    for (int i = 0; rt->swap_jobs && i < rt->n; i++)
        fl_response_free(&rt->swap_jobs[i].resp);
    fl_reload_stop(rt->reload);
    fl_response_free(&rt->init_error);
    fl_response_free(&rt->init_result);
    pthread_cond_destroy(&rt->supervisor_wake);
    pthread_mutex_destroy(&rt->lock);
    free(rt->vms);
    free(rt->init_jobs);
    free(rt->swap_jobs);
    free(rt);
}
