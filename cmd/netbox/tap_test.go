package main

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/netbox-sandbox/netbox/internal/testenv"
)

// peerSetup makes the kernel's side of the test link in namespace $1: the
// device $3 (there already) gets 10.77.0.1/24 and fd00:77::1/64, a web
// server on port 8000 serves $2 and a UDP echo server listens on port 9000
// (both dual-stack, bounded in time); their pids go to $2/peer.pids.
const peerSetup = `set -eu
ns=$1 dir=$2 dev=$3
ip -n "$ns" link set lo up
ip -n "$ns" addr add 10.77.0.1/24 dev "$dev"
ip -n "$ns" addr add fd00:77::1/64 dev "$dev" nodad
ip -n "$ns" link set "$dev" up
ip netns exec "$ns" timeout 60 python3 -m http.server --bind :: --directory "$dir" 8000 >/dev/null 2>&1 &
echo $! >"$dir/peer.pids"
ip netns exec "$ns" timeout 60 python3 -c '
import socket
s = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
s.bind(("::", 9000))
while True:
    d, a = s.recvfrom(2048)
    s.sendto(d, a)
' >/dev/null 2>&1 &
echo $! >>"$dir/peer.pids"
`

// tapClient runs inside netbox (eth0 10.77.0.2 and fd00:77::2 on the
// link): it fetches the kernel's file, pings the kernel and has a datagram
// echoed, over IPv4 and IPv6.
var tapClient = `set -u
dir=$1
i=0
until curl -s -o "$dir/got" http://10.77.0.1:8000/blob; do
	i=$((i+1)); [ $i -lt 50 ] || { echo "kernel server never answered"; exit 1; }
	sleep 0.1
done
echo "curl ok"
curl -s -g -o "$dir/got6" "http://[fd00:77::1]:8000/blob" && echo "curl6 ok"
ping -n -c 2 -i 0.2 -W 2 10.77.0.1 | grep -q " 0% packet loss" && echo "ping ok"
ping -6 -n -c 2 -i 0.2 -W 2 fd00:77::1 | grep -q " 0% packet loss" && echo "ping6 ok"
` + udpEchoScript("", "10.77.0.1", "fd00:77::1", 9000, "echo-me")

// sandboxServer is a script that runs inside netbox: a web server on
// port web serving $1, and a UDP echo on port udp, for as long as $1/stop
// does not exist (bounded); $1/ready appears once both listen.
func sandboxServer(web, udp int) string {
	return fmt.Sprintf(`set -u
dir=$1
python3 -m http.server --bind :: --directory "$dir" %d >/dev/null 2>&1 &
srv=$!
python3 -c '
import socket, os
s = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
s.bind(("::", %d))
s.settimeout(30)
open(os.path.join("'"$dir"'", "udp-ready"), "w").close()
while not os.path.exists(os.path.join("'"$dir"'", "stop")):
    try:
        d, a = s.recvfrom(2048)
    except TimeoutError:
        break
    s.sendto(d, a)
' &
i=0
until [ -e "$dir/udp-ready" ] && curl -s -o /dev/null http://127.0.0.1:%d/; do
	i=$((i+1)); [ $i -lt 100 ] || break
	sleep 0.1
done
touch "$dir/ready"
i=0
while [ ! -e "$dir/stop" ] && [ $i -lt 600 ]; do i=$((i+1)); sleep 0.1; done
kill $srv
`, web, udp, web)
}

// tapServer is netbox's side of the kernel-to-netbox test.
var tapServer = sandboxServer(8100, 9100)

// tapKernelClient runs in the peer's namespace $1: the kernel fetches
// netbox's file, pings netbox and has a datagram echoed by it.
var tapKernelClient = `set -u
ns=$1 dir=$2
i=0
# Not before netbox listens: on a link that is up, a kernel whose ARP
# went unanswered waits seconds before it asks again.
until [ -e "$dir/ready" ]; do
	i=$((i+1)); [ $i -lt 200 ] || { echo "netbox server never ready"; exit 1; }
	sleep 0.1
done
i=0
until ip netns exec "$ns" curl -s -o "$dir/got-kernel" http://10.77.0.2:8100/blob; do
	i=$((i+1)); [ $i -lt 50 ] || { echo "netbox server never answered"; exit 1; }
	sleep 0.1
done
echo "curl ok"
ip netns exec "$ns" curl -s -g -o "$dir/got-kernel6" "http://[fd00:77::2]:8100/blob" && echo "curl6 ok"
ip netns exec "$ns" ping -n -c 2 -i 0.2 -W 2 10.77.0.2 | grep -q " 0% packet loss" && echo "ping ok"
ip netns exec "$ns" ping -6 -n -c 2 -i 0.2 -W 2 fd00:77::2 | grep -q " 0% packet loss" && echo "ping6 ok"
` + udpEchoScript(`ip netns exec "$ns"`, "10.77.0.2", "fd00:77::2", 9100, "echo-you")

