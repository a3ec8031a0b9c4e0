#!/bin/sh
# The demo: one sandbox runs a real HTTP server and a real client; the
# client fetches a page over 127.0.0.1 and over [::1], through netbox's
# stack. Then it shows that the host's loopback is out of reach.
set -eu
NETBOX=${1:-bin/netbox}
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
echo "hello from inside netbox" > "$dir/index.html"

echo "== python3 -m http.server and curl inside one sandbox"
"$NETBOX" run -- sh -c '
	cd "$1"
	python3 -m http.server 8000 --bind :: >/dev/null 2>&1 &
	for i in $(seq 1 100); do curl -s -o /dev/null http://127.0.0.1:8000/ && break; sleep 0.1; done
	echo "GET http://127.0.0.1:8000/ -> $(curl -s http://127.0.0.1:8000/index.html)"
	echo "GET http://[::1]:8000/     -> $(curl -s "http://[::1]:8000/index.html")"
	kill $!
' sh "$dir"

echo "== the host's network is out of reach"
python3 -c 'import socket,sys; s=socket.socket(); s.bind(("127.0.0.1",0)); s.listen(); print(s.getsockname()[1]); sys.stdout.flush(); import time; time.sleep(5)' > "$dir/port" &
host=$!
for i in $(seq 1 50); do [ -s "$dir/port" ] && break; sleep 0.1; done
port=$(cat "$dir/port")
"$NETBOX" run -- sh -c "curl -s -m 2 http://127.0.0.1:$port/ >/dev/null && echo 'reached the host (BAD)' || echo 'host 127.0.0.1:$port: not reachable from the sandbox (good)'"
kill $host 2>/dev/null || true
echo "== interfaces inside"
"$NETBOX" run -- ip -br addr
