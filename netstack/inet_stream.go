package netstack

import (
	"encoding/binary"
	"net/netip"
	"unsafe"

	"golang.org/x/sys/unix"
	"gvisor.dev/gvisor/pkg/tcpip"

	"github.com/netbox-sandbox/netbox/netstack/control"
)

// hostBacklog is the backlog of a listening placeholder. Linux's TCP keeps
// a connecting client waiting (SYN retries) when the accept queue is full,
// where a unix listener would refuse; a deep queue keeps clients from
// seeing EAGAIN.
const hostBacklog = 4096

// inetStreamOps is inet_stream_ops: TCP. Between sockets of the sandbox
// the connection is a native unix stream connection between the two
// placeholders (the loopback fast path); gVisor's TCP endpoint holds the
// port, so that bind and listen conflicts follow its port manager.
type inetStreamOps struct{}

var _ ProtoOps = inetStreamOps{}

// bindEP binds the gVisor endpoint to a, retrying once after the sweep
// hook released ports of sockets the program has closed.
func (s *Socket) bindEP(a netip.AddrPort) error {
	so := s.sk.ep.SocketOptions()
	so.SetReuseAddress(s.sk.opts.get(unix.SOL_SOCKET, unix.SO_REUSEADDR) != 0)
	so.SetReusePort(s.sk.opts.get(unix.SOL_SOCKET, unix.SO_REUSEPORT) != 0)
	if s.Family == afInet6 {
		so.SetV6Only(s.sk.v6only)
	}
	err := s.sk.ep.Bind(s.st.bindAddress(a))
	if _, inUse := err.(*tcpip.ErrPortInUse); inUse && s.st.Sweep != nil {
		s.mu.Unlock()
		s.st.Sweep()
		s.mu.Lock()
		err = s.sk.ep.Bind(s.st.bindAddress(a))
	}
	if err != nil {
		return errnoOf(err)
	}
	la, lerr := s.sk.ep.GetLocalAddress()
	if lerr != nil {
		return errnoOf(lerr)
	}
	s.sk.local = forFamily(s.Family, netip.AddrPortFrom(a.Addr(), la.Port))
	s.sk.bound = true
	if s.Family == afInet6 && !a.Addr().IsUnspecified() && !a.Addr().Is4In6() {
		// __inet6_bind: bound to an IPv6 address, the socket can only
		// be IPv6 (IPV6_V6ONLY reads 1).
		s.sk.v6only = true
	}
	if s.sk.name != "" {
		s.publishLocal()
	}
	return nil
}

// deferBind is __inet_bind's IP_BIND_ADDRESS_NO_PORT case: a bind to port
// 0 with the option set keeps the address and takes no port yet (the
// socket is not bound: it may bind again, and IPV6_V6ONLY may still
// change). It reports whether it did. s.mu is held.
func (s *Socket) deferBind(a netip.AddrPort) bool {
	if a.Port() != 0 || s.sk.opts.get(unix.SOL_IP, unix.IP_BIND_ADDRESS_NO_PORT) == 0 {
		return false
	}
	s.sk.noPort = a.Addr()
	s.sk.local = forFamily(s.Family, a)
	s.sk.addrChosen = !a.Addr().IsUnspecified() // name shows it
	return true
}

// bindDeferred binds the endpoint to the address a deferred bind chose, on
// an ephemeral port, when the socket needs its port (connect, listen, a
// send), as inet_hash_connect, inet_csk_get_port and inet_autobind do
// with the address kept. s.mu is held.
func (s *Socket) bindDeferred() error {
	if s.sk.bound || !s.sk.noPort.IsValid() {
		return nil
	}
	a := s.sk.noPort
	if err := s.bindEP(forFamily(s.Family, netip.AddrPortFrom(a, 0))); err != nil {
		return err
	}
	s.sk.noPort = netip.Addr{}
	return nil
}

