/* Results in Lua: a userdata that is a packed copy of the C result (one block,
 * result_pack.c), with no finalizer: the collector frees it as any string, and
 * knows what it weighs. The request heads its hops point to are shared, so the
 * userdata keeps an anchor per distinct head as user values; an anchor (one per
 * head, found through a weak table) drops its reference when collected. A result
 * read from a finalizer after its anchors were finalized (Lua runs finalizers
 * newest first) would see freed heads: reads that use them check first
 * (check_heads). Fields are built on first access: a batch that reads only
 * `status` never pays for tables it does not look at. */
#include <stdbool.h>
#include <string.h>

#include "lhs.h"

static const char HEADERS_MT = 0; /* registry keys: addresses only */
static const char METHODS = 0;
static const char RESULT_MT = 0; /* the result metatable again, by address: no name to look up */
/* result userdata -> its cache table (fields set on it, tables built from it), weak
 * keys: the cache is not a user value, which keeps 100,000 kept results smaller. */
static const char CACHES = 0;
static const char ANCHORS = 0;   /* hs_sent_head address -> its anchor, weak values */
static const char ANCHOR_MT = 0;

typedef struct lanchor { hs_sent_head *s; } lanchor;
static const char VIEW_MT = 0;
typedef struct lview { hs_result tmp; const hs_result *view, *r; } lview;

static int view_gc(lua_State *L) {
  lview *v = lua_touserdata(L, 1);
  if (v->view) hs__findings_view_end(v->view, v->r);
  v->view = NULL;
  return 0;
}

static int anchor_gc(lua_State *L) {
  lanchor *a = lua_touserdata(L, 1);
  hs__sent_head_unref(a->s);
  a->s = NULL;
  return 0;
}

/* Pushes the anchor of s, made on first use; ctx is lhs_results_begin's (the anchors
 * table at ctx + 1, the last anchor pushed at ctx + 2: results delivered together
 * mostly share one head, so most need no table lookup). */
static void push_anchor(lua_State *L, int ctx, hs_sent_head *s) {
  const lanchor *last = lua_touserdata(L, ctx + 2);
  if (last && last->s == s) {
    lua_pushvalue(L, ctx + 2);
    return;
  }
  if (lua_rawgetp(L, ctx + 1, s) == LUA_TNIL) {
    lua_pop(L, 1);
    lanchor *a = lua_newuserdatauv(L, sizeof *a, 0);
    a->s = NULL;
    lua_rawgetp(L, LUA_REGISTRYINDEX, &ANCHOR_MT);
    lua_setmetatable(L, -2);
    a->s = hs__sent_head_ref(s);
    lua_pushvalue(L, -1);
    lua_rawsetp(L, ctx + 1, s);
  }
  lua_pushvalue(L, -1);
  lua_replace(L, ctx + 2);
}

/* Pushes a new cache table for the result at index 1, which has none yet. */
static void new_cache(lua_State *L) {
  lua_rawgetp(L, LUA_REGISTRYINDEX, &CACHES);
  lua_newtable(L);
  lua_pushvalue(L, 1);
  lua_pushvalue(L, -2);
  lua_rawset(L, -4);
  lua_remove(L, -2);
}

/* Pushes the cache table of the result at index 1, made if make; returns whether one is pushed. */
static bool push_cache(lua_State *L, bool make) {
  lua_rawgetp(L, LUA_REGISTRYINDEX, &CACHES);
  lua_pushvalue(L, 1);
  if (lua_rawget(L, -2) == LUA_TTABLE) {
    lua_remove(L, -2);
    return true;
  }
  lua_pop(L, 2);
  if (make) new_cache(L);
  return make;
}

static void set_int(lua_State *L, const char *k, lua_Integer v) { lua_pushinteger(L, v); lua_setfield(L, -2, k); }
static void set_str(lua_State *L, const char *k, const char *v) { if (v) { lua_pushstring(L, v); lua_setfield(L, -2, k); } }
static void set_secs(lua_State *L, const char *k, int64_t us) {
  if (us != HS_NONE) { lua_pushnumber(L, (lua_Number)us / 1e6); lua_setfield(L, -2, k); }
}
static void set_status(lua_State *L, const char *k, int s) { if (s) set_int(L, k, s); }

