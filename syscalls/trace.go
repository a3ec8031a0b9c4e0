package syscalls

import (
	"encoding/binary"
	"fmt"
	"net/netip"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"

	"github.com/netbox-sandbox/netbox/platform"
	"github.com/netbox-sandbox/netbox/syscalls/abi"
)

// callNames are the names of the calls the filter traps.
var callNames = map[int]string{
	unix.SYS_SOCKET: "socket", unix.SYS_BIND: "bind", unix.SYS_CONNECT: "connect",
	unix.SYS_LISTEN: "listen", unix.SYS_ACCEPT: "accept", unix.SYS_ACCEPT4: "accept4",
	unix.SYS_GETSOCKNAME: "getsockname", unix.SYS_GETPEERNAME: "getpeername",
	unix.SYS_SHUTDOWN: "shutdown", unix.SYS_SETSOCKOPT: "setsockopt", unix.SYS_GETSOCKOPT: "getsockopt",
	unix.SYS_SENDTO: "sendto", unix.SYS_RECVFROM: "recvfrom", unix.SYS_SENDMSG: "sendmsg",
	unix.SYS_RECVMSG: "recvmsg", unix.SYS_SENDMMSG: "sendmmsg", unix.SYS_RECVMMSG: "recvmmsg",
	unix.SYS_IOCTL: "ioctl", unix.SYS_OPEN: "open", unix.SYS_OPENAT: "openat", unix.SYS_OPENAT2: "openat2",
}

// Bounds on what one trace line reads from the program, as strace's
// defaults: a buffer shows its first traceMaxStr bytes, an array its first
// traceMaxArray elements. traceReadBudget bounds the ReadMem calls a line
// makes (a recvmmsg of many messages of many iovecs); past it, arrays end
// in "..." and pointers are shown in hex.
const (
	traceMaxStr     = 32
	traceMaxArray   = 32
	traceReadBudget = 64
	// traceMaxControl bounds the control data of one msghdr that is read.
	traceMaxControl = 256
)

// traceCall writes one line in strace's style: "[tid] name(args) = result".
//
// It runs just before the call is answered, while the call is pending, so
// the values a successful call wrote into the program (a getsockopt value,
// a peer address, received data) are shown as strace shows them on exit.
// Memory it cannot read is shown as the pointer, in hex.
//
// Some handlers answer the call themselves before reply traces it: socket
// and accept (InstallFD).
// The program has run on by then and may have reused the memory, so
// reading it would show garbage. A task wrapped by traceWrap renders the
// arguments at the moment the handler answers; an unwrapped task that was
// answered already shows its pointers in hex instead of stale contents.
func (h *Handler) traceCall(t Task, r platform.Reply) {
	var args []string
	var m traceMem = t
	if tt, ok := t.(*tracedTask); ok {
		tt.traced = true
		args = tt.args
	} else if t.Answered() {
		m = staleMem{}
	}
	c := t.Call()
	if args == nil {
		args = formatTraceArgs(m, c, r)
	}
	line := formatTraceLine(c, args, r)
	h.traceMu.Lock()
	defer h.traceMu.Unlock()
	fmt.Fprintln(h.trace, line)
}

// traceWrap returns t wrapped so that the arguments of a call its handler
// answers itself are rendered while the call is still pending; without
// --trace, t itself. It takes effect once Handle wraps each task before
// dispatching it:
//
//	t = h.traceWrap(t)
func (h *Handler) traceWrap(t Task) Task {
	if h.trace == nil {
		return t
	}
	return &tracedTask{Task: t}
}

// tracedTask is a Task whose answers made by the handler itself (Respond,
// InstallFD) first render the trace line's arguments, for traceCall.
type tracedTask struct {
	Task
	args   []string // rendered when the handler answered the call
	traced bool     // traceCall ran: later answers need no rendering
}

// Respond renders the arguments, unless traceCall already did, and answers.
func (t *tracedTask) Respond(r platform.Reply) error {
	if !t.traced && t.args == nil {
		t.args = formatTraceArgs(t.Task, t.Call(), r)
	}
	return t.Task.Respond(r)
}

