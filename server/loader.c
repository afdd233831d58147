/* loader.c - finding and loading the handler module (see loader.h). */
#include "loader.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <lauxlib.h>

static const char dir_key = 'D'; /* registry: code directory string */
static const char lib_key = 'B'; /* registry: fnlua library directory string */

/* Reads path and loads it as a chunk named "@" .. chunkname.
 * Stack: [] -> [chunk].  Raises the load error (e.g. "index.lua:3: syntax..."). */
static void load_file(lua_State *L, const char *path, const char *chunkname)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        luaL_error(L, "cannot open %s: %s", chunkname, strerror(errno));
    luaL_Buffer b;
    luaL_buffinit(L, &b);
    size_t n;
    do {
        char *p = luaL_prepbuffer(&b);
        n = fread(p, 1, LUAL_BUFFERSIZE, f);
        luaL_addsize(&b, n);
    } while (n == LUAL_BUFFERSIZE);
    int bad = ferror(f);
    fclose(f);
    if (bad)
        luaL_error(L, "cannot read %s", chunkname);
    luaL_pushresult(&b);
    size_t len;
    char *s = (char *)lua_tolstring(L, -1, &len);
    const char *start = s;
    if (len >= 3 && memcmp(s, "\xEF\xBB\xBF", 3) == 0) { /* UTF-8 BOM */
        start += 3;
        len -= 3;
    }
    lua_pushfstring(L, "@%s", chunkname);
    int st;
    if (len && *start == '#') {
        /* a "#!" first line: skip it but keep the line numbers */
        const char *nl = memchr(start, '\n', len);
        size_t skip = nl ? (size_t)(nl - start) : len;
        luaL_Buffer b2;
        luaL_buffinit(L, &b2);
        luaL_addlstring(&b2, start + skip, len - skip);
        luaL_pushresult(&b2);
        size_t l2;
        const char *s2 = lua_tolstring(L, -1, &l2);
        st = luaL_loadbufferx(L, s2, l2, lua_tostring(L, -2), "t");
        lua_remove(L, -2);
    } else {
        st = luaL_loadbufferx(L, start, len, lua_tostring(L, -1), "t");
    }
    if (st != LUA_OK)
        lua_error(L);
    lua_replace(L, -3); /* [source, name, chunk] -> [chunk, name] */
    lua_pop(L, 1);
}

/* The name a file is shown under: relative to base when inside it. */
static const char *display_name(const char *path, const char *base)
{
    size_t n = base ? strlen(base) : 0;
    if (n && strncmp(path, base, n) == 0 && path[n] == '/')
        return path + n + 1;
    return path;
}

/* package.searchers entry for Lua files: like the standard one, but with
 * chunk names relative to the code directory.  Upvalue 1: the package table. */
static int search_lua(lua_State *L)
{
    const char *name = luaL_checkstring(L, 1);
    lua_getfield(L, lua_upvalueindex(1), "searchpath");
    lua_pushstring(L, name);
    lua_getfield(L, lua_upvalueindex(1), "path");
    lua_call(L, 2, 2);
    if (lua_isnil(L, -2))
        return 1; /* the "no file ..." message */
    lua_pop(L, 1);
    const char *path = lua_tostring(L, -1);
    lua_rawgetp(L, LUA_REGISTRYINDEX, &dir_key);
    const char *dir = lua_tostring(L, -1);
    load_file(L, path, display_name(path, dir));
    lua_pushvalue(L, -3); /* the file name, as the loader's extra value */
    return 2;
}

/* package.searchers entry for fnlua.*: only fnlua's own library directory. */
static int search_fnlua(lua_State *L)
{
    const char *name = luaL_checkstring(L, 1);
    if (strncmp(name, "fnlua.", 6) != 0) {
        lua_pushliteral(L, "");
        return 1;
    }
    lua_rawgetp(L, LUA_REGISTRYINDEX, &lib_key);
    const char *lib = lua_tostring(L, -1);
    if (!lib || !*lib) {
        lua_pushfstring(L, "\n\tno fnlua library directory beside the fnlua binary");
        return 1;
    }
    lua_getfield(L, lua_upvalueindex(1), "searchpath");
    lua_pushstring(L, name);
    lua_pushfstring(L, "%s/?.lua", lib);
    lua_call(L, 2, 2);
    if (lua_isnil(L, -2))
        return 1;
    lua_pop(L, 1);
    const char *path = lua_tostring(L, -1);
    load_file(L, path, display_name(path, lib));
    lua_pushvalue(L, -2);
    return 2;
}

