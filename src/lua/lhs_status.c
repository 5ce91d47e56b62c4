/* Lua binding for the status registry: describe(code), class(code), codes(). */
#include <lauxlib.h>
#include <lua.h>

#include "httpstatus.h"

int lhs_open_status(lua_State *L);

/* Reads a status code at `arg`. A non-number is a programmer error and
 * raises; a number that is no valid code is data: pushes nil and a message
 * and returns 0, so the caller returns 2. */
static int check_code(lua_State *L, int arg, int *code) {
  if (lua_type(L, arg) != LUA_TNUMBER) return luaL_typeerror(L, arg, "integer");
  int exact = 0;
  lua_Integer n = lua_tointegerx(L, arg, &exact); /* floats only if integral */
  if (exact && n >= 100 && n <= 599) {
    *code = (int)n;
    return 1;
  }
  lua_pushnil(L);
  if (lua_isinteger(L, arg) || exact)
    lua_pushfstring(L, "invalid status code %I (must be 100-599)", (LUAI_UACINT)n);
  else
    lua_pushfstring(L, "invalid status code %f (must be 100-599)",
                    (LUAI_UACNUMBER)lua_tonumber(L, arg));
  return 0;
}

static void set_bool(lua_State *L, const char *key, int value) {
  lua_pushboolean(L, value);
  lua_setfield(L, -2, key);
}

static void set_str(lua_State *L, const char *key, const char *value) {
  if (!value) return; /* absent, not an empty string */
  lua_pushstring(L, value);
  lua_setfield(L, -2, key);
}

static int l_describe(lua_State *L) {
  int code;
  if (!check_code(L, 1, &code)) return 2;
  unsigned flags = hs_status_flags(code);
  int known = (flags & HS_STATUS_KNOWN) != 0;

  lua_createtable(L, 0, 15);
  lua_pushinteger(L, code);
  lua_setfield(L, -2, "code");
  set_str(L, "class", hs_class_name(hs_status_class(code)));
  set_bool(L, "known", known);
  if (!known) {
    lua_pushinteger(L, hs_status_treat_as(code));
    lua_setfield(L, -2, "treat_as");
  }
  set_str(L, "reason", hs_status_reason(code));
  set_str(L, "description", hs_status_description(code));
  set_str(L, "advice", hs_status_advice(code));
  set_str(L, "spec", hs_status_spec(code));
  set_bool(L, "retryable", (flags & HS_STATUS_RETRYABLE) != 0);
  set_bool(L, "cacheable", (flags & HS_STATUS_CACHEABLE) != 0);
  set_bool(L, "deprecated", (flags & HS_STATUS_DEPRECATED) != 0);
  set_bool(L, "experimental", (flags & HS_STATUS_EXPERIMENTAL) != 0);
  set_bool(L, "webdav", (flags & HS_STATUS_WEBDAV) != 0);

  /* Always a table, so callers can iterate without a nil check. */
  lua_newtable(L);
  const char *alias;
  for (size_t i = 0; (alias = hs_status_alias(code, i)) != NULL; i++) {
    lua_pushstring(L, alias);
    lua_rawseti(L, -2, (lua_Integer)i + 1);
  }
  lua_setfield(L, -2, "aliases");
  return 1;
}

static int l_class(lua_State *L) {
  int code;
  if (!check_code(L, 1, &code)) return 2;
  lua_pushstring(L, hs_class_name(hs_status_class(code)));
  return 1;
}

static int l_codes(lua_State *L) {
  const int *codes;
  size_t n = hs_status_codes(&codes);
  lua_createtable(L, (int)n, 0);
  for (size_t i = 0; i < n; i++) {
    lua_pushinteger(L, codes[i]);
    lua_rawseti(L, -2, (lua_Integer)i + 1);
  }
  return 1;
}

static const luaL_Reg status_funcs[] = {
  { "describe", l_describe },
  { "class", l_class },
  { "codes", l_codes },
  { NULL, NULL },
};

/* Adds the registry functions to the table at the top of the stack. */
int lhs_open_status(lua_State *L) {
  if (!lua_istable(L, -1)) return luaL_error(L, "lhs_open_status: no table on top of the stack");
  luaL_setfuncs(L, status_funcs, 0);
  return 0;
}
