package main

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/netbox-sandbox/netbox/internal/testenv"
)

// The sandbox's network is private: nothing inside reaches the host's
// loopback, and nothing on the host reaches a server inside.

// connectPy tries to connect a TCP socket of family sys.argv[1] ("4" or
// "6") to (sys.argv[2], int(sys.argv[3])) and prints "connected" or the
// errno's name.
const connectPy = `import errno, socket, sys
fam = socket.AF_INET if sys.argv[1] == "4" else socket.AF_INET6
s = socket.socket(fam, socket.SOCK_STREAM)
s.settimeout(5)
try:
    s.connect((sys.argv[2], int(sys.argv[3])))
    print("connected")
except socket.timeout:
    print("timeout")
except OSError as e:
    print(errno.errorcode.get(e.errno, str(e.errno)))
`

// expectNoAccept fails the test if ln has a connection to accept (a
// connection that completed its handshake waits in the backlog).
func expectNoAccept(t *testing.T, ln net.Listener, what string) {
	t.Helper()
	type deadliner interface{ SetDeadline(time.Time) error }
	if err := ln.(deadliner).SetDeadline(time.Now().Add(300 * time.Millisecond)); err != nil {
		t.Fatal(err)
	}
	c, err := ln.Accept()
	if err == nil {
		c.Close()
		t.Fatalf("the host's %s listener accepted a connection from %v: the sandbox reached the host", what, c.RemoteAddr())
	}
	if !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("accept on the host's %s listener: %v", what, err)
	}
}

// hostListen listens on the host's network, or skips the subtest if the
// host does not have that loopback address (only ::1 may be missing).
func hostListen(t *testing.T, network, addr string) net.Listener {
	t.Helper()
	ln, err := net.Listen(network, addr)
	if err != nil {
		if network == "tcp6" {
			t.Skipf("the host has no IPv6 loopback: %v", err)
		}
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	return ln
}

func TestIsolationHostTCPUnreachable(t *testing.T) {
	t.Parallel()
	testenv.RequireTool(t, "python3")
	for _, tc := range []struct{ name, network, listen, fam, host string }{
		{"ipv4", "tcp4", "127.0.0.1:0", "4", "127.0.0.1"},
		{"ipv6", "tcp6", "[::1]:0", "6", "::1"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ln := hostListen(t, tc.network, tc.listen)
			port := ln.Addr().(*net.TCPAddr).Port
			r := testenv.InNetbox(t, 30*time.Second, nil, "python3", "-c", connectPy, tc.fam, tc.host, strconv.Itoa(port))
			if r.Code != 0 {
				t.Fatalf("python3 exited %d\nstdout:\n%s\nstderr:\n%s", r.Code, r.Stdout, r.Stderr)
			}
			if got := strings.TrimSpace(r.Stdout); got != "ECONNREFUSED" {
				t.Errorf("connect from inside to the host's %s port %d: got %q, want ECONNREFUSED (an empty private network)", tc.host, port, got)
			}
			expectNoAccept(t, ln, tc.host)
		})
	}
}

// sendUDPPy sends 10 datagrams to (sys.argv[2], int(sys.argv[3])) from a
// socket of family sys.argv[1] and prints "sent N".
const sendUDPPy = `import errno, socket, sys
fam = socket.AF_INET if sys.argv[1] == "4" else socket.AF_INET6
s = socket.socket(fam, socket.SOCK_DGRAM)
n = 0
for i in range(10):
    try:
        s.sendto(b"netbox datagram %d" % i, (sys.argv[2], int(sys.argv[3])))
        n += 1
    except OSError as e:
        print("sendto:", errno.errorcode.get(e.errno, str(e.errno)))
print("sent", n)
`

func TestIsolationHostUDPReceivesNothing(t *testing.T) {
	t.Parallel()
	testenv.RequireTool(t, "python3")
	for _, tc := range []struct{ name, network, listen, fam, host string }{
		{"ipv4", "udp4", "127.0.0.1:0", "4", "127.0.0.1"},
		{"ipv6", "udp6", "[::1]:0", "6", "::1"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			pc, err := net.ListenPacket(tc.network, tc.listen)
			if err != nil {
				if tc.network == "udp6" {
					t.Skipf("the host has no IPv6 loopback: %v", err)
				}
				t.Fatal(err)
			}
			t.Cleanup(func() { pc.Close() })
			port := pc.LocalAddr().(*net.UDPAddr).Port
			r := testenv.InNetbox(t, 30*time.Second, nil, "python3", "-c", sendUDPPy, tc.fam, tc.host, strconv.Itoa(port))
			// Unconnected sendto to a port nobody listens on succeeds on
			// Linux (no ICMP error is reported without a connect).
			if r.Code != 0 || r.Stdout != "sent 10\n" {
				t.Errorf("want \"sent 10\" and exit 0, got exit %d\nstdout:\n%s\nstderr:\n%s", r.Code, r.Stdout, r.Stderr)
			}
			if err := pc.SetReadDeadline(time.Now().Add(500 * time.Millisecond)); err != nil {
				t.Fatal(err)
			}
			buf := make([]byte, 2048)
			n, from, err := pc.ReadFrom(buf)
			if err == nil {
				t.Fatalf("the host's UDP socket on %s port %d received %q from %v: the sandbox reached the host", tc.host, port, buf[:n], from)
			}
			if !errors.Is(err, os.ErrDeadlineExceeded) {
				t.Fatalf("read on the host's UDP socket: %v", err)
			}
		})
	}
}