// udpEchoScript is a shell command (run through prefix, e.g. `ip netns
// exec NS`) that has msg echoed by the UDP servers at v4 and v6, port
// port, printing "udp ok MSG ADDR" for each answer (five tries each).
func udpEchoScript(prefix, v4, v6 string, port int, msg string) string {
	return fmt.Sprintf(`%s python3 -c '
import socket
for fam, dst in ((socket.AF_INET, "%s"), (socket.AF_INET6, "%s")):
    s = socket.socket(fam, socket.SOCK_DGRAM)
    s.settimeout(2)
    for i in range(5):
        s.sendto(b"%s", (dst, %d))
        try:
            d, a = s.recvfrom(2048)
            print("udp ok", d.decode(), a[0])
            break
        except TimeoutError:
            pass
'
`, prefix, v4, v6, msg, port)
}

// TestTAPKernelPeer runs netbox with eth0 on a TAP device whose other side
// is a real Linux kernel, in a network namespace the test makes: a client
// inside netbox reaches the kernel's web server, ping and UDP echo, and
// the kernel reaches netbox's. The namespace (and with it the TAP) and
// every process are removed afterwards.
func TestTAPKernelPeer(t *testing.T) {
	t.Parallel()
	ns := testNetNS(t, "nbtap")
	if r := testenv.Shell(t, 10*time.Second, "", `ip -n "$1" tuntap add dev nbtap0 mode tap`, ns); r.Code != 0 {
		t.Fatalf("ip tuntap add: %s", r.Stderr)
	}
	// The kernel and netbox share the namespace: the TAP's two sides.
	kernelPeer(t, ns, ns, "nbtap0", "--net=tap:nbtap0")
}

// TestVethKernelPeer is TestTAPKernelPeer over a veth pair between two
// namespaces the test makes, the way a CI set-up of namespaces is built:
// netbox drives one end (a packet socket on it) in the first, the kernel
// has the other in the second.
func TestVethKernelPeer(t *testing.T) {
	t.Parallel()
	nbNS, peerNS := testNetNS(t, "nbveth"), testNetNS(t, "nbpeer")
	vethLink(t, nbNS, "nbveth0", peerNS, "nbveth1", "")
	kernelPeer(t, nbNS, peerNS, "nbveth1", "--net=veth:nbveth0")
}

// testNetNS makes a network namespace named after prefix, removed (with
// every process left in it) when the test ends.
func testNetNS(t *testing.T, prefix string) string {
	for _, tool := range []string{"ip", "python3", "curl", "ping"} {
		testenv.RequireTool(t, tool)
	}
	var b [4]byte
	rand.Read(b[:])
	ns := prefix + "-" + hex.EncodeToString(b[:])
	if r := testenv.Shell(t, 10*time.Second, "", `ip netns add "$1"`, ns); r.Code != 0 {
		t.Fatalf("ip netns add: %s", r.Stderr)
	}
	t.Cleanup(func() {
		testenv.Shell(t, 10*time.Second, "", `ip netns pids "$1" | xargs -r kill -9; ip netns del "$1"`, ns)
	})
	return ns
}

// vethLink joins namespaces nbNS and peerNS with a veth pair: nbDev in
// nbNS, up beside lo, for netbox's --net=veth:nbDev; peerDev in peerNS,
// which the shell commands peer then configure ($1 is nbNS, $2 peerNS,
// $3 nbDev, $4 peerDev, and args follow as $5…).
func vethLink(t *testing.T, nbNS, nbDev, peerNS, peerDev, peer string, args ...string) {
	t.Helper()
	script := `set -e
ip link add "$3" netns "$1" type veth peer name "$4" netns "$2"
ip -n "$1" link set lo up
ip -n "$1" link set "$3" up
` + peer
	if r := testenv.Shell(t, 10*time.Second, "", script, append([]string{nbNS, peerNS, nbDev, peerDev}, args...)...); r.Code != 0 {
		t.Fatalf("veth set-up: %s", r.Stderr)
	}
}

