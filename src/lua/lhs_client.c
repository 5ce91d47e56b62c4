/* The engine's client as a Lua userdata. The engine's callbacks only record
 * events (finished results, 1xx interim responses); once hs_client_poll has
 * returned, deliver() turns them into Lua values one at a time and runs the
 * user's callbacks under lua_pcall, so user Lua code never runs inside the
 * engine. A bound client (bind: the Lua client's handles) delivers by itself
 * (deliver, run, finish); an unbound one returns its events as two lists
 * (poll, close) for hs.request. */
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
  size_t next_ev;        /* ev[next_ev..n_ev) are kept: not delivered yet */
  bool want_interim;     /* the defaults have an on_interim */
  bool plain_urls;       /* the defaults leave a URL as given: add takes it straight to the engine */
  bool in_callback;      /* a user callback (or a resumed coroutine) is running */
  bool interim_errors;   /* some handle may hold an interim_error */
  int waiters;           /* handles that may hold a waiting coroutine */
  uint64_t collect_base, collect_end; /* run_all: ids [base, end) go to UV_COLLECT[id - base + 1] */
} lclient;

/* The user values of a bound client. */
enum { UV_CLIENT = 1, UV_HANDLES, UV_HANDLE_MT, UV_COLLECT, N_UV = UV_COLLECT };

static const char CLIENT_MT = 0; /* registry key: the client metatable by address */

static lclient *to_client(lua_State *L) { return lhs_check_udata(L, 1, &CLIENT_MT, LHS_CLIENT); }

static lclient *check(lua_State *L) {
  lclient *u = to_client(L);
  if (!u->c) luaL_error(L, "the client is closed");
  return u;
}

