/* luaopen_httpstatus: the native core plus the Lua files compiled in, so
 * `require "httpstatus"` and embedding hosts need no LUA_PATH. */
#include <curl/curl.h>
#include <stdbool.h>
#include <string.h>

#include "lhs.h"

struct hs_embedded_lua { const char *module, *chunkname, *code; size_t len; };
extern const struct hs_embedded_lua hs_embedded_lua[];

void *lhs_check_udata_at(lua_State *L, int idx, int mt, const char *tname) {
  void *u = lua_touserdata(L, idx);
  if (u && lua_getmetatable(L, idx)) {
    bool same = lua_rawequal(L, -1, mt);
    lua_pop(L, 1);
    if (same) return u;
  }
  luaL_typeerror(L, idx, tname);
  return NULL;
}

void *lhs_check_udata(lua_State *L, int idx, const void *mt_key, const char *tname) {
  idx = lua_absindex(L, idx);
  lua_rawgetp(L, LUA_REGISTRYINDEX, mt_key);
  void *u = lhs_check_udata_at(L, idx, lua_gettop(L), tname);
  lua_pop(L, 1);
  return u;
}

static int l_features(lua_State *L) {
  const curl_version_info_data *v = curl_version_info(CURLVERSION_NOW);
  lua_createtable(L, 0, 10);
  lua_pushstring(L, v->version); lua_setfield(L, -2, "version");
  lua_pushstring(L, v->ssl_version ? v->ssl_version : ""); lua_setfield(L, -2, "ssl_version");
  const struct { const char *name; int bit; } bits[] = {
    { "ssl", CURL_VERSION_SSL }, { "http2", CURL_VERSION_HTTP2 }, { "http3", CURL_VERSION_HTTP3 },
    { "async_dns", CURL_VERSION_ASYNCHDNS }, { "ipv6", CURL_VERSION_IPV6 }, { "libz", CURL_VERSION_LIBZ },
    { "brotli", CURL_VERSION_BROTLI }, { "zstd", CURL_VERSION_ZSTD }, { "idn", CURL_VERSION_IDN },
  };
  for (size_t i = 0; i < sizeof bits / sizeof *bits; i++) {
    lua_pushboolean(L, (v->features & bits[i].bit) != 0);
    lua_setfield(L, -2, bits[i].name);
  }
  lua_pushstring(L, HS_VERSION_STR); lua_setfield(L, -2, "httpstatus");
  return 1;
}

static int l_rules(lua_State *L) {
  size_t n = hs_rule_count();
  lua_createtable(L, (int)n, 0);
  for (size_t i = 0; i < n; i++) {
    lua_createtable(L, 0, 4);
    lua_pushstring(L, hs_rule_id(i)); lua_setfield(L, -2, "id");
    lua_pushstring(L, hs_rule_severity(i)); lua_setfield(L, -2, "severity");
    lua_pushstring(L, hs_rule_summary(i)); lua_setfield(L, -2, "summary");
    lua_pushstring(L, hs_rule_spec(i)); lua_setfield(L, -2, "spec");
    lua_rawseti(L, -2, (lua_Integer)i + 1);
  }
  return 1;
}


/* core.check_options(t): raises like request() would (httpstatus check validates its options with it). */
static int l_check_options(lua_State *L) {
  lhs_request_check(L, 1);
  return 0;
}

/* core.is_secret_header(name): what the engine hides unless show_secrets (one list for
 * C, the JSON and the Lua reports). */
static int l_is_secret_header(lua_State *L) {
  lua_pushboolean(L, hs__header_is_secret(luaL_checkstring(L, 1)));
  return 1;
}

static int open_core(lua_State *L) {
  lua_newtable(L);
  lhs_open_status(L);
  lhs_open_result(L);
  lhs_open_client(L);
  lua_pushcfunction(L, l_features); lua_setfield(L, -2, "features");
  lua_pushcfunction(L, l_rules); lua_setfield(L, -2, "rules");
  lua_pushcfunction(L, l_check_options); lua_setfield(L, -2, "check_options");
  lua_pushcfunction(L, l_is_secret_header); lua_setfield(L, -2, "is_secret_header");
  lua_pushstring(L, HS_VERSION_STR); lua_setfield(L, -2, "version");
  return 1;
}

static int load_embedded(lua_State *L) {
  const struct hs_embedded_lua *e = lua_touserdata(L, lua_upvalueindex(1));
  if (luaL_loadbufferx(L, e->code, e->len, e->chunkname, "t") != LUA_OK) return lua_error(L);
  lua_pushvalue(L, 1);
  lua_call(L, 1, 1);
  return 1;
}

__attribute__((visibility("default"))) int luaopen_httpstatus(lua_State *L) {
  static int curl_ready = 0;
  if (!curl_ready) {
    if (hs_global_init() != HS_OK) return luaL_error(L, "libcurl could not be initialised");
    curl_ready = 1;
  }
  luaL_getsubtable(L, LUA_REGISTRYINDEX, LUA_PRELOAD_TABLE);
  lua_pushcfunction(L, open_core);
  lua_setfield(L, -2, "httpstatus.core");
  const struct hs_embedded_lua *main = NULL;
  for (const struct hs_embedded_lua *e = hs_embedded_lua; e->module; e++) {
    if (!strcmp(e->module, "httpstatus")) { main = e; continue; }
    lua_pushlightuserdata(L, (void *)e);
    lua_pushcclosure(L, load_embedded, 1);
    lua_setfield(L, -2, e->module);
  }
  lua_pop(L, 1);
  if (!main) return luaL_error(L, "httpstatus: init.lua is missing from the build");
  if (luaL_loadbufferx(L, main->code, main->len, main->chunkname, "t") != LUA_OK) return lua_error(L);
  lua_pushliteral(L, "httpstatus");
  lua_call(L, 1, 1);
  return 1;
}
