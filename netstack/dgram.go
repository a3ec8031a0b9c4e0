package netstack

import (
	"bytes"
	"encoding/binary"
	"net/netip"
	"unsafe"

	"golang.org/x/sys/unix"
	"gvisor.dev/gvisor/pkg/tcpip"
	"gvisor.dev/gvisor/pkg/waiter"

	"github.com/netbox-sandbox/netbox/netstack/control"
	"github.com/netbox-sandbox/netbox/netstack/sockaddr"
)

// inetDgramOps is inet_dgram_ops: UDP.
//
// The placeholder is an AF_UNIX SOCK_DGRAM socket with an abstract name of
// its own. A datagram queued on it was sent from a unix socket whose name
// says where it comes from: another UDP socket's placeholder (its name maps
// to that socket's address) or one of netbox's source sockets, named after
// the address. So a trapped recvfrom reads the datagram from the
// placeholder and reports its source, and native recv/read see the same
// queue. A connected socket's placeholder is connected natively to its
// peer's placeholder when the peer is in the sandbox: send/write then
// travel natively, synchronously, as on Linux's loopback; otherwise to
// netbox's sink, which sends them through the gVisor endpoint. Trapped
// sends always go through the gVisor endpoint (routing, ports, ICMP
// errors), and gVisor's deliveries are put on the receiver's placeholder.
type inetDgramOps struct{ noOps }

var _ ProtoOps = inetDgramOps{}

func (inetDgramOps) Bind(s *Socket, f int, a Addr, c Caller) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := checkBindAddr(s, a, c); err != nil {
		return err
	}
	if s.sk.bound {
		return unix.EINVAL
	}
	if s.isUDP() && s.deferBind(a.AddrPort) {
		return nil
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
		s.publishLocal()
		s.setPeerName("")
		s.closeOwnSink()
		return unixDisconnect(f)
	}
	if a.Family == unix.AF_INET && s.Family == afInet6 {
		// __ip6_datagram_connect: an AF_INET address connects over
		// IPv4, unless the socket is v6-only.
		if s.sk.v6only {
			return unix.EAFNOSUPPORT
		}
		a = Addr{Family: unix.AF_INET6, AddrPort: netip.AddrPortFrom(netip.AddrFrom16(a.Addr().As16()), a.Port())}
	}
	if err := checkFamily(s, a); err != nil {
		return err
	}
	if s.Family == afInet6 && a.Addr().Is4In6() && s.sk.v6only {
		return unix.ENETUNREACH // __ip6_datagram_connect
	}
	if a.Addr().Unmap() == loBroadcast && s.sk.opts.get(unix.SOL_SOCKET, unix.SO_BROADCAST) == 0 {
		return unix.EACCES // __ip4_datagram_connect: a broadcast route
	}
	dst := a.AddrPort
	if dst.Addr().IsUnspecified() {
		dst = netip.AddrPortFrom(loopbackFor(dst.Addr()), dst.Port())
		if s.Family == afInet6 && a.Addr().Is4In6() {
			dst = netip.AddrPortFrom(netip.AddrFrom16(dst.Addr().As16()), dst.Port())
		}
	}
	if err := s.dontRoute(dst.Addr(), 0); err != nil {
		return err
	}
	if err := s.bindDeferred(); err != nil {
		return err
	}
	if err := s.sk.ep.Connect(fullAddress(dst)); err != nil {
		return errnoOf(err)
	}
	s.sk.remote = forFamily(s.Family, dst)
	s.State = SSConnected
	s.syncLocal()
	s.connectPlaceholder(f, dst)
	return nil
}

