/* The engine's client as a Lua userdata. poll/close return the events that
 * happened (finished results, 1xx interim responses) as a list; the Lua layer
 * runs the user's callbacks from it under pcall. We never call user Lua code
 * from inside the engine. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lhs.h"

/* An event recorded by the engine's callbacks; turned into Lua values only after
 * hs_client_poll has returned, so a Lua error (out of memory) never unwinds through
 * the engine. */
typedef struct levent {
  uint64_t id;
  hs_result *r;        /* referenced */
  size_t interim;      /* index of the 1xx, or SIZE_MAX for a finished result */
} levent;

typedef struct lclient {
  hs_client *c;
  hs_request *defaults;  /* parsed once, shared by every add_url */
  levent *ev; size_t n_ev, cap_ev;
} lclient;

static lclient *check(lua_State *L) {
  lclient *u = luaL_checkudata(L, 1, LHS_CLIENT);
  if (!u->c) luaL_error(L, "the client is closed");
  return u;
}

static void record(lclient *u, uint64_t id, hs_result *r, size_t interim) {
  if (hs__grow((void **)&u->ev, &u->cap_ev, u->n_ev, sizeof *u->ev)) return; /* out of memory: dropped */
  hs_result_ref(r);
  u->ev[u->n_ev++] = (levent){ id, r, interim };
}

static void on_done(hs_client *c, uint64_t id, hs_result *r, void *ud) { record(ud, id, r, SIZE_MAX); }

static void on_interim(hs_client *c, uint64_t id, const hs_result *r, size_t index, void *ud) {
  record(ud, id, (hs_result *)r, index);
}

/* Pushes two lists, ids and values (a result userdata, or for a 1xx, -id and a table), for
 * the events recorded, and drops our references. */
static void push_events(lua_State *L, lclient *u) {
  size_t n = u->n_ev;
  lua_createtable(L, (int)n, 0);
  lua_createtable(L, (int)n, 0);
  for (size_t i = 0; i < n; i++) {
    levent *e = &u->ev[i];
    /* A 1xx is told by a negative id (the Lua layer's _dispatch). */
    lua_pushinteger(L, e->interim == SIZE_MAX ? (lua_Integer)e->id : -(lua_Integer)e->id);
    lua_rawseti(L, -3, (lua_Integer)i + 1);
    if (e->interim == SIZE_MAX) {
      lhs_result_push(L, e->r);
    } else {
      lhs_interim_push(L, e->r, e->interim);
    }
    lua_rawseti(L, -2, (lua_Integer)i + 1);
    hs_result_unref(e->r);
    e->r = NULL;
  }
  u->n_ev = 0;
}

static void drop_events(lclient *u) {
  for (size_t i = 0; i < u->n_ev; i++) hs_result_unref(u->ev[i].r);
  u->n_ev = 0;
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

/* A request parsed from Lua options: given its method, and shared with the client
 * (refcounted) rather than copied. */
static hs_request *parsed_request(lua_State *L, int idx) {
  hs_request *req = lhs_request_check(L, idx);
  if (hs__request_default_method(req)) luaL_error(L, "out of memory");
  return req;
}

/* client:add(opts, want_interim) -> id */
static int l_add(lua_State *L) {
  lclient *u = check(L);
  hs_request *req = parsed_request(L, 2);
  uint64_t id = 0;
  hs_code rc = hs__client_add_url(u->c, req, req->url, on_done, lua_toboolean(L, 3) ? on_interim : NULL, u, &id);
  if (rc) return luaL_error(L, "cannot add the request: %s", hs_strerror(rc));
  lua_pushinteger(L, (lua_Integer)id);
  return 1;
}

/* client:set_defaults(opts): parsed once (opts must have a url, which is not used). */
static int l_set_defaults(lua_State *L) {
  lclient *u = check(L);
  hs_request *req = parsed_request(L, 2);
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

/* client:poll(timeout_seconds or -1) -> ids, values, pending */
static int l_poll(lua_State *L) {
  lclient *u = check(L);
  lua_Number t = luaL_optnumber(L, 2, 0);
  luaL_argcheck(L, t == t, 2, "timeout must be a number of seconds, not NaN");
  int64_t us = t < 0 ? -1 : t > 1e9 ? (int64_t)1e15 : (int64_t)(t * 1e6);
  size_t pending = 0;
  hs_code rc = hs_client_poll(u->c, us, &pending);
  if (rc) return luaL_error(L, "poll: %s", hs_strerror(rc));
  push_events(L, u);
  lua_pushinteger(L, (lua_Integer)pending);
  return 3;
}

/* client:slice_spent() -> whether this poll(0)'s time slice is over (callbacks stop
 * then, the rest waits for the next poll); client:start_slice() starts a new one. */
static int l_slice_spent(lua_State *L) {
  lua_pushboolean(L, hs__client_slice_spent(check(L)->c));
  return 1;
}

static int l_start_slice(lua_State *L) {
  hs__client_start_slice(check(L)->c);
  return 0;
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

/* Frees the engine's client and the defaults; the events recorded stay for the caller. */
static void release(lclient *u) {
  hs_client_free(u->c);
  u->c = NULL;
  hs_request_free(u->defaults);
  u->defaults = NULL;
}

static void free_events(lclient *u) {
  free(u->ev);
  u->ev = NULL;
  u->cap_ev = 0;
}

/* client:close() -> ids, values (the cancelled requests); idempotent. */
static int l_close(lua_State *L) {
  lclient *u = luaL_checkudata(L, 1, LHS_CLIENT);
  if (u->c) hs_client_cancel_all(u->c);
  release(u);
  push_events(L, u);
  free_events(u);
  return 2;
}

static int l_gc(lua_State *L) {
  lclient *u = luaL_checkudata(L, 1, LHS_CLIENT);
  release(u); /* no callbacks: __gc never calls into Lua */
  drop_events(u);
  free_events(u);
  return 0;
}

int lhs_open_client(lua_State *L) {
  if (luaL_newmetatable(L, LHS_CLIENT)) {
    const luaL_Reg methods[] = { { "add", l_add }, { "add_url", l_add_url }, { "set_defaults", l_set_defaults }, { "poll", l_poll }, { "cancel", l_cancel },
                                 { "slice_spent", l_slice_spent }, { "start_slice", l_start_slice },
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
