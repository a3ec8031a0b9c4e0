package main

import (
	"fmt"
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

// TestPcapEth0 captures eth0 with --pcap under --net=user: tcpdump reads
// back the ARP exchange with the gateway, the TCP handshake and the data
// of a fetch through the NAT, and a ping of the gateway and its answer,
// beside lo's packets.
func TestPcapEth0(t *testing.T) {
	t.Parallel()
	tcpdump := testenv.RequireTool(t, "tcpdump")
	testenv.RequireTool(t, "curl")
	h := startHostServers(t)
	file := filepath.Join(t.TempDir(), "eth0.pcap")
	script := fmt.Sprintf(`curl -s -o /dev/null http://10.0.2.2:%d/blob && echo fetched
ping -n -c 1 -W 2 10.0.2.2 >/dev/null && echo pinged
ping -n -c 1 -W 2 127.0.0.1 >/dev/null && echo pinged lo`, h.web)
	r := testenv.InNetbox(t, 60*time.Second, []string{"--net=user", "--pcap=" + file, fmt.Sprintf("--allow=10.0.2.2:%d", h.web)}, "/bin/sh", "-c", script)
	if r.Stdout != "fetched\npinged\npinged lo\n" {
		t.Fatalf("exit %d:\n%s%s", r.Code, r.Stdout, r.Stderr)
	}
	read := testenv.Native(t, 30*time.Second, tcpdump, "-n", "-r", file)
	if read.Code != 0 {
		t.Fatalf("tcpdump -r: exit %d: %s", read.Code, read.Stderr)
	}
	for _, want := range []string{
		"ARP, Request who-has 10.0.2.2 tell 10.0.2.15",
		"ARP, Reply 10.0.2.2 is-at",
		fmt.Sprintf("> 10.0.2.2.%d: Flags [S]", h.web),
		fmt.Sprintf("IP 10.0.2.2.%d > 10.0.2.15.", h.web),
		"IP 10.0.2.15 > 10.0.2.2: ICMP echo request",
		"IP 10.0.2.2 > 10.0.2.15: ICMP echo reply",
		"IP 127.0.0.1 > 127.0.0.1: ICMP echo request",
	} {
		if !strings.Contains(read.Stdout, want) {
			t.Errorf("%q missing from the capture:\n%s", want, read.Stdout)
		}
	}
}
