package syscalls

import (
	"bytes"
	"encoding/binary"
	"math/rand"
	"net/netip"
	"strconv"
	"strings"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/netbox-sandbox/netbox/platform"
)

// The expected lines in this file are strace's (6.1, x86-64) for the same
// calls, except where a comment says otherwise: strace's output was taken
// from real programs making them.

// memBase is where fakeTask's memory image is mapped; unmappedAddr is a
// user address that is never mapped.
const (
	memBase      = 0x10000
	unmappedAddr = 0xdead0000
)

// fakeTask is a Task over a memory image: a []byte mapped at memBase. An
// access must lie wholly inside the image, else it fails with EFAULT.
type fakeTask struct {
	call     platform.Call
	mem      []byte
	reads    int // ReadMem calls
	answered bool
	replies  []platform.Reply
	// panics makes ReadMem panic, to check that tracing survives it.
	panics bool
}

func newTask(nr int, args ...uint64) *fakeTask {
	t := &fakeTask{call: platform.Call{ID: 1, Tid: 1234, Nr: nr}}
	copy(t.call.Args[:], args)
	return t
}

// put copies b into the image, 8-byte aligned, and returns its address.
func (t *fakeTask) put(b []byte) uint64 {
	for len(t.mem)%8 != 0 {
		t.mem = append(t.mem, 0)
	}
	addr := memBase + uint64(len(t.mem))
	t.mem = append(t.mem, b...)
	return addr
}

func (t *fakeTask) find(addr uint64, n int) (int, bool) {
	if addr < memBase || addr+uint64(n) < addr || addr+uint64(n) > memBase+uint64(len(t.mem)) {
		return 0, false
	}
	return int(addr - memBase), true
}

func (t *fakeTask) ReadMem(addr uint64, p []byte) error {
	t.reads++
	if t.panics {
		panic("fake ReadMem")
	}
	off, ok := t.find(addr, len(p))
	if !ok {
		return unix.EFAULT
	}
	copy(p, t.mem[off:])
	return nil
}

func (t *fakeTask) WriteMem(addr uint64, p []byte) error {
	off, ok := t.find(addr, len(p))
	if !ok {
		return unix.EFAULT
	}
	copy(t.mem[off:], p)
	return nil
}

func (t *fakeTask) GetFD(fd int) (int, error) { return -1, unix.EBADF }
func (t *fakeTask) Valid() bool               { return !t.answered }
func (t *fakeTask) SignalPending() bool       { return false }
func (t *fakeTask) InstallFD(srcfd int, cloexec bool) (int, error) {
	t.answered = true
	return 5, nil
}
func (t *fakeTask) Respond(r platform.Reply) error {
	t.answered = true
	t.replies = append(t.replies, r)
	return nil
}
func (t *fakeTask) Call() platform.Call { return t.call }
func (t *fakeTask) Detach()             {}
func (t *fakeTask) Release()            {}
func (t *fakeTask) Answered() bool      { return t.answered }

// traceLine runs traceCall on a handler that traces to a buffer and
// returns the line, without "[1234] " and the newline.
func traceLine(t *testing.T, task Task, r platform.Reply) string {
	t.Helper()
	var buf bytes.Buffer
	h := New(nil, nil, &buf)
	h.traceCall(task, r)
	line, ok := strings.CutPrefix(buf.String(), "[1234] ")
	if !ok || !strings.HasSuffix(line, "\n") || strings.Count(line, "\n") != 1 {
		t.Fatalf("trace output %q: want one line starting with [1234]", buf.String())
	}
	return strings.TrimSuffix(line, "\n")
}

func checkLine(t *testing.T, task Task, r platform.Reply, want string) {
	t.Helper()
	if got := traceLine(t, task, r); got != want {
		t.Errorf("trace line\n got: %s\nwant: %s", got, want)
	}
}

// Builders of the structures a program passes.

func u32b(v uint32) []byte { return binary.LittleEndian.AppendUint32(nil, v) }
func u64b(v uint64) []byte { return binary.LittleEndian.AppendUint64(nil, v) }

func sin(ip string, port uint16) []byte {
	b := make([]byte, 16)
	binary.LittleEndian.PutUint16(b, unix.AF_INET)
	binary.BigEndian.PutUint16(b[2:], port)
	a := netip.MustParseAddr(ip).As4()
	copy(b[4:], a[:])
	return b
}

func sin6(ip string, port uint16, flow, scope uint32) []byte {
	b := make([]byte, 28)
	binary.LittleEndian.PutUint16(b, unix.AF_INET6)
	binary.BigEndian.PutUint16(b[2:], port)
	binary.BigEndian.PutUint32(b[4:], flow)
	a := netip.MustParseAddr(ip).As16()
	copy(b[8:], a[:])
	binary.LittleEndian.PutUint32(b[24:], scope)
	return b
}

func sun(path string) []byte {
	return append(binary.LittleEndian.AppendUint16(nil, unix.AF_UNIX), path...)
}

type iov struct {
	base uint64
	len  uint64
}

func iovecBytes(v ...iov) []byte {
	var b []byte
	for _, e := range v {
		b = append(b, u64b(e.base)...)
		b = append(b, u64b(e.len)...)
	}
	return b
}

type msg struct {
	name       uint64
	nameLen    uint32
	iov        uint64
	iovLen     uint64
	control    uint64
	controlLen uint64
	flags      uint32
}

func msghdrBytes(m msg) []byte {
	b := make([]byte, 56)
	binary.LittleEndian.PutUint64(b[0:], m.name)
	binary.LittleEndian.PutUint32(b[8:], m.nameLen)
	binary.LittleEndian.PutUint64(b[16:], m.iov)
	binary.LittleEndian.PutUint64(b[24:], m.iovLen)
	binary.LittleEndian.PutUint64(b[32:], m.control)
	binary.LittleEndian.PutUint64(b[40:], m.controlLen)
	binary.LittleEndian.PutUint32(b[48:], m.flags)
	return b
}

func cmsg(level, typ uint32, data []byte) []byte {
	b := u64b(uint64(16 + len(data)))
	b = append(b, u32b(level)...)
	b = append(b, u32b(typ)...)
	b = append(b, data...)
	for len(b)%8 != 0 {
		b = append(b, 0)
	}
	return b
}

func errReply(e unix.Errno) platform.Reply { return platform.Errno(int(e)) }

var native = platform.Reply{Continue: true}

