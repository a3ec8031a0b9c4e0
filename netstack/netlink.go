package netstack

import (
	"encoding/binary"
	"fmt"
	"os"
	"sync"
	"sync/atomic"

	"golang.org/x/sys/unix"

	"github.com/netbox-sandbox/netbox/netstack/sockaddr"
)

// Netlink sockets netbox serves: NETLINK_SOCK_DIAG, so that ss and other
// programs list the sandbox's own sockets (sockdiag.go). Like the inet
// sockets, the program holds a placeholder: an AF_UNIX datagram socket
// connected to netbox's "kernel" socket, so that native send and write
// reach netbox as well as the trapped sendmsg; replies are queued on the
// placeholder by that kernel socket, one datagram per skb Linux would
// send, so native recv and read see them too.

// Netlink constants x/sys lacks or names differently.
const (
	nlmsgHdrLen = unix.NLMSG_HDRLEN
	// nlDumpSize bounds a datagram of a dump's replies, as Linux fills an
	// skb of a few pages before it queues the next.
	nlDumpSize = 16 << 10
	// nlMaxPending bounds the replies a socket may have waiting to be
	// queued (its reader is slow): beyond, a dump ends early, as a
	// receive buffer overrun would end it (ENOBUFS).
	nlMaxPending = 4096
)

// nlSock is the netlink side of a Sock.
type nlSock struct {
	protocol int
	portID   uint32 // nl_pid, once bound (explicitly or automatically)
	bound    bool
	// groups are the multicast groups joined (bind's nl_groups,
	// NETLINK_ADD_MEMBERSHIP): sock_diag's destroy events, which netbox
	// never sends, so they are only kept and reported.
	groups uint32
	// netAdmin: the opener had CAP_NET_ADMIN (netlink_net_capable looks
	// at the socket's opener).
	netAdmin bool
	// extAck, strictChk: NETLINK_EXT_ACK, NETLINK_GET_STRICT_CHK.
	opts map[int]int32
	// pending are reply datagrams the placeholder had no room for yet.
	pending [][]byte
	// kernel is the kernel's sock_diag socket in the opener's namespace
	// (Options.KernelDiag; the stack's, shared), or -1.
	kernel int
}

// nlTables is the stack's netlink state; Stack.mu guards the maps.
type nlTables struct {
	nlSocks  map[string]*Socket // placeholder name → socket
	nlKernel *os.File           // netbox's end every placeholder talks to
	// nlKernelFD is nlKernel's descriptor, -1 once closed (os.File.Fd
	// would make the file blocking and races with its Close).
	nlKernelFD atomic.Int32
	nlKernelNm string
	nlRover    uint32 // the next automatic port id (Linux's -4096 downwards)
	nlPorts    map[uint32]bool
	// nlInMu serialises the handling of what programs write natively
	// (nlBuf is its buffer).
	nlInMu sync.Mutex
	nlBuf  []byte
}

// startNetlink creates the kernel socket and serves what programs send
// natively.
func (st *Stack) startNetlink() error {
	st.nlKernelFD.Store(-1)
	st.nlSocks = make(map[string]*Socket)
	st.nlPorts = make(map[uint32]bool)
	st.nlRover = 1<<32 - 4096
	st.nlBuf = make([]byte, 1<<16)
	st.nlKernelNm = st.name("nlk")
	fd, err := st.host.Socket(unix.AF_UNIX, unix.SOCK_DGRAM|unix.SOCK_CLOEXEC|unix.SOCK_NONBLOCK, 0)
	if err != nil {
		return fmt.Errorf("netstack: netlink kernel socket: %w", err)
	}
	if err := unix.Bind(fd, &unix.SockaddrUnix{Name: "@" + st.nlKernelNm}); err != nil {
		unix.Close(fd)
		return fmt.Errorf("netstack: bind netlink kernel socket: %w", err)
	}
	// Replies wait in the kernel socket's send buffer until read: make
	// room for large dumps (SO_SNDBUFFORCE needs CAP_NET_ADMIN, which
	// netbox has in its own namespace when it runs as root).
	if unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_SNDBUFFORCE, 8<<20) != nil {
		unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_SNDBUF, 8<<20)
	}
	st.nlKernel = os.NewFile(uintptr(fd), "netbox-netlink")
	st.nlKernelFD.Store(int32(fd))
	go st.serveNetlink()
	return nil
}

