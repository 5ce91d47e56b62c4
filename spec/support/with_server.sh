#!/bin/sh
# with_server.sh SERVER CMD...: starts the test server, exports HS_BASE_URL, runs CMD,
# stops the server whatever CMD did.
set -u
server=$1; shift
dir=$(mktemp -d)
mkfifo "$dir/out"
"$server" > "$dir/out" &
spid=$!
trap 'kill $spid 2>/dev/null; rm -rf "$dir"' EXIT INT TERM
# The server prints "PORT n" only once it listens; the read blocks until then.
exec 3< "$dir/out"
read -r word port rest <&3 || { echo "test server did not start" >&2; exit 1; }
[ "$word" = PORT ] || { echo "test server said: $word $port" >&2; exit 1; }
export HS_BASE_URL="http://127.0.0.1:$port"
"$@"