func TestTraceSocket(t *testing.T) {
	for _, c := range []struct {
		args []uint64
		r    platform.Reply
		want string
	}{
		{[]uint64{unix.AF_INET, unix.SOCK_STREAM | unix.SOCK_CLOEXEC, 0}, platform.Val(3),
			"socket(AF_INET, SOCK_STREAM|SOCK_CLOEXEC, IPPROTO_IP) = 3"},
		{[]uint64{unix.AF_INET, unix.SOCK_STREAM | unix.SOCK_CLOEXEC, unix.IPPROTO_TCP}, platform.Val(4),
			"socket(AF_INET, SOCK_STREAM|SOCK_CLOEXEC, IPPROTO_TCP) = 4"},
		{[]uint64{unix.AF_INET, unix.SOCK_DGRAM | unix.SOCK_CLOEXEC | unix.SOCK_NONBLOCK, unix.IPPROTO_UDP}, platform.Val(9),
			"socket(AF_INET, SOCK_DGRAM|SOCK_CLOEXEC|SOCK_NONBLOCK, IPPROTO_UDP) = 9"},
		{[]uint64{unix.AF_INET6, unix.SOCK_SEQPACKET, unix.IPPROTO_SCTP}, errReply(unix.ESOCKTNOSUPPORT),
			"socket(AF_INET6, SOCK_SEQPACKET, IPPROTO_SCTP) = -1 ESOCKTNOSUPPORT (Socket type not supported)"},
		{[]uint64{unix.AF_INET, unix.SOCK_RAW, unix.IPPROTO_RAW}, platform.Val(12),
			"socket(AF_INET, SOCK_RAW, IPPROTO_RAW) = 12"},
		{[]uint64{99, unix.SOCK_STREAM | unix.SOCK_CLOEXEC, 0}, errReply(unix.EAFNOSUPPORT),
			"socket(0x63 /* AF_??? */, SOCK_STREAM|SOCK_CLOEXEC, 0) = -1 EAFNOSUPPORT (Address family not supported by protocol)"},
		{[]uint64{unix.AF_NETLINK, unix.SOCK_RAW | unix.SOCK_CLOEXEC, 0}, native,
			"socket(AF_NETLINK, SOCK_RAW|SOCK_CLOEXEC, NETLINK_ROUTE) = ? (native)"},
		{[]uint64{unix.AF_UNIX, unix.SOCK_STREAM, 0}, native,
			"socket(AF_UNIX, SOCK_STREAM, 0) = ? (native)"},
		// Not from strace: unknown type, flag bits and protocol; the
		// family is an int, the high half of the register ignored.
		{[]uint64{1<<32 | unix.AF_INET, 0xb | unix.SOCK_NONBLOCK | 0x100, 999}, errReply(unix.EINVAL),
			"socket(AF_INET, 0xb /* SOCK_??? */|SOCK_NONBLOCK|0x100, 0x3e7 /* IPPROTO_??? */) = -1 EINVAL (Invalid argument)"},
	} {
		checkLine(t, newTask(unix.SYS_SOCKET, c.args...), c.r, c.want)
	}
}

func TestTraceSockaddrs(t *testing.T) {
	for _, c := range []struct {
		sa     []byte
		length uint64 // 0: len(sa)
		want   string
	}{
		{sin("127.0.0.1", 8000), 0, `{sa_family=AF_INET, sin_port=htons(8000), sin_addr=inet_addr("127.0.0.1")}, 16`},
		// A longer length than the family's sockaddr, up to
		// sockaddr_storage, is read as far as it goes.
		{append(sin("0.0.0.0", 0), make([]byte, 200)...), 200, `{sa_family=AF_INET, sin_port=htons(0), sin_addr=inet_addr("0.0.0.0")}, 200`},
		{sin("127.0.0.1", 53)[:8], 0, `{sa_family=AF_INET, sa_data="\0005\177\0\0\1"}, 8`},
		{sin6("::1", 53, 0, 0), 0, `{sa_family=AF_INET6, sin6_port=htons(53), sin6_flowinfo=htonl(0), inet_pton(AF_INET6, "::1", &sin6_addr), sin6_scope_id=0}, 28`},
		{sin6("fe80::1", 53, 0, 5), 0, `{sa_family=AF_INET6, sin6_port=htons(53), sin6_flowinfo=htonl(0), inet_pton(AF_INET6, "fe80::1", &sin6_addr), sin6_scope_id=5}, 28`},
		{sin6("fe80::1", 53, 0, 5), 24, `{sa_family=AF_INET6, sin6_port=htons(53), sin6_flowinfo=htonl(0), inet_pton(AF_INET6, "fe80::1", &sin6_addr)}, 24`},
		{sin6("fe80::1", 53, 0, 5), 20, `{sa_family=AF_INET6, sa_data="\0005\0\0\0\0\376\200\0\0\0\0\0\0\0\0\0\0"}, 20`},
		// Not from strace: a flow label and a v4-mapped address.
		{sin6("::ffff:10.0.0.1", 443, 0x12345, 0), 0, `{sa_family=AF_INET6, sin6_port=htons(443), sin6_flowinfo=htonl(74565), inet_pton(AF_INET6, "::ffff:10.0.0.1", &sin6_addr), sin6_scope_id=0}, 28`},
		{sun("\x00abstract"), 0, `{sa_family=AF_UNIX, sun_path=@"abstract"}, 11`},
		{sun("\x00ab\x00c"), 0, `{sa_family=AF_UNIX, sun_path=@"ab\0c"}, 7`},
		{sun("/tmp/nonexist\x00"), 16, `{sa_family=AF_UNIX, sun_path="/tmp/nonexist"}, 16`},
		{sun("/tmp/x\x00junk"), 0, `{sa_family=AF_UNIX, sun_path="/tmp/x"}, 13`},
		{sun(""), 0, `{sa_family=AF_UNIX}, 2`},
		{[]byte{16, 0, 0x19, 0x11, 0x7f, 0, 0, 1, 0, 0, 0, 0}, 0, `{sa_family=AF_NETLINK, nl_pad=0x1119, nl_pid=16777343, nl_groups=00000000}, 12`},
		{[]byte{16, 0, 0, 0, 0x23, 0x1e, 0, 0, 1, 0, 0, 0}, 0, `{sa_family=AF_NETLINK, nl_pid=7715, nl_groups=00000001}, 12`},
		{append([]byte{0, 0}, sin("127.0.0.1", 53)[2:]...), 0, `{sa_family=AF_UNSPEC, sa_data="\0005\177\0\0\1\0\0\0\0\0\0\0\0"}, 16`},
		{append([]byte{17, 0}, sin("127.0.0.1", 53)[2:]...), 0, `{sa_family=AF_PACKET, sa_data="\0005\177\0\0\1\0\0\0\0\0\0\0\0"}, 16`},
		// Not from strace: an unknown family.
		{[]byte{0x20, 0x3e, 'a', 'b'}, 0, `{sa_family=0x3e20 /* AF_??? */, sa_data="ab"}, 4`},
	} {
		task := newTask(unix.SYS_CONNECT)
		addr := task.put(c.sa)
		l := c.length
		if l == 0 {
			l = uint64(len(c.sa))
		}
		task.call.Args = [6]uint64{13, addr, l}
		checkLine(t, task, errReply(unix.EINVAL), "connect(13, "+c.want+") = -1 EINVAL (Invalid argument)")
	}
}

