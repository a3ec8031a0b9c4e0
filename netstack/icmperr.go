package netstack

import (
	"bytes"
	"encoding/binary"
	"net/netip"

	"golang.org/x/sys/unix"
	"gvisor.dev/gvisor/pkg/buffer"
	"gvisor.dev/gvisor/pkg/tcpip"
	"gvisor.dev/gvisor/pkg/tcpip/checksum"
	"gvisor.dev/gvisor/pkg/tcpip/header"
	"gvisor.dev/gvisor/pkg/tcpip/network/ipv4"
	"gvisor.dev/gvisor/pkg/tcpip/network/ipv6"
	"gvisor.dev/gvisor/pkg/waiter"
)

// ICMP and ICMPv6 errors about UDP datagrams. gVisor's UDP endpoint takes
// one kind only — a port unreachable, on a connected endpoint — and drops
// the rest: network and host unreachable, fragmentation needed and packet
// too big, time exceeded (traceroute's), parameter problems. netbox reads
// every ICMP and ICMPv6 message its stack receives through a raw endpoint
// of its own and gives those errors to the UDP socket they are about, as
// __udp4_lib_err and __udp6_lib_err do: the pending error, the error
// queue with IP_RECVERR, and the path MTU they teach.

// icmpError is one ICMP or ICMPv6 error about a UDP datagram.
type icmpError struct {
	v4        bool
	typ, code uint8
	// info is ee_info: the next-hop MTU of a fragmentation-needed or
	// packet-too-big, a parameter problem's pointer, else 0.
	info     uint32
	offender netip.Addr     // the error's sender
	src, dst netip.AddrPort // the quoted datagram's addresses
	payload  []byte         // the quoted datagram's data after its UDP header
	ttl, tos uint8          // the error packet's own (IPv4)
}

// ICMP types and codes the UDP error handlers look at.
const (
	icmpDestUnreach   = 3
	icmpSourceQuench  = 4
	icmpRedirect      = 5
	icmpTimeExceeded  = 11
	icmpParameterProb = 12

	icmpPortUnreach = 3
	icmpFragNeeded  = 4
	icmpExcFragTime = 1
	nrICMPUnreach   = 15 // NR_ICMP_UNREACH, the last destination-unreachable code

	icmp6DestUnreach   = 1
	icmp6PacketTooBig  = 2
	icmp6TimeExceeded  = 3
	icmp6ParameterProb = 4

	icmp6PortUnreach = 4
)

// parseICMPv4Error reads pkt, an IPv4 packet carrying an ICMP message as
// a raw endpoint reads it, as icmp_rcv and icmp_unreach do: a destination
// unreachable (codes up to NR_ICMP_UNREACH), a time exceeded other than
// for fragment reassembly, or a parameter problem, with a good checksum,
// quoting a UDP datagram's IP header and 8 bytes beyond. ok is false for
// anything else (echo traffic, source quench, redirects…).
func parseICMPv4Error(pkt []byte) (e icmpError, ok bool) {
	if len(pkt) < header.IPv4MinimumSize {
		return e, false
	}
	ip := header.IPv4(pkt)
	hl := int(ip.HeaderLength())
	if hl < header.IPv4MinimumSize || hl > len(pkt) {
		return e, false
	}
	msg := pkt[hl:]
	if len(msg) < header.ICMPv4MinimumSize || checksum.Checksum(msg, 0) != 0xffff {
		return e, false
	}
	e = icmpError{v4: true, typ: msg[0], code: msg[1], ttl: ip.TTL(), tos: pkt[1]}
	e.offender, _ = netip.AddrFromSlice(ip.SourceAddressSlice())
	switch e.typ {
	case icmpDestUnreach:
		if e.code > nrICMPUnreach {
			return e, false
		}
		if e.code == icmpFragNeeded {
			e.info = uint32(binary.BigEndian.Uint16(msg[6:]))
		}
	case icmpTimeExceeded:
		if e.code == icmpExcFragTime {
			return e, false
		}
	case icmpParameterProb:
		e.info = uint32(msg[4])
	default:
		return e, false
	}
	q := msg[header.ICMPv4MinimumSize:]
	if len(q) < header.IPv4MinimumSize {
		return e, false
	}
	qip := header.IPv4(q)
	qhl := int(qip.HeaderLength())
	if q[0]>>4 != 4 || qhl < header.IPv4MinimumSize || len(q) < qhl+header.UDPMinimumSize ||
		qip.Protocol() != uint8(header.UDPProtocolNumber) || qip.FragmentOffset() != 0 {
		return e, false
	}
	src, _ := netip.AddrFromSlice(qip.SourceAddressSlice())
	dst, _ := netip.AddrFromSlice(qip.DestinationAddressSlice())
	u := header.UDP(q[qhl:])
	e.src, e.dst = netip.AddrPortFrom(src, u.SourcePort()), netip.AddrPortFrom(dst, u.DestinationPort())
	e.payload = q[qhl+header.UDPMinimumSize:]
	return e, true
}

