package netstack

import (
	"encoding/binary"
	"testing"

	"golang.org/x/sys/unix"
)

// optBytes is an Optval over a Go slice; Len may claim more than it holds
// (the rest is unreadable, EFAULT). Its caller has every capability
// unless unprivileged.
type optBytes struct {
	b            []byte
	len          int
	unprivileged bool
}

func (o optBytes) Len() int                    { return o.len }
func (o optBytes) Capable(capability int) bool { return !o.unprivileged }
func (o optBytes) Tid() int                    { return 0 }
func (o optBytes) UID() uint32                 { return 0 }
func (o optBytes) Groups() Groups              { return Groups{} }
func (o optBytes) Read(n int) ([]byte, error) {
	if n > o.len {
		return nil, unix.EINVAL
	}
	if n > len(o.b) {
		return nil, unix.EFAULT
	}
	return o.b[:n], nil
}

func intOpt(v int32) optBytes {
	b := make([]byte, 4)
	binary.LittleEndian.PutUint32(b, uint32(v))
	return optBytes{b: b, len: 4}
}

// newTestSocket is a TCP socket with a unix stream socket as its
// placeholder (closed when the test ends).
func newTestSocket(t *testing.T, typ int) (*Socket, int) {
	t.Helper()
	fd, err := unix.Socket(unix.AF_UNIX, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { unix.Close(fd) })
	return &Socket{Family: afInet, Type: typ, Protocol: unix.IPPROTO_TCP, sk: &Sock{opts: defaultSockOpts(typ)}}, fd
}

func getInt(t *testing.T, s *Socket, f, level, name int) int32 {
	t.Helper()
	b, err := s.getSockOpt(f, level, name, 4)
	if err != nil {
		t.Fatalf("getsockopt(%d, %d): %v", level, name, err)
	}
	return int32(binary.LittleEndian.Uint32(b))
}

// TestSockBufDoubling: sk_setsockopt doubles SO_RCVBUF/SO_SNDBUF, clamps
// to {r,w}mem_max first (a negative value counts as huge) and keeps the
// minimums.
func TestSockBufDoubling(t *testing.T) {
	s, f := newTestSocket(t, unix.SOCK_STREAM)
	for _, tc := range []struct {
		name int
		set  int32
		want int32
	}{
		{unix.SO_RCVBUF, 4096, 8192},
		{unix.SO_SNDBUF, 4096, 8192},
		{unix.SO_RCVBUF, 1, sockMinRcvbuf},
		{unix.SO_SNDBUF, 0, sockMinSndbuf},
		{unix.SO_RCVBUF, -1, int32(2 * rmemMax)},
		{unix.SO_SNDBUF, 1 << 30, int32(2 * wmemMax)},
	} {
		if err := s.setSockOpt(f, unix.SOL_SOCKET, tc.name, intOpt(tc.set)); err != nil {
			t.Fatalf("setsockopt(%d, %d): %v", tc.name, tc.set, err)
		}
		if got := getInt(t, s, f, unix.SOL_SOCKET, tc.name); got != tc.want {
			t.Errorf("option %d set %d: got %d, want %d", tc.name, tc.set, got, tc.want)
		}
	}
}