func TestTraceConnectBind(t *testing.T) {
	task := newTask(unix.SYS_CONNECT, 3)
	task.call.Args[1] = task.put(sin("127.0.0.1", 8000))
	task.call.Args[2] = 16
	checkLine(t, task, errReply(unix.ECONNREFUSED),
		`connect(3, {sa_family=AF_INET, sin_port=htons(8000), sin_addr=inet_addr("127.0.0.1")}, 16) = -1 ECONNREFUSED (Connection refused)`)

	task = newTask(unix.SYS_BIND, 6)
	task.call.Args[1] = task.put(sin6("::1", 0, 0, 0))
	task.call.Args[2] = 28
	checkLine(t, task, platform.Val(0),
		`bind(6, {sa_family=AF_INET6, sin6_port=htons(0), sin6_flowinfo=htonl(0), inet_pton(AF_INET6, "::1", &sin6_addr), sin6_scope_id=0}, 28) = 0`)

	// A connect the kernel runs (an AF_UNIX socket) shows its input.
	task = newTask(unix.SYS_CONNECT, 7)
	task.call.Args[1] = task.put(sun("/run/x.sock\x00"))
	task.call.Args[2] = 14
	checkLine(t, task, native, `connect(7, {sa_family=AF_UNIX, sun_path="/run/x.sock"}, 14) = ? (native)`)

	// Unreadable, too short or negative: the pointer.
	for _, c := range []struct {
		addr, length uint64
		want         string
	}{
		{unmappedAddr, 16, "connect(9, 0xdead0000, 16) = -1 EFAULT (Bad address)"},
		{0x20, 16, "connect(9, 0x20, 16) = -1 EFAULT (Bad address)"},
		{memBase, 0, "connect(9, 0x10000, 0) = -1 EINVAL (Invalid argument)"},
		{memBase, 1, "connect(9, 0x10000, 1) = -1 EINVAL (Invalid argument)"},
		{memBase, 0xffffffff, "connect(9, 0x10000, -1) = -1 EINVAL (Invalid argument)"},
		{0, 16, "connect(9, NULL, 16) = -1 EFAULT (Bad address)"},
	} {
		task := newTask(unix.SYS_CONNECT, 9, c.addr, c.length)
		task.put(sin("1.2.3.4", 5))
		r := errReply(unix.EFAULT)
		if strings.Contains(c.want, "EINVAL") {
			r = errReply(unix.EINVAL)
		}
		checkLine(t, task, r, c.want)
	}

	// A sockaddr that ends in unmapped memory is unreadable as a whole.
	task = newTask(unix.SYS_BIND, 3)
	task.call.Args[1] = task.put(sin("127.0.0.1", 1)[:12])
	task.call.Args[2] = 16
	checkLine(t, task, errReply(unix.EFAULT), "bind(3, 0x10000, 16) = -1 EFAULT (Bad address)")
}

func TestTraceListenShutdown(t *testing.T) {
	checkLine(t, newTask(unix.SYS_LISTEN, 3, 128), platform.Val(0), "listen(3, 128) = 0")
	checkLine(t, newTask(unix.SYS_LISTEN, 13, 0xffffffff), platform.Val(0), "listen(13, -1) = 0")
	checkLine(t, newTask(unix.SYS_SHUTDOWN, 3, unix.SHUT_WR), platform.Val(0), "shutdown(3, SHUT_WR) = 0")
	checkLine(t, newTask(unix.SYS_SHUTDOWN, 13, unix.SHUT_RD), errReply(unix.ENOTCONN),
		"shutdown(13, SHUT_RD) = -1 ENOTCONN (Transport endpoint is not connected)")
	checkLine(t, newTask(unix.SYS_SHUTDOWN, 13, unix.SHUT_RDWR), errReply(unix.ENOTCONN),
		"shutdown(13, SHUT_RDWR) = -1 ENOTCONN (Transport endpoint is not connected)")
	checkLine(t, newTask(unix.SYS_SHUTDOWN, 9, 7), errReply(unix.EINVAL),
		"shutdown(9, 0x7 /* SHUT_??? */) = -1 EINVAL (Invalid argument)")
}

func TestTraceAcceptGetname(t *testing.T) {
	// Success: the peer address and its length, as the call left them.
	task := newTask(unix.SYS_ACCEPT4, 3)
	task.call.Args[1] = task.put(sin("127.0.0.1", 33428))
	task.call.Args[2] = task.put(u32b(16))
	task.call.Args[3] = unix.SOCK_CLOEXEC
	checkLine(t, task, platform.Val(5),
		`accept4(3, {sa_family=AF_INET, sin_port=htons(33428), sin_addr=inet_addr("127.0.0.1")}, [16], SOCK_CLOEXEC) = 5`)

	// Failure: the buffer is not shown, the length is.
	task.call.Args[3] = unix.SOCK_CLOEXEC | unix.SOCK_NONBLOCK
	checkLine(t, task, errReply(unix.EAGAIN),
		"accept4(3, 0x10000, [16], SOCK_CLOEXEC|SOCK_NONBLOCK) = -1 EAGAIN (Resource temporarily unavailable)")

	checkLine(t, newTask(unix.SYS_ACCEPT4, 13, 0, 0, unix.SOCK_CLOEXEC|unix.SOCK_NONBLOCK|0x10), errReply(unix.EINVAL),
		"accept4(13, NULL, NULL, SOCK_CLOEXEC|SOCK_NONBLOCK|0x10) = -1 EINVAL (Invalid argument)")
	checkLine(t, newTask(unix.SYS_ACCEPT, 9, 0x20, 0x30), errReply(unix.EOPNOTSUPP),
		"accept(9, 0x20, 0x30) = -1 EOPNOTSUPP (Operation not supported)")
	checkLine(t, newTask(unix.SYS_ACCEPT4, 3, 0, 0, 0), platform.Val(4), "accept4(3, NULL, NULL, 0) = 4")

	task = newTask(unix.SYS_GETSOCKNAME, 6)
	task.call.Args[1] = task.put(sin6("::1", 54459, 0, 0))
	task.call.Args[2] = task.put(u32b(28))
	checkLine(t, task, platform.Val(0),
		`getsockname(6, {sa_family=AF_INET6, sin6_port=htons(54459), sin6_flowinfo=htonl(0), inet_pton(AF_INET6, "::1", &sin6_addr), sin6_scope_id=0}, [28]) = 0`)

	task = newTask(unix.SYS_GETPEERNAME, 3)
	task.call.Args[1] = task.put(make([]byte, 16))
	task.call.Args[2] = task.put(u32b(16))
	checkLine(t, task, errReply(unix.ENOTCONN),
		"getpeername(3, 0x10000, [16]) = -1 ENOTCONN (Transport endpoint is not connected)")

	// A socket without an address reports length 0 (recvfrom on TCP):
	// the buffer is shown as the pointer.
	task = newTask(unix.SYS_GETSOCKNAME, 7)
	task.call.Args[1] = task.put(make([]byte, 16))
	task.call.Args[2] = task.put(u32b(0))
	checkLine(t, task, platform.Val(0), "getsockname(7, 0x10000, [0]) = 0")

	// A length that cannot be read.
	checkLine(t, newTask(unix.SYS_GETSOCKNAME, 7, memBase, unmappedAddr), errReply(unix.EFAULT),
		"getsockname(7, 0x10000, 0xdead0000) = -1 EFAULT (Bad address)")
	// A native accept has not run: its outputs are not shown.
	task = newTask(unix.SYS_ACCEPT4, 4)
	task.call.Args[1] = task.put(make([]byte, 110))
	task.call.Args[2] = task.put(u32b(110))
	checkLine(t, task, native, "accept4(4, 0x10000, [110], 0) = ? (native)")
}

