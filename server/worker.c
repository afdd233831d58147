/* worker.c - one Lua state and everything that belongs to it (see worker.h). */
#include "worker.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <lauxlib.h>
#include <lualib.h>

#include "base64.h"
#include "lib.h"
#include "log.h"

#define MiB (1024.0 * 1024.0)

size_t fl_worker_budget(int memory_mb, int n_workers)
{
    /* Keep back what the server itself needs (code, HTTP buffers, request
     * bodies in flight): at least 16 MiB or an eighth of the instance. */
    size_t total = (size_t)memory_mb << 20;
    size_t reserve = total / 8 > (16u << 20) ? total / 8 : (16u << 20);
    size_t lua = total > reserve + (8u << 20) ? total - reserve : (8u << 20);
    return lua / (size_t)(n_workers > 0 ? n_workers : 1);
}

static int panic(lua_State *L)
{
    const char *msg = lua_tostring(L, -1);
    FL_ERROR("unprotected Lua error, aborting: %s", msg ? msg : "?");
    abort();
}

int fl_worker_init(fl_worker *w, const fl_config *cfg, int id, int n_workers)
{
    memset(w, 0, sizeof *w);
    w->id = id;
    w->n_workers = n_workers;
    w->cfg = cfg;
    w->budget = fl_worker_budget(cfg->memory_mb, n_workers);
    w->inv.code_dir = cfg->dir;
    strcpy(w->inv.request_id, "-");
    w->loaded.handler_ref = w->loaded.initializer_ref = w->loaded.shutdown_ref = LUA_NOREF;
    fl_error_init(&w->err);
    fl_envelope_init(&w->env);
    fl_buf_init(&w->scratch);

    w->L = lua_newstate(fl_limits_alloc, &w->limits);
    if (!w->L)
        return -1;
    lua_atpanic(w->L, panic);
    luaL_openlibs(w->L);
    fl_call_openstate(w->L);
    fl_lib_openstate(w->L);
    fl_context_openstate(w->L, &w->inv);
    fl_loader_openstate(w->L, cfg);
    lua_gc(w->L, LUA_GCGEN, 0, 0); /* short-lived garbage per request: generational mode */
    return 0;
}

void fl_worker_free(fl_worker *w)
{
    if (w->L)
        lua_close(w->L);
    w->L = NULL;
    fl_error_free(&w->err);
    fl_envelope_free(&w->env);
    fl_buf_free(&w->scratch);
}

/* ---------------------------------------------------------------- failures */

static const char *phase_error_type(fl_phase p)
{
    switch (p) {
    case FL_PHASE_LOAD: return "HandlerLoadError";
    case FL_PHASE_INIT: return "InitializerError";
    case FL_PHASE_DECODE: return "InvalidEvent";
    case FL_PHASE_ENCODE: return "ResultError";
    case FL_PHASE_SHUTDOWN: return "ShutdownError";
    default: return "HandlerError";
    }
}

/* Turns w->err (after a failed fl_call) into the error object in resp. */
static void fail(fl_worker *w, fl_response *resp)
{
    const char *type = phase_error_type(w->phase);
    int status = w->phase == FL_PHASE_DECODE ? 400 : 500;
    if (w->limits.timed_out) {
        type = "TimeoutError";
        if (w->err.where[0])
            fl_error_set(&w->err, "invocation timed out after %d s; it was stopped at %s", w->inv.timeout_s,
                         w->err.where);
        else
            fl_error_set(&w->err, "invocation timed out after %d s", w->inv.timeout_s);
        status = 500;
    } else if (w->err.status == LUA_ERRMEM || w->limits.exceeded) {
        type = "MemoryLimitError";
        fl_error_set(&w->err, "runtime memory limit exceeded: the Lua heap reached %.1f MB of its %.1f MB "
                              "budget (instance memory %d MB over %d workers)%s%s",
                     w->limits.peak / MiB, w->budget / MiB, w->inv.memory_mb, w->n_workers,
                     w->err.where[0] ? ", at " : "", w->err.where);
        status = 500;
    }
    if (w->phase == FL_PHASE_DECODE)
        fl_buf_reset(&w->err.traceback); /* the caller's JSON, not code, is at fault */
    fl_response_reset(resp);
    resp->status = status;
    resp->error_type = type;
    fl_convert_error_to_json(type, &w->err, &resp->body);
    fl_log_level lv = status == 400 ? FL_LOG_WARN : FL_LOG_ERROR;
    if (fl_log_enabled(lv)) {
        fl_buf_reset(&w->scratch);
        fl_buf_printf(&w->scratch, "%s: ", type);
        fl_buf_add(&w->scratch, w->err.message.data, w->err.message.len);
        if (w->err.traceback.len && status != 400) {
            fl_buf_addc(&w->scratch, '\n');
            fl_buf_add(&w->scratch, w->err.traceback.data, w->err.traceback.len);
        }
        fl_log_write(lv, w->inv.req ? w->inv.request_id : NULL, FL_HERE, w->scratch.data, w->scratch.len);
    }
}

