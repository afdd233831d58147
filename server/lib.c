/* lib.c - the Lua modules fnlua provides in C (see lib.h). */
#include "lib.h"

#include <lauxlib.h>

#include "base64.h"
#include "buf.h"
#include "crypto.h"
#include "json.h"
#include "limit.h"
#include "lstrlib_match.h"

int luaopen_cjson(lua_State *L); /* from lua-cjson, linked in */
int luaopen_cjson_safe(lua_State *L);

/* A buffer owned by a userdata, so a Lua error during encoding frees it at
 * the next collection instead of leaking.  Stack: [] -> [box]. */
static fl_buf *push_box(lua_State *L)
{
    fl_buf *b = lua_newuserdatauv(L, sizeof *b, 0);
    fl_buf_init(b);
    luaL_setmetatable(L, "fnlua.buffer");
    return b;
}

static int box_gc(lua_State *L)
{
    fl_buf *b = luaL_checkudata(L, 1, "fnlua.buffer");
    fl_buf_free(b);
    return 0;
}

/* Stack: [box] -> [string]; frees the buffer at once. */
static void push_box_result(lua_State *L, fl_buf *b)
{
    lua_pushlstring(L, b->data ? b->data : "", b->len);
    fl_buf_free(b);
    lua_remove(L, -2);
}

static int json_encode(lua_State *L)
{
    luaL_checkany(L, 1);
    lua_settop(L, 1);
    fl_buf *b = push_box(L);
    fl_json_encode(L, 1, b);
    push_box_result(L, b);
    return 1;
}

static int json_decode(lua_State *L)
{
    size_t n;
    const char *s = luaL_checklstring(L, 1, &n);
    fl_json_decode(L, s, n);
    return 1;
}

static int json_array(lua_State *L)
{
    if (lua_isnoneornil(L, 1)) {
        lua_settop(L, 0);
        lua_newtable(L);
    }
    luaL_checktype(L, 1, LUA_TTABLE);
    lua_settop(L, 1);
    fl_json_push_array_mt(L);
    lua_setmetatable(L, 1);
    return 1;
}

static int luaopen_fnlua_json(lua_State *L)
{
    static const luaL_Reg f[] = {
        {"encode", json_encode},
        {"decode", json_decode},
        {"array", json_array},
        {NULL, NULL},
    };
    luaL_newlib(L, f);
    lua_pushlightuserdata(L, NULL);
    lua_setfield(L, -2, "null");
    fl_json_push_array_mt(L);
    lua_setfield(L, -2, "array_mt");
    return 1;
}

static int b64_encode(lua_State *L)
{
    size_t n;
    const char *s = luaL_checklstring(L, 1, &n);
    fl_buf *b = push_box(L);
    fl_base64_encode(b, (const unsigned char *)s, n);
    push_box_result(L, b);
    return 1;
}

static int b64_decode(lua_State *L)
{
    size_t n;
    const char *s = luaL_checklstring(L, 1, &n);
    fl_buf *b = push_box(L);
    if (!fl_base64_decode(b, s, n)) {
        fl_buf_free(b);
        luaL_pushfail(L);
        lua_pushliteral(L, "invalid base64 input");
        return 2;
    }
    push_box_result(L, b);
    return 1;
}

static int luaopen_fnlua_base64(lua_State *L)
{
    static const luaL_Reg f[] = {{"encode", b64_encode}, {"decode", b64_decode}, {NULL, NULL}};
    luaL_newlib(L, f);
    return 1;
}

/* os.exit would end the whole server, every other invocation with it. */
static int os_exit(lua_State *L)
{
    return luaL_error(L, "os.exit is not available in a function: it would stop the server and every "
                         "invocation in it; return a result or raise an error instead");
}

/* The deadline is a debug hook; a handler replacing it would disable it. */
/* string.rep as the standard one, except that a result that is empty
 * returns at once: the standard loop copies nothing n times in C, where no
 * deadline can stop it (string.rep("", 3e9) ran 8 s under a 1 s timeout). */
static int string_rep(lua_State *L)
{
    size_t l, lsep = 0;
    luaL_checklstring(L, 1, &l);
    lua_Integer n = luaL_checkinteger(L, 2);
    luaL_optlstring(L, 3, "", &lsep);
    if (n <= 0 || (l == 0 && (lsep == 0 || n == 1))) {
        lua_pushliteral(L, "");
        return 1;
    }
    lua_pushvalue(L, lua_upvalueindex(1));
    lua_insert(L, 1);
    lua_call(L, lua_gettop(L) - 1, 1);
    return 1;
}

static int debug_sethook(lua_State *L)
{
    return luaL_error(L, "debug.sethook is reserved by fnlua: it enforces the invocation deadline");
}

/* Lua does not verify precompiled code: a corrupted binary chunk crashes the
 * process, every invocation with it.  load and loadfile therefore take text
 * unless the caller passes a mode itself (a handler that wants "b" says so);
 * the upvalue is the standard function, mode_arg where its mode argument is. */