/* Finished results among the kept events (1xx events are not requests). */
static size_t kept_results(const lclient *u) {
  size_t n = 0;
  for (size_t i = u->next_ev; i < u->n_ev; i++) n += u->ev[i].interim == SIZE_MAX;
  return n;
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
  size_t n = u->n_ev - u->next_ev;
  lua_createtable(L, (int)n, 0);
  lua_createtable(L, (int)n, 0);
  for (size_t i = 0; i < n; i++) {
    levent *e = &u->ev[u->next_ev + i];
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
  u->n_ev = u->next_ev = 0;
}

static void drop_events(lclient *u) {
  for (size_t i = u->next_ev; i < u->n_ev; i++) hs_result_unref(u->ev[i].r);
  u->n_ev = u->next_ev = 0;
}

/* core.client(concurrency, per_host) */
static int l_client(lua_State *L) {
  lua_Integer conc = luaL_checkinteger(L, 1), per_host = luaL_checkinteger(L, 2);
  luaL_argcheck(L, conc >= 1 && conc <= 100000, 1, "concurrency must be 1-100000");
  luaL_argcheck(L, per_host >= 1 && per_host <= 100000, 2, "per_host must be 1-100000");
  lclient *u = lua_newuserdatauv(L, sizeof *u, N_UV);
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
  int64_t us = u->next_ev < u->n_ev ? 0 : hs_client_next_timeout_us(u->c); /* kept events: poll now */
  if (us < 0) lua_pushnil(L); else lua_pushnumber(L, (lua_Number)us / 1e6);
  return 1;
}

/* client:pending() -> requests not finished, and finished ones not delivered yet */
static int l_pending(lua_State *L) {
  lclient *u = check(L);
  lua_pushinteger(L, (lua_Integer)(hs_client_pending(u->c) + kept_results(u)));
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

/* ---- delivery (a bound client) ------------------------------------------------------ */

/* The message handler of every callback: debug.traceback's (a string gets the
 * stack appended; another error value stays as it is). */
static int traceback(lua_State *L) {
  const char *msg = lua_tostring(L, 1);
  if (!msg && !lua_isnoneornil(L, 1)) return 1;
  luaL_traceback(L, L, msg, 1);
  return 1;
}

/* Drops event i's reference: it is delivered (its Lua value made) or dropped. */
static void consume(lclient *u, size_t i) {
  hs_result_unref(u->ev[i].r);
  u->ev[i].r = NULL;
  u->next_ev = i + 1;
}

/* Calls the function below its nargs arguments under the handler at msgh;
 * returns false with the error on the stack, true with nothing. */
static bool call_back(lua_State *L, lclient *u, int nargs, int msgh) {
  u->in_callback = true;
  int rc = lua_pcall(L, nargs, 0, msgh);
  u->in_callback = false;
  return rc == LUA_OK;
}

/* Resumes the coroutine on the top (it awaits the result at res) with that
 * result, as coroutine.resume would; an error it raises is the result's
 * callback_error. Pops the coroutine. */
static void wake(lua_State *L, lclient *u, int res) {
  lua_State *co = lua_tothread(L, -1);
  lua_pushvalue(L, res);
  lua_xmove(L, co, 1);
  int nres = 0;
  u->in_callback = true; /* a resumed coroutine is a callback too: no poll/run inside */
  int rc = lua_resume(co, L, 1, &nres);
  u->in_callback = false;
  if (rc == LUA_OK || rc == LUA_YIELD) {
    lua_pop(co, nres);
  } else {
    lua_xmove(co, L, 1);
    lua_setfield(L, res, "callback_error");
  }
  lua_pop(L, 1);
}

/* Delivers the 1xx event i to its handle's on_interim; keeps the first error it raises. */
static void deliver_interim(lua_State *L, lclient *u, size_t i, int handles, int msgh) {
  levent e = u->ev[i];
  if (lua_rawgeti(L, handles, (lua_Integer)e.id) != LUA_TUSERDATA) { consume(u, i); lua_pop(L, 1); return; }
  int h = lua_gettop(L);
  lua_getfield(L, h, "on_interim");
  if (!lua_toboolean(L, -1)) { consume(u, i); lua_pop(L, 2); return; }
  lhs_interim_push(L, e.r, e.interim);
  consume(u, i);
  if (!call_back(L, u, 1, msgh)) {
    /* The first error is kept (as hs.request keeps it): a later one is often its consequence. */
    lua_getfield(L, h, "interim_error");
    bool kept = lua_toboolean(L, -1);
    lua_pop(L, 1);
    if (kept) lua_pop(L, 1);
    else lua_setfield(L, h, "interim_error");
    u->interim_errors = true;
  }
  lua_pop(L, 1);
}

/* Delivers the finished result of event i: to its handle (result, callback,
 * waiter), or to its run_all place. */
static void deliver_result(lua_State *L, lclient *u, size_t i, int handles, int msgh, int ctx) {
  levent e = u->ev[i];
  if (lua_rawgeti(L, handles, (lua_Integer)e.id) != LUA_TUSERDATA) {
    lua_pop(L, 1);
    if (e.id >= u->collect_base && e.id < u->collect_end) { /* a run_all place: one a list item */
      lua_getiuservalue(L, 1, UV_COLLECT);
      lhs_result_push_at(L, ctx, e.r);
      lua_rawseti(L, -2, (lua_Integer)(e.id - u->collect_base) + 1);
      lua_pop(L, 1);
    }
    consume(u, i);
    return;
  }
  int h = lua_gettop(L);
  lhs_result_push_at(L, ctx, e.r);
  consume(u, i);
  int res = lua_gettop(L);
  lua_pushnil(L);
  lua_rawseti(L, handles, (lua_Integer)e.id);
  if (u->interim_errors) {
    lua_getfield(L, h, "interim_error");
    if (lua_toboolean(L, -1)) lua_setfield(L, res, "callback_error");
    else lua_pop(L, 1);
  }
  lua_pushvalue(L, res);
  lua_setiuservalue(L, h, LHS_HANDLE_RESULT);
  if (lua_getiuservalue(L, h, LHS_HANDLE_CALLBACK) == LUA_TFUNCTION) {
    lua_pushvalue(L, res);
    lua_pushvalue(L, h);
    if (!call_back(L, u, 2, msgh)) lua_setfield(L, res, "callback_error");
  } else {
    lua_pop(L, 1);
  }
  if (u->waiters > 0) {
    if (lua_getfield(L, h, "waiter") == LUA_TTHREAD) {
      lua_pushboolean(L, 0);
      lua_setfield(L, h, "waiter");
      u->waiters--;
      wake(L, u, res);
    } else {
      lua_pop(L, 1);
    }
  }
  lua_settop(L, h - 1);
}

/* Delivers the kept events, up to those recorded when it starts (what its own
 * callbacks cause waits for the next delivery). With `sliced` (poll(0)) it stops
 * once the callbacks' time slice is spent, after one event at least unless `ran`
 * says one already ran, and keeps the rest: returns true then. The client
 * userdata is at index 1. */
static bool deliver(lua_State *L, lclient *u, bool sliced, bool ran) {
  size_t from = u->next_ev, end = u->n_ev;
  bool stopped = false;
  if (from == end) return false;
  int top = lua_gettop(L);
  lua_pushcfunction(L, traceback);
  int msgh = lua_gettop(L);
  lua_getiuservalue(L, 1, UV_HANDLES);
  int handles = lua_gettop(L);
  int ctx = lhs_results_begin(L);
  for (size_t i = from; i < end; i++) {
    if (sliced && (i > from || ran) && hs__client_slice_spent(u->c)) { stopped = true; break; }
    if (u->ev[i].interim == SIZE_MAX) deliver_result(L, u, i, handles, msgh, ctx);
    else deliver_interim(L, u, i, handles, msgh);
  }
  lua_settop(L, top);
  if (u->next_ev == u->n_ev) {
    u->n_ev = u->next_ev = 0;
  } else if (u->next_ev > 0) { /* what is kept moves to the front */
    memmove(u->ev, u->ev + u->next_ev, (u->n_ev - u->next_ev) * sizeof *u->ev);
    u->n_ev -= u->next_ev;
    u->next_ev = 0;
  }
  return stopped;
}

static void check_not_in_callback(lua_State *L, lclient *u, const char *what) {
  if (u->in_callback) luaL_error(L, "%s cannot be called from inside a callback", what);
}

/* client:bind(client, handles, handle_mt, want_interim): this client delivers its
 * events itself, to the handles in `handles` (id -> handle); the client's add (adder)
 * makes handles with handle_mt, and asks for 1xx events when want_interim (the defaults' on_interim). */
static int l_bind(lua_State *L) {
  lclient *u = check(L);
  luaL_checktype(L, 2, LUA_TTABLE);
  luaL_checktype(L, 3, LUA_TTABLE);
  luaL_checktype(L, 4, LUA_TTABLE);
  for (int uv = UV_CLIENT; uv <= UV_HANDLE_MT; uv++) {
    lua_pushvalue(L, 1 + uv);
    lua_setiuservalue(L, 1, uv);
  }
  u->want_interim = lua_toboolean(L, 5);
  return 0;
}

/* Pushes a new handle (lhs_handle.c) with the client's handle metatable; the client
 * userdata is at ud, the callback (a function or nil) at callback. */
static void new_handle(lua_State *L, int ud, int callback) {
  lua_getiuservalue(L, ud, UV_HANDLE_MT);
  lhs_handle_push(L, lua_gettop(L), callback);
  lua_remove(L, -2);
}

/* Gives the handle on the top its request id and keeps it in `handles` until delivered. */
static void keep_handle(lua_State *L, int ud, uint64_t id) {
  lhs_handle_set_id(L, -1, id);
  lua_getiuservalue(L, ud, UV_HANDLES);
  lua_pushvalue(L, -2);
  lua_rawseti(L, -2, (lua_Integer)id);
  lua_pop(L, 1);
}

/* Pushes the handle of a new request for the URL at `url`, added with the defaults (see
 * add_url). The client userdata is at `ud`; the callback (a function or nil) at `callback`. */
static int add_handle(lua_State *L, lclient *u, int ud, int url, int callback) {
  if (!u->defaults) return luaL_error(L, "add needs set_defaults first");
  lua_checkstack(L, 4);
  new_handle(L, ud, callback); /* made first: once the request is added, nothing may fail */
  uint64_t id = 0;
  hs_code rc = hs__client_add_url(u->c, u->defaults, lua_tostring(L, url), on_done,
                                  u->want_interim ? on_interim : NULL, u, &id);
  if (rc) return luaL_error(L, "cannot add the request: %s", hs_strerror(rc));
  keep_handle(L, ud, id);
  return 1;
}

/* client:handle(id, callback or nil) -> a new handle for the request id (added by
 * client:add), kept in `handles` until delivered. */
static int l_handle(lua_State *L) {
  check(L);
  lua_Integer id = luaL_checkinteger(L, 2);
  new_handle(L, 1, 3);
  keep_handle(L, 1, (uint64_t)id);
  return 1;
}

bool lhs_client_cancel(void *core, uint64_t id) {
  lclient *u = core;
  return u->c && hs_client_cancel(u->c, id) == HS_OK;
}

/* Client:add(spec, callback), the Lua client's own field (made by core:adder): upvalues
 * the client userdata, the Lua client and the Lua path. It checks the client and the
 * callback; a URL string on a client whose defaults leave URLs as given (`plain`) becomes
 * a handle here, with no Lua frame between the caller and the engine; anything else
 * goes to the Lua path with the same arguments. */
static int l_client_add(lua_State *L) {
  lclient *u = lua_touserdata(L, lua_upvalueindex(1));
  luaL_argcheck(L, lua_rawequal(L, 1, lua_upvalueindex(2)), 1, "not the client this add belongs to");
  if (!u->c) return luaL_error(L, "the client is closed");
  int t = lua_type(L, 3);
  if (t != LUA_TNONE && t != LUA_TNIL && t != LUA_TFUNCTION) return luaL_typeerror(L, 3, "function");
  if (u->plain_urls && lua_type(L, 2) == LUA_TSTRING) return add_handle(L, u, lua_upvalueindex(1), 2, 3);
  lua_settop(L, 3);
  lua_pushvalue(L, lua_upvalueindex(3));
  lua_insert(L, 1);
  lua_call(L, 3, 1);
  return 1;
}

/* client:adder(lua_client, lua_path, plain_urls) -> the Lua client's add (l_client_add). */
static int l_adder(lua_State *L) {
  lclient *u = check(L);
  luaL_checktype(L, 2, LUA_TTABLE);
  luaL_checktype(L, 3, LUA_TFUNCTION);
  u->plain_urls = lua_toboolean(L, 4);
  lua_settop(L, 3);
  lua_pushcclosure(L, l_client_add, 3);
  return 1;
}

/* client:deliver(timeout_seconds or -1) -> pending: what Client:poll does. poll(0): the
 * engine works for its slice, the callbacks for one of their own (shared with what was
 * kept from the last poll, if any); what does not fit waits for the next poll(0). */
static int l_deliver(lua_State *L) {
  lclient *u = check(L);
  check_not_in_callback(L, u, "poll/run");
  lua_Number t = luaL_optnumber(L, 2, 0);
  luaL_argcheck(L, t == t, 2, "timeout must be a number of seconds, not NaN");
  bool sliced = t == 0, ran = false;
  if (u->next_ev < u->n_ev) { /* kept callbacks run first */
    if (sliced) hs__client_start_slice(u->c);
    ran = true;
    if (deliver(L, u, sliced, false)) {
      lua_pushinteger(L, (lua_Integer)(hs_client_pending(u->c) + kept_results(u)));
      return 1;
    }
  }
  int64_t us = t < 0 ? -1 : t > 1e9 ? (int64_t)1e15 : (int64_t)(t * 1e6);
  hs_code rc = hs_client_poll(u->c, us, NULL);
  if (rc) return luaL_error(L, "poll: %s", hs_strerror(rc));
  if (sliced && !ran) hs__client_start_slice(u->c); /* the callbacks' slice starts after the engine's */
  deliver(L, u, sliced, ran);
  lua_pushinteger(L, (lua_Integer)(hs_client_pending(u->c) + kept_results(u)));
  return 1;
}

/* client:run(): polls and delivers until nothing is pending. */
static int l_run(lua_State *L) {
  lclient *u = check(L);
  check_not_in_callback(L, u, "poll/run");
  deliver(L, u, false, false);
  while (hs_client_pending(u->c) > 0) {
    hs_code rc = hs_client_poll(u->c, -1, NULL);
    if (rc) return luaL_error(L, "poll: %s", hs_strerror(rc));
    deliver(L, u, false, false);
  }
  return 0;
}

/* client:collect(out, first, last) sends results of ids first..last with no handle to
 * out[id - first + 1] (run_all); client:collect() stops that. */
static int l_collect(lua_State *L) {
  lclient *u = to_client(L);
  if (lua_isnoneornil(L, 2)) {
    u->collect_base = u->collect_end = 0;
    lua_pushnil(L);
  } else {
    luaL_checktype(L, 2, LUA_TTABLE);
    u->collect_base = (uint64_t)luaL_checkinteger(L, 3);
    u->collect_end = (uint64_t)luaL_checkinteger(L, 4) + 1;
    lua_pushvalue(L, 2);
  }
  lua_setiuservalue(L, 1, UV_COLLECT);
  return 0;
}

/* client:add_waiter(): a handle now holds a waiting coroutine (Client:await). */
static int l_add_waiter(lua_State *L) {
  lclient *u = to_client(L);
  u->waiters++;
  return 0;
}

static int l_in_callback(lua_State *L) {
  lclient *u = to_client(L);
  lua_pushboolean(L, u->in_callback);
  return 1;
}

/* client:kept() -> how many events wait for the next delivery. */
static int l_kept(lua_State *L) {
  lclient *u = to_client(L);
  lua_pushinteger(L, (lua_Integer)(u->n_ev - u->next_ev));
  return 1;
}

/* client:close() -> ids, values (the cancelled requests); idempotent. */
static int l_close(lua_State *L) {
  lclient *u = to_client(L);
  if (u->c) hs_client_cancel_all(u->c);
  release(u);
  push_events(L, u);
  free_events(u);
  return 2;
}

/* client:finish(): what Client:close does: delivers what was kept, cancels the rest,
 * frees the engine's client, marks the Lua client closed, then delivers the cancelled
 * requests (their callbacks see a closed client); idempotent. */
static int l_finish(lua_State *L) {
  lclient *u = to_client(L);
  check_not_in_callback(L, u, "close");
  if (!u->c) return 0;
  deliver(L, u, false, false);
  hs_client_cancel_all(u->c);
  release(u);
  if (lua_getiuservalue(L, 1, UV_CLIENT) == LUA_TTABLE) {
    lua_pushboolean(L, 1);
    lua_setfield(L, -2, "closed");
  }
  lua_pop(L, 1);
  deliver(L, u, false, false);
  drop_events(u); /* any recorded while the cancelled were delivered: nothing runs them now */
  free_events(u);
  return 0;
}

static int l_gc(lua_State *L) {
  lclient *u = to_client(L);
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
                                 { "close", l_close },
                                 { "bind", l_bind }, { "adder", l_adder }, { "handle", l_handle },
                                 { "handle_metatable", lhs_handle_metatable }, { "handle_id", lhs_handle_id },
                                 { "deliver", l_deliver },
                                 { "run", l_run }, { "finish", l_finish }, { "collect", l_collect },
                                 { "add_waiter", l_add_waiter }, { "in_callback", l_in_callback },
                                 { "kept", l_kept }, { NULL, NULL } };
    luaL_newlib(L, methods);
    lua_setfield(L, -2, "__index");
    lua_pushcfunction(L, l_gc);
    lua_setfield(L, -2, "__gc");
  }
  lua_rawsetp(L, LUA_REGISTRYINDEX, &CLIENT_MT);
  lua_pushcfunction(L, l_client);
  lua_setfield(L, -2, "client");
  return 0;
}