/* After a memory error: collect; rebuild nothing here, the caller decides. */
static void recover(fl_worker *w)
{
    lua_settop(w->L, 0);
    if (w->limits.exceeded || w->err.status == LUA_ERRMEM)
        lua_gc(w->L, LUA_GCCOLLECT);
}

/* ---------------------------------------------------------------- load */

static int load_body(lua_State *L)
{
    fl_worker *w = lua_touserdata(L, 1);
    w->phase = FL_PHASE_LOAD;
    fl_loader_load(L, w->cfg, &w->loaded);
    if (w->loaded.initializer_ref != LUA_NOREF) {
        w->phase = FL_PHASE_INIT;
        lua_rawgeti(L, LUA_REGISTRYINDEX, w->loaded.initializer_ref);
        fl_context_push(L, &w->inv);
        lua_call(L, 1, 0);
    }
    return 0;
}

static double deadline_for(const fl_invocation *inv)
{
    /* answer a little before the platform gives up on the call */
    double margin = inv->timeout_s * 0.05;
    if (margin > 1.0)
        margin = 1.0;
    return inv->deadline - margin;
}

int fl_worker_load(fl_worker *w, const fl_request *req, fl_response *resp)
{
    fl_context_begin(&w->inv, req, w->cfg->timeout_s, w->cfg->memory_mb);
    w->budget = fl_worker_budget(w->inv.memory_mb, w->n_workers);
    fl_limits_begin(w->L, &w->limits, w->budget, deadline_for(&w->inv));
    int st = fl_call(w->L, load_body, w, &w->err);
    fl_limits_end(w->L, &w->limits);
    if (st != LUA_OK) {
        fail(w, resp);
        fl_loader_unref(w->L, &w->loaded);
        recover(w);
    } else {
        w->ready = 1;
        FL_DEBUG("worker %d: loaded %s.%s from %s", w->id, w->cfg->handler.module, w->cfg->handler.func, w->cfg->dir);
    }
    w->phase = FL_PHASE_NONE;
    fl_context_end(&w->inv);
    return st == LUA_OK ? 0 : -1;
}

/* ---------------------------------------------------------------- invoke */

static int invoke_body(lua_State *L)
{
    fl_worker *w = lua_touserdata(L, 1);
    const fl_request *req = w->inv.req;
    lua_settop(L, 0);
    w->phase = FL_PHASE_DECODE;
    if (req->kind == FL_REQ_HTTP)
        fl_convert_http_to_lua(L, req);
    else
        fl_convert_event_to_lua(L, req->body, req->body_len);
    w->phase = FL_PHASE_HANDLER;
    lua_rawgeti(L, LUA_REGISTRYINDEX, w->loaded.handler_ref);
    lua_insert(L, -2);
    fl_context_push(L, &w->inv);
    lua_call(L, 2, 1);
    w->phase = FL_PHASE_ENCODE;
    fl_convert_result_to_envelope(L, -1, &w->env, &w->scratch);
    return 0;
}