// InstallFD renders the arguments as those of a call that succeeds, then
// installs the fd; if that fails the call is still pending and traceCall
// renders them again.
func (t *tracedTask) InstallFD(srcfd int, cloexec bool) (int, error) {
	if !t.traced && t.args == nil {
		t.args = formatTraceArgs(t.Task, t.Call(), platform.Val(0))
	}
	fd, err := t.Task.InstallFD(srcfd, cloexec)
	if err != nil {
		t.args = nil
	}
	return fd, err
}

// Answered reports whether the wrapped task was answered, for reply.
func (t *tracedTask) Answered() bool { return t.Task.Answered() }

// staleMem stands for the memory of a program that has run on since its
// call was answered: nothing in it is read.
type staleMem struct{}

// ReadMem implements traceMem; it always fails.
func (staleMem) ReadMem(addr uint64, p []byte) error { return unix.EFAULT }

// traceMem is the part of a Task a trace line reads from.
type traceMem interface {
	ReadMem(addr uint64, p []byte) error
}

// formatTrace renders a call and its reply as a trace line, without the
// newline, reading the program's memory through m.
func formatTrace(m traceMem, c platform.Call, r platform.Reply) string {
	return formatTraceLine(c, formatTraceArgs(m, c, r), r)
}

// formatTraceLine joins the parts of a trace line.
func formatTraceLine(c platform.Call, args []string, r platform.Reply) string {
	name := callNames[c.Nr]
	if name == "" {
		name = fmt.Sprintf("syscall_%d", c.Nr)
	}
	return fmt.Sprintf("[%d] %s(%s) = %s", c.Tid, name, strings.Join(args, ", "), formatResult(r))
}

// formatTraceArgs renders the arguments of c, answered with r. A decoder
// that panics (it should not) costs only the decoding: the arguments are
// then shown raw.
func formatTraceArgs(m traceMem, c platform.Call, r platform.Reply) (args []string) {
	defer func() {
		if recover() != nil {
			args = rawArgs(c)
		}
	}()
	f := &callFormatter{m: m, reads: traceReadBudget, done: !r.Continue && r.Errno == 0, ret: r.Val}
	return f.args(c)
}

// rawArgs are the six arguments in hex, for a call netbox does not decode.
func rawArgs(c platform.Call) []string {
	args := make([]string, len(c.Args))
	for i, v := range c.Args {
		args[i] = cHex(v)
	}
	return args
}

// formatResult renders what the call returns: the value, "-1 ENAME (Text)"
// for an error, "? (native)" for a call the kernel runs itself (its result
// is not known to netbox).
func formatResult(r platform.Reply) string {
	switch {
	case r.Continue:
		return "? (native)"
	case r.Errno != 0:
		return formatErrno(r.Errno)
	default:
		return strconv.FormatInt(r.Val, 10)
	}
}

// callFormatter decodes the arguments of one call from the program's
// memory.
type callFormatter struct {
	m     traceMem
	reads int // ReadMem calls left
	// done is set when the call completed successfully: its results are
	// in the program's memory and ret is its value.
	done bool
	ret  int64
}

// traceLE is the byte order of the program's structures.
var traceLE = binary.LittleEndian

// read copies n bytes at addr, or reports that it cannot (NULL, unreadable,
// or the line's read budget spent).
func (f *callFormatter) read(addr uint64, n int) ([]byte, bool) {
	if n <= 0 {
		return nil, n == 0
	}
	if addr == 0 || f.reads <= 0 {
		return nil, false
	}
	f.reads--
	b := make([]byte, n)
	if f.m.ReadMem(addr, b) != nil {
		return nil, false
	}
	return b, true
}

// tracePointer renders an address as strace does: NULL or hex.
func tracePointer(addr uint64) string {
	if addr == 0 {
		return "NULL"
	}
	return cHex(addr)
}

// dirFD renders an *at call's directory fd: AT_FDCWD or the number.
func dirFD(v uint64) string {
	if int32(v) == unix.AT_FDCWD {
		return "AT_FDCWD"
	}
	return traceInt(v)
}

// path renders a path argument as a quoted string (its address when
// unreadable).
func (f *callFormatter) path(addr uint64) string {
	if f.reads <= 0 {
		return tracePointer(addr)
	}
	f.reads--
	p, err := abi.CopyInPath(f.m, addr)
	if err != nil {
		return tracePointer(addr)
	}
	return strconv.Quote(p)
}

// traceInt renders an int argument (a file descriptor, a length, a backlog).
func traceInt(v uint64) string { return strconv.Itoa(int(int32(v))) }

