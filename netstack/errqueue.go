package netstack

import (
	"encoding/binary"
	"net/netip"

	"golang.org/x/sys/unix"
	"gvisor.dev/gvisor/pkg/buffer"
	"gvisor.dev/gvisor/pkg/tcpip"

	"github.com/netbox-sandbox/netbox/netstack/control"
	"github.com/netbox-sandbox/netbox/netstack/sockaddr"
)

// The error queue of a UDP socket (IP_RECVERR, IPV6_RECVERR,
// recvmsg(MSG_ERRQUEUE)). The queue is the gVisor endpoint's: gVisor fills
// it for connected sockets when an ICMP error comes back; netbox adds the
// port-unreachable errors of unconnected sockets, which gVisor drops but
// Linux queues (__udp4_lib_err with IP_RECVERR).

// icmpCause is an ICMP error's description, as sock_extended_err holds it.
type icmpCause struct {
	origin    tcpip.SockErrOrigin
	typ, code uint8
	info      uint32
	// errno is ee_errno when set, else the entry's Err's.
	errno unix.Errno
	// offender is the error's sender when known, else the datagram's
	// destination is (the loopback's port unreachables).
	offender netip.Addr
	// fromPacket: ttl and tos are the ICMP packet's own, else
	// icmp_send's.
	fromPacket bool
	ttl, tos   uint8
}

func (c icmpCause) Origin() tcpip.SockErrOrigin { return c.origin }
func (c icmpCause) Type() uint8                 { return c.typ }
func (c icmpCause) Code() uint8                 { return c.code }
func (c icmpCause) Info() uint32                { return c.info }

// ICMP "port unreachable": destination unreachable (3 for ICMP, 1 for
// ICMPv6) with code 3 (ICMP) or 4 (ICMPv6).
var (
	portUnreachable4 = icmpCause{origin: tcpip.SockExtErrorOriginICMP, typ: 3, code: 3}
	portUnreachable6 = icmpCause{origin: tcpip.SockExtErrorOriginICMP6, typ: 1, code: 4}
)

// maxQuoted is how much of an offending datagram's payload an ICMP error
// quotes on the loopback: icmp_send fits the message in 576 bytes (20 of
// IP header and 8 of ICMP header, then the original IP and UDP headers),
// icmp6_send in the IPv6 minimum MTU of 1280.
func maxQuoted(v4 bool) int {
	if v4 {
		return 576 - 20 - 8 - 20 - 8
	}
	return 1280 - 40 - 8 - 40 - 8
}

// portUnreachable is __udp4_lib_err (__udp6_lib_err) for an ICMP port
// unreachable about a datagram s sent to dst, which netbox raises itself
// where gVisor does not (an unconnected sender, or a receiver the program
// had closed): with IP_RECVERR (IPV6_RECVERR for IPv6) the error is queued
// and becomes the pending error; without it, only a connected socket
// takes the pending error. s.mu is held.
func (s *Socket) portUnreachable(dst netip.AddrPort, payload []byte) {
	dst = unmapped(dst)
	v4 := dst.Addr().Is4()
	so, proto, ok := s.errQueue(v4)
	if !ok {
		if s.State == SSConnected {
			s.setDgramError(unix.ECONNREFUSED)
		}
		return
	}
	cause := portUnreachable4
	if !v4 {
		cause = portUnreachable6
	}
	quoted := payload[:min(len(payload), maxQuoted(v4))]
	so.QueueErr(&tcpip.SockError{
		Err:      &tcpip.ErrConnectionRefused{},
		Cause:    cause,
		Payload:  buffer.NewViewWithData(append([]byte(nil), quoted...)),
		Dst:      fullAddress(dst),
		Offender: fullAddress(netip.AddrPortFrom(dst.Addr(), 0)),
		NetProto: proto,
	})
	s.setDgramError(unix.ECONNREFUSED)
}