/* The envelope as a plain HTTP response (HTTP functions). */
static int envelope_to_http(fl_worker *w, fl_response *resp)
{
    resp->status = w->env.status;
    fl_buf_add(&resp->headers, w->env.headers.data, w->env.headers.len);
    if (w->env.is_base64) {
        if (!fl_base64_decode(&resp->body, w->env.body.data ? w->env.body.data : "", w->env.body.len)) {
            fl_error_reset(&w->err);
            fl_error_set(&w->err, "cannot decode body: isBase64Encoded is true but the body is not valid base64");
            return -1;
        }
    } else {
        fl_buf_add(&resp->body, w->env.body.data, w->env.body.len);
    }
    return 0;
}

void fl_worker_invoke(fl_worker *w, const fl_request *req, fl_response *resp)
{
    double t0 = fl_now();
    fl_context_begin(&w->inv, req, w->cfg->timeout_s, w->cfg->memory_mb);
    w->budget = fl_worker_budget(w->inv.memory_mb, w->n_workers);
    fl_limits_begin(w->L, &w->limits, w->budget, deadline_for(&w->inv));
    int st = fl_call(w->L, invoke_body, w, &w->err);
    fl_limits_end(w->L, &w->limits);
    w->invocations++;
    fl_response_reset(resp);
    if (st != LUA_OK) {
        fail(w, resp);
        recover(w);
    } else if (req->kind == FL_REQ_HTTP) {
        if (envelope_to_http(w, resp) != 0) {
            w->phase = FL_PHASE_ENCODE;
            fail(w, resp);
        }
    } else {
        resp->status = 200;
        fl_convert_envelope_to_json(&w->env, &resp->body);
        if (resp->body.len > FL_RESULT_MAX) {
            size_t n = resp->body.len;
            fl_error_reset(&w->err);
            fl_error_set(&w->err, "the result is %zu bytes, over the platform's limit of %d bytes; "
                                  "return less data or store it elsewhere (e.g. OBS) and return a link",
                         n, FL_RESULT_MAX);
            w->phase = FL_PHASE_ENCODE;
            fail(w, resp);
            resp->error_type = "ResultTooLarge";
            fl_buf_reset(&resp->body);
            fl_convert_error_to_json("ResultTooLarge", &w->err, &resp->body);
        }
    }
    lua_settop(w->L, 0);
    if (fl_log_enabled(FL_LOG_DEBUG))
        fl_logf(FL_LOG_DEBUG, w->inv.request_id, FL_HERE, "invocation finished: status %d%s%s, %.3f ms, Lua heap %.1f KB (peak %.1f KB)",
                resp->status, resp->error_type ? ", " : "", resp->error_type ? resp->error_type : "",
                (fl_now() - t0) * 1000.0, w->limits.used / 1024.0, w->limits.peak / 1024.0);
    w->phase = FL_PHASE_NONE;
    fl_context_end(&w->inv);
    /* keep big one-off buffers from pinning memory */
    fl_buf_shrink(&w->env.body, 1 << 20);
    fl_buf_shrink(&w->scratch, 1 << 20);
}

/* ---------------------------------------------------------------- shutdown */

static int shutdown_body(lua_State *L)
{
    fl_worker *w = lua_touserdata(L, 1);
    w->phase = FL_PHASE_SHUTDOWN;
    lua_rawgeti(L, LUA_REGISTRYINDEX, w->loaded.shutdown_ref);
    lua_call(L, 0, 0);
    return 0;
}

void fl_worker_shutdown(fl_worker *w)
{
    if (!w->ready || w->loaded.shutdown_ref == LUA_NOREF)
        return;
    fl_limits_begin(w->L, &w->limits, w->budget, fl_now() + 10.0);
    int st = fl_call(w->L, shutdown_body, w, &w->err);
    fl_limits_end(w->L, &w->limits);
    if (st != LUA_OK) {
        fl_logf(FL_LOG_ERROR, NULL, FL_HERE, "shutdown hook failed in worker %d: %s", w->id,
                fl_buf_cstr(&w->err.message));
    }
    w->phase = FL_PHASE_NONE;
}
