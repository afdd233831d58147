/* context.c - the handler's context object and logger (see context.h). */
#define _GNU_SOURCE
#include "context.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <unistd.h>

#include <lauxlib.h>

#include "config.h"
#include "convert.h"

static const char context_mt_key = 'C';
static const char logger_mt_key = 'L';

typedef struct ctx_ud {
    fl_invocation *inv;
    uint64_t serial;
} ctx_ud;

/* ---------------------------------------------------------------- lifecycle */

static void new_request_id(char *out, size_t n)
{
    unsigned char r[16];
    if (getrandom(r, sizeof r, 0) != (ssize_t)sizeof r) {
        for (size_t i = 0; i < sizeof r; i++)
            r[i] = (unsigned char)rand();
    }
    r[6] = (unsigned char)((r[6] & 0x0F) | 0x40); /* version 4 */
    r[8] = (unsigned char)((r[8] & 0x3F) | 0x80); /* variant */
    snprintf(out, n, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", r[0], r[1], r[2], r[3],
             r[4], r[5], r[6], r[7], r[8], r[9], r[10], r[11], r[12], r[13], r[14], r[15]);
}

/* The platform's X-CFF-* header `name`, or NULL.  In HTTP mode every header
 * comes from the function's own clients, so none is trusted: limits come
 * from the configuration, context getters from the RUNTIME_* environment. */
static const char *platform_header(const fl_request *req, const char *name, size_t *len)
{
    return req->kind == FL_REQ_HTTP ? NULL : fl_request_header(req, name, len);
}

/* A positive integer header, else dflt (the configuration, which already
 * folds in RUNTIME_TIMEOUT / RUNTIME_MEMORY). */
static int header_int(const fl_request *req, const char *name, int dflt)
{
    const char *v = platform_header(req, name, NULL);
    return v && atoi(v) > 0 ? atoi(v) : dflt;
}

/* [A-Za-z0-9._-]{1,128}: an id that cannot forge a log line or a JSON field. */
static int request_id_ok(const char *s, size_t n)
{
    if (n == 0 || n > FL_REQUEST_ID_MAX)
        return 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' || c == '_' ||
              c == '-'))
            return 0;
    }
    return 1;
}

/* The answer comes a little before the platform gives up on the call. */
static double with_margin(double deadline, int timeout_s)
{
    double margin = timeout_s * 0.05;
    return deadline - (margin > 1.0 ? 1.0 : margin);
}

double fl_context_answer_by(const fl_invocation *inv)
{
    return with_margin(inv->deadline, inv->timeout_s);
}

double fl_request_answer_by(const fl_request *req, int default_timeout_s, int *timeout_s)
{
    *timeout_s = header_int(req, "X-CFF-Timeout", default_timeout_s);
    return with_margin(req->arrival + *timeout_s, *timeout_s);
}

const char *fl_request_id(const fl_request *req, char *buf, size_t n)
{
    size_t len = 0;
    const char *rid = platform_header(req, "X-CFF-Request-Id", &len);
    if (!rid || !request_id_ok(rid, len) || len >= n)
        return NULL;
    memcpy(buf, rid, len);
    buf[len] = '\0';
    return buf;
}

void fl_context_begin(fl_invocation *inv, const fl_request *req, int default_timeout_s, int default_memory_mb)
{
    size_t n = 0;
    const char *rid = platform_header(req, "X-CFF-Request-Id", &n);
    if (rid && request_id_ok(rid, n)) {
        memcpy(inv->request_id, rid, n);
        inv->request_id[n] = '\0';
    } else if (!rid && (req->kind == FL_REQ_INIT || req->kind == FL_REQ_REBUILD)) {
        strcpy(inv->request_id, "-"); /* the platform's /init carries none, a SIGHUP swap has none */
    } else {
        new_request_id(inv->request_id, sizeof inv->request_id);
    }
    inv->timeout_s = header_int(req, "X-CFF-Timeout", default_timeout_s);
    inv->memory_mb = header_int(req, "X-CFF-Memory", default_memory_mb);
    inv->deadline = req->arrival + inv->timeout_s;
    inv->req = req;
    inv->serial++;
}