// listenPy listens on 127.0.0.1:int(sys.argv[1]), prints "listening", and
// waits up to 5 s for a connection.
const listenPy = `import socket, sys
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", int(sys.argv[1])))
s.listen(8)
print("listening", flush=True)
s.settimeout(5)
try:
    c, a = s.accept()
    print("accepted", a, flush=True)
except socket.timeout:
    print("no connection", flush=True)
`

// freePort returns a TCP port that was free on the host's 127.0.0.1 a
// moment ago.
func freePort(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	return port
}

// freeUDPPort is freePort for UDP.
func freeUDPPort(t *testing.T) int {
	t.Helper()
	c, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	port := c.LocalAddr().(*net.UDPAddr).Port
	c.Close()
	return port
}

func TestIsolationServerNotReachableFromHost(t *testing.T) {
	t.Parallel()
	testenv.RequireTool(t, "python3")
	port := freePort(t)
	p := testenv.StartNetbox(t, nil, "python3", "-c", listenPy, strconv.Itoa(port))
	p.WaitLine(t, "listening", 20*time.Second)

	addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
	c, err := net.DialTimeout("tcp4", addr, 2*time.Second)
	if err == nil {
		c.Close()
		t.Errorf("the host connected to %s, where only the sandbox listens: the sandbox is reachable from the host", addr)
	} else {
		t.Logf("host dial %s: %v (as it should)", addr, err)
	}
	// The server is still inside, listening, unreached.
	if strings.Contains(p.Stdout(), "accepted") {
		t.Errorf("the server inside accepted a connection:\n%s", p.Stdout())
	}
	if err := p.Cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	p.WaitTimeout(t, 10*time.Second)
}

func TestIsolationNoHostInterfaces(t *testing.T) {
	t.Parallel()
	t.Run("ip", func(t *testing.T) {
		ip := testenv.RequireTool(t, "ip")
		r := testenv.InNetbox(t, 30*time.Second, nil, ip, "-o", "link")
		if r.Code != 0 {
			t.Fatalf("ip -o link exited %d\nstdout:\n%s\nstderr:\n%s", r.Code, r.Stdout, r.Stderr)
		}
		var names []string
		for _, l := range strings.Split(strings.TrimSpace(r.Stdout), "\n") {
			// "1: lo: <LOOPBACK,UP,LOWER_UP> mtu 65536 ..."
			f := strings.SplitN(l, ": ", 3)
			if len(f) < 3 {
				t.Fatalf("unexpected line from ip -o link: %q", l)
			}
			names = append(names, strings.TrimSpace(f[1]))
		}
		if fmt.Sprint(names) != "[lo]" {
			t.Errorf("inside, ip -o link shows %v, want only lo\n%s", names, r.Stdout)
		}
		if !strings.Contains(r.Stdout, "LOOPBACK") || !strings.Contains(r.Stdout, "UP") {
			t.Errorf("lo is not shown as an up loopback:\n%s", r.Stdout)
		}
	})
	t.Run("if_nameindex", func(t *testing.T) {
		testenv.RequireTool(t, "python3")
		r := testenv.InNetbox(t, 30*time.Second, nil, "python3", "-c",
			`import socket; print(" ".join(n for i, n in socket.if_nameindex()))`)
		if r.Code != 0 || r.Stdout != "lo\n" {
			t.Errorf("inside, socket.if_nameindex() names %q (exit %d), want only lo\nstderr:\n%s", r.Stdout, r.Code, r.Stderr)
		}
	})
}

// connectUnixPy connects an AF_UNIX stream socket to the abstract name
// sys.argv[1] (without its leading NUL) and prints "connected" or the
// errno's name.
const connectUnixPy = `import errno, socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.settimeout(5)
try:
    s.connect("\0" + sys.argv[1])
    print("connected")
except socket.timeout:
    print("timeout")
except OSError as e:
    print(errno.errorcode.get(e.errno, str(e.errno)))
`