// msgSizeError is ip_local_error and ipv6_local_error for EMSGSIZE (the
// only local error netbox raises): with IP_RECVERR (IPV6_RECVERR for
// IPv6) on, it is queued, origin SO_EE_ORIGIN_LOCAL, with dst as its
// address and the path MTU as its info; it becomes no pending error.
// (Linux also raises POLLERR, which netbox cannot on the placeholder
// without a pending error.) s.mu is held.
func (s *Socket) msgSizeError(dst netip.AddrPort, mtu uint32) {
	dst = unmapped(dst)
	so, proto, ok := s.errQueue(dst.Addr().Is4())
	if !ok {
		return
	}
	so.QueueErr(&tcpip.SockError{
		Err:      &tcpip.ErrMessageTooLong{},
		Cause:    icmpCause{origin: tcpip.SockExtErrorOriginLocal, info: mtu},
		Payload:  buffer.NewView(0),
		Dst:      fullAddress(dst),
		NetProto: proto,
	})
}

// errQueue returns the socket's options, which hold its error queue, and
// the network protocol of errors about IPv4 (v4) or IPv6 packets, with
// ok set when the socket queues such errors (IP_RECVERR, IPV6_RECVERR).
// s.mu is held.
func (s *Socket) errQueue(v4 bool) (so *tcpip.SocketOptions, proto tcpip.NetworkProtocolNumber, ok bool) {
	if s.sk.ep == nil {
		return nil, 0, false
	}
	so = s.sk.ep.SocketOptions()
	if v4 {
		return so, networkProtocol(afInet), so.GetIPv4RecvError()
	}
	return so, networkProtocol(afInet6), so.GetIPv6RecvError()
}

// setDgramError makes err the datagram socket's pending error (sk_err),
// raised on the placeholder when the socket has its own sink. s.mu is
// held.
func (s *Socket) setDgramError(err error) {
	if s.sk.sink != nil {
		s.sk.sink.setError(err)
		return
	}
	s.sk.err = err
}

// recvError is ip_recv_error and ipv6_recv_error: recvmsg(MSG_ERRQUEUE)
// takes the oldest queued error, never waiting (EAGAIN when there is
// none): its payload, the original destination as the source address, one
// IP_RECVERR (IPV6_RECVERR on an AF_INET6 socket) message holding struct
// sock_extended_err and the offender's address, and MSG_ERRQUEUE. The
// pending error becomes the next queued one's.
func (s *Socket) recvError(f, size int) (*RecvResult, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.sk.ep == nil {
		return nil, unix.EAGAIN
	}
	so := s.sk.ep.SocketOptions()
	e := so.DequeueErr()
	if e == nil {
		return nil, unix.EAGAIN
	}
	defer e.Payload.Release()
	r := &RecvResult{Flags: unix.MSG_ERRQUEUE}
	payload := e.Payload.AsSlice()
	if len(payload) > size {
		payload, r.Flags = payload[:size], r.Flags|unix.MSG_TRUNC
	}
	r.Data = append([]byte(nil), payload...)
	r.Total = len(r.Data)
	if e.Dst.Port != 0 || (e.Cause != nil && e.Cause.Origin() == tcpip.SockExtErrorOriginLocal) {
		r.From, r.HasFrom = forFamily(s.Family, addrPortOf(e.Dst)), true
	}
	r.Control = append(s.icmpPacketControl(e), s.extendedErr(e))
	// sock_dequeue_err_skb: the pending error is the next ICMP error's,
	// or none.
	s.takeDgramError(f)
	if next := so.PeekErr(); next != nil && next.Cause != nil && next.Cause.Origin().IsICMPErr() {
		s.setDgramError(sockErrno(next))
	}
	return r, nil
}

