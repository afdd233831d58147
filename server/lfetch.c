/* lfetch.c - fnlua.http and fnlua.sleep: the Lua side of outbound calls (see lfetch.h). */
#include "lfetch.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <lauxlib.h>

#include "fetch.h"
#include "json.h"
#include "limit.h"
#include "loop.h"
#include "request.h"

#define FL_HTTP_DEFAULT_TIMEOUT 30.0
#define FL_HTTP_MAX_BATCH       256

static const char batch_mt[] = "fnlua.http.batch";

/* The transfers of one call (one for request, n for request_all): a
 * userdata on the calling coroutine's stack, so it lives exactly as long as
 * the call, and its __gc frees what an error left behind. */
typedef struct batch {
    int n;
    fl_loop *loop; /* where easy handles come from and go back to (NULL: none) */
    fl_fetch f[];
} batch;

static void batch_release(batch *b)
{
    for (int i = 0; i < b->n; i++) {
        if (b->loop && !b->f[i].running)
            fl_loop_easy_done(b->loop, fl_fetch_detach(&b->f[i]));
        fl_fetch_free(&b->f[i]);
    }
    b->n = 0;
}

static int batch_gc(lua_State *L)
{
    batch_release(luaL_checkudata(L, 1, batch_mt));
    return 0;
}

static double running_deadline(lua_State *L)
{
    void *ud;
    lua_getallocf(L, &ud);
    return ((fl_limits *)ud)->deadline;
}

/* The running invocation can be suspended here: L is its own coroutine and
 * may yield.  Elsewhere (an initializer, a coroutine the handler made, a
 * table.sort comparator) the call waits in place. */
static fl_waiter *suspendable(lua_State *L)
{
    fl_waiter *w = fl_wait_current(L);
    if (!w || !w->loop || !lua_isyieldable(L))
        return NULL;
    if (L == w->co || (w->n_relay > 0 && w->relay[w->n_relay - 1] == L))
        return w;
    return NULL;
}

/* Coroutines suspended on a wait (their transfers or timer still in the
 * loop) are marked in a weak-keyed registry table, so Lua code cannot
 * resume or close one early, e.g. an invocation's coroutine kept in a
 * module variable by coroutine.running() and resumed by another
 * invocation: its transfers would be freed while libcurl still runs them. */
static const char waiting_key = 'W';

static void mark_waiting(lua_State *L, int on)
{
    luaL_checkstack(L, 3, "fnlua.http");
    lua_rawgetp(L, LUA_REGISTRYINDEX, &waiting_key);
    lua_pushthread(L);
    if (on)
        lua_pushboolean(L, 1);
    else
        lua_pushnil(L);
    lua_rawset(L, -3);
    lua_pop(L, 1);
}

/* Stack: unchanged.  Whether co is suspended on a wait. */
static int is_waiting(lua_State *L, lua_State *co)
{
    luaL_checkstack(L, 3, "coroutine");
    lua_rawgetp(L, LUA_REGISTRYINDEX, &waiting_key);
    lua_pushthread(co);
    lua_xmove(co, L, 1);
    int w = lua_rawget(L, -2) != LUA_TNIL;
    lua_pop(L, 2);
    return w;
}

static const char waiting_msg[] = "cannot resume a coroutine that is waiting for fnlua.http or fnlua.sleep";

/* ---------------------------------------------------------------- coroutines that relay waits */

/* coroutine.resume and coroutine.wrap as in the standard library, except
 * that a wait inside the resumed coroutine (fnlua.http, fnlua.sleep) is
 * relayed: this resume yields the resuming coroutine in turn, up to the
 * invocation's own, and when the invocation continues it resumes the inner
 * coroutine again.  So an iterator or a coroutine.wrap that makes calls
 * suspends the invocation like a call in the handler itself. */
static int relay(lua_State *L, lua_State *co, int narg, int wrap, int resuming_wait);

static int relay_k_resume(lua_State *L, int status, lua_KContext ctx)
{
    (void)status;
    mark_waiting(L, 0);
    return relay(L, (lua_State *)ctx, 0, 0, 1);
}

static int relay_k_wrap(lua_State *L, int status, lua_KContext ctx)
{
    (void)status;
    mark_waiting(L, 0);
    return relay(L, (lua_State *)ctx, 0, 1, 1);
}

