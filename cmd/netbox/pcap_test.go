package main

import (
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/netbox-sandbox/netbox/internal/testenv"
)

// pcapScript serves a file with python3, fetches it with curl (TCP, which
// --pcap takes off the fast path) and pings ::1 once.
const pcapScript = serveLoopback8000 + `
kill $srv
ping -n -6 -c 1 ::1 >/dev/null
`

// TestPcapFile runs a transfer with --pcap and reads the file back with
// tcpdump: every packet of the sandbox's lo is there, the TCP handshake
// and the ICMPv6 echo included, as Ethernet frames with lo's addresses.
func TestPcapFile(t *testing.T) {
	t.Parallel()
	tcpdump := testenv.RequireTool(t, "tcpdump")
	for _, tool := range []string{"python3", "curl", "ping"} {
		testenv.RequireTool(t, tool)
	}
	file := filepath.Join(t.TempDir(), "lo.pcap")
	script := testenv.WriteScript(t, "pcap.sh", pcapScript)
	r := testenv.RunNetbox(t, 60*time.Second, "", "run", "--pcap", file, "--", "sh", script)
	if r.Code != 0 {
		t.Fatalf("netbox --pcap: exit %d\nstdout:\n%s\nstderr:\n%s", r.Code, r.Stdout, r.Stderr)
	}
	read := testenv.Native(t, 30*time.Second, tcpdump, "-n", "-e", "-r", file)
	if read.Code != 0 {
		t.Fatalf("tcpdump -r: exit %d: %s", read.Code, read.Stderr)
	}
	out := read.Stdout
	for _, want := range []string{
		"00:00:00:00:00:00 > 00:00:00:00:00:00, ethertype IPv4",
		"> 127.0.0.1.8000: Flags [S],",
		"127.0.0.1.8000 > 127.0.0.1.",
		"Flags [S.],",
		"ICMP6, echo request",
		"ICMP6, echo reply",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("the capture lacks %q:\n%s", want, out)
		}
	}
}
