/*
 * lib.h - the Lua modules fnlua provides in C.
 *
 * Registered in package.preload of every state: "cjson" (lua-cjson, linked
 * in), "fnlua.json" (the exact codec of json.h), "fnlua.base64" and
 * "fnlua.crypto" (crypto.h).  The Lua half of the library lives in
 * lua/fnlua/ and is found by loader.c.
 * Also replaces the standard functions a handler could use to take the
 * server down or escape its deadline: os.exit, debug.sethook, xpcall
 * (its message handler is skipped once the invocation has timed out), and
 * load/loadfile/dofile (text chunks only unless a mode containing "b" is
 * passed: Lua does not verify precompiled code, a corrupted chunk crashes),
 * string.rep (an empty result returns at once) and string.find, match,
 * gmatch and gsub (lstrlib_match.h: the matcher stops at the deadline).
 */
#ifndef FL_LIB_H
#define FL_LIB_H

#include <lua.h>

void fl_lib_openstate(lua_State *L);
/* Only the package.preload entries (cjson, fnlua.json, fnlua.base64,
 * fnlua.crypto), the standard functions untouched: `fnlua test`'s state. */
void fl_lib_preload(lua_State *L);

#endif