// checkBindAddr is the address check of inet_bind/inet6_bind: only the
// sandbox's own addresses (all of 127/8, ::1, the wildcards) can be bound.
func checkBindAddr(s *Socket, a Addr, c Caller) error {
	if s.Family == afInet && a.Family == unix.AF_UNSPEC && a.Addr().IsUnspecified() {
		return nil // Linux accepts AF_UNSPEC with INADDR_ANY for compatibility
	}
	if err := checkFamily(s, a); err != nil {
		return err
	}
	ip := a.Addr()
	if s.Family == afInet6 && ip.Is4In6() && s.sk.v6only {
		return unix.EINVAL
	}
	switch {
	case ip.Unmap().Is4() && (ip.Unmap().IsMulticast() || ip.Unmap() == netip.AddrFrom4([4]byte{255, 255, 255, 255})):
		// inet_addr_valid_or_nonlocal: a multicast or broadcast
		// address may be bound too.
	case ip.Is6() && !ip.Is4In6() && (ip.IsLinkLocalUnicast() || ip.IsLinkLocalMulticast() || ip.IsInterfaceLocalMulticast()):
		// __inet6_bind: a link-local address needs an interface.
		if a.Addr().Zone() == "" && s.sk.opts.bindDev == 0 {
			return unix.EINVAL
		}
		return unix.EADDRNOTAVAIL
	case ip.Is6() && !ip.Is4In6() && ip.IsMulticast():
	case !s.st.isLocal(ip):
		return unix.EADDRNOTAVAIL
	}
	// __inet_bind: a port below net.ipv4.ip_unprivileged_port_start needs
	// CAP_NET_BIND_SERVICE (in the sandbox's fresh network namespace the
	// start is Linux's default, 1024).
	if p := a.Port(); p != 0 && p < unprivilegedPortStart && !c.Capable(capNetBindService) {
		return unix.EACCES
	}
	return nil
}

// unprivilegedPortStart is net.ipv4.ip_unprivileged_port_start's default.
const unprivilegedPortStart = 1024

func (inetStreamOps) Bind(s *Socket, f int, a Addr, c Caller) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := checkBindAddr(s, a, c); err != nil {
		return err
	}
	if s.sk.bound || s.State != SSUnconnected {
		return unix.EINVAL
	}
	if s.deferBind(a.AddrPort) {
		return nil
	}
	if err := s.bindEP(a.AddrPort); err != nil {
		return err
	}
	s.sk.portChosen = a.Port() != 0
	return nil
}

func (inetStreamOps) Listen(s *Socket, f int, backlog int) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.State != SSUnconnected {
		return unix.EINVAL
	}
	// __sys_listen: a backlog above net.core.somaxconn (or negative,
	// taken as unsigned) is somaxconn.
	if uint32(backlog) > uint32(somaxconn) {
		backlog = somaxconn
	}
	s.sk.backlog = backlog
	if s.sk.listening {
		return nil // a new backlog only
	}
	if err := s.bindDeferred(); err != nil {
		return err
	}
	if !s.sk.bound {
		if err := s.bindEP(netip.AddrPortFrom(wildcard(s.Family), 0)); err != nil {
			return err
		}
	}
	// gVisor's accept queue is full at backlog entries, Linux's above
	// (sk_acceptq_is_full): backlog 0 takes one connection.
	if err := s.sk.ep.Listen(backlog + 1); err != nil {
		return errnoOf(err)
	}
	name := s.st.name("L")
	if err := unix.Bind(f, &unix.SockaddrUnix{Name: "@" + name}); err != nil {
		return err
	}
	if err := unix.Listen(f, hostBacklog); err != nil {
		return err
	}
	s.sk.listening = true
	s.sk.listenName = name
	s.st.addListener(s)
	// Connections come through gVisor on the netstack path, which a
	// capture may turn on at any time.
	s.sk.listenStop = make(chan struct{})
	go s.serveListener(s.sk.ep, &s.sk.wq, s.sk.listenStop)
	return nil
}

// takeClient returns and forgets what accept needs to know of the
// connecting placeholder called name.
func (st *Stack) takeClient(name string) (connInfo, bool) {
	st.mu.Lock()
	defer st.mu.Unlock()
	ci, ok := st.clients[name]
	delete(st.clients, name)
	return ci, ok
}

// forgetClient drops a connecting placeholder's entry (its connect
// failed, or its socket is gone before the connection was accepted).
func (st *Stack) forgetClient(name string) {
	st.mu.Lock()
	delete(st.clients, name)
	st.mu.Unlock()
}

// connInfo is what a connecting placeholder's abstract name tells accept.
type connInfo struct {
	peer   netip.AddrPort // the client's local address
	self   netip.AddrPort // the address it connected to
	netErr *pumpLink      // the netstack path's link to its pump, if any
}