func TestTraceSetsockopt(t *testing.T) {
	linger := append(u32b(1), u32b(5)...)
	timeval := append(u64b(1), u64b(5)...)
	mreq := append(netip.MustParseAddr("239.1.1.1").AsSlice(), netip.MustParseAddr("0.0.0.0").AsSlice()...)
	mreq6 := append(netip.MustParseAddr("ff02::1").AsSlice(), u32b(1)...)
	for _, c := range []struct {
		level, name uint64
		val         []byte
		want        string
	}{
		{unix.SOL_SOCKET, unix.SO_REUSEADDR, u32b(1), "SOL_SOCKET, SO_REUSEADDR, [1], 4"},
		{unix.SOL_SOCKET, unix.SO_RCVBUF, u32b(1000), "SOL_SOCKET, SO_RCVBUF, [1000], 4"},
		{unix.SOL_SOCKET, unix.SO_RCVBUF, u64b(1), "SOL_SOCKET, SO_RCVBUF, [1], 8"},
		{unix.SOL_SOCKET, unix.SO_LINGER, linger, "SOL_SOCKET, SO_LINGER, {l_onoff=1, l_linger=5}, 8"},
		{unix.SOL_SOCKET, unix.SO_BINDTODEVICE, []byte("lo"), `SOL_SOCKET, SO_BINDTODEVICE, "lo", 2`},
		{unix.SOL_SOCKET, 999, u32b(1), "SOL_SOCKET, 0x3e7 /* SO_??? */, [1], 4"},
		{unix.SOL_TCP, unix.TCP_NODELAY, u32b(1), "SOL_TCP, TCP_NODELAY, [1], 4"},
		{unix.SOL_TCP, 999, u32b(1), "SOL_TCP, 0x3e7 /* TCP_??? */, [1], 4"},
		{unix.SOL_IP, unix.IP_TTL, u32b(5), "SOL_IP, IP_TTL, [5], 4"},
		{unix.SOL_IP, unix.IP_MULTICAST_TTL, []byte{1}, `SOL_IP, IP_MULTICAST_TTL, "\1", 1`},
		{unix.SOL_IP, unix.IP_ADD_MEMBERSHIP, mreq, `SOL_IP, IP_ADD_MEMBERSHIP, {imr_multiaddr=inet_addr("239.1.1.1"), imr_interface=inet_addr("0.0.0.0")}, 8`},
		{unix.SOL_IPV6, unix.IPV6_V6ONLY, u32b(1), "SOL_IPV6, IPV6_V6ONLY, [1], 4"},
		{unix.SOL_UDP, unix.UDP_CORK, u32b(1), "SOL_UDP, UDP_CORK, [1], 4"},
		{555, 1, u32b(1), "0x22b /* SOL_?? */, 1, [1], 4"},
		// Not from strace, which resolves the interface index to a name
		// and shows timeouts raw.
		{unix.SOL_IPV6, unix.IPV6_ADD_MEMBERSHIP, mreq6, `SOL_IPV6, IPV6_ADD_MEMBERSHIP, {inet_pton(AF_INET6, "ff02::1", &ipv6mr_multiaddr), ipv6mr_interface=1}, 20`},
		{unix.SOL_SOCKET, unix.SO_RCVTIMEO, timeval, "SOL_SOCKET, SO_RCVTIMEO_OLD, {tv_sec=1, tv_usec=5}, 16"},
		{unix.SOL_UDP, 99, u32b(1), "SOL_UDP, 0x63 /* UDP_??? */, [1], 4"},
		{unix.SOL_IP, 99, u32b(1), "SOL_IP, 0x63 /* IP_??? */, [1], 4"},
		{unix.SOL_IPV6, 99, u32b(1), "SOL_IPV6, 0x63 /* IPV6_??? */, [1], 4"},
		{unix.SOL_IP, unix.IP_OPTIONS, bytes.Repeat([]byte{1}, 40), `SOL_IP, IP_OPTIONS, "\1\1\1\1\1\1\1\1\1\1\1\1\1\1\1\1\1\1\1\1\1\1\1\1\1\1\1\1\1\1\1\1"..., 40`},
	} {
		task := newTask(unix.SYS_SETSOCKOPT, 3, c.level, c.name)
		task.call.Args[3] = task.put(c.val)
		task.call.Args[4] = uint64(len(c.val))
		checkLine(t, task, platform.Val(0), "setsockopt(3, "+c.want+") = 0")
	}
	checkLine(t, newTask(unix.SYS_SETSOCKOPT, 5, unix.SOL_SOCKET, unix.SO_REUSEADDR, 0, 0), errReply(unix.EINVAL),
		"setsockopt(5, SOL_SOCKET, SO_REUSEADDR, NULL, 0) = -1 EINVAL (Invalid argument)")
	checkLine(t, newTask(unix.SYS_SETSOCKOPT, 9, unix.SOL_IP, unix.IP_TOS, 0x20, 4), errReply(unix.EFAULT),
		"setsockopt(9, SOL_IP, IP_TOS, 0x20, 4) = -1 EFAULT (Bad address)")
	// Not from strace: a negative optlen.
	checkLine(t, newTask(unix.SYS_SETSOCKOPT, 9, unix.SOL_IP, unix.IP_TOS, memBase, 0xffffffff), errReply(unix.EINVAL),
		"setsockopt(9, SOL_IP, IP_TOS, 0x10000, -1) = -1 EINVAL (Invalid argument)")
}

func TestTraceGetsockopt(t *testing.T) {
	get := func(level, name uint64, val []byte, optlen uint32) *fakeTask {
		task := newTask(unix.SYS_GETSOCKOPT, 4, level, name)
		task.call.Args[3] = task.put(val)
		task.call.Args[4] = task.put(u32b(optlen))
		return task
	}
	checkLine(t, get(unix.SOL_SOCKET, unix.SO_ERROR, u32b(0), 4), platform.Val(0),
		"getsockopt(4, SOL_SOCKET, SO_ERROR, [0], [4]) = 0")
	checkLine(t, get(unix.SOL_SOCKET, unix.SO_RCVBUF, u32b(2304), 4), platform.Val(0),
		"getsockopt(4, SOL_SOCKET, SO_RCVBUF, [2304], [4]) = 0")
	checkLine(t, get(unix.SOL_SOCKET, unix.SO_LINGER, make([]byte, 8), 8), platform.Val(0),
		"getsockopt(4, SOL_SOCKET, SO_LINGER, {l_onoff=0, l_linger=0}, [8]) = 0")
	checkLine(t, get(unix.SOL_SOCKET, unix.SO_PEERCRED, append(u32b(0), bytes.Repeat([]byte{0xff}, 8)...), 12), platform.Val(0),
		"getsockopt(4, SOL_SOCKET, SO_PEERCRED, {pid=0, uid=-1, gid=-1}, [12]) = 0")
	checkLine(t, get(unix.SOL_TCP, unix.TCP_CONGESTION, append([]byte("bbr"), make([]byte, 13)...), 16), platform.Val(0),
		`getsockopt(4, SOL_TCP, TCP_CONGESTION, "bbr\0\0\0\0\0\0\0\0\0\0\0\0\0", [16]) = 0`)
	// The value the call wrote is shown with the length it stored: a
	// shorter one than the buffer's.
	checkLine(t, get(unix.SOL_SOCKET, unix.SO_TYPE, u64b(1), 4), platform.Val(0),
		"getsockopt(4, SOL_SOCKET, SO_TYPE, [1], [4]) = 0")
	// Failed: the value is not shown.
	checkLine(t, get(unix.SOL_SOCKET, unix.SO_ERROR, u32b(0), 4), errReply(unix.ENOPROTOOPT),
		"getsockopt(4, SOL_SOCKET, SO_ERROR, 0x10000, [4]) = -1 ENOPROTOOPT (Protocol not available)")
	checkLine(t, newTask(unix.SYS_GETSOCKOPT, 9, unix.SOL_IP, unix.IP_OPTIONS, 0x20, 0x30), errReply(unix.EFAULT),
		"getsockopt(9, SOL_IP, IP_OPTIONS, 0x20, 0x30) = -1 EFAULT (Bad address)")
}

