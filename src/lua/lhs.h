/* The Lua binding's shared declarations. */
#ifndef LHS_H
#define LHS_H

#include <lauxlib.h>
#include <lua.h>

#include "internal.h"

#define LHS_RESULT "httpstatus.result"
#define LHS_CLIENT "httpstatus.client"
#define LHS_REQUEST_BOX "httpstatus.request_box"

/* luaL_checkudata without looking the metatable up by its name (a string lookup on
 * every call): the metatable is kept in the registry under the address mt_key. */
void *lhs_check_udata(lua_State *L, int idx, const void *mt_key, const char *tname);
/* The same against the metatable at stack index mt (an upvalue index too). */
void *lhs_check_udata_at(lua_State *L, int idx, int mt, const char *tname);

int lhs_open_status(lua_State *L);
int lhs_open_result(lua_State *L);
int lhs_open_client(lua_State *L);
/* Reads the options table at idx into a new hs_request owned by a userdata box
 * pushed on the stack (so a Lua error cannot leak it). Raises on bad options. */
hs_request *lhs_request_check(lua_State *L, int idx);
/* Pushes a result userdata holding a packed copy of r (r stays the caller's). */
void lhs_result_push(lua_State *L, hs_result *r);
/* The same for many results in a row: lhs_results_begin pushes what each needs (three
 * values, looked up once) and returns where they start, for lhs_result_push_at. */
int lhs_results_begin(lua_State *L);
void lhs_result_push_at(lua_State *L, int ctx, hs_result *r);
/* Pushes the Lua table of one interim response of r. */
void lhs_interim_push(lua_State *L, const hs_result *r, size_t index);

/* A request's handle (lhs_handle.c): a userdata with its id and these user values. */
enum { LHS_HANDLE_CALLBACK = 1, LHS_HANDLE_RESULT, LHS_HANDLE_FIELDS };
/* Pushes a new handle, id 0, with the metatable at mt and the callback at callback
 * (a function, or none/nil: false). */
void lhs_handle_push(lua_State *L, int mt, int callback);
void lhs_handle_set_id(lua_State *L, int idx, uint64_t id);
/* core:handle_metatable(shared) -> a client's handle metatable; core:handle_id(h) -> id. */
int lhs_handle_metatable(lua_State *L);
int lhs_handle_id(lua_State *L);
/* h:cancel() for the client userdata core (lhs_client.c): false once it is closed. */
bool lhs_client_cancel(void *core, uint64_t id);

#endif
