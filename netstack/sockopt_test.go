package netstack

import (
	"encoding/binary"
	"testing"

	"golang.org/x/sys/unix"
)

// optBytes is an Optval over a Go slice; Len may claim more than it holds
// (the rest is unreadable, EFAULT).
type optBytes struct {
	b   []byte
	len int
}

func (o optBytes) Len() int { return o.len }
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
	return optBytes{b, 4}
}

func newTestSocket(typ int) *Socket {
	return &Socket{Family: afInet, Type: typ, Protocol: unix.IPPROTO_TCP, sk: &Sock{opts: defaultSockOpts(typ)}}
}

func getInt(t *testing.T, s *Socket, level, name int) int32 {
	t.Helper()
	b, err := s.getSockOpt(-1, level, name)
	if err != nil {
		t.Fatalf("getsockopt(%d, %d): %v", level, name, err)
	}
	return int32(binary.LittleEndian.Uint32(b))
}

// TestSockBufDoubling: sk_setsockopt doubles SO_RCVBUF/SO_SNDBUF, clamps
// to {r,w}mem_max first (a negative value counts as huge) and keeps the
// minimums.
func TestSockBufDoubling(t *testing.T) {
	s := newTestSocket(unix.SOCK_STREAM)
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
		if err := s.setSockOpt(-1, unix.SOL_SOCKET, tc.name, intOpt(tc.set)); err != nil {
			t.Fatalf("setsockopt(%d, %d): %v", tc.name, tc.set, err)
		}
		if got := getInt(t, s, unix.SOL_SOCKET, tc.name); got != tc.want {
			t.Errorf("option %d set %d: got %d, want %d", tc.name, tc.set, got, tc.want)
		}
	}
}

func TestSockOptErrors(t *testing.T) {
	s := newTestSocket(unix.SOCK_STREAM)
	for _, tc := range []struct {
		desc        string
		level, name int
		val         optBytes
		want        error
	}{
		{"short int", unix.SOL_SOCKET, unix.SO_REUSEADDR, optBytes{[]byte{1, 0}, 2}, unix.EINVAL},
		{"unreadable int", unix.SOL_SOCKET, unix.SO_REUSEADDR, optBytes{nil, 4}, unix.EFAULT},
		{"longer optlen reads only an int", unix.SOL_SOCKET, unix.SO_REUSEADDR, optBytes{[]byte{1, 0, 0, 0}, 1000}, nil},
		{"read-only SO_TYPE", unix.SOL_SOCKET, unix.SO_TYPE, intOpt(1), unix.ENOPROTOOPT},
		{"unknown option", unix.SOL_SOCKET, 9999, intOpt(1), unix.ENOPROTOOPT},
		{"keepidle 0", unix.SOL_TCP, unix.TCP_KEEPIDLE, intOpt(0), unix.EINVAL},
		{"keepcnt 128", unix.SOL_TCP, unix.TCP_KEEPCNT, intOpt(128), unix.EINVAL},
		{"SOL_UDP on TCP", unix.SOL_UDP, unix.UDP_CORK, intOpt(1), unix.ENOPROTOOPT},
		{"IPV6 on AF_INET", unix.SOL_IPV6, unix.IPV6_V6ONLY, intOpt(1), unix.ENOPROTOOPT},
		{"not implemented is not silent", unix.SOL_SOCKET, unix.SO_TIMESTAMP, intOpt(1), unix.ENOPROTOOPT},
		{"timeval usec", unix.SOL_SOCKET, unix.SO_RCVTIMEO, optBytes{make16(0, 1000000), 16}, unix.EDOM},
		{"timeval short", unix.SOL_SOCKET, unix.SO_RCVTIMEO, optBytes{make16(1, 0), 8}, unix.EINVAL},
	} {
		if got := s.setSockOpt(-1, tc.level, tc.name, tc.val); got != tc.want {
			t.Errorf("%s: setsockopt = %v, want %v", tc.desc, got, tc.want)
		}
	}
	if got := getInt(t, s, unix.SOL_SOCKET, unix.SO_REUSEADDR); got != 1 {
		t.Errorf("SO_REUSEADDR after setting it = %d", got)
	}
	if got := getInt(t, s, unix.SOL_TCP, unix.TCP_KEEPIDLE); got != 7200 {
		t.Errorf("TCP_KEEPIDLE default = %d", got)
	}
}

// TestLinger: l_linger only changes while l_onoff is set (sk_setsockopt).
func TestLinger(t *testing.T) {
	s := newTestSocket(unix.SOCK_STREAM)
	set := func(on, secs uint32) {
		b := make([]byte, 8)
		binary.LittleEndian.PutUint32(b, on)
		binary.LittleEndian.PutUint32(b[4:], secs)
		if err := s.setSockOpt(-1, unix.SOL_SOCKET, unix.SO_LINGER, optBytes{b, 8}); err != nil {
			t.Fatal(err)
		}
	}
	get := func() (uint32, uint32) {
		b, _ := s.getSockOpt(-1, unix.SOL_SOCKET, unix.SO_LINGER)
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