void fl_context_end(fl_invocation *inv)
{
    inv->req = NULL;
    inv->serial++;
    strcpy(inv->request_id, "-");
}

/* ---------------------------------------------------------------- getters */

static fl_invocation *check_ctx(lua_State *L)
{
    ctx_ud *c = luaL_checkudata(L, 1, "fnlua.context");
    if (!c->inv->req || c->inv->serial != c->serial)
        luaL_error(L, "this context belongs to an invocation that has ended; "
                      "use the context passed to the running handler");
    return c->inv;
}

static void push_str(lua_State *L, const char *s, size_t n)
{
    if (s && n)
        lua_pushlstring(L, s, n);
    else
        lua_pushnil(L);
}

/* Header value, else the environment variable, else nil. */
static int push_header_env(lua_State *L, const fl_request *req, const char *header, const char *env)
{
    size_t n = 0;
    const char *v = header ? platform_header(req, header, &n) : NULL;
    if (!v && env) {
        v = getenv(env);
        n = v ? strlen(v) : 0;
    }
    push_str(L, v, n);
    return 1;
}

typedef struct string_getter {
    const char *name;
    const char *header;
    const char *env;
} string_getter;

static const string_getter string_getters[] = {
    {"getVersion", "X-CFF-Func-Version", "RUNTIME_FUNC_VERSION"},
    {"getPackage", "X-CFF-Package", "RUNTIME_PACKAGE"},
    {"getProjectID", "X-CFF-Project-Id", "RUNTIME_PROJECT_ID"},
    {"getRegion", "X-CFF-Region", "RUNTIME_REGION"},
    {"getSecurityAccessKey", "X-CFF-Security-Access-Key", NULL},
    {"getSecuritySecretKey", "X-CFF-Security-Secret-Key", NULL},
    {"getSecurityToken", "X-CFF-Security-Token", NULL},
    {"getToken", "X-CFF-Auth-Token", NULL},
    {"getAccessKey", "X-CFF-Access-Key", NULL},
    {"getSecretKey", "X-CFF-Secret-Key", NULL},
    {"getWorkflowID", "X-Cff-Workflow-Id", NULL},
    {"getWorkflowRunID", "X-Cff-Workflow-Run-Id", NULL},
    {"getWorkflowStateID", "X-Cff-Workflow-State-Id", NULL},
};

static int string_getter_fn(lua_State *L)
{
    fl_invocation *inv = check_ctx(L);
    const string_getter *g = lua_touserdata(L, lua_upvalueindex(1));
    return push_header_env(L, inv->req, g->header, g->env);
}

static int getRequestID(lua_State *L)
{
    fl_invocation *inv = check_ctx(L);
    lua_pushstring(L, inv->request_id);
    return 1;
}

static int getRemainingTimeInMilliSeconds(lua_State *L)
{
    fl_invocation *inv = check_ctx(L);
    double left = (inv->deadline - fl_now()) * 1000.0;
    lua_pushinteger(L, left > 0 ? (lua_Integer)left : 0);
    return 1;
}

static int getRunningTimeInSeconds(lua_State *L)
{
    lua_pushinteger(L, check_ctx(L)->timeout_s);
    return 1;
}

static int getMemorySize(lua_State *L)
{
    lua_pushinteger(L, check_ctx(L)->memory_mb);
    return 1;
}

static int getCPUNumber(lua_State *L)
{
    check_ctx(L);
    const char *v = getenv("RUNTIME_CPU");
    if (v && atoi(v) > 0)
        lua_pushinteger(L, atoi(v));
    else
        lua_pushinteger(L, fl_config_cpus());
    return 1;
}

static int getFunctionName(lua_State *L)
{
    fl_invocation *inv = check_ctx(L);
    size_t n = 0;
    const char *v = platform_header(inv->req, "X-CFF-Func-Name", &n);
    if (!v) {
        v = getenv("RUNTIME_FUNC_NAME");
        n = v ? strlen(v) : 0;
    }
    /* the platform may send "0@default@name": the name is after the last '@' */
    for (size_t i = n; v && i > 0; i--)
        if (v[i - 1] == '@') {
            v += i;
            n -= i;
            break;
        }
    push_str(L, v, n);
    return 1;
}

