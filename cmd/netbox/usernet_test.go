package main

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/net/dns/dnsmessage"

	"github.com/netbox-sandbox/netbox/internal/testenv"
)

// hostServers are the host-side services of the user-mode NAT tests, all
// on the host's loopback: a web server with a random blob, a UDP echo and
// a DNS server that answers every A question for *.test with the
// gateway's address.
type hostServers struct {
	blob     []byte
	web, udp uint16
	dns      uint16
}

func startHostServers(t *testing.T) *hostServers {
	t.Helper()
	h := &hostServers{blob: make([]byte, 10<<20)}
	rand.Read(h.blob)

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Write(h.blob)
	})}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	h.web = uint16(ln.Addr().(*net.TCPAddr).Port)

	echo, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { echo.Close() })
	go func() {
		buf := make([]byte, 2048)
		for {
			n, from, err := echo.ReadFromUDPAddrPort(buf)
			if err != nil {
				return
			}
			echo.WriteToUDPAddrPort(buf[:n], from)
		}
	}()
	h.udp = uint16(echo.LocalAddr().(*net.UDPAddr).Port)

	dns, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { dns.Close() })
	go serveTestDNS(dns)
	h.dns = uint16(dns.LocalAddr().(*net.UDPAddr).Port)
	return h
}

// serveTestDNS answers A questions for names under .test with 10.0.2.2
// (the gateway: the host's loopback), and everything else with NXDOMAIN.
func serveTestDNS(c *net.UDPConn) {
	buf := make([]byte, 1500)
	for {
		n, from, err := c.ReadFromUDPAddrPort(buf)
		if err != nil {
			return
		}
		var p dnsmessage.Parser
		h, err := p.Start(buf[:n])
		if err != nil {
			continue
		}
		q, err := p.Question()
		if err != nil {
			continue
		}
		resp := dnsmessage.Message{
			Header:    dnsmessage.Header{ID: h.ID, Response: true, RecursionDesired: h.RecursionDesired, RecursionAvailable: true},
			Questions: []dnsmessage.Question{q},
		}
		switch {
		case !strings.HasSuffix(q.Name.String(), ".test."):
			resp.Header.RCode = dnsmessage.RCodeNameError
		case q.Type == dnsmessage.TypeA:
			resp.Answers = []dnsmessage.Resource{{
				Header: dnsmessage.ResourceHeader{Name: q.Name, Type: dnsmessage.TypeA, Class: dnsmessage.ClassINET, TTL: 5},
				Body:   &dnsmessage.AResource{A: [4]byte{10, 0, 2, 2}},
			}}
		}
		out, err := resp.Pack()
		if err == nil {
			c.WriteToUDPAddrPort(out, from)
		}
	}
}

// natClient runs inside netbox: it fetches $1 with curl into $2 and says
// how that went, then has a datagram echoed by $3:$4.
const natClient = `set -u
url=$1 out=$2 host=$3 port=$4
curl -sS -m 10 -o "$out" "$url"; echo "curl exit $?"
python3 -c '
import socket, struct, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
# SO_RCVTIMEO, not settimeout: a blocking recvfrom, without a poll first.
s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVTIMEO, struct.pack("ll", 1, 0))
a = (sys.argv[1], int(sys.argv[2]))
s.connect(a)
for i in range(5):
    try:
        s.sendto(b"echo-me", a)
        print("udp", s.recvfrom(2048)[0].decode())
        break
    except BlockingIOError:
        pass
    except OSError as e:
        print("udp error", e.strerror)
        break
' "$host" "$port"
`