// connectPlaceholder connects the placeholder of a socket connected to
// dst for its native sends: straight to the peer's placeholder when the
// peer is one of the sandbox's sockets and nothing needs to see the
// datagrams, else to a sink of the socket's own that feeds gVisor. s.mu
// is held.
func (s *Socket) connectPlaceholder(f int, dst netip.AddrPort) {
	target := s.st.sinkName
	if !s.isUDP() || s.st.capturing() || s.sk.corked.Load() {
		// Ping and raw sockets' sends always go through gVisor, and
		// so does everything a capture must see and what UDP_CORK
		// holds back.
	} else if r := s.st.udpReceiver(s.gstack(), dst, s.sk.local); r != "" && (s.sk.gso.Load() == 0 || s.st.connectedTo(r, s.sk.name)) {
		// What UDP_SEGMENT cuts goes through gVisor too, except to a
		// peer connected to this very socket: that one takes
		// datagrams only from this placeholder, which netbox holds
		// during trapped sends only; there native sends go whole.
		target = r
	}
	old := s.sk.sink
	s.sk.sink = nil
	if target == s.st.sinkName || unix.Connect(f, &unix.SockaddrUnix{Name: "@" + target}) != nil {
		// Through gVisor, by a sink of the socket's own, where netbox
		// can raise its errors; the shared one if that cannot be made.
		target = s.st.sinkName
		if own, err := s.st.newOwnSink(s); err == nil {
			if unix.Connect(f, &unix.SockaddrUnix{Name: "@" + own.name}) == nil {
				s.sk.sink, target = own, own.name
			} else {
				own.close()
			}
		}
		if s.sk.sink == nil {
			unix.Connect(f, &unix.SockaddrUnix{Name: "@" + target})
		}
	}
	s.setPeerName(target)
	if old != nil {
		old.close()
	}
}

// closeOwnSink closes the socket's own sink, if it has one. s.mu is held.
func (s *Socket) closeOwnSink() {
	if s.sk.sink != nil {
		s.sk.sink.close()
		s.sk.sink = nil
	}
}

// setPeerName records what the placeholder is connected to.
func (s *Socket) setPeerName(name string) {
	s.sk.rxMu.Lock()
	s.sk.peerName = name
	s.sk.rxMu.Unlock()
}

// unixDisconnect dissolves a unix datagram socket's association
// (connect with AF_UNSPEC).
func unixDisconnect(f int) error {
	var sa [16]byte // sa_family = AF_UNSPEC
	_, _, e := unix.Syscall(unix.SYS_CONNECT, uintptr(f), uintptr(unsafe.Pointer(&sa[0])), uintptr(len(sa)))
	if e != 0 {
		return e
	}
	return nil
}

// renewEndpoint replaces the gVisor endpoint by a fresh, unbound one with
// the same options, releasing the port.
func (s *Socket) renewEndpoint() error {
	ep, err := s.sk.newEP()
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
	receiveAllControl(ep)
	s.sk.opts.applyIPHeader(ep)
	so.SetIPv4RecvError(s.sk.opts.get(unix.SOL_IP, unix.IP_RECVERR) != 0)
	so.SetIPv6RecvError(s.sk.opts.get(unix.SOL_IPV6, unix.IPV6_RECVERR) != 0)
	old := s.sk.ep
	s.sk.wq.EventUnregister(&s.sk.rxEntry)
	s.sk.ep = ep
	s.setRxEndpoint(ep)
	s.sk.wq.EventRegister(&s.sk.rxEntry)
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
	if s.Type == unix.SOCK_RAW {
		a = netip.AddrPortFrom(a.Addr(), uint16(s.Protocol))
	}
	s.sk.local = forFamily(s.Family, a)
	s.sk.bound = a.Port() != 0
	s.publishLocal()
}

func (inetDgramOps) Name(s *Socket, f int, peer bool) ([]byte, error) {
	return s.inetName(peer)
}

// inetName is name as a sockaddr of the socket's family.
func (s *Socket) inetName(peer bool) ([]byte, error) {
	ap, err := s.name(peer)
	if err != nil {
		return nil, err
	}
	return sockaddr.Inet(s.Family, ap), nil
}