// args decodes the arguments of c.
func (f *callFormatter) args(c platform.Call) []string {
	a := c.Args
	switch c.Nr {
	case unix.SYS_OPEN:
		return []string{f.path(a[0]), cHex(uint64(uint32(a[1])))}
	case unix.SYS_OPENAT:
		return []string{dirFD(a[0]), f.path(a[1]), cHex(uint64(uint32(a[2])))}
	case unix.SYS_OPENAT2:
		return []string{dirFD(a[0]), f.path(a[1]), tracePointer(a[2]), strconv.FormatUint(a[3], 10)}
	case unix.SYS_SOCKET:
		return []string{addressFamilies.format(uint64(uint32(a[0])), "AF_???"), socketType(a[1]), socketProtocol(a[0], a[2])}
	case unix.SYS_BIND, unix.SYS_CONNECT:
		return []string{traceInt(a[0]), f.sockaddr(a[1], int32(a[2])), traceInt(a[2])}
	case unix.SYS_LISTEN:
		return []string{traceInt(a[0]), traceInt(a[1])}
	case unix.SYS_ACCEPT, unix.SYS_GETSOCKNAME, unix.SYS_GETPEERNAME:
		return []string{traceInt(a[0]), f.sockaddrOut(a[1], a[2]), f.intAt(a[2])}
	case unix.SYS_ACCEPT4:
		return []string{traceInt(a[0]), f.sockaddrOut(a[1], a[2]), f.intAt(a[2]), formatFlags(uint64(uint32(a[3])), socketFlags)}
	case unix.SYS_SHUTDOWN:
		return []string{traceInt(a[0]), shutdownHows.format(uint64(uint32(a[1])), "SHUT_???")}
	case unix.SYS_SETSOCKOPT:
		level, name := uint64(uint32(a[1])), uint64(uint32(a[2]))
		return []string{traceInt(a[0]), socketLevels.format(level, "SOL_??"), formatOptName(level, name),
			f.optval(level, name, a[3], int32(a[4])), traceInt(a[4])}
	case unix.SYS_GETSOCKOPT:
		level, name := uint64(uint32(a[1])), uint64(uint32(a[2]))
		val := tracePointer(a[3])
		if f.done {
			if l, ok := f.u32(a[4]); ok {
				val = f.optval(level, name, a[3], int32(l))
			}
		}
		return []string{traceInt(a[0]), socketLevels.format(level, "SOL_??"), formatOptName(level, name), val, f.intAt(a[4])}
	case unix.SYS_SENDTO:
		return []string{traceInt(a[0]), f.buffer(a[1], a[2]), strconv.FormatUint(a[2], 10),
			formatFlags(uint64(uint32(a[3])), msgFlags), f.sockaddr(a[4], int32(a[5])), traceInt(a[5])}
	case unix.SYS_RECVFROM:
		buf := tracePointer(a[1])
		if f.done {
			buf = f.buffer(a[1], min(uint64(max(f.ret, 0)), a[2]))
		}
		return []string{traceInt(a[0]), buf, strconv.FormatUint(a[2], 10),
			formatFlags(uint64(uint32(a[3])), msgFlags), f.sockaddrOut(a[4], a[5]), f.intAt(a[5])}
	case unix.SYS_SENDMSG:
		return []string{traceInt(a[0]), f.msghdrAt(a[1], -1), formatFlags(uint64(uint32(a[2])), msgFlags)}
	case unix.SYS_RECVMSG:
		msg := tracePointer(a[1])
		if f.done {
			msg = f.msghdrAt(a[1], f.ret)
		}
		return []string{traceInt(a[0]), msg, formatFlags(uint64(uint32(a[2])), msgFlags)}
	case unix.SYS_SENDMMSG:
		return []string{traceInt(a[0]), f.mmsgs(a[1], uint32(a[2]), false),
			strconv.FormatUint(uint64(uint32(a[2])), 10), formatFlags(uint64(uint32(a[3])), msgFlags)}
	case unix.SYS_RECVMMSG:
		vec := tracePointer(a[1])
		if f.done {
			vec = f.mmsgs(a[1], uint32(a[2]), true)
		}
		return []string{traceInt(a[0]), vec, strconv.FormatUint(uint64(uint32(a[2])), 10),
			formatFlags(uint64(uint32(a[3])), msgFlags), f.timespec(a[4])}
	case unix.SYS_IOCTL:
		req := uint64(uint32(a[1]))
		arg := f.ioctlArg(req, a[2])
		if _, known := ioctlNames[req]; !known {
			arg = cHex(a[2]) // strace shows an unknown ioctl's argument as a number
		}
		return []string{traceInt(a[0]), formatIoctl(req), arg}
	}
	return rawArgs(c)
}

