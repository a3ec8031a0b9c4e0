package main

import (
	"strings"
	"testing"
	"time"

	"github.com/netbox-sandbox/netbox/internal/testenv"
)

// The everyday network tools, unmodified, inside one sandbox: they must
// work on netbox's network.

// TestToolPing runs iputils' ping over IPv4 and IPv6 loopback: as root
// inside, with raw sockets (the sandbox's ping_group_range is the
// kernel's default, which refuses ping sockets), and with ping sockets
// once the program widens the range itself.
func TestToolPing(t *testing.T) {
	t.Parallel()
	testenv.RequireTool(t, "ping")
	for _, c := range []struct {
		name, script string
	}{
		{"raw-v4", "ping -n -c 3 -i 0.2 127.0.0.1"},
		{"raw-v6", "ping -n -6 -c 3 -i 0.2 ::1"},
		{"dgram-v4", "echo 0 2147483647 > /proc/sys/net/ipv4/ping_group_range && ping -n -c 3 -i 0.2 127.0.0.1"},
		{"dgram-v6", "echo 0 2147483647 > /proc/sys/net/ipv4/ping_group_range && ping -n -6 -c 3 -i 0.2 ::1"},
	} {
		t.Run(c.name, func(t *testing.T) {
			r := testenv.InNetbox(t, 30*time.Second, nil, "sh", "-c", c.script)
			if r.Code != 0 || !strings.Contains(r.Stdout, "3 packets transmitted, 3 received, 0% packet loss") {
				t.Fatalf("ping: exit %d\nstdout:\n%s\nstderr:\n%s", r.Code, r.Stdout, r.Stderr)
			}
			if strings.Contains(r.Stderr, "failed") {
				t.Errorf("ping complained:\n%s", r.Stderr)
			}
		})
	}
}

// ssScript starts a TCP listener and a UDP socket in python3, connects to
// the listener, and runs ss -tanup while they live: ss must list them
// (netbox's sock_diag) with the process that holds each.
const ssScript = `
import socket, subprocess, sys
l = socket.socket(); l.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
l.bind(("127.0.0.1", 8080)); l.listen(16)
u = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM); u.bind(("::1", 5353))
c = socket.create_connection(("127.0.0.1", 8080))
a, _ = l.accept()
out = subprocess.run(["ss", "-tanup"], capture_output=True, text=True).stdout
print(out)
cport = c.getsockname()[1]
want = [
    ("tcp", "LISTEN", "127.0.0.1:8080", "0.0.0.0:*"),
    ("tcp", "ESTAB", "127.0.0.1:%d" % cport, "127.0.0.1:8080"),
    ("tcp", "ESTAB", "127.0.0.1:8080", "127.0.0.1:%d" % cport),
    ("udp", "UNCONN", "[::1]:5353", "[::]:*"),
]
rows = [l.split() for l in out.splitlines()[1:] if l.strip()]
for w in want:
    if not any(r[0] == w[0] and r[1] == w[1] and r[4] == w[2] and r[5] == w[3] and 'python3' in r[6] for r in rows):
        print("missing", w); sys.exit(1)
print("ss ok")
`

// TestToolSS runs ss -tanup inside the sandbox: it shows the sandbox's own
// listener, connection and UDP socket, and the process holding each.
func TestToolSS(t *testing.T) {
	t.Parallel()
	testenv.RequireTool(t, "python3")
	testenv.RequireTool(t, "ss")
	r := testenv.InNetbox(t, 30*time.Second, nil, "python3", "-c", ssScript)
	if r.Code != 0 || !strings.Contains(r.Stdout, "ss ok") {
		t.Fatalf("ss: exit %d\nstdout:\n%s\nstderr:\n%s", r.Code, r.Stdout, r.Stderr)
	}
}