func TestTraceSendtoRecvfrom(t *testing.T) {
	// The brief's example, in strace's field order.
	task := newTask(unix.SYS_SENDTO, 4)
	task.call.Args[1] = task.put([]byte("hello"))
	task.call.Args[2] = 5
	task.call.Args[4] = task.put(sin6("::1", 53, 0, 0))
	task.call.Args[5] = 28
	checkLine(t, task, platform.Val(5),
		`sendto(4, "hello", 5, 0, {sa_family=AF_INET6, sin6_port=htons(53), sin6_flowinfo=htonl(0), inet_pton(AF_INET6, "::1", &sin6_addr), sin6_scope_id=0}, 28) = 5`)

	long := []byte("hello\x00\x01\n\t\"\\\xff world this is a long buffer of more than 32 bytes")
	task = newTask(unix.SYS_SENDTO, 6)
	task.call.Args[1] = task.put(long)
	task.call.Args[2] = uint64(len(long))
	task.call.Args[4] = task.put(sin("127.0.0.1", 9))
	task.call.Args[5] = 16
	task.reads = 0
	checkLine(t, task, platform.Val(int64(len(long))),
		`sendto(6, "hello\0\1\n\t\"\\\377 world this is a lon"..., 62, 0, {sa_family=AF_INET, sin_port=htons(9), sin_addr=inet_addr("127.0.0.1")}, 16) = 62`)
	if task.reads > 2 {
		t.Errorf("sendto trace read memory %d times, want 2", task.reads)
	}

	for _, c := range []struct {
		n    int
		want string
	}{
		{32, `"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", 32`},
		{33, `"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"..., 33`},
		{0, `"", 0`},
	} {
		task := newTask(unix.SYS_SENDTO, 7)
		task.call.Args[1] = task.put(bytes.Repeat([]byte("x"), c.n))
		task.call.Args[2] = uint64(c.n)
		task.call.Args[4] = task.put(sin("127.0.0.1", 9))
		task.call.Args[5] = 16
		checkLine(t, task, platform.Val(int64(c.n)),
			`sendto(7, `+c.want+`, 0, {sa_family=AF_INET, sin_port=htons(9), sin_addr=inet_addr("127.0.0.1")}, 16) = `+strconv.Itoa(c.n))
	}

	checkLine(t, newTask(unix.SYS_SENDTO, 9, 0x10, 5, unix.MSG_DONTWAIT|unix.MSG_NOSIGNAL, 0x20, 16), errReply(unix.EFAULT),
		"sendto(9, 0x10, 5, MSG_DONTWAIT|MSG_NOSIGNAL, 0x20, 16) = -1 EFAULT (Bad address)")
	// A huge length reads only what is shown: the start of the buffer.
	task = newTask(unix.SYS_SENDTO, 9)
	task.call.Args[1] = task.put([]byte("0123456789abcdef0123456789abcdef"))
	task.call.Args[2] = 1 << 40
	checkLine(t, task, errReply(unix.EFAULT),
		`sendto(9, "0123456789abcdef0123456789abcdef"..., 1099511627776, 0, NULL, 0) = -1 EFAULT (Bad address)`)

	// recvfrom shows what was received: the value, not the buffer size.
	task = newTask(unix.SYS_RECVFROM, 6)
	task.call.Args[1] = task.put(append(long, make([]byte, 38)...))
	task.call.Args[2] = 100
	task.call.Args[4] = task.put(sin6("::1", 54459, 0, 0))
	task.call.Args[5] = task.put(u32b(28))
	checkLine(t, task, platform.Val(62),
		`recvfrom(6, "hello\0\1\n\t\"\\\377 world this is a lon"..., 100, 0, {sa_family=AF_INET6, sin6_port=htons(54459), sin6_flowinfo=htonl(0), inet_pton(AF_INET6, "::1", &sin6_addr), sin6_scope_id=0}, [28]) = 62`)
	task.call.Args[3] = unix.MSG_PEEK | unix.MSG_TRUNC
	checkLine(t, task, errReply(unix.EAGAIN),
		"recvfrom(6, 0x10000, 100, MSG_PEEK|MSG_TRUNC, 0x10068, [28]) = -1 EAGAIN (Resource temporarily unavailable)")
	// MSG_TRUNC returns the datagram's length, more than the buffer
	// holds: only the buffer is shown.
	task = newTask(unix.SYS_RECVFROM, 6)
	task.call.Args[1] = task.put([]byte("abc"))
	task.call.Args[2] = 3
	task.call.Args[3] = unix.MSG_TRUNC
	task.call.Args[4] = task.put(sin("127.0.0.1", 9))
	task.call.Args[5] = task.put(u32b(16))
	checkLine(t, task, platform.Val(1000),
		`recvfrom(6, "abc", 3, MSG_TRUNC, {sa_family=AF_INET, sin_port=htons(9), sin_addr=inet_addr("127.0.0.1")}, [16]) = 1000`)
	checkLine(t, newTask(unix.SYS_RECVFROM, 9, 0x10, 5, 0x10|0x40|0x80000000, 0x20, 0x30), errReply(unix.EAGAIN),
		"recvfrom(9, 0x10, 5, MSG_PROBE|MSG_DONTWAIT|MSG_CMSG_COMPAT, 0x20, 0x30) = -1 EAGAIN (Resource temporarily unavailable)")
}

