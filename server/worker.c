/* worker.c - one Lua state and everything that belongs to it (see worker.h). */
#include "worker.h"

#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <lua.h>
#include <lauxlib.h>
#include <lualib.h>

#include "call.h"
#include "context.h"
#include "convert.h"
#include "limit.h"
#include "loader.h"

#include "lfetch.h"
#include "lib.h"
#include "log.h"

#define MiB (1024.0 * 1024.0)

/* One Lua state with what was loaded into it.  Two may exist at once while
 * a SIGHUP rebuild prepares the replacement. */
typedef struct fl_state {
    fl_limits limits; /* first: the allocator's ud and the deadline hook find it */
    lua_State *L;
    fl_loaded loaded;
    int ready;              /* handler loaded and initializer run in this state */
    fl_errkind fails_as;    /* what a failure of the main thread's call is: load or initializer */
    fl_waiter *running;     /* waiter of the invocation running now (loop.h's slot) */
    fl_invocation *current; /* its context: what print logs under (context.h) */
    int free_refs[32];      /* finished coroutines kept for the next invocations */
    int n_free;
    int inflight;          /* invocations started in this state and not finished */
    int retiring;          /* replaced: 1 close when empty, 2 run the shutdown hook first */
    struct fl_state *next; /* the worker's list of retiring states */
} fl_state;

/* One invocation in flight in a worker's Lua state: many may be, each in
 * its own coroutine, with its own context, deadline and error. */
typedef struct fl_inv {
    fl_worker *w;
    fl_state *st; /* the state it runs in: a rebuild does not move it */
    const fl_request *req;
    fl_response *resp;
    lua_State *co;
    int co_ref;
    fl_invocation ctx;
    fl_limits_run lim;
    size_t budget;
    fl_waiter waiter;    /* ready() and ud are the runtime's */
    fl_errkind fails_as; /* what a failure now is: InvalidEvent, HandlerError, ResultError */
    double started;
    struct fl_inv *next; /* the runtime's queues */
    void *job;           /* the runtime's */
} fl_inv;

struct fl_worker {
    int id;
    int n_workers;
    const fl_config *cfg;
    size_t budget;            /* Lua heap bytes the state may hold during a call */
    fl_state *st;             /* the state new invocations start in */
    fl_state *retired;        /* replaced states that invocations still run in */
    fl_loop *loop;            /* where this state's invocations wait (NULL: they wait in place) */
    const atomic_int *cancel; /* the runtime's "stop everything" flag */
    unsigned generation;      /* code generation the state was loaded from (--reload) */
    int inflight;             /* invocations started in the state and not finished */
    fl_invocation idle_ctx;   /* the context of load, initializer and shutdown hook */
    fl_inv *spare;            /* finished invocation records, for reuse */
    fl_error err;
    fl_envelope env;
};

size_t fl_worker_budget(int memory_mb, int n_workers)
{
    /* Keep back what the server itself needs (code, HTTP buffers, request
     * bodies in flight): at least 16 MiB or an eighth of the instance. */
    size_t total = (size_t)memory_mb << 20;
    size_t reserve = total / 8 > (16u << 20) ? total / 8 : (16u << 20);
    /* (tiny instances, below the platform's 128 MB minimum: half of it) */
    size_t lua = total > reserve + (8u << 20) ? total - reserve : total / 2;
    return lua / (size_t)(n_workers > 0 ? n_workers : 1);
}

static int panic(lua_State *L)
{
    const char *msg = lua_tostring(L, -1);
    FL_ERROR("unprotected Lua error, aborting: %s", msg ? msg : "?");
    abort();
}

