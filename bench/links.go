package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// The link benchmarks (-links): TCP throughput from a client to a server
// over each kind of link a sandbox can have, measured by iperf3 in one
// run, against the kernel's own link between two network namespaces (a
// veth pair) and against slirp4netns, the user-mode network Debian has
// (its pasta, of 2023-03, never starts its command on these machines:
// as root it refuses, as another user it hangs). The veths and the TAP
// have Ethernet's MTU of 1500, the user-mode networks 65520. Each script gets $NETBOX, $ID (unique per run), $T (seconds) and
// $PORT, prints iperf3's JSON on stdout, and removes what it made.

// linkSetup is the start of every link script: cleanup runs at exit.
const linkSetup = `set -eu
cleanup() { :; }
trap 'cleanup' EXIT
`

// linkBenches are the links, in the table's order.
var linkBenches = []struct {
	name, desc, script string
}{
	{"kernel veth", "two network namespaces joined by a veth pair (the kernel on both sides)", `
s=nbls-$ID c=nblc-$ID
cleanup() { ip netns pids $s 2>/dev/null | xargs -r kill; ip netns del $s 2>/dev/null; ip netns del $c 2>/dev/null; }
ip netns add $s; ip netns add $c
ip link add v0 netns $s type veth peer name v1 netns $c
ip -n $s addr add 10.250.0.1/24 dev v0; ip -n $s link set v0 up; ip -n $s link set lo up
ip -n $c addr add 10.250.0.2/24 dev v1; ip -n $c link set v1 up; ip -n $c link set lo up
ip netns exec $s iperf3 -s -1 -B 10.250.0.1 -p $PORT >/dev/null 2>&1 &
sleep 0.3
ip netns exec $c iperf3 -c 10.250.0.1 -p $PORT -t $T -J
`},
	{"netbox tap", "netbox --net=tap: eth0 on a TAP whose kernel side runs the server", `
s=nblt-$ID
cleanup() { ip netns pids $s 2>/dev/null | xargs -r kill; ip netns del $s 2>/dev/null; }
ip netns add $s
ip -n $s link set lo up
ip -n $s tuntap add dev nbt0 mode tap
ip -n $s addr add 10.251.0.1/24 dev nbt0; ip -n $s link set nbt0 up
ip netns exec $s iperf3 -s -1 -B 10.251.0.1 -p $PORT >/dev/null 2>&1 &
sleep 0.3
ip netns exec $s "$NETBOX" run --net=tap:nbt0 --ip 10.251.0.2/24 -- iperf3 -c 10.251.0.1 -p $PORT -t $T -J
`},
	{"netbox veth", "netbox --net=veth: eth0 on a veth end (a packet socket, GSO), the kernel on the other side runs the server", `
s=nblvs-$ID c=nblvc-$ID
cleanup() { ip netns pids $s 2>/dev/null | xargs -r kill; ip netns del $s 2>/dev/null; ip netns del $c 2>/dev/null; }
ip netns add $s; ip netns add $c
ip link add v0 netns $s type veth peer name v1 netns $c
ip -n $s addr add 10.252.0.1/24 dev v0; ip -n $s link set v0 up; ip -n $s link set lo up
ip -n $c link set v1 up; ip -n $c link set lo up
ip netns exec $s iperf3 -s -1 -B 10.252.0.1 -p $PORT >/dev/null 2>&1 &
sleep 0.3
ip netns exec $c "$NETBOX" run --net=veth:v1 --ip 10.252.0.2/24 -- iperf3 -c 10.252.0.1 -p $PORT -t $T -J
`},
	{"netbox switch", "netbox net create (MTU 1500, GSO across the switch): two sandboxes on one virtual switch, the server in one, the client in the other", `
export NETBOX_RUNTIME_DIR=$(mktemp -d)
cleanup() { "$NETBOX" net rm nbl$ID >/dev/null 2>&1; rm -rf "$NETBOX_RUNTIME_DIR"; }
"$NETBOX" net create nbl$ID >/dev/null
"$NETBOX" run --net=nbl$ID --name srv -- iperf3 -s -1 -p $PORT >/dev/null 2>&1 &
sleep 0.5
"$NETBOX" run --net=nbl$ID --name cli -- iperf3 -c 10.89.0.2 -p $PORT -t $T -J
`},
	{"netbox user", "netbox --net=user: the server on the host's loopback, reached through the NAT's gateway", `
iperf3 -s -1 -B 127.0.0.1 -p $PORT >/dev/null 2>&1 &
srv=$!
cleanup() { kill $srv 2>/dev/null || true; }
sleep 0.3
"$NETBOX" run --net=user --allow 10.0.2.2:$PORT -- iperf3 -c 10.0.2.2 -p $PORT -t $T -J
`},
	{"slirp4netns", "slirp4netns 1.2 (--mtu 65520, as netbox user's): the server on the host's loopback, through its gateway", `
command -v slirp4netns >/dev/null || { echo "slirp4netns is not installed" >&2; exit 3; }
iperf3 -s -1 -B 127.0.0.1 -p $PORT >/dev/null 2>&1 &
srv=$!
unshare -n sleep 60 &
ns=$!
cleanup() { kill $srv $ns $sl 2>/dev/null || true; }
sl=
sleep 0.2
slirp4netns --configure --mtu 65520 $ns tap0 >/dev/null 2>&1 &
sl=$!
sleep 0.5
nsenter -t $ns -n iperf3 -c 10.0.2.2 -p $PORT -t $T -J
`},
}