func TestTraceSendmsgRecvmsg(t *testing.T) {
	// sendmsg with two iovecs and an address.
	task := newTask(unix.SYS_SENDMSG, 6)
	ab, cd := task.put([]byte("ab")), task.put([]byte("cd"))
	vec := task.put(iovecBytes(iov{ab, 2}, iov{cd, 2}))
	name := task.put(sin6("::1", 54459, 0, 0))
	task.call.Args[1] = task.put(msghdrBytes(msg{name: name, nameLen: 28, iov: vec, iovLen: 2}))
	checkLine(t, task, platform.Val(4),
		`sendmsg(6, {msg_name={sa_family=AF_INET6, sin6_port=htons(54459), sin6_flowinfo=htonl(0), inet_pton(AF_INET6, "::1", &sin6_addr), sin6_scope_id=0}, msg_namelen=28, msg_iov=[{iov_base="ab", iov_len=2}, {iov_base="cd", iov_len=2}], msg_iovlen=2, msg_controllen=0, msg_flags=0}, 0) = 4`)

	// sendmsg with a control message.
	task = newTask(unix.SYS_SENDMSG, 7)
	x := task.put([]byte("x"))
	vec = task.put(iovecBytes(iov{x, 1}))
	name = task.put(sin("127.0.0.1", 9))
	ctl := cmsg(unix.SOL_IP, unix.IP_TTL, u32b(5))
	control := task.put(ctl)
	task.call.Args[1] = task.put(msghdrBytes(msg{name: name, nameLen: 16, iov: vec, iovLen: 1, control: control, controlLen: uint64(len(ctl))}))
	checkLine(t, task, platform.Val(1),
		`sendmsg(7, {msg_name={sa_family=AF_INET, sin_port=htons(9), sin_addr=inet_addr("127.0.0.1")}, msg_namelen=16, msg_iov=[{iov_base="x", iov_len=1}], msg_iovlen=1, msg_control=[{cmsg_len=20, cmsg_level=SOL_IP, cmsg_type=IP_TTL, cmsg_data=[5]}], msg_controllen=24, msg_flags=0}, 0) = 1`)

	// Not from strace: SCM_RIGHTS and a truncated second message.
	task = newTask(unix.SYS_SENDMSG, 3)
	ctl = append(cmsg(unix.SOL_SOCKET, unix.SCM_RIGHTS, append(u32b(5), u32b(6)...)), cmsg(unix.SOL_SOCKET, unix.SCM_CREDENTIALS, append(u32b(10), append(u32b(0), u32b(0)...)...))...)
	control = task.put(ctl)
	task.call.Args[1] = task.put(msghdrBytes(msg{control: control, controlLen: uint64(len(ctl))}))
	checkLine(t, task, platform.Val(0),
		`sendmsg(3, {msg_name=NULL, msg_namelen=0, msg_iov=[], msg_iovlen=0, msg_control=[{cmsg_len=24, cmsg_level=SOL_SOCKET, cmsg_type=SCM_RIGHTS, cmsg_data=[5, 6]}, {cmsg_len=28, cmsg_level=SOL_SOCKET, cmsg_type=SCM_CREDENTIALS, cmsg_data={pid=10, uid=0, gid=0}}], msg_controllen=56, msg_flags=0}, 0) = 0`)
	// A cmsg_len past the buffer, and a huge one: no reading past it, no
	// endless loop.
	for _, l := range []uint64{1 << 20, ^uint64(0)} {
		task = newTask(unix.SYS_SENDMSG, 3)
		ctl = cmsg(unix.SOL_SOCKET, unix.SCM_RIGHTS, u32b(5))
		binary.LittleEndian.PutUint64(ctl, l)
		control = task.put(ctl)
		task.call.Args[1] = task.put(msghdrBytes(msg{control: control, controlLen: uint64(len(ctl))}))
		got := traceLine(t, task, errReply(unix.EINVAL))
		if !strings.Contains(got, "cmsg_data=[5, 0, ...]}]") {
			t.Errorf("cmsg_len %#x: %s", l, got)
		}
	}

	// 40 iovecs: the first 32 are shown.
	task = newTask(unix.SYS_SENDMSG, 7)
	x = task.put([]byte("x"))
	var many []iov
	for range 40 {
		many = append(many, iov{x, 1})
	}
	vec = task.put(iovecBytes(many...))
	task.call.Args[1] = task.put(msghdrBytes(msg{iov: vec, iovLen: 40}))
	got := traceLine(t, task, platform.Val(40))
	if want := `{iov_base="x", iov_len=1}, ...], msg_iovlen=40,`; !strings.Contains(got, want) || strings.Count(got, "iov_base") != 32 {
		t.Errorf("40 iovecs: %s\nwant 32 shown, then %q", got, want)
	}

	// recvmsg: the data received, across the iovecs.
	task = newTask(unix.SYS_RECVMSG, 3)
	a, b, c := task.put([]byte("a")), task.put([]byte("b\x00\x00\x00\x00\x00\x00\x00\x00\x00")), task.put(make([]byte, 5))
	vec = task.put(iovecBytes(iov{a, 1}, iov{b, 10}, iov{c, 5}))
	name = task.put(sin("127.0.0.1", 32914))
	hdr := task.put(msghdrBytes(msg{name: name, nameLen: 16, iov: vec, iovLen: 3}))
	task.call.Args[1] = hdr
	checkLine(t, task, platform.Val(2),
		`recvmsg(3, {msg_name={sa_family=AF_INET, sin_port=htons(32914), sin_addr=inet_addr("127.0.0.1")}, msg_namelen=16, msg_iov=[{iov_base="a", iov_len=1}, {iov_base="b", iov_len=10}, {iov_base="", iov_len=5}], msg_iovlen=3, msg_controllen=0, msg_flags=0}, 0) = 2`)
	// Failed or native: the msghdr is not shown.
	checkLine(t, task, errReply(unix.EAGAIN), "recvmsg(3, "+cHex(hdr)+", 0) = -1 EAGAIN (Resource temporarily unavailable)")
	task.call.Args[2] = unix.MSG_DONTWAIT
	checkLine(t, task, native, "recvmsg(3, "+cHex(hdr)+", MSG_DONTWAIT) = ? (native)")

	// Not from strace: msg_flags, and a TCP receive with no address
	// (strace shows "msg_namelen=16 => 0").
	task = newTask(unix.SYS_RECVMSG, 6)
	buf := task.put([]byte("x"))
	vec = task.put(iovecBytes(iov{buf, 10}))
	name = task.put(make([]byte, 16))
	task.call.Args[1] = task.put(msghdrBytes(msg{name: name, nameLen: 0, iov: vec, iovLen: 1, flags: unix.MSG_TRUNC}))
	checkLine(t, task, platform.Val(1),
		`recvmsg(6, {msg_name=`+cHex(name)+`, msg_namelen=0, msg_iov=[{iov_base="x", iov_len=10}], msg_iovlen=1, msg_controllen=0, msg_flags=MSG_TRUNC}, 0) = 1`)

	checkLine(t, newTask(unix.SYS_SENDMSG, 9, 0x10, unix.MSG_DONTWAIT), errReply(unix.EFAULT),
		"sendmsg(9, 0x10, MSG_DONTWAIT) = -1 EFAULT (Bad address)")
	// An unreadable iovec array and an unreadable iov_base.
	task = newTask(unix.SYS_SENDMSG, 9)
	vec = task.put(iovecBytes(iov{unmappedAddr, 4}))
	task.call.Args[1] = task.put(msghdrBytes(msg{iov: unmappedAddr, iovLen: 2}))
	checkLine(t, task, errReply(unix.EFAULT),
		"sendmsg(9, {msg_name=NULL, msg_namelen=0, msg_iov=0xdead0000, msg_iovlen=2, msg_controllen=0, msg_flags=0}, 0) = -1 EFAULT (Bad address)")
	task.call.Args[1] = task.put(msghdrBytes(msg{iov: vec, iovLen: 1}))
	checkLine(t, task, errReply(unix.EFAULT),
		"sendmsg(9, {msg_name=NULL, msg_namelen=0, msg_iov=[{iov_base=0xdead0000, iov_len=4}], msg_iovlen=1, msg_controllen=0, msg_flags=0}, 0) = -1 EFAULT (Bad address)")
}

// mmsgs lays out an mmsghdr array of n messages, each of one iovec of 50
// bytes holding data, an AF_INET address and msg_len.
func mmsgs(task *fakeTask, data []string, msgLen uint32) uint64 {
	var arr []byte
	for _, d := range data {
		buf := task.put(append([]byte(d), make([]byte, 50-len(d))...))
		vec := task.put(iovecBytes(iov{buf, 50}))
		name := task.put(sin("127.0.0.1", 34398))
		l := msgLen
		if l == 0 {
			l = uint32(len(d))
		}
		arr = append(arr, msghdrBytes(msg{name: name, nameLen: 16, iov: vec, iovLen: 1})...)
		arr = append(arr, u32b(l)...)
		arr = append(arr, 0, 0, 0, 0)
	}
	return task.put(arr)
}