// TestUserNAT runs programs with --net=user: what the egress policy
// allows reaches the host's loopback through the gateway (a 10 MiB
// transfer, compared; a UDP echo), names allowed by --allow NAME resolve
// through the gateway's DNS forwarder and connect, and what the policy
// refuses is refused (ECONNREFUSED) and logged.
func TestUserNAT(t *testing.T) {
	t.Parallel()
	for _, tool := range []string{"curl", "python3"} {
		testenv.RequireTool(t, tool)
	}
	h := startHostServers(t)
	dns := fmt.Sprintf("--dns=127.0.0.1:%d", h.dns)
	script := testenv.WriteScript(t, "natclient.sh", natClient)
	run := func(t *testing.T, url string, flags ...string) (testenv.Result, []byte) {
		t.Helper()
		out := filepath.Join(t.TempDir(), "got")
		flags = append([]string{"--net=user", dns}, flags...)
		r := testenv.InNetbox(t, 60*time.Second, flags, "/bin/sh", script, url, out, "10.0.2.2", fmt.Sprint(h.udp))
		got, _ := os.ReadFile(out)
		return r, got
	}
	web := fmt.Sprintf("http://10.0.2.2:%d/blob", h.web)

	t.Run("allowed", func(t *testing.T) {
		r, got := run(t, web, fmt.Sprintf("--allow=10.0.2.2:%d/tcp", h.web), fmt.Sprintf("--allow=10.0.2.2:%d/udp", h.udp))
		if !strings.Contains(r.Stdout, "curl exit 0") || !bytes.Equal(got, h.blob) {
			t.Errorf("curl through the NAT: got %d bytes of %d:\n%s%s", len(got), len(h.blob), r.Stdout, r.Stderr)
		}
		if !strings.Contains(r.Stdout, "udp echo-me") {
			t.Errorf("no UDP echo through the NAT:\n%s%s", r.Stdout, r.Stderr)
		}
	})
	t.Run("host-loopback-protected", func(t *testing.T) {
		// No rule: the default allows the world but not the host's own
		// loopback.
		r, _ := run(t, web)
		if !strings.Contains(r.Stdout, "curl exit 7") {
			t.Errorf("curl of the host's loopback without a rule: want exit 7 (refused):\n%s%s", r.Stdout, r.Stderr)
		}
		if !strings.Contains(r.Stdout, "udp error Connection refused") {
			t.Errorf("UDP to the host's loopback without a rule: want ECONNREFUSED:\n%s%s", r.Stdout, r.Stderr)
		}
		if !strings.Contains(r.Stderr, "egress denied: tcp 10.0.2.15:") || !strings.Contains(r.Stderr, fmt.Sprintf("-> 10.0.2.2:%d (protected 10.0.2.2/32)", h.web)) {
			t.Errorf("the refusal is not logged:\n%s", r.Stderr)
		}
	})
	t.Run("denied-port", func(t *testing.T) {
		r, _ := run(t, web, fmt.Sprintf("--allow=10.0.2.2:%d", h.web+1), fmt.Sprintf("--deny=10.0.2.2:%d", h.udp))
		if !strings.Contains(r.Stdout, "curl exit 7") || !strings.Contains(r.Stdout, "udp error Connection refused") {
			t.Errorf("want both refused:\n%s%s", r.Stdout, r.Stderr)
		}
		// An allow rule for another port of the gateway does not open
		// this one: it stays protected.
		if !strings.Contains(r.Stderr, "(protected 10.0.2.2/32)") || !strings.Contains(r.Stderr, fmt.Sprintf("(deny 10.0.2.2/32:%d)", h.udp)) {
			t.Errorf("the refusals do not name their reason:\n%s", r.Stderr)
		}
	})
	t.Run("allowed-by-name", func(t *testing.T) {
		url := fmt.Sprintf("http://allowed.test:%d/blob", h.web)
		r, got := run(t, url, fmt.Sprintf("--allow=allowed.test:%d", h.web))
		if !strings.Contains(r.Stdout, "curl exit 0") || !bytes.Equal(got, h.blob) {
			t.Errorf("curl of an allowed name: got %d bytes:\n%s%s", len(got), r.Stdout, r.Stderr)
		}
		// Another name for the same address is not allowed.
		url = fmt.Sprintf("http://other.test:%d/blob", h.web)
		r, _ = run(t, url, fmt.Sprintf("--allow=allowed.test:%d", h.web))
		if !strings.Contains(r.Stdout, "curl exit 7") {
			t.Errorf("curl of a name no rule gives: want exit 7:\n%s%s", r.Stdout, r.Stderr)
		}
	})
}