// socketType renders socket's type: the SOCK_ type, then its flags.
func socketType(v uint64) string {
	t := uint32(v)
	s := socketTypes.format(uint64(t&0xf), "SOCK_???")
	if rest := uint64(t &^ 0xf); rest != 0 {
		s += "|" + formatFlags(rest, socketFlags)
	}
	return s
}

// socketProtocol renders socket's protocol, named for the families whose
// protocol numbers strace names.
func socketProtocol(family, proto uint64) string {
	switch uint32(family) {
	case unix.AF_INET, unix.AF_INET6:
		return inetProtocols.format(uint64(uint32(proto)), "IPPROTO_???")
	case unix.AF_NETLINK:
		return netlinkProtocols.format(uint64(uint32(proto)), "NETLINK_???")
	}
	return traceInt(proto)
}

// u32 reads a 32-bit value (a socklen_t, an int).
func (f *callFormatter) u32(addr uint64) (uint32, bool) {
	b, ok := f.read(addr, 4)
	if !ok {
		return 0, false
	}
	return traceLE.Uint32(b), true
}

// intAt renders a pointer to an int as "[value]" (an addrlen, an optlen).
func (f *callFormatter) intAt(addr uint64) string {
	v, ok := f.u32(addr)
	if !ok {
		return tracePointer(addr)
	}
	return "[" + strconv.Itoa(int(int32(v))) + "]"
}

// buffer renders n bytes at addr as a quoted string, cut at traceMaxStr
// bytes.
func (f *callFormatter) buffer(addr uint64, n uint64) string {
	k := min(n, traceMaxStr)
	b, ok := f.read(addr, int(k))
	if !ok {
		return tracePointer(addr)
	}
	return quoteBytes(b, n > k)
}

// sockaddr renders the sockaddr of n bytes at addr. A length below that of
// sa_family, or one that is negative, shows the pointer, as strace does.
func (f *callFormatter) sockaddr(addr uint64, n int32) string {
	if addr == 0 {
		return "NULL"
	}
	if n < 2 {
		return tracePointer(addr)
	}
	b, ok := f.read(addr, int(min(n, abi.SockaddrStorageSize)))
	if !ok {
		return tracePointer(addr)
	}
	return formatSockaddr(b)
}

// sockaddrOut renders a sockaddr the call writes, whose length it stores
// at lenPtr: decoded when the call succeeded, else the pointer.
func (f *callFormatter) sockaddrOut(addr, lenPtr uint64) string {
	if addr == 0 || !f.done {
		return tracePointer(addr)
	}
	l, ok := f.u32(lenPtr)
	if !ok {
		return tracePointer(addr)
	}
	return f.sockaddr(addr, int32(l))
}