func TestTraceMmsg(t *testing.T) {
	task := newTask(unix.SYS_RECVMMSG, 14)
	task.call.Args[1] = mmsgs(task, []string{strings.Repeat("q", 40), "r"}, 0)
	task.call.Args[2] = 2
	checkLine(t, task, platform.Val(2),
		`recvmmsg(14, [{msg_hdr={msg_name={sa_family=AF_INET, sin_port=htons(34398), sin_addr=inet_addr("127.0.0.1")}, msg_namelen=16, msg_iov=[{iov_base="qqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqq"..., iov_len=50}], msg_iovlen=1, msg_controllen=0, msg_flags=0}, msg_len=40}, {msg_hdr={msg_name={sa_family=AF_INET, sin_port=htons(34398), sin_addr=inet_addr("127.0.0.1")}, msg_namelen=16, msg_iov=[{iov_base="r", iov_len=50}], msg_iovlen=1, msg_controllen=0, msg_flags=0}, msg_len=1}], 2, 0, NULL) = 2`)
	// Only the messages received are shown.
	task.call.Args[2] = 5
	got := traceLine(t, task, platform.Val(1))
	if strings.Count(got, "msg_hdr") != 1 || !strings.HasSuffix(got, "}], 5, 0, NULL) = 1") {
		t.Errorf("recvmmsg of one message: %s", got)
	}
	vec := cHex(task.call.Args[1])
	checkLine(t, task, errReply(unix.EAGAIN), "recvmmsg(14, "+vec+", 5, 0, NULL) = -1 EAGAIN (Resource temporarily unavailable)")
	// Not from strace: a timeout.
	task.call.Args[4] = task.put(append(u64b(1), u64b(500)...))
	checkLine(t, task, errReply(unix.EAGAIN), "recvmmsg(14, "+vec+", 5, 0, {tv_sec=1, tv_nsec=500}) = -1 EAGAIN (Resource temporarily unavailable)")

	task = newTask(unix.SYS_SENDMMSG, 14)
	task.call.Args[1] = mmsgs(task, []string{strings.Repeat("q", 40), "r"}, 50)
	task.call.Args[2] = 2
	checkLine(t, task, platform.Val(2),
		`sendmmsg(14, [{msg_hdr={msg_name={sa_family=AF_INET, sin_port=htons(34398), sin_addr=inet_addr("127.0.0.1")}, msg_namelen=16, msg_iov=[{iov_base="qqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqq"..., iov_len=50}], msg_iovlen=1, msg_controllen=0, msg_flags=0}, msg_len=50}, {msg_hdr={msg_name={sa_family=AF_INET, sin_port=htons(34398), sin_addr=inet_addr("127.0.0.1")}, msg_namelen=16, msg_iov=[{iov_base="r\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0"..., iov_len=50}], msg_iovlen=1, msg_controllen=0, msg_flags=0}, msg_len=50}], 2, 0) = 2`)
	// Native or failed: the messages to send, without msg_len.
	got = traceLine(t, task, native)
	if strings.Count(got, "msg_hdr") != 2 || strings.Contains(got, "msg_len") {
		t.Errorf("native sendmmsg: %s", got)
	}
	checkLine(t, newTask(unix.SYS_SENDMMSG, 14, unmappedAddr, 2), errReply(unix.EFAULT),
		"sendmmsg(14, 0xdead0000, 2, 0) = -1 EFAULT (Bad address)")
}

// TestTraceReadBudget checks that a call with many messages of many
// iovecs reads a bounded amount of memory and says where it stopped.
func TestTraceReadBudget(t *testing.T) {
	task := newTask(unix.SYS_RECVMMSG, 3)
	buf := task.put(make([]byte, 8))
	var many []iov
	for range 1024 {
		many = append(many, iov{buf, 8})
	}
	vec := task.put(iovecBytes(many...))
	var arr []byte
	for range 1024 {
		arr = append(arr, msghdrBytes(msg{iov: vec, iovLen: 1024})...)
		arr = append(arr, u32b(8192)...)
		arr = append(arr, 0, 0, 0, 0)
	}
	task.call.Args[1] = task.put(arr)
	task.call.Args[2] = 1024
	task.reads = 0
	got := traceLine(t, task, platform.Val(1024))
	if task.reads > traceReadBudget {
		t.Errorf("read memory %d times, want at most %d", task.reads, traceReadBudget)
	}
	if !strings.Contains(got, "...") || len(got) > 16<<10 {
		t.Errorf("line of %d bytes, want one that ends its arrays in \"...\": %.300s", len(got), got)
	}
}

func TestTraceIoctl(t *testing.T) {
	task := newTask(unix.SYS_IOCTL, 5, unix.TIOCINQ)
	task.call.Args[2] = task.put(u32b(7))
	checkLine(t, task, platform.Val(0), "ioctl(5, FIONREAD, [7]) = 0")
	// netbox runs socket ioctls natively: the count is not known yet.
	checkLine(t, task, native, "ioctl(5, FIONREAD, 0x10000) = ? (native)")
	checkLine(t, newTask(unix.SYS_IOCTL, 9, unix.TIOCINQ, 0x30), errReply(unix.EFAULT),
		"ioctl(9, FIONREAD, 0x30) = -1 EFAULT (Bad address)")
	checkLine(t, newTask(unix.SYS_IOCTL, 9, unix.SIOCGIFADDR, 0x30), errReply(unix.EFAULT),
		"ioctl(9, SIOCGIFADDR, 0x30) = -1 EFAULT (Bad address)")
	checkLine(t, newTask(unix.SYS_IOCTL, 3, 0x89ff, 0), errReply(unix.EFAULT),
		"ioctl(3, _IOC(_IOC_NONE, 0x89, 0xff, 0), 0) = -1 EFAULT (Bad address)")
	checkLine(t, newTask(unix.SYS_IOCTL, 3, unix.SIOCGIFNAME, 0), errReply(unix.EFAULT),
		"ioctl(3, SIOCGIFNAME, NULL) = -1 EFAULT (Bad address)")
	// Not from strace, which shows the rest of the ifreq on exit.
	task = newTask(unix.SYS_IOCTL, 5, unix.SIOCGIFFLAGS)
	task.call.Args[2] = task.put(append([]byte("lo"), make([]byte, 38)...))
	checkLine(t, task, native, `ioctl(5, SIOCGIFFLAGS, {ifr_name="lo"}) = ? (native)`)
	task = newTask(unix.SYS_IOCTL, 5, unix.SIOCGIFNAME)
	task.call.Args[2] = task.put(append(make([]byte, 16), u32b(1)...))
	checkLine(t, task, native, `ioctl(5, SIOCGIFNAME, {ifr_ifindex=1}) = ? (native)`)
}

func TestTraceResults(t *testing.T) {
	for _, c := range []struct {
		r    platform.Reply
		want string
	}{
		{platform.Val(0), "0"},
		{platform.Val(1 << 40), "1099511627776"},
		{native, "? (native)"},
		{errReply(unix.ECONNREFUSED), "-1 ECONNREFUSED (Connection refused)"},
		{errReply(unix.EAGAIN), "-1 EAGAIN (Resource temporarily unavailable)"},
		{errReply(unix.EINPROGRESS), "-1 EINPROGRESS (Operation now in progress)"},
		{errReply(unix.EADDRINUSE), "-1 EADDRINUSE (Address already in use)"},
		{errReply(unix.EADDRNOTAVAIL), "-1 EADDRNOTAVAIL (Cannot assign requested address)"},
		{errReply(unix.ENETUNREACH), "-1 ENETUNREACH (Network is unreachable)"},
		{errReply(unix.EPIPE), "-1 EPIPE (Broken pipe)"},
		{errReply(unix.EMSGSIZE), "-1 EMSGSIZE (Message too long)"},
		{errReply(unix.EREMOTEIO), "-1 EREMOTEIO (Remote I/O error)"},
		{errReply(unix.EOPNOTSUPP), "-1 EOPNOTSUPP (Operation not supported)"},
		{errReply(unix.EUCLEAN), "-1 EUCLEAN (Structure needs cleaning)"},
		{errReply(unix.EHWPOISON), "-1 EHWPOISON (Memory page has hardware error)"},
		{errReply(unix.EDEADLK), "-1 EDEADLK (Resource deadlock avoided)"},
		{platform.Errno(512), "-1 ERESTARTSYS (To be restarted if SA_RESTART is set)"},
		{platform.Errno(600), "-1 ERRNO_600 (Unknown error 600)"},
	} {
		checkLine(t, newTask(unix.SYS_LISTEN, 3, 1), c.r, "listen(3, 1) = "+c.want)
	}
	// A number netbox does not trap.
	checkLine(t, newTask(999, 1, 2), native, "syscall_999(0x1, 0x2, 0, 0, 0, 0) = ? (native)")
}