// parseICMPv6Error reads msg, an ICMPv6 message from src as a raw endpoint
// reads it (its checksum checked already), as icmpv6_rcv and
// icmpv6_notify do: a destination unreachable, packet too big, time
// exceeded or parameter problem quoting a UDP datagram's IPv6 header (with
// no extension headers) and 8 bytes beyond.
func parseICMPv6Error(src netip.Addr, msg []byte) (e icmpError, ok bool) {
	if len(msg) < header.ICMPv6MinimumSize {
		return e, false
	}
	e = icmpError{typ: msg[0], code: msg[1], offender: src}
	switch e.typ {
	case icmp6DestUnreach, icmp6TimeExceeded:
	case icmp6PacketTooBig, icmp6ParameterProb:
		e.info = binary.BigEndian.Uint32(msg[4:])
	default:
		return e, false
	}
	q := msg[header.ICMPv6MinimumSize:]
	if len(q) < header.IPv6MinimumSize+header.UDPMinimumSize {
		return e, false
	}
	qip := header.IPv6(q)
	if q[0]>>4 != 6 || qip.NextHeader() != uint8(header.UDPProtocolNumber) {
		return e, false
	}
	sa, _ := netip.AddrFromSlice(qip.SourceAddressSlice())
	da, _ := netip.AddrFromSlice(qip.DestinationAddressSlice())
	u := header.UDP(q[header.IPv6MinimumSize:])
	e.src, e.dst = netip.AddrPortFrom(sa, u.SourcePort()), netip.AddrPortFrom(da, u.DestinationPort())
	e.payload = q[header.IPv6MinimumSize+header.UDPMinimumSize:]
	return e, true
}

// icmpUnreach is icmp_err_convert: the errno of each destination
// unreachable code and whether it is hard (reported to a connected socket
// without IP_RECVERR).
var icmpUnreach = [nrICMPUnreach + 1]struct {
	errno unix.Errno
	hard  bool
}{
	{unix.ENETUNREACH, false},  // ICMP_NET_UNREACH
	{unix.EHOSTUNREACH, false}, // ICMP_HOST_UNREACH
	{unix.ENOPROTOOPT, true},   // ICMP_PROT_UNREACH
	{unix.ECONNREFUSED, true},  // ICMP_PORT_UNREACH
	{unix.EMSGSIZE, false},     // ICMP_FRAG_NEEDED
	{unix.EOPNOTSUPP, false},   // ICMP_SR_FAILED
	{unix.ENETUNREACH, true},   // ICMP_NET_UNKNOWN
	{unix.EHOSTDOWN, true},     // ICMP_HOST_UNKNOWN
	{unix.ENONET, true},        // ICMP_HOST_ISOLATED
	{unix.ENETUNREACH, true},   // ICMP_NET_ANO
	{unix.EHOSTUNREACH, true},  // ICMP_HOST_ANO
	{unix.ENETUNREACH, false},  // ICMP_NET_UNR_TOS
	{unix.EHOSTUNREACH, false}, // ICMP_HOST_UNR_TOS
	{unix.EHOSTUNREACH, true},  // ICMP_PKT_FILTERED
	{unix.EHOSTUNREACH, true},  // ICMP_PREC_VIOLATION
	{unix.EHOSTUNREACH, true},  // ICMP_PREC_CUTOFF
}

