package abi

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"net/netip"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/netbox-sandbox/netbox/netstack/sockaddr"
)

// The expected results in this file are Linux's (x86-64), checked against
// the kernel source (net/socket.c, lib/iov_iter.c, net/ipv4/af_inet.c,
// net/ipv6/af_inet6.c, net/core/sock.c) and against a 6.18 kernel. Tests
// whose name ends in "Linux" pin a case where abi is known to differ from
// Linux; see the comment on each.

// region is one mapping of fakeMem.
type region struct {
	base     uint64
	data     []byte
	readOnly bool
}

// fakeMem is a Memory with a few mapped regions. An access must lie wholly
// inside one region, otherwise it gives EFAULT and does nothing; an access
// of zero bytes always succeeds (copy_{from,to}_user of 0 bytes never
// faults). It counts the writes it is asked to do.
type fakeMem struct {
	regions []*region
	writes  []memWrite
	reads   int
}

type memWrite struct {
	addr uint64
	n    int
}

func newMem() *fakeMem { return &fakeMem{} }

// mapRegion maps data (not copied) at base and returns the region.
func (m *fakeMem) mapRegion(base uint64, data []byte) *region {
	for _, o := range m.regions {
		if base < o.base+uint64(len(o.data)) && o.base < base+uint64(len(data)) {
			panic(fmt.Sprintf("fake memory: %#x+%d overlaps %#x+%d", base, len(data), o.base, len(o.data)))
		}
	}
	r := &region{base: base, data: data}
	m.regions = append(m.regions, r)
	return r
}

// mapZero maps size zero bytes at base.
func (m *fakeMem) mapZero(base uint64, size int) *region {
	return m.mapRegion(base, make([]byte, size))
}

func (m *fakeMem) find(addr uint64, n int) (*region, int, bool) {
	end := addr + uint64(n)
	if end < addr { // wraps around the address space
		return nil, 0, false
	}
	for _, r := range m.regions {
		rend := r.base + uint64(len(r.data))
		if addr >= r.base && end <= rend {
			return r, int(addr - r.base), true
		}
	}
	return nil, 0, false
}

func (m *fakeMem) ReadMem(addr uint64, p []byte) error {
	m.reads++
	if len(p) == 0 {
		return nil
	}
	r, off, ok := m.find(addr, len(p))
	if !ok {
		return unix.EFAULT
	}
	copy(p, r.data[off:])
	return nil
}

func (m *fakeMem) WriteMem(addr uint64, p []byte) error {
	if len(p) == 0 {
		return nil
	}
	r, off, ok := m.find(addr, len(p))
	if !ok || r.readOnly {
		return unix.EFAULT
	}
	copy(r.data[off:], p)
	m.writes = append(m.writes, memWrite{addr, len(p)})
	return nil
}

// bytesAt reads n bytes at addr or fails the test.
func (m *fakeMem) bytesAt(t testing.TB, addr uint64, n int) []byte {
	t.Helper()
	b := make([]byte, n)
	if err := m.ReadMem(addr, b); err != nil {
		t.Fatalf("fake memory: reading %d bytes at %#x: %v", n, addr, err)
	}
	return b
}

func (m *fakeMem) u32At(t testing.TB, addr uint64) uint32 {
	return binary.LittleEndian.Uint32(m.bytesAt(t, addr, 4))
}

func (m *fakeMem) putU32(t testing.TB, addr uint64, v uint32) {
	t.Helper()
	var b [4]byte
	binary.LittleEndian.PutUint32(b[:], v)
	if err := m.WriteMem(addr, b[:]); err != nil {
		t.Fatalf("fake memory: writing at %#x: %v", addr, err)
	}
}

// Addresses used throughout. unmapped is in user space but never mapped;
// kernelAddr is in the kernel half, which access_ok always refuses.
const (
	regA       = 0x10000
	regB       = 0x20000
	regC       = 0x40000
	unmapped   = 0x90000
	kernelAddr = 0xffff_8000_0000_0000
)

func errName(err error) string {
	if err == nil {
		return "nil"
	}
	var e unix.Errno
	if errors.As(err, &e) {
		return unix.ErrnoName(e)
	}
	return err.Error()
}

func wantErr(t *testing.T, what string, got, want error) {
	t.Helper()
	if got != want {
		t.Errorf("%s: error %s, want %s", what, errName(got), errName(want))
	}
}

func TestFakeMem(t *testing.T) {
	m := newMem()
	m.mapRegion(regA, []byte{1, 2, 3, 4})
	b := make([]byte, 4)
	wantErr(t, "whole region", m.ReadMem(regA, b), nil)
	wantErr(t, "past the end", m.ReadMem(regA+1, b), unix.EFAULT)
	wantErr(t, "before the start", m.ReadMem(regA-1, b), unix.EFAULT)
	wantErr(t, "unmapped", m.ReadMem(unmapped, b), unix.EFAULT)
	wantErr(t, "wrap-around", m.ReadMem(^uint64(0)-1, b), unix.EFAULT)
	wantErr(t, "empty read", m.ReadMem(unmapped, nil), nil)
	wantErr(t, "write past the end", m.WriteMem(regA+2, b[:3]), unix.EFAULT)
	if len(m.writes) != 0 {
		t.Errorf("failed writes recorded: %v", m.writes)
	}
}

// sockaddrIn builds a sockaddr_in.
func sockaddrIn(family uint16, ap netip.AddrPort) []byte {
	b := make([]byte, SizeofSockaddrInet4)
	binary.LittleEndian.PutUint16(b, family)
	binary.BigEndian.PutUint16(b[2:], ap.Port())
	a := ap.Addr().As4()
	copy(b[4:], a[:])
	return b
}

// sockaddrIn6 builds a sockaddr_in6 of length n (24 or 28).
func sockaddrIn6(family uint16, ap netip.AddrPort, flow, scope uint32, n int) []byte {
	b := make([]byte, SizeofSockaddrInet6)
	binary.LittleEndian.PutUint16(b, family)
	binary.BigEndian.PutUint16(b[2:], ap.Port())
	binary.LittleEndian.PutUint32(b[4:], flow)
	a := ap.Addr().As16()
	copy(b[8:], a[:])
	binary.LittleEndian.PutUint32(b[24:], scope)
	return b[:n]
}

// familyOnly is a buffer of n bytes whose sa_family is f.
func familyOnly(f uint16, n int) []byte {
	b := make([]byte, n)
	if n >= 2 {
		binary.LittleEndian.PutUint16(b, f)
	}
	for i := 2; i < n; i++ {
		b[i] = byte(i)
	}
	return b
}