static int getAlias(lua_State *L)
{
    fl_invocation *inv = check_ctx(L);
    size_t n = 0;
    const char *v = platform_header(inv->req, "X-Cff-Origin-Version-Tag", &n);
    if (v && *v == '!') {
        v++;
        n--;
    }
    push_str(L, v, n);
    return 1;
}

static int getInvokeType(lua_State *L)
{
    fl_invocation *inv = check_ctx(L);
    size_t n = 0;
    const char *v = platform_header(inv->req, "X-CFF-Invoke-Type", &n);
    if (v)
        lua_pushlstring(L, v, n);
    else
        lua_pushliteral(L, "sync");
    return 1;
}

static int getUserData(lua_State *L)
{
    check_ctx(L);
    const char *key = luaL_checkstring(L, 2);
    const char *v = getenv(key);
    if (v)
        lua_pushstring(L, v);
    else
        lua_pushnil(L);
    return 1;
}

static int getInstanceID(lua_State *L)
{
    check_ctx(L);
    static const char *const vars[] = {"PAAS_POD_ID", "POD_NAME", "HOSTNAME"};
    for (size_t i = 0; i < sizeof vars / sizeof vars[0]; i++) {
        const char *v = getenv(vars[i]);
        if (v && *v) {
            lua_pushstring(L, v);
            return 1;
        }
    }
    char host[256];
    if (gethostname(host, sizeof host) == 0) {
        host[sizeof host - 1] = '\0';
        lua_pushstring(L, host);
    } else {
        lua_pushnil(L);
    }
    return 1;
}

static int getLogger(lua_State *L)
{
    fl_invocation *inv = check_ctx(L);
    ctx_ud *lg = lua_newuserdatauv(L, sizeof *lg, 0);
    lg->inv = inv;
    lg->serial = inv->serial; /* a logger kept past its invocation logs without a request id */
    lua_rawgetp(L, LUA_REGISTRYINDEX, &logger_mt_key);
    lua_setmetatable(L, -2);
    return 1;
}

/* __index(ctx, key): methods, then the lazily built `headers` table. */
static int ctx_index(lua_State *L)
{
    lua_pushvalue(L, 2);
    if (lua_rawget(L, lua_upvalueindex(1)) != LUA_TNIL)
        return 1;
    const char *k = lua_tostring(L, 2);
    if (k && strcmp(k, "headers") == 0) {
        fl_invocation *inv = check_ctx(L);
        if (lua_getiuservalue(L, 1, 1) == LUA_TTABLE)
            return 1;
        lua_pop(L, 1);
        fl_convert_headers_to_lua(L, inv->req->headers, inv->req->n_headers);
        lua_pushvalue(L, -1);
        lua_setiuservalue(L, 1, 1);
        return 1;
    }
    return 0;
}

static int ctx_tostring(lua_State *L)
{
    ctx_ud *c = luaL_checkudata(L, 1, "fnlua.context");
    lua_pushfstring(L, "fnlua.context (%s)", c->inv->serial == c->serial ? c->inv->request_id : "ended");
    return 1;
}

/* ---------------------------------------------------------------- logging */

void fl_context_source(lua_State *L, int level, const char *code_dir, char *out, size_t n)
{
    lua_Debug ar;
    out[0] = '\0';
    if (!lua_getstack(L, level, &ar) || !lua_getinfo(L, "Sl", &ar))
        return;
    const char *src = ar.source;
    if (*src == '@' || *src == '=') {
        src++;
        size_t dl = code_dir ? strlen(code_dir) : 0;
        if (dl && strncmp(src, code_dir, dl) == 0 && src[dl] == '/')
            src += dl + 1;
    } else {
        src = ar.short_src;
    }
    snprintf(out, n, "%s:%d", src, ar.currentline);
}

/* FunctionGraph's loggers never throw, so neither does fnlua's: a bad format
 * or a __tostring that raises must not fail the invocation.  The risky
 * steps run under the standard pcall (upvalue LOG_PCALL, called as a Lua
 * function), and what fails is shown raw.  Upvalues of the logging
 * functions: */
