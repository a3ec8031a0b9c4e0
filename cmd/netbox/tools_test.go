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

// TestToolTraceroute runs traceroute to the loopback by its default method
// (UDP probes on connected sockets: the answer is the port unreachable
// error, seen through POLLERR and recvmsg(MSG_ERRQUEUE)), by ICMP echo,
// and over IPv6: each must reach the destination in one hop, with every
// probe answered.
func TestToolTraceroute(t *testing.T) {
	t.Parallel()
	testenv.RequireTool(t, "traceroute")
	for _, c := range []struct {
		name string
		args []string
		hop  string
	}{
		{"udp", []string{"-n", "127.0.0.1"}, "127.0.0.1"},
		{"udp-v6", []string{"-n", "-6", "::1"}, "::1"},
		{"icmp", []string{"-n", "-I", "127.0.0.1"}, "127.0.0.1"},
	} {
		t.Run(c.name, func(t *testing.T) {
			args := append([]string{"traceroute", "-w", "2", "-q", "3"}, c.args...)
			r := testenv.InNetbox(t, 30*time.Second, nil, args...)
			lines := strings.Split(strings.TrimSpace(r.Stdout), "\n")
			last := lines[len(lines)-1]
			if r.Code != 0 || len(lines) != 2 || !strings.HasPrefix(strings.TrimSpace(last), "1  "+c.hop+"  ") || strings.Contains(last, "*") || strings.Count(last, " ms") != 3 {
				t.Fatalf("traceroute: want one hop, %s, three answers: exit %d\nstdout:\n%s\nstderr:\n%s", c.hop, r.Code, r.Stdout, r.Stderr)
			}
		})
	}
}

// ssScript starts a TCP listener and a UDP socket in python3, connects to
// the listener, and runs ss -tanup while they live: ss must list them
// (netbox's sock_diag) with the process that holds each; then ss -xlp
// must list its abstract unix listener (unix_diag, the kernel's, passed
// on by netbox).
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
x = socket.socket(socket.AF_UNIX); x.bind("\0netbox-ss-test"); x.listen(4)
out = subprocess.run(["ss", "-xlp"], capture_output=True, text=True).stdout
print(out)
if not any(r.split()[:2] == ["u_str", "LISTEN"] and "@netbox-ss-test" in r and "python3" in r for r in out.splitlines()):
    print("missing the unix listener"); sys.exit(1)
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

// netstatScript is ssScript's sockets seen through /proc/net by netstat
// (net-tools reads /proc/net/tcp, tcp6, udp, udp6 and matches inodes
// with /proc/PID/fd for -p), then netstat -s's counters (/proc/net/snmp)
// for the connection and for a datagram to a closed port.
const netstatScript = `
import socket, subprocess, sys, time
l = socket.socket(); l.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
l.bind(("127.0.0.1", 8080)); l.listen(16)
u = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM); u.bind(("::1", 5353))
c = socket.create_connection(("127.0.0.1", 8080))
a, _ = l.accept()
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.sendto(b"x", ("127.0.0.1", 9))
time.sleep(0.2)
out = subprocess.run(["netstat", "-tuanp"], capture_output=True, text=True).stdout
print(out)
cport = c.getsockname()[1]
want = [
    ("tcp", "127.0.0.1:8080", "0.0.0.0:*", "LISTEN"),
    ("tcp", "127.0.0.1:%d" % cport, "127.0.0.1:8080", "ESTABLISHED"),
    ("tcp", "127.0.0.1:8080", "127.0.0.1:%d" % cport, "ESTABLISHED"),
    ("udp6", "::1:5353", ":::*", ""),
]
rows = [l.split() for l in out.splitlines()[2:] if l.strip()]
for w in want:
    if not any(r[0] == w[0] and r[3] == w[1] and r[4] == w[2] and (w[3] == "" or r[5] == w[3]) and r[-1].endswith("/python3") for r in rows):
        print("missing", w); sys.exit(1)
if len(rows) != len(want) + 1:  # and the sender's autobound port
    print("want %d rows" % (len(want) + 1)); sys.exit(1)
out = subprocess.run(["netstat", "-s"], capture_output=True, text=True).stdout
print(out)
for w in ["1 active connection openings", "1 passive connection openings", "2 connections established", "1 packets to unknown port received", "1 packets sent"]:
    if w not in out:
        print("netstat -s lacks", repr(w)); sys.exit(1)
print("netstat ok")
`

// TestToolNetstat runs netstat -tuanp and netstat -s inside the sandbox:
// netbox's /proc/net views list the sandbox's sockets with the processes
// holding them, and count its traffic.
func TestToolNetstat(t *testing.T) {
	t.Parallel()
	testenv.RequireTool(t, "python3")
	testenv.RequireTool(t, "netstat")
	r := testenv.InNetbox(t, 30*time.Second, nil, "python3", "-c", netstatScript)
	if r.Code != 0 || !strings.Contains(r.Stdout, "netstat ok") {
		t.Fatalf("netstat: exit %d\nstdout:\n%s\nstderr:\n%s", r.Code, r.Stdout, r.Stderr)
	}
}