// formatSockaddr decodes a sockaddr of at least two bytes.
func formatSockaddr(b []byte) string {
	family := traceLE.Uint16(b)
	var s strings.Builder
	s.WriteString("{sa_family=")
	s.WriteString(addressFamilies.format(uint64(family), "AF_???"))
	switch {
	case family == unix.AF_INET && len(b) >= abi.SizeofSockaddrInet4:
		fmt.Fprintf(&s, ", sin_port=htons(%d), sin_addr=inet_addr(\"%s\")",
			binary.BigEndian.Uint16(b[2:]), netip.AddrFrom4([4]byte(b[4:8])))
	case family == unix.AF_INET6 && len(b) >= 24: // SIN6_LEN_RFC2133
		fmt.Fprintf(&s, ", sin6_port=htons(%d), sin6_flowinfo=htonl(%d), inet_pton(AF_INET6, \"%s\", &sin6_addr)",
			binary.BigEndian.Uint16(b[2:]), binary.BigEndian.Uint32(b[4:]), netip.AddrFrom16([16]byte(b[8:24])))
		if len(b) >= abi.SizeofSockaddrInet6 {
			fmt.Fprintf(&s, ", sin6_scope_id=%d", traceLE.Uint32(b[24:]))
		}
	case family == unix.AF_UNIX:
		if path := b[2:]; len(path) > 0 {
			if path[0] == 0 {
				s.WriteString(", sun_path=@" + quoteBytes(path[1:], false))
			} else {
				if i := strings.IndexByte(string(path), 0); i >= 0 {
					path = path[:i]
				}
				s.WriteString(", sun_path=" + quoteBytes(path, false))
			}
		}
	case family == unix.AF_NETLINK && len(b) >= 12:
		if pad := traceLE.Uint16(b[2:]); pad != 0 {
			fmt.Fprintf(&s, ", nl_pad=%#x", pad)
		}
		fmt.Fprintf(&s, ", nl_pid=%d, nl_groups=%08x", traceLE.Uint32(b[4:]), traceLE.Uint32(b[8:]))
	case family == unix.AF_VSOCK && len(b) >= 16:
		vm := func(v uint32, any string) string {
			if v == unix.VMADDR_CID_ANY {
				return any
			}
			return strconv.FormatUint(uint64(v), 10)
		}
		fmt.Fprintf(&s, ", svm_port=%s, svm_cid=%s, svm_flags=%#x", vm(traceLE.Uint32(b[4:]), "VMADDR_PORT_ANY"),
			vm(traceLE.Uint32(b[8:]), "VMADDR_CID_ANY"), b[12])
	default:
		if len(b) > 2 {
			s.WriteString(", sa_data=" + quoteBytes(b[2:], false))
		}
	}
	s.WriteByte('}')
	return s.String()
}

// Socket options whose values are decoded as structures or strings.
const (
	soLinger        = 13
	soPeercred      = 17
	soRcvtimeoOld   = 20
	soSndtimeoOld   = 21
	soBindtodevice  = 25
	soRcvtimeoNew   = 66
	soSndtimeoNew   = 67
	ipAddMembership = 35
	ipDropMember    = 36
	ipv6AddMember   = 20
	ipv6DropMember  = 21
	tcpCongestion   = 13
	tcpULP          = 31
)

// optval renders a socket option value of n bytes at addr: the structure
// of the options strace decodes, [int] for an int (n is 4, or more for an
// option in intOptions), the bytes as a string otherwise.
func (f *callFormatter) optval(level, name uint64, addr uint64, n int32) string {
	if addr == 0 {
		return "NULL"
	}
	if n <= 0 {
		return tracePointer(addr)
	}
	b, ok := f.read(addr, int(min(n, traceMaxStr)))
	if !ok {
		return tracePointer(addr)
	}
	type opt struct{ level, name uint64 }
	switch (opt{level, name}) {
	case opt{solSocket, soLinger}:
		if n >= 8 {
			return fmt.Sprintf("{l_onoff=%d, l_linger=%d}", int32(traceLE.Uint32(b)), int32(traceLE.Uint32(b[4:])))
		}
	case opt{solSocket, soPeercred}:
		if n >= 12 {
			return fmt.Sprintf("{pid=%d, uid=%d, gid=%d}", int32(traceLE.Uint32(b)), int32(traceLE.Uint32(b[4:])), int32(traceLE.Uint32(b[8:])))
		}
	case opt{solSocket, soRcvtimeoOld}, opt{solSocket, soSndtimeoOld}, opt{solSocket, soRcvtimeoNew}, opt{solSocket, soSndtimeoNew}:
		if n >= 16 {
			return fmt.Sprintf("{tv_sec=%d, tv_usec=%d}", int64(traceLE.Uint64(b)), int64(traceLE.Uint64(b[8:])))
		}
	case opt{solSocket, soBindtodevice}, opt{solTCP, tcpCongestion}, opt{solTCP, tcpULP}:
		return quoteBytes(b, n > traceMaxStr)
	case opt{solIP, ipAddMembership}, opt{solIP, ipDropMember}:
		if n >= 8 {
			return fmt.Sprintf("{imr_multiaddr=inet_addr(\"%s\"), imr_interface=inet_addr(\"%s\")}",
				netip.AddrFrom4([4]byte(b[0:4])), netip.AddrFrom4([4]byte(b[4:8])))
		}
	case opt{solIPv6, ipv6AddMember}, opt{solIPv6, ipv6DropMember}:
		if n >= 20 {
			return fmt.Sprintf("{inet_pton(AF_INET6, \"%s\", &ipv6mr_multiaddr), ipv6mr_interface=%d}",
				netip.AddrFrom16([16]byte(b[0:16])), traceLE.Uint32(b[16:]))
		}
	}
	if n == 4 || n > 4 && intOptions[[2]uint64{level, name}] {
		return "[" + strconv.Itoa(int(int32(traceLE.Uint32(b)))) + "]"
	}
	return quoteBytes(b, n > traceMaxStr)
}

