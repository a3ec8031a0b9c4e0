package vswitch

import (
	"bytes"
	"net/netip"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

func startSwitch(t *testing.T, cfg Config) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "sw.sock")
	sw, err := Listen(path, cfg)
	if err != nil {
		t.Fatal(err)
	}
	go sw.Serve()
	t.Cleanup(sw.Close)
	return path
}

func join(t *testing.T, path, name, ip string) *Member {
	t.Helper()
	m, err := Join(path, name, ip)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { unix.Close(m.FD) })
	tv := unix.NsecToTimeval((200 * time.Millisecond).Nanoseconds())
	unix.SetsockoptTimeval(m.FD, unix.SOL_SOCKET, unix.SO_RCVTIMEO, &tv)
	return m
}

// frame is an Ethernet frame from src to dst (even: unicast; 0xff:
// broadcast) of type typ.
func frame(dst, src byte, typ uint16, payload string) []byte {
	f := []byte{dst, 0, 0, 0, 0, dst, src, 0, 0, 0, 0, src, byte(typ >> 8), byte(typ)}
	if dst == 0xff {
		copy(f[:6], []byte{0xff, 0xff, 0xff, 0xff, 0xff, 0xff})
	}
	// Behind an (empty) virtio-net header.
	return append(append(make([]byte, vnetHdrLen), f...), payload...)
}

// recv is the next frame m gets, or nil after 200 ms.
func recv(m *Member) []byte {
	buf := make([]byte, 2048)
	n, err := unix.Read(m.FD, buf)
	if err != nil || n <= 0 {
		return nil
	}
	return buf[:n]
}

func TestAddresses(t *testing.T) {
	path := startSwitch(t, Config{Subnet: netip.MustParsePrefix("10.9.0.0/29"), Subnet6: netip.MustParsePrefix("fd00:9::/64")})
	a := join(t, path, "", "")
	if a.IP.String() != "10.9.0.2/29" || a.IP6.String() != "fd00:9::2/64" || a.Name != "10.9.0.2" || a.MTU != DefaultMTU {
		t.Errorf("first member: %+v", a)
	}
	b := join(t, path, "b", "10.9.0.5")
	if b.IP.String() != "10.9.0.5/29" || b.IP6.String() != "fd00:9::5/64" {
		t.Errorf("asked-for address: %+v", b)
	}
	for _, bad := range []struct{ name, ip, want string }{
		{"c", "10.9.0.5", "taken"},
		{"c", "10.9.0.7", "not a host address"},
		{"c", "10.9.0.0", "not a host address"},
		{"c", "10.9.1.3", "not a host address"},
		{"c", "10.9.0.3/24", "prefix is"},
		{"c", "x", "want an IPv4 address"},
		{"b", "", "already"},
		{"a:b", "", "member name"},
	} {
		if _, err := Join(path, bad.name, bad.ip); err == nil || !strings.Contains(err.Error(), bad.want) {
			t.Errorf("join %q %q: %v, want %q", bad.name, bad.ip, err, bad.want)
		}
	}
	join(t, path, "c", "")
	join(t, path, "d", "")
	join(t, path, "e", "")
	if _, err := Join(path, "f", ""); err == nil || !strings.Contains(err.Error(), "no free address") {
		t.Errorf("a /29 holds five members: %v", err)
	}
}

func TestForwarding(t *testing.T) {
	path := startSwitch(t, Config{Subnet: DefaultSubnet})
	a, b, c := join(t, path, "a", ""), join(t, path, "b", ""), join(t, path, "c", "")
	send := func(m *Member, f []byte) {
		if _, err := unix.Write(m.FD, f); err != nil {
			t.Fatal(err)
		}
	}
	// Unknown destination: flooded to every other member.
	f1 := frame(0x0c, 0x0a, 0x0800, "to b, unknown yet")
	send(a, f1)
	if !bytes.Equal(recv(b), f1) || !bytes.Equal(recv(c), f1) {
		t.Fatal("an unknown destination is not flooded")
	}
	if recv(a) != nil {
		t.Error("the sender got its own frame back")
	}
	// b answers a, whom the switch learned: only a gets it.
	f2 := frame(0x0a, 0x0c, 0x0800, "to a, learned")
	send(b, f2)
	if !bytes.Equal(recv(a), f2) {
		t.Fatal("a learned destination got nothing")
	}
	if recv(c) != nil {
		t.Error("a frame for a learned destination was flooded")
	}
	// Broadcast reaches all others.
	f3 := frame(0xff, 0x0e, 0x0806, "arp")
	send(c, f3)
	if !bytes.Equal(recv(a), f3) || !bytes.Equal(recv(b), f3) {
		t.Error("a broadcast did not reach every other member")
	}
	// A partition between a and b stops IP but not ARP.
	if _, err := Ctl(path, []string{"partition", "a", "b"}); err != nil {
		t.Fatal(err)
	}
	send(a, frame(0x0c, 0x0a, 0x0800, "cut"))
	if got := recv(b); got != nil {
		t.Errorf("a frame crossed a partition: %q", got)
	}
	arp := frame(0x0c, 0x0a, 0x0806, "arp across")
	send(a, arp)
	if !bytes.Equal(recv(b), arp) {
		t.Error("ARP did not cross a partition")
	}
	send(a, frame(0x0e, 0x0a, 0x0800, "to c"))
	if recv(c) == nil {
		t.Error("a partition of a and b stopped a's frames to c")
	}
	out, err := Ctl(path, []string{"show"})
	if err != nil || !strings.Contains(out, "partition a | b") || !strings.Contains(out, "member c 10.89.0.4/24") {
		t.Errorf("show: %q %v", out, err)
	}
	if _, err := Ctl(path, []string{"heal"}); err != nil {
		t.Fatal(err)
	}
	f4 := frame(0x0c, 0x0a, 0x0800, "healed")
	send(a, f4)
	if !bytes.Equal(recv(b), f4) {
		t.Error("healing did not restore the path")
	}
	// A member that leaves is forgotten: frames for it are flooded again.
	unix.Close(b.FD)
	b.FD = -1
	time.Sleep(50 * time.Millisecond)
	f5 := frame(0x0c, 0x0a, 0x0800, "b left")
	send(a, f5)
	if !bytes.Equal(recv(c), f5) {
		t.Error("frames for a member that left are not flooded")
	}
}

func TestFaults(t *testing.T) {
	path := startSwitch(t, Config{Subnet: DefaultSubnet, Seed: 3})
	if _, err := Ctl(path, []string{"fault", "b:in:down"}); err != nil {
		t.Fatal(err) // before b joins
	}
	a, b := join(t, path, "a", ""), join(t, path, "b", "")
	unix.Write(a.FD, frame(0x0c, 0x0a, 0x0800, "dropped"))
	if got := recv(b); got != nil {
		t.Errorf("b's port is down, yet it got %q", got)
	}
	unix.Write(a.FD, frame(0x0c, 0x0a, 0x0806, "arp"))
	if recv(b) == nil {
		t.Error("ARP did not pass a port that is down")
	}
	out, err := Ctl(path, []string{"fault", "b:in:up"})
	if err != nil || !strings.Contains(out, "b: out none; in none") {
		t.Errorf("fault b:in:up: %q %v", out, err)
	}
	for _, bad := range [][]string{{"fault", "loss=1%"}, {"fault", "b:sideways:loss=1%"}, {"fault", "b:loss=300%"}, {"partition", "a"}, {"bogus"}, {}} {
		if _, err := Ctl(path, bad); err == nil {
			t.Errorf("%q: no error", bad)
		}
	}
}