// TestProcNetOff: with --proc-net=false the program reads the kernel's
// /proc/net/tcp of its own namespace, which lists none of netbox's
// sockets; by default it lists the sandbox's listener.
func TestProcNetOff(t *testing.T) {
	t.Parallel()
	testenv.RequireTool(t, "python3")
	const script = `
import socket
l = socket.socket(); l.bind(("127.0.0.1", 8080)); l.listen()
print("rows", len(open("/proc/net/tcp").read().splitlines()) - 1)
`
	for _, c := range []struct {
		flags []string
		want  string
	}{
		{nil, "rows 1"},
		{[]string{"--proc-net=false"}, "rows 0"},
	} {
		r := testenv.InNetbox(t, 30*time.Second, c.flags, "python3", "-c", script)
		if r.Code != 0 || strings.TrimSpace(r.Stdout) != c.want {
			t.Errorf("%v: exit %d, stdout %q, want %q\nstderr:\n%s", c.flags, r.Code, r.Stdout, c.want, r.Stderr)
		}
	}
}

// tcpdumpEth0Script starts tcpdump -i any inside a --net=user sandbox and
// pings the gateway twice: the pings cross eth0, and tcpdump must show
// them there (netbox mirrors eth0's frames to the eth0 it shows).
const tcpdumpEth0Script = `set -u
timeout 20 tcpdump -n -l -i any -c 4 icmp >dump.txt 2>dump.err &
dump=$!
i=0
until grep -q listening dump.err; do
	i=$((i+1)); [ $i -lt 100 ] || { echo "tcpdump never started"; cat dump.err; exit 1; }
	sleep 0.1
done
ping -n -c 2 -i 0.2 10.0.2.2 >/dev/null
wait $dump
cat dump.txt
`

// TestToolTcpdumpEth0: tcpdump -i any inside the sandbox shows eth0's
// traffic, sent ("Out") and received (from another host's view: netbox
// addresses the received copies to another MAC so that the namespace's
// own IP stack ignores them; tcpdump marks them "P").
func TestToolTcpdumpEth0(t *testing.T) {
	t.Parallel()
	for _, tool := range []string{"tcpdump", "ping"} {
		testenv.RequireTool(t, tool)
	}
	script := testenv.WriteScript(t, "dump.sh", tcpdumpEth0Script)
	r := testenv.RunNetbox(t, 60*time.Second, t.TempDir(), "run", "--net=user", "--", "sh", script)
	want := []string{
		"eth0  Out IP 10.0.2.15 > 10.0.2.2: ICMP echo request",
		"eth0  P   IP 10.0.2.2 > 10.0.2.15: ICMP echo reply",
	}
	for _, w := range want {
		if strings.Count(r.Stdout, w) != 2 {
			t.Errorf("want 2 of %q:\nstdout:\n%s\nstderr:\n%s", w, r.Stdout, r.Stderr)
		}
	}
}

// serveLoopback8000 starts python3's web server on 127.0.0.1:8000 in the
// current directory as $srv and waits for it (bounded).
const serveLoopback8000 = `set -u
python3 -m http.server --bind 127.0.0.1 8000 >/dev/null 2>&1 &
srv=$!
i=0
until curl -s -o /dev/null http://127.0.0.1:8000/; do
	i=$((i+1)); [ $i -lt 100 ] || { echo "server never answered"; kill $srv; exit 1; }
	sleep 0.1
done
`

// tcpdumpScript serves a file with python3, starts tcpdump on lo for six
// packets, fetches the file with curl, and waits for tcpdump (bounded by
// timeout): tcpdump must show the TCP handshake of the transfer.
const tcpdumpScript = serveLoopback8000 + `
timeout 20 tcpdump -n -l -i lo -c 6 'tcp port 8000' >dump.txt 2>dump.err &
dump=$!
i=0
until grep -q listening dump.err; do
	i=$((i+1)); [ $i -lt 100 ] || { echo "tcpdump never started"; cat dump.err; kill $srv; exit 1; }
	sleep 0.1
done
curl -s -o /dev/null http://127.0.0.1:8000/
wait $dump
rc=$?
kill $srv
cat dump.txt
exit $rc
`

// TestToolTcpdump captures a curl transfer with tcpdump -i lo inside the
// sandbox: the capture shows the handshake netbox's stack made, although
// the server listened before the capture began.
func TestToolTcpdump(t *testing.T) {
	t.Parallel()
	for _, tool := range []string{"tcpdump", "python3", "curl"} {
		testenv.RequireTool(t, tool)
	}
	dir := t.TempDir()
	script := testenv.WriteScript(t, "dump.sh", tcpdumpScript)
	r := testenv.RunNetbox(t, 60*time.Second, dir, "run", "--", "sh", script)
	if r.Code != 0 {
		t.Fatalf("tcpdump: exit %d\nstdout:\n%s\nstderr:\n%s", r.Code, r.Stdout, r.Stderr)
	}
	lines := strings.Split(strings.TrimSpace(r.Stdout), "\n")
	want := []string{"> 127.0.0.1.8000: Flags [S]", "127.0.0.1.8000 > 127.0.0.1.", "> 127.0.0.1.8000: Flags [.]"}
	if len(lines) < 6 {
		t.Fatalf("tcpdump showed %d packets, want 6:\n%s", len(lines), r.Stdout)
	}
	for i, w := range want {
		if !strings.Contains(lines[i], w) {
			t.Errorf("packet %d: %q, want it to contain %q (the handshake)", i+1, lines[i], w)
		}
	}
	if !strings.Contains(lines[1], "Flags [S.]") {
		t.Errorf("packet 2: %q, want the SYN-ACK", lines[1])
	}
}