func (inetStreamOps) Connect(s *Socket, f int, a Addr) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	switch {
	case s.State == SSConnected && s.sk.connectUnconfirmed:
		// __inet_stream_connect called again on SS_CONNECTING once the
		// handshake is over: 0, and the socket is SS_CONNECTED.
		s.sk.connectUnconfirmed = false
		return nil
	case s.State == SSConnected:
		return unix.EISCONN
	case s.sk.listening:
		return unix.EISCONN
	case s.sk.connectFailed:
		// Called again on SS_CONNECTING after the connection failed:
		// the error (sock_error), else ECONNABORTED; the socket is
		// SS_UNCONNECTED again.
		s.sk.connectFailed = false
		if err := s.takeStreamError(f); err != nil {
			return err
		}
		return unix.ECONNABORTED
	}
	if a.Family == unix.AF_UNSPEC {
		return nil
	}
	if err := checkFamily(s, a); err != nil {
		return err
	}
	dst := a.AddrPort
	if s.Family == afInet6 && dst.Addr().Is4In6() && s.sk.v6only {
		return unix.ENETUNREACH
	}
	if err := s.dontRoute(dst.Addr(), 0); err != nil {
		return err // ip_route_connect with RTO_ONLINK
	}
	if !s.st.isLocal(dst.Addr()) {
		if s.st.routable(dst.Addr()) {
			if s.sk.connecting == nil && isNonblocking(f) {
				// A handshake over a real link takes its time.
				return s.connectInBackground(f, dst)
			}
			return s.netstackConnect(f, dst) // through eth0
		}
		return unix.ENETUNREACH // no route
	}
	if dst.Addr().IsUnspecified() {
		dst = netip.AddrPortFrom(loopbackFor(dst.Addr()), dst.Port())
	}
	var err error
	if s.st.netstackLoopback() {
		if s.sk.connecting == nil {
			s.releaseClosedListener(dst)
		}
		err = s.netstackConnect(f, dst)
	} else {
		err = s.fastConnect(f, dst)
	}
	if isNonblocking(f) {
		return s.loopbackNonblocking(err)
	}
	return err
}

// releaseClosedListener makes sure that the sandbox listener at dst, if
// the program has closed it, is released before a netstack-path handshake
// starts: gVisor's listener would otherwise take the connection and reset
// it, where Linux refuses it (the sweep finds closed sockets only every
// second). The fast path needs no such check: connecting to the closed
// placeholder is refused. s.mu is held.
func (s *Socket) releaseClosedListener(dst netip.AddrPort) {
	l := s.st.findListener(dst)
	if l == nil || s.st.Sweep == nil {
		return
	}
	l.mu.Lock()
	name, listening := l.sk.listenName, l.sk.listening
	l.mu.Unlock()
	if !listening || !s.st.abstractNameFree(name) {
		return
	}
	s.mu.Unlock()
	s.st.Sweep()
	s.mu.Lock()
}

// abstractNameFree reports whether no socket holds the abstract name: a
// bind to it succeeds (and is undone at once). A listener's placeholder
// holds its name until the program has closed it everywhere.
func (st *Stack) abstractNameFree(name string) bool {
	fd, err := st.host.Socket(unix.AF_UNIX, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return false
	}
	defer unix.Close(fd)
	return unix.Bind(fd, &unix.SockaddrUnix{Name: "@" + name}) == nil
}

// loopbackNonblocking is what a non-blocking connect over the loopback
// returns, once netbox has connected (or refused) it at once: Linux's
// __inet_stream_connect returns EINPROGRESS whatever happens, as the
// SYN-ACK or RST is processed only after the call (the socket is owned
// by it). The next connect then says 0 (or the error), and SO_ERROR and
// poll tell the outcome meanwhile. After a refusal the placeholder stays
// unconnected, so it polls POLLOUT|POLLHUP (Linux adds POLLIN, POLLERR
// and POLLRDHUP) and can connect again, as a TCP socket can. s.mu is held.
func (s *Socket) loopbackNonblocking(err error) error {
	switch err {
	case nil:
		s.sk.connectUnconfirmed = true
		return unix.EINPROGRESS
	case unix.ECONNREFUSED:
		s.sk.err = err
		s.sk.connectFailed = true
		return unix.EINPROGRESS
	}
	return err
}

