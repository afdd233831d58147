/* zmod.c - a Lua C module that links a library the base image lacks (zlib):
 * fnlua-image must carry libz.so.1 into the code layer (image/test). */
#include <lauxlib.h>
#include <lua.h>

const char *zlibVersion(void); /* zlib.h's, declared here: no zlib1g-dev needed */
int luaopen_zmod(lua_State *L);

static int version(lua_State *L)
{
    lua_pushstring(L, zlibVersion());
    return 1;
}

int luaopen_zmod(lua_State *L)
{
    luaL_Reg fns[] = {{"version", version}, {NULL, NULL}};
    luaL_newlib(L, fns);
    return 1;
}