func TestQuoteBytes(t *testing.T) {
	for _, c := range []struct {
		in   string
		more bool
		want string
	}{
		{"", false, `""`},
		{"hi", false, `"hi"`},
		{"\"\\\f\n\r\t\v", false, `"\"\\\f\n\r\t\v"`},
		{"\x00\x01\x7f\xff", false, `"\0\1\177\377"`},
		// An octal digit after an escape forces three digits.
		{"\x005\x017\x018", false, `"\0005\0017\18"`},
		{"\x1b[0m", true, `"\33[0m"...`},
		{"\x08", false, `"\10"`},
	} {
		if got := quoteBytes([]byte(c.in), c.more); got != c.want {
			t.Errorf("quoteBytes(%q, %v) = %s, want %s", c.in, c.more, got, c.want)
		}
	}
}

// TestTraceAnsweredStale checks that a call its handler answered before
// the trace (bind, connect, accept, socket) does not show memory the
// program may have reused since.
func TestTraceAnsweredStale(t *testing.T) {
	task := newTask(unix.SYS_BIND, 3)
	task.call.Args[1] = task.put(sin("127.0.0.1", 80))
	task.call.Args[2] = 16
	task.Respond(platform.Val(0))
	checkLine(t, task, platform.Val(0), "bind(3, 0x10000, 16) = 0")

	task = newTask(unix.SYS_ACCEPT4, 3)
	task.call.Args[1] = task.put(sin("127.0.0.1", 80))
	task.call.Args[2] = task.put(u32b(16))
	task.InstallFD(9, true)
	checkLine(t, task, platform.Val(5), "accept4(3, 0x10000, 0x10010, 0) = 5")
}

// TestTraceWrap checks that a wrapped task renders the arguments when the
// handler answers the call itself, while the memory is the call's.
func TestTraceWrap(t *testing.T) {
	var buf bytes.Buffer
	h := New(nil, nil, &buf)
	if h2 := New(nil, nil, nil); h2.traceWrap(newTask(unix.SYS_BIND)) == nil {
		t.Fatal("traceWrap without --trace returned nil")
	} else if _, ok := h2.traceWrap(newTask(unix.SYS_BIND)).(*fakeTask); !ok {
		t.Error("traceWrap without --trace wrapped the task")
	}

	// bind answered before it is traced, then the program reuses its buffer.
	inner := newTask(unix.SYS_BIND, 3)
	sa := inner.put(sin("127.0.0.1", 80))
	inner.call.Args[1], inner.call.Args[2] = sa, 16
	task := h.traceWrap(inner)
	task.Respond(platform.Val(0))
	inner.WriteMem(sa, bytes.Repeat([]byte{0xee}, 16))
	h.reply(task, platform.Val(0))
	want := `[1234] bind(3, {sa_family=AF_INET, sin_port=htons(80), sin_addr=inet_addr("127.0.0.1")}, 16) = 0` + "\n"
	if buf.String() != want {
		t.Errorf("wrapped bind:\n got: %s\nwant: %s", buf.String(), want)
	}
	if len(inner.replies) != 1 {
		t.Errorf("wrapped bind answered %d times, want once", len(inner.replies))
	}

	// accept: the address is written, then the fd installed.
	buf.Reset()
	inner = newTask(unix.SYS_ACCEPT4, 3)
	sa = inner.put(make([]byte, 16))
	inner.call.Args[1], inner.call.Args[2], inner.call.Args[3] = sa, inner.put(u32b(16)), unix.SOCK_CLOEXEC
	task = h.traceWrap(inner)
	task.WriteMem(sa, sin("127.0.0.1", 33428))
	if fd, err := task.InstallFD(7, true); fd != 5 || err != nil {
		t.Fatalf("InstallFD through the wrapper: %d, %v", fd, err)
	}
	inner.WriteMem(sa, make([]byte, 16))
	h.reply(task, platform.Val(5))
	want = `[1234] accept4(3, {sa_family=AF_INET, sin_port=htons(33428), sin_addr=inet_addr("127.0.0.1")}, [16], SOCK_CLOEXEC) = 5` + "\n"
	if buf.String() != want {
		t.Errorf("wrapped accept:\n got: %s\nwant: %s", buf.String(), want)
	}

	// A call answered by reply is rendered once, by traceCall.
	buf.Reset()
	inner = newTask(unix.SYS_LISTEN, 3, 128)
	task = h.traceWrap(inner)
	h.reply(task, platform.Val(0))
	if buf.String() != "[1234] listen(3, 128) = 0\n" || len(inner.replies) != 1 || task.(*tracedTask).args != nil {
		t.Errorf("wrapped listen: %q, %d replies, args %q", buf.String(), len(inner.replies), task.(*tracedTask).args)
	}
}

// TestTracePanickingMemory checks that a reader that panics costs only the
// decoding.
func TestTracePanickingMemory(t *testing.T) {
	task := newTask(unix.SYS_CONNECT, 3, memBase, 16)
	task.panics = true
	checkLine(t, task, platform.Val(0), "connect(0x3, 0x10000, 0x10, 0, 0, 0) = 0")
}

// TestTraceRandom decodes random calls over random memory, without the
// recovery formatTraceArgs has: nothing may panic, and the line stays
// bounded.
func TestTraceRandom(t *testing.T) {
	rng := rand.New(rand.NewSource(1))
	nrs := []int{}
	for nr := range callNames {
		nrs = append(nrs, nr)
	}
	task := newTask(0)
	task.mem = make([]byte, 4096)
	for i := range 20000 {
		// Memory full of small numbers and pointers into itself.
		if i%100 == 0 {
			for j := 0; j+8 <= len(task.mem); j += 8 {
				switch rng.Intn(4) {
				case 0:
					binary.LittleEndian.PutUint64(task.mem[j:], memBase+uint64(rng.Intn(len(task.mem)+64)))
				case 1:
					binary.LittleEndian.PutUint64(task.mem[j:], uint64(rng.Intn(64)))
				case 2:
					binary.LittleEndian.PutUint64(task.mem[j:], rng.Uint64())
				default:
					binary.LittleEndian.PutUint16(task.mem[j:], uint16(rng.Intn(48)))
				}
			}
		}
		c := platform.Call{Nr: nrs[rng.Intn(len(nrs))]}
		for k := range c.Args {
			switch rng.Intn(4) {
			case 0:
				c.Args[k] = memBase + uint64(rng.Intn(len(task.mem)+64))
			case 1:
				c.Args[k] = uint64(rng.Intn(300))
			case 2:
				c.Args[k] = rng.Uint64()
			default:
				c.Args[k] = uint64(int64(-rng.Intn(3)))
			}
		}
		rs := []platform.Reply{platform.Val(int64(rng.Intn(100))), platform.Val(-5), native, errReply(unix.EINVAL), platform.Val(1 << 62)}
		r := rs[rng.Intn(len(rs))]
		task.reads = 0
		f := &callFormatter{m: task, reads: traceReadBudget, done: !r.Continue && r.Errno == 0, ret: r.Val}
		args := f.args(c)
		if task.reads > traceReadBudget {
			t.Fatalf("call %+v: %d reads", c, task.reads)
		}
		if n := len(strings.Join(args, ", ")); n > 64<<10 {
			t.Fatalf("call %+v: %d-byte line", c, n)
		}
	}
}