// kernelPeer runs the client and server scripts across a link: netbox in
// namespace nbNS with eth0 on the link (netFlag), the kernel in peerNS
// with peerDev, its end.
func kernelPeer(t *testing.T, nbNS, peerNS, peerDev, netFlag string) {
	dir := t.TempDir()
	t.Cleanup(func() {
		testenv.Shell(t, 10*time.Second, "", `[ -f "$1/peer.pids" ] && kill $(cat "$1/peer.pids") 2>/dev/null; true`, dir)
	})
	blob := make([]byte, 4<<20)
	rand.Read(blob)
	if err := os.WriteFile(filepath.Join(dir, "blob"), blob, 0o644); err != nil {
		t.Fatal(err)
	}
	if r := testenv.Shell(t, 20*time.Second, "", peerSetup, peerNS, dir, peerDev); r.Code != 0 {
		t.Fatalf("peer set-up: exit %d: %s%s", r.Code, r.Stdout, r.Stderr)
	}
	netbox := testenv.Netbox(t)
	tapArgs := []string{"netns", "exec", nbNS, netbox, "run", netFlag, "--ip", "10.77.0.2/24", "--gateway", "10.77.0.1",
		"--ip6", "fd00:77::2/64", "--"}
	ns := peerNS

	t.Run("netbox-to-kernel", func(t *testing.T) {
		script := testenv.WriteScript(t, "client.sh", tapClient)
		r := testenv.Shell(t, 60*time.Second, "", `exec ip "$@"`, append(tapArgs, "sh", script, dir)...)
		for _, want := range []string{"curl ok", "curl6 ok", "ping ok", "ping6 ok", "udp ok echo-me 10.77.0.1", "udp ok echo-me fd00:77::1"} {
			if !strings.Contains(r.Stdout, want) {
				t.Errorf("%q missing (exit %d):\n%s\n%s", want, r.Code, r.Stdout, r.Stderr)
			}
		}
		for _, f := range []string{"got", "got6"} {
			if got, err := os.ReadFile(filepath.Join(dir, f)); err != nil || string(got) != string(blob) {
				t.Errorf("%s: the file fetched through the TAP is not the kernel's (%d bytes, %v)", f, len(got), err)
			}
		}
	})

	t.Run("kernel-to-netbox", func(t *testing.T) {
		srvDir := t.TempDir()
		if err := os.WriteFile(filepath.Join(srvDir, "blob"), blob, 0o644); err != nil {
			t.Fatal(err)
		}
		script := testenv.WriteScript(t, "server.sh", tapServer)
		done := make(chan testenv.Result, 1)
		go func() {
			done <- testenv.Shell(t, 60*time.Second, "", `exec ip "$@"`, append(tapArgs, "sh", script, srvDir)...)
		}()
		r := testenv.Shell(t, 40*time.Second, "", tapKernelClient, ns, srvDir)
		os.WriteFile(filepath.Join(srvDir, "stop"), nil, 0o644)
		nb := <-done
		for _, want := range []string{"curl ok", "curl6 ok", "ping ok", "ping6 ok", "udp ok echo-you 10.77.0.2", "udp ok echo-you fd00:77::2"} {
			if !strings.Contains(r.Stdout, want) {
				t.Errorf("%q missing (exit %d):\n%s\n%s\nnetbox: %s%s", want, r.Code, r.Stdout, r.Stderr, nb.Stdout, nb.Stderr)
			}
		}
		for _, f := range []string{"got-kernel", "got-kernel6"} {
			if got, err := os.ReadFile(filepath.Join(srvDir, f)); err != nil || string(got) != string(blob) {
				t.Errorf("%s: the file the kernel fetched from netbox is not netbox's (%d bytes, %v)", f, len(got), err)
			}
		}
	})
}

// slaacClient runs inside netbox with --ip6 auto: it waits (bounded) for
// the address SLAAC makes from the router's advertisement, shows it and
// the default route in the sandbox's namespace, and reaches the kernel
// over IPv6.
const slaacClient = `set -u
dir=$1
i=0
until ip -6 addr show dev eth0 scope global | grep -q inet6; do
	i=$((i+1)); [ $i -lt 300 ] || { echo "no address from the advertisements"; exit 1; }
	sleep 0.1
done
ip -6 -o addr show dev eth0 scope global | while read -r i n f a rest; do echo "eth0 has $a"; done
ip -6 route show default | while read -r d v gw rest; do echo "default $v ${gw%%:*}"; done
curl -s -g -o /dev/null "http://[fd00:77::1]:8000/blob" && echo "curl6 ok"
ping -6 -n -c 2 -i 0.2 -W 2 fd00:77::1 | grep -q " 0% packet loss" && echo "ping6 ok"
# Now the kernel pings the address; then it says done.
touch "$dir/up"
i=0
until [ -e "$dir/done" ] || [ $i -ge 100 ]; do i=$((i+1)); sleep 0.1; done
`

