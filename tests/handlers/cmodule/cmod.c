/* cmodule: a C module loaded through package.cpath from <dir>/lua_modules/lib/lua/5.4/cmod.so
 * (the test compiles this file into a temporary copy of the handler directory). */
#include <lauxlib.h>
#include <lua.h>

static int cmod_add(lua_State *L) {
  lua_Integer a = luaL_checkinteger(L, 1);
  lua_Integer b = luaL_checkinteger(L, 2);
  lua_pushinteger(L, a + b);
  return 1;
}

static int cmod_version(lua_State *L) {
  lua_pushstring(L, LUA_VERSION);
  return 1;
}

static const luaL_Reg cmod_funcs[] = {
  {"add", cmod_add},
  {"version", cmod_version},
  {NULL, NULL},
};

int luaopen_cmod(lua_State *L);

int luaopen_cmod(lua_State *L) {
  luaL_newlib(L, cmod_funcs);
  return 1;
}