func TestSockOptErrors(t *testing.T) {
	s, f := newTestSocket(t, unix.SOCK_STREAM)
	for _, tc := range []struct {
		desc        string
		level, name int
		val         optBytes
		want        error
	}{
		{"short int", unix.SOL_SOCKET, unix.SO_REUSEADDR, optBytes{b: []byte{1, 0}, len: 2}, unix.EINVAL},
		{"unreadable int", unix.SOL_SOCKET, unix.SO_REUSEADDR, optBytes{len: 4}, unix.EFAULT},
		{"longer optlen reads only an int", unix.SOL_SOCKET, unix.SO_REUSEADDR, optBytes{b: []byte{1, 0, 0, 0}, len: 1000}, nil},
		{"read-only SO_TYPE", unix.SOL_SOCKET, unix.SO_TYPE, intOpt(1), unix.ENOPROTOOPT},
		{"short read-only SO_TYPE", unix.SOL_SOCKET, unix.SO_TYPE, optBytes{b: []byte{1}, len: 1}, unix.EINVAL},
		{"unknown option", unix.SOL_SOCKET, 9999, intOpt(1), unix.ENOPROTOOPT},
		{"SO_DEBUG unprivileged", unix.SOL_SOCKET, unix.SO_DEBUG, optBytes{b: intOpt(1).b, len: 4, unprivileged: true}, unix.EACCES},
		{"SO_MARK unprivileged", unix.SOL_SOCKET, unix.SO_MARK, optBytes{b: intOpt(1).b, len: 4, unprivileged: true}, unix.EPERM},
		{"SO_PRIORITY 6 unprivileged", unix.SOL_SOCKET, unix.SO_PRIORITY, optBytes{b: intOpt(6).b, len: 4, unprivileged: true}, nil},
		{"SO_PRIORITY 7 unprivileged", unix.SOL_SOCKET, unix.SO_PRIORITY, optBytes{b: intOpt(7).b, len: 4, unprivileged: true}, unix.EPERM},
		{"SO_PASSCRED on inet", unix.SOL_SOCKET, unix.SO_PASSCRED, intOpt(1), unix.EOPNOTSUPP},
		{"SO_BINDTODEVICE eth0", unix.SOL_SOCKET, unix.SO_BINDTODEVICE, optBytes{b: []byte("eth0"), len: 4}, unix.ENODEV},
		{"TCP_MAXSEG 70000", unix.SOL_TCP, unix.TCP_MAXSEG, intOpt(70000), unix.EINVAL},
		{"IP_MTU_DISCOVER 6", unix.SOL_IP, unix.IP_MTU_DISCOVER, intOpt(6), unix.EINVAL},
		{"IP_MULTICAST_TTL on TCP", unix.SOL_IP, unix.IP_MULTICAST_TTL, intOpt(1), unix.EINVAL},
		{"keepidle 0", unix.SOL_TCP, unix.TCP_KEEPIDLE, intOpt(0), unix.EINVAL},
		{"keepcnt 128", unix.SOL_TCP, unix.TCP_KEEPCNT, intOpt(128), unix.EINVAL},
		{"SOL_UDP on TCP", unix.SOL_UDP, unix.UDP_CORK, intOpt(1), unix.ENOPROTOOPT},
		{"IPV6 on AF_INET", unix.SOL_IPV6, unix.IPV6_V6ONLY, intOpt(1), unix.ENOPROTOOPT},
		{"not implemented is not silent", unix.SOL_SOCKET, unix.SO_TXTIME, optBytes{b: make([]byte, 8), len: 8}, unix.ENOPROTOOPT},
		{"timeval usec", unix.SOL_SOCKET, unix.SO_RCVTIMEO, optBytes{b: make16(0, 1000000), len: 16}, unix.EDOM},
		{"timeval short", unix.SOL_SOCKET, unix.SO_RCVTIMEO, optBytes{b: make16(1, 0), len: 8}, unix.EINVAL},
	} {
		if got := s.setSockOpt(f, tc.level, tc.name, tc.val); got != tc.want {
			t.Errorf("%s: setsockopt = %v, want %v", tc.desc, got, tc.want)
		}
	}
	if got := getInt(t, s, f, unix.SOL_SOCKET, unix.SO_REUSEADDR); got != 1 {
		t.Errorf("SO_REUSEADDR after setting it = %d", got)
	}
	if got := getInt(t, s, f, unix.SOL_SOCKET, unix.SO_PRIORITY); got != 6 {
		t.Errorf("SO_PRIORITY after the refused 7 = %d", got)
	}
	if got := getInt(t, s, f, unix.SOL_TCP, unix.TCP_KEEPIDLE); got != 7200 {
		t.Errorf("TCP_KEEPIDLE default = %d", got)
	}
}

// TestLinger: l_linger only changes while l_onoff is set (sk_setsockopt).
func TestLinger(t *testing.T) {
	s, f := newTestSocket(t, unix.SOCK_STREAM)
	set := func(on, secs uint32) {
		b := make([]byte, 8)
		binary.LittleEndian.PutUint32(b, on)
		binary.LittleEndian.PutUint32(b[4:], secs)
		if err := s.setSockOpt(f, unix.SOL_SOCKET, unix.SO_LINGER, optBytes{b: b, len: 8}); err != nil {
			t.Fatal(err)
		}
	}
	get := func() (uint32, uint32) {
		b, _ := s.getSockOpt(f, unix.SOL_SOCKET, unix.SO_LINGER, 8)
		return binary.LittleEndian.Uint32(b), binary.LittleEndian.Uint32(b[4:])
	}
	set(7, 3)
	if on, secs := get(); on != 1 || secs != 3 {
		t.Errorf("after {7,3}: {%d,%d}, want {1,3}", on, secs)
	}
	set(0, 0)
	if on, secs := get(); on != 0 || secs != 3 {
		t.Errorf("after {0,0}: {%d,%d}, want {0,3}", on, secs)
	}
}

func make16(sec, usec int64) []byte {
	b := make([]byte, 16)
	binary.LittleEndian.PutUint64(b, uint64(sec))
	binary.LittleEndian.PutUint64(b[8:], uint64(usec))
	return b
}

// TestDeferAccept: TCP_DEFER_ACCEPT reads back the seconds its
// retransmissions take (secs_to_retrans, retrans_to_secs).
func TestDeferAccept(t *testing.T) {
	for _, tc := range []struct{ set, want int32 }{{0, 0}, {-1, 0}, {1, 1}, {5, 7}, {100000, 29887}} {
		got, _ := checkDeferAccept(nil, tc.set, nil)
		if got != tc.want {
			t.Errorf("TCP_DEFER_ACCEPT %d reads back %d, want %d", tc.set, got, tc.want)
		}
	}
}

// TestIPShortGet: do_ip_getsockopt answers an optlen shorter than an int
// with one byte when the value fits.
func TestIPShortGet(t *testing.T) {
	s, f := newTestSocket(t, unix.SOCK_STREAM)
	b, err := s.getSockOpt(f, unix.SOL_IP, unix.IP_TTL, 2)
	if err != nil || len(b) != 1 || b[0] != 64 {
		t.Errorf("IP_TTL with optlen 2 = %v, %v; want [64]", b, err)
	}
	if b, _ := s.getSockOpt(f, unix.SOL_SOCKET, unix.SO_TYPE, 2); len(b) != 4 {
		t.Errorf("SO_TYPE with optlen 2 gave %d bytes; the caller cuts, not the option", len(b))
	}
}