// fastConnect connects the placeholder f natively to the placeholder of
// the sandbox's listener at dst (the loopback fast path). s.mu is held.
func (s *Socket) fastConnect(f int, dst netip.AddrPort) error {
	l := s.st.findListener(dst)
	if l == nil {
		return unix.ECONNREFUSED
	}
	if err := s.bindDeferred(); err != nil {
		return err
	}
	if !s.sk.bound {
		src := forFamily(s.Family, netip.AddrPortFrom(s.st.sourceFor(dst.Addr()), 0))
		if err := s.bindEP(src); err != nil {
			return err
		}
	} else if s.sk.local.Addr().IsUnspecified() {
		s.sk.local = forFamily(s.Family, netip.AddrPortFrom(s.st.sourceFor(dst.Addr()), s.sk.local.Port()))
	}
	name := s.st.name("C")
	if err := unix.Bind(f, &unix.SockaddrUnix{Name: "@" + name}); err != nil && err != unix.EINVAL {
		return err
	}
	l.mu.Lock()
	lname, listening := l.sk.listenName, l.sk.listening
	self := forFamily(l.Family, dst)
	l.mu.Unlock()
	if !listening {
		return unix.ECONNREFUSED
	}
	s.st.mu.Lock()
	s.st.clients[name] = connInfo{peer: forFamily(l.Family, s.sk.local), self: self}
	s.st.mu.Unlock()
	s.sk.clientName = name
	// Bound the wait for room in the listener's queue: the dispatcher must
	// not block. The program's own send timeout comes back afterwards.
	unix.SetsockoptTimeval(f, unix.SOL_SOCKET, unix.SO_SNDTIMEO, &unix.Timeval{Usec: 1000})
	err := unix.Connect(f, &unix.SockaddrUnix{Name: "@" + lname})
	tv := s.sk.opts.sndTimeo
	unix.SetsockoptTimeval(f, unix.SOL_SOCKET, unix.SO_SNDTIMEO, &tv)
	if err != nil {
		s.st.forgetClient(name)
		s.sk.clientName = ""
		switch err {
		case unix.ECONNREFUSED, unix.ENOENT:
			// The listener is gone: the program closed it.
			return unix.ECONNREFUSED
		case unix.EAGAIN:
			return wouldBlock(0)
		}
		return err
	}
	s.sk.remote = forFamily(s.Family, dst)
	s.State = SSConnected
	s.st.stats.FastOpens.Add(1)
	return nil
}

func (inetStreamOps) Accept(s *Socket, f int) (*Accepted, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.sk.listening {
		return nil, unix.EINVAL
	}
	// A connection given back (Unaccept) arrived before anything still
	// queued on the placeholder: it goes first.
	if len(s.sk.stash) > 0 {
		return s.fromStash(f), nil
	}
	for {
		// netbox's own accept must never block on the placeholder,
		// whatever its O_NONBLOCK: only netbox accepts on it, under
		// s.mu, so a connection that poll sees queued is still there.
		var nfd int
		var sa unix.Sockaddr
		var err error = unix.EAGAIN
		pfd := []unix.PollFd{{Fd: int32(f), Events: unix.POLLIN}}
		if n, _ := unix.Poll(pfd, 0); n > 0 {
			nfd, sa, err = unix.Accept4(f, unix.SOCK_CLOEXEC)
		}
		if err == unix.EAGAIN || err == unix.EWOULDBLOCK || err == unix.EINTR {
			if len(s.sk.stash) > 0 {
				return s.fromStash(f), nil
			}
			return nil, wouldBlock(unix.POLLIN)
		}
		if err != nil {
			return nil, err
		}
		var name string
		if u, ok := sa.(*unix.SockaddrUnix); ok && len(u.Name) > 0 {
			name = u.Name[1:]
		}
		ci, ok := s.st.takeClient(name)
		if !ok {
			// A wake-up connection standing for a stashed one, or a client
			// netbox no longer knows: drop it.
			unix.Close(nfd)
			if len(s.sk.stash) > 0 {
				return s.fromStash(f), nil
			}
			continue
		}
		acc := s.newAccepted(f, nfd, ci.peer, ci.self)
		acc.Socket.sk.netErr = ci.netErr
		acc.Socket.syncAbortive()
		return acc, nil
	}
}