/* A headers object: { names = {...}, values = {...} } with the Lua methods. */
static void push_headers(lua_State *L, const hs_headers *h) {
  lua_createtable(L, 0, 2);
  lua_createtable(L, (int)h->n, 0);
  lua_createtable(L, (int)h->n, 0);
  for (size_t i = 0; i < h->n; i++) {
    lua_pushstring(L, h->v[i].name);
    lua_rawseti(L, -3, (lua_Integer)i + 1);
    lua_pushstring(L, h->v[i].value ? h->v[i].value : "");
    lua_rawseti(L, -2, (lua_Integer)i + 1);
  }
  lua_setfield(L, -3, "values");
  lua_setfield(L, -2, "names");
  lua_rawgetp(L, LUA_REGISTRYINDEX, &HEADERS_MT);
  lua_setmetatable(L, -2);
}

static const char *class_of(int s) {
  if (!s) return NULL;
  return hs_class_name(s < 100 || s > 599 ? HS_CLASS_SERVER_ERROR : hs_status_class(s));
}

static void push_timing(lua_State *L, const hs_timing *t) {
  lua_createtable(L, 0, 9);
  set_secs(L, "queue", t->queue); set_secs(L, "dns", t->dns); set_secs(L, "connect", t->connect);
  set_secs(L, "tls", t->tls); set_secs(L, "send", t->send); set_secs(L, "wait", t->wait);
  set_secs(L, "receive", t->receive); set_secs(L, "total", t->total);
  if (t->reused) { lua_pushboolean(L, 1); lua_setfield(L, -2, "reused"); }
}

static void push_total_timing(lua_State *L, const hs_result *r) {
  hs_timing sum;
  hs__result_timing(r, &sum);
  push_timing(L, &sum);
}

void lhs_interim_push(lua_State *L, const hs_result *r, size_t index) {
  const hs_interim *it = &r->interim[index];
  lua_createtable(L, 0, 6);
  set_int(L, "status", it->status);
  set_str(L, "reason_phrase", it->reason_phrase);
  set_int(L, "hop", (lua_Integer)it->hop + 1);
  set_secs(L, "at", it->at_us);
  push_headers(L, &it->headers);
  lua_setfield(L, -2, "headers");
  lua_createtable(L, (int)it->links.n, 0);
  for (size_t k = 0; k < it->links.n; k++) {
    const hs_link *l = &it->links.v[k];
    lua_createtable(L, 0, (int)l->n_params + 1);
    set_str(L, "href", l->href);
    for (size_t p = l->n_params; p-- > 0;) { /* the first of a repeated parameter wins */
      if (l->params[p].value) lua_pushstring(L, l->params[p].value); else lua_pushboolean(L, 1);
      lua_setfield(L, -2, l->params[p].name);
    }
    lua_rawseti(L, -2, (lua_Integer)k + 1);
  }
  lua_setfield(L, -2, "links");
}

static void push_hop(lua_State *L, const hs_result *r, size_t i) {
  const hs_hop *h = &r->hops[i];
  lua_createtable(L, 0, 16);
  set_str(L, "url", h->url);
  set_str(L, "method", h->method);
  set_status(L, "status", h->status);
  set_str(L, "reason", hs_status_reason(h->status));
  set_str(L, "reason_phrase", h->reason_phrase);
  if (h->http_version[0]) set_str(L, "http_version", h->http_version);
  set_str(L, "location", h->location);
  set_str(L, "location_url", h->location_url);
  set_int(L, "tries", (lua_Integer)h->tries);
  set_str(L, "remote_ip", h->remote_ip[0] ? h->remote_ip : NULL);
  if (h->remote_port) set_int(L, "remote_port", h->remote_port);
  push_headers(L, &h->headers);
  lua_setfield(L, -2, "headers");
  push_headers(L, hs__hop_request_headers(h));
  lua_setfield(L, -2, "request_headers");
  push_timing(L, hs__hop_timing(r, i));
  lua_setfield(L, -2, "timing");
  lua_newtable(L);
  for (size_t k = 0, n = 0; k < r->n_interim; k++)
    if (r->interim[k].hop == i) { lhs_interim_push(L, r, k); lua_rawseti(L, -2, (lua_Integer)++n); }
  lua_setfield(L, -2, "interim");
}

static void push_tls(lua_State *L, const hs_result *r) {
  const hs_tls_info *t = hs__result_tls(r);
  if (!t) { lua_pushnil(L); return; }
  lua_createtable(L, 0, 7);
  set_str(L, "version", t->version);
  set_str(L, "cipher", t->cipher);
  set_str(L, "subject", t->subject);
  set_str(L, "issuer", t->issuer);
  if (t->not_after != HS_NONE) {
    lua_pushnumber(L, (lua_Number)t->not_after);
    lua_setfield(L, -2, "not_after");
    /* whole days, rounded down: an expired certificate has a negative count */
    int64_t left = t->not_after - (int64_t)hs__wall_now();
    lua_pushinteger(L, (lua_Integer)(left >= 0 ? left / 86400 : -((-left + 86399) / 86400)));
    lua_setfield(L, -2, "days_left");
  }
  lua_pushboolean(L, t->verified);
  lua_setfield(L, -2, "verified");
}