// iperfResult is the part of iperf3's JSON the table needs.
type iperfResult struct {
	End struct {
		SumReceived struct {
			BitsPerSecond float64 `json:"bits_per_second"`
		} `json:"sum_received"`
	} `json:"end"`
	Error string `json:"error"`
}

// runLinks runs each link benchmark runs times and prints the table.
func runLinks(w io.Writer, netbox string, runs int, seconds int, timeout time.Duration) {
	fmt.Fprintf(w, "\n| link | TCP throughput (median of %d, %d s each) | vs kernel veth | what it is |\n|---|---|---|---|\n", runs, seconds)
	var kernel float64
	var notes []string
	for i, lb := range linkBenches {
		var vals []float64
		var lastErr string
		for r := 0; r < runs; r++ {
			v, err := runLink(lb.script, netbox, fmt.Sprintf("%d%d%d", os.Getpid()%1000, i, r), seconds, timeout)
			if err != nil {
				lastErr = err.Error()
				continue
			}
			vals = append(vals, v)
		}
		cell, ratio := "error", ""
		if len(vals) > 0 {
			sort.Float64s(vals)
			m := vals[len(vals)/2]
			cell = fmt.Sprintf("%.2f Gbit/s", m/1e9)
			if i == 0 {
				kernel = m
			}
			if kernel > 0 {
				ratio = fmt.Sprintf("%.2f×", m/kernel)
			}
		} else {
			notes = append(notes, fmt.Sprintf("- %s: %s", lb.name, lastErr))
		}
		fmt.Fprintf(w, "| %s | %s | %s | %s |\n", lb.name, cell, ratio, lb.desc)
	}
	for _, n := range notes {
		fmt.Fprintln(w, n)
	}
}

// runLink runs one link script and returns iperf3's received throughput
// in bits per second.
func runLink(script, netbox, id string, seconds int, timeout time.Duration) (float64, error) {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, "bash", "-c", linkSetup+script)
	cmd.Env = append(os.Environ(), "NETBOX="+netbox, "ID="+id, "T="+strconv.Itoa(seconds), "PORT="+strconv.Itoa(5200+os.Getpid()%300))
	cmd.WaitDelay = 2 * time.Second
	// Its own process group, killed afterwards: servers and helpers a
	// failed or killed script leaves behind go with it.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	defer func() {
		if cmd.Process != nil {
			syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		}
	}()
	out, err := cmd.Output()
	var stderr []byte
	if ee, ok := err.(*exec.ExitError); ok {
		stderr = ee.Stderr
	}
	var res iperfResult
	if jerr := json.Unmarshal(out, &res); jerr != nil || res.Error != "" || res.End.SumReceived.BitsPerSecond == 0 {
		return 0, fmt.Errorf("%v %s %s", err, res.Error, strings.TrimSpace(string(stderr)))
	}
	return res.End.SumReceived.BitsPerSecond, nil
}