func TestCopyInSockaddr(t *testing.T) {
	m := newMem()
	img := make([]byte, 256)
	for i := range img {
		img[i] = byte(i + 1)
	}
	m.mapRegion(regA, img)
	// A 16-byte region whose last 8 bytes would be needed for a 24-byte
	// sockaddr.
	m.mapRegion(regB, img[:16])

	for _, tc := range []struct {
		name    string
		addr    uint64
		addrlen uint64
		want    []byte
		err     error
	}{
		// move_addr_to_kernel: ulen == 0 returns before any copy, so
		// even a bad pointer is not an error there (the protocol's own
		// length check then gives EINVAL).
		{"len 0", regA, 0, nil, nil},
		{"len 0 NULL", 0, 0, nil, nil},
		{"len 0 unmapped", unmapped, 0, nil, nil},
		{"len 1", regA, 1, img[:1], nil},
		{"len 16", regA, 16, img[:16], nil},
		{"len 28", regA, 28, img[:28], nil},
		{"len 128", regA, 128, img[:128], nil},
		{"len 128 at offset", regA + 100, 128, img[100:228], nil},
		{"len 129", regA, 129, nil, unix.EINVAL},
		{"len 4096", regA, 4096, nil, unix.EINVAL},
		{"len -1", regA, 0xffffffff, nil, unix.EINVAL},
		{"len INT_MIN", regA, 0x80000000, nil, unix.EINVAL},
		{"len -1 sign-extended", regA, ^uint64(0), nil, unix.EINVAL},
		// The syscall argument is an int: the upper 32 bits of the
		// register are ignored.
		{"len 16 with upper bits", regA, 1<<32 | 16, img[:16], nil},
		{"len 129 checked before pointer", unmapped, 129, nil, unix.EINVAL},
		{"len -1 checked before pointer", 0, 0xffffffff, nil, unix.EINVAL},
		{"unmapped", unmapped, 16, nil, unix.EFAULT},
		{"NULL", 0, 16, nil, unix.EFAULT},
		{"kernel address", kernelAddr, 16, nil, unix.EFAULT},
		{"partly mapped", regB, 24, nil, unix.EFAULT},
		{"exactly mapped", regB, 16, img[:16], nil},
		{"partly mapped at end", regA + 250, 16, nil, unix.EFAULT},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b, err := CopyInSockaddr(m, tc.addr, tc.addrlen)
			wantErr(t, "CopyInSockaddr", err, tc.err)
			if !bytes.Equal(b, tc.want) {
				t.Errorf("CopyInSockaddr = %x, want %x", b, tc.want)
			}
			if err == nil && len(b) != len(tc.want) {
				t.Errorf("len = %d, want %d", len(b), len(tc.want))
			}
		})
	}
}

func TestFamily(t *testing.T) {
	for _, tc := range []struct {
		b    []byte
		want uint16
	}{
		{nil, unix.AF_UNSPEC},
		{[]byte{2}, unix.AF_UNSPEC},
		{[]byte{2, 0}, unix.AF_INET},
		{[]byte{10, 0, 9, 9}, unix.AF_INET6},
		{[]byte{0x11, 0x22}, 0x2211},
	} {
		if got := Family(tc.b); got != tc.want {
			t.Errorf("Family(%x) = %d, want %d", tc.b, got, tc.want)
		}
	}
}

var (
	lo4     = netip.MustParseAddrPort("127.0.0.1:8080")
	any4    = netip.MustParseAddrPort("0.0.0.0:0")
	lo6     = netip.MustParseAddrPort("[::1]:443")
	ll6     = netip.MustParseAddrPort("[fe80::1:2:3:4]:53")
	mapped6 = netip.MustParseAddrPort("[::ffff:127.0.0.1]:9999")
	high4   = netip.MustParseAddrPort("255.254.253.252:65535")
)

type parseCase struct {
	name   string
	family int // the socket's
	b      []byte
	err    error
	// When err is nil:
	wantFamily uint16
	checkAddr  bool
	addr       netip.AddrPort
	flow       uint32
	scope      uint32
}

func runParseCases(t *testing.T, cases []parseCase) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			in := bytes.Clone(tc.b)
			a, err := ParseInet(tc.family, tc.b)
			if !bytes.Equal(in, tc.b) {
				t.Errorf("ParseInet modified its input")
			}
			wantErr(t, "ParseInet", err, tc.err)
			if err != nil || tc.err != nil {
				return
			}
			if a.Family != tc.wantFamily {
				t.Errorf("Family = %d, want %d", a.Family, tc.wantFamily)
			}
			if !tc.checkAddr {
				return
			}
			if a.Addr != tc.addr {
				t.Errorf("Addr = %v, want %v", a.Addr, tc.addr)
			}
			if a.FlowInfo != tc.flow {
				t.Errorf("FlowInfo = %#x, want %#x", a.FlowInfo, tc.flow)
			}
			if a.ScopeID != tc.scope {
				t.Errorf("ScopeID = %d, want %d", a.ScopeID, tc.scope)
			}
		})
	}
}