static fl_state *state_new(fl_worker *w)
{
    fl_state *st = calloc(1, sizeof *st);
    if (!st)
        return NULL;
    st->loaded.handler_ref = st->loaded.initializer_ref = st->loaded.shutdown_ref = LUA_NOREF;
    st->limits.cancel = w->cancel;
    st->current = &w->idle_ctx;
    st->L = lua_newstate(fl_limits_alloc, &st->limits);
    if (!st->L) {
        free(st);
        return NULL;
    }
    fl_wait_openstate(st->L, &st->running); /* before any coroutine exists */
    lua_atpanic(st->L, panic);
    luaL_openlibs(st->L);
    fl_call_openstate(st->L);
    fl_lib_openstate(st->L);
    fl_lfetch_openstate(st->L);
    fl_context_openstate(st->L, &st->current);
    fl_loader_openstate(st->L, w->cfg);
    lua_gc(st->L, LUA_GCGEN, 0, 0); /* short-lived garbage per request: generational mode */
    return st;
}

static void state_free(fl_state *st)
{
    if (!st)
        return;
    if (st->L)
        lua_close(st->L);
    free(st);
}

fl_worker *fl_worker_new(const fl_config *cfg, int id, int n_workers, fl_loop *loop, const atomic_int *cancel)
{
    fl_worker *w = calloc(1, sizeof *w);
    if (!w)
        return NULL;
    w->id = id;
    w->n_workers = n_workers;
    w->cfg = cfg;
    w->loop = loop;
    w->cancel = cancel;
    w->budget = fl_worker_budget(cfg->memory_mb, n_workers);
    w->idle_ctx.code_dir = cfg->dir;
    strcpy(w->idle_ctx.request_id, "-");
    fl_error_init(&w->err);
    fl_envelope_init(&w->env);
    w->st = state_new(w);
    if (!w->st) {
        fl_worker_free(w);
        return NULL;
    }
    return w;
}

void fl_worker_free(fl_worker *w)
{
    if (!w)
        return;
    state_free(w->st);
    w->st = NULL;
    while (w->retired) {
        fl_state *next = w->retired->next;
        state_free(w->retired);
        w->retired = next;
    }
    while (w->spare) {
        fl_inv *next = w->spare->next;
        free(w->spare);
        w->spare = next;
    }
    fl_error_free(&w->err);
    fl_envelope_free(&w->env);
    free(w);
}

int fl_worker_ready(const fl_worker *w)
{
    return w->st && w->st->ready;
}

static void state_shutdown(fl_worker *w, fl_state *st);

/* A replaced state: closed now if nothing runs in it, else by finish()
 * when its last invocation ends (suspended invocations are never moved or
 * cancelled: their coroutines and module variables live in it). */
static void close_state(fl_worker *w, fl_state *st)
{
    if (st->retiring == 2)
        state_shutdown(w, st);
    state_free(st);
}

static void retire(fl_worker *w, fl_state *st, int hook)
{
    st->retiring = hook ? 2 : 1;
    if (st->inflight == 0) {
        close_state(w, st);
        return;
    }
    st->next = w->retired;
    w->retired = st;
}

/* finish(): the last invocation of a retiring state ended. */
static void retired_empty(fl_worker *w, fl_state *st)
{
    for (fl_state **p = &w->retired; *p; p = &(*p)->next)
        if (*p == st) {
            *p = st->next;
            break;
        }
    close_state(w, st);
}

int fl_worker_reset(fl_worker *w)
{
    fl_state *st = state_new(w);
    if (!st)
        return -1;
    fl_state *old = w->st;
    w->st = st;
    retire(w, old, 0);
    return 0;
}

/* ---------------------------------------------------------------- failures */

/* How a call ended, beyond w->err: what fail() needs to name the failure. */
typedef struct outcome {
    fl_errkind kind; /* what the failing step was: a limit below overrides it */
    int timed_out, cancelled, exceeded;
    size_t peak;
    const fl_invocation *ctx;
} outcome;

/* A limit that stopped the call names the failure, whatever the step was. */
static fl_errkind limit_kind(fl_worker *w, const outcome *o)
{
    if (o->cancelled)
        return FL_ERR_CANCELLED;
    if (o->timed_out)
        return FL_ERR_TIMEOUT;
    /* a refusal that a pcall caught earlier does not make a later,
     * different error a memory error */
    if (w->err.status == LUA_ERRMEM || (o->exceeded && strstr(fl_buf_cstr(&w->err.message), "not enough memory")))
        return FL_ERR_MEMORY_LIMIT;
    return o->kind;
}