// TestVethSLAAC: over a veth, a kernel router (radvd) advertises
// fd00:77::/64; netbox with --ip6 auto takes the address SLAAC makes from
// the prefix and eth0's MAC (02:6e:0a:4d:00:02, from 10.77.0.2) and the
// router as its default route, shows both in the sandbox's namespace, and
// reaches the kernel over IPv6; the kernel reaches that address too.
func TestVethSLAAC(t *testing.T) {
	t.Parallel()
	testenv.RequireTool(t, "radvd")
	nbNS, peerNS := testNetNS(t, "nbslaac"), testNetNS(t, "nbrtr")
	dir := t.TempDir()
	conf := filepath.Join(dir, "radvd.conf")
	if err := os.WriteFile(conf, []byte(`interface nbveth1 {
	AdvSendAdvert on;
	MinRtrAdvInterval 3;
	MaxRtrAdvInterval 4;
	prefix fd00:77::/64 { AdvOnLink on; AdvAutonomous on; };
};
`), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "blob"), []byte("slaac"), 0o644); err != nil {
		t.Fatal(err)
	}
	vethLink(t, nbNS, "nbveth0", peerNS, "nbveth1", "")
	if r := testenv.Shell(t, 20*time.Second, "", peerSetup, peerNS, dir, "nbveth1"); r.Code != 0 {
		t.Fatalf("peer set-up: exit %d: %s%s", r.Code, r.Stdout, r.Stderr)
	}
	t.Cleanup(func() {
		testenv.Shell(t, 10*time.Second, "", `[ -f "$1/peer.pids" ] && kill $(cat "$1/peer.pids") 2>/dev/null; true`, dir)
	})
	// A router: forwarding on, radvd (bounded; killed with the namespace).
	if r := testenv.Shell(t, 10*time.Second, "", `set -e
ip netns exec "$1" sysctl -qw net.ipv6.conf.all.forwarding=1
ip netns exec "$1" timeout 60 radvd -n -C "$2" -p "$3/radvd.pid" -m stderr >"$3/radvd.log" 2>&1 &
# Not before radvd answers solicitations: netbox solicits only at first.
i=0
until [ -s "$3/radvd.pid" ]; do
	i=$((i+1)); [ $i -lt 100 ] || { echo "radvd never started"; cat "$3/radvd.log"; exit 1; }
	sleep 0.1
done`, peerNS, conf, dir); r.Code != 0 {
		t.Fatalf("radvd: %s%s", r.Stdout, r.Stderr)
	}
	netbox := testenv.Netbox(t)
	script := testenv.WriteScript(t, "slaac.sh", slaacClient)
	res := make(chan testenv.Result, 1)
	go func() {
		res <- testenv.Shell(t, 60*time.Second, "", `exec ip "$@"`,
			"netns", "exec", nbNS, netbox, "run", "--net=veth:nbveth0", "--ip", "10.77.0.2/24", "--ip6", "auto", "--", "sh", script, dir)
	}()
	var kernel testenv.Result
	for i := 0; i < 300; i++ {
		if _, err := os.Stat(filepath.Join(dir, "up")); err == nil {
			kernel = testenv.Shell(t, 10*time.Second, "", `ip netns exec "$1" ping -6 -n -c 2 -i 0.2 -W 2 fd00:77::6e:aff:fe4d:2`, peerNS)
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	os.WriteFile(filepath.Join(dir, "done"), nil, 0o644)
	r := <-res
	for _, want := range []string{"eth0 has fd00:77::6e:aff:fe4d:2/64", "default via fe80", "curl6 ok", "ping6 ok"} {
		if !strings.Contains(r.Stdout, want) {
			log, _ := os.ReadFile(filepath.Join(dir, "radvd.log"))
			t.Errorf("%q missing (exit %d):\n%s\n%s\nradvd: %s", want, r.Code, r.Stdout, r.Stderr, log)
		}
	}
	if !strings.Contains(kernel.Stdout, " 0% packet loss") {
		t.Errorf("the kernel could not ping netbox's SLAAC address: %s%s", kernel.Stdout, kernel.Stderr)
	}
}

// routesScript runs inside netbox (eth0 10.78.0.2/24, no gateway): an
// address beyond eth0's subnet is unreachable until a route to it is
// added inside the sandbox (ip route add, natively in its namespace),
// then reachable through the kernel peer, then unreachable again once the
// route is deleted; a default route added inside works the same.
const routesScript = `
echo_udp() {
	python3 -c '
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.settimeout(3)
try:
    s.sendto(b"hi", (sys.argv[1], 9000)); print(s.recv(10).decode())
except OSError as e:
    print(e.strerror)' "$1"
}
echo "before: $(echo_udp 10.79.0.1)"
ip route add 10.79.0.0/24 via 10.78.0.1 || exit 1
echo "added: $(echo_udp 10.79.0.1)"
ip route del 10.79.0.0/24 via 10.78.0.1 || exit 1
echo "deleted: $(echo_udp 10.79.0.1)"
ip route add default via 10.78.0.1 || exit 1
echo "default: $(echo_udp 10.79.0.1)"
`

// TestVethRoutes: routes the program adds and deletes in the sandbox's
// namespace (ip route) steer netbox's stack.
func TestVethRoutes(t *testing.T) {
	t.Parallel()
	nbNS, peerNS := testNetNS(t, "nbrt"), testNetNS(t, "nbrtpeer")
	vethLink(t, nbNS, "nbrt0", peerNS, "nbrt1", `
ip -n "$2" link set lo up
ip -n "$2" addr add 10.78.0.1/24 dev "$4"
ip -n "$2" addr add 10.79.0.1/32 dev lo
ip -n "$2" link set "$4" up`)
	dir := t.TempDir()
	if r := testenv.Shell(t, 10*time.Second, "", `ip netns exec "$1" python3 -c '
import socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(("0.0.0.0", 9000))
for _ in range(100):
    d, a = s.recvfrom(100); s.sendto(d, a)' >/dev/null 2>&1 &
echo $! >"$2/echo.pid"
for i in $(seq 100); do
	ip netns exec "$1" ss -Huln | grep -q ':9000 ' && exit 0
	sleep 0.1
done
exit 1`, peerNS, dir); r.Code != 0 {
		t.Fatalf("echo server: %s", r.Stderr)
	}
	t.Cleanup(func() {
		testenv.Shell(t, 10*time.Second, "", `kill $(cat "$1/echo.pid") 2>/dev/null; true`, dir)
	})
	script := testenv.WriteScript(t, "routes.sh", routesScript)
	r := testenv.Shell(t, 60*time.Second, "", `exec ip netns exec "$1" "$2" run --net=veth:nbrt0 --ip 10.78.0.2/24 -- sh "$3"`,
		nbNS, testenv.Netbox(t), script)
	want := "before: Network is unreachable\nadded: hi\ndeleted: Network is unreachable\ndefault: hi"
	if r.Code != 0 || strings.TrimSpace(r.Stdout) != want {
		t.Fatalf("exit %d\nstdout:\n%s\nwant:\n%s\nstderr:\n%s", r.Code, r.Stdout, want, r.Stderr)
	}
}

// TestVethTraceroute runs traceroute and tracepath from netbox through a
// kernel router (its own namespace, forwarding) to a host behind a link of
// MTU 1400: the router's ICMP time exceeded, the target's port
// unreachable and the router's fragmentation needed reach the programs'
// UDP sockets through eth0 (IP_RECVERR), as on Linux: traceroute shows both
// hops, tracepath both hops and the path MTU it learned.
func TestVethTraceroute(t *testing.T) {
	t.Parallel()
	testenv.RequireTool(t, "traceroute")
	testenv.RequireTool(t, "tracepath")
	nbNS, routerNS, targetNS := testNetNS(t, "nbtr"), testNetNS(t, "nbtrrouter"), testNetNS(t, "nbtrtarget")
	// The router ($2) forwards between netbox's link and the target's
	// ($5), whose MTU is 1400.
	vethLink(t, nbNS, "nbtr0", routerNS, "nbtr1", `
ip link add nbtr2 netns "$2" type veth peer name nbtr3 netns "$5"
ip -n "$2" link set lo up
ip -n "$2" addr add 10.80.0.1/24 dev "$4"
ip -n "$2" link set "$4" up
ip -n "$2" addr add 10.81.0.1/24 dev nbtr2
ip -n "$2" link set nbtr2 mtu 1400 up
ip netns exec "$2" sysctl -qw net.ipv4.ip_forward=1
ip -n "$5" link set lo up
ip -n "$5" addr add 10.81.0.2/24 dev nbtr3
ip -n "$5" link set nbtr3 mtu 1400 up
ip -n "$5" route add default via 10.81.0.1`, targetNS)
	r := testenv.Shell(t, 90*time.Second, "", `exec ip netns exec "$1" "$2" run --net=veth:nbtr0 --ip 10.80.0.2/24 --gateway 10.80.0.1 -- sh -c '
traceroute -n -w 3 -q 1 -m 5 10.81.0.2 && echo ---- && tracepath -n -m 5 10.81.0.2'`, nbNS, testenv.Netbox(t))
	hops := regexp.MustCompile(`(?m)^ 1  10\.80\.0\.1 .*\n 2  10\.81\.0\.2 `)
	pmtu := regexp.MustCompile(`(?m)^ *2: +10\.81\.0\.2 .*reached\n *Resume: pmtu 1400 hops 2 back 2`)
	if r.Code != 0 || !hops.MatchString(r.Stdout) || !pmtu.MatchString(r.Stdout) {
		t.Fatalf("want traceroute's hops 10.80.0.1 then 10.81.0.2, tracepath's pmtu 1400 in 2 hops: exit %d\nstdout:\n%s\nstderr:\n%s", r.Code, r.Stdout, r.Stderr)
	}
}

// TestVethMTU lowers eth0's MTU inside the sandbox (ip link set eth0 mtu,
// natively on eth0's view): netbox's stack follows it — IP_MTU reads
// 1400, a DO socket may send 1372 bytes but not 1373 (EMSGSIZE), and a
// 1450-byte datagram leaves in fragments, which the kernel peer has to
// reassemble (its Ip ReasmOKs grows).
func TestVethMTU(t *testing.T) {
	t.Parallel()
	nbNS, peerNS := testNetNS(t, "nbmtu"), testNetNS(t, "nbmtupeer")
	vethLink(t, nbNS, "nbmtu0", peerNS, "nbmtu1", `
ip -n "$2" link set lo up
ip -n "$2" addr add 10.76.0.1/24 dev "$4"
ip -n "$2" link set "$4" up`)
	reasm := func() int {
		r := testenv.Shell(t, 10*time.Second, "", `ip netns exec "$1" awk '/^Ip:/ { if (!h) { for (i = 1; i <= NF; i++) if ($i == "ReasmOKs") c = i; h = 1 } else print $c }' /proc/net/snmp`, peerNS)
		n, err := strconv.Atoi(strings.TrimSpace(r.Stdout))
		if r.Code != 0 || err != nil {
			t.Fatalf("peer's ReasmOKs: %q %s", r.Stdout, r.Stderr)
		}
		return n
	}
	before := reasm()
	r := testenv.Shell(t, 60*time.Second, "", `exec ip netns exec "$1" "$2" run --net=veth:nbmtu0 --ip 10.76.0.2/24 -- sh -c '
ip link set eth0 mtu 1400 || exit 1
python3 -c "
import socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.setsockopt(socket.SOL_IP, 10, 2)  # IP_MTU_DISCOVER, IP_PMTUDISC_DO
s.connect((\"10.76.0.1\", 9))
print(\"IP_MTU\", s.getsockopt(socket.SOL_IP, 14))  # IP_MTU
for n in (1372, 1373):
    try:
        print(n, s.sendto(b\"x\" * n, (\"10.76.0.1\", 9)))
    except OSError as e:
        print(n, e.strerror)
w = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
print(1450, w.sendto(b\"x\" * 1450, (\"10.76.0.1\", 9)))
"'`, nbNS, testenv.Netbox(t))
	want := "IP_MTU 1400\n1372 1372\n1373 Message too long\n1450 1450"
	if r.Code != 0 || strings.TrimSpace(r.Stdout) != want {
		t.Fatalf("exit %d\nstdout:\n%s\nwant:\n%s\nstderr:\n%s", r.Code, r.Stdout, want, r.Stderr)
	}
	// The fragments may still be on their way: wait for them, bounded.
	for i := 0; i < 50 && reasm() == before; i++ {
		time.Sleep(100 * time.Millisecond)
	}
	if after := reasm(); after <= before {
		t.Errorf("the peer reassembled nothing (ReasmOKs %d → %d): the 1450-byte datagram left whole, beyond eth0's MTU of 1400", before, after)
	}
}