// TestParseInet covers the cases where the socket's family and the
// sockaddr's agree, AF_UNSPEC, and foreign families given with a length
// the socket accepts.
func TestParseInet(t *testing.T) {
	long4 := append(sockaddrIn(unix.AF_INET, lo4), make([]byte, 112)...) // 128 bytes
	long4[20] = 0xee                                                     // bytes past sockaddr_in are ignored
	v6full := sockaddrIn6(unix.AF_INET6, ll6, 0x12345, 7, 28)
	v6long := append(bytes.Clone(v6full), make([]byte, 100)...) // 128 bytes
	inet := unix.AF_INET
	inet6 := unix.AF_INET6

	runParseCases(t, []parseCase{
		// AF_INET socket (inet_bind: addr_len < sizeof(sockaddr_in) is
		// EINVAL, then sin_family != AF_INET is EAFNOSUPPORT except
		// for AF_UNSPEC).
		{name: "inet/inet 16", family: inet, b: sockaddrIn(unix.AF_INET, lo4), wantFamily: unix.AF_INET, checkAddr: true, addr: lo4},
		{name: "inet/inet 16 any", family: inet, b: sockaddrIn(unix.AF_INET, any4), wantFamily: unix.AF_INET, checkAddr: true, addr: any4},
		{name: "inet/inet 16 high", family: inet, b: sockaddrIn(unix.AF_INET, high4), wantFamily: unix.AF_INET, checkAddr: true, addr: high4},
		{name: "inet/inet 128", family: inet, b: long4, wantFamily: unix.AF_INET, checkAddr: true, addr: lo4},
		{name: "inet/inet 15", family: inet, b: sockaddrIn(unix.AF_INET, lo4)[:15], err: unix.EINVAL},
		{name: "inet/inet 8", family: inet, b: sockaddrIn(unix.AF_INET, lo4)[:8], err: unix.EINVAL},
		{name: "inet/inet 2", family: inet, b: sockaddrIn(unix.AF_INET, lo4)[:2], err: unix.EINVAL},
		{name: "inet/len 1", family: inet, b: []byte{2}, err: unix.EINVAL},
		{name: "inet/len 0", family: inet, b: nil, err: unix.EINVAL},
		{name: "inet/len 0 non-nil", family: inet, b: []byte{}, err: unix.EINVAL},
		// AF_UNSPEC: the address is decoded so that bind can accept
		// it when it is INADDR_ANY.
		{name: "inet/unspec 16 any", family: inet, b: sockaddrIn(unix.AF_UNSPEC, any4), wantFamily: unix.AF_UNSPEC, checkAddr: true, addr: any4},
		{name: "inet/unspec 16 lo", family: inet, b: sockaddrIn(unix.AF_UNSPEC, lo4), wantFamily: unix.AF_UNSPEC, checkAddr: true, addr: lo4},
		{name: "inet/unspec 15", family: inet, b: sockaddrIn(unix.AF_UNSPEC, lo4)[:15], err: unix.EINVAL},
		// Foreign families with a long enough buffer: returned with
		// their Family (the caller says EAFNOSUPPORT).
		{name: "inet/inet6 28", family: inet, b: sockaddrIn6(unix.AF_INET6, lo6, 0, 0, 28), wantFamily: unix.AF_INET6},
		{name: "inet/inet6 24", family: inet, b: sockaddrIn6(unix.AF_INET6, lo6, 0, 0, 24), wantFamily: unix.AF_INET6},
		{name: "inet/unix 16", family: inet, b: familyOnly(unix.AF_UNIX, 16), wantFamily: unix.AF_UNIX},
		{name: "inet/unix 110", family: inet, b: familyOnly(unix.AF_UNIX, 110), wantFamily: unix.AF_UNIX},
		{name: "inet/packet 20", family: inet, b: familyOnly(unix.AF_PACKET, 20), wantFamily: unix.AF_PACKET},
		{name: "inet/0xffff 16", family: inet, b: familyOnly(0xffff, 16), wantFamily: 0xffff},

		// AF_INET6 socket (inet6_bind: addr_len < SIN6_LEN_RFC2133 is
		// EINVAL, then sin6_family != AF_INET6 is EAFNOSUPPORT).
		{name: "inet6/inet6 28", family: inet6, b: v6full, wantFamily: unix.AF_INET6, checkAddr: true, addr: ll6, flow: 0x12345, scope: 7},
		{name: "inet6/inet6 128", family: inet6, b: v6long, wantFamily: unix.AF_INET6, checkAddr: true, addr: ll6, flow: 0x12345, scope: 7},
		// SIN6_LEN_RFC2133: no sin6_scope_id, read as 0.
		{name: "inet6/inet6 24", family: inet6, b: v6full[:24], wantFamily: unix.AF_INET6, checkAddr: true, addr: ll6, flow: 0x12345},
		{name: "inet6/inet6 27", family: inet6, b: v6full[:27], wantFamily: unix.AF_INET6, checkAddr: true, addr: ll6, flow: 0x12345},
		{name: "inet6/inet6 23", family: inet6, b: v6full[:23], err: unix.EINVAL},
		{name: "inet6/inet6 16", family: inet6, b: v6full[:16], err: unix.EINVAL},
		{name: "inet6/inet6 2", family: inet6, b: v6full[:2], err: unix.EINVAL},
		{name: "inet6/len 1", family: inet6, b: []byte{10}, err: unix.EINVAL},
		{name: "inet6/len 0", family: inet6, b: nil, err: unix.EINVAL},
		{name: "inet6/loopback", family: inet6, b: sockaddrIn6(unix.AF_INET6, lo6, 0, 0, 28), wantFamily: unix.AF_INET6, checkAddr: true, addr: lo6},
		// v4-mapped addresses stay 16-byte addresses.
		{name: "inet6/v4-mapped", family: inet6, b: sockaddrIn6(unix.AF_INET6, mapped6, 0, 0, 28), wantFamily: unix.AF_INET6, checkAddr: true, addr: mapped6},
		{name: "inet6/unspec 28", family: inet6, b: familyOnly(unix.AF_UNSPEC, 28), wantFamily: unix.AF_UNSPEC},
		{name: "inet6/unix 110", family: inet6, b: familyOnly(unix.AF_UNIX, 110), wantFamily: unix.AF_UNIX},
		{name: "inet6/unix 24", family: inet6, b: familyOnly(unix.AF_UNIX, 24), wantFamily: unix.AF_UNIX},
		// An AF_INET sockaddr of full AF_INET6 length (the datagram
		// send path hands it to the v4 code; bind/connect say
		// EAFNOSUPPORT).
		{name: "inet6/inet 28", family: inet6, b: append(sockaddrIn(unix.AF_INET, lo4), make([]byte, 12)...), wantFamily: unix.AF_INET, checkAddr: true, addr: lo4},
		// netbox's datagram send path parses an AF_INET sockaddr on an
		// AF_INET6 socket as AF_INET (udpv6_sendmsg -> udp_sendmsg,
		// which needs 16 bytes).
		{name: "inet-as-send/inet 16", family: inet, b: sockaddrIn(unix.AF_INET, lo4), wantFamily: unix.AF_INET, checkAddr: true, addr: lo4},
	})

	t.Run("v4-mapped unmaps", func(t *testing.T) {
		a, err := ParseInet(unix.AF_INET6, sockaddrIn6(unix.AF_INET6, mapped6, 0, 0, 28))
		if err != nil {
			t.Fatal(err)
		}
		if !a.Addr.Addr().Is4In6() || a.Addr.Addr().Unmap() != netip.MustParseAddr("127.0.0.1") {
			t.Errorf("Addr = %v, want ::ffff:127.0.0.1", a.Addr)
		}
	})
	t.Run("v4 address is 4-byte", func(t *testing.T) {
		a, err := ParseInet(unix.AF_INET, sockaddrIn(unix.AF_INET, lo4))
		if err != nil {
			t.Fatal(err)
		}
		if !a.Addr.Addr().Is4() {
			t.Errorf("Addr %v is not an IPv4 address", a.Addr)
		}
	})
}

// TestParseInetLengthBeforeFamilyLinux: Linux checks the length against
// the socket's family before it looks at sa_family (inet_bind,
// tcp_v4_connect, __ip4_datagram_connect, udp_sendmsg: addr_len <
// sizeof(struct sockaddr_in) -> EINVAL; inet6_bind, tcp_v6_connect:
// addr_len < SIN6_LEN_RFC2133 -> EINVAL; only then sa_family ->
// EAFNOSUPPORT). ParseInet checks the length for the sockaddr's family
// instead, so (checked on Linux 6.18):
//
//	bind(AF_INET sock, {AF_INET6}, 20)   Linux EAFNOSUPPORT, abi EINVAL
//	bind(AF_INET sock, {AF_UNIX}, 10)    Linux EINVAL, abi "AF_UNIX" (-> EAFNOSUPPORT)
//	bind(AF_INET6 sock, {AF_UNIX}, 10)   Linux EINVAL, abi "AF_UNIX" (-> EAFNOSUPPORT)
//	bind(AF_INET6 sock, {AF_INET}, 16)   Linux EINVAL, abi "AF_INET" (-> EAFNOSUPPORT)
//	connect(AF_INET6 tcp, {AF_INET}, 16) Linux EINVAL, same
//
// (The AF_INET-on-AF_INET6 datagram cases, where Linux takes the v4 path,
// are the caller's: it passes AF_INET as the family for them.)
func TestParseInetLengthBeforeFamilyLinux(t *testing.T) {
	inet := unix.AF_INET
	inet6 := unix.AF_INET6
	runParseCases(t, []parseCase{
		{name: "inet/inet6 20 is EAFNOSUPPORT not EINVAL", family: inet, b: sockaddrIn6(unix.AF_INET6, lo6, 0, 0, 28)[:20], wantFamily: unix.AF_INET6},
		{name: "inet/inet6 16 is EAFNOSUPPORT not EINVAL", family: inet, b: sockaddrIn6(unix.AF_INET6, lo6, 0, 0, 28)[:16], wantFamily: unix.AF_INET6},
		{name: "inet/inet6 15 is EINVAL", family: inet, b: sockaddrIn6(unix.AF_INET6, lo6, 0, 0, 28)[:15], err: unix.EINVAL},
		{name: "inet/unix 10 is EINVAL", family: inet, b: familyOnly(unix.AF_UNIX, 10), err: unix.EINVAL},
		{name: "inet/unix 2 is EINVAL", family: inet, b: familyOnly(unix.AF_UNIX, 2), err: unix.EINVAL},
		{name: "inet6/unix 10 is EINVAL", family: inet6, b: familyOnly(unix.AF_UNIX, 10), err: unix.EINVAL},
		{name: "inet6/unix 23 is EINVAL", family: inet6, b: familyOnly(unix.AF_UNIX, 23), err: unix.EINVAL},
		{name: "inet6/unspec 16 is EINVAL", family: inet6, b: familyOnly(unix.AF_UNSPEC, 16), err: unix.EINVAL},
		{name: "inet6/inet 16 is EINVAL", family: inet6, b: sockaddrIn(unix.AF_INET, lo4), err: unix.EINVAL},
		{name: "inet6/inet 23 is EINVAL", family: inet6, b: append(sockaddrIn(unix.AF_INET, lo4), 0, 0, 0, 0, 0, 0, 0), err: unix.EINVAL},
	})
}