static int text_by_default(lua_State *L, int mode_arg)
{
    if (lua_isnoneornil(L, mode_arg)) {
        if (lua_gettop(L) < mode_arg)
            lua_settop(L, mode_arg); /* pads with nil: absent and nil mean the same below the mode */
        lua_pushliteral(L, "t");
        lua_replace(L, mode_arg);
    }
    lua_pushvalue(L, lua_upvalueindex(1));
    lua_insert(L, 1);
    lua_call(L, lua_gettop(L) - 1, LUA_MULTRET);
    return lua_gettop(L);
}

static int load_text(lua_State *L)
{
    return text_by_default(L, 3); /* load(chunk, chunkname, mode, env) */
}

static int loadfile_text(lua_State *L)
{
    return text_by_default(L, 2); /* loadfile(filename, mode, env) */
}

static int dofile_done(lua_State *L, int status, lua_KContext ctx)
{
    (void)status;
    (void)ctx;
    return lua_gettop(L) - 1;
}

/* dofile(filename): the standard one, loading text only. */
static int dofile_text(lua_State *L)
{
    const char *fname = luaL_optstring(L, 1, NULL);
    lua_settop(L, 1);
    if (luaL_loadfilex(L, fname, "t") != LUA_OK)
        return lua_error(L);
    lua_callk(L, 0, LUA_MULTRET, 0, dofile_done);
    return dofile_done(L, 0, 0);
}

/* Message handler wrapper for xpcall: once the invocation has timed out or
 * been cancelled, the error passes straight through.  Lua runs a message
 * handler for an error raised inside a hook with hooks disabled, so a
 * handler of the user's that looped would otherwise never be stopped. */
static int guarded_msgh(lua_State *L)
{
    void *ud;
    if (lua_getallocf(L, &ud) == fl_limits_alloc) {
        fl_limits *lim = ud;
        if (lim->timed_out || lim->cancelled)
            return 1;
    }
    lua_pushvalue(L, lua_upvalueindex(1));
    lua_insert(L, 1);
    lua_call(L, lua_gettop(L) - 1, 1);
    return 1;
}

static int xpcall_done(lua_State *L, int status, lua_KContext ctx)
{
    (void)status;
    (void)ctx;
    return lua_gettop(L);
}

/* xpcall(f, msgh, ...): the standard one (upvalue 1) with msgh guarded. */
static int guarded_xpcall(lua_State *L)
{
    int n = lua_gettop(L);
    luaL_checktype(L, 2, LUA_TFUNCTION);
    lua_pushvalue(L, 2);
    lua_pushcclosure(L, guarded_msgh, 1);
    lua_replace(L, 2);
    lua_pushvalue(L, lua_upvalueindex(1));
    lua_insert(L, 1);
    lua_callk(L, n, LUA_MULTRET, 0, xpcall_done); /* continuation: coroutines may yield inside */
    return lua_gettop(L);
}

void fl_lib_openstate(lua_State *L)
{
    lua_getglobal(L, "load");
    lua_pushcclosure(L, load_text, 1);
    lua_setglobal(L, "load");
    lua_getglobal(L, "loadfile");
    lua_pushcclosure(L, loadfile_text, 1);
    lua_setglobal(L, "loadfile");
    lua_pushcfunction(L, dofile_text);
    lua_setglobal(L, "dofile");
    lua_getglobal(L, "xpcall");
    lua_pushcclosure(L, guarded_xpcall, 1);
    lua_setglobal(L, "xpcall");
    lua_getglobal(L, "string");
    lua_getfield(L, -1, "rep");
    lua_pushcclosure(L, string_rep, 1);
    lua_setfield(L, -2, "rep");
    lua_pop(L, 1);
    fl_strmatch_openstate(L); /* find, match, gmatch, gsub that stop at the deadline */
    lua_getglobal(L, "os");
    lua_pushcfunction(L, os_exit);
    lua_setfield(L, -2, "exit");
    lua_pop(L, 1);
    lua_getglobal(L, "debug");
    lua_pushcfunction(L, debug_sethook);
    lua_setfield(L, -2, "sethook");
    lua_pop(L, 1);

    fl_lib_preload(L);
}

void fl_lib_preload(lua_State *L)
{
    luaL_newmetatable(L, "fnlua.buffer");
    lua_pushcfunction(L, box_gc);
    lua_setfield(L, -2, "__gc");
    lua_pop(L, 1);

    luaL_getsubtable(L, LUA_REGISTRYINDEX, LUA_PRELOAD_TABLE);
    lua_pushcfunction(L, luaopen_cjson);
    lua_setfield(L, -2, "cjson");
    lua_pushcfunction(L, luaopen_cjson_safe);
    lua_setfield(L, -2, "cjson.safe");
    lua_pushcfunction(L, luaopen_fnlua_json);
    lua_setfield(L, -2, "fnlua.json");
    lua_pushcfunction(L, luaopen_fnlua_base64);
    lua_setfield(L, -2, "fnlua.base64");
    lua_pushcfunction(L, fl_crypto_open);
    lua_setfield(L, -2, "fnlua.crypto");
    lua_pop(L, 1);
}