// msghdrAt renders the msghdr at addr. data is how many bytes of the iovecs
// to show, for a received message; -1 shows each iovec's length.
func (f *callFormatter) msghdrAt(addr uint64, data int64) string {
	b, ok := f.read(addr, abi.SizeofMsghdr)
	if !ok {
		return tracePointer(addr)
	}
	return f.msghdr(abi.ParseMsghdr(b), data)
}

// msghdr renders a msghdr; data is as for msghdrAt.
func (f *callFormatter) msghdr(m abi.Msghdr, data int64) string {
	var s strings.Builder
	s.WriteString("{msg_name=")
	s.WriteString(f.sockaddr(m.Name, int32(min(m.NameLen, abi.SockaddrStorageSize))))
	fmt.Fprintf(&s, ", msg_namelen=%d, msg_iov=%s, msg_iovlen=%d", m.NameLen, f.iovecs(m.Iov, m.IovLen, data), m.IovLen)
	if m.Control != 0 && m.ControlLen != 0 {
		s.WriteString(", msg_control=")
		s.WriteString(f.cmsgs(m.Control, m.ControlLen))
	}
	fmt.Fprintf(&s, ", msg_controllen=%d, msg_flags=%s}", m.ControlLen, formatFlags(uint64(uint32(m.Flags)), msgFlags))
	return s.String()
}

// iovecs renders an iovec array of n entries at addr with the data of each
// entry: all of it (cut at traceMaxStr) when data is -1, else the first
// data bytes across the entries, in order.
func (f *callFormatter) iovecs(addr, n uint64, data int64) string {
	if n == 0 {
		return "[]"
	}
	shown := min(n, traceMaxArray)
	b, ok := f.read(addr, int(shown)*16)
	if !ok {
		return tracePointer(addr)
	}
	var s strings.Builder
	s.WriteByte('[')
	for i := range shown {
		if i > 0 {
			s.WriteString(", ")
		}
		if f.reads <= 0 {
			s.WriteString("...")
			break
		}
		base, length := traceLE.Uint64(b[i*16:]), traceLE.Uint64(b[i*16+8:])
		k := length
		if data >= 0 {
			k = min(length, uint64(data))
			data -= int64(k)
		}
		fmt.Fprintf(&s, "{iov_base=%s, iov_len=%d}", f.buffer(base, k), length)
		if i == shown-1 && n > shown {
			s.WriteString(", ...")
		}
	}
	s.WriteByte(']')
	return s.String()
}

// scmNames are the control message types at SOL_SOCKET.
var scmNames = xlat{1: "SCM_RIGHTS", 2: "SCM_CREDENTIALS", 3: "SCM_SECURITY", 4: "SCM_PIDFD"}

// cmsgs renders the control messages of n bytes at addr: the header of
// each, and its data as file descriptors, credentials, an int or bytes.
func (f *callFormatter) cmsgs(addr, n uint64) string {
	b, ok := f.read(addr, int(min(n, traceMaxControl)))
	if !ok {
		return tracePointer(addr)
	}
	const hdr = 16 // sizeof(struct cmsghdr)
	var s strings.Builder
	s.WriteByte('[')
	for off, i := 0, 0; off+hdr <= len(b); i++ {
		if i > 0 {
			s.WriteString(", ")
		}
		if i == traceMaxArray {
			s.WriteString("...")
			break
		}
		l := traceLE.Uint64(b[off:])
		level, typ := uint64(traceLE.Uint32(b[off+8:])), uint64(traceLE.Uint32(b[off+12:]))
		typName := formatOptName(level, typ)
		if level == solSocket {
			typName = scmNames.format(typ, "SCM_???")
			if typ > 4 {
				typName = formatOptName(level, typ)
			}
		}
		fmt.Fprintf(&s, "{cmsg_len=%d, cmsg_level=%s, cmsg_type=%s", l, socketLevels.format(level, "SOL_??"), typName)
		if l < hdr {
			s.WriteString("}")
			break
		}
		avail := uint64(len(b) - off)
		end := off + int(min(l, avail))
		s.WriteString(", cmsg_data=" + formatCmsgData(level, typ, b[off+hdr:end], l > avail))
		s.WriteByte('}')
		if l > avail-min(avail, 7) {
			break // the last one that fits (CMSG_NXTHDR)
		}
		off += int((l + 7) &^ 7)
	}
	s.WriteByte(']')
	if n > traceMaxControl {
		s.WriteString("...")
	}
	return s.String()
}