func TestMarshalInet(t *testing.T) {
	for _, tc := range []struct {
		family int
		in     netip.AddrPort
		want   netip.AddrPort // what ParseInet reads back
	}{
		{unix.AF_INET, lo4, lo4},
		{unix.AF_INET, any4, any4},
		{unix.AF_INET, high4, high4},
		{unix.AF_INET, netip.MustParseAddrPort("10.1.2.3:1"), netip.MustParseAddrPort("10.1.2.3:1")},
		// A v4-mapped address is reported as the IPv4 address.
		{unix.AF_INET, mapped6, netip.MustParseAddrPort("127.0.0.1:9999")},
		// Not representable: the unspecified address, port kept.
		{unix.AF_INET, lo6, netip.MustParseAddrPort("0.0.0.0:443")},
		{unix.AF_INET, netip.AddrPort{}, any4},
		{unix.AF_INET6, lo6, lo6},
		{unix.AF_INET6, ll6, ll6},
		{unix.AF_INET6, mapped6, mapped6},
		{unix.AF_INET6, netip.MustParseAddrPort("[2001:db8::ffff:1]:65535"), netip.MustParseAddrPort("[2001:db8::ffff:1]:65535")},
		// An IPv4 address on an AF_INET6 socket is reported v4-mapped.
		{unix.AF_INET6, lo4, netip.MustParseAddrPort("[::ffff:127.0.0.1]:8080")},
		{unix.AF_INET6, netip.AddrPort{}, netip.MustParseAddrPort("[::]:0")},
	} {
		t.Run(fmt.Sprintf("%d/%v", tc.family, tc.in), func(t *testing.T) {
			b := sockaddr.Inet(tc.family, tc.in)
			wantLen, wantFam := SizeofSockaddrInet4, uint16(unix.AF_INET)
			if tc.family == unix.AF_INET6 {
				wantLen, wantFam = SizeofSockaddrInet6, unix.AF_INET6
			}
			if len(b) != wantLen {
				t.Fatalf("len = %d, want %d", len(b), wantLen)
			}
			if Family(b) != wantFam {
				t.Errorf("family = %d, want %d", Family(b), wantFam)
			}
			if tc.family == unix.AF_INET {
				if !bytes.Equal(b[8:], make([]byte, 8)) {
					t.Errorf("sin_zero = %x, want zeros", b[8:])
				}
			} else if !bytes.Equal(b[4:8], make([]byte, 4)) || !bytes.Equal(b[24:], make([]byte, 4)) {
				t.Errorf("flowinfo/scope_id = %x/%x, want zeros", b[4:8], b[24:])
			}
			a, err := ParseInet(tc.family, b)
			if err != nil {
				t.Fatalf("ParseInet: %v", err)
			}
			if a.Family != wantFam || a.Addr != tc.want {
				t.Errorf("round trip = %d %v, want %d %v", a.Family, a.Addr, wantFam, tc.want)
			}
		})
	}
	// Exact bytes, network byte order for port and address.
	if got, want := sockaddr.Inet(unix.AF_INET, lo4), []byte{2, 0, 0x1f, 0x90, 127, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0}; !bytes.Equal(got, want) {
		t.Errorf("sockaddr.Inet(127.0.0.1:8080) = %x, want %x", got, want)
	}
}

func TestCopyOutSockaddr(t *testing.T) {
	sa := sockaddr.Inet(unix.AF_INET6, ll6) // 28 bytes
	const fill = 0xAA

	type setup struct {
		m       *fakeMem
		buf     *region
		lenR    *region
		addr    uint64
		lenPtr  uint64
		initLen uint32
	}
	mk := func(bufLen int, l uint32) setup {
		m := newMem()
		buf := m.mapRegion(regA, bytes.Repeat([]byte{fill}, bufLen))
		lr := m.mapZero(regB, 8)
		binary.LittleEndian.PutUint32(lr.data, l)
		return setup{m: m, buf: buf, lenR: lr, addr: regA, lenPtr: regB, initLen: l}
	}
	check := func(t *testing.T, s setup, wantWritten int, wantLen uint32) {
		t.Helper()
		for i, c := range s.buf.data {
			if i < wantWritten && c != sa[i] {
				t.Fatalf("byte %d = %#x, want %#x", i, c, sa[i])
			}
			if i >= wantWritten && c != fill {
				t.Fatalf("byte %d written (=%#x): only %d should be", i, c, wantWritten)
			}
		}
		if got := binary.LittleEndian.Uint32(s.lenR.data); got != wantLen {
			t.Errorf("*addrlen = %d, want %d", got, wantLen)
		}
		if !bytes.Equal(s.lenR.data[4:], make([]byte, 4)) {
			t.Errorf("wrote past the 4-byte addrlen: %x", s.lenR.data)
		}
	}

	t.Run("fits", func(t *testing.T) {
		s := mk(128, 128)
		wantErr(t, "CopyOutSockaddr", CopyOutSockaddr(s.m, s.addr, s.lenPtr, sa), nil)
		check(t, s, 28, 28)
	})
	t.Run("exact", func(t *testing.T) {
		s := mk(28, 28)
		wantErr(t, "CopyOutSockaddr", CopyOutSockaddr(s.m, s.addr, s.lenPtr, sa), nil)
		check(t, s, 28, 28)
	})
	t.Run("truncated", func(t *testing.T) {
		// The user's buffer is only 10 bytes long and ends a
		// mapping: writing more would fault.
		s := mk(10, 10)
		wantErr(t, "CopyOutSockaddr", CopyOutSockaddr(s.m, s.addr, s.lenPtr, sa), nil)
		check(t, s, 10, 28) // "fromlen shall refer to the value before truncation"
	})
	t.Run("len 1", func(t *testing.T) {
		s := mk(16, 1)
		wantErr(t, "CopyOutSockaddr", CopyOutSockaddr(s.m, s.addr, s.lenPtr, sa), nil)
		check(t, s, 1, 28)
	})
	t.Run("len 0 bad buffer", func(t *testing.T) {
		s := mk(16, 0)
		wantErr(t, "CopyOutSockaddr", CopyOutSockaddr(s.m, unmapped, s.lenPtr, sa), nil)
		check(t, s, 0, 28)
	})
	t.Run("negative", func(t *testing.T) {
		s := mk(128, 0xffffffff)
		wantErr(t, "CopyOutSockaddr", CopyOutSockaddr(s.m, s.addr, s.lenPtr, sa), unix.EINVAL)
		check(t, s, 0, 0xffffffff)
		if len(s.m.writes) != 0 {
			t.Errorf("writes %v", s.m.writes)
		}
	})
	t.Run("INT_MIN", func(t *testing.T) {
		s := mk(128, 0x80000000)
		wantErr(t, "CopyOutSockaddr", CopyOutSockaddr(s.m, s.addr, s.lenPtr, sa), unix.EINVAL)
		check(t, s, 0, 0x80000000)
	})
	t.Run("huge positive", func(t *testing.T) {
		s := mk(28, 0x7fffffff)
		wantErr(t, "CopyOutSockaddr", CopyOutSockaddr(s.m, s.addr, s.lenPtr, sa), nil)
		check(t, s, 28, 28)
	})
	t.Run("bad lenPtr", func(t *testing.T) {
		s := mk(128, 128)
		wantErr(t, "CopyOutSockaddr", CopyOutSockaddr(s.m, s.addr, unmapped, sa), unix.EFAULT)
		check(t, s, 0, 128)
	})
	t.Run("lenPtr partly mapped", func(t *testing.T) {
		s := mk(128, 128)
		wantErr(t, "CopyOutSockaddr", CopyOutSockaddr(s.m, s.addr, regB+6, sa), unix.EFAULT)
		check(t, s, 0, 128)
	})
	t.Run("bad addr", func(t *testing.T) {
		// move_addr_to_user: copy_to_user fails -> EFAULT before
		// the length is stored.
		s := mk(128, 128)
		wantErr(t, "CopyOutSockaddr", CopyOutSockaddr(s.m, unmapped, s.lenPtr, sa), unix.EFAULT)
		check(t, s, 0, 128)
	})
	t.Run("addr partly mapped", func(t *testing.T) {
		s := mk(20, 128) // user claims 128, only 20 are mapped
		wantErr(t, "CopyOutSockaddr", CopyOutSockaddr(s.m, s.addr, s.lenPtr, sa), unix.EFAULT)
		check(t, s, 0, 128)
	})
	t.Run("lenPtr read-only", func(t *testing.T) {
		s := mk(128, 128)
		s.lenR.readOnly = true
		wantErr(t, "CopyOutSockaddr", CopyOutSockaddr(s.m, s.addr, s.lenPtr, sa), unix.EFAULT)
	})
	t.Run("NULL addr", func(t *testing.T) {
		// getsockname(fd, NULL, &len): move_addr_to_user copies
		// nothing when len is 0 and stores the full length; with
		// room claimed the copy to NULL faults. (accept and recvfrom
		// skip the call for a NULL address.)
		s := mk(128, 0)
		wantErr(t, "CopyOutSockaddr(NULL, len 0)", CopyOutSockaddr(s.m, 0, s.lenPtr, sa), nil)
		check(t, s, 0, uint32(len(sa)))
		s = mk(128, 16)
		wantErr(t, "CopyOutSockaddr(NULL, len 16)", CopyOutSockaddr(s.m, 0, s.lenPtr, sa), unix.EFAULT)
		check(t, s, 0, 16)
		s = mk(128, 0xffffffff)
		wantErr(t, "CopyOutSockaddr(NULL, len -1)", CopyOutSockaddr(s.m, 0, s.lenPtr, sa), unix.EINVAL)
	})
	t.Run("empty sockaddr", func(t *testing.T) {
		// No address to report (e.g. TCP recvfrom): *addrlen = 0.
		s := mk(128, 128)
		wantErr(t, "CopyOutSockaddr", CopyOutSockaddr(s.m, s.addr, s.lenPtr, nil), nil)
		check(t, s, 0, 0)
	})
	t.Run("v4", func(t *testing.T) {
		m := newMem()
		buf := m.mapZero(regA, 16)
		m.mapZero(regB, 4)
		m.putU32(t, regB, 16)
		wantErr(t, "CopyOutSockaddr", CopyOutSockaddr(m, regA, regB, sockaddr.Inet(unix.AF_INET, lo4)), nil)
		if !bytes.Equal(buf.data, sockaddr.Inet(unix.AF_INET, lo4)) || m.u32At(t, regB) != 16 {
			t.Errorf("got %x len %d", buf.data, m.u32At(t, regB))
		}
	})
}

