/* cmod.c - a Lua C module for image/test: built into
 * second/lua_modules/lib/lua/5.4/cmod.so as luarocks would, it proves that the
 * image's fnlua exports the Lua C API (semi-static link). */
#include <lauxlib.h>
#include <lua.h>

int luaopen_cmod(lua_State *L);

static int cmod_add(lua_State *L)
{
    lua_pushinteger(L, luaL_checkinteger(L, 1) + luaL_checkinteger(L, 2));
    return 1;
}

int luaopen_cmod(lua_State *L)
{
    lua_newtable(L);
    lua_pushcfunction(L, cmod_add);
    lua_setfield(L, -2, "add");
    return 1;
}
