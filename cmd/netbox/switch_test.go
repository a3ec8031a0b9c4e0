package main

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/netbox-sandbox/netbox/internal/testenv"
)

// switchServer runs inside netbox as member srv: a web server serving $1
// on 8000 and a UDP echo on 9000 (sandboxServer).
var switchServer = sandboxServer(8000, 9000)

// switchClient runs inside netbox as member cli: it fetches srv's file
// over IPv4 and IPv6, pings it and has a datagram echoed.
var switchClient = `set -u
dir=$1
curl -s -o "$dir/got" http://10.89.0.2:8000/blob && echo "curl ok"
curl -s -g -o "$dir/got6" "http://[fd00:89::2]:8000/blob" && echo "curl6 ok"
ping -n -c 2 -i 0.2 -W 2 10.89.0.2 | grep -q " 0% packet loss" && echo "ping ok"
ping -6 -n -c 2 -i 0.2 -W 2 fd00:89::2 | grep -q " 0% packet loss" && echo "ping6 ok"
ip -o addr show dev eth0 | while read -r i n f a rest; do echo "eth0 has $a"; done
ip route get 10.89.0.2
` + udpEchoScript("", "10.89.0.2", "fd00:89::2", 9000, "echo-me")

// TestNetSwitch makes a network (netbox net create), starts a server
// sandbox and client sandboxes on it: the client reaches the server over
// TCP, UDP and ICMP, IPv4 and IPv6; a delay set on the client's port
// shows in its pings; a partition between the two stops its fetches and
// healing restores them; the switch's capture holds the handshake. The
// switch is removed afterwards.
func TestNetSwitch(t *testing.T) {
	t.Parallel()
	for _, tool := range []string{"python3", "curl", "ping", "tcpdump"} {
		testenv.RequireTool(t, tool)
	}
	netbox := testenv.Netbox(t)
	rt := t.TempDir()
	var b [4]byte
	rand.Read(b[:])
	name := "nbt" + hex.EncodeToString(b[:])
	pcapFile := filepath.Join(rt, "switch.pcap")
	// Every netbox command runs with the test's own runtime directory.
	nb := func(limit time.Duration, args ...string) testenv.Result {
		return testenv.Shell(t, limit, "", `rt=$1 nb=$2; shift 2; NETBOX_RUNTIME_DIR=$rt exec "$nb" "$@"`, append([]string{rt, netbox}, args...)...)
	}
	if r := nb(10*time.Second, "net", "create", "--pcap", pcapFile, name); r.Code != 0 {
		t.Fatalf("net create: exit %d: %s%s", r.Code, r.Stdout, r.Stderr)
	}
	t.Cleanup(func() {
		if r := nb(10*time.Second, "net", "rm", name); r.Code != 0 {
			t.Errorf("net rm: exit %d: %s", r.Code, r.Stderr)
			testenv.Shell(t, 5*time.Second, "", `pkill -f "net serve.* $1\$"`, name)
		}
		if _, err := os.Stat(filepath.Join(rt, name+".sock")); err == nil {
			t.Errorf("the switch's socket outlived net rm")
		}
	})
	if r := nb(5*time.Second, "net", "ls"); !strings.Contains(r.Stdout, name+"\tsubnet 10.89.0.0/24") {
		t.Errorf("net ls does not list %s: %q %s", name, r.Stdout, r.Stderr)
	}

	srvDir := t.TempDir()
	blob := make([]byte, 2<<20)
	rand.Read(blob)
	if err := os.WriteFile(filepath.Join(srvDir, "blob"), blob, 0o644); err != nil {
		t.Fatal(err)
	}
	serverScript := testenv.WriteScript(t, "server.sh", switchServer)
	done := make(chan testenv.Result, 1)
	go func() {
		done <- nb(90*time.Second, "run", "--net="+name, "--name", "srv", "--", "sh", serverScript, srvDir)
	}()
	t.Cleanup(func() {
		os.WriteFile(filepath.Join(srvDir, "stop"), nil, 0o644)
		if r := <-done; r.Code != 0 {
			t.Errorf("server sandbox: exit %d: %s%s", r.Code, r.Stdout, r.Stderr)
		}
	})
	for i := 0; ; i++ {
		if _, err := os.Stat(filepath.Join(srvDir, "ready")); err == nil {
			break
		}
		if i == 200 {
			t.Fatal("the server sandbox never got ready")
		}
		time.Sleep(50 * time.Millisecond)
	}

	t.Run("reach", func(t *testing.T) {
		cliDir := t.TempDir()
		script := testenv.WriteScript(t, "client.sh", switchClient)
		r := nb(60*time.Second, "run", "--net="+name, "--name", "cli", "--", "sh", script, cliDir)
		for _, want := range []string{"curl ok", "curl6 ok", "ping ok", "ping6 ok", "udp ok echo-me 10.89.0.2", "udp ok echo-me fd00:89::2",
			// eth0 shows in the sandbox's namespace, as the switch gave it.
			"eth0 has 10.89.0.3/24", "eth0 has fd00:89::3/64", "10.89.0.2 dev eth0 src 10.89.0.3"} {
			if !strings.Contains(r.Stdout, want) {
				t.Errorf("%q missing (exit %d):\n%s\n%s", want, r.Code, r.Stdout, r.Stderr)
			}
		}
		for _, f := range []string{"got", "got6"} {
			if got, err := os.ReadFile(filepath.Join(cliDir, f)); err != nil || !bytes.Equal(got, blob) {
				t.Errorf("%s: the file fetched across the switch is not the server's (%d bytes, %v)", f, len(got), err)
			}
		}
	})

	t.Run("show", func(t *testing.T) {
		r := nb(5*time.Second, "net", "show", name)
		if !strings.Contains(r.Stdout, "member srv 10.89.0.2/24 fd00:89::2/64") {
			t.Errorf("net show does not list the server: %q %s", r.Stdout, r.Stderr)
		}
	})

	t.Run("delay", func(t *testing.T) {
		// Set before the member joins: it takes effect when it does.
		if r := nb(5*time.Second, "net", "fault", name, "slow:out:delay=60ms"); r.Code != 0 {
			t.Fatalf("net fault: exit %d: %s", r.Code, r.Stderr)
		}
		ping := []string{"ping", "-n", "-c", "3", "-i", "0.2", "10.89.0.2"}
		slow := nb(30*time.Second, append([]string{"run", "--net=" + name, "--name", "slow", "--"}, ping...)...)
		fast := nb(30*time.Second, append([]string{"run", "--net=" + name, "--name", "fast", "--"}, ping...)...)
		if s := rttMin(t, slow.Stdout); s < 60 {
			t.Errorf("with 60 ms of delay the shortest round trip took %.3f ms", s)
		}
		if f := rttMin(t, fast.Stdout); f >= 60 {
			t.Errorf("without delay the shortest round trip took %.3f ms", f)
		}
	})

	t.Run("partition", func(t *testing.T) {
		// One client sandbox: a fetch works, the partition stops the
		// next, healing lets a third through.
		ctl := func(args ...string) {
			if r := nb(5*time.Second, append([]string{"net"}, args...)...); r.Code != 0 {
				t.Errorf("net %v: exit %d: %s", args, r.Code, r.Stderr)
			}
		}
		dir := t.TempDir()
		script := testenv.WriteScript(t, "part.sh", `set -u
fetch() { curl -s -m 2 -o /dev/null http://10.89.0.2:8000/blob && echo "$1 ok" || echo "$1 failed"; }
fetch before
touch "$1/fetched"
i=0; until [ -e "$1/cut" ] || [ $i -ge 100 ]; do i=$((i+1)); sleep 0.1; done
fetch during
touch "$1/tried"
i=0; until [ -e "$1/healed" ] || [ $i -ge 100 ]; do i=$((i+1)); sleep 0.1; done
fetch after
`)
		res := make(chan testenv.Result, 1)
		go func() { res <- nb(60*time.Second, "run", "--net="+name, "--name", "part", "--", "sh", script, dir) }()
		waitFile(t, filepath.Join(dir, "fetched"))
		ctl("partition", name, "srv", "part")
		os.WriteFile(filepath.Join(dir, "cut"), nil, 0o644)
		waitFile(t, filepath.Join(dir, "tried"))
		ctl("heal", name, "srv", "part")
		os.WriteFile(filepath.Join(dir, "healed"), nil, 0o644)
		r := <-res
		for _, want := range []string{"before ok", "during failed", "after ok"} {
			if !strings.Contains(r.Stdout, want) {
				t.Errorf("%q missing (exit %d):\n%s\n%s", want, r.Code, r.Stdout, r.Stderr)
			}
		}
	})

	t.Run("capture", func(t *testing.T) {
		r := testenv.Shell(t, 10*time.Second, "", `tcpdump -n -r "$1" 'tcp[tcpflags] & tcp-syn != 0 and port 8000' 2>/dev/null`, pcapFile)
		if !strings.Contains(r.Stdout, "10.89.0.3.") || !strings.Contains(r.Stdout, "> 10.89.0.2.8000: Flags [S]") ||
			!strings.Contains(r.Stdout, "10.89.0.2.8000 > 10.89.0.3.") {
			t.Errorf("the switch's capture lacks the client's handshake:\n%s", r.Stdout)
		}
	})
}

// waitFile waits (bounded) for path to exist.
func waitFile(t *testing.T, path string) {
	t.Helper()
	for i := 0; i < 200; i++ {
		if _, err := os.Stat(path); err == nil {
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("%s never appeared", path)
}