/* Turns w->err (after a failed call) into the error object in resp. */
static void fail(fl_worker *w, const outcome *o, fl_response *resp)
{
    fl_errkind kind = limit_kind(w, o);
    if (kind == FL_ERR_CANCELLED) {
        fl_error_set(&w->err, "invocation cancelled: the instance stopped and its grace period for "
                              "running invocations ran out");
    } else if (kind == FL_ERR_TIMEOUT) {
        if (w->err.where[0])
            fl_error_set(&w->err, "invocation timed out after %d s; it was stopped at %s", o->ctx->timeout_s,
                         w->err.where);
        else
            fl_error_set(&w->err, "invocation timed out after %d s", o->ctx->timeout_s);
    } else if (kind == FL_ERR_MEMORY_LIMIT) {
        fl_error_set(&w->err,
                     "runtime memory limit exceeded: the Lua heap reached %.1f MB of its %.1f MB "
                     "budget (instance memory %d MB over %d workers)%s%s",
                     o->peak / MiB, w->budget / MiB, o->ctx->memory_mb, w->n_workers, w->err.where[0] ? ", at " : "",
                     w->err.where);
    }
    if (o->kind == FL_ERR_INVALID_EVENT || o->kind == FL_ERR_RESULT || o->kind == FL_ERR_RESULT_TOO_LARGE)
        fl_buf_reset(&w->err.traceback); /* no handler code is on the stack: nothing to show */
    fl_answer_error(resp, kind, o->ctx->req ? o->ctx->request_id : NULL, FL_HERE, w->err.message.data,
                    w->err.message.len, w->err.traceback.data, w->err.traceback.len);
}

/* A failure of the state's main thread (load, initializer). */
static void fail_main(fl_worker *w, fl_state *st, fl_response *resp)
{
    outcome o = {st->fails_as,        st->limits.timed_out, st->limits.cancelled,
                 st->limits.exceeded, st->limits.peak,      &w->idle_ctx};
    fail(w, &o, resp);
}

/* After a failed call: drop what the call left; after a memory error also
 * collect.  1 when the heap stays large (the handler kept the garbage
 * reachable): the caller then starts a fresh state, so the next
 * invocation has room. */
static int recover(fl_worker *w, fl_state *st, int exceeded)
{
    lua_settop(st->L, 0);
    if (!exceeded && w->err.status != LUA_ERRMEM)
        return 0;
    lua_gc(st->L, LUA_GCCOLLECT);
    /* hand the freed pages back to the system: otherwise the allocator
     * keeps them and the instance's RSS ratchets up with every bomb */
    malloc_trim(0);
    if (st->limits.used > w->budget / 2 && st == w->st) {
        FL_WARN("worker %d: Lua heap still %.1f MB after a memory error; starting a fresh state", w->id,
                st->limits.used / MiB);
        return 1;
    }
    return 0;
}

/* ---------------------------------------------------------------- load */

static int load_body(lua_State *L)
{
    fl_worker *w = lua_touserdata(L, 1);
    void *ud;
    lua_getallocf(L, &ud);
    fl_state *st = ud;
    st->fails_as = FL_ERR_HANDLER_LOAD;
    fl_loader_load(L, w->cfg, &st->loaded);
    if (st->loaded.initializer_ref != LUA_NOREF) {
        st->fails_as = FL_ERR_INITIALIZER;
        lua_rawgeti(L, LUA_REGISTRYINDEX, st->loaded.initializer_ref);
        fl_context_push(L, &w->idle_ctx);
        lua_call(L, 1, 0);
    }
    return 0;
}