// serveNetlink answers the requests programs write natively on their
// placeholders (send, write without an address) as they arrive.
func (st *Stack) serveNetlink() {
	rc, err := st.nlKernel.SyscallConn()
	if err != nil {
		return
	}
	// Read returns only when the socket is closed: drainNetlink never
	// reports done, so Read waits for the next datagram each time.
	rc.Read(func(fd uintptr) bool {
		st.drainNetlink()
		return false
	})
}

// drainNetlink handles every request waiting on the kernel socket. A
// trapped call on a netlink socket drains first: what the program wrote
// natively before the call is handled before it, as Linux handles a
// netlink send before the send returns.
func (st *Stack) drainNetlink() {
	st.nlInMu.Lock()
	defer st.nlInMu.Unlock()
	buf := st.nlBuf
	fd := int(st.nlKernelFD.Load())
	if fd < 0 {
		return
	}
	for range 1 << 16 {
		n, _, _, from, err := unix.Recvmsg(fd, buf, nil, unix.MSG_DONTWAIT)
		if err == unix.EAGAIN || err == unix.EBADF {
			return
		}
		u, ok := from.(*unix.SockaddrUnix)
		if err != nil || !ok {
			continue
		}
		st.mu.Lock()
		s := st.nlSocks[trimAt(u.Name)]
		st.mu.Unlock()
		if s != nil {
			// netlink_sendmsg autobinds an unbound sender.
			s.mu.Lock()
			s.autobind()
			s.mu.Unlock()
			s.netlinkInput(buf[:n])
		}
	}
}

// NewNetlinkSocket is netlink_create for the protocols netbox serves.
func (st *Stack) NewNetlinkSocket(typ, protocol int, c Caller) (*Socket, int, error) {
	if typ != unix.SOCK_RAW && typ != unix.SOCK_DGRAM {
		return nil, -1, unix.ESOCKTNOSUPPORT
	}
	if protocol != unix.NETLINK_SOCK_DIAG {
		return nil, -1, unix.EPROTONOSUPPORT
	}
	s := &Socket{Family: unix.AF_NETLINK, Type: typ, Protocol: protocol, st: st, sk: &Sock{}}
	s.sk.opts = defaultSockOpts(typ)
	s.sk.nl = &nlSock{protocol: protocol, netAdmin: c.Capable(capNetAdmin), opts: make(map[int]int32), kernel: -1}
	if st.opts.KernelDiag != nil {
		if fd, err := st.opts.KernelDiag(c.Tid()); err == nil {
			s.sk.nl.kernel = fd
		}
	}
	s.UID = c.UID()
	s.Ops = netlinkOps{}
	fd, err := st.host.Socket(unix.AF_UNIX, unix.SOCK_DGRAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return nil, -1, err
	}
	s.sk.name = st.name("N")
	if err := unix.Bind(fd, &unix.SockaddrUnix{Name: "@" + s.sk.name}); err != nil {
		unix.Close(fd)
		return nil, -1, err
	}
	if err := unix.Connect(fd, &unix.SockaddrUnix{Name: "@" + st.nlKernelNm}); err != nil {
		unix.Close(fd)
		return nil, -1, err
	}
	return s, fd, nil
}

func (st *Stack) registerNetlink(s *Socket) {
	st.mu.Lock()
	st.nlSocks[s.sk.name] = s
	st.mu.Unlock()
}

// releaseNetlink forgets a closed netlink socket and frees its port id.
func (s *Socket) releaseNetlink() {
	st := s.st
	st.mu.Lock()
	delete(st.nlSocks, s.sk.name)
	if s.sk.nl.bound {
		delete(st.nlPorts, s.sk.nl.portID)
	}
	st.mu.Unlock()
}

// netlinkOps is netlink_ops.
type netlinkOps struct{ noOps }

var _ ProtoOps = netlinkOps{}