#define LOG_FORMAT  lua_upvalueindex(1) /* string.format */
#define LOG_PCALL   lua_upvalueindex(2) /* the standard pcall */
#define LOG_CURRENT lua_upvalueindex(3) /* the state's slot: the context of what runs in it now */

static fl_invocation *current_inv(lua_State *L)
{
    fl_invocation *const *current = lua_touserdata(L, LOG_CURRENT);
    return *current;
}

static int tostring_value(lua_State *L)
{
    luaL_tolstring(L, 1, NULL);
    return 1;
}

/* Stack: [] -> [text of the value at idx]: tostring, or when that raises or
 * returns no string, "type: address" without asking any metamethod. */
static void push_safe_tostring(lua_State *L, int idx)
{
    idx = lua_absindex(L, idx);
    switch (lua_type(L, idx)) {
    case LUA_TSTRING:
    case LUA_TNUMBER: /* the common case, without a protected call */
        lua_pushvalue(L, idx);
        lua_tolstring(L, -1, NULL);
        return;
    case LUA_TNIL:
    case LUA_TBOOLEAN:
        lua_pushstring(L, lua_isnil(L, idx) ? "nil" : lua_toboolean(L, idx) ? "true" : "false");
        return;
    }
    lua_pushvalue(L, LOG_PCALL);
    lua_pushcfunction(L, tostring_value);
    lua_pushvalue(L, idx);
    lua_call(L, 2, 2);
    if (lua_toboolean(L, -2) && lua_type(L, -1) == LUA_TSTRING) {
        lua_remove(L, -2);
        return;
    }
    lua_pop(L, 2);
    lua_pushfstring(L, "%s: %p", luaL_typename(L, idx), lua_topointer(L, idx));
}

/* Stack: [] -> [the values from first to top, each as text, tab-separated]. */
static void push_raw_args(lua_State *L, int first, int top, const char *sep)
{
    luaL_checkstack(L, top - first + 4, "logger arguments");
    int base = lua_gettop(L);
    for (int i = first; i <= top; i++) {
        if (i > first)
            lua_pushstring(L, sep);
        push_safe_tostring(L, i);
    }
    lua_concat(L, lua_gettop(L) - base);
}

/* Formats the call's arguments from index first: a format string and its
 * arguments (string.format), or a single value.  A format that raises logs
 * the format string and its arguments as they are, and the reason. */
static void log_call(lua_State *L, fl_invocation *inv, int live, fl_log_level lv, int first)
{
    if (!fl_log_enabled(lv))
        return;
    int top = lua_gettop(L);
    int nargs = top - first + 1;
    if (nargs <= 1) {
        push_raw_args(L, first, top, "");
    } else {
        luaL_checkstack(L, nargs + 3, "logger arguments");
        lua_pushvalue(L, LOG_PCALL);
        lua_pushvalue(L, LOG_FORMAT);
        for (int i = first; i <= top; i++)
            lua_pushvalue(L, i);
        lua_call(L, nargs + 1, 2);
        if (!lua_toboolean(L, -2) || lua_type(L, -1) != LUA_TSTRING) {
            int reason = lua_gettop(L);
            push_raw_args(L, first, top, " ");
            lua_pushliteral(L, " [log format error: ");
            push_safe_tostring(L, reason);
            lua_pushliteral(L, "]");
            lua_concat(L, 4);
        }
    }
    size_t len;
    const char *msg = lua_tolstring(L, -1, &len);
    char src[256];
    fl_context_source(L, 1, inv->code_dir, src, sizeof src);
    fl_log_write(lv, live && inv->req ? inv->request_id : NULL, src, msg ? msg : "", msg ? len : 0);
}

/* log:info(...) and, forgiving a dot for a colon, log.info(...) (which
 * logs under the invocation running now). */
static void logger_call(lua_State *L, fl_log_level lv)
{
    ctx_ud *lg = luaL_testudata(L, 1, "fnlua.logger");
    if (lg)
        log_call(L, lg->inv, lg->inv->serial == lg->serial, lv, 2);
    else
        log_call(L, current_inv(L), 1, lv, 1);
}

