/* Options tables -> hs_request. Every key is checked: a misspelt option
 * (`timout`) raises, naming it, instead of being silently ignored. */
#include <string.h>

#include "lhs.h"

typedef struct box { hs_request *req; } box;

static int box_gc(lua_State *L) {
  box *b = luaL_checkudata(L, 1, LHS_REQUEST_BOX);
  hs_request_free(b->req);
  b->req = NULL;
  return 0;
}

static int opt_error(lua_State *L, const char *name, const char *what) {
  return luaL_error(L, "bad option '%s' (%s)", name, what);
}

static void need(lua_State *L, const char *name, int type) {
  if (lua_type(L, -1) != type)
    luaL_error(L, "bad option '%s' (%s expected, got %s)", name, lua_typename(L, type), luaL_typename(L, -1));
}

static int64_t seconds_us(lua_State *L, const char *name) {
  need(L, name, LUA_TNUMBER);
  lua_Number s = lua_tonumber(L, -1);
  if (!(s >= 0) || s > 1e9) opt_error(L, name, "seconds >= 0 expected");
  return (int64_t)(s * 1e6);
}

static int64_t integer(lua_State *L, const char *name) {
  int ok = 0;
  lua_Integer v = lua_tointegerx(L, -1, &ok);
  if (lua_type(L, -1) != LUA_TNUMBER || !ok) opt_error(L, name, "integer expected");
  return v;
}

static int boolean(lua_State *L, const char *name) {
  need(L, name, LUA_TBOOLEAN);
  return lua_toboolean(L, -1);
}

static void check(lua_State *L, hs_code rc, const char *name) {
  if (rc == HS_E_NOMEM) luaL_error(L, "out of memory");
  if (rc != HS_OK) opt_error(L, name, "value not allowed");
}

static void str_opt(lua_State *L, hs_request *req, hs_option opt, const char *name) {
  need(L, name, LUA_TSTRING);
  check(L, hs_request_set_str(req, opt, lua_tostring(L, -1)), name);
}

static void headers_opt(lua_State *L, hs_request *req) {
  need(L, "headers", LUA_TTABLE);
  int t = lua_gettop(L);
  lua_Integer n = (lua_Integer)lua_rawlen(L, t);
  if (n > 0) { /* a list of { name, value }: order and repeats kept */
    for (lua_Integer i = 1; i <= n; i++) {
      lua_rawgeti(L, t, i);
      if (!lua_istable(L, -1)) opt_error(L, "headers", "list entries must be { name, value }");
      lua_rawgeti(L, -1, 1);
      lua_rawgeti(L, -2, 2);
      if (lua_type(L, -2) != LUA_TSTRING || (lua_type(L, -1) != LUA_TSTRING && lua_type(L, -1) != LUA_TNUMBER))
        opt_error(L, "headers", "list entries must be { name, value } strings");
      check(L, hs_request_add_header(req, lua_tostring(L, -2), lua_tostring(L, -1)), "headers");
      lua_pop(L, 3);
    }
    return;
  }
  lua_pushnil(L);
  while (lua_next(L, t)) {
    if (lua_type(L, -2) != LUA_TSTRING || (lua_type(L, -1) != LUA_TSTRING && lua_type(L, -1) != LUA_TNUMBER))
      opt_error(L, "headers", "names and values must be strings");
    lua_pushvalue(L, -2);
    check(L, hs_request_add_header(req, lua_tostring(L, -1), lua_tostring(L, -2)), "headers");
    lua_pop(L, 2);
  }
}

static void string_list(lua_State *L, hs_request *req, const char *name,
                        hs_code (*add)(hs_request *, const char *)) {
  need(L, name, LUA_TTABLE);
  lua_Integer n = (lua_Integer)lua_rawlen(L, -1);
  for (lua_Integer i = 1; i <= n; i++) {
    lua_rawgeti(L, -1, i);
    if (lua_type(L, -1) != LUA_TSTRING) opt_error(L, name, "list of strings expected");
    check(L, add(req, lua_tostring(L, -1)), name);
    lua_pop(L, 1);
  }
}

