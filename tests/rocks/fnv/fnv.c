/* fnv: a tiny Lua C module (FNV-1a, 32 bits) built by luarocks. */
#include <stdint.h>

#include <lauxlib.h>
#include <lua.h>

static int fnv1a(lua_State *L)
{
    size_t n;
    const unsigned char *s = (const unsigned char *)luaL_checklstring(L, 1, &n);
    uint32_t h = 2166136261u;
    for (size_t i = 0; i < n; i++) {
        h ^= s[i];
        h *= 16777619u;
    }
    lua_pushinteger(L, (lua_Integer)h);
    return 1;
}

int luaopen_fnv(lua_State *L);
int luaopen_fnv(lua_State *L)
{
    static const luaL_Reg f[] = {{"fnv1a", fnv1a}, {NULL, NULL}};
    luaL_newlib(L, f);
    return 1;
}
