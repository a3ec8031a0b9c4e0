package main

import (
	"bytes"
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

// TestFaultLoss fetches 10 MiB from the host through the NAT with 10% of
// eth0's packets lost each way: TCP recovers and the file is intact.
func TestFaultLoss(t *testing.T) {
	t.Parallel()
	testenv.RequireTool(t, "curl")
	h := startHostServers(t)
	out := filepath.Join(t.TempDir(), "got")
	r := testenv.InNetbox(t, 120*time.Second, []string{"--net=user", fmt.Sprintf("--allow=10.0.2.2:%d", h.web), "--fault=loss=10%"},
		"curl", "-sS", "-o", out, fmt.Sprintf("http://10.0.2.2:%d/blob", h.web))
	got, _ := os.ReadFile(out)
	if r.Code != 0 || !bytes.Equal(got, h.blob) {
		t.Errorf("10 MiB with 10%% loss: exit %d, %d of %d bytes intact:\n%s", r.Code, len(got), len(h.blob), r.Stderr)
	}
}

// rttMin is ping's minimum round-trip time in milliseconds.
func rttMin(t *testing.T, pingOut string) float64 {
	t.Helper()
	m := regexp.MustCompile(`rtt min/avg/max/mdev = ([0-9.]+)/`).FindStringSubmatch(pingOut)
	if m == nil {
		t.Fatalf("no rtt in ping's output:\n%s", pingOut)
	}
	v, _ := strconv.ParseFloat(m[1], 64)
	return v
}

// TestFaultDelay: 50 ms of delay on eth0's outbound packets shows in the
// round trip to the gateway; without it the round trip is far shorter.
func TestFaultDelay(t *testing.T) {
	t.Parallel()
	testenv.RequireTool(t, "ping")
	ping := []string{"ping", "-n", "-c", "3", "-i", "0.2", "10.0.2.2"}
	slow := testenv.InNetbox(t, 30*time.Second, []string{"--net=user", "--fault=out:delay=50ms"}, ping...)
	fast := testenv.InNetbox(t, 30*time.Second, []string{"--net=user"}, ping...)
	if s := rttMin(t, slow.Stdout); s < 50 {
		t.Errorf("with 50 ms of delay the shortest round trip took %.3f ms", s)
	}
	if f := rttMin(t, fast.Stdout); f >= 50 {
		t.Errorf("without delay the shortest round trip took %.3f ms", f)
	}
}

// faultSeedScript pings the gateway once (ARP settles), then asks for 30%
// loss through the control socket $1 and pings 30 times: the sequence
// numbers answered are what the seed decided.
const faultSeedScript = `set -u
ping -n -c 1 -W 2 10.0.2.2 >/dev/null || { echo "no first answer"; exit 1; }
"$2" ctl "$1" fault loss=30% || exit 1
"$2" ctl "$1" show
ping -n -c 30 -i 0.02 -W 1 10.0.2.2 | sed -n 's/.*icmp_seq=\([0-9]*\).*/\1/p' | tr '\n' ' '
echo
`

// TestFaultSeed: one seed, one set of losses; another seed, another. The
// loss is set while the program runs, through `netbox ctl`.
func TestFaultSeed(t *testing.T) {
	t.Parallel()
	testenv.RequireTool(t, "ping")
	script := testenv.WriteScript(t, "seed.sh", faultSeedScript)
	run := func(seed int) string {
		sock := filepath.Join(t.TempDir(), "ctl")
		r := testenv.InNetbox(t, 60*time.Second, []string{"--net=user", "--ctl=" + sock, "--seed=" + strconv.Itoa(seed)},
			"/bin/sh", script, sock, testenv.Netbox(t))
		if r.Code != 0 || !strings.Contains(r.Stdout, "eth0 out: loss=30%\neth0 in: loss=30%\n") {
			t.Fatalf("seed %d: exit %d:\n%s%s", seed, r.Code, r.Stdout, r.Stderr)
		}
		lines := strings.Split(strings.TrimSpace(r.Stdout), "\n")
		return lines[len(lines)-1]
	}
	a, b, c := run(7), run(7), run(8)
	n := len(strings.Fields(a))
	if n < 5 || n > 25 {
		t.Errorf("about half the pings should come back with 30%% loss each way; %d of 30 did: %s", n, a)
	}
	if a != b {
		t.Errorf("seed 7 answered %q, then %q", a, b)
	}
	if a == c {
		t.Errorf("seeds 7 and 8 lost the same pings: %q", a)
	}
}

// faultPartitionScript fetches $3 slowly in the background, cuts eth0
// (both directions) through the control socket $1 for two seconds, during
// which a datagram to the echo server $5:$6 gets no answer and the file
// stops growing, and heals it:
// the transfer cut in the middle finishes and the echo answers again.
const faultPartitionScript = `set -u
sock=$1 netbox=$2 url=$3 out=$4 host=$5 port=$6
echo_once() {
	python3 -c '
import socket, struct, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVTIMEO, struct.pack("ll", 1, 0))
s.sendto(b"echo-me", (sys.argv[1], int(sys.argv[2])))
try:
    print("udp", s.recvfrom(2048)[0].decode())
except BlockingIOError:
    print("udp timed out")
' "$host" "$port"
}
curl -sS --limit-rate 2M -o "$out" "$url" &
bg=$!
sleep 1
"$netbox" ctl "$sock" fault down || exit 1
echo "during partition: $(echo_once)"
# What was on its way before the cut has arrived by now (at 2 MB/s).
size1=$(stat -c %s "$out")
sleep 1
size2=$(stat -c %s "$out")
[ "$size1" = "$size2" ] && echo "transfer stalled"
"$netbox" ctl "$sock" fault up || exit 1
echo "after healing: $(echo_once)"
wait $bg; echo "first transfer: curl exit $?"
`

// TestFaultPartition: a partition stalls a transfer and a datagram's
// answer times out; healing it lets the transfer finish, intact.
func TestFaultPartition(t *testing.T) {
	t.Parallel()
	testenv.RequireTool(t, "curl")
	h := startHostServers(t)
	script := testenv.WriteScript(t, "partition.sh", faultPartitionScript)
	dir := t.TempDir()
	sock, out := filepath.Join(dir, "ctl"), filepath.Join(dir, "got")
	r := testenv.InNetbox(t, 90*time.Second, []string{"--net=user", "--ctl=" + sock, fmt.Sprintf("--allow=10.0.2.2:%d", h.web), fmt.Sprintf("--allow=10.0.2.2:%d", h.udp)},
		"/bin/sh", script, sock, testenv.Netbox(t), fmt.Sprintf("http://10.0.2.2:%d/blob", h.web), out, "10.0.2.2", fmt.Sprint(h.udp))
	got, _ := os.ReadFile(out)
	for _, want := range []string{"during partition: udp timed out", "transfer stalled", "after healing: udp echo-me", "first transfer: curl exit 0"} {
		if !strings.Contains(r.Stdout, want) {
			t.Errorf("%q missing: exit %d:\n%s%s", want, r.Code, r.Stdout, r.Stderr)
		}
	}
	if !bytes.Equal(got, h.blob) {
		t.Errorf("the transfer cut by the partition: %d of %d bytes intact", len(got), len(h.blob))
	}
}
