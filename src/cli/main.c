/* The httpstatus command: a C host embedding Lua 5.4 and the module, so it runs
 * without LUA_PATH/LUA_CPATH. The commands themselves are lua/httpstatus/cli.lua. */
#include <lauxlib.h>
#include <lua.h>
#include <lualib.h>
#include <stdio.h>

int luaopen_httpstatus(lua_State *L);

static int traceback(lua_State *L) {
  luaL_traceback(L, L, lua_tostring(L, 1), 1);
  return 1;
}

int main(int argc, char **argv) {
  lua_State *L = luaL_newstate();
  if (!L) { fputs("httpstatus: out of memory\n", stderr); return 2; }
  luaL_openlibs(L);
  luaL_requiref(L, "httpstatus", luaopen_httpstatus, 0);
  lua_pop(L, 1);
  lua_createtable(L, argc, 1);
  for (int i = 0; i < argc; i++) {
    lua_pushstring(L, argv[i]);
    lua_rawseti(L, -2, i);
  }
  lua_setglobal(L, "arg");
  lua_pushcfunction(L, traceback);
  lua_getglobal(L, "require");
  lua_pushliteral(L, "httpstatus.cli");
  int rc = 2;
  if (lua_pcall(L, 1, 1, 1) == LUA_OK) {
    lua_getfield(L, -1, "main");
    lua_createtable(L, argc, 0);
    for (int i = 1; i < argc; i++) {
      lua_pushstring(L, argv[i]);
      lua_rawseti(L, -2, i);
    }
    if (lua_pcall(L, 1, 1, 1) == LUA_OK) rc = (int)luaL_optinteger(L, -1, 0);
    else fprintf(stderr, "httpstatus: %s\n", lua_tostring(L, -1));
  } else {
    fprintf(stderr, "httpstatus: %s\n", lua_tostring(L, -1));
  }
  lua_close(L);
  return rc;
}