// icmpPacketControl is what ip_recv_error adds before IP_RECVERR for an
// ICMP error on an AF_INET socket with IP_PKTINFO, IP_RECVTTL or
// IP_RECVTOS: ip_cmsg_recv of the ICMP packet itself, which came to the
// datagram's source from its destination with icmp_send's TTL and TOS
// (IPTOS_PREC_INTERNETCONTROL) and no spec_dst. s.mu is held.
func (s *Socket) icmpPacketControl(e *tcpip.SockError) []control.Message {
	if s.Family != afInet || e.Cause == nil || e.Cause.Origin() != tcpip.SockExtErrorOriginICMP {
		return nil
	}
	o := &s.sk.opts
	var out []control.Message
	if o.get(unix.SOL_IP, unix.IP_PKTINFO) != 0 {
		src := s.sk.local.Addr().Unmap()
		if !src.IsValid() || src.IsUnspecified() {
			src = loopbackFor(src)
		}
		b := make([]byte, 12)
		binary.LittleEndian.PutUint32(b, uint32(loNIC))
		a := src.As4()
		copy(b[8:], a[:])
		out = append(out, control.Message{Level: unix.SOL_IP, Type: unix.IP_PKTINFO, Data: b})
	}
	ttl, tos := uint8(defaultTTL), uint8(0xc0)
	if c, ok := e.Cause.(icmpCause); ok && c.fromPacket {
		ttl, tos = c.ttl, c.tos
	}
	if o.get(unix.SOL_IP, unix.IP_RECVTTL) != 0 {
		out = append(out, control.IntMessage(unix.SOL_IP, unix.IP_TTL, int32(ttl)))
	}
	if o.get(unix.SOL_IP, unix.IP_RECVTOS) != 0 {
		out = append(out, control.Message{Level: unix.SOL_IP, Type: unix.IP_TOS, Data: []byte{tos}})
	}
	return out
}

// extendedErr is the IP_RECVERR (IPV6_RECVERR) control message of a
// queued error: struct sock_extended_err, then the offender — for an ICMP
// error the address that sent it, which on the loopback is the one the
// datagram was sent to; for a local error nothing (AF_UNSPEC).
func (s *Socket) extendedErr(e *tcpip.SockError) control.Message {
	var ee [16]byte
	if errno, ok := sockErrno(e).(unix.Errno); ok {
		binary.LittleEndian.PutUint32(ee[0:], uint32(errno))
	}
	var offender []byte
	if c := e.Cause; c != nil {
		ee[4], ee[5], ee[6] = uint8(c.Origin()), c.Type(), c.Code()
		binary.LittleEndian.PutUint32(ee[8:], c.Info())
		if c.Origin().IsICMPErr() {
			from := addrPortOf(e.Dst).Addr()
			if ic, ok := c.(icmpCause); ok && ic.offender.IsValid() {
				from = ic.offender
			}
			offender = sockaddr.Inet(s.Family, forFamily(s.Family, netip.AddrPortFrom(from, 0)))
		}
	}
	level, typ, size := unix.SOL_IP, unix.IP_RECVERR, unix.SizeofSockaddrInet4
	if s.Family == afInet6 {
		level, typ, size = unix.SOL_IPV6, unix.IPV6_RECVERR, unix.SizeofSockaddrInet6
	}
	if offender == nil {
		offender = make([]byte, size)
	}
	return control.Message{Level: int32(level), Type: int32(typ), Data: append(ee[:], offender...)}
}

// sockErrno is a queued error's errno (ee_errno).
func sockErrno(e *tcpip.SockError) error {
	if c, ok := e.Cause.(icmpCause); ok && c.errno != 0 {
		return c.errno
	}
	return errnoOf(e.Err)
}

// takeDgramError is sock_error for a datagram socket whose placeholder is
// f: it takes the pending error, which Linux keeps in one place (sk_err)
// and netbox in three: its own (the errors netbox raises), the gVisor
// endpoint's (the ICMP errors gVisor handles) and, for a socket with its
// own sink, the one raised on the placeholder. All are cleared. s.mu is
// held.
func (s *Socket) takeDgramError(f int) error {
	err := s.sk.err
	s.sk.err = nil
	if s.sk.ep != nil {
		if gerr := s.sk.ep.LastError(); err == nil {
			err = errnoOf(gerr)
		}
	}
	if s.sk.sink != nil {
		if serr := s.sk.sink.take(f); err == nil {
			err = serr
		}
	}
	return err
}

// setRecvErr passes IP_RECVERR (v4) or IPV6_RECVERR to the gVisor
// endpoint, which fills the error queue; turning one off empties the
// queue, as Linux purges sk_error_queue.
func (s *Socket) setRecvErr(v4, on bool) {
	if s.sk.ep == nil {
		return
	}
	so := s.sk.ep.SocketOptions()
	if v4 {
		so.SetIPv4RecvError(on)
	} else {
		so.SetIPv6RecvError(on)
	}
}