static void retry_opt(lua_State *L, hs_request *req) {
  if (lua_type(L, -1) == LUA_TBOOLEAN) {
    if (!lua_toboolean(L, -1)) hs_request_set_int(req, HS_OPT_RETRY_ATTEMPTS, 1);
    return;
  }
  need(L, "retry", LUA_TTABLE);
  int t = lua_gettop(L);
  lua_pushnil(L);
  while (lua_next(L, t)) {
    const char *k = lua_type(L, -2) == LUA_TSTRING ? lua_tostring(L, -2) : "?";
    if (!strcmp(k, "attempts")) check(L, hs_request_set_int(req, HS_OPT_RETRY_ATTEMPTS, integer(L, "retry.attempts")), "retry.attempts");
    else if (!strcmp(k, "base")) { need(L, "retry.base", LUA_TNUMBER); check(L, hs_request_set_double(req, HS_OPT_RETRY_BASE, lua_tonumber(L, -1)), "retry.base"); }
    else if (!strcmp(k, "factor")) { need(L, "retry.factor", LUA_TNUMBER); check(L, hs_request_set_double(req, HS_OPT_RETRY_FACTOR, lua_tonumber(L, -1)), "retry.factor"); }
    else if (!strcmp(k, "max_wait")) check(L, hs_request_set_int(req, HS_OPT_RETRY_MAX_WAIT_US, seconds_us(L, "retry.max_wait")), "retry.max_wait");
    else if (!strcmp(k, "jitter")) hs_request_set_int(req, HS_OPT_RETRY_JITTER, boolean(L, "retry.jitter"));
    else if (!strcmp(k, "respect_retry_after")) hs_request_set_int(req, HS_OPT_RETRY_RESPECT_RETRY_AFTER, boolean(L, "retry.respect_retry_after"));
    else if (!strcmp(k, "methods")) str_opt(L, req, HS_OPT_RETRY_METHODS, "retry.methods");
    else if (!strcmp(k, "on")) {
      need(L, "retry.on", LUA_TTABLE);
      lua_Integer n = (lua_Integer)lua_rawlen(L, -1);
      if (n == 0) { req->retry_custom_on = true; req->n_retry_status = 0; req->retry_errors = 0; }
      for (lua_Integer i = 1; i <= n; i++) {
        lua_rawgeti(L, -1, i);
        hs_code rc = lua_type(L, -1) == LUA_TNUMBER ? hs_request_retry_on_status(req, (int)lua_tointeger(L, -1))
                   : lua_type(L, -1) == LUA_TSTRING ? hs_request_retry_on_error(req, lua_tostring(L, -1))
                   : HS_E_BADARG;
        if (rc) opt_error(L, "retry.on", "status codes 100-599 and \"connect\", \"dns\", \"reset\", \"timeout\" expected");
        lua_pop(L, 1);
      }
    } else {
      luaL_error(L, "unknown option 'retry.%s'", k);
    }
    lua_pop(L, 1);
  }
}

/* Keys the Lua layer handles before we see the table, or that belong to a client. */
static const char *const lua_level[] = { "on_interim", "client", "query", "json", "concurrency", "per_host", NULL };