/* Loads the code into st; on failure fills resp (the error is about st). */
static int load_into(fl_worker *w, fl_state *st, const fl_request *req, fl_response *resp)
{
    fl_context_begin(&w->idle_ctx, req, w->cfg->timeout_s, w->cfg->memory_mb);
    w->budget = fl_worker_budget(w->idle_ctx.memory_mb, w->n_workers);
    fl_limits_begin(st->L, &st->limits, w->budget, fl_context_answer_by(&w->idle_ctx));
    int rc = fl_call(st->L, load_body, w, &w->err);
    fl_limits_end(st->L, &st->limits);
    if (rc != LUA_OK) {
        fail_main(w, st, resp);
        fl_loader_unref(st->L, &st->loaded);
        lua_settop(st->L, 0);
        lua_gc(st->L, LUA_GCCOLLECT);
    } else {
        st->ready = 1;
        FL_DEBUG("worker %d: loaded %s.%s from %s", w->id, w->cfg->handler.module, w->cfg->handler.func, w->cfg->dir);
    }
    fl_context_end(&w->idle_ctx);
    return rc == LUA_OK ? 0 : -1;
}

int fl_worker_load(fl_worker *w, const fl_request *req, fl_response *resp)
{
    if (w->st->ready)
        return 0;
    return load_into(w, w->st, req, resp);
}

int fl_worker_rebuild(fl_worker *w, const fl_request *req, fl_response *resp)
{
    fl_state *st = state_new(w);
    if (!st) {
        fl_response_error(resp, FL_ERR_HANDLER_LOAD, NULL, FL_HERE, "cannot create a Lua state");
        return -1;
    }
    if (load_into(w, st, req, resp) != 0) {
        state_free(st);
        return -1;
    }
    fl_state *old = w->st;
    w->st = st;
    retire(w, old, 1); /* its shutdown hook runs when nothing runs in it any more */
    return 0;
}

/* ---------------------------------------------------------------- invoke */

/* The invocation's main function, run in its own coroutine.  Stack:
 * [inv] -> [].  The handler is called with lua_callk so that the time-slice
 * hook and fnlua.http/fnlua.sleep can yield the coroutine from inside it;
 * invoke_done converts the result once it returns. */
static int invoke_done(lua_State *L, int status, lua_KContext ctx)
{
    (void)status;
    fl_inv *inv = (fl_inv *)ctx;
    inv->fails_as = FL_ERR_RESULT;
    fl_convert_result_to_envelope(L, -1, &inv->w->env);
    return 0;
}

static int invoke_main(lua_State *L)
{
    fl_inv *inv = lua_touserdata(L, 1);
    const fl_request *req = inv->req;
    lua_settop(L, 0);
    inv->fails_as = FL_ERR_INVALID_EVENT;
    if (req->kind == FL_REQ_HTTP)
        fl_convert_http_to_lua(L, req);
    else
        fl_convert_event_to_lua(L, req->body, req->body_len);
    inv->fails_as = FL_ERR_HANDLER;
    lua_rawgeti(L, LUA_REGISTRYINDEX, inv->st->loaded.handler_ref);
    lua_insert(L, -2);
    fl_context_push(L, &inv->ctx);
    lua_callk(L, 2, 1, (lua_KContext)inv, invoke_done);
    return invoke_done(L, LUA_OK, (lua_KContext)inv);
}

/* A coroutine for a new invocation: a finished one kept for reuse, or new. */
static int take_coroutine(fl_state *st, lua_State **co)
{
    if (st->n_free > 0) {
        int ref = st->free_refs[--st->n_free];
        lua_rawgeti(st->L, LUA_REGISTRYINDEX, ref);
        *co = lua_tothread(st->L, -1);
        lua_pop(st->L, 1);
        return ref;
    }
    if (!lua_checkstack(st->L, 2))
        return LUA_NOREF;
    *co = lua_newthread(st->L);
    return luaL_ref(st->L, LUA_REGISTRYINDEX);
}

/* A coroutine that ended cleanly is reused; one that failed may be left
 * with hooks disabled (an error raised by the deadline hook unwinds with
 * hooks off), so it is dropped. */
static void give_back_coroutine(fl_state *st, fl_inv *inv, int clean)
{
    if (clean && st->n_free < (int)(sizeof st->free_refs / sizeof st->free_refs[0])) {
        lua_settop(inv->co, 0);
        st->free_refs[st->n_free++] = inv->co_ref;
    } else {
        luaL_unref(st->L, LUA_REGISTRYINDEX, inv->co_ref);
    }
    inv->co = NULL;
    inv->co_ref = LUA_NOREF;
}

