#!/bin/sh
# The installed library and module work from outside the build tree:
# cmake --install into a fresh prefix, build a C program with pkg-config, require the
# module with lua5.4, run the installed command.
set -eu
build=$1
src=$2
prefix=$(mktemp -d)
trap 'rm -rf "$prefix"' EXIT
cmake --install "$build" --prefix "$prefix" >/dev/null
pcdir=$(dirname "$(find "$prefix" -name httpstatus.pc | head -n 1)")
cat > "$prefix/use.c" <<'C'
#include <httpstatus.h>
#include <stdio.h>
int main(void) {
  if (hs_global_init() != HS_OK) return 1;
  printf("%s %d %s\n", hs_version(), HS_VERSION_NUM, hs_status_reason(418));
  hs_global_cleanup();
  return 0;
}
C
PKG_CONFIG_PATH="$pcdir" cc "$prefix/use.c" -o "$prefix/use" $(PKG_CONFIG_PATH="$pcdir" pkg-config --cflags --libs httpstatus)
libdir=$(PKG_CONFIG_PATH="$pcdir" pkg-config --variable=libdir httpstatus)
run() { if [ -n "${HS_PRELOAD:-}" ]; then LD_PRELOAD="$HS_PRELOAD" "$@"; else "$@"; fi; }
LD_LIBRARY_PATH="$libdir" run "$prefix/use" | grep -q "I'm a teapot"
mod=$(dirname "$(find "$prefix" -name httpstatus.so | head -n 1)")
LUA_CPATH="$mod/?.so" LUA_PATH="" run lua5.4 -e 'assert(require("httpstatus").describe(418).reason == "I'"'"'m a teapot")'
run "$prefix/bin/httpstatus" explain 418 | grep -q "teapot"
echo "install test: C program, Lua module and command all work from $prefix"