/* The fields made again on each read (numbers, booleans, short strings: read-only,
 * never cached); pushes k's value, or returns 0 when k is not one of them. */
static int build_scalar(lua_State *L, const hs_result *r, const char *k) {
  const hs_hop *last = hs__result_last_hop(r);
  int s = last ? last->status : 0;
  if (!strcmp(k, "status")) { if (s) lua_pushinteger(L, s); else lua_pushnil(L); }
  else if (!strcmp(k, "reason")) lua_pushstring(L, hs_status_reason(s));
  else if (!strcmp(k, "reason_phrase")) lua_pushstring(L, last ? last->reason_phrase : NULL);
  else if (!strcmp(k, "class")) lua_pushstring(L, class_of(s));
  else if (!strcmp(k, "ok")) lua_pushboolean(L, hs_result_ok(r));
  else if (!strcmp(k, "url")) lua_pushstring(L, hs_result_url(r));
  else if (!strcmp(k, "method")) lua_pushstring(L, hs_result_method(r));
  else if (!strcmp(k, "http_version")) lua_pushstring(L, last && last->http_version[0] ? last->http_version : NULL);
  else if (!strcmp(k, "started_at")) lua_pushnumber(L, r->started_at);
  else if (!strcmp(k, "remote_ip")) lua_pushstring(L, last && last->remote_ip[0] ? last->remote_ip : NULL);
  else if (!strcmp(k, "remote_port")) { if (last && last->remote_port) lua_pushinteger(L, last->remote_port); else lua_pushnil(L); }
  else return 0;
  return 1;
}

/* Raises when the result at index 1 has lost its request heads: it was collected,
 * and is being read from a finalizer (see the top of this file). */
static void check_heads(lua_State *L) {
  for (int i = 1; lua_getiuservalue(L, 1, i) != LUA_TNONE; i++) {
    const lanchor *a = lua_touserdata(L, -1);
    lua_pop(L, 1);
    if (!a->s) luaL_error(L, "this result was collected: it is being read from a finalizer");
  }
  lua_pop(L, 1);
}

/* Pushes the table (or body) field k of r, built once and cached by res_index;
 * returns 0 if there is no such field. */
static int build_field(lua_State *L, const hs_result *r, const char *k) {
  const hs_hop *last = hs__result_last_hop(r);
  if (!strcmp(k, "headers")) push_headers(L, last ? &last->headers : &(hs_headers){0});
  else if (!strcmp(k, "trailers")) { static const hs_headers none; push_headers(L, r->trailers ? r->trailers : &none); }
  else if (!strcmp(k, "body")) lua_pushlstring(L, r->body ? r->body : "", r->body_len);
  else if (!strcmp(k, "timing")) push_total_timing(L, r);
  else if (!strcmp(k, "tls")) push_tls(L, r);
  else if (!strcmp(k, "hops")) {
    check_heads(L);
    lua_createtable(L, (int)r->n_hops, 0);
    for (size_t i = 0; i < r->n_hops; i++) { push_hop(L, r, i); lua_rawseti(L, -2, (lua_Integer)i + 1); }
  } else if (!strcmp(k, "interim")) {
    lua_createtable(L, (int)r->n_interim, 0);
    for (size_t i = 0; i < r->n_interim; i++) { lhs_interim_push(L, r, i); lua_rawseti(L, -2, (lua_Integer)i + 1); }
  } else if (!strcmp(k, "attempts")) {
    lua_createtable(L, (int)r->n_attempts, 0);
    for (size_t i = 0; i < r->n_attempts; i++) {
      const hs_attempt *a = &r->attempts[i];
      lua_createtable(L, 0, 10);
      set_int(L, "hop", (lua_Integer)a->hop + 1);
      set_str(L, "url", r->hops[a->hop].url);
      set_str(L, "method", r->hops[a->hop].method);
      set_status(L, "status", a->status);
      set_str(L, "error", hs__error_kind_name(a->error));
      set_str(L, "message", a->error ? a->error_message : NULL);
      set_secs(L, "started", a->started_us);
      set_secs(L, "wait", a->wait_us);
      set_str(L, "cause", a->cause);
      if (a->held_us > 0) {
        set_secs(L, "held", a->held_us);
        lua_pushliteral(L, "host-backoff");
        lua_setfield(L, -2, "held_cause");
      }
      if (a->sent_expect) {
        lua_pushboolean(L, 1); lua_setfield(L, -2, "expect_continue");
        lua_pushboolean(L, a->got_100); lua_setfield(L, -2, "got_100");
        set_secs(L, "expect_wait", a->expect_wait_us);
      }
      push_timing(L, &a->timing);
      lua_setfield(L, -2, "timing");
      lua_rawseti(L, -2, (lua_Integer)i + 1);
    }
  } else if (!strcmp(k, "error")) {
    if (!r->error) { lua_pushnil(L); return 1; }
    lua_createtable(L, 0, 4);
    set_str(L, "kind", hs__error_kind_name(r->error));
    set_str(L, "message", r->error_message);
    set_secs(L, "retry_after", r->retry_after_us);
    lua_createtable(L, 0, 2);
    set_int(L, "curl_code", r->curl_code);
    set_int(L, "os_errno", r->os_errno);
    lua_setfield(L, -2, "detail");
  } else if (!strcmp(k, "findings")) {
    check_heads(L); /* the rules read the request heads */
    /* Findings worked out for a packed result live in a box until the table is made:
     * a Lua error (no memory) on the way frees them with the box. */
    lview *v = lua_newuserdatauv(L, sizeof *v, 0);
    v->view = NULL;
    lua_rawgetp(L, LUA_REGISTRYINDEX, &VIEW_MT);
    lua_setmetatable(L, -2);
    v->r = r;
    const hs_result *fr = v->view = hs__findings_view(r, &v->tmp);
    lua_createtable(L, (int)fr->n_findings, 0);
    for (size_t i = 0; i < fr->n_findings; i++) {
      const hs_finding *f = &fr->findings[i];
      lua_createtable(L, 0, 4);
      set_str(L, "id", f->id);
      set_str(L, "severity", f->severity);
      set_str(L, "message", f->message);
      if (f->hop >= 0) set_int(L, "hop", f->hop + 1);
      lua_rawseti(L, -2, (lua_Integer)i + 1);
    }
    hs__findings_view_end(v->view, r);
    v->view = NULL;
    lua_remove(L, -2);
  } else {
    return 0;
  }
  return 1;
}

