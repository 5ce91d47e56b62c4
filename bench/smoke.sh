#!/bin/sh
# bench/smoke.sh RAW CLIENT SRC: the bench's clients (raw libcurl multi, ours from C
# and from Lua) on a short mixed list against the test server (run under
# spec/support/with_server.sh, which sets HS_BASE_URL). Each must finish every URL
# with the expected final statuses. bench/run measures; this keeps its programs working
# in CI. Lua finds the module through LUA_CPATH.
set -eu
raw=$1 client=$2 src=$3
list=$(mktemp)
trap 'rm -f "$list"' EXIT
i=0
while [ $i -lt 60 ]; do
  case $((i % 6)) in
    0|1) p=/status/200 ;; 2) p=/status/404 ;; 3) p=/status/503 ;; 4) p=/status/204 ;; *) p=/redirect/3 ;;
  esac
  echo "$HS_BASE_URL$p?i=$i" >>"$list"
  i=$((i + 1))
done
want="200:30,204:10,404:10,503:10" # the redirects end on a 200
for prog in raw c lua; do
  case $prog in
    raw) out=$("$raw" "$list" 8) ;;
    c) out=$("$client" "$list" 8) ;;
    lua) out=$(lua5.4 "$src/bench/client.lua" "$list" 8) ;;
  esac
  echo "$prog: $out"
  case "$out" in
    *"urls=60 "*"errors=0 "*"statuses=$want "*) ;;
    *) echo "bench smoke: $prog did not finish the list with $want" >&2; exit 1 ;;
  esac
done