func (s *Socket) fromStash(f int) *Accepted {
	c := s.sk.stash[0]
	s.sk.stash = s.sk.stash[1:]
	return s.newAccepted(f, c.fd, c.peer, c.self)
}

// newAccepted makes the socket of an accepted connection: it inherits the
// listener's options, as sk_clone_lock does (the placeholder's own ones
// are copied from the listener's placeholder lf), except TCP_FASTOPEN's
// queue, which belongs to the listener, and TCP_DEFER_ACCEPT, which
// inet_csk_clone_lock clears.
func (s *Socket) newAccepted(lf, nfd int, peer, self netip.AddrPort) *Accepted {
	n := &Socket{Family: s.Family, Type: s.Type, Protocol: s.Protocol, Ops: s.Ops, st: s.st, State: SSConnected, UID: s.UID,
		sk: &Sock{local: self, remote: peer, bound: true, opts: s.sk.opts.clone(), v6only: s.sk.v6only}}
	delete(n.sk.opts.flags, optKey{unix.SOL_TCP, unix.TCP_FASTOPEN})
	delete(n.sk.opts.flags, optKey{unix.SOL_TCP, unix.TCP_DEFER_ACCEPT})
	if s.sk.opts.nativeSet {
		copyNative(lf, nfd)
	}
	var st unix.Stat_t
	if unix.Fstat(nfd, &st) == nil {
		n.Ino = st.Ino
	}
	return &Accepted{FD: nfd, Socket: n, Peer: peer}
}

// Unaccept gives back a connection that could not be handed to the
// program (its accept was interrupted): it goes out first on the next
// accept, and a wake-up connection keeps the listener readable meanwhile.
func (s *Socket) Unaccept(a *Accepted) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.sk.stash = append(s.sk.stash, acceptedConn{fd: a.FD, peer: a.Peer, self: a.Socket.sk.local})
	if w, err := s.st.host.Socket(unix.AF_UNIX, unix.SOCK_STREAM|unix.SOCK_CLOEXEC|unix.SOCK_NONBLOCK, 0); err == nil {
		unix.Connect(w, &unix.SockaddrUnix{Name: "@" + s.sk.listenName})
		unix.Close(w)
	}
}

func (inetStreamOps) Name(s *Socket, f int, peer bool) ([]byte, error) {
	if peer {
		// inet_getname: a connection that has ended (TCP_CLOSE after a
		// reset, or after FINs both ways) has no peer.
		s.mu.Lock()
		ended := s.State == SSConnected && s.tcpState(f) == tcpClose
		s.mu.Unlock()
		if ended {
			return nil, unix.ENOTCONN
		}
	}
	return s.inetName(peer)
}

func (inetStreamOps) Shutdown(s *Socket, f int, how int) error {
	if how < unix.SHUT_RD || how > unix.SHUT_RDWR {
		return unix.EINVAL
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.sk.listening {
		if how == unix.SHUT_WR {
			return nil
		}
		// Like inet_shutdown on a listener: it stops listening.
		s.st.removeListener(s)
		s.sk.listening = false
		return unix.Shutdown(f, how)
	}
	if s.State != SSConnected {
		return unix.ENOTCONN
	}
	s.sk.connectUnconfirmed = false // inet_shutdown: SS_CONNECTED
	s.sk.shutdown |= how + 1
	s.syncAbortive()
	return unix.Shutdown(f, how)
}

// SendMsg sends on the native connection, without blocking. Like
// tcp_sendmsg_locked, the control messages are only checked
// (sock_cmsg_send): any error there is EINVAL.
func (inetStreamOps) SendMsg(s *Socket, f int, data []byte, to *Addr, ctl []byte, flags int) (int, error) {
	if len(ctl) > 0 {
		if err := sockCmsgSendAll(ctl); err != nil {
			return 0, unix.EINVAL
		}
	}
	s.mu.Lock()
	connected := s.State == SSConnected
	s.mu.Unlock()
	if !connected {
		// tcp_sendmsg on a closed socket (no Fast Open).
		return 0, unix.EPIPE
	}
	if len(data) == 0 {
		return 0, emptySend(s, f)
	}
	n, err := unix.SendmsgN(f, data, nil, nil, flags|unix.MSG_DONTWAIT)
	if err == unix.EAGAIN {
		return 0, wouldBlock(unix.POLLOUT)
	}
	return n, err
}

// emptySend is a send of nothing on a connected socket. Like
// tcp_sendmsg_locked, it fails only with a pending error (sock_error, which
// clears it), on a connection an error ended, or after the socket's own
// SHUT_WR; a peer that closed (TCP's CLOSE_WAIT) does not fail it. The
// placeholder cannot do this natively: an AF_UNIX peer's close also shuts
// this end for sending (EPIPE).
func emptySend(s *Socket, f int) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.takeStreamError(f); err != nil {
		return err
	}
	if s.sk.reset || s.sk.shutdown&(unix.SHUT_WR+1) != 0 {
		return unix.EPIPE
	}
	return nil
}

