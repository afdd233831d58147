/*
 * luahelp.h - a real lua_State for the unit tests, and a way to run a
 * chunk and get its result back as text.
 *
 * lh_newstate() opens the standard libraries and fnlua's preloads (so
 * `require "cjson"` works) and defines two globals that call json.c
 * directly, each raising Lua errors and so always run inside lua_pcall:
 *   jdecode(s [, flags])  -> fl_json_decode, or fl_json_decode_with(flags)
 *   jencode(v [, flags])  -> fl_json_encode, or fl_json_encode_with(flags)
 * lh_eval(L, code) runs code under lua_pcall and returns tostring() of its
 * first result, or "error: <message>" when it raised; the text stays valid
 * until the next lh_eval (lh_len holds its length, it may contain NULs).
 */
#ifndef FL_LUAHELP_H
#define FL_LUAHELP_H

#include <stdlib.h>
#include <string.h>

#include <lauxlib.h>
#include <lua.h>
#include <lualib.h>

#include "buf.h"
#include "json.h"
#include "lib.h"

static fl_buf lh_result;  /* text of the last lh_eval */
static fl_buf lh_encoded; /* jencode's output; reused, so an error inside leaks nothing */
static size_t lh_len;

/* Stack: [s, flags?] -> [s, flags?, value] */
static inline int lh_jdecode(lua_State *L)
{
    size_t n;
    const char *s = luaL_checklstring(L, 1, &n);
    if (lua_isnoneornil(L, 2))
        fl_json_decode(L, s, n);
    else
        fl_json_decode_with(L, s, n, (unsigned)luaL_checkinteger(L, 2));
    return 1;
}

/* Stack: [v, flags?] -> [v, flags?, text] */
static inline int lh_jencode(lua_State *L)
{
    luaL_checkany(L, 1);
    fl_buf_reset(&lh_encoded);
    if (lua_isnoneornil(L, 2))
        fl_json_encode(L, 1, &lh_encoded);
    else
        fl_json_encode_with(L, 1, &lh_encoded, (unsigned)luaL_checkinteger(L, 2));
    lua_pushlstring(L, lh_encoded.data ? lh_encoded.data : "", lh_encoded.len);
    return 1;
}

static inline void lh_openjson(lua_State *L)
{
    lua_register(L, "jdecode", lh_jdecode);
    lua_register(L, "jencode", lh_jencode);
}

static inline lua_State *lh_newstate(void)
{
    lua_State *L = luaL_newstate();
    if (!L) {
        fprintf(stderr, "cannot create a Lua state\n");
        exit(2);
    }
    luaL_openlibs(L);
    fl_lib_openstate(L);
    lh_openjson(L);
    return L;
}

static inline void lh_close(lua_State *L)
{
    lua_close(L);
    fl_buf_free(&lh_result);
    fl_buf_free(&lh_encoded);
}

/* Runs code in protected mode; returns its first result as text. */
static inline const char *lh_eval(lua_State *L, const char *code)
{
    int top = lua_gettop(L);
    fl_buf_reset(&lh_result);
    int rc = luaL_loadstring(L, code);
    if (rc == LUA_OK)
        rc = lua_pcall(L, 0, 1, 0);
    if (rc != LUA_OK)
        fl_buf_adds(&lh_result, "error: ");
    size_t n;
    const char *s = luaL_tolstring(L, -1, &n);
    fl_buf_add(&lh_result, s, n);
    lua_settop(L, top);
    lh_len = lh_result.len;
    return fl_buf_cstr(&lh_result);
}

#endif