// TestUserNATPublish publishes sandbox ports on the host's loopback: the
// test, on the host, fetches a file from a web server inside netbox and
// has a datagram echoed by a UDP server inside.
func TestUserNATPublish(t *testing.T) {
	t.Parallel()
	testenv.RequireTool(t, "python3")
	dir := t.TempDir()
	blob := make([]byte, 1<<20)
	rand.Read(blob)
	if err := os.WriteFile(filepath.Join(dir, "blob"), blob, 0o644); err != nil {
		t.Fatal(err)
	}
	tcpPort, udpPort := freePort(t), freeUDPPort(t)
	server := fmt.Sprintf(`python3 -m http.server --bind 0.0.0.0 --directory %q 8080 >/dev/null 2>&1 &
exec python3 -c '
import socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("0.0.0.0", 9100))
print("ready", flush=True)
s.settimeout(30)
while True:
    d, a = s.recvfrom(2048)
    s.sendto(d + b" from " + a[0].encode(), a)
'`, dir)
	p := testenv.StartNetbox(t, []string{"--net=user", fmt.Sprintf("--publish=%d:8080", tcpPort), fmt.Sprintf("--publish=127.0.0.1:%d:9100/udp", udpPort)}, "/bin/sh", "-c", server)
	p.WaitLine(t, "ready", 20*time.Second)

	var got []byte
	var err error
	for i := 0; i < 50; i++ {
		var resp *http.Response
		resp, err = http.Get(fmt.Sprintf("http://127.0.0.1:%d/blob", tcpPort))
		if err == nil {
			got, err = io.ReadAll(resp.Body)
			resp.Body.Close()
			if err == nil && resp.StatusCode == 200 {
				break
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	if !bytes.Equal(got, blob) {
		t.Errorf("published TCP port: got %d bytes of %d (%v); netbox: %s", len(got), len(blob), err, p.Stderr())
	}

	c, err := net.DialUDP("udp", nil, net.UDPAddrFromAddrPort(netip.AddrPortFrom(netip.MustParseAddr("127.0.0.1"), uint16(udpPort))))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	buf := make([]byte, 2048)
	var reply string
	for i := 0; i < 5 && reply == ""; i++ {
		c.Write([]byte("ping"))
		c.SetReadDeadline(time.Now().Add(time.Second))
		if n, err := c.Read(buf); err == nil {
			reply = string(buf[:n])
		}
	}
	// The sandbox sees the host's peers come from the gateway.
	if reply != "ping from 10.0.2.2" {
		t.Errorf("published UDP port: reply %q, want %q; netbox: %s", reply, "ping from 10.0.2.2", p.Stderr())
	}
}

// natPeerSetup makes a namespace $1 joined to the host's by a veth pair
// ($2 on the host with 10.$3.0.1/24, 10.$3.0.2/24 inside) with a web
// server on port 8000 serving $4; its pid goes to $4/peer.pids.
const natPeerSetup = `set -eu
ns=$1 veth=$2 net=$3 dir=$4
ip link add "$veth" type veth peer name eth0 netns "$ns"
ip addr add "10.$net.0.1/24" dev "$veth"
ip link set "$veth" up
ip -n "$ns" link set lo up
ip -n "$ns" addr add "10.$net.0.2/24" dev eth0
ip -n "$ns" link set eth0 up
ip netns exec "$ns" timeout 60 python3 -m http.server --bind 0.0.0.0 --directory "$dir" 8000 >/dev/null 2>&1 &
echo $! >"$dir/peer.pids"
`

// TestUserNATRemoteHost reaches a host beyond the NAT's host: a network
// namespace the test joins to the host's by a veth pair, with a web
// server. The sandbox fetches a file from it and pings it (the reply is
// the kernel's, through the NAT's host ICMP socket; the NAT's own stack
// must not answer for it), and a ping to an address nobody has goes
// unanswered. The namespace and the veth are removed afterwards.
func TestUserNATRemoteHost(t *testing.T) {
	t.Parallel()
	for _, tool := range []string{"ip", "python3", "curl", "ping"} {
		testenv.RequireTool(t, tool)
	}
	var b [3]byte
	rand.Read(b[:])
	ns, veth := "nbnat-"+hex.EncodeToString(b[:]), "nbv"+hex.EncodeToString(b[:])
	netNum := fmt.Sprint(200 + int(b[0])%50)
	dir := t.TempDir()
	if r := testenv.Shell(t, 10*time.Second, "", `ip netns add "$1"`, ns); r.Code != 0 {
		t.Fatalf("ip netns add: %s", r.Stderr)
	}
	t.Cleanup(func() {
		testenv.Shell(t, 10*time.Second, "", `[ -f "$3/peer.pids" ] && kill $(cat "$3/peer.pids") 2>/dev/null; ip link del "$2" 2>/dev/null; ip netns pids "$1" | xargs -r kill -9; ip netns del "$1"`, ns, veth, dir)
	})
	blob := make([]byte, 2<<20)
	rand.Read(blob)
	if err := os.WriteFile(filepath.Join(dir, "blob"), blob, 0o644); err != nil {
		t.Fatal(err)
	}
	if r := testenv.Shell(t, 20*time.Second, "", natPeerSetup, ns, veth, netNum, dir); r.Code != 0 {
		t.Fatalf("peer set-up: exit %d: %s%s", r.Code, r.Stdout, r.Stderr)
	}
	peer := "10." + netNum + ".0.2"
	client := fmt.Sprintf(`i=0
until curl -s -o %[1]q http://%[2]s:8000/blob; do
	i=$((i+1)); [ $i -lt 50 ] || { echo "peer server never answered"; exit 1; }
	sleep 0.1
done
echo "curl ok"
ping -n -c 2 -i 0.2 -W 2 %[2]s >%[1]q.ping 2>&1
grep -q " 0%% packet loss" %[1]q.ping && echo "ping ok" || cat %[1]q.ping
ping -n -c 1 -W 1 10.%[3]s.0.99 >/dev/null || echo "ping of nobody unanswered"
`, filepath.Join(dir, "got"), peer, netNum)
	r := testenv.InNetbox(t, 60*time.Second, []string{"--net=user"}, "/bin/sh", "-c", client)
	for _, want := range []string{"curl ok", "ping ok", "ping of nobody unanswered"} {
		if !strings.Contains(r.Stdout, want) {
			t.Errorf("%q missing (exit %d):\n%s\n%s", want, r.Code, r.Stdout, r.Stderr)
		}
	}
	if got, _ := os.ReadFile(filepath.Join(dir, "got")); !bytes.Equal(got, blob) {
		t.Errorf("the file fetched through the NAT is not the peer's (%d bytes)", len(got))
	}

	// With an allow rule, what it does not name is refused by default:
	// the web server is reachable, a ping is not.
	os.Remove(filepath.Join(dir, "got"))
	r = testenv.InNetbox(t, 60*time.Second, []string{"--net=user", "--allow=" + peer + ":8000/tcp"}, "/bin/sh", "-c", client)
	for _, want := range []string{"curl ok", "ping of nobody unanswered"} {
		if !strings.Contains(r.Stdout, want) {
			t.Errorf("with --allow: %q missing (exit %d):\n%s\n%s", want, r.Code, r.Stdout, r.Stderr)
		}
	}
	if strings.Contains(r.Stdout, "ping ok") || !strings.Contains(r.Stderr, "egress denied: icmp 10.0.2.15 -> "+peer+" (default deny)") {
		t.Errorf("with --allow for TCP only, the ping was not refused and logged:\n%s\n%s", r.Stdout, r.Stderr)
	}
}

// nonblockingConnect connects a non-blocking TCP socket to $1:$2 and
// prints what each step of the usual dance gives: connect's EINPROGRESS,
// a send and getpeername while the handshake runs, a second connect, the
// wait for writability, SO_ERROR (twice: it is taken), getpeername.
const nonblockingConnect = `
import socket, select, errno, sys
def name(e): return errno.errorcode.get(e, "0")
s = socket.socket(); s.setblocking(False)
a = (sys.argv[1], int(sys.argv[2]))
print("connect", name(s.connect_ex(a)))
try: s.send(b"x"); print("send 1")
except OSError as e: print("send", name(e.errno))
try: s.getpeername(); print("getpeername ok")
except OSError as e: print("getpeername", name(e.errno))
print("connect again", name(s.connect_ex(a)))
r, w, x = select.select([], [s], [], 10)
print("writable", len(w))
print("SO_ERROR", name(s.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)))
print("SO_ERROR again", name(s.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)))
try: print("getpeername port", s.getpeername()[1] == a[1])
except OSError as e: print("getpeername", name(e.errno))
`

// TestUserNATNonblockingConnect: a non-blocking connect over eth0 (with
// 300 ms of outbound delay, so that the handshake is still running while
// the program looks) says EINPROGRESS, refuses to send (EAGAIN) or name
// its peer (ENOTCONN) meanwhile, says EALREADY to a second connect, and
// becomes writable when the handshake ends, SO_ERROR telling how: as
// Linux's SYN_SENT socket. (Before, netbox held the call until the
// handshake ended, so that a program's connect timeout could not work.)
func TestUserNATNonblockingConnect(t *testing.T) {
	t.Parallel()
	testenv.RequireTool(t, "python3")
	h := startHostServers(t)
	closed := freePort(t)
	flags := []string{"--net=user", "--fault=out:delay=300ms", fmt.Sprintf("--allow=10.0.2.2:%d", h.web), fmt.Sprintf("--allow=10.0.2.2:%d", closed)}
	for _, c := range []struct {
		port int
		want string
	}{
		{int(h.web), "connect EINPROGRESS\nsend EAGAIN\ngetpeername ENOTCONN\nconnect again EALREADY\nwritable 1\nSO_ERROR 0\nSO_ERROR again 0\ngetpeername port True\n"},
		{closed, "connect EINPROGRESS\nsend EAGAIN\ngetpeername ENOTCONN\nconnect again EALREADY\nwritable 1\nSO_ERROR ECONNREFUSED\nSO_ERROR again 0\ngetpeername ENOTCONN\n"},
	} {
		r := testenv.InNetbox(t, 30*time.Second, flags, "python3", "-c", nonblockingConnect, "10.0.2.2", fmt.Sprint(c.port))
		if d := testenv.Diff(c.want, r.Stdout); d != "" {
			t.Errorf("port %d: %s\nstderr:\n%s", c.port, d, r.Stderr)
		}
	}
}

// TestUserNATUnprivileged runs --net=user as uid 65534: netbox moves into
// namespaces of its own, and the NAT stays in the process the user
// started, in the caller's network namespace, joined to the sandbox's
// eth0 by a socket pair. The sandbox reaches the host's loopback through
// it.
func TestUserNATUnprivileged(t *testing.T) {
	t.Parallel()
	testenv.RequireTool(t, "curl")
	h := startHostServers(t)
	e := newEscapeEnv(t)
	cmd := e.command(netboxUser, []string{"--net=user", fmt.Sprintf("--allow=10.0.2.2:%d", h.web)},
		"/bin/sh", "-c", `id -u; curl -sS -o /dev/null -w "%{http_code} %{size_download}\n" "$0"; ip -4 -o addr show up | while read -r i n f a rest; do echo "$n $a"; done; ip route`, fmt.Sprintf("http://10.0.2.2:%d/blob", h.web))
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	cmd.WaitDelay = 2 * time.Second
	e.start(t, netboxUser, cmd)
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case <-done:
	case <-time.After(60 * time.Second):
		t.Fatalf("netbox did not end within a minute:\n%s%s", stdout.String(), stderr.String())
	}
	// eth0 shows in the sandbox's namespace (and lo is up) unprivileged
	// too.
	want := fmt.Sprintf("%d\n200 %d\n", escapeUID, len(h.blob)) +
		"lo 127.0.0.1/8\neth0 10.0.2.15/24\n" +
		"default via 10.0.2.2 dev eth0\n10.0.2.0/24 dev eth0 proto kernel scope link src 10.0.2.15\n"
	if squeeze(stdout.String()) != want {
		t.Errorf("got %q, want %q; stderr:\n%s", stdout.String(), want, stderr.String())
	}
}

// squeeze turns each run of spaces into one and drops spaces ending a
// line (ip -br pads its columns).
func squeeze(s string) string {
	var b strings.Builder
	for _, l := range strings.Split(s, "\n") {
		b.WriteString(strings.Join(strings.Fields(l), " "))
		b.WriteString("\n")
	}
	return strings.TrimSuffix(b.String(), "\n")
}