/* The metamethods have the result metatable as upvalue 1: no registry lookup on the
 * commonest call there is (res.status). */
static hs_result *check_result(lua_State *L) { return lhs_check_udata_at(L, 1, lua_upvalueindex(1), LHS_RESULT); }

static int res_index(lua_State *L) {
  hs_result *r = check_result(L);
  /* A number, boolean or short string is made again on each read (read-only, see
   * res_newindex): a batch that reads res.status of 100,000 results keeps no table
   * for each, and the commonest read takes the shortest way. */
  const char *k = lua_type(L, 2) == LUA_TSTRING ? lua_tostring(L, 2) : NULL;
  if (k && build_scalar(L, r, k)) return 1;
  lua_rawgetp(L, LUA_REGISTRYINDEX, &METHODS);
  lua_pushvalue(L, 2);
  if (lua_rawget(L, -2) != LUA_TNIL) return 1;
  /* Fields set on the result, and tables already built, are in the cache table, made
   * on first use (most results are read for a field or two): looked up once. */
  bool cached = push_cache(L, false);
  if (cached) {
    lua_pushvalue(L, 2);
    if (lua_rawget(L, -2) != LUA_TNIL) return 1;
    lua_pop(L, 1); /* the cache stays below */
  }
  if (!k) return 0;
  if (!cached) new_cache(L);
  if (!build_field(L, r, k)) return 0;
  lua_pushvalue(L, 2);
  lua_pushvalue(L, -2);
  lua_rawset(L, -4); /* cache */
  return 1;
}

static int res_newindex(lua_State *L) {
  hs_result *r = check_result(L);
  if (lua_type(L, 2) == LUA_TSTRING && build_scalar(L, r, lua_tostring(L, 2)))
    return luaL_error(L, "the result's field '%s' is read-only", lua_tostring(L, 2));
  push_cache(L, true);
  lua_pushvalue(L, 2);
  lua_pushvalue(L, 3);
  lua_rawset(L, -3);
  return 0;
}

static int res_to_json(lua_State *L) {
  hs_result *r = check_result(L);
  check_heads(L);
  int show = lua_toboolean(L, 2);
  char *json = hs_result_to_json(r, show);
  if (!json) return luaL_error(L, "out of memory");
  lua_pushstring(L, json);
  hs_free(json);
  return 1;
}