/* The invocation's coroutine returned, failed or yielded on its own. */
static void finish(fl_worker *w, fl_inv *inv, int rc)
{
    fl_state *st = inv->st;
    const fl_request *req = inv->req;
    fl_response *resp = inv->resp;
    fl_response_reset(resp);
    if (rc == LUA_YIELD) {
        /* the handler yielded the invocation's own coroutine: as in plain Lua,
         * that is an error, reported where the yield stands */
        fl_call_error_here(inv->co, "attempt to yield from outside a coroutine", &w->err);
        rc = LUA_ERRRUN; /* the coroutine is dropped, not reset (see fl_call_resume) */
    }
    outcome o = {inv->fails_as, inv->lim.timed_out, inv->lim.cancelled, inv->lim.exceeded, st->limits.peak, &inv->ctx};
    w->inflight--;
    st->inflight--;
    give_back_coroutine(st, inv, rc == LUA_OK);
    int fresh = 0;
    if (rc != LUA_OK) {
        fail(w, &o, resp);
        fresh = recover(w, st, inv->lim.exceeded);
    } else {
        fl_buf why = {0}; /* allocated only when the answer fails */
        o.kind = fl_answer_from_envelope(&w->env, req->kind == FL_REQ_HTTP && !req->envelope, resp, &why);
        if (o.kind != FL_ERR_NONE) {
            fl_error_reset(&w->err);
            fl_buf_add(&w->err.message, why.data, why.len);
            fl_buf_free(&why);
            fail(w, &o, resp);
        }
    }
    if (w->cfg->log_invocations)
        fl_log_invocation(inv->ctx.request_id, FL_HERE,
                          resp->error_kind ? fl_errkind_get(resp->error_kind)->name : "ok",
                          (fl_now() - req->arrival) * 1000.0, st->limits.used);
    else if (fl_log_enabled(FL_LOG_DEBUG))
        fl_logf(FL_LOG_DEBUG, inv->ctx.request_id, FL_HERE,
                "invocation finished: status %d%s%s, %.3f ms, Lua heap %.1f KB (peak %.1f KB)", resp->status,
                resp->error_kind ? ", " : "", resp->error_kind ? fl_errkind_get(resp->error_kind)->name : "",
                (fl_now() - inv->started) * 1000.0, st->limits.used / 1024.0, st->limits.peak / 1024.0);
    inv->fails_as = FL_ERR_NONE;
    fl_context_end(&inv->ctx);
    /* keep big one-off buffers from pinning memory */
    fl_buf_shrink(&w->env.body, 1 << 20);
    if (st->retiring && st->inflight == 0)
        retired_empty(w, st);
    else if (fresh && fl_worker_reset(w) != 0)
        FL_ERROR("worker %d: out of memory for a fresh Lua state", w->id);
}

/* Runs the invocation's coroutine until it ends, waits, or its slice is over. */
static fl_run run_slice(fl_worker *w, fl_inv *inv, int nargs, double slice_s)
{
    fl_state *st = inv->st;
    st->running = &inv->waiter;
    st->current = &inv->ctx;
    inv->waiter.suspended = 0;
    fl_limits_enter(&st->limits, &inv->lim, inv->budget, inv->co, slice_s > 0 ? fl_now() + slice_s : 0);
    /* an error value's __tostring runs on the main thread: under the same deadline */
    fl_limits_arm(st->L);
    int rc = fl_call_resume(st->L, inv->co, nargs, &w->err);
    lua_sethook(st->L, NULL, 0, 0);
    fl_limits_leave(&st->limits, &inv->lim);
    st->running = NULL;
    st->current = &w->idle_ctx;
    if (rc == LUA_YIELD && st->limits.paused)
        return FL_RUN_PAUSED;
    if (rc == LUA_YIELD && inv->waiter.suspended)
        return FL_RUN_WAITING;
    finish(w, inv, rc);
    return FL_RUN_DONE;
}