func TestWriteU32(t *testing.T) {
	m := newMem()
	r := m.mapZero(regA, 6)
	wantErr(t, "WriteU32", WriteU32(m, regA+1, 0x11223344), nil)
	if want := []byte{0, 0x44, 0x33, 0x22, 0x11, 0}; !bytes.Equal(r.data, want) {
		t.Errorf("memory = %x, want %x", r.data, want)
	}
	wantErr(t, "partly mapped", WriteU32(m, regA+3, 1), unix.EFAULT)
	wantErr(t, "unmapped", WriteU32(m, unmapped, 1), unix.EFAULT)
}

// msghdrBytes lays out a user_msghdr with every padding byte set to pad.
func msghdrBytes(h Msghdr, pad byte) []byte {
	b := bytes.Repeat([]byte{pad}, SizeofMsghdr)
	le := binary.LittleEndian
	le.PutUint64(b[0:], h.Name)
	le.PutUint32(b[8:], h.NameLen)
	le.PutUint64(b[16:], h.Iov)
	le.PutUint64(b[24:], h.IovLen)
	le.PutUint64(b[32:], h.Control)
	le.PutUint64(b[40:], h.ControlLen)
	le.PutUint32(b[48:], uint32(h.Flags))
	return b
}

func TestMsghdrLayout(t *testing.T) {
	if SizeofMsghdr != 56 || SizeofMmsghdr != 64 {
		t.Errorf("SizeofMsghdr = %d, SizeofMmsghdr = %d; want 56, 64", SizeofMsghdr, SizeofMmsghdr)
	}
	if int(SizeofMsghdr) != int(unix.SizeofMsghdr) {
		t.Errorf("SizeofMsghdr = %d, x/sys/unix says %d", SizeofMsghdr, unix.SizeofMsghdr)
	}
}

func TestReadMsghdr(t *testing.T) {
	want := Msghdr{
		Name:       0x1111111111111111,
		NameLen:    0x22222222,
		Iov:        0x3333333333333333,
		IovLen:     0x4444444444444444,
		Control:    0x5555555555555555,
		ControlLen: 0x6666666666666666,
		Flags:      -0x77777778, // 0x88888888
	}
	img := append(make([]byte, 8), msghdrBytes(want, 0xEE)...)
	m := newMem()
	m.mapRegion(regA, img)
	got, err := ReadMsghdr(m, regA+8)
	wantErr(t, "ReadMsghdr", err, nil)
	if got != want {
		t.Errorf("ReadMsghdr =\n %+v, want\n %+v", got, want)
	}

	// Fields one by one, to pin the offsets.
	for _, f := range []struct {
		off, size int
		get       func(Msghdr) uint64
	}{
		{0, 8, func(h Msghdr) uint64 { return h.Name }},
		{8, 4, func(h Msghdr) uint64 { return uint64(h.NameLen) }},
		{16, 8, func(h Msghdr) uint64 { return h.Iov }},
		{24, 8, func(h Msghdr) uint64 { return h.IovLen }},
		{32, 8, func(h Msghdr) uint64 { return h.Control }},
		{40, 8, func(h Msghdr) uint64 { return h.ControlLen }},
		{48, 4, func(h Msghdr) uint64 { return uint64(uint32(h.Flags)) }},
	} {
		b := make([]byte, SizeofMsghdr)
		for i := 0; i < f.size; i++ {
			b[f.off+i] = byte(0x10 + i)
		}
		m := newMem()
		m.mapRegion(regA, b)
		h, err := ReadMsghdr(m, regA)
		if err != nil {
			t.Fatal(err)
		}
		var wantV uint64
		for i := f.size - 1; i >= 0; i-- {
			wantV = wantV<<8 | uint64(0x10+i)
		}
		if f.get(h) != wantV {
			t.Errorf("field at %d = %#x, want %#x (msghdr %+v)", f.off, f.get(h), wantV, h)
		}
		h2 := h
		// Every other field is zero.
		switch f.off {
		case 0:
			h2.Name = 0
		case 8:
			h2.NameLen = 0
		case 16:
			h2.Iov = 0
		case 24:
			h2.IovLen = 0
		case 32:
			h2.Control = 0
		case 40:
			h2.ControlLen = 0
		case 48:
			h2.Flags = 0
		}
		if h2 != (Msghdr{}) {
			t.Errorf("bytes at %d leaked into other fields: %+v", f.off, h)
		}
	}

	m2 := newMem()
	m2.mapRegion(regA, make([]byte, SizeofMsghdr-1))
	_, err = ReadMsghdr(m2, regA)
	wantErr(t, "55 bytes mapped", err, unix.EFAULT)
	_, err = ReadMsghdr(m2, unmapped)
	wantErr(t, "unmapped", err, unix.EFAULT)
	_, err = ReadMsghdr(m2, 0)
	wantErr(t, "NULL", err, unix.EFAULT)
	_, err = ReadMsghdr(m2, ^uint64(0)-8)
	wantErr(t, "wraps", err, unix.EFAULT)
}