static void one_option(lua_State *L, hs_request *req, const char *k) {
  if (!strcmp(k, "url")) str_opt(L, req, HS_OPT_URL, k);
  else if (!strcmp(k, "method")) {
    need(L, k, LUA_TSTRING);
    luaL_Buffer b;
    size_t n;
    const char *m = lua_tolstring(L, -1, &n);
    char *up = luaL_buffinitsize(L, &b, n + 1);
    for (size_t i = 0; i < n; i++) up[i] = (char)(m[i] >= 'a' && m[i] <= 'z' ? m[i] - 32 : m[i]);
    luaL_pushresultsize(&b, n);
    check(L, hs_request_set_str(req, HS_OPT_METHOD, lua_tostring(L, -1)), k);
    lua_pop(L, 1);
  }
  else if (!strcmp(k, "body")) {
    need(L, k, LUA_TSTRING);
    size_t n;
    const char *s = lua_tolstring(L, -1, &n);
    check(L, hs_request_set_body(req, s, n), k);
  }
  else if (!strcmp(k, "headers")) headers_opt(L, req);
  else if (!strcmp(k, "timeout")) check(L, hs_request_set_int(req, HS_OPT_TIMEOUT_US, seconds_us(L, k)), k);
  else if (!strcmp(k, "connect_timeout")) check(L, hs_request_set_int(req, HS_OPT_CONNECT_TIMEOUT_US, seconds_us(L, k)), k);
  else if (!strcmp(k, "queue_timeout")) check(L, hs_request_set_int(req, HS_OPT_QUEUE_TIMEOUT_US, seconds_us(L, k)), k);
  else if (!strcmp(k, "follow")) hs_request_set_int(req, HS_OPT_FOLLOW, boolean(L, k));
  else if (!strcmp(k, "max_redirects")) check(L, hs_request_set_int(req, HS_OPT_MAX_REDIRECTS, integer(L, k)), k);
  else if (!strcmp(k, "allow_downgrade")) hs_request_set_int(req, HS_OPT_ALLOW_DOWNGRADE, boolean(L, k));
  else if (!strcmp(k, "strip_on_redirect")) string_list(L, req, k, hs_request_add_strip);
  else if (!strcmp(k, "resolve")) string_list(L, req, k, hs_request_add_resolve);
  else if (!strcmp(k, "max_body")) check(L, hs_request_set_int(req, HS_OPT_MAX_BODY, integer(L, k)), k);
  else if (!strcmp(k, "max_header_bytes")) check(L, hs_request_set_int(req, HS_OPT_MAX_HEADER_BYTES, integer(L, k)), k);
  else if (!strcmp(k, "expect_continue")) str_opt(L, req, HS_OPT_EXPECT_CONTINUE, k);
  else if (!strcmp(k, "verify")) hs_request_set_int(req, HS_OPT_VERIFY, boolean(L, k));
  else if (!strcmp(k, "ca_file")) str_opt(L, req, HS_OPT_CA_FILE, k);
  else if (!strcmp(k, "user_agent")) str_opt(L, req, HS_OPT_USER_AGENT, k);
  else if (!strcmp(k, "proxy")) {
    if (lua_type(L, -1) == LUA_TBOOLEAN && !lua_toboolean(L, -1)) hs_request_set_str(req, HS_OPT_PROXY, "");
    else str_opt(L, req, HS_OPT_PROXY, k);
  }
  else if (!strcmp(k, "ip")) str_opt(L, req, HS_OPT_IP, k);
  else if (!strcmp(k, "http_version")) str_opt(L, req, HS_OPT_HTTP_VERSION, k);
  else if (!strcmp(k, "fresh_connect")) hs_request_set_int(req, HS_OPT_FRESH_CONNECT, boolean(L, k));
  else if (!strcmp(k, "host_backoff")) hs_request_set_int(req, HS_OPT_HOST_BACKOFF, boolean(L, k));
  else if (!strcmp(k, "show_secrets")) hs_request_set_int(req, HS_OPT_SHOW_SECRETS, boolean(L, k));
  else if (!strcmp(k, "findings")) hs_request_set_int(req, HS_OPT_FINDINGS, boolean(L, k));
  else if (!strcmp(k, "retry")) retry_opt(L, req);
  else if (!strcmp(k, "cookies")) luaL_error(L, "option 'cookies' is reserved and not supported yet");
  else {
    for (const char *const *p = lua_level; *p; p++)
      if (!strcmp(k, *p)) return;
    luaL_error(L, "unknown option '%s'", k);
  }
}

hs_request *lhs_request_check(lua_State *L, int idx) {
  idx = lua_absindex(L, idx);
  luaL_checktype(L, idx, LUA_TTABLE);
  box *b = lua_newuserdatauv(L, sizeof *b, 0);
  b->req = NULL;
  if (luaL_newmetatable(L, LHS_REQUEST_BOX)) {
    lua_pushcfunction(L, box_gc);
    lua_setfield(L, -2, "__gc");
  }
  lua_setmetatable(L, -2);
  if (hs_request_new(&b->req, NULL)) luaL_error(L, "out of memory");
  lua_pushnil(L);
  while (lua_next(L, idx)) {
    if (lua_type(L, -2) != LUA_TSTRING) luaL_error(L, "bad option (option names are strings)");
    one_option(L, b->req, lua_tostring(L, -2));
    lua_pop(L, 1);
  }
  if (!b->req->url) luaL_error(L, "missing option 'url'");
  return b->req;
}