func TestIsolationAbstractUnixPrivate(t *testing.T) {
	t.Parallel()
	testenv.RequireTool(t, "python3")
	var rnd [8]byte
	if _, err := rand.Read(rnd[:]); err != nil {
		t.Fatal(err)
	}
	name := "netbox-test-" + hex.EncodeToString(rnd[:])
	ln, err := net.Listen("unix", "@"+name)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })

	// A host process does reach it (the listener works).
	c, err := net.Dial("unix", "@"+name)
	if err != nil {
		t.Fatalf("host dial of its own abstract socket: %v", err)
	}
	c.Close()
	if a, err := ln.Accept(); err != nil {
		t.Fatal(err)
	} else {
		a.Close()
	}

	r := testenv.InNetbox(t, 30*time.Second, nil, "python3", "-c", connectUnixPy, name)
	if r.Code != 0 {
		t.Fatalf("python3 exited %d\nstdout:\n%s\nstderr:\n%s", r.Code, r.Stdout, r.Stderr)
	}
	if got := strings.TrimSpace(r.Stdout); got != "ECONNREFUSED" {
		t.Errorf("connect from inside to the host's abstract socket @%s: got %q, want ECONNREFUSED (abstract names are per network namespace)", name, got)
	}
	expectNoAccept(t, ln, "abstract unix")
}

// vsockPy connects an AF_VSOCK stream socket to port sys.argv[1] of the
// local CID (1), the hypervisor (2) and the machine's own CID
// (sys.argv[2]), then binds one to the machine's own CID, printing "CID
// connected" or "CID ERRNO" for each and "bind ERRNO" or "bind ok".
const vsockPy = `import errno, socket, sys
port, own = int(sys.argv[1]), int(sys.argv[2])
def name(e): return errno.errorcode.get(e.errno, str(e.errno))
for cid in (1, 2, own):
    s = socket.socket(socket.AF_VSOCK, socket.SOCK_STREAM)
    try:
        s.connect((cid, port))
        print(cid, "connected")
    except OSError as e:
        print(cid, name(e))
    s.close()
s = socket.socket(socket.AF_VSOCK, socket.SOCK_STREAM)
try:
    s.bind((own, port))
    print("bind ok")
except OSError as e:
    print("bind", name(e))
`

// ioctlVMSocketsGetLocalCID is IOCTL_VM_SOCKETS_GET_LOCAL_CID (/dev/vsock).
const ioctlVMSocketsGetLocalCID = 0x7b9

// TestIsolationVsockReachesNothing: the host's vsock reaches the
// hypervisor and, through it, whatever the host lets it; the sandbox's
// has no transport. Its sockets exist (CPython's vsock tests pass), but a
// connect to any CID fails with ENODEV, no CID is local to bind, and a
// vsock listener of the machine hears nothing.
func TestIsolationVsockReachesNothing(t *testing.T) {
	t.Parallel()
	testenv.RequireTool(t, "python3")
	port := 50000 + uint32(time.Now().UnixNano()%10000)
	own := uint32(3)
	if f, err := os.Open("/dev/vsock"); err == nil {
		if cid, err := unix.IoctlGetUint32(int(f.Fd()), ioctlVMSocketsGetLocalCID); err == nil && cid != unix.VMADDR_CID_ANY {
			own = cid
		}
		f.Close()
	}
	// The machine's own listener, when the host has vsock: nothing from
	// inside must reach it.
	ln, err := unix.Socket(unix.AF_VSOCK, unix.SOCK_STREAM|unix.SOCK_NONBLOCK|unix.SOCK_CLOEXEC, 0)
	if err == nil {
		t.Cleanup(func() { unix.Close(ln) })
		if err := unix.Bind(ln, &unix.SockaddrVM{CID: unix.VMADDR_CID_ANY, Port: port}); err != nil {
			t.Fatalf("host vsock bind to port %d: %v", port, err)
		}
		if err := unix.Listen(ln, 8); err != nil {
			t.Fatal(err)
		}
	} else {
		t.Logf("the host has no vsock (%v): only the sandbox's side is checked", err)
		ln = -1
	}

	r := testenv.InNetbox(t, 30*time.Second, nil, "python3", "-c", vsockPy, fmt.Sprint(port), fmt.Sprint(own))
	if r.Code != 0 {
		t.Fatalf("python3 exited %d\nstdout:\n%s\nstderr:\n%s", r.Code, r.Stdout, r.Stderr)
	}
	want := fmt.Sprintf("1 ENODEV\n2 ENODEV\n%d ENODEV\nbind EADDRNOTAVAIL", own)
	if got := strings.TrimSpace(r.Stdout); got != want {
		t.Errorf("vsock inside the sandbox:\ngot:\n%s\nwant:\n%s", got, want)
	}
	if ln >= 0 {
		if nfd, _, err := unix.Accept4(ln, unix.SOCK_CLOEXEC); err == nil {
			unix.Close(nfd)
			t.Errorf("the host's vsock listener on port %d accepted a connection: the sandbox reached it", port)
		} else if err != unix.EAGAIN {
			t.Errorf("accept on the host's vsock listener: %v", err)
		}
	}
}