// icmp6Unreach is icmpv6_err_convert's table for destination unreachable
// codes; later codes are EPROTO, hard.
var icmp6Unreach = [...]struct {
	errno unix.Errno
	hard  bool
}{
	{unix.ENETUNREACH, false},  // NOROUTE
	{unix.EACCES, true},        // ADM_PROHIBITED
	{unix.EHOSTUNREACH, false}, // BEYONDSCOPE
	{unix.EHOSTUNREACH, false}, // ADDR_UNREACH
	{unix.ECONNREFUSED, true},  // PORT_UNREACH
	{unix.EACCES, true},        // POLICY_FAIL
	{unix.EACCES, true},        // REJECT_ROUTE
}

// convert is the errno the error gives and whether it is hard, before the
// path MTU cases (which depend on the socket): icmp_err_convert and
// __udp4_lib_err's own cases, icmpv6_err_convert.
func (e *icmpError) convert() (unix.Errno, bool) {
	if e.v4 {
		switch e.typ {
		case icmpDestUnreach:
			c := icmpUnreach[e.code]
			return c.errno, c.hard
		case icmpParameterProb:
			return unix.EPROTO, true
		}
		return unix.EHOSTUNREACH, false // time exceeded
	}
	switch e.typ {
	case icmp6DestUnreach:
		if int(e.code) < len(icmp6Unreach) {
			c := icmp6Unreach[e.code]
			return c.errno, c.hard
		}
		return unix.EPROTO, true
	case icmp6PacketTooBig:
		return unix.EMSGSIZE, false
	case icmp6ParameterProb:
		return unix.EPROTO, true
	}
	return unix.EHOSTUNREACH, false // time exceeded
}

// tooBig reports whether the error teaches a path MTU.
func (e *icmpError) tooBig() bool {
	if e.v4 {
		return e.typ == icmpDestUnreach && e.code == icmpFragNeeded
	}
	return e.typ == icmp6PacketTooBig
}

// portUnreach reports whether the error is a port unreachable.
func (e *icmpError) portUnreach() bool {
	if e.v4 {
		return e.typ == icmpDestUnreach && e.code == icmpPortUnreach
	}
	return e.typ == icmp6DestUnreach && e.code == icmp6PortUnreach
}

// watchICMP starts reading the ICMP (v4) or ICMPv6 messages the stack
// receives (lo's and eth0's), through a raw endpoint, for the UDP errors
// among them. It stops when the endpoint is closed (Stack.Close).
func (st *Stack) watchICMP(v4 bool) error {
	netProto, transProto := ipv6.ProtocolNumber, header.ICMPv6ProtocolNumber
	if v4 {
		netProto, transProto = ipv4.ProtocolNumber, header.ICMPv4ProtocolNumber
	}
	wq := &waiter.Queue{}
	ep, err := st.gs.NewRawEndpoint(transProto, netProto, wq, true)
	if err != nil {
		return errnoOf(err)
	}
	st.icmpWatchers = append(st.icmpWatchers, ep)
	entry, ch := waiter.NewChannelEntry(waiter.ReadableEvents | waiter.EventHUp | waiter.EventErr)
	wq.EventRegister(&entry)
	go func() {
		defer wq.EventUnregister(&entry)
		var buf bytes.Buffer
		for {
			buf.Reset()
			res, err := ep.Read(&buf, tcpip.ReadOptions{NeedRemoteAddr: true})
			if _, ok := err.(*tcpip.ErrWouldBlock); ok {
				<-ch
				continue
			}
			if err != nil {
				return // closed
			}
			var e icmpError
			var ok bool
			if v4 {
				e, ok = parseICMPv4Error(buf.Bytes())
			} else {
				src, _ := netip.AddrFromSlice(res.RemoteAddr.Addr.AsSlice())
				e, ok = parseICMPv6Error(src, buf.Bytes())
			}
			if ok {
				st.udpError(&e, res.RemoteAddr.NIC)
			}
		}
	}()
	return nil
}

