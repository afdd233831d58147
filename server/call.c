/* call.c - the one place that calls lua_pcall and lua_resume (see call.h). */
#include "call.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <lauxlib.h>

#include "json.h"

static const char err_key = 'E'; /* registry: light userdata fl_error* of the running call */

void fl_error_init(fl_error *e)
{
    e->status = LUA_OK;
    e->where[0] = '\0';
    fl_buf_init(&e->message);
    fl_buf_init(&e->traceback);
}

void fl_error_free(fl_error *e)
{
    fl_buf_free(&e->message);
    fl_buf_free(&e->traceback);
}

void fl_error_reset(fl_error *e)
{
    e->status = LUA_OK;
    e->where[0] = '\0';
    fl_buf_reset(&e->message);
    fl_buf_reset(&e->traceback);
}

void fl_error_set(fl_error *e, const char *fmt, ...)
{
    char tmp[2048];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(tmp, sizeof tmp, fmt, ap);
    va_end(ap);
    fl_buf_reset(&e->message);
    fl_buf_adds(&e->message, tmp);
}

void fl_call_openstate(lua_State *L)
{
    lua_pushlightuserdata(L, NULL);
    lua_rawsetp(L, LUA_REGISTRYINDEX, &err_key);
}

/* The first frame from `level` up that is Lua code with a line: where the
 * error was raised. */
static void find_where(lua_State *L, int level, char *out, size_t n)
{
    lua_Debug ar;
    out[0] = '\0';
    for (; lua_getstack(L, level, &ar); level++) {
        if (!lua_getinfo(L, "Sl", &ar))
            continue;
        if (ar.currentline > 0) {
            snprintf(out, n, "%s:%d", ar.short_src, ar.currentline);
            return;
        }
    }
}

/* A short, readable rendering of an error value that is not a string, such
 * as {code = 1}.  Plain C walk (no Lua code runs, nothing is raised), so it
 * is safe inside the message handler. */
static void describe(lua_State *L, int idx, fl_buf *b, int depth)
{
    switch (lua_type(L, idx)) {
    case LUA_TSTRING: {
        size_t n;
        const char *s = lua_tolstring(L, idx, &n);
        fl_json_quote(b, s, n > 200 ? 200 : n);
        break;
    }
    case LUA_TNUMBER:
        if (lua_isinteger(L, idx))
            fl_json_integer(b, lua_tointeger(L, idx));
        else if (!fl_json_float(b, lua_tonumber(L, idx)))
            fl_buf_adds(b, lua_tonumber(L, idx) != lua_tonumber(L, idx) ? "nan" : "inf");
        break;
    case LUA_TBOOLEAN:
        fl_buf_adds(b, lua_toboolean(L, idx) ? "true" : "false");
        break;
    case LUA_TTABLE: {
        if (depth >= 2 || !lua_checkstack(L, 4)) {
            fl_buf_adds(b, "{...}");
            break;
        }
        int t = lua_absindex(L, idx), shown = 0;
        fl_buf_addc(b, '{');
        lua_pushnil(L);
        while (lua_next(L, t)) {
            if (shown++ == 8) {
                fl_buf_adds(b, ", ...");
                lua_pop(L, 2);
                break;
            }
            if (shown > 1)
                fl_buf_adds(b, ", ");
            if (lua_type(L, -2) == LUA_TSTRING) {
                size_t kl;
                const char *k = lua_tolstring(L, -2, &kl);
                fl_buf_add(b, k, kl > 60 ? 60 : kl);
            } else {
                fl_buf_addc(b, '[');
                describe(L, -2, b, depth + 1);
                fl_buf_addc(b, ']');
            }
            fl_buf_adds(b, " = ");
            describe(L, -1, b, depth + 1);
            lua_pop(L, 1);
        }
        fl_buf_addc(b, '}');
        break;
    }
    default:
        fl_buf_adds(b, luaL_typename(L, idx));
    }
}

static int tostring_value(lua_State *L)
{
    luaL_tolstring(L, 1, NULL);
    return 1;
}

/* The author's own text for an error object with __tostring, as lua.c
 * shows it.  0 when there is none or it fails (it is run protected: this
 * also runs outside any message handler).  Stack: unchanged. */
static int object_text(lua_State *L, int v, fl_buf *out)
{
    int top = lua_gettop(L);
    if (luaL_getmetafield(L, v, "__tostring") == LUA_TNIL)
        return 0;
    lua_pop(L, 1);
    lua_pushcfunction(L, tostring_value);
    lua_pushvalue(L, v);
    int ok = lua_pcall(L, 1, 1, 0) == LUA_OK;
    if (ok) {
        size_t n;
        const char *s = lua_tolstring(L, -1, &n);
        fl_buf_add(out, s, n);
    }
    lua_settop(L, top);
    return ok;
}

/* Error text beyond this is cut, with a note of how much: an error value
 * of 50 MB must not become a 50 MB answer and log line. */
#define FL_ERROR_TEXT_MAX 16384

static void cap(fl_buf *b)
{
    if (b->len <= FL_ERROR_TEXT_MAX)
        return;
    size_t cut = FL_ERROR_TEXT_MAX;
    while (cut > 0 && ((unsigned char)b->data[cut] & 0xC0) == 0x80)
        cut--; /* not inside a UTF-8 sequence */
    size_t more = b->len - cut;
    b->len = cut;
    fl_buf_printf(b, " ... (%zu more bytes)", more);
}

