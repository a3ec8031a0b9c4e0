package netstack

import (
	"bytes"
	"net/netip"
	"os"

	"golang.org/x/sys/unix"
	"gvisor.dev/gvisor/pkg/tcpip"
	"gvisor.dev/gvisor/pkg/tcpip/transport/udp"
	"gvisor.dev/gvisor/pkg/waiter"
)

// maxDatagram is the largest UDP payload over IPv4 (65535 − 20 − 8); IPv6
// allows 65527 and gVisor enforces the exact limit per family.
const maxDatagram = 65535

// dgramMeta is what netbox keeps beside a datagram queued on the program's
// placeholder: what the kernel's unix queue cannot carry.
type dgramMeta struct {
	len  int
	from netip.AddrPort
}

// inetDgramOps is inet_dgram_ops: UDP, served by gVisor's UDP endpoint.
type inetDgramOps struct{ noOps }

var _ ProtoOps = inetDgramOps{}

func (inetDgramOps) Bind(s *Socket, f int, a Addr) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := checkBindAddr(s, a); err != nil {
		return err
	}
	if s.sk.bound {
		return unix.EINVAL
	}
	if err := s.bindEP(a.AddrPort); err != nil {
		return err
	}
	s.sk.portChosen = a.Port() != 0
	s.sk.addrChosen = !a.Addr().IsUnspecified()
	return nil
}

// Connect is udp's ip4_datagram_connect/ip6_datagram_connect: it sets the
// default destination and filters what is received; AF_UNSPEC dissolves
// the association (udp_disconnect).
func (inetDgramOps) Connect(s *Socket, f int, a Addr) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if a.Family == unix.AF_UNSPEC {
		if err := s.sk.ep.Disconnect(); err != nil {
			return errnoOf(err)
		}
		s.State = SSUnconnected
		s.sk.remote = netip.AddrPort{}
		// Like udp_disconnect: the address goes unless it was bound
		// explicitly (SOCK_BINDADDR_LOCK), the port unless it was chosen
		// (SOCK_BINDPORT_LOCK): then the socket is unhashed, which here
		// means a fresh endpoint.
		addr := wildcard(s.Family)
		if s.sk.addrChosen {
			addr = s.sk.local.Addr()
		}
		port := s.sk.local.Port()
		if !s.sk.portChosen {
			port = 0
			if err := s.renewEndpoint(); err != nil {
				return err
			}
			s.sk.bound = false
		}
		s.sk.local = netip.AddrPortFrom(addr, port)
		return nil
	}
	if err := checkFamily(s, a); err != nil {
		return err
	}
	dst := a.AddrPort
	if dst.Addr().IsUnspecified() {
		dst = netip.AddrPortFrom(loopbackFor(dst.Addr()), dst.Port())
		if s.Family == afInet6 && a.Addr().Is4In6() {
			dst = netip.AddrPortFrom(netip.AddrFrom16(dst.Addr().As16()), dst.Port())
		}
	}
	if err := s.sk.ep.Connect(fullAddress(dst)); err != nil {
		return errnoOf(err)
	}
	s.sk.remote = forFamily(s.Family, dst)
	s.State = SSConnected
	s.syncLocal()
	return nil
}

// renewEndpoint replaces the gVisor endpoint by a fresh, unbound one with
// the same options, releasing the port.
func (s *Socket) renewEndpoint() error {
	ep, err := s.st.gs.NewEndpoint(udp.ProtocolNumber, networkProtocol(s.Family), &s.sk.wq)
	if err != nil {
		return errnoOf(err)
	}
	so := ep.SocketOptions()
	so.SetReuseAddress(s.sk.opts.get(unix.SOL_SOCKET, unix.SO_REUSEADDR) != 0)
	so.SetReusePort(s.sk.opts.get(unix.SOL_SOCKET, unix.SO_REUSEPORT) != 0)
	so.SetBroadcast(s.sk.opts.get(unix.SOL_SOCKET, unix.SO_BROADCAST) != 0)
	if s.Family == afInet6 {
		so.SetV6Only(s.sk.v6only)
	}
	old := s.sk.ep
	s.sk.ep = ep
	if s.sk.rxFD >= 0 || s.sk.supFD >= 0 {
		s.setRxEndpoint(ep, s.sk.supFD)
	}
	old.Close()
	return nil
}

