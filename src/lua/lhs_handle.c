/* A request's handle, what client:add returns: a userdata of one block (its id, then
 * its callback, its result and the fields set on it as user values), where a table
 * would be two (the table and its array part). The collector reads every handle a
 * client holds at every cycle, 100,000 of them for a batch added up front, so one
 * block a handle is fewer cache misses as well as one allocation less.
 *
 * Fields set on a handle (h.tag = ...) go to a table made on the first one. A field
 * is looked up there, then in the client's shared table (client, on_interim, waiter,
 * interim_error: what most handles share), then among the methods. */
#include "lhs.h"

typedef struct lhandle { uint64_t id; } lhandle;

/* A handle metatable's key: the client userdata its handles belong to. */
static const char HANDLE_CORE = 0;

/* The handle at idx (its metatable names the client userdata it belongs to, put in
 * *core when core is not NULL); raises for anything else. */
static lhandle *check_handle(lua_State *L, int idx, void **core) {
  lhandle *h = lua_touserdata(L, idx);
  if (h && lua_getmetatable(L, idx)) {
    int t = lua_rawgetp(L, -1, &HANDLE_CORE);
    if (core) *core = lua_touserdata(L, -1);
    lua_pop(L, 2);
    if (t == LUA_TUSERDATA) return h;
  }
  luaL_typeerror(L, idx, "httpstatus.handle");
  return NULL;
}

static int h_done(lua_State *L) {
  check_handle(L, 1, NULL);
  lua_getiuservalue(L, 1, LHS_HANDLE_RESULT);
  lua_pushboolean(L, lua_toboolean(L, -1));
  return 1;
}

static int h_result(lua_State *L) {
  check_handle(L, 1, NULL);
  if (lua_getiuservalue(L, 1, LHS_HANDLE_RESULT) == LUA_TBOOLEAN) lua_pushnil(L);
  return 1;
}

/* h:cancel() -> true if the request was still pending (API.md). */
static int h_cancel(lua_State *L) {
  void *core = NULL;
  lhandle *h = check_handle(L, 1, &core);
  lua_getiuservalue(L, 1, LHS_HANDLE_RESULT);
  bool done = lua_toboolean(L, -1);
  lua_pushboolean(L, !done && lhs_client_cancel(core, h->id));
  return 1;
}

/* __index: upvalues the client's shared table and the methods. */
static int h_index(lua_State *L) {
  if (lua_getiuservalue(L, 1, LHS_HANDLE_FIELDS) == LUA_TTABLE) {
    lua_pushvalue(L, 2);
    if (lua_rawget(L, -2) != LUA_TNIL) return 1;
    lua_pop(L, 1);
  }
  lua_pop(L, 1);
  lua_pushvalue(L, 2);
  if (lua_rawget(L, lua_upvalueindex(1)) != LUA_TNIL) return 1;
  lua_pop(L, 1);
  lua_pushvalue(L, 2);
  lua_rawget(L, lua_upvalueindex(2));
  return 1;
}

static int h_newindex(lua_State *L) {
  if (lua_getiuservalue(L, 1, LHS_HANDLE_FIELDS) != LUA_TTABLE) {
    lua_pop(L, 1);
    lua_newtable(L);
    lua_pushvalue(L, -1);
    lua_setiuservalue(L, 1, LHS_HANDLE_FIELDS);
  }
  lua_pushvalue(L, 2);
  lua_pushvalue(L, 3);
  lua_rawset(L, -3);
  return 0;
}

void lhs_handle_push(lua_State *L, int mt, int callback) {
  lhandle *h = lua_newuserdatauv(L, sizeof *h, LHS_HANDLE_FIELDS);
  h->id = 0;
  if (lua_isnoneornil(L, callback)) lua_pushboolean(L, 0); else lua_pushvalue(L, callback);
  lua_setiuservalue(L, -2, LHS_HANDLE_CALLBACK);
  lua_pushboolean(L, 0);
  lua_setiuservalue(L, -2, LHS_HANDLE_RESULT);
  lua_pushvalue(L, mt);
  lua_setmetatable(L, -2);
}

void lhs_handle_set_id(lua_State *L, int idx, uint64_t id) {
  ((lhandle *)lua_touserdata(L, idx))->id = id;
}

int lhs_handle_id(lua_State *L) { /* a method of the client userdata: the handle is argument 2 */
  lua_pushinteger(L, (lua_Integer)check_handle(L, 2, NULL)->id);
  return 1;
}

int lhs_handle_metatable(lua_State *L) {
  luaL_checktype(L, 2, LUA_TTABLE);
  lua_createtable(L, 0, 4);
  lua_pushvalue(L, 1);
  lua_rawsetp(L, -2, &HANDLE_CORE);
  lua_pushvalue(L, 2);
  const luaL_Reg methods[] = { { "done", h_done }, { "result", h_result }, { "cancel", h_cancel }, { NULL, NULL } };
  luaL_newlib(L, methods);
  lua_pushcclosure(L, h_index, 2);
  lua_setfield(L, -2, "__index");
  lua_pushcfunction(L, h_newindex);
  lua_setfield(L, -2, "__newindex");
  lua_pushliteral(L, "httpstatus.handle");
  lua_setfield(L, -2, "__name");
  return 1;
}