func TestWriteMsgResult(t *testing.T) {
	h := Msghdr{Name: 1, NameLen: 2, Iov: 3, IovLen: 4, Control: 5, ControlLen: 6, Flags: 7}
	orig := msghdrBytes(h, 0xEE)
	img := append(append([]byte{0xCC, 0xCC}, orig...), 0xCC, 0xCC)
	m := newMem()
	r := m.mapRegion(regA, img)
	wantErr(t, "WriteMsgResult", WriteMsgResult(m, regA+2, 16, 0x123456789, -2), nil)
	got, err := ReadMsghdr(m, regA+2)
	if err != nil {
		t.Fatal(err)
	}
	want := h
	want.NameLen, want.ControlLen, want.Flags = 16, 0x123456789, -2
	if got != want {
		t.Errorf("after WriteMsgResult %+v, want %+v", got, want)
	}
	// Nothing else changed: not the padding after msg_namelen (12..16)
	// or after msg_flags (52..56), not the bytes around.
	for i, c := range r.data {
		off := i - 2
		inField := (off >= 8 && off < 12) || (off >= 40 && off < 52)
		if !inField && c != img[i] && i < len(img) {
			t.Errorf("byte at offset %d changed to %#x", off, c)
		}
	}
	if r.data[0] != 0xCC || r.data[1] != 0xCC || r.data[len(r.data)-1] != 0xCC || r.data[len(r.data)-2] != 0xCC {
		t.Errorf("wrote outside the msghdr: %x", r.data)
	}
	for _, o := range []int{12, 13, 14, 15, 52, 53, 54, 55} {
		if r.data[2+o] != 0xEE {
			t.Errorf("padding byte %d changed", o)
		}
	}

	m2 := newMem()
	m2.mapZero(regA, 50) // msg_flags partly unmapped
	wantErr(t, "msg_flags unmapped", WriteMsgResult(m2, regA, 1, 2, 3), unix.EFAULT)
	wantErr(t, "unmapped", WriteMsgResult(m2, unmapped, 1, 2, 3), unix.EFAULT)
}

// iovecBytes lays out struct iovec[].
func iovecBytes(iov ...Iovec) []byte {
	b := make([]byte, 16*len(iov))
	for i, v := range iov {
		binary.LittleEndian.PutUint64(b[16*i:], v.Base)
		binary.LittleEndian.PutUint64(b[16*i+8:], v.Len)
	}
	return b
}

func TestReadIovecs(t *testing.T) {
	readIov := func(t *testing.T, iov []Iovec, n uint64) ([]Iovec, error) {
		t.Helper()
		m := newMem()
		m.mapRegion(regA, iovecBytes(iov...))
		return ReadIovecs(m, regA, n)
	}
	t.Run("simple", func(t *testing.T) {
		in := []Iovec{{regB, 10}, {0, 0}, {regB + 100, 5}}
		got, err := readIov(t, in, 3)
		wantErr(t, "ReadIovecs", err, nil)
		if fmt.Sprint(got) != fmt.Sprint(in) {
			t.Errorf("got %v, want %v", got, in)
		}
		if TotalLen(got) != 15 {
			t.Errorf("TotalLen = %d", TotalLen(got))
		}
	})
	t.Run("prefix", func(t *testing.T) {
		got, err := readIov(t, []Iovec{{regB, 1}, {regB, 2}, {regB, 3}}, 2)
		wantErr(t, "ReadIovecs", err, nil)
		if len(got) != 2 || got[1].Len != 2 {
			t.Errorf("got %v", got)
		}
	})
	t.Run("zero count", func(t *testing.T) {
		m := newMem()
		got, err := ReadIovecs(m, unmapped, 0)
		wantErr(t, "ReadIovecs(unmapped, 0)", err, nil)
		if len(got) != 0 {
			t.Errorf("got %v", got)
		}
		_, err = ReadIovecs(m, 0, 0)
		wantErr(t, "ReadIovecs(NULL, 0)", err, nil)
	})
	t.Run("UIO_MAXIOV", func(t *testing.T) {
		in := make([]Iovec, UIOMaxIOV+1)
		for i := range in {
			in[i] = Iovec{regB + uint64(i), 1}
		}
		got, err := readIov(t, in, UIOMaxIOV)
		wantErr(t, "1024", err, nil)
		if len(got) != UIOMaxIOV || TotalLen(got) != UIOMaxIOV {
			t.Errorf("got %d iovecs, total %d", len(got), TotalLen(got))
		}
		_, err = readIov(t, in, UIOMaxIOV+1)
		wantErr(t, "1025", err, unix.EMSGSIZE)
		m := newMem()
		for _, n := range []uint64{UIOMaxIOV + 1, 1 << 32, 1<<60 + 1, 1 << 63, ^uint64(0)} {
			_, err = ReadIovecs(m, unmapped, n)
			wantErr(t, fmt.Sprintf("%#x unmapped", n), err, unix.EMSGSIZE)
		}
	})
	t.Run("negative length", func(t *testing.T) {
		for _, l := range []uint64{1 << 63, ^uint64(0), 0x8000000000000001} {
			_, err := readIov(t, []Iovec{{regB, 1}, {regB, l}}, 2)
			wantErr(t, fmt.Sprintf("len %#x", l), err, unix.EINVAL)
		}
	})
	t.Run("fault", func(t *testing.T) {
		m := newMem()
		m.mapRegion(regA, iovecBytes(Iovec{regB, 1}, Iovec{regB, 1})[:31])
		_, err := ReadIovecs(m, regA, 2)
		wantErr(t, "array partly mapped", err, unix.EFAULT)
		_, err = ReadIovecs(m, unmapped, 1)
		wantErr(t, "unmapped", err, unix.EFAULT)
		_, err = ReadIovecs(m, 0, 1)
		wantErr(t, "NULL", err, unix.EFAULT)
	})
	t.Run("clamp total", func(t *testing.T) {
		// __import_iovec: a segment that would take the total past
		// MAX_RW_COUNT is cut, later ones become empty.
		in := []Iovec{{0x1000_0000, 0x6000_0000}, {0x2000_0000, 0x6000_0000}, {0x3000_0000, 5}, {0x3000_0000, 0}}
		got, err := readIov(t, in, uint64(len(in)))
		wantErr(t, "ReadIovecs", err, nil)
		want := []Iovec{{0x1000_0000, 0x6000_0000}, {0x2000_0000, MaxRWCount - 0x6000_0000}, {0x3000_0000, 0}, {0x3000_0000, 0}}
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("got %x, want %x", got, want)
		}
		if TotalLen(got) != MaxRWCount {
			t.Errorf("TotalLen = %#x, want %#x", TotalLen(got), MaxRWCount)
		}
	})
	t.Run("clamp one", func(t *testing.T) {
		// writev of one 2 GiB iovec writes 0x7ffff000 bytes.
		got, err := readIov(t, []Iovec{{0x1000, 0x8000_0000}}, 1)
		wantErr(t, "ReadIovecs", err, nil)
		if len(got) != 1 || got[0].Len != MaxRWCount {
			t.Errorf("got %x", got)
		}
	})
	t.Run("exactly MAX_RW_COUNT", func(t *testing.T) {
		got, err := readIov(t, []Iovec{{0x1000, MaxRWCount - 1}, {0x1000, 1}, {0x1000, 1}}, 3)
		wantErr(t, "ReadIovecs", err, nil)
		if TotalLen(got) != MaxRWCount || got[2].Len != 0 {
			t.Errorf("got %x", got)
		}
	})
}