// RecvMsg receives from the native connection, without blocking. TCP has
// no source address to report.
func (inetStreamOps) RecvMsg(s *Socket, f int, size int, flags int) (*RecvResult, error) {
	if flags&unix.MSG_ERRQUEUE != 0 {
		// tcp_recvmsg: inet_recv_error, in any state. TCP queues no
		// errors netbox serves.
		return nil, unix.EAGAIN
	}
	s.mu.Lock()
	connected := s.State == SSConnected
	inq := s.sk.opts.get(unix.SOL_TCP, unix.TCP_INQ) != 0
	s.mu.Unlock()
	if !connected {
		return nil, unix.ENOTCONN
	}
	buf := make([]byte, size)
	var oob [128]byte // the placeholder's timestamps (SO_TIMESTAMP*)
	n, oobn, rflags, err := recvmsgHost(f, buf, oob[:], (flags&^unix.MSG_WAITALL)|unix.MSG_DONTWAIT)
	if err == unix.EAGAIN {
		return nil, wouldBlock(unix.POLLIN)
	}
	if err != nil {
		return nil, err
	}
	// tcp_recvmsg's control messages: the receive timestamp, then
	// TCP_INQ's bytes left to read.
	r := &RecvResult{Data: buf[:n], Total: n, Flags: rflags &^ unix.MSG_CTRUNC, Control: socketLevelControl(oob[:oobn], false)}
	if inq {
		r.Control = append(r.Control, control.Message{Level: unix.SOL_TCP, Type: unix.TCP_CM_INQ,
			Data: binary.NativeEndian.AppendUint32(nil, uint32(inqHint(f)))})
	}
	return r, nil
}

// recvmsgHost is recvmsg(2) on a host socket. Unlike unix.Recvmsg it
// reads nothing when buf is empty (x/sys then reads a dummy byte, which
// would take a byte of the stream): like tcp_recvmsg, a receive of
// nothing returns 0 once data is there, and the data stays.
func recvmsgHost(fd int, buf, oob []byte, flags int) (n, oobn, rflags int, err error) {
	var msg unix.Msghdr
	var iov unix.Iovec
	if len(buf) > 0 {
		iov.Base = &buf[0]
		iov.SetLen(len(buf))
		msg.Iov = &iov
		msg.SetIovlen(1)
	}
	if len(oob) > 0 {
		msg.Control = &oob[0]
		msg.SetControllen(len(oob))
	}
	r, _, e := unix.Syscall(unix.SYS_RECVMSG, uintptr(fd), uintptr(unsafe.Pointer(&msg)), uintptr(flags))
	if e != 0 {
		return 0, 0, 0, e
	}
	return int(r), int(msg.Controllen), int(msg.Flags), nil
}

// inqHint is tcp_inq_hint: rcv_nxt - copied_seq, the bytes queued to
// read and, once the peer has finished sending, its FIN (so that 0 means
// "wait", never "end").
func inqHint(f int) int {
	n, err := unix.IoctlGetInt(f, unix.TIOCINQ)
	if err != nil {
		n = 0
	}
	p := []unix.PollFd{{Fd: int32(f), Events: unix.POLLRDHUP}}
	if k, err := unix.Poll(p, 0); err == nil && k > 0 && p[0].Revents&(unix.POLLRDHUP|unix.POLLHUP) != 0 {
		n++
	}
	return n
}

func (inetStreamOps) SetSockOpt(s *Socket, f int, level, name int, val Optval) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.setSockOpt(f, level, name, val)
}

func (inetStreamOps) GetSockOpt(s *Socket, f int, level, name int, size int) ([]byte, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.getSockOpt(f, level, name, size)
}
