/* A host with a fixed 60 Hz frame loop that embeds Lua and httpstatus
 * (libhttpstatus-lua). Each frame it calls the script's frame(), which polls the
 * client with poll(0) and handles results as they arrive. It measures how long
 * each frame spends in the script and prints the statistics: the point is that
 * hundreds of requests in flight never stall a frame.
 *
 * usage: embed_host SCRIPT.lua [MAX_SECONDS] [MAX_FRAME_MS]
 * Exits 1 when the script is not done in time or a frame spent more than
 * MAX_FRAME_MS (default 8, half a frame) in the script. */
#include <lauxlib.h>
#include <lua.h>
#include <lualib.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

int luaopen_httpstatus(lua_State *L);

static double now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static int cmp(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

int main(int argc, char **argv) {
  if (argc < 2) { fprintf(stderr, "usage: %s SCRIPT.lua [MAX_SECONDS] [MAX_FRAME_MS]\n", argv[0]); return 2; }
  double max_seconds = argc > 2 ? atof(argv[2]) : 60;
  double max_frame_ms = argc > 3 ? atof(argv[3]) : 8;
  lua_State *L = luaL_newstate();
  luaL_openlibs(L);
  luaL_requiref(L, "httpstatus", luaopen_httpstatus, 0);
  lua_pop(L, 1);
  if (luaL_dofile(L, argv[1]) != LUA_OK || !lua_istable(L, -1)) {
    fprintf(stderr, "embed: %s\n", lua_isstring(L, -1) ? lua_tostring(L, -1) : "script must return a table");
    return 2;
  }
  int script = lua_gettop(L);

  const double frame = 1.0 / 60;
  size_t cap = (size_t)(max_seconds / frame) + 16, n = 0;
  double *spent = malloc(cap * sizeof *spent);
  double start = now_s(), next = start;
  int done = 0, rc = 0;
  while (!done && n < cap && now_s() - start < max_seconds) {
    double t0 = now_s();
    lua_getfield(L, script, "frame");
    if (lua_pcall(L, 0, 1, 0) != LUA_OK) {
      fprintf(stderr, "embed: frame: %s\n", lua_tostring(L, -1));
      rc = 1;
      break;
    }
    done = lua_toboolean(L, -1);
    lua_pop(L, 1);
    spent[n++] = now_s() - t0;
    /* The host's own frame pacing: the library never sleeps, the game does. */
    next += frame;
    double wait = next - now_s();
    if (wait > 0) {
      struct timespec ts = { (time_t)wait, (long)((wait - (time_t)wait) * 1e9) };
      nanosleep(&ts, NULL);
    }
  }
  if (!done && !rc) { fprintf(stderr, "embed: not done after %.0f s\n", max_seconds); rc = 1; }
  qsort(spent, n, sizeof *spent, cmp);
  double sum = 0;
  for (size_t i = 0; i < n; i++) sum += spent[i];
  printf("frames %zu, in the script per frame: mean %.3f ms, p50 %.3f ms, p99 %.3f ms, max %.3f ms (a frame is %.1f ms)\n",
         n, n ? sum / n * 1e3 : 0, n ? spent[n / 2] * 1e3 : 0, n ? spent[n * 99 / 100] * 1e3 : 0,
         n ? spent[n - 1] * 1e3 : 0, frame * 1e3);
  if (n && spent[n - 1] * 1e3 > max_frame_ms) {
    fprintf(stderr, "embed: a frame spent %.3f ms in the script (limit %.1f ms)\n", spent[n - 1] * 1e3, max_frame_ms);
    rc = 1;
  }
  /* The script's summary; it raises when the requests did not end as they should. */
  lua_getfield(L, script, "summary");
  if (lua_isfunction(L, -1)) {
    if (lua_pcall(L, 0, 1, 0) != LUA_OK) {
      fprintf(stderr, "embed: %s\n", lua_tostring(L, -1));
      rc = 1;
    } else if (lua_isstring(L, -1)) {
      printf("%s\n", lua_tostring(L, -1));
    }
  }
  lua_close(L);
  free(spent);
  return rc;
}