fl_inv *fl_worker_inv_new(fl_worker *w, const fl_request *req, fl_response *resp, void (*ready)(fl_waiter *), void *job)
{
    fl_inv *inv = w->spare;
    if (inv) {
        w->spare = inv->next;
    } else {
        inv = calloc(1, sizeof *inv);
        if (!inv)
            return NULL;
        inv->ctx.code_dir = w->cfg->dir;
    }
    fl_context_begin(&inv->ctx, req, w->cfg->timeout_s, w->cfg->memory_mb); /* its id and deadline known now */
    inv->w = w;
    inv->req = req;
    inv->resp = resp;
    inv->co = NULL;
    inv->co_ref = LUA_NOREF;
    inv->fails_as = FL_ERR_NONE;
    inv->next = NULL;
    inv->job = job;
    inv->waiter.ready = ready;
    inv->waiter.ud = inv;
    return inv;
}

void fl_worker_inv_free(fl_worker *w, fl_inv *inv)
{
    inv->req = NULL;
    inv->resp = NULL;
    inv->job = NULL;
    inv->next = w->spare;
    w->spare = inv;
}

void *fl_inv_job(const fl_inv *inv)
{
    return inv->job;
}

const char *fl_inv_request_id(const fl_inv *inv)
{
    return inv->ctx.request_id;
}

double fl_inv_answer_by(const fl_inv *inv)
{
    return fl_context_answer_by(&inv->ctx);
}

fl_run fl_worker_start(fl_worker *w, fl_inv *inv, double slice_s)
{
    fl_state *st = inv->st = w->st;
    inv->started = fl_now();
    w->budget = inv->budget = fl_worker_budget(inv->ctx.memory_mb, w->n_workers);
    inv->lim = (fl_limits_run){fl_context_answer_by(&inv->ctx), 0, 0, 0};
    inv->co_ref = take_coroutine(st, &inv->co);
    w->inflight++;
    st->inflight++;
    if (inv->co_ref == LUA_NOREF) {
        fl_error_reset(&w->err);
        w->err.status = LUA_ERRMEM;
        fl_buf_adds(&w->err.message, "not enough memory for a new coroutine");
        outcome o = {FL_ERR_MEMORY_LIMIT, 0, 0, 1, st->limits.peak, &inv->ctx};
        w->inflight--;
        st->inflight--;
        fail(w, &o, inv->resp);
        fl_context_end(&inv->ctx);
        return FL_RUN_DONE;
    }
    inv->waiter.loop = w->loop;
    inv->waiter.co = inv->co;
    inv->waiter.deadline = inv->lim.deadline;
    inv->waiter.n_relay = 0;
    atomic_store(&inv->waiter.pending, 0);
    fl_limits_arm(inv->co);
    lua_State *co = inv->co;
    lua_settop(co, 0);
    lua_pushcfunction(co, invoke_main);
    lua_pushlightuserdata(co, inv);
    return run_slice(w, inv, 1, slice_s);
}

fl_run fl_worker_continue(fl_worker *w, fl_inv *inv, double slice_s)
{
    return run_slice(w, inv, 0, slice_s);
}

/* ---------------------------------------------------------------- shutdown */

static int shutdown_body(lua_State *L)
{
    void *ud;
    lua_getallocf(L, &ud);
    fl_state *st = ud;
    lua_rawgeti(L, LUA_REGISTRYINDEX, st->loaded.shutdown_ref);
    lua_call(L, 0, 0);
    return 0;
}

void fl_worker_shutdown(fl_worker *w)
{
    if (w->st)
        state_shutdown(w, w->st);
}

static void state_shutdown(fl_worker *w, fl_state *st)
{
    if (!st || !st->ready || st->loaded.shutdown_ref == LUA_NOREF)
        return;
    fl_limits_begin(st->L, &st->limits, w->budget, fl_now() + 10.0);
    int rc = fl_call(st->L, shutdown_body, w, &w->err);
    fl_limits_end(st->L, &st->limits);
    if (rc != LUA_OK)
        fl_logf(FL_LOG_ERROR, NULL, FL_HERE, "shutdown hook failed in worker %d: %s", w->id,
                fl_buf_cstr(&w->err.message));
    st->loaded.shutdown_ref = LUA_NOREF; /* once per state */
}
