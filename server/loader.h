/*
 * loader.h - finding and loading the handler module.
 *
 * Sets package.path/cpath to the code directory and its LuaRocks tree
 * (lua_modules) and nothing else (no current directory, no host Lua
 * folders, no LUA_PATH/LUA_CPATH), adds a searcher that finds fnlua.* only in fnlua's own
 * library directory (never in the code directory), and loads Lua files with
 * chunk names relative to the code directory, so every message reads
 * "index.lua:12" rather than an absolute path.  The handler module is loaded
 * with require, so it may return a table or define globals, and other
 * modules can require it too.  Uses config.h for the function references.
 */
#ifndef FL_LOADER_H
#define FL_LOADER_H

#include <lua.h>

#include "config.h"

typedef struct fl_loaded {
    int handler_ref;     /* LUA_NOREF when not loaded */
    int initializer_ref; /* LUA_NOREF when there is none */
    int shutdown_ref;
} fl_loaded;

/* Once per state, after the standard libraries are open. */
void fl_loader_openstate(lua_State *L, const fl_config *cfg);

/* Protected: requires the handler module and resolves handler, initializer
 * and shutdown hook into registry refs.  Raises with a message naming the
 * module file (and line, for syntax errors).  Stack: unchanged. */
void fl_loader_load(lua_State *L, const fl_config *cfg, fl_loaded *out);
void fl_loader_unref(lua_State *L, fl_loaded *l);

#endif