/* Fills e from the error value at index v of V, raised in thread S whose
 * stack (from `level` up) is still the one that raised it.  V may be S
 * (message handler) or the main thread of a failed coroutine S, so that
 * __tostring runs in a thread that can still make calls.  Stacks: unchanged. */
static void record(lua_State *S, int level, lua_State *V, int v, fl_error *e)
{
    v = lua_absindex(V, v);
    int top = lua_gettop(V);
    find_where(S, level, e->where, sizeof e->where);
    fl_buf_reset(&e->message);
    int t = lua_type(V, v);
    if (t == LUA_TSTRING) {
        size_t n;
        const char *s = lua_tolstring(V, v, &n);
        /* error("x") already starts with "file:line: "; error("x", 0) does not */
        if (e->where[0] && strncmp(s, e->where, strlen(e->where)) != 0) {
            fl_buf_adds(&e->message, e->where);
            fl_buf_adds(&e->message, ": ");
        }
        fl_buf_add(&e->message, s, n);
    } else {
        if (e->where[0]) {
            fl_buf_adds(&e->message, e->where);
            fl_buf_adds(&e->message, ": ");
        }
        if (t == LUA_TNIL || t == LUA_TNONE) {
            fl_buf_adds(&e->message, "error raised with a nil value");
        } else if (!object_text(V, v, &e->message)) {
            fl_buf_printf(&e->message, "error raised with a %s value: ", luaL_typename(V, v));
            describe(V, v, &e->message, 0);
        }
    }
    lua_settop(V, top);
    cap(&e->message);
    fl_buf_reset(&e->traceback);
    luaL_traceback(V, S, NULL, level);
    size_t n;
    const char *tb = lua_tolstring(V, -1, &n);
    if (tb)
        fl_buf_add(&e->traceback, tb, n);
    cap(&e->traceback);
    lua_settop(V, top);
}

/* Stack: [errvalue] -> [errvalue].  Runs as the message handler: level 1
 * is the function that raised (error() itself when called from Lua). */
static int msgh(lua_State *L)
{
    lua_rawgetp(L, LUA_REGISTRYINDEX, &err_key);
    fl_error *e = lua_touserdata(L, -1);
    lua_pop(L, 1);
    if (e)
        record(L, 1, L, 1, e);
    return 1;
}

void fl_call_error_here(lua_State *co, const char *msg, fl_error *err)
{
    fl_error_reset(err);
    err->status = LUA_ERRRUN;
    if (lua_checkstack(co, 4)) {
        lua_pushstring(co, msg);
        record(co, 0, co, -1, err);
        lua_pop(co, 1);
    } else {
        fl_buf_adds(&err->message, msg);
    }
}

int fl_call_resume(lua_State *L, lua_State *co, int nargs, fl_error *err)
{
    int nres = 0;
    int status = lua_resume(co, L, nargs, &nres);
    if (status == LUA_OK || status == LUA_YIELD) {
        lua_pop(co, nres);
        return status;
    }
    /* the coroutine's stack is not unwound: read where it failed, then reset it */
    fl_error_reset(err);
    err->status = status;
    if (status == LUA_ERRMEM) {
        fl_buf_adds(&err->message, "not enough memory");
    } else if (lua_checkstack(L, 8)) {
        lua_pushvalue(co, -1);
        lua_xmove(co, L, 1); /* the value to the main thread, which can still call __tostring */
        record(co, 0, L, -1, err);
        lua_pop(L, 1);
    } else {
        const char *s = lua_tostring(co, -1);
        fl_buf_adds(&err->message, s ? s : "unknown error");
    }
    /* Not lua_resetthread: it would run the coroutine's pending __close
     * handlers with hooks off (a failed coroutine unwound from a hook keeps
     * them off), where no deadline could stop one that loops.  The caller
     * drops a failed coroutine and the collector frees it; its to-be-closed
     * variables stay unclosed, as for any coroutine that is never closed. */
    return status;
}

int fl_call(lua_State *L, lua_CFunction f, void *ud, fl_error *err)
{
    int base = lua_gettop(L);
    lua_rawgetp(L, LUA_REGISTRYINDEX, &err_key);
    void *outer = lua_touserdata(L, -1); /* calls may nest */
    lua_pop(L, 1);
    lua_pushlightuserdata(L, err);
    lua_rawsetp(L, LUA_REGISTRYINDEX, &err_key);

    fl_error_reset(err);
    lua_pushcfunction(L, msgh);
    lua_pushcfunction(L, f);
    lua_pushlightuserdata(L, ud);
    int status = lua_pcall(L, 1, 0, base + 1);
    err->status = status;
    if (status != LUA_OK) {
        if (status == LUA_ERRMEM) {
            fl_buf_reset(&err->message);
            fl_buf_adds(&err->message, "not enough memory");
        } else if (err->message.len == 0) {
            const char *s = lua_tostring(L, -1);
            fl_buf_adds(&err->message, s ? s : "unknown error");
        }
    }
    lua_settop(L, base);
    lua_pushlightuserdata(L, outer);
    lua_rawsetp(L, LUA_REGISTRYINDEX, &err_key);
    return status;
}
