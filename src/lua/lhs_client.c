/* The engine's client as a Lua userdata. poll/close return the events that
 * happened (finished results, 1xx interim responses) as a list; the Lua layer
 * runs the user's callbacks from it under pcall. We never call user Lua code
 * from inside the engine. */
#include <string.h>

#include "lhs.h"

typedef struct lclient {
  hs_client *c;
  hs_request *defaults;  /* parsed once, shared by every add_url */
  lua_State *L;   /* valid only during the poll/close that set it */
  int events;     /* stack index of that call's event list */
} lclient;

static lclient *check(lua_State *L) {
  lclient *u = luaL_checkudata(L, 1, LHS_CLIENT);
  if (!u->c) luaL_error(L, "the client is closed");
  return u;
}

static void push_event(lclient *u, uint64_t id, const char *field) {
  lua_State *L = u->L;
  lua_createtable(L, 0, 2);
  lua_pushinteger(L, (lua_Integer)id);
  lua_setfield(L, -2, "id");
  lua_insert(L, -2);
  lua_setfield(L, -2, field);
  lua_rawseti(L, u->events, (lua_Integer)lua_rawlen(L, u->events) + 1);
}

static void on_done(hs_client *c, uint64_t id, hs_result *r, void *ud) {
  lclient *u = ud;
  if (!u->L) return;
  lhs_result_push(u->L, r);
  push_event(u, id, "result");
}

static void on_interim(hs_client *c, uint64_t id, const hs_result *r, size_t index, void *ud) {
  lclient *u = ud;
  if (!u->L) return;
  lhs_interim_push(u->L, r, index);
  push_event(u, id, "interim");
}

/* core.client(concurrency, per_host) */
static int l_client(lua_State *L) {
  lua_Integer conc = luaL_checkinteger(L, 1), per_host = luaL_checkinteger(L, 2);
  luaL_argcheck(L, conc >= 1 && conc <= 100000, 1, "concurrency must be 1-100000");
  luaL_argcheck(L, per_host >= 1 && per_host <= 100000, 2, "per_host must be 1-100000");
  lclient *u = lua_newuserdatauv(L, sizeof *u, 0);
  memset(u, 0, sizeof *u);
  luaL_setmetatable(L, LHS_CLIENT);
  hs_code rc = hs_client_new(&u->c, NULL, (int)conc, (int)per_host);
  if (rc) return luaL_error(L, "cannot create a client: %s", hs_strerror(rc));
  return 1;
}

/* client:add(opts, want_interim) -> id */
static int l_add(lua_State *L) {
  lclient *u = check(L);
  hs_request *req = lhs_request_check(L, 2);
  uint64_t id = 0;
  hs_code rc = hs_client_add_ex(u->c, req, on_done, lua_toboolean(L, 3) ? on_interim : NULL, u, &id);
  if (rc) return luaL_error(L, "cannot add the request: %s", hs_strerror(rc));
  lua_pushinteger(L, (lua_Integer)id);
  return 1;
}

/* client:set_defaults(opts): parsed once (opts must have a url, which is not used). */
static int l_set_defaults(lua_State *L) {
  lclient *u = check(L);
  hs_request *req = lhs_request_check(L, 2);
  if (!req->method && hs_request_set_str(req, HS_OPT_METHOD, req->has_body ? "POST" : "GET"))
    return luaL_error(L, "out of memory");
  req->refs++; /* ours now; the box on the stack drops its reference when collected */
  hs_request_free(u->defaults);
  u->defaults = req;
  return 0;
}

/* client:add_url(url, want_interim) -> id: the defaults, that URL, nothing copied. */
static int l_add_url(lua_State *L) {
  lclient *u = check(L);
  const char *url = luaL_checkstring(L, 2);
  if (!u->defaults) return luaL_error(L, "add_url needs set_defaults first");
  uint64_t id = 0;
  hs_code rc = hs__client_add_url(u->c, u->defaults, url, on_done, lua_toboolean(L, 3) ? on_interim : NULL, u, &id);
  if (rc) return luaL_error(L, "cannot add the request: %s", hs_strerror(rc));
  lua_pushinteger(L, (lua_Integer)id);
  return 1;
}

/* client:poll(timeout_seconds or -1) -> events, pending */
static int l_poll(lua_State *L) {
  lclient *u = check(L);
  lua_Number t = luaL_optnumber(L, 2, 0);
  int64_t us = t < 0 ? -1 : (int64_t)(t * 1e6);
  lua_newtable(L);
  u->L = L;
  u->events = lua_gettop(L);
  size_t pending = 0;
  hs_code rc = hs_client_poll(u->c, us, &pending);
  u->L = NULL;
  if (rc) return luaL_error(L, "poll: %s", hs_strerror(rc));
  lua_pushinteger(L, (lua_Integer)pending);
  return 2;
}

static int l_cancel(lua_State *L) {
  lclient *u = check(L);
  lua_pushboolean(L, hs_client_cancel(u->c, (uint64_t)luaL_checkinteger(L, 2)) == HS_OK);
  return 1;
}

static int l_next_timeout(lua_State *L) {
  lclient *u = check(L);
  int64_t us = hs_client_next_timeout_us(u->c);
  if (us < 0) lua_pushnil(L); else lua_pushnumber(L, (lua_Number)us / 1e6);
  return 1;
}

static int l_pending(lua_State *L) {
  lclient *u = check(L);
  lua_pushinteger(L, (lua_Integer)hs_client_pending(u->c));
  return 1;
}

/* client:close() -> events (the cancelled requests); idempotent. */
static int l_close(lua_State *L) {
  lclient *u = luaL_checkudata(L, 1, LHS_CLIENT);
  lua_newtable(L);
  if (!u->c) return 1;
  u->L = L;
  u->events = lua_gettop(L);
  hs_client_cancel_all(u->c);
  u->L = NULL;
  hs_client_free(u->c);
  u->c = NULL;
  hs_request_free(u->defaults);
  u->defaults = NULL;
  return 1;
}

static int l_gc(lua_State *L) {
  lclient *u = luaL_checkudata(L, 1, LHS_CLIENT);
  u->L = NULL; /* no events: __gc never calls into Lua */
  hs_client_free(u->c);
  u->c = NULL;
  hs_request_free(u->defaults);
  u->defaults = NULL;
  return 0;
}

int lhs_open_client(lua_State *L) {
  if (luaL_newmetatable(L, LHS_CLIENT)) {
    const luaL_Reg methods[] = { { "add", l_add }, { "add_url", l_add_url }, { "set_defaults", l_set_defaults }, { "poll", l_poll }, { "cancel", l_cancel },
                                 { "next_timeout", l_next_timeout }, { "pending", l_pending },
                                 { "close", l_close }, { NULL, NULL } };
    luaL_newlib(L, methods);
    lua_setfield(L, -2, "__index");
    lua_pushcfunction(L, l_gc);
    lua_setfield(L, -2, "__gc");
  }
  lua_pop(L, 1);
  lua_pushcfunction(L, l_client);
  lua_setfield(L, -2, "client");
  return 0;
}