// TestReadIovecsAccessOKLinux: __import_iovec checks every segment with
// access_ok(iov_base, iov_len) on the unclamped length before it clamps,
// and fails the whole call with EFAULT; copy_iovec_from_user reads the
// array one entry at a time, so a negative length is EINVAL even when a
// later entry is unreadable. Checked on Linux 6.18 with writev to
// /dev/null (same import_iovec as sendmsg/recvmsg):
//
//	{buf, 1<<62}                    -> EFAULT (abi: clamped, no error)
//	{0xffff800000000000, 1}         -> EFAULT (abi: no error)
//	{0xffff800000000000, 0}         -> EFAULT (abi: no error)
//	{buf, -1}, {buf, 1}, <unmapped> -> EINVAL (abi: EFAULT)
//
// The access_ok failure matters for recvmsg: Linux fails before it takes
// data off the socket, netbox only when Scatter faults after it has.
func TestReadIovecsAccessOKLinux(t *testing.T) {
	for _, tc := range []struct {
		name string
		iov  []Iovec
		n    uint64
		mapN int // iovec array bytes mapped
		err  error
	}{
		{"len 1<<62", []Iovec{{regB, 1 << 62}}, 1, 16, unix.EFAULT},
		{"base+len wraps", []Iovec{{regB, 1<<63 - 1}}, 1, 16, unix.EFAULT},
		{"second segment too long", []Iovec{{regB, 10}, {regB, 1<<62 + 5}}, 2, 32, unix.EFAULT},
		{"kernel base", []Iovec{{kernelAddr, 1}}, 1, 16, unix.EFAULT},
		{"kernel base len 0", []Iovec{{kernelAddr, 0}}, 1, 16, unix.EFAULT},
		{"top of address space", []Iovec{{^uint64(0) - 15, 16}}, 1, 16, unix.EFAULT},
		{"negative before unmapped entry", []Iovec{{regB, ^uint64(0)}, {regB, 1}, {regB, 1}}, 3, 32, unix.EINVAL},
		// Sanity: in user space and under MAX_RW_COUNT is fine.
		{"user space", []Iovec{{0x7f00_0000_0000, 0x1000}}, 1, 16, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m := newMem()
			m.mapRegion(regA, iovecBytes(tc.iov...)[:tc.mapN])
			_, err := ReadIovecs(m, regA, tc.n)
			wantErr(t, "ReadIovecs", err, tc.err)
		})
	}
}

func TestTotalLen(t *testing.T) {
	if TotalLen(nil) != 0 {
		t.Error("TotalLen(nil) != 0")
	}
	if got := TotalLen([]Iovec{{1, 2}, {3, 0}, {5, 7}}); got != 9 {
		t.Errorf("TotalLen = %d, want 9", got)
	}
}

// gatherSetup maps two data regions and returns memory whose iovec list
// spans both, with empty entries, one of them with a bad base.
func gatherSetup() (*fakeMem, *region, *region, []Iovec) {
	m := newMem()
	a := m.mapRegion(regA, []byte("ABCDEFGHIJKLMNOP"))
	b := m.mapRegion(regB, []byte("abcdefghijklmnopqrstuvwxyz"))
	iov := []Iovec{
		{regA, 3},      // ABC
		{unmapped, 0},  // empty, bad base: never touched
		{regB + 5, 4},  // fghi
		{regA + 10, 0}, // empty
		{0, 0},         // empty NULL
		{regB + 20, 6}, // uvwxyz
		{regA + 15, 1}, // P
	}
	return m, a, b, iov
}

func TestGather(t *testing.T) {
	m, _, _, iov := gatherSetup()
	const all = "ABCfghiuvwxyzP"
	for _, max := range []int{0, 1, 3, 4, 7, 8, 13, 14, 15, 1 << 16} {
		got, err := Gather(m, iov, max)
		wantErr(t, fmt.Sprintf("Gather max %d", max), err, nil)
		want := all[:min(max, len(all))]
		if string(got) != want {
			t.Errorf("Gather max %d = %q, want %q", max, got, want)
		}
	}
	if got, err := Gather(m, nil, 100); err != nil || len(got) != 0 {
		t.Errorf("Gather(nil) = %q, %v", got, err)
	}

	// A bad base in a segment that is needed faults...
	bad := append([]Iovec{}, iov[:3]...)
	bad = append(bad, Iovec{unmapped, 4}, Iovec{regA, 2})
	if _, err := Gather(m, bad, 1<<16); err != unix.EFAULT {
		t.Errorf("bad base: error %s, want EFAULT", errName(err))
	}
	// ...even when only its first byte is needed.
	if _, err := Gather(m, bad, 8); err != unix.EFAULT {
		t.Errorf("bad base, first byte: error %s, want EFAULT", errName(err))
	}
	// A segment running off its mapping faults.
	if _, err := Gather(m, []Iovec{{regA + 10, 10}}, 100); err != unix.EFAULT {
		t.Errorf("segment past mapping: error %s, want EFAULT", errName(err))
	}
	// But only the bytes wanted are read: the cap stops before the bad
	// segment, or inside the good part of a segment.
	if got, err := Gather(m, bad, 7); err != nil || string(got) != "ABCfghi" {
		t.Errorf("bad base past the cap: %q, %v", got, err)
	}
	if got, err := Gather(m, []Iovec{{regA + 10, 10}}, 6); err != nil || string(got) != "KLMNOP" {
		t.Errorf("capped inside the mapping: %q, %v", got, err)
	}
}

func TestScatter(t *testing.T) {
	data := []byte("0123456789abcdefghij")
	reset := func() (*fakeMem, *region, *region, []Iovec) {
		m, a, b, iov := gatherSetup()
		for i := range a.data {
			a.data[i] = '.'
		}
		for i := range b.data {
			b.data[i] = '.'
		}
		return m, a, b, iov
	}
	t.Run("all", func(t *testing.T) {
		m, a, b, iov := reset()
		n, err := Scatter(m, iov, data)
		wantErr(t, "Scatter", err, nil)
		if n != 14 {
			t.Errorf("n = %d, want 14 (TotalLen)", n)
		}
		if string(a.data) != "012............d" {
			t.Errorf("region A = %q", a.data)
		}
		if string(b.data) != ".....3456...........789abc" {
			t.Errorf("region B = %q", b.data)
		}
		got, _ := Gather(m, iov, 100)
		if string(got) != string(data[:14]) {
			t.Errorf("Gather after Scatter = %q", got)
		}
	})
	t.Run("short data", func(t *testing.T) {
		m, a, b, iov := reset()
		n, err := Scatter(m, iov, data[:5])
		wantErr(t, "Scatter", err, nil)
		if n != 5 {
			t.Errorf("n = %d, want 5", n)
		}
		if string(a.data) != "012............." || string(b.data) != ".....34..................." {
			t.Errorf("regions %q %q", a.data, b.data)
		}
	})
	t.Run("empty", func(t *testing.T) {
		m, _, _, iov := reset()
		if n, err := Scatter(m, iov, nil); n != 0 || err != nil {
			t.Errorf("Scatter(nil data) = %d, %v", n, err)
		}
		if n, err := Scatter(m, nil, data); n != 0 || err != nil {
			t.Errorf("Scatter(nil iov) = %d, %v", n, err)
		}
		if len(m.writes) != 0 {
			t.Errorf("writes %v", m.writes)
		}
	})
	t.Run("bad base", func(t *testing.T) {
		m, a, _, iov := reset()
		bad := append([]Iovec{}, iov[:3]...) // ABC, empty bad, fghi
		bad = append(bad, Iovec{unmapped, 4}, Iovec{regA + 4, 2})
		n, err := Scatter(m, bad, data)
		wantErr(t, "Scatter", err, unix.EFAULT)
		if n != 7 {
			t.Errorf("n = %d, want 7 (copied before the fault)", n)
		}
		if a.data[4] != '.' {
			t.Errorf("wrote past the faulting segment: %q", a.data)
		}
		// The data ends before the bad segment: no fault.
		m, _, _, _ = reset()
		n, err = Scatter(m, bad, data[:7])
		if n != 7 || err != nil {
			t.Errorf("data ending before the bad segment: %d, %v", n, err)
		}
	})
	t.Run("read-only", func(t *testing.T) {
		m, a, _, iov := reset()
		a.readOnly = true
		n, err := Scatter(m, iov, data)
		if n != 0 || err != unix.EFAULT {
			t.Errorf("Scatter into read-only = %d, %s", n, errName(err))
		}
	})
}

