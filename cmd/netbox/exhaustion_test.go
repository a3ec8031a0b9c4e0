package main

import (
	"strings"
	"testing"
	"time"

	"github.com/netbox-sandbox/netbox/internal/testenv"
)

// TestExhaustionMaxSockets: a program that opens sockets without end gets
// EMFILE at --max-sockets, as a process gets it at RLIMIT_NOFILE, and gets
// sockets again once it closes some.
func TestExhaustionMaxSockets(t *testing.T) {
	bin := testenv.CompileC(t, "real/socket_flood.c")
	r := testenv.InNetbox(t, 60*time.Second, []string{"--max-sockets", "200"}, bin)
	want := "socket failed after 200: EMFILE\nafter closing one: ok\nafter closing all: 50/50 ok\n"
	if r.Stdout != want || r.Code != 0 {
		t.Fatalf("got (exit %d):\n%s\nwant:\n%s\nstderr:\n%s", r.Code, r.Stdout, want, r.Stderr)
	}
}

// TestExhaustionFloodDoesNotStall: one process floods netbox with trapped
// calls while another, in the same sandbox, does TCP and UDP echoes; the
// echoes finish (the dispatcher serves the calls in arrival order, so a
// flood delays others by its share only).
func TestExhaustionFloodDoesNotStall(t *testing.T) {
	testenv.RequireTool(t, "python3")
	script := `
import socket, subprocess, sys, time
flood = subprocess.Popen([sys.executable, "-c", """
import socket
s = socket.socket()
while True:
    s.getsockopt(socket.SOL_SOCKET, socket.SO_TYPE)
"""])
time.sleep(0.3)
start = time.time()
for i in range(200):
    l = socket.socket(); l.bind(("127.0.0.1", 0)); l.listen()
    c = socket.create_connection(l.getsockname()); a, _ = l.accept()
    c.sendall(b"x" * 1024); assert a.recv(1024, socket.MSG_WAITALL) == b"x" * 1024
    for s in (c, a, l): s.close()
    u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); u.bind(("127.0.0.1", 0))
    v = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); v.sendto(b"y", u.getsockname())
    assert u.recvfrom(8)[0] == b"y"
    u.close(); v.close()
flood.kill()
print("200 echoes done under flood")
`
	r := testenv.InNetbox(t, 90*time.Second, nil, "/usr/bin/python3", "-c", script)
	if !strings.Contains(r.Stdout, "200 echoes done under flood") || r.Code != 0 {
		t.Fatalf("exit %d\nstdout:\n%s\nstderr:\n%s", r.Code, r.Stdout, r.Stderr)
	}
}