// syncLocal reads the endpoint's local address back after gVisor bound it
// implicitly (connect, sendto autobind).
func (s *Socket) syncLocal() {
	la, err := s.sk.ep.GetLocalAddress()
	if err != nil {
		return
	}
	a := addrPortOf(la)
	if !a.Addr().IsValid() {
		a = netip.AddrPortFrom(wildcard(s.Family), a.Port())
	}
	s.sk.local = forFamily(s.Family, a)
	s.sk.bound = a.Port() != 0
}

func (inetDgramOps) Name(s *Socket, peer bool) (netip.AddrPort, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if peer {
		if s.State != SSConnected {
			return netip.AddrPort{}, unix.ENOTCONN
		}
		return s.sk.remote, nil
	}
	if !s.sk.bound {
		if s.sk.addrChosen {
			return netip.AddrPortFrom(s.sk.local.Addr(), 0), nil
		}
		return netip.AddrPortFrom(wildcard(s.Family), 0), nil
	}
	return s.sk.local, nil
}

// Shutdown is inet_shutdown for UDP: an unconnected socket gives ENOTCONN
// (but the shutdown still takes effect, as in Linux). It is applied to the
// placeholder too, so that native sends fail with EPIPE and native
// receives see EOF. Unlike Linux, datagrams that arrive after SHUT_RD are
// then not delivered (the unix pair is shut in both directions).
func (inetDgramOps) Shutdown(s *Socket, f int, how int) error {
	if how < unix.SHUT_RD || how > unix.SHUT_RDWR {
		return unix.EINVAL
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.sk.shutdown |= how + 1
	unix.Shutdown(f, how)
	if s.State != SSConnected {
		return unix.ENOTCONN
	}
	return nil
}

// SendMsg is udp_sendmsg: one datagram to `to` or to the connected peer.
func (inetDgramOps) SendMsg(s *Socket, f int, data []byte, to *Addr, flags int) (int, error) {
	if flags&unix.MSG_OOB != 0 {
		return 0, unix.EOPNOTSUPP
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.sk.shutdown&(unix.SHUT_WR+1) != 0 {
		return 0, unix.EPIPE
	}
	var opts tcpip.WriteOptions
	if to != nil {
		switch {
		case to.Family == unix.AF_UNSPEC && s.Family == afInet:
			// udp_sendmsg takes AF_UNSPEC as AF_INET.
		case to.Family == unix.AF_INET && s.Family == afInet6:
			// udpv6_sendmsg hands an AF_INET address to udp_sendmsg,
			// which cannot send from a v6-only or IPv6-bound socket.
			if s.sk.v6only || (s.sk.bound && !s.sk.local.Addr().IsUnspecified() && !s.sk.local.Addr().Is4In6()) {
				return 0, unix.ENETUNREACH
			}
			mapped := netip.AddrPortFrom(netip.AddrFrom16(to.Addr().As16()), to.Port())
			to = &Addr{Family: unix.AF_INET6, AddrPort: mapped}
		default:
			if err := checkFamily(s, *to); err != nil {
				return 0, err
			}
			// A socket bound to a v4-mapped address sends IPv4 only.
			if s.Family == afInet6 && s.sk.addrChosen && s.sk.local.Addr().Is4In6() && !to.Addr().Is4In6() {
				return 0, unix.EAFNOSUPPORT
			}
		}
		if to.Port() == 0 {
			return 0, unix.EINVAL
		}
		dst := to.AddrPort
		if dst.Addr().IsUnspecified() {
			dst = netip.AddrPortFrom(loopbackFor(dst.Addr()), dst.Port())
		}
		if s.Family == afInet6 && to.Addr().Is4In6() && s.sk.v6only {
			return 0, unix.ENETUNREACH
		}
		fa := fullAddress(forFamily(s.Family, dst))
		opts.To = &fa
	} else if s.State != SSConnected {
		return 0, unix.EDESTADDRREQ
	}
	n, err := s.sk.ep.Write(bytes.NewReader(data), opts)
	if err != nil {
		if _, ok := err.(*tcpip.ErrWouldBlock); ok {
			return 0, wouldBlock(unix.POLLOUT)
		}
		return 0, errnoOf(err)
	}
	if !s.sk.bound {
		s.syncLocal()
	}
	return int(n), nil
}

// RecvMsg is udp_recvmsg: the oldest datagram, with its source address.
// The payload is taken from the program's placeholder itself (so that a
// native read() and a trapped recvfrom() see one queue); netbox first
// forgets the datagrams the program already read natively.
func (inetDgramOps) RecvMsg(s *Socket, f int, size int, flags int) (*RecvResult, error) {
	if flags&unix.MSG_OOB != 0 {
		return nil, unix.EOPNOTSUPP
	}
	if flags&unix.MSG_ERRQUEUE != 0 {
		return nil, unix.EAGAIN // the error queue is empty: not served yet
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.sk.err; err != nil {
		s.sk.err = nil
		return nil, err
	}
	if err := s.sk.ep.LastError(); err != nil {
		return nil, errnoOf(err)
	}
	s.sk.rxMu.Lock()
	defer s.sk.rxMu.Unlock()
	queued, err := unix.IoctlGetInt(f, unix.SIOCINQ)
	if err != nil {
		return nil, err
	}
	s.trimMeta(queued)
	if len(s.sk.rxMeta) == 0 {
		if s.sk.shutdown&(unix.SHUT_RD+1) != 0 {
			return &RecvResult{}, nil
		}
		return nil, wouldBlock(unix.POLLIN)
	}
	m := s.sk.rxMeta[0]
	buf := make([]byte, min(size, m.len))
	n, _, rflags, _, err := unix.Recvmsg(f, buf, nil, (flags&(unix.MSG_PEEK|unix.MSG_TRUNC))|unix.MSG_DONTWAIT)
	if err == unix.EAGAIN {
		return nil, wouldBlock(unix.POLLIN)
	}
	if err != nil {
		return nil, err
	}
	if flags&unix.MSG_PEEK == 0 {
		s.sk.rxMeta = s.sk.rxMeta[1:]
	}
	r := &RecvResult{Data: buf[:min(n, len(buf))], Total: m.len, From: m.from, HasFrom: true}
	if m.len > size {
		r.Flags |= unix.MSG_TRUNC
	}
	_ = rflags
	return r, nil
}

// trimMeta drops the metadata of datagrams the program has read natively:
// the placeholder holds `queued` bytes, the newest datagrams.
func (s *Socket) trimMeta(queued int) {
	total := 0
	for _, m := range s.sk.rxMeta {
		total += m.len
	}
	for len(s.sk.rxMeta) > 0 && total > queued {
		total -= s.sk.rxMeta[0].len
		s.sk.rxMeta = s.sk.rxMeta[1:]
	}
}

func (inetDgramOps) SetSockOpt(s *Socket, f int, level, name int, val []byte) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.setSockOpt(f, level, name, val)
}

func (inetDgramOps) GetSockOpt(s *Socket, f int, level, name int, size int) ([]byte, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.getSockOpt(f, level, name)
}

// startDgram starts the two pumps of a datagram socket: datagrams the
// program writes natively on its placeholder go out through the gVisor
// endpoint, and datagrams the endpoint receives are queued on the
// placeholder. onGone runs once the program has closed its last reference.
func (s *Socket) startDgram(onGone func(*Socket)) {
	// Non-blocking before NewFile, so that the file uses the poller.
	unix.SetNonblock(s.sk.supFD, true)
	sup := os.NewFile(uintptr(s.sk.supFD), "netbox-udp")
	s.setRxEndpoint(s.sk.ep, s.sk.supFD)
	s.sk.rxEntry = waiter.NewFunctionEntry(waiter.ReadableEvents, func(waiter.EventMask) { s.deliverRx() })
	s.sk.wq.EventRegister(&s.sk.rxEntry)
	s.deliverRx()
	go func() {
		s.txPump(sup)
		onGone(s)
	}()
}

// txPump forwards what the program sends without an address (send,
// write) to the connected peer. It ends at EOF: the program closed the
// placeholder everywhere.
func (s *Socket) txPump(sup *os.File) {
	rc, err := sup.SyscallConn()
	if err != nil {
		return
	}
	buf := make([]byte, maxDatagram+1)
	for {
		var n int
		var rerr error
		var hup bool
		err := rc.Read(func(fd uintptr) bool {
			n, _, _, _, rerr = unix.Recvmsg(int(fd), buf, nil, unix.MSG_DONTWAIT)
			if rerr == unix.EAGAIN {
				return false
			}
			if rerr == nil && n == 0 {
				pfd := []unix.PollFd{{Fd: int32(fd), Events: unix.POLLIN}}
				unix.Poll(pfd, 0)
				hup = pfd[0].Revents&unix.POLLHUP != 0
			}
			return true
		})
		if err != nil || (rerr != nil && rerr != unix.EINTR) || hup {
			s.sk.wq.EventUnregister(&s.sk.rxEntry)
			s.setRxEndpoint(nil, -1)
			s.mu.Lock()
			s.sk.supFD = -1 // closed below, with the file
			s.mu.Unlock()
			sup.Close()
			return
		}
		s.mu.Lock()
		if s.State == SSConnected && s.sk.ep != nil {
			if _, werr := s.sk.ep.Write(bytes.NewReader(buf[:n]), tcpip.WriteOptions{}); werr != nil {
				s.sk.err = errnoOf(werr)
			}
		} else {
			// Linux fails such a send with EDESTADDRREQ; the native send
			// has already returned, so the datagram is dropped.
			s.st.stats.UDPDropped.Add(1)
		}
		s.mu.Unlock()
	}
}

// deliverRx moves the datagrams the gVisor endpoint holds to the
// program's placeholder, recording each one's source address. It runs from
// the endpoint's readable notification, inside the sender's write, so that
// a datagram is queued for the program by the time send returns, as on
// Linux's loopback. It takes only rxMu: the sender may hold its own socket
// lock, and may be this very socket.
func (s *Socket) deliverRx() {
	s.sk.rxMu.Lock()
	defer s.sk.rxMu.Unlock()
	ep, sup := s.sk.rxEP, s.sk.rxFD
	if ep == nil || sup < 0 {
		return
	}
	var buf bytes.Buffer
	for range 1 << 16 {
		buf.Reset()
		res, err := ep.Read(&buf, tcpip.ReadOptions{NeedRemoteAddr: true})
		if err != nil {
			return
		}
		from := forFamily(s.Family, addrPortOf(res.RemoteAddr))
		if _, serr := unix.SendmsgN(sup, buf.Bytes(), nil, nil, unix.MSG_DONTWAIT); serr == nil {
			s.sk.rxMeta = append(s.sk.rxMeta, dgramMeta{len: res.Total, from: from})
		} else {
			// The program's receive buffer is full: Linux drops it too
			// (and counts it in RcvbufErrors).
			s.st.stats.UDPDropped.Add(1)
		}
	}
}

// setRxEndpoint points delivery at ep (nil stops it).
func (s *Socket) setRxEndpoint(ep tcpip.Endpoint, fd int) {
	s.sk.rxMu.Lock()
	s.sk.rxEP, s.sk.rxFD = ep, fd
	s.sk.rxMu.Unlock()
}

// FirstDatagramLen is FIONREAD/SIOCINQ on a UDP socket: the length of the
// oldest queued datagram (0 when none is).
func (s *Socket) FirstDatagramLen(f int) (int, error) {
	s.sk.rxMu.Lock()
	defer s.sk.rxMu.Unlock()
	queued, err := unix.IoctlGetInt(f, unix.SIOCINQ)
	if err != nil {
		return 0, err
	}
	s.trimMeta(queued)
	if len(s.sk.rxMeta) == 0 {
		return 0, nil
	}
	return s.sk.rxMeta[0].len, nil
}