void fl_loader_openstate(lua_State *L, const fl_config *cfg)
{
    lua_pushstring(L, cfg->dir);
    lua_rawsetp(L, LUA_REGISTRYINDEX, &dir_key);
    lua_pushstring(L, cfg->libdir);
    lua_rawsetp(L, LUA_REGISTRYINDEX, &lib_key);

    /* exactly the code directory and its LuaRocks tree: not Lua's defaults
     * (./?.lua, /usr/local/share/lua/5.4/...) nor LUA_PATH/LUA_CPATH, so what
     * runs on a laptop finds the same modules as in the image */
    lua_getglobal(L, "package");
    int pkg = lua_gettop(L);
    const char *d = cfg->dir;
    lua_pushfstring(L,
                    "%s/?.lua;%s/?/init.lua;%s/lua_modules/share/lua/5.4/?.lua;"
                    "%s/lua_modules/share/lua/5.4/?/init.lua",
                    d, d, d, d);
    lua_setfield(L, pkg, "path");
    lua_pushfstring(L, "%s/?.so;%s/lua_modules/lib/lua/5.4/?.so", d, d);
    lua_setfield(L, pkg, "cpath");

    /* searchers: preload, fnlua.*, Lua files (relative names), then the C searchers */
    lua_getfield(L, pkg, "searchers");
    int s = lua_gettop(L);
    lua_Integer n = (lua_Integer)lua_rawlen(L, s);
    for (lua_Integer i = n; i >= 2; i--) {
        lua_rawgeti(L, s, i);
        lua_rawseti(L, s, i + 1);
    }
    lua_pushvalue(L, pkg);
    lua_pushcclosure(L, search_fnlua, 1);
    lua_rawseti(L, s, 2);
    lua_pushvalue(L, pkg);
    lua_pushcclosure(L, search_lua, 1);
    lua_rawseti(L, s, 3); /* replaces the standard Lua searcher, now at 3 */
    lua_settop(L, pkg - 1);
}

/* Stack: [] -> [module's return value] */
static void require_module(lua_State *L, const char *module)
{
    /* a clear message when the file does not exist, instead of require's list */
    lua_getglobal(L, "package");
    lua_getfield(L, -1, "preload");
    lua_getfield(L, -1, module);
    int preloaded = !lua_isnil(L, -1);
    lua_pop(L, 2);
    if (!preloaded) {
        lua_getfield(L, -1, "searchpath");
        lua_pushstring(L, module);
        lua_getfield(L, -3, "path");
        lua_call(L, 2, 2);
        if (lua_isnil(L, -2)) /* searchpath's list: every file tried, no other */
            luaL_error(L, "handler module '%s' not found in the code directory or its lua_modules:\n\t%s", module,
                       lua_tostring(L, -1));
        lua_pop(L, 2);
    }
    lua_pop(L, 1);
    lua_getglobal(L, "require");
    lua_pushstring(L, module);
    lua_call(L, 1, 1);
}

/* Stack: [modvalue] -> [modvalue].  Returns a ref to module.func (table field,
 * else global when the module returned no table), or LUA_NOREF. */
static int resolve(lua_State *L, const char *func)
{
    if (lua_istable(L, -1)) {
        lua_getfield(L, -1, func);
    } else {
        lua_getglobal(L, func);
    }
    if (lua_isnil(L, -1)) {
        lua_pop(L, 1);
        return LUA_NOREF;
    }
    if (!lua_isfunction(L, -1)) {
        int callable = luaL_getmetafield(L, -1, "__call") != LUA_TNIL;
        lua_pop(L, callable ? 2 : 1);
        if (!callable)
            return LUA_REFNIL;
        /* a callable table: look it up again to keep the table itself */
        if (lua_istable(L, -1))
            lua_getfield(L, -1, func);
        else
            lua_getglobal(L, func);
    }
    return luaL_ref(L, LUA_REGISTRYINDEX);
}

static int resolve_ref(lua_State *L, const fl_funcref *f, const char *what, int required)
{
    require_module(L, f->module);
    int ref = resolve(L, f->func);
    if (ref == LUA_REFNIL)
        luaL_error(L, "%s '%s.%s' is not a function", what, f->module, f->func);
    if (ref == LUA_NOREF && required)
        luaL_error(L, "%s function '%s' not found in module '%s': %s", what, f->func, f->module,
                   lua_istable(L, -1) ? "the module's table has no such field"
                                      : "the module returned no table and defines no such global");
    lua_pop(L, 1);
    return ref;
}

void fl_loader_load(lua_State *L, const fl_config *cfg, fl_loaded *out)
{
    out->handler_ref = resolve_ref(L, &cfg->handler, "handler", 1);

    fl_funcref dflt = cfg->handler;
    if (cfg->initializer.set) {
        out->initializer_ref = resolve_ref(L, &cfg->initializer, "initializer", 1);
    } else {
        snprintf(dflt.func, sizeof dflt.func, "initializer");
        out->initializer_ref = resolve_ref(L, &dflt, "initializer", 0);
    }
    if (cfg->shutdown.set) {
        out->shutdown_ref = resolve_ref(L, &cfg->shutdown, "shutdown hook", 1);
    } else {
        snprintf(dflt.func, sizeof dflt.func, "shutdown");
        out->shutdown_ref = resolve_ref(L, &dflt, "shutdown hook", 0);
    }
}

void fl_loader_unref(lua_State *L, fl_loaded *l)
{
    luaL_unref(L, LUA_REGISTRYINDEX, l->handler_ref);
    luaL_unref(L, LUA_REGISTRYINDEX, l->initializer_ref);
    luaL_unref(L, LUA_REGISTRYINDEX, l->shutdown_ref);
    l->handler_ref = l->initializer_ref = l->shutdown_ref = LUA_NOREF;
}