// formatCmsgData renders the data of one control message; cut says that
// it goes past what was read.
func formatCmsgData(level, typ uint64, d []byte, cut bool) string {
	switch {
	case level == solSocket && typ == unix.SCM_RIGHTS:
		var fds []string
		for i := 0; i+4 <= len(d); i += 4 {
			fds = append(fds, strconv.Itoa(int(int32(traceLE.Uint32(d[i:])))))
		}
		if cut {
			fds = append(fds, "...")
		}
		return "[" + strings.Join(fds, ", ") + "]"
	case level == solSocket && typ == unix.SCM_CREDENTIALS && len(d) >= 12:
		return fmt.Sprintf("{pid=%d, uid=%d, gid=%d}", int32(traceLE.Uint32(d)), traceLE.Uint32(d[4:]), traceLE.Uint32(d[8:]))
	case len(d) == 4 && !cut:
		return "[" + strconv.Itoa(int(int32(traceLE.Uint32(d)))) + "]"
	}
	return quoteBytes(d[:min(len(d), traceMaxStr)], cut || len(d) > traceMaxStr)
}

// mmsgs renders the mmsghdr array of sendmmsg/recvmmsg. Once the call
// succeeded, the messages it handled are shown with their msg_len (and,
// received, their data); before, the vlen messages to send.
func (f *callFormatter) mmsgs(addr uint64, vlen uint32, recv bool) string {
	n := uint64(vlen)
	if f.done {
		n = min(n, uint64(max(f.ret, 0)))
	}
	if addr == 0 {
		return "NULL"
	}
	var s strings.Builder
	s.WriteByte('[')
	for i := range min(n, traceMaxArray) {
		if i > 0 {
			s.WriteString(", ")
		}
		b, ok := f.read(addr+i*abi.SizeofMmsghdr, abi.SizeofMmsghdr)
		if !ok {
			if i == 0 {
				return tracePointer(addr)
			}
			s.WriteString("...")
			break
		}
		m, msgLen := abi.ParseMsghdr(b), traceLE.Uint32(b[abi.SizeofMsghdr:])
		data := int64(-1)
		if recv {
			data = int64(msgLen)
		}
		s.WriteString("{msg_hdr=" + f.msghdr(m, data))
		if f.done {
			fmt.Fprintf(&s, ", msg_len=%d", msgLen)
		}
		s.WriteByte('}')
		if i == traceMaxArray-1 && n > traceMaxArray {
			s.WriteString(", ...")
		}
	}
	s.WriteByte(']')
	return s.String()
}

// timespec renders recvmmsg's timeout.
func (f *callFormatter) timespec(addr uint64) string {
	b, ok := f.read(addr, 16)
	if !ok {
		return tracePointer(addr)
	}
	return fmt.Sprintf("{tv_sec=%d, tv_nsec=%d}", int64(traceLE.Uint64(b)), int64(traceLE.Uint64(b[8:])))
}

// ioctlArg renders a socket ioctl's argument: FIONREAD's count once the
// call succeeded, the interface an ifreq names, else the pointer.
func (f *callFormatter) ioctlArg(req, arg uint64) string {
	switch {
	case req == ioctlFIONREAD:
		if f.done {
			return f.intAt(arg)
		}
	case req == ioctlSIOCGIFNAME:
		if b, ok := f.read(arg+unix.IFNAMSIZ, 4); ok {
			return fmt.Sprintf("{ifr_ifindex=%d}", int32(traceLE.Uint32(b)))
		}
	case ifreqNamed(req):
		if b, ok := f.read(arg, unix.IFNAMSIZ); ok {
			if i := strings.IndexByte(string(b), 0); i >= 0 {
				b = b[:i]
			}
			return "{ifr_name=" + quoteBytes(b, false) + "}"
		}
	}
	return tracePointer(arg)
}