// autobind is netlink_autobind: a port id of netbox's choosing, from
// Linux's fallback range (-4096 downwards) — Linux first tries the
// process's tgid, which the sandbox's processes would see through a pid
// namespace netbox does not share. s.mu is held.
func (s *Socket) autobind() {
	nl := s.sk.nl
	if nl.bound {
		return
	}
	st := s.st
	st.mu.Lock()
	for st.nlPorts[st.nlRover] {
		st.nlRover--
	}
	nl.portID = st.nlRover
	st.nlRover--
	st.nlPorts[nl.portID] = true
	st.mu.Unlock()
	nl.bound = true
}

// Bind is netlink_bind: a zero nl_pid autobinds; another one must be
// free; multicast groups need a protocol that has them (sock_diag has
// one per family, for destroy events, which netbox does not send: binding
// to them needs CAP_NET_ADMIN and then sees nothing).
func (netlinkOps) Bind(s *Socket, f int, a Addr, c Caller) error {
	s.st.drainNetlink()
	s.mu.Lock()
	defer s.mu.Unlock()
	nl := s.sk.nl
	if a.NL.Groups != 0 && !c.Capable(capNetAdmin) {
		return unix.EPERM // netlink_allowed: NL_CFG_F_NONROOT_RECV unset
	}
	if nl.bound {
		if a.NL.Pid != nl.portID {
			return unix.EINVAL
		}
	} else if a.NL.Pid == 0 {
		s.autobind()
	} else {
		st := s.st
		st.mu.Lock()
		if st.nlPorts[a.NL.Pid] {
			st.mu.Unlock()
			return unix.EADDRINUSE
		}
		st.nlPorts[a.NL.Pid] = true
		st.mu.Unlock()
		nl.portID, nl.bound = a.NL.Pid, true
	}
	// The groups are bind's, all 32 (netlink_kernel_create gives every
	// protocol at least 32).
	nl.groups = a.NL.Groups
	return nil
}

// Connect is netlink_connect: only the kernel (nl_pid 0, no groups) is a
// peer netbox has; AF_UNSPEC dissolves the association.
func (netlinkOps) Connect(s *Socket, f int, a Addr) error {
	s.st.drainNetlink()
	s.mu.Lock()
	defer s.mu.Unlock()
	if a.Family == unix.AF_UNSPEC {
		s.State = SSUnconnected
		return nil
	}
	if err := nlDestination(a); err != nil {
		return err
	}
	s.autobind()
	s.State = SSConnected
	return nil
}

// nlDestination checks a netlink destination: the kernel only.
func nlDestination(a Addr) error {
	if a.Family != unix.AF_NETLINK {
		return unix.EINVAL
	}
	if a.NL.Groups != 0 {
		return unix.EPERM // sending to groups needs NL_CFG_F_NONROOT_SEND
	}
	if a.NL.Pid != 0 {
		return unix.ECONNREFUSED // no socket of the sandbox has that port
	}
	return nil
}

// Name is netlink_getname: the port id (0 before any bind), or the
// peer's: the kernel.
func (netlinkOps) Name(s *Socket, f int, peer bool) ([]byte, error) {
	s.st.drainNetlink()
	s.mu.Lock()
	defer s.mu.Unlock()
	var pid, groups uint32
	if !peer {
		pid, groups = s.sk.nl.portID, s.sk.nl.groups
	}
	return sockaddr.Netlink(pid, groups), nil
}

func (netlinkOps) Shutdown(s *Socket, f int, how int) error {
	return unix.EOPNOTSUPP // netlink_ops has sock_no_shutdown
}

// SendMsg is netlink_sendmsg to the kernel: the messages are handled at
// once, and what they answer is queued on the placeholder before the call
// returns, as netlink_unicast_kernel runs the handler in the sender's
// context.
func (netlinkOps) SendMsg(s *Socket, f int, data []byte, to *Addr, ctl []byte, flags int) (int, error) {
	if flags&unix.MSG_OOB != 0 {
		return 0, unix.EOPNOTSUPP
	}
	if to != nil {
		if err := nlDestination(*to); err != nil {
			return 0, err
		}
	}
	if len(data) == 0 {
		// Linux's netlink_sendmsg refuses an empty message (measured:
		// ENODATA, and the socket stays unbound).
		return 0, unix.ENODATA
	}
	s.st.drainNetlink()
	s.mu.Lock()
	s.autobind()
	s.mu.Unlock()
	s.netlinkInput(data)
	return len(data), nil
}

