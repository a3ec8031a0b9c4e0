package netstack

import (
	"net/netip"
	"testing"

	"golang.org/x/sys/unix"
)

func ap(s string) netip.AddrPort { return netip.MustParseAddrPort(s) }

func TestForFamily(t *testing.T) {
	for _, tc := range []struct {
		family int
		in     netip.AddrPort
		want   netip.AddrPort
	}{
		{afInet6, ap("127.0.0.1:80"), ap("[::ffff:127.0.0.1]:80")},
		{afInet, ap("[::ffff:127.0.0.1]:80"), ap("127.0.0.1:80")},
		{afInet6, ap("[::1]:53"), ap("[::1]:53")},
		{afInet, ap("127.0.0.2:1"), ap("127.0.0.2:1")},
		{afInet6, netip.AddrPortFrom(netip.Addr{}, 7), ap("[::]:7")},
	} {
		if got := forFamily(tc.family, tc.in); got != tc.want {
			t.Errorf("forFamily(%d, %v) = %v, want %v", tc.family, tc.in, got, tc.want)
		}
	}
}

func TestIsLocalAndLoopbackFor(t *testing.T) {
	local := []string{"127.0.0.1", "127.1.2.3", "::1", "0.0.0.0", "::", "::ffff:127.0.0.1"}
	for _, s := range local {
		if !defaultLocalAddrs.isLocal(netip.MustParseAddr(s)) {
			t.Errorf("isLocal(%s) = false", s)
		}
	}
	for _, s := range []string{"10.0.0.1", "8.8.8.8", "2001:db8::1", "169.254.169.254"} {
		if defaultLocalAddrs.isLocal(netip.MustParseAddr(s)) {
			t.Errorf("isLocal(%s) = true: the sandbox has lo only", s)
		}
	}
	if got := loopbackFor(netip.MustParseAddr("127.9.9.9")); got != netip.MustParseAddr("127.0.0.1") {
		t.Errorf("loopbackFor(127.9.9.9) = %v", got)
	}
	if got := loopbackFor(netip.MustParseAddr("::ffff:127.0.0.5")); got != netip.MustParseAddr("127.0.0.1") {
		t.Errorf("loopbackFor(v4-mapped) = %v", got)
	}
	if got := loopbackFor(netip.MustParseAddr("::1")); got != netip.IPv6Loopback() {
		t.Errorf("loopbackFor(::1) = %v", got)
	}
}