#define LOGGER_METHOD(fname, level)                                                                                    \
    static int fname(lua_State *L)                                                                                     \
    {                                                                                                                  \
        logger_call(L, level);                                                                                         \
        return 0;                                                                                                      \
    }
LOGGER_METHOD(logger_debug, FL_LOG_DEBUG)
LOGGER_METHOD(logger_info, FL_LOG_INFO)
LOGGER_METHOD(logger_warn, FL_LOG_WARN)
LOGGER_METHOD(logger_error, FL_LOG_ERROR)

/* print(...): tab-separated like the standard print, logged at INFO. */
static int logging_print(lua_State *L)
{
    fl_invocation *inv = current_inv(L);
    int n = lua_gettop(L);
    push_raw_args(L, 1, n, "\t");
    size_t len;
    const char *msg = lua_tolstring(L, -1, &len);
    char src[256];
    fl_context_source(L, 1, inv->code_dir, src, sizeof src);
    fl_log_write(FL_LOG_INFO, inv->req ? inv->request_id : NULL, src, msg, len);
    return 0;
}

/* Stack: [] -> [string.format, pcall, current]: the upvalues of the logging functions. */
static void push_log_upvalues(lua_State *L, fl_invocation *const *current)
{
    lua_getglobal(L, "string");
    lua_getfield(L, -1, "format");
    lua_remove(L, -2);
    lua_getglobal(L, "pcall");
    lua_pushlightuserdata(L, (void *)current);
}

void fl_context_openstate(lua_State *L, fl_invocation *const *current)
{
    /* logger metatable */
    static const luaL_Reg logger_methods[] = {
        {"debug", logger_debug}, {"info", logger_info}, {"warn", logger_warn}, {"error", logger_error}, {NULL, NULL},
    };
    luaL_newmetatable(L, "fnlua.logger");
    lua_newtable(L);
    push_log_upvalues(L, current);
    luaL_setfuncs(L, logger_methods, 3);
    lua_setfield(L, -2, "__index");
    lua_pushvalue(L, -1);
    lua_rawsetp(L, LUA_REGISTRYINDEX, &logger_mt_key);
    lua_pop(L, 1);

    /* context metatable */
    static const luaL_Reg methods[] = {
        {"getRequestID", getRequestID},
        {"getRemainingTimeInMilliSeconds", getRemainingTimeInMilliSeconds},
        {"getRunningTimeInSeconds", getRunningTimeInSeconds},
        {"getMemorySize", getMemorySize},
        {"getCPUNumber", getCPUNumber},
        {"getFunctionName", getFunctionName},
        {"getAlias", getAlias},
        {"getInvokeType", getInvokeType},
        {"getUserData", getUserData},
        {"getInstanceID", getInstanceID},
        {"getLogger", getLogger},
        {NULL, NULL},
    };
    luaL_newmetatable(L, "fnlua.context");
    lua_newtable(L); /* methods */
    luaL_setfuncs(L, methods, 0);
    for (size_t i = 0; i < sizeof string_getters / sizeof string_getters[0]; i++) {
        lua_pushlightuserdata(L, (void *)&string_getters[i]);
        lua_pushcclosure(L, string_getter_fn, 1);
        lua_setfield(L, -2, string_getters[i].name);
    }
    lua_pushcclosure(L, ctx_index, 1);
    lua_setfield(L, -2, "__index");
    lua_pushcfunction(L, ctx_tostring);
    lua_setfield(L, -2, "__tostring");
    lua_pushliteral(L, "fnlua.context");
    lua_setfield(L, -2, "__metatable");
    lua_rawsetp(L, LUA_REGISTRYINDEX, &context_mt_key);

    push_log_upvalues(L, current);
    lua_pushcclosure(L, logging_print, 3);
    lua_setglobal(L, "print");
}

void fl_context_push(lua_State *L, fl_invocation *inv)
{
    ctx_ud *c = lua_newuserdatauv(L, sizeof *c, 1);
    c->inv = inv;
    c->serial = inv->serial;
    lua_rawgetp(L, LUA_REGISTRYINDEX, &context_mt_key);
    lua_setmetatable(L, -2);
}