// TestOptval: NewOptval checks optlen (an int: negative is EINVAL, before
// the pointer is looked at); Read copies the bytes an option needs, no
// more than optlen, EFAULT when they are unreadable.
func TestOptval(t *testing.T) {
	m := newMem()
	img := make([]byte, 1<<16+100)
	for i := range img {
		img[i] = byte(i * 7)
	}
	m.mapRegion(regA, img)
	const regB = regC
	m.mapRegion(regB, []byte{1, 0, 0, 0})

	for _, tc := range []struct {
		name   string
		addr   uint64
		optlen uint64
		read   int
		want   []byte
		err    error
	}{
		{"int", regB, 4, 4, []byte{1, 0, 0, 0}, nil},
		{"short optlen", regB, 2, 4, nil, unix.EINVAL},
		{"zero", regB, 0, 0, []byte{}, nil},
		// optlen 0 never touches optval.
		{"zero NULL", 0, 0, 0, []byte{}, nil},
		{"zero unmapped", unmapped, 0, 0, []byte{}, nil},
		{"negative", regB, 0xffffffff, 4, nil, unix.EINVAL},
		{"INT_MIN", regB, 0x80000000, 4, nil, unix.EINVAL},
		{"negative checked before pointer", unmapped, 0xfffffffc, 4, nil, unix.EINVAL},
		// optlen is an int: upper register bits are ignored.
		{"upper bits", regB, 1<<32 | 4, 4, []byte{1, 0, 0, 0}, nil},
		{"upper bits negative", regB, 0xffffffff_ffffffff, 4, nil, unix.EINVAL},
		{"unmapped", unmapped, 4, 4, nil, unix.EFAULT},
		{"NULL", 0, 4, 4, nil, unix.EFAULT},
		{"64 KiB", regA, 1 << 16, 1 << 16, img[:1<<16], nil},
		{"partly mapped", regA + 1<<16, 200, 200, nil, unix.EFAULT},
	} {
		t.Run(tc.name, func(t *testing.T) {
			v, err := NewOptval(m, tc.addr, tc.optlen)
			var b []byte
			if err == nil {
				if tc.read > v.Len() {
					err = unix.EINVAL
				} else {
					b, err = v.Read(tc.read)
				}
			}
			wantErr(t, "Optval", err, tc.err)
			if !bytes.Equal(b, tc.want) || (err == nil && len(b) != len(tc.want)) {
				t.Errorf("Optval.Read = %x (len %d), want %x (len %d)", b, len(b), tc.want, len(tc.want))
			}
		})
	}
}

// TestOptvalOversizedLinux: setsockopt copies only what the option needs
// (sk_setsockopt/do_ip_setsockopt/do_tcp_setsockopt read sizeof(int) for
// an int option), so an optlen larger than the readable buffer is fine on
// Linux: setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, p, 1000) with p the last
// 4 bytes of a mapping returns 0 (checked on 6.18).
func TestOptvalOversizedLinux(t *testing.T) {
	m := newMem()
	m.mapRegion(regB, []byte{1, 0, 0, 0})
	v, err := NewOptval(m, regB, 1000)
	wantErr(t, "NewOptval(optlen 1000)", err, nil)
	b, err := v.Read(4)
	wantErr(t, "Read(4) of 4 readable bytes, optlen 1000", err, nil)
	if err == nil && !bytes.Equal(b, []byte{1, 0, 0, 0}) {
		t.Errorf("value = %x, want 01000000", b)
	}
}

func TestReadOptlen(t *testing.T) {
	m := newMem()
	m.mapZero(regB, 8)
	for _, tc := range []struct {
		v    uint32
		want int
		err  error
	}{
		{4, 4, nil},
		{0, 0, nil},
		{1, 1, nil},
		{0x7fffffff, 0x7fffffff, nil},
		{0xffffffff, 0, unix.EINVAL},
		{0x80000000, 0, unix.EINVAL},
	} {
		m.putU32(t, regB, tc.v)
		got, err := ReadOptlen(m, regB)
		wantErr(t, fmt.Sprintf("ReadOptlen(%#x)", tc.v), err, tc.err)
		if err == nil && got != tc.want {
			t.Errorf("ReadOptlen(%#x) = %d, want %d", tc.v, got, tc.want)
		}
	}
	_, err := ReadOptlen(m, unmapped)
	wantErr(t, "unmapped", err, unix.EFAULT)
	_, err = ReadOptlen(m, regB+5)
	wantErr(t, "partly mapped", err, unix.EFAULT)
	_, err = ReadOptlen(m, 0)
	wantErr(t, "NULL", err, unix.EFAULT)
}

func TestWriteOptval(t *testing.T) {
	val := []byte{0x11, 0x22, 0x33, 0x44}
	mk := func() (*fakeMem, *region, *region) {
		m := newMem()
		buf := m.mapRegion(regA, bytes.Repeat([]byte{0xAA}, 8))
		lr := m.mapRegion(regB, bytes.Repeat([]byte{0xBB}, 8))
		return m, buf, lr
	}
	for _, tc := range []struct {
		name    string
		optlen  int
		val     []byte
		written int
	}{
		{"exact", 4, val, 4},
		{"bigger buffer", 8, val, 4},
		{"huge buffer", 0x7fffffff, val, 4},
		// Truncated like sk_getsockopt's lenout: len = min(len, lv).
		{"truncated", 2, val, 2},
		{"one", 1, val, 1},
		{"zero", 0, val, 0},
		{"empty value", 8, nil, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m, buf, lr := mk()
			wantErr(t, "WriteOptval", WriteOptval(m, regA, regB, tc.optlen, tc.val), nil)
			want := bytes.Repeat([]byte{0xAA}, 8)
			copy(want, tc.val[:tc.written])
			if !bytes.Equal(buf.data, want) {
				t.Errorf("optval = %x, want %x", buf.data, want)
			}
			if got := binary.LittleEndian.Uint32(lr.data); got != uint32(tc.written) {
				t.Errorf("*optlen = %d, want %d", got, tc.written)
			}
			if !bytes.Equal(lr.data[4:], []byte{0xBB, 0xBB, 0xBB, 0xBB}) {
				t.Errorf("wrote past *optlen: %x", lr.data)
			}
		})
	}
	t.Run("zero optlen bad optval", func(t *testing.T) {
		m, _, lr := mk()
		wantErr(t, "WriteOptval", WriteOptval(m, unmapped, regB, 0, val), nil)
		if binary.LittleEndian.Uint32(lr.data) != 0 {
			t.Errorf("*optlen = %x", lr.data[:4])
		}
	})
	t.Run("bad optval", func(t *testing.T) {
		m, _, lr := mk()
		wantErr(t, "WriteOptval", WriteOptval(m, unmapped, regB, 4, val), unix.EFAULT)
		if lr.data[0] != 0xBB {
			t.Errorf("*optlen written after a fault")
		}
	})
	t.Run("optval partly mapped", func(t *testing.T) {
		m, _, _ := mk()
		wantErr(t, "WriteOptval", WriteOptval(m, regA+6, regB, 4, val), unix.EFAULT)
	})
	t.Run("bad optlen pointer", func(t *testing.T) {
		m, _, _ := mk()
		wantErr(t, "WriteOptval", WriteOptval(m, regA, unmapped, 4, val), unix.EFAULT)
	})
}