// RecvMsg reads the next reply datagram from the placeholder; its source
// is the kernel.
func (netlinkOps) RecvMsg(s *Socket, f int, size int, flags int) (*RecvResult, error) {
	if flags&unix.MSG_ERRQUEUE != 0 {
		return nil, unix.EAGAIN // netlink has no error queue entries
	}
	s.st.drainNetlink()
	s.flushNetlink()
	buf := make([]byte, size)
	n, _, rflags, _, err := unix.Recvmsg(f, buf, nil, (flags&(unix.MSG_PEEK|unix.MSG_TRUNC))|unix.MSG_DONTWAIT)
	if err == unix.EAGAIN {
		return nil, wouldBlock(unix.POLLIN)
	}
	if err != nil {
		return nil, err
	}
	s.flushNetlink()
	return &RecvResult{Data: buf[:min(n, size)], Total: n, Flags: rflags & unix.MSG_TRUNC,
		HasFrom: true, Name: sockaddr.Netlink(0, 0)}, nil
}

// Netlink socket options (SOL_NETLINK) that only read back what was set;
// netbox's replies already behave as with them off or on: extended acks
// carry no attributes, strict checking is what sock_diag always does.
var nlIntOpts = map[int]bool{
	unix.NETLINK_EXT_ACK: true, unix.NETLINK_GET_STRICT_CHK: true, unix.NETLINK_CAP_ACK: true,
}