/* Stack of L: [..., narg arguments] -> [results].  resuming_wait: this is
 * the relay's own continuation, taking co back from a wait that ended. */
static int relay(lua_State *L, lua_State *co, int narg, int wrap, int resuming_wait)
{
    if (!lua_checkstack(co, narg + 1)) {
        lua_pushliteral(L, "too many arguments to resume");
        goto failed;
    }
    if (lua_status(co) == LUA_OK && lua_gettop(co) == 0) {
        lua_pushliteral(L, "cannot resume dead coroutine");
        goto failed;
    }
    if (!resuming_wait && lua_status(co) == LUA_YIELD && is_waiting(L, co)) {
        lua_pushstring(L, waiting_msg);
        goto failed;
    }
    lua_xmove(L, co, narg);
    fl_waiter *w = fl_wait_current(L);
    int capable = w && lua_isyieldable(L) && (L == w->co || (w->n_relay > 0 && w->relay[w->n_relay - 1] == L));
    int pushed = w && w->n_relay < (int)(sizeof w->relay / sizeof w->relay[0]);
    if (pushed)
        w->relay[w->n_relay++] = capable ? co : NULL;
    int nres = 0;
    int st = lua_resume(co, L, narg, &nres);
    if (pushed)
        w->n_relay--;
    void *ud;
    lua_getallocf(L, &ud);
    if (st == LUA_YIELD && capable && (w->suspended || ((fl_limits *)ud)->paused)) {
        lua_pop(co, nres); /* a wait or the end of a time slice: pass it up, and come back here */
        mark_waiting(L, 1);
        return lua_yieldk(L, 0, (lua_KContext)co, wrap ? relay_k_wrap : relay_k_resume);
    }
    if (st == LUA_OK || st == LUA_YIELD) {
        if (!lua_checkstack(L, nres + 1)) {
            lua_pop(co, nres);
            lua_pushliteral(L, "too many results to resume");
            goto failed;
        }
        if (!wrap)
            lua_pushboolean(L, 1);
        lua_xmove(co, L, nres);
        return nres + (wrap ? 0 : 1);
    }
    lua_xmove(co, L, 1); /* the error value */
failed:
    if (!wrap) {
        lua_pushboolean(L, 0);
        lua_insert(L, -2);
        return 2;
    }
    if (lua_type(L, -1) == LUA_TSTRING) { /* as coroutine.wrap: where it was called */
        luaL_where(L, 1);
        lua_insert(L, -2);
        lua_concat(L, 2);
    }
    return lua_error(L);
}

/* For the time slice (limit.h): L passes a pause up to the invocation. */
static int relays(lua_State *L)
{
    fl_waiter *w = fl_wait_current(L);
    return w && w->n_relay > 0 && w->relay[w->n_relay - 1] == L;
}

static int co_resume(lua_State *L)
{
    lua_State *co = lua_tothread(L, 1);
    luaL_argexpected(L, co, 1, "coroutine");
    return relay(L, co, lua_gettop(L) - 1, 0, 0);
}

/* coroutine.close, refusing a coroutine that waits (its transfers are in flight). */
static int co_close(lua_State *L)
{
    lua_State *co = lua_tothread(L, 1);
    luaL_argexpected(L, co, 1, "coroutine");
    if (lua_status(co) == LUA_YIELD && is_waiting(L, co)) {
        lua_pushboolean(L, 0);
        lua_pushstring(L, waiting_msg);
        return 2;
    }
    lua_pushvalue(L, lua_upvalueindex(1));
    lua_insert(L, 1);
    lua_call(L, lua_gettop(L) - 1, LUA_MULTRET);
    return lua_gettop(L);
}

static int co_wrap_call(lua_State *L)
{
    return relay(L, lua_tothread(L, lua_upvalueindex(1)), lua_gettop(L), 1, 0);
}

static int co_wrap(lua_State *L)
{
    luaL_checktype(L, 1, LUA_TFUNCTION);
    lua_State *co = lua_newthread(L);
    lua_pushvalue(L, 1);
    lua_xmove(L, co, 1);
    lua_pushcclosure(L, co_wrap_call, 1);
    return 1;
}