static int res_tostring(lua_State *L) {
  check_result(L);
  lua_rawgetp(L, LUA_REGISTRYINDEX, &METHODS);
  if (lua_getfield(L, -1, "summary") != LUA_TFUNCTION) { lua_pushliteral(L, "httpstatus.result"); return 1; }
  lua_pushvalue(L, 1);
  lua_call(L, 1, 1);
  return 1;
}

/* Whether hop i's request head is the first of its kind in r (it gets an anchor). */
static bool new_head(const hs_result *r, size_t i) {
  if (!r->hops[i].sent) return false;
  for (size_t k = 0; k < i; k++)
    if (r->hops[k].sent == r->hops[i].sent) return false;
  return true;
}

int lhs_results_begin(lua_State *L) {
  lua_rawgetp(L, LUA_REGISTRYINDEX, &RESULT_MT);
  lua_rawgetp(L, LUA_REGISTRYINDEX, &ANCHORS);
  lua_pushnil(L); /* the last anchor pushed */
  return lua_gettop(L) - 2;
}

void lhs_result_push_at(lua_State *L, int ctx, hs_result *r) {
  int heads = 0; /* hops are at most max_redirects + 1 (request.c caps it at 1001) */
  for (size_t i = 0; i < r->n_hops; i++) heads += new_head(r, i);
  size_t size = hs__result_pack_size(r);
  hs__result_pack(r, lua_newuserdatauv(L, size, heads)); /* the userdata is the packed result */
  lua_pushvalue(L, ctx);
  lua_setmetatable(L, -2);
  for (size_t i = 0, uv = 0; i < r->n_hops; i++) {
    if (!new_head(r, i)) continue;
    push_anchor(L, ctx, r->hops[i].sent);
    lua_setiuservalue(L, -2, (int)++uv);
  }
}

void lhs_result_push(lua_State *L, hs_result *r) {
  int ctx = lhs_results_begin(L);
  lhs_result_push_at(L, ctx, r);
  lua_replace(L, ctx);
  lua_settop(L, ctx);
}

/* core.set_result_methods(methods, headers_mt): the Lua layer's half of the type. */
static int set_methods(lua_State *L) {
  luaL_checktype(L, 1, LUA_TTABLE);
  luaL_checktype(L, 2, LUA_TTABLE);
  lua_rawgetp(L, LUA_REGISTRYINDEX, &RESULT_MT); /* check_result's upvalue */
  lua_pushcclosure(L, res_to_json, 1);
  lua_setfield(L, 1, "to_json");
  lua_pushvalue(L, 1);
  lua_rawsetp(L, LUA_REGISTRYINDEX, &METHODS);
  lua_pushvalue(L, 2);
  lua_rawsetp(L, LUA_REGISTRYINDEX, &HEADERS_MT);
  return 0;
}

/* registry[key] = an empty table whose keys or values ("k", "v") are weak. */
static void weak_table(lua_State *L, const char *key, const char *mode) {
  lua_newtable(L);
  lua_createtable(L, 0, 1);
  lua_pushstring(L, mode);
  lua_setfield(L, -2, "__mode");
  lua_setmetatable(L, -2);
  lua_rawsetp(L, LUA_REGISTRYINDEX, key);
}

/* registry[key] = a metatable with only a finalizer. */
static void gc_metatable(lua_State *L, const char *key, lua_CFunction gc) {
  lua_createtable(L, 0, 1);
  lua_pushcfunction(L, gc);
  lua_setfield(L, -2, "__gc");
  lua_rawsetp(L, LUA_REGISTRYINDEX, key);
}

int lhs_open_result(lua_State *L) {
  if (luaL_newmetatable(L, LHS_RESULT)) {
    const luaL_Reg mt[] = { { "__index", res_index }, { "__newindex", res_newindex },
                            { "__tostring", res_tostring }, { NULL, NULL } };
    lua_pushvalue(L, -1);
    luaL_setfuncs(L, mt, 1);
    lua_pushliteral(L, "httpstatus.result");
    lua_setfield(L, -2, "__name");
  }
  lua_rawsetp(L, LUA_REGISTRYINDEX, &RESULT_MT);
  lua_newtable(L);
  lua_rawsetp(L, LUA_REGISTRYINDEX, &METHODS);
  lua_newtable(L);
  lua_rawsetp(L, LUA_REGISTRYINDEX, &HEADERS_MT);
  weak_table(L, &CACHES, "k");
  weak_table(L, &ANCHORS, "v");
  gc_metatable(L, &ANCHOR_MT, anchor_gc);
  gc_metatable(L, &VIEW_MT, view_gc);
  lua_pushcfunction(L, set_methods);
  lua_setfield(L, -2, "set_result_methods");
  return 0;
}
