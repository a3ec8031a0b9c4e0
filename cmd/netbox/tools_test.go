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