/* ---------------------------------------------------------------- request table -> options */

static int is_token(const char *s, size_t n)
{
    static const char extra[] = "!#$%&'*+-.^_`|~";
    if (n == 0)
        return 0;
    for (size_t i = 0; i < n; i++)
        if (!isalnum((unsigned char)s[i]) && !strchr(extra, s[i]))
            return 0;
    return 1;
}

static int has_ctl(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (((unsigned char)s[i] < 0x20 && s[i] != '\t') || s[i] == 0x7f)
            return 1;
    return 0;
}

/* Appends k=v to the URL being built, both percent-encoded. */
static void add_query_pair(lua_State *L, fl_buf *url, const char *k, size_t kn, int vidx)
{
    size_t vn;
    const char *v = luaL_tolstring(L, vidx, &vn);
    char *ek = curl_easy_escape(NULL, k, (int)kn); /* the handle is not used (libcurl >= 7.82) */
    char *ev = curl_easy_escape(NULL, v, (int)vn);
    if (!ek || !ev) {
        curl_free(ek);
        curl_free(ev);
        luaL_error(L, "fnlua.http: out of memory");
    }
    fl_buf_addc(url, strchr(fl_buf_cstr(url), '?') ? '&' : '?');
    fl_buf_adds(url, ek);
    fl_buf_addc(url, '=');
    fl_buf_adds(url, ev);
    curl_free(ek);
    curl_free(ev);
    lua_pop(L, 1);
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* query = {k = v, k2 = {v1, v2}}: appended in key order, so the same table
 * always gives the same URL (signatures, caches). */
static void add_query(lua_State *L, int q, fl_buf *url)
{
    int n = 0;
    lua_pushnil(L);
    while (lua_next(L, q)) {
        if (lua_type(L, -2) != LUA_TSTRING)
            luaL_error(L, "fnlua.http: query keys must be strings");
        n++;
        lua_pop(L, 1);
    }
    if (n == 0)
        return;
    const char **keys = lua_newuserdatauv(L, (size_t)n * sizeof *keys, 0);
    int i = 0;
    lua_pushnil(L);
    while (lua_next(L, q)) {
        keys[i++] = lua_tostring(L, -2); /* anchored by the table */
        lua_pop(L, 1);
    }
    qsort(keys, (size_t)n, sizeof *keys, cmp_str);
    for (i = 0; i < n; i++) {
        lua_getfield(L, q, keys[i]);
        if (lua_type(L, -1) == LUA_TTABLE) {
            lua_Integer m = luaL_len(L, -1);
            for (lua_Integer j = 1; j <= m; j++) {
                lua_geti(L, -1, j);
                add_query_pair(L, url, keys[i], strlen(keys[i]), lua_gettop(L));
                lua_pop(L, 1);
            }
        } else {
            add_query_pair(L, url, keys[i], strlen(keys[i]), lua_gettop(L));
        }
        lua_pop(L, 1);
    }
    lua_pop(L, 1); /* keys */
}

static double opt_number(lua_State *L, int t, const char *k, double dflt)
{
    lua_getfield(L, t, k);
    double v = dflt;
    if (!lua_isnil(L, -1)) {
        if (!lua_isnumber(L, -1))
            luaL_error(L, "fnlua.http: %s must be a number", k);
        v = lua_tonumber(L, -1);
    }
    lua_pop(L, 1);
    return v;
}

/* What build() allocates in C while it may still raise: freed by __gc. */
typedef struct scratch {
    fl_buf url, body;
    struct curl_slist *headers;
} scratch;

static const char scratch_mt[] = "fnlua.http.scratch";

static int scratch_gc(lua_State *L)
{
    scratch *s = luaL_checkudata(L, 1, scratch_mt);
    fl_buf_free(&s->url);
    fl_buf_free(&s->body);
    curl_slist_free_all(s->headers);
    s->headers = NULL;
    return 0;
}

static void add_header(lua_State *L, scratch *s, const char *line)
{
    struct curl_slist *nl = curl_slist_append(s->headers, line);
    if (!nl)
        luaL_error(L, "fnlua.http: out of memory");
    s->headers = nl;
}

/* Builds transfer i of batch b from the request table at index t.  Raises for a
 * request that is wrong in itself (a programming error); the network's
 * failures come later, as nil, err.  Stack: unchanged. */
static void build(lua_State *L, int t, batch *b, int i)
{
    int top = lua_gettop(L);
    t = lua_absindex(L, t);
    luaL_checkstack(L, 10, "fnlua.http");
    if (lua_type(L, t) != LUA_TTABLE)
        luaL_error(L, "fnlua.http.request: the request must be a table {url = ..., ...}");
    fl_fetch_opts o = {0};
    scratch *sc = lua_newuserdatauv(L, sizeof *sc, 0);
    memset(sc, 0, sizeof *sc);
    luaL_setmetatable(L, scratch_mt);
    fl_buf *url = &sc->url, *body = &sc->body;

    lua_getfield(L, t, "url");
    size_t n;
    const char *u = lua_tolstring(L, -1, &n);
    if (!u || (strncasecmp(u, "http://", 7) != 0 && strncasecmp(u, "https://", 8) != 0) || has_ctl(u, n))
        luaL_error(L, "fnlua.http: url must be an http:// or https:// URL");
    fl_buf_add(url, u, n);
    lua_pop(L, 1);

    if (lua_getfield(L, t, "query") == LUA_TTABLE)
        add_query(L, lua_gettop(L), url);
    else if (!lua_isnil(L, -1))
        luaL_error(L, "fnlua.http: query must be a table");
    lua_pop(L, 1);

    char method[32] = "GET";
    if (lua_getfield(L, t, "method") != LUA_TNIL) {
        const char *m = lua_tolstring(L, -1, &n);
        if (!m || n >= sizeof method || !is_token(m, n))
            luaL_error(L, "fnlua.http: method must be an HTTP method name such as \"GET\" or \"POST\"");
        for (size_t c = 0; c <= n; c++)
            method[c] = (char)toupper((unsigned char)m[c]);
    }
    lua_pop(L, 1);
    o.method = method;

    /* headers, and whether the body's type is set already */
    int has_type = 0;
    if (lua_getfield(L, t, "headers") == LUA_TTABLE) {
        int h = lua_gettop(L);
        lua_pushnil(L);
        while (lua_next(L, h)) {
            size_t kn, vn = 0;
            const char *k = lua_type(L, -2) == LUA_TSTRING ? lua_tolstring(L, -2, &kn) : NULL;
            if (!k || !is_token(k, kn))
                luaL_error(L, "fnlua.http: header names must be strings of token characters");
            int vt = lua_type(L, -1);
            const char *v = vt == LUA_TSTRING || vt == LUA_TNUMBER ? luaL_tolstring(L, -1, &vn) : NULL;
            if (!v || has_ctl(v, vn))
                luaL_error(L, "fnlua.http: header '%s' must be a string without control characters", k);
            if (strcasecmp(k, "Content-Type") == 0)
                has_type = 1;
            /* "Name;" is how libcurl sends a header with an empty value */
            lua_pushfstring(L, vn ? "%s: %s" : "%s;", k, v);
            add_header(L, sc, lua_tostring(L, -1));
            lua_pop(L, 3); /* the line, the string copy and the value */
        }
    } else if (!lua_isnil(L, -1)) {
        luaL_error(L, "fnlua.http: headers must be a table");
    }
    lua_pop(L, 1);

    int bt = lua_getfield(L, t, "body");
    if (bt == LUA_TSTRING) {
        o.body = lua_tolstring(L, -1, &o.body_len); /* copied by fl_fetch_init */
        if (!has_type)
            add_header(L, sc,
                       "Content-Type:"); /* not libcurl's form-encoded default: bytes say nothing of their type */
    } else if (bt == LUA_TTABLE) {
        fl_json_encode(L, lua_gettop(L), body); /* raises for what JSON cannot hold */
        o.body = body->data ? body->data : "";
        o.body_len = body->len;
        if (!has_type)
            add_header(L, sc, "Content-Type: application/json");
    } else if (bt != LUA_TNIL) {
        luaL_error(L, "fnlua.http: body must be a string or a table (sent as JSON)");
    }

    o.timeout_s = opt_number(L, t, "timeout", FL_HTTP_DEFAULT_TIMEOUT);
    double mb = opt_number(L, t, "max_body", (double)FL_FETCH_MAX_BODY_DEFAULT);
    double rd = opt_number(L, t, "redirects", 0);
    if (!(o.timeout_s > 0) || !(mb >= 1) || !(rd >= 0) || rd > 50 || mb > 1e15)
        luaL_error(L, "fnlua.http: timeout must be > 0, max_body >= 1, redirects 0..50");
    o.max_body = (size_t)mb;
    o.redirects = (long)rd;
    lua_getfield(L, t, "verify");
    o.verify = lua_isnil(L, -1) || lua_toboolean(L, -1);
    lua_pop(L, 1);
    o.deadline = running_deadline(L);
    if (b->loop) {
        o.quota = fl_loop_quota(b->loop);
        void *ud;
        lua_getallocf(L, &ud);
        atomic_store(&o.quota->cap, ((fl_limits *)ud)->budget);
    }
    o.url = fl_buf_cstr(url);
    o.headers = sc->headers;
    sc->headers = NULL; /* fl_fetch_init takes them over */

    char err[256];
    int rc = fl_fetch_init(&b->f[i], &o, b->loop ? fl_loop_easy(b->loop) : NULL, err, sizeof err);
    b->n = i + 1; /* freed with the batch from now on, even half set up */
    lua_settop(L, top);
    if (rc != 0)
        luaL_error(L, "fnlua.http: %s", err);
}

/* ---------------------------------------------------------------- response -> Lua */

/* Stack: [] -> [headers table]: lower-case names; repeated ones joined by ", ". */
static void push_headers(lua_State *L, const fl_buf *head)
{
    lua_newtable(L);
    const char *p = head->data ? head->data : "";
    const char *end = p + head->len;
    const char *nl = memchr(p, '\n', (size_t)(end - p)); /* skip the status line */
    p = nl ? nl + 1 : end;
    luaL_Buffer name;
    while (p < end) {
        nl = memchr(p, '\n', (size_t)(end - p));
        const char *le = nl ? nl : end;
        const char *colon = memchr(p, ':', (size_t)(le - p));
        if (colon && colon > p) {
            luaL_buffinit(L, &name);
            for (const char *c = p; c < colon; c++)
                luaL_addchar(&name, (char)tolower((unsigned char)*c));
            luaL_pushresult(&name);
            const char *v = colon + 1, *ve = le;
            while (v < ve && (*v == ' ' || *v == '\t'))
                v++;
            while (ve > v && (ve[-1] == '\r' || ve[-1] == ' ' || ve[-1] == '\t'))
                ve--;
            lua_pushvalue(L, -1);
            if (lua_rawget(L, -3) == LUA_TSTRING) {
                lua_pushliteral(L, ", ");
                lua_pushlstring(L, v, (size_t)(ve - v));
                lua_concat(L, 3);
            } else {
                lua_pop(L, 1);
                lua_pushlstring(L, v, (size_t)(ve - v));
            }
            lua_rawset(L, -3);
        }
        p = nl ? nl + 1 : end;
    }
}

/* Stack: [] -> [res] or [nil, err]; returns the count. */
static int push_result(lua_State *L, fl_fetch *f)
{
    if (f->result != FL_FETCH_OK) {
        lua_pushnil(L);
        lua_pushstring(L, f->error);
        return 2;
    }
    lua_createtable(L, 0, 3);
    lua_pushinteger(L, f->status);
    lua_setfield(L, -2, "status");
    push_headers(L, &f->head);
    lua_setfield(L, -2, "headers");
    lua_pushlstring(L, f->body.data ? f->body.data : "", f->body.len);
    lua_setfield(L, -2, "body");
    return 1;
}

/* ---------------------------------------------------------------- request, request_all */

/* Continuation of a call whose transfers ended: the batch is at stack
 * index ctx >> 1; ctx & 1 says request_all.  Raises the invocation's
 * timeout when its deadline cut a call short. */
static int calls_done(lua_State *L, int status, lua_KContext ctx)
{
    (void)status;
    int idx = (int)(ctx >> 1);
    batch *b = lua_touserdata(L, idx);
    mark_waiting(L, 0);
    fl_limits_check(L);
    for (int i = 0; i < b->n; i++)
        if (b->f[i].result == FL_FETCH_DEADLINE)
            fl_limits_expire(L);
    if (!(ctx & 1)) {
        int nret = push_result(L, &b->f[0]);
        batch_release(b);
        return nret;
    }
    lua_createtable(L, b->n, 0); /* responses */
    lua_createtable(L, b->n, 0); /* errors */
    for (int i = 0; i < b->n; i++) {
        if (push_result(L, &b->f[i]) == 2) {
            lua_seti(L, -3, i + 1);
            lua_pop(L, 1);
        } else {
            lua_seti(L, -3, i + 1);
        }
    }
    batch_release(b);
    return 2;
}

/* Stack: [..., batch]: starts b's transfers and waits for all of them. */
static int run_batch(lua_State *L, batch *b, int all)
{
    lua_KContext ctx = ((lua_KContext)lua_gettop(L) << 1) | (all ? 1 : 0);
    fl_waiter *w = suspendable(L);
    if (!w) {
        fl_fetch *fs[FL_HTTP_MAX_BATCH];
        for (int i = 0; i < b->n; i++)
            fs[i] = &b->f[i];
        fl_fetch_run(fs, (size_t)b->n);
        return calls_done(L, LUA_OK, ctx);
    }
    atomic_store(&w->pending, b->n);
    w->suspended = 1;
    for (int i = 0; i < b->n; i++) {
        b->f[i].waiter = w;
        fl_loop_add(w->loop, &b->f[i]);
    }
    mark_waiting(L, 1);
    return lua_yieldk(L, 0, ctx, calls_done);
}

static batch *new_batch(lua_State *L, int n)
{
    batch *b = lua_newuserdatauv(L, sizeof *b + (size_t)n * sizeof(fl_fetch), 0);
    b->n = 0;
    fl_waiter *w = suspendable(L);
    b->loop = w ? w->loop : NULL;
    luaL_setmetatable(L, batch_mt);
    return b;
}

/* http.request(req) -> res | nil, err */
static int http_request(lua_State *L)
{
    luaL_checktype(L, 1, LUA_TTABLE);
    lua_settop(L, 1);
    batch *b = new_batch(L, 1);
    build(L, 1, b, 0);
    return run_batch(L, b, 0);
}

/* http.request_all({req1, req2, ...}) -> responses, errors: the calls run
 * at once; responses[i] or errors[i] is set for each. */
static int http_request_all(lua_State *L)
{
    luaL_checktype(L, 1, LUA_TTABLE);
    lua_settop(L, 1);
    lua_Integer n = luaL_len(L, 1);
    if (n < 0 || n > FL_HTTP_MAX_BATCH)
        return luaL_error(L, "fnlua.http.request_all: 0 to %d requests at a time", FL_HTTP_MAX_BATCH);
    batch *b = new_batch(L, (int)n);
    for (lua_Integer i = 1; i <= n; i++) {
        lua_geti(L, 1, i);
        build(L, -1, b, (int)i - 1);
        lua_pop(L, 1);
    }
    if (n == 0) {
        lua_newtable(L);
        lua_newtable(L);
        return 2;
    }
    return run_batch(L, b, 1);
}

/* Stack: [url, ...] -> [..., req]: a request table from url and opts (a copy). */
static void push_req(lua_State *L, const char *method, int opts)
{
    lua_newtable(L);
    if (lua_type(L, opts) == LUA_TTABLE) {
        lua_pushnil(L);
        while (lua_next(L, opts)) {
            lua_pushvalue(L, -2);
            lua_insert(L, -2);
            lua_rawset(L, -4);
        }
    } else if (!lua_isnoneornil(L, opts)) {
        luaL_error(L, "fnlua.http: options must be a table");
    }
    lua_pushvalue(L, 1);
    lua_setfield(L, -2, "url");
    if (lua_getfield(L, -1, "method") == LUA_TNIL) {
        lua_pushstring(L, method);
        lua_setfield(L, -3, "method");
    }
    lua_pop(L, 1);
}

/* http.get(url, opts) */
static int http_get(lua_State *L)
{
    luaL_checkstring(L, 1);
    lua_settop(L, 2);
    push_req(L, "GET", 2);
    lua_replace(L, 1);
    lua_settop(L, 1);
    return http_request(L);
}

/* http.post(url, body, opts) */
static int http_post(lua_State *L)
{
    luaL_checkstring(L, 1);
    lua_settop(L, 3);
    push_req(L, "POST", 3);
    lua_pushvalue(L, 2);
    lua_setfield(L, -2, "body");
    lua_replace(L, 1);
    lua_settop(L, 1);
    return http_request(L);
}

static int luaopen_fnlua_http(lua_State *L)
{
    static const luaL_Reg fns[] = {
        {"request", http_request},
        {"request_all", http_request_all},
        {"get", http_get},
        {"post", http_post},
        {NULL, NULL},
    };
    luaL_newlib(L, fns);
    return 1;
}

/* ---------------------------------------------------------------- sleep */

static int sleep_done(lua_State *L, int status, lua_KContext ctx)
{
    (void)status;
    (void)ctx;
    mark_waiting(L, 0);
    fl_limits_check(L);
    return 0;
}

/* fnlua.sleep(seconds): the invocation waits without holding its Lua
 * state; never past the invocation's deadline (which then ends it). */
static int fnlua_sleep(lua_State *L)
{
    double s = luaL_checknumber(L, 1);
    luaL_argcheck(L, s >= 0 && s < 1e9, 1, "seconds must be a number >= 0");
    double at = fl_now() + s;
    double deadline = running_deadline(L);
    if (deadline > 0 && at > deadline)
        at = deadline;
    fl_waiter *w = suspendable(L);
    if (!w) {
        double left;
        while ((left = at - fl_now()) > 0) {
            struct timespec ts = {(time_t)left, (long)((left - floor(left)) * 1e9)};
            nanosleep(&ts, NULL);
        }
        return sleep_done(L, LUA_OK, 0);
    }
    lua_settop(L, 1);
    fl_timer *t = lua_newuserdatauv(L, sizeof *t, 0);
    t->waiter = w;
    atomic_store(&w->pending, 1);
    w->suspended = 1;
    fl_loop_sleep(w->loop, t, at);
    mark_waiting(L, 1);
    return lua_yieldk(L, 0, 0, sleep_done);
}

static int luaopen_fnlua(lua_State *L)
{
    lua_newtable(L);
    lua_pushcfunction(L, fnlua_sleep);
    lua_setfield(L, -2, "sleep");
    lua_pushliteral(L, FNLUA_VERSION);
    lua_setfield(L, -2, "version");
    return 1;
}

void fl_lfetch_openstate(lua_State *L)
{
    void *ud;
    lua_getallocf(L, &ud);
    ((fl_limits *)ud)->relays = relays;
    lua_newtable(L); /* coroutines waiting, weak keys */
    lua_createtable(L, 0, 1);
    lua_pushliteral(L, "k");
    lua_setfield(L, -2, "__mode");
    lua_setmetatable(L, -2);
    lua_rawsetp(L, LUA_REGISTRYINDEX, &waiting_key);
    lua_getglobal(L, "coroutine");
    lua_getfield(L, -1, "close");
    lua_pushcclosure(L, co_close, 1);
    lua_setfield(L, -2, "close");
    lua_pushcfunction(L, co_resume);
    lua_setfield(L, -2, "resume");
    lua_pushcfunction(L, co_wrap);
    lua_setfield(L, -2, "wrap");
    lua_pop(L, 1);
    static const struct {
        const char *name;
        lua_CFunction gc;
    } mts[] = {{batch_mt, batch_gc}, {scratch_mt, scratch_gc}};
    for (size_t i = 0; i < sizeof mts / sizeof mts[0]; i++) {
        luaL_newmetatable(L, mts[i].name);
        lua_pushcfunction(L, mts[i].gc);
        lua_setfield(L, -2, "__gc");
        lua_pop(L, 1);
    }
    static const luaL_Reg preload[] = {{"fnlua.http", luaopen_fnlua_http}, {"fnlua", luaopen_fnlua}, {NULL, NULL}};
    luaL_getsubtable(L, LUA_REGISTRYINDEX, LUA_PRELOAD_TABLE);
    luaL_setfuncs(L, preload, 0);
    lua_pop(L, 1);
}