// TestCheckBindAddr: inet_bind/inet6_bind's address checks.
func TestCheckBindAddr(t *testing.T) {
	st := &Stack{} // lo's addresses only
	v4 := &Socket{Family: afInet, st: st, sk: &Sock{}}
	v6 := &Socket{Family: afInet6, st: st, sk: &Sock{}}
	v6only := &Socket{Family: afInet6, st: st, sk: &Sock{v6only: true}}
	for _, tc := range []struct {
		name string
		s    *Socket
		a    Addr
		want error
	}{
		{"v4 loopback", v4, Addr{Family: unix.AF_INET, AddrPort: ap("127.0.0.1:0")}, nil},
		{"v4 any of 127/8", v4, Addr{Family: unix.AF_INET, AddrPort: ap("127.3.2.1:9")}, nil},
		{"v4 wildcard", v4, Addr{Family: unix.AF_INET, AddrPort: ap("0.0.0.0:0")}, nil},
		{"v4 AF_UNSPEC any", v4, Addr{Family: unix.AF_UNSPEC, AddrPort: ap("0.0.0.0:0")}, nil},
		{"v4 AF_UNSPEC loopback", v4, Addr{Family: unix.AF_UNSPEC, AddrPort: ap("127.0.0.1:0")}, unix.EAFNOSUPPORT},
		{"v4 foreign", v4, Addr{Family: unix.AF_INET, AddrPort: ap("10.1.2.3:0")}, unix.EADDRNOTAVAIL},
		{"v4 given v6", v4, Addr{Family: unix.AF_INET6, AddrPort: ap("[::1]:0")}, unix.EAFNOSUPPORT},
		{"v6 loopback", v6, Addr{Family: unix.AF_INET6, AddrPort: ap("[::1]:0")}, nil},
		{"v6 mapped", v6, Addr{Family: unix.AF_INET6, AddrPort: ap("[::ffff:127.0.0.1]:0")}, nil},
		{"v6only mapped", v6only, Addr{Family: unix.AF_INET6, AddrPort: ap("[::ffff:127.0.0.1]:0")}, unix.EINVAL},
		{"v6 foreign", v6, Addr{Family: unix.AF_INET6, AddrPort: ap("[2001:db8::1]:0")}, unix.EADDRNOTAVAIL},
		{"v4 multicast", v4, Addr{Family: unix.AF_INET, AddrPort: ap("224.0.0.1:0")}, nil},
		{"v4 limited broadcast", v4, Addr{Family: unix.AF_INET, AddrPort: ap("255.255.255.255:0")}, nil},
		{"v6 link-local multicast without interface", v6, Addr{Family: unix.AF_INET6, AddrPort: ap("[ff02::1]:0")}, unix.EINVAL},
		{"v4 port 80", v4, Addr{Family: unix.AF_INET, AddrPort: ap("127.0.0.1:80")}, nil},
	} {
		if got := checkBindAddr(tc.s, tc.a, privileged(true)); got != tc.want {
			t.Errorf("%s: checkBindAddr = %v, want %v", tc.name, got, tc.want)
		}
	}
	// __inet_bind: ports below 1024 need CAP_NET_BIND_SERVICE.
	for _, tc := range []struct {
		a    string
		want error
	}{{"127.0.0.1:80", unix.EACCES}, {"127.0.0.1:1023", unix.EACCES}, {"127.0.0.1:1024", nil}, {"127.0.0.1:0", nil}} {
		if got := checkBindAddr(v4, Addr{Family: unix.AF_INET, AddrPort: ap(tc.a)}, privileged(false)); got != tc.want {
			t.Errorf("unprivileged bind %s = %v, want %v", tc.a, got, tc.want)
		}
	}
}

// privileged is a Caller with every capability or none.
type privileged bool

func (p privileged) Tid() int       { return 0 }
func (p privileged) UID() uint32    { return 0 }
func (p privileged) Groups() Groups { return Groups{} }

func (p privileged) Capable(int) bool { return bool(p) }

// TestLocalAddrs: an IPv4 address on lo makes its prefix local, with the
// address as the source for the prefix; IPv6 addresses are local alone.
func TestLocalAddrs(t *testing.T) {
	l := &localAddrs{
		v4: []netip.Prefix{netip.MustParsePrefix("127.0.0.1/8"), netip.MustParsePrefix("10.1.1.1/24")},
		v6: []netip.Addr{netip.IPv6Loopback(), netip.MustParseAddr("2001:db8::1")},
	}
	for _, c := range []struct {
		ip, src string
		local   bool
	}{
		{"10.1.1.1", "10.1.1.1", true},
		{"10.1.1.7", "10.1.1.1", true},
		{"::ffff:10.1.1.7", "::ffff:10.1.1.1", true},
		{"127.0.0.9", "127.0.0.1", true},
		{"10.1.2.1", "", false},
		{"2001:db8::1", "2001:db8::1", true},
		{"2001:db8::2", "", false},
		{"::1", "::1", true},
	} {
		ip := netip.MustParseAddr(c.ip)
		if got := l.isLocal(ip); got != c.local {
			t.Errorf("isLocal(%s) = %v, want %v", ip, got, c.local)
		}
		if c.local {
			if got := l.sourceFor(ip); got != netip.MustParseAddr(c.src) {
				t.Errorf("sourceFor(%s) = %s, want %s", ip, got, c.src)
			}
		}
	}
}