// name is inet_getname: the peer's address, or the local one (the
// wildcard, with the address kept when the program bound one, while the
// socket has no port).
func (s *Socket) name(peer bool) (netip.AddrPort, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if peer {
		// inet_getname: no peer port is no peer.
		if s.State != SSConnected || s.sk.remote.Port() == 0 {
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
// receives see EOF.
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

// SendMsg is udp_sendmsg: one datagram to `to` or to the connected peer,
// with what its control messages ask for (ip_cmsg_send, or
// ip6_datagram_send_ctl for a datagram sent over IPv6).
func (inetDgramOps) SendMsg(s *Socket, f int, data []byte, to *Addr, ctl []byte, flags int) (int, error) {
	// udp_sendmsg refuses MSG_OOB; udpv6_sendmsg ignores it, unless it
	// hands a v4-mapped destination to udp_sendmsg.
	if flags&unix.MSG_OOB != 0 && (!s.isUDP() || s.Family == afInet || (to != nil && (to.Family == unix.AF_INET || to.Addr().Is4In6()))) {
		return 0, unix.EOPNOTSUPP // ping and raw sockets refuse it too
	}
	if to != nil && s.Protocol == unix.IPPROTO_ICMPV6 && s.Type == unix.SOCK_DGRAM && to.Addr().Is4In6() {
		return 0, unix.EINVAL // ping_v6_sendmsg: no IPv4 over IPv6 ping
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.sk.shutdown&(unix.SHUT_WR+1) != 0 {
		return 0, unix.EPIPE
	}
	// inet_send_prepare: a socket without a port takes one first.
	if err := s.bindDeferred(); err != nil {
		return 0, err
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
		if to.Port() == 0 && s.isUDP() {
			return 0, unix.EINVAL
		}
		if a := to.Addr(); a.Is6() && !a.Is4In6() && a.IsMulticast() {
			// Linux's lo has no IFF_MULTICAST, so a network with only lo
			// has no IPv6 multicast route, whatever IPV6_MULTICAST_IF.
			return 0, unix.ENETUNREACH
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
	tos := -1
	gso := int(s.sk.gso.Load()) // UDP_SEGMENT: the segment size, 0: none
	var from4 sendControl       // with src4 set: the datagram's own IPv4 source
	if len(ctl) > 0 && s.isUDP() {
		// udp_cmsg_send, before ip_cmsg_send
		if v, has, err := udpCmsgSend(ctl); err != nil {
			return 0, err
		} else if has {
			gso = v
		}
	}
	if len(ctl) > 0 {
		dst := s.sk.remote.Addr()
		if to != nil {
			dst = to.Addr()
		}
		c, err := s.sendControl(ctl, dst.Unmap().Is4())
		if err != nil {
			return 0, err
		}
		c.apply(&opts, dst.Unmap().Is4())
		tos = c.tos
		if c.src4.IsValid() {
			if !s.isUDP() {
				return 0, unix.EOPNOTSUPP // ping and raw sockets: gVisor chooses
			}
			from4 = c
		}
	}
	if flags&msgProbe != 0 {
		// __ip_append_data: a probe builds nothing and sends nothing.
		return len(data), nil
	}
	sent := len(data)
	dst := s.sk.remote
	if opts.To != nil {
		dst = addrPortOf(*opts.To)
	}
	if err := s.dontRoute(dst.Addr(), flags); err != nil {
		return 0, err
	}
	if s.isUDP() {
		limit, mtu := s.udpLimit(dst.Addr())
		tooBig := func() error {
			// ip_append_data: ip_local_error, to the connected
			// peer's port (IPv6: the destination's).
			port := s.sk.remote.Port()
			if !dst.Addr().Unmap().Is4() {
				port = dst.Port()
			}
			s.msgSizeError(netip.AddrPortFrom(dst.Addr(), port), uint32(mtu))
			return unix.EMSGSIZE
		}
		if more := flags&unix.MSG_MORE != 0 || s.sk.corked.Load(); more || s.corkPending() {
			gso = 0 // a corked datagram goes whole
			var held bool
			var err error
			if data, held, err = s.cork(data, &opts, limit, more); err == unix.EMSGSIZE {
				return 0, tooBig()
			} else if err != nil {
				return 0, err
			} else if held {
				return sent, nil
			}
		} else if gso > 0 {
			if err := s.gsoCheck(dst.Addr(), len(data), gso, mtu); err != nil {
				return 0, err
			}
		} else if len(data) > limit {
			return 0, tooBig()
		}
	} else {
		gso = 0
	}
	// A corked datagram goes where its first send went.
	dst = s.sk.remote
	if opts.To != nil {
		dst = addrPortOf(*opts.To)
	}
	// sock_alloc_send_pskb: a pending error fails the send, once.
	if err := s.takeDgramError(f); err != nil {
		return 0, err
	}
	for d, seg := range s.st.gsoSegments(data, gso) {
		if from4.src4.IsValid() {
			if err := s.sendFrom4(from4.src4, dst, d, from4); err != nil {
				return 0, err
			}
			continue
		}
		if err := s.sendDatagram(f, d, opts, dst, tos, seg); err != nil {
			if _, ok := err.(*tcpip.ErrWouldBlock); ok {
				return 0, wouldBlock(unix.POLLOUT)
			}
			return 0, errnoOf(err)
		}
	}
	if !s.sk.bound {
		s.syncLocal()
	}
	return sent, nil
}

// sendDatagram writes one datagram to dst through the socket's endpoint
// (writeUDP; tos as there) and raises the port unreachable netbox answers
// itself: a closed receiver's, and for an unconnected sender gVisor's
// (which gVisor reports to connected sockets only). s.mu is held.
func (s *Socket) sendDatagram(f int, data []byte, opts tcpip.WriteOptions, dst netip.AddrPort, tos int, seg *gsoSeg) tcpip.Error {
	_, refused, err := s.st.writeUDP(s.gstack(), s.sk.ep, data, opts, f, tos, seg)
	if refused == deadReceiver || (refused == unknownPort && s.State != SSConnected) {
		s.portUnreachable(dst, data)
	}
	return err
}

// udpCork is a datagram being built from several sends (MSG_MORE,
// UDP_CORK): its data so far, where it goes (the first send's
// destination; nil: the connected peer) and the most it may hold.
type udpCork struct {
	data  []byte
	to    *tcpip.FullAddress
	limit int
}

// corkPending reports whether a datagram is being built.
func (s *Socket) corkPending() bool {
	s.sk.corkMu.Lock()
	defer s.sk.corkMu.Unlock()
	return s.sk.cork != nil
}

// maxPayload is the most a UDP datagram to dst can carry: 65535 less
// the UDP header, and for IPv4 its header too.
func maxPayload(dst netip.Addr) int {
	if dst.Unmap().Is4() {
		return 0xFFFF - 8 - 20
	}
	return 0xFFFF - 8
}

// Path MTU discovery modes (IP_MTU_DISCOVER, IPV6_MTU_DISCOVER).
const (
	pmtuDiscDont      = 0 // IP_PMTUDISC_DONT
	pmtuDiscWant      = 1 // IP_PMTUDISC_WANT
	pmtuDiscDo        = 2 // IP_PMTUDISC_DO
	pmtuDiscProbe     = 3 // IP_PMTUDISC_PROBE
	pmtuDiscInterface = 4 // IP_PMTUDISC_INTERFACE
	pmtuDiscOmit      = 5 // IP_PMTUDISC_OMIT
)

// udpLimit is the most one datagram to dst may carry, as ip_append_data
// (ip6_append_data) sizes it, and the MTU it reports when a datagram is
// larger: a socket that may not fragment (DO, PROBE, INTERFACE) is held
// to the MTU, the others to the IP maximum (65535 bytes of IPv4 packet,
// 65535 of IPv6 payload). The MTU is the path's, or for an IPv4 socket
// that ignores it (PROBE and above: ip_sk_use_pmtu) the device's. s.mu is
// held.
func (s *Socket) udpLimit(dst netip.Addr) (limit, mtu int) {
	mtu = s.st.pathMTU(dst)
	v4 := dst.Unmap().Is4()
	level, name, hdr := unix.SOL_IPV6, unix.IPV6_MTU_DISCOVER, 40
	if v4 {
		level, name, hdr = unix.SOL_IP, unix.IP_MTU_DISCOVER, 20
	}
	mode := s.sk.opts.value(level, name)
	if v4 && mode >= pmtuDiscProbe {
		mtu = s.st.deviceMTU(dst)
	}
	// ip_sk_ignore_df, ip6_sk_ignore_df
	if mode < pmtuDiscDo || mode == pmtuDiscOmit {
		return maxPayload(dst), mtu
	}
	return min(mtu-hdr-8, maxPayload(dst)), mtu
}

// cork is udp_sendmsg's corked path (ip_append_data, then
// udp_push_pending_frames): data joins the pending datagram, which is
// held while more is true (MSG_MORE, or UDP_CORK set), else taken whole,
// with the first send's destination, for sending. limit is the most the
// datagram may hold (udpLimit), when this send starts it. Too much data
// for one datagram is EMSGSIZE, and what was pending is dropped
// (udp_flush_pending_frames).
func (s *Socket) cork(data []byte, opts *tcpip.WriteOptions, limit int, more bool) (out []byte, held bool, err error) {
	s.sk.corkMu.Lock()
	defer s.sk.corkMu.Unlock()
	c := s.sk.cork
	if c == nil {
		c = &udpCork{limit: limit}
		if opts.To != nil {
			to := *opts.To
			c.to = &to
		}
	}
	if len(c.data)+len(data) > c.limit {
		s.sk.cork = nil
		return nil, false, unix.EMSGSIZE
	}
	c.data = append(c.data, data...)
	if more {
		s.sk.cork = c
		return nil, true, nil
	}
	s.sk.cork = nil
	opts.To = c.to
	return c.data, false, nil
}

// SendTooBig answers a send of more than 65535 bytes, which netbox does
// not read: EMSGSIZE. udp_sendmsg refuses it at once; udpv6_sendmsg finds
// it in ip6_append_data, after the destination checks, so an IPv6
// destination first gets its local error queued (IPV6_RECVERR).
func (s *Socket) SendTooBig(to *Addr) error {
	if !s.isUDP() || s.Family != afInet6 {
		return unix.EMSGSIZE
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	dst := s.sk.remote
	if to != nil {
		dst = to.AddrPort
	} else if s.State != SSConnected {
		return unix.EDESTADDRREQ
	}
	if to != nil && to.Family == unix.AF_INET || dst.Addr().Is4In6() {
		return unix.EMSGSIZE // udp_sendmsg's
	}
	_, mtu := s.udpLimit(dst.Addr())
	s.msgSizeError(dst, uint32(mtu))
	return unix.EMSGSIZE
}

// SendFault is what a send whose payload cannot be read returns: the
// checks a protocol makes before it copies the payload, which it does
// last, and then EFAULT. tcp_sendmsg needs a connection (EPIPE);
// udp_sendmsg, raw_sendmsg and ping_v4_sendmsg need a destination
// (EDESTADDRREQ).
func (s *Socket) SendFault(to *Addr) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	inet := s.Family == afInet || s.Family == afInet6
	switch {
	case inet && s.Type == unix.SOCK_STREAM && s.State != SSConnected:
		return unix.EPIPE
	case inet && s.Datagram() && to == nil && s.State != SSConnected:
		return unix.EDESTADDRREQ
	}
	return unix.EFAULT
}

// setCork is UDP_CORK's setsockopt (udp_lib_setsockopt): set, sends are
// held until it is cleared, which sends what is pending as one datagram.
// A connected socket's native sends come through its own sink while
// corked, where netbox can hold them. s.mu is held.
func (s *Socket) setCork(f int, val Optval) error {
	v, err := intOf(val)
	if err != nil {
		return err
	}
	connected := s.State == SSConnected
	if v != 0 {
		s.sk.opts.set(unix.SOL_UDP, unix.UDP_CORK, 1)
		if !s.sk.corked.Swap(true) && connected && s.sk.sink == nil {
			s.connectPlaceholder(f, s.sk.remote)
		}
		return nil
	}
	s.sk.opts.set(unix.SOL_UDP, unix.UDP_CORK, 0)
	if ps := s.sk.sink; ps != nil && s.sk.corked.Load() {
		// What the program sent before clearing the option joins the
		// datagram first.
		ps.drainCorked()
	}
	was := s.sk.corked.Swap(false)
	s.sk.corkMu.Lock()
	c := s.sk.cork
	s.sk.cork = nil
	s.sk.corkMu.Unlock()
	if c != nil && (c.to != nil || connected) {
		dst := s.sk.remote
		if c.to != nil {
			dst = addrPortOf(*c.to)
		}
		s.sendDatagram(f, c.data, tcpip.WriteOptions{To: c.to}, dst, -1, nil)
	}
	if was && connected {
		s.connectPlaceholder(f, s.sk.remote) // back to the direct path
	}
	return nil
}

// RecvMsg is udp_recvmsg: the oldest datagram on the placeholder, with its
// source address (read from the name of the unix socket that sent it).
func (inetDgramOps) RecvMsg(s *Socket, f int, size int, flags int) (*RecvResult, error) {
	// udp_recvmsg has no urgent data and ignores MSG_OOB.
	if flags&unix.MSG_ERRQUEUE != 0 {
		return s.recvError(f, size)
	}
	s.mu.Lock()
	// Like __skb_recv_udp: a pending error (an ICMP error) is reported
	// once.
	if err := s.takeDgramError(f); err != nil {
		s.mu.Unlock()
		return nil, err
	}
	connected := s.State == SSConnected
	wantCtl := s.wantsIPControl()
	tsOwn := s.sk.tsOwn
	s.mu.Unlock()
	buf := make([]byte, size)
	var oob [192]byte // the placeholder's timestamps (SO_TIMESTAMP*, SO_TIMESTAMPING)
	n, oobn, rflags, from, err := unix.Recvmsg(f, buf, oob[:], (flags&(unix.MSG_PEEK|unix.MSG_TRUNC))|unix.MSG_DONTWAIT)
	if err == unix.EAGAIN {
		return nil, wouldBlock(unix.POLLIN)
	}
	if err != nil {
		return nil, err
	}
	r := &RecvResult{Data: buf[:min(n, size)], Total: n, Flags: rflags & unix.MSG_TRUNC}
	var fromName string
	if u, ok := from.(*unix.SockaddrUnix); ok {
		fromName = u.Name
	}
	// The datagram's metadata: its source for an unconnected socket,
	// its IP header for the control messages asked for.
	var m dgramMeta
	var known bool
	if !connected || wantCtl {
		m, known = s.st.datagramMeta(s, fromName)
	}
	if connected {
		// A connected socket receives from its peer only.
		s.mu.Lock()
		r.From, r.HasFrom = s.sk.remote, true
		s.mu.Unlock()
	} else if known {
		r.From, r.HasFrom = forFamily(s.Family, m.src), true
	}
	if !r.HasFrom {
		r.From, r.HasFrom = netip.AddrPortFrom(wildcard(s.Family), 0), true
	}
	if !s.isUDP() {
		// ping_recvmsg and raw_recvmsg report no port.
		r.From = netip.AddrPortFrom(r.From.Addr(), 0)
	}
	sockLevel := socketLevelControl(oob[:oobn], tsOwn)
	if ovfl, gro := s.sk.rxqOvfl.Load(), s.sk.gro.Load(); s.isUDP() && (ovfl || gro) {
		if e, ok := s.received(fromName, flags&unix.MSG_PEEK != 0); ok {
			// sock_recv_drops: the socket's drop count when the
			// datagram was queued, if any were dropped by then; then
			// udp_cmsg_recv: the segment size of a send taken whole.
			if ovfl && e.dropcount > 0 {
				sockLevel = append(sockLevel, control.Message{Level: unix.SOL_SOCKET, Type: unix.SO_RXQ_OVFL,
					Data: binary.NativeEndian.AppendUint32(nil, e.dropcount)})
			}
			if gro && e.gso > 0 {
				sockLevel = append(sockLevel, control.Message{Level: unix.SOL_UDP, Type: unix.UDP_GRO,
					Data: binary.NativeEndian.AppendUint32(nil, uint32(e.gso))})
			}
		}
	}
	if known {
		r.Control = s.recvControl(m, sockLevel)
	} else {
		r.Control = sockLevel
	}
	return r, nil
}

func (inetDgramOps) SetSockOpt(s *Socket, f int, level, name int, val Optval) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.setSockOpt(f, level, name, val)
}

func (inetDgramOps) GetSockOpt(s *Socket, f int, level, name int, size int) ([]byte, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.getSockOpt(f, level, name, size)
}

// startDgram hooks the socket's gVisor endpoint to its placeholder:
// datagrams gVisor delivers are queued there.
func (s *Socket) startDgram() {
	s.st.registerUDP(s)
	s.setRxEndpoint(s.sk.ep)
	s.sk.rxEntry = waiter.NewFunctionEntry(waiter.ReadableEvents, func(waiter.EventMask) { s.deliverRx() })
	s.sk.wq.EventRegister(&s.sk.rxEntry)
	s.deliverRx()
}

// stopDgram unhooks it.
func (s *Socket) stopDgram() {
	s.sk.wq.EventUnregister(&s.sk.rxEntry)
	s.setRxEndpoint(nil)
}

// deliverRx moves the datagrams the gVisor endpoint holds to the program's
// placeholder. It runs from the endpoint's readable notification, inside
// the sender's write, so that a datagram is queued for the program by the
// time send returns, as on Linux's loopback. It takes only rxMu: the
// sender may hold its own socket lock, and may be this very socket.
func (s *Socket) deliverRx() {
	s.sk.rxMu.Lock()
	defer s.sk.rxMu.Unlock()
	ep := s.sk.rxEP
	if ep == nil {
		return
	}
	var buf bytes.Buffer
	for range 1 << 16 {
		buf.Reset()
		res, err := ep.Read(&buf, tcpip.ReadOptions{NeedRemoteAddr: true})
		if err != nil {
			return
		}
		if s.sk.filtered(buf.Bytes()) {
			continue
		}
		m := metaOfRead(res)
		if !s.mcAllows(m.dst.Addr()) {
			continue // a group it did not join, IP_MULTICAST_ALL off
		}
		var dead bool
		if s.isUDP() && s.sk.peerName == "" {
			if seg := s.st.txSeg.Load(); seg != nil && s.sk.gro.Load() {
				dead = s.groReceive(m, buf.Bytes(), seg)
			} else {
				dead = s.groFlush()
				dead = s.enqueueUDP(m, buf.Bytes(), 0) || dead
			}
		} else {
			dead = s.st.deliverUDP(s.sk.name, s.sk.peerName, m, buf.Bytes()) && s.isUDP()
		}
		if dead {
			// The datagram's receiver is closed: Linux would have found
			// no socket (a raw or ping socket's copy is only lost).
			s.st.txDead.Store(true)
		}
	}
}

// rxEndpointAny is the endpoint delivery reads, for comparison with what
// gVisor's demultiplexer returns.
func (sk *Sock) rxEndpointAny() any {
	sk.rxMu.Lock()
	defer sk.rxMu.Unlock()
	return sk.rxEP
}

// setRxEndpoint points delivery at ep (nil stops it).
func (s *Socket) setRxEndpoint(ep tcpip.Endpoint) {
	s.sk.rxMu.Lock()
	s.sk.rxEP = ep
	s.sk.rxMu.Unlock()
}

// publishLocal records the socket's local address under its placeholder's
// name, for the receivers of what it sends natively.
func (s *Socket) publishLocal() {
	s.st.mu.Lock()
	s.st.udpAddrs[s.sk.name] = s.sk.local
	s.st.mu.Unlock()
}

// msgProbe is MSG_PROBE (linux/socket.h), which x/sys lacks.
const msgProbe = 0x10

// loBroadcast is lo's subnet broadcast address, a broadcast route in
// Linux's local table. (The limited broadcast has no route in a sandbox
// that has only lo.)
var loBroadcast = netip.AddrFrom4([4]byte{127, 255, 255, 255})