func (netlinkOps) SetSockOpt(s *Socket, f int, level, name int, val Optval) error {
	if level == unix.SOL_SOCKET {
		s.mu.Lock()
		defer s.mu.Unlock()
		if name == unix.SO_PASSPIDFD || name == unix.SO_PASSRIGHTS {
			_, err := s.setSocketSpecial(f, name, val) // AF_UNIX's only
			return err
		}
		if name == unix.SO_PEEK_OFF {
			if val.Len() < 4 {
				return unix.EINVAL
			}
			return unix.EOPNOTSUPP // netlink_ops has no set_peek_off
		}
		return s.setPlaceholderOpt(f, name, val)
	}
	if level != unix.SOL_NETLINK {
		return unix.ENOPROTOOPT
	}
	membership := name == unix.NETLINK_ADD_MEMBERSHIP || name == unix.NETLINK_DROP_MEMBERSHIP
	if !nlIntOpts[name] && !membership {
		return unix.ENOPROTOOPT
	}
	// netlink_setsockopt: an int when optlen allows, else 0.
	var v int32
	if val.Len() >= 4 {
		var err error
		if v, err = intOf(val); err != nil {
			return err
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if membership {
		// Group v (1 to 32) joined or left, with CAP_NET_ADMIN
		// (netlink_allowed asks the caller; netbox, without the
		// caller here, the opener).
		if !s.sk.nl.netAdmin {
			return unix.EPERM
		}
		if v < 1 || v > 32 {
			return unix.EINVAL
		}
		bit := uint32(1) << (v - 1)
		if name == unix.NETLINK_ADD_MEMBERSHIP {
			s.sk.nl.groups |= bit
		} else {
			s.sk.nl.groups &^= bit
		}
		return nil
	}
	if v != 0 {
		v = 1
	}
	s.sk.nl.opts[name] = v
	return nil
}

func (netlinkOps) GetSockOpt(s *Socket, f int, level, name int, size int) ([]byte, error) {
	if level == unix.SOL_SOCKET {
		switch name {
		case unix.SO_PEEK_OFF:
			return nil, unix.EOPNOTSUPP
		case unix.SO_TYPE, unix.SO_DOMAIN, unix.SO_PROTOCOL, unix.SO_PASSPIDFD, unix.SO_PASSRIGHTS:
			// What the program made, not the placeholder (an AF_UNIX
			// datagram socket).
			b, _, err := s.getSocketSpecial(f, name, size)
			return b, err
		}
		return getNative(f, name)
	}
	if level != unix.SOL_NETLINK {
		return nil, unix.ENOPROTOOPT
	}
	if name == unix.NETLINK_LIST_MEMBERSHIPS {
		// The 32 groups' mask, when the buffer holds it.
		if size < 4 {
			return nil, nil
		}
		s.mu.Lock()
		defer s.mu.Unlock()
		return binary.LittleEndian.AppendUint32(nil, s.sk.nl.groups), nil
	}
	if !nlIntOpts[name] {
		return nil, unix.ENOPROTOOPT
	}
	if size < 4 {
		return nil, unix.EINVAL
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return intBytes(s.sk.nl.opts[name]), nil
}

// setPlaceholderOpt serves SOL_SOCKET on a netlink or vsock socket: the
// placeholder has the same generic options (buffers, timeouts,
// timestamps); SO_PROTOCOL & co are read-only there too. s.mu is held.
func (s *Socket) setPlaceholderOpt(f int, name int, val Optval) error {
	if val.Len() < 4 {
		return unix.EINVAL
	}
	return s.setNative(f, name, val)
}

// netlinkInput is netlink_rcv_skb over what the program sent: each
// message in turn, as long as its header and length are whole; replies
// are queued on the placeholder.
func (s *Socket) netlinkInput(data []byte) {
	s.mu.Lock()
	portID := s.sk.nl.portID
	netAdmin := s.sk.nl.netAdmin
	capAck := s.sk.nl.opts[unix.NETLINK_CAP_ACK] != 0
	kernel := s.sk.nl.kernel
	s.mu.Unlock()
	s.queueNetlink(netlinkRcv(data, portID, capAck, func(out *nlReplies, h nlmsghdr, body []byte) error {
		if h.Type == sockDiagByFamily && len(body) >= sockDiagReqLen && body[0] == unix.AF_UNIX {
			return s.st.relayUnixDiag(out, h, body, kernel)
		}
		return s.st.sockDiagRcvMsg(out, h, body, netAdmin)
	}))
}

// netlinkRcv is netlink_rcv_skb: it hands each request in data to handle
// and returns the reply datagrams (for a socket with port id portID).
func netlinkRcv(data []byte, portID uint32, capAck bool, handle func(*nlReplies, nlmsghdr, []byte) error) [][]byte {
	out := nlReplies{portID: portID}
	for len(data) >= nlmsgHdrLen {
		h := parseNlmsghdr(data)
		if h.Len < nlmsgHdrLen || int(h.Len) > len(data) {
			break
		}
		msg := data[:h.Len]
		var err error
		switch {
		case h.Flags&unix.NLM_F_REQUEST == 0, h.Type < unix.NLMSG_MIN_TYPE:
			// Only requests are handled; control messages are skipped.
		default:
			err = handle(&out, h, msg[nlmsgHdrLen:])
		}
		if h.Flags&unix.NLM_F_ACK != 0 || err != nil {
			out.ack(h, msg, err, capAck)
		}
		adv := nlmsgAlign(int(h.Len))
		if adv > len(data) {
			break
		}
		data = data[adv:]
	}
	return out.flush()
}

// queueNetlink puts reply datagrams on the placeholder, in order; those
// it has no room for wait in pending.
func (s *Socket) queueNetlink(dgrams [][]byte) {
	s.sk.nlMu.Lock()
	defer s.sk.nlMu.Unlock()
	nl := s.sk.nl
	nl.pending = append(nl.pending, dgrams...)
	if len(nl.pending) > nlMaxPending {
		nl.pending = nl.pending[:nlMaxPending]
	}
	s.sendPendingLocked()
}

// flushNetlink sends what is pending, as room allows.
func (s *Socket) flushNetlink() {
	s.sk.nlMu.Lock()
	defer s.sk.nlMu.Unlock()
	s.sendPendingLocked()
}

func (s *Socket) sendPendingLocked() {
	nl := s.sk.nl
	to := &unix.SockaddrUnix{Name: "@" + s.sk.name}
	kfd := int(s.st.nlKernelFD.Load())
	if kfd < 0 {
		nl.pending = nil // the stack is closed
		return
	}
	for len(nl.pending) > 0 {
		if err := unix.Sendto(kfd, nl.pending[0], unix.MSG_DONTWAIT, to); err != nil {
			if err == unix.EAGAIN {
				return
			}
			nl.pending = nil // the placeholder is gone
			return
		}
		nl.pending = nl.pending[1:]
	}
	nl.pending = nil
}

// nlmsghdr is struct nlmsghdr.
type nlmsghdr struct {
	Len   uint32
	Type  uint16
	Flags uint16
	Seq   uint32
	Pid   uint32
}

func parseNlmsghdr(b []byte) nlmsghdr {
	return nlmsghdr{
		Len:   binary.LittleEndian.Uint32(b),
		Type:  binary.LittleEndian.Uint16(b[4:]),
		Flags: binary.LittleEndian.Uint16(b[6:]),
		Seq:   binary.LittleEndian.Uint32(b[8:]),
		Pid:   binary.LittleEndian.Uint32(b[12:]),
	}
}

func nlmsgAlign(n int) int { return (n + unix.NLMSG_ALIGNTO - 1) &^ (unix.NLMSG_ALIGNTO - 1) }

// nlReplies builds the datagrams a request answers: messages are packed
// into datagrams of at most nlDumpSize bytes, as skbs are.
type nlReplies struct {
	portID uint32
	dgrams [][]byte
	cur    []byte
}

// add appends one message (type, flags, seq of the request, payload).
func (r *nlReplies) add(typ, flags uint16, seq uint32, payload ...[]byte) {
	n := nlmsgHdrLen
	for _, p := range payload {
		n += len(p)
	}
	if len(r.cur) > 0 && len(r.cur)+nlmsgAlign(n) > nlDumpSize {
		r.cut()
	}
	var h [nlmsgHdrLen]byte
	binary.LittleEndian.PutUint32(h[0:], uint32(n))
	binary.LittleEndian.PutUint16(h[4:], typ)
	binary.LittleEndian.PutUint16(h[6:], flags)
	binary.LittleEndian.PutUint32(h[8:], seq)
	binary.LittleEndian.PutUint32(h[12:], r.portID)
	r.cur = append(r.cur, h[:]...)
	for _, p := range payload {
		r.cur = append(r.cur, p...)
	}
	for len(r.cur)%unix.NLMSG_ALIGNTO != 0 {
		r.cur = append(r.cur, 0)
	}
}

// cut ends the current datagram (one skb).
func (r *nlReplies) cut() {
	if len(r.cur) > 0 {
		r.dgrams = append(r.dgrams, r.cur)
		r.cur = nil
	}
}

func (r *nlReplies) flush() [][]byte {
	r.cut()
	return r.dgrams
}

// ack is netlink_ack: NLMSG_ERROR with the error (0 for an ACK) and the
// request's header (the whole request for an error, unless
// NETLINK_CAP_ACK).
func (r *nlReplies) ack(h nlmsghdr, msg []byte, err error, capAck bool) {
	var code int32
	if err != nil {
		if e, ok := err.(unix.Errno); ok {
			code = -int32(e)
		} else {
			code = -int32(unix.EINVAL)
		}
	}
	quoted := msg[:nlmsgHdrLen]
	flags := uint16(0)
	if err != nil && !capAck {
		quoted = msg
	} else {
		flags = unix.NLM_F_CAPPED
	}
	var e [4]byte
	binary.LittleEndian.PutUint32(e[:], uint32(code))
	r.cut()
	r.add(unix.NLMSG_ERROR, flags, h.Seq, e[:], quoted)
	r.cut()
}

// done ends a dump: NLMSG_DONE with the dump's status, in the dump's last
// datagram when it fits.
func (r *nlReplies) done(seq uint32, status int32) {
	var b [4]byte
	binary.LittleEndian.PutUint32(b[:], uint32(status))
	r.add(unix.NLMSG_DONE, unix.NLM_F_MULTI, seq, b[:])
	r.cut()
}