// udpError is __udp4_lib_err's and __udp6_lib_err's lookup: the socket the
// quoted datagram came from (bound to its source, connected to its
// destination or not connected) takes the error. Port unreachables are
// left out when they are the answers gVisor gave to the sandbox's own
// datagrams for closed ports (takeOwnRefusal), which netbox (for an
// unconnected sender) and gVisor (for a connected one) have reported
// already, and when they reach a connected socket, which gVisor's
// endpoint takes.
func (st *Stack) udpError(e *icmpError, nic tcpip.NICID) {
	if e.portUnreach() && st.takeOwnRefusal(e.src.Port(), e.dst) {
		return
	}
	s := st.udpSocketOf(st.gs, e.src, e.dst, nic)
	if s == nil {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if e.portUnreach() && s.State == SSConnected {
		return
	}
	s.icmpError(e)
}

// icmpError is __udp4_lib_err (__udp6_lib_err) once the socket is found:
// a path MTU is learned (unless the socket's mode ignores them) and is
// EMSGSIZE, hard unless the mode is DONT (for IPv4 under DONT, nothing
// more happens); with IP_RECVERR (IPV6_RECVERR) every error is queued
// and becomes the pending error; without it, only a hard error does, and
// only on a connected socket. s.mu is held.
func (s *Socket) icmpError(e *icmpError) {
	level, name := unix.SOL_IPV6, unix.IPV6_MTU_DISCOVER
	if e.v4 {
		level, name = unix.SOL_IP, unix.IP_MTU_DISCOVER
	}
	mode := s.sk.opts.value(level, name)
	errno, hard := e.convert()
	if e.tooBig() {
		// ip_sk_accept_pmtu, ip6_sk_accept_pmtu
		accept := mode != pmtuDiscInterface && mode != pmtuDiscOmit
		if accept {
			s.st.learnPMTU(e.dst.Addr(), e.info)
		}
		switch {
		case e.v4 && mode == pmtuDiscDont:
			return
		case e.v4:
			errno, hard = unix.EMSGSIZE, true
		case !accept:
			return
		default:
			hard = mode != pmtuDiscDont
		}
	}
	so, proto, recverr := s.errQueue(e.v4)
	if !recverr {
		if !hard || s.State != SSConnected {
			return
		}
		s.setDgramError(errno)
		return
	}
	origin := tcpip.SockExtErrorOriginICMP
	if !e.v4 {
		origin = tcpip.SockExtErrorOriginICMP6
	}
	so.QueueErr(&tcpip.SockError{
		Err: tcpipErrorOf(errno),
		Cause: icmpCause{origin: origin, typ: e.typ, code: e.code, info: e.info,
			offender: e.offender, fromPacket: e.v4, ttl: e.ttl, tos: e.tos, errno: errno},
		Payload:  buffer.NewViewWithData(append([]byte(nil), e.payload...)),
		Dst:      fullAddress(unmapped(e.dst)),
		NetProto: proto,
	})
	s.setDgramError(errno)
}

// tcpipErrorOf is the gVisor error closest to errno, for the error queue's
// entries (whose sock_extended_err takes the errno from the cause).
func tcpipErrorOf(errno unix.Errno) tcpip.Error {
	switch errno {
	case unix.ECONNREFUSED:
		return &tcpip.ErrConnectionRefused{}
	case unix.EMSGSIZE:
		return &tcpip.ErrMessageTooLong{}
	case unix.ENETUNREACH:
		return &tcpip.ErrNetworkUnreachable{}
	case unix.EHOSTUNREACH:
		return &tcpip.ErrHostUnreachable{}
	}
	return &tcpip.ErrNotSupported{}
}
