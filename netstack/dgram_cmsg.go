package netstack

import (
	"encoding/binary"
	"encoding/hex"
	"net/netip"
	"strings"

	"golang.org/x/sys/unix"
	"gvisor.dev/gvisor/pkg/tcpip"

	"github.com/netbox-sandbox/netbox/netstack/control"
	"github.com/netbox-sandbox/netbox/netstack/sockaddr"
)

// Control messages of UDP sockets: what a datagram carries beside its
// payload that recvmsg reports (Linux keeps it in the skb: the IP header,
// the arrival interface), and what sendmsg's control messages change for
// one datagram.

// dgramMeta is what Linux's skb holds about a received datagram that
// control messages report: where it came from and was sent to, and its IP
// header's TTL (hop limit) and TOS (traffic class). Addresses are unmapped:
// an IPv4 dst means the datagram travelled over IPv4.
type dgramMeta struct {
	src, dst netip.AddrPort
	ttl, tos uint8
}

// defaultTTL is net.ipv4.ip_default_ttl and net.ipv6.conf.*.hop_limit.
const defaultTTL = 64

// metaLen is the size of an encoded dgramMeta: two 16-byte addresses with
// their ports, TTL and TOS.
const metaLen = 2*(16+2) + 2

// encode is the part of a source socket's name that describes the
// datagrams it sends. The name is hex: x/sys reads an abstract name up to
// its first NUL byte.
func (m dgramMeta) encode() string {
	var b [metaLen]byte
	a := m.src.Addr().As16()
	copy(b[0:], a[:])
	binary.BigEndian.PutUint16(b[16:], m.src.Port())
	a = m.dst.Addr().As16()
	copy(b[18:], a[:])
	binary.BigEndian.PutUint16(b[34:], m.dst.Port())
	b[36], b[37] = m.ttl, m.tos
	return hex.EncodeToString(b[:])
}

// decodeMeta reads what encode wrote.
func decodeMeta(s string) (dgramMeta, bool) {
	b, err := hex.DecodeString(s)
	if err != nil || len(b) != metaLen {
		return dgramMeta{}, false
	}
	src := netip.AddrFrom16([16]byte(b[0:16])).Unmap()
	dst := netip.AddrFrom16([16]byte(b[18:34])).Unmap()
	return dgramMeta{
		src: netip.AddrPortFrom(src, binary.BigEndian.Uint16(b[16:])),
		dst: netip.AddrPortFrom(dst, binary.BigEndian.Uint16(b[34:])),
		ttl: b[36], tos: b[37],
	}, true
}

// metaOfRead is the metadata of a datagram gVisor delivered: its source,
// and what the endpoint's control messages (all turned on, see
// receiveAllControl) say of its IP header.
func metaOfRead(res tcpip.ReadResult) dgramMeta {
	cm := res.ControlMessages
	m := dgramMeta{src: unmapped(addrPortOf(res.RemoteAddr)), ttl: defaultTTL}
	switch {
	case cm.HasOriginalDstAddress:
		m.dst = unmapped(addrPortOf(cm.OriginalDstAddress))
	case cm.HasIPPacketInfo: // ping and raw endpoints: no port
		m.dst = unmapped(addrPortOf(tcpip.FullAddress{Addr: cm.PacketInfo.DestinationAddr}))
	case cm.HasIPv6PacketInfo:
		m.dst = unmapped(addrPortOf(tcpip.FullAddress{Addr: cm.IPv6PacketInfo.Addr}))
	}
	switch {
	case cm.HasTTL: // IPv4
		m.ttl, m.tos = cm.TTL, cm.TOS
	case cm.HasHopLimit: // IPv6
		m.ttl, m.tos = cm.HopLimit, uint8(cm.TClass)
	}
	return m
}

// receiveAllControl asks a UDP endpoint for everything it can say about
// each datagram; which control messages the program gets is decided at
// recvmsg time from the socket's options, as Linux decides.
func receiveAllControl(ep tcpip.Endpoint) {
	so := ep.SocketOptions()
	so.SetReceiveTOS(true)
	so.SetReceiveTTL(true)
	so.SetReceivePacketInfo(true)
	so.SetReceiveTClass(true)
	so.SetReceiveHopLimit(true)
	so.SetIPv6ReceivePacketInfo(true)
	so.SetReceiveOriginalDstAddress(true)
}

func unmapped(a netip.AddrPort) netip.AddrPort {
	return netip.AddrPortFrom(a.Addr().Unmap(), a.Port())
}

// sentMeta is the metadata of a datagram the program's socket s sent
// natively (write or send on its placeholder): the IP header it would have
// had, from s's options now. dst is where it went, when s is connected.
func (s *Socket) sentMeta() (m dgramMeta, connected bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	m.src = unmapped(s.sk.local)
	if s.State == SSConnected {
		m.dst, connected = unmapped(s.sk.remote), true
	}
	m.ttl, m.tos = s.ipHeaderDefaults(m.dst.Addr().Is4() || (!connected && m.src.Addr().Is4()))
	return m, connected
}

// ipHeaderDefaults is the TTL (hop limit) and TOS (traffic class) the
// socket's options give a datagram sent over IPv4 (v4) or IPv6; s.mu is
// held.
func (s *Socket) ipHeaderDefaults(v4 bool) (ttl, tos uint8) {
	o := &s.sk.opts
	if v4 {
		ttl = defaultTTL
		if v := o.get(unix.SOL_IP, unix.IP_TTL); v > 0 {
			ttl = uint8(v)
		}
		return ttl, uint8(o.get(unix.SOL_IP, unix.IP_TOS))
	}
	ttl = defaultTTL
	if v := o.get(unix.SOL_IPV6, unix.IPV6_UNICAST_HOPS); v > 0 {
		ttl = uint8(v)
	}
	return ttl, uint8(o.get(unix.SOL_IPV6, unix.IPV6_TCLASS))
}

// datagramMeta is the metadata of a datagram read from s's placeholder,
// sent from the unix socket called from: one of netbox's source sockets
// (the name holds it), another UDP socket's placeholder (its options say
// it), or the sink. What the sender cannot tell — where a datagram was
// sent, for a sender that is not connected — is s's own address.
func (st *Stack) datagramMeta(s *Socket, from string) (dgramMeta, bool) {
	name := trimAt(from)
	if enc, ok := st.cutSourcePrefix(name); ok {
		enc, _, _ = strings.Cut(enc, "/") // a socket's own source: udp_rcvbuf.go
		return decodeMeta(enc)
	}
	st.mu.Lock()
	sender := st.udpSocks[name]
	src, known := st.udpAddrs[name]
	st.mu.Unlock()
	s.mu.Lock()
	local, remote, connected := s.sk.local, s.sk.remote, s.State == SSConnected
	s.mu.Unlock()
	var m dgramMeta
	var dstKnown bool
	switch {
	case sender != nil:
		m, dstKnown = sender.sentMeta()
	case known:
		m = dgramMeta{src: unmapped(src), ttl: defaultTTL}
	case connected:
		// From the sink: the connected peer, through gVisor.
		m = dgramMeta{src: unmapped(remote), ttl: defaultTTL}
	default:
		return dgramMeta{}, false
	}
	if !dstKnown {
		m.dst = unmapped(local)
		if m.dst.Addr().IsUnspecified() || !m.dst.Addr().IsValid() {
			m.dst = netip.AddrPortFrom(st.sourceFor(m.src.Addr()), local.Port())
		}
	}
	return m, true
}

// recvControlOpts are the options that ask recvControl for IP-level
// control messages.
var recvControlOpts = []optKey{
	{unix.SOL_IP, unix.IP_PKTINFO}, {unix.SOL_IP, unix.IP_RECVTTL}, {unix.SOL_IP, unix.IP_RECVTOS},
	{unix.SOL_IP, unix.IP_RECVORIGDSTADDR}, {unix.SOL_IPV6, unix.IPV6_RECVPKTINFO},
	{unix.SOL_IPV6, unix.IPV6_RECVHOPLIMIT}, {unix.SOL_IPV6, unix.IPV6_RECVTCLASS},
	{unix.SOL_IPV6, unix.IPV6_RECVORIGDSTADDR}, {unix.SOL_IPV6, unix.IPV6_2292PKTINFO},
	{unix.SOL_IPV6, unix.IPV6_2292HOPLIMIT},
}

// wantsIPControl reports whether one of recvControlOpts is on; s.mu is
// held.
func (s *Socket) wantsIPControl() bool {
	for _, k := range recvControlOpts {
		if s.sk.opts.get(k[0], k[1]) != 0 {
			return true
		}
	}
	return false
}

// recvControl is the control messages a datagram gives a receive on s, in
// Linux's order: the socket layer's (sock_recv_cmsgs: the timestamps the
// placeholder took), then ip_cmsg_recv_offset's for IPv4 datagrams, or for
// an AF_INET6 socket ip6_datagram_recv_common_ctl's and then IPv4's (a
// v4-mapped datagram) or ip6_datagram_recv_specific_ctl's.
func (s *Socket) recvControl(m dgramMeta, sockLevel []control.Message) []control.Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	o := &s.sk.opts
	on := func(level, name int) bool { return o.get(level, name) != 0 }
	out := sockLevel
	v4 := m.dst.Addr().Is4()
	if s.Family == afInet6 && on(unix.SOL_IPV6, unix.IPV6_RECVPKTINFO) {
		out = append(out, control.Message{Level: unix.SOL_IPV6, Type: unix.IPV6_PKTINFO, Data: in6Pktinfo(m)})
	}
	if v4 {
		if on(unix.SOL_IP, unix.IP_PKTINFO) {
			// struct in_pktinfo: ifindex, spec_dst (the local address a
			// reply goes from: fib_compute_spec_dst gives the
			// destination itself for a local one), addr.
			b := make([]byte, 12)
			binary.LittleEndian.PutUint32(b, uint32(loNIC))
			a := m.dst.Addr().As4()
			copy(b[4:], a[:])
			copy(b[8:], a[:])
			out = append(out, control.Message{Level: unix.SOL_IP, Type: unix.IP_PKTINFO, Data: b})
		}
		if on(unix.SOL_IP, unix.IP_RECVTTL) {
			out = append(out, control.IntMessage(unix.SOL_IP, unix.IP_TTL, int32(m.ttl)))
		}
		if on(unix.SOL_IP, unix.IP_RECVTOS) {
			out = append(out, control.Message{Level: unix.SOL_IP, Type: unix.IP_TOS, Data: []byte{m.tos}})
		}
		if on(unix.SOL_IP, unix.IP_RECVORIGDSTADDR) {
			out = append(out, control.Message{Level: unix.SOL_IP, Type: unix.IP_ORIGDSTADDR, Data: sockaddr.Inet(afInet, m.dst)})
		}
		return out
	}
	if on(unix.SOL_IPV6, unix.IPV6_RECVHOPLIMIT) {
		out = append(out, control.IntMessage(unix.SOL_IPV6, unix.IPV6_HOPLIMIT, int32(m.ttl)))
	}
	if on(unix.SOL_IPV6, unix.IPV6_RECVTCLASS) {
		out = append(out, control.IntMessage(unix.SOL_IPV6, unix.IPV6_TCLASS, int32(m.tos)))
	}
	// The RFC 2292 forms, after the RFC 3542 ones (IPV6_2292HOPOPTS,
	// DSTOPTS and RTHDR have no extension header to report).
	if on(unix.SOL_IPV6, unix.IPV6_2292PKTINFO) {
		out = append(out, control.Message{Level: unix.SOL_IPV6, Type: unix.IPV6_2292PKTINFO, Data: in6Pktinfo(m)})
	}
	if on(unix.SOL_IPV6, unix.IPV6_2292HOPLIMIT) {
		out = append(out, control.IntMessage(unix.SOL_IPV6, unix.IPV6_2292HOPLIMIT, int32(m.ttl)))
	}
	if on(unix.SOL_IPV6, unix.IPV6_RECVORIGDSTADDR) {
		out = append(out, control.Message{Level: unix.SOL_IPV6, Type: unix.IPV6_ORIGDSTADDR, Data: sockaddr.Inet(afInet6, m.dst)})
	}
	return out
}

// in6Pktinfo is the struct in6_pktinfo of a datagram: its destination
// (v4-mapped for IPv4) and the arrival interface.
func in6Pktinfo(m dgramMeta) []byte {
	b := make([]byte, 20)
	a := m.dst.Addr().As16()
	copy(b, a[:])
	binary.LittleEndian.PutUint32(b[16:], uint32(loNIC))
	return b
}

// socketLevelControl keeps the control messages the placeholder itself
// produced that belong to the program: the receive timestamps and drop
// counts (SO_TIMESTAMP*, SO_TIMESTAMPING, SO_RXQ_OVFL, which the program
// set on the placeholder; with tsOwn, SO_TIMESTAMP* is netbox's and its
// message dropped: timestamping.go). Anything else is dropped, and
// descriptors (which nothing should send here) are closed.
func socketLevelControl(oob []byte, tsOwn bool) []control.Message {
	msgs, err := control.Parse(oob)
	if err != nil {
		return nil
	}
	var out []control.Message
	for _, m := range msgs {
		if m.Level != unix.SOL_SOCKET {
			continue
		}
		switch m.Type {
		case unix.SO_TIMESTAMP, unix.SO_TIMESTAMPNS, unix.SO_TIMESTAMP_NEW, unix.SO_TIMESTAMPNS_NEW:
			if tsOwn {
				continue
			}
			out = append(out, control.Message{Level: m.Level, Type: m.Type, Data: append([]byte(nil), m.Data...)})
		case unix.SO_TIMESTAMPING, unix.SO_TIMESTAMPING_NEW, unix.SO_RXQ_OVFL:
			out = append(out, control.Message{Level: m.Level, Type: m.Type, Data: append([]byte(nil), m.Data...)})
		case unix.SCM_RIGHTS:
			for i := 0; i+4 <= len(m.Data); i += 4 {
				unix.Close(int(int32(binary.LittleEndian.Uint32(m.Data[i:]))))
			}
		}
	}
	return out
}

// sendControl is what a sendmsg's control messages change for one
// datagram.
type sendControl struct {
	ttl      int // IP_TTL / IPV6_HOPLIMIT; 0: the socket's
	tos      int // IP_TOS / IPV6_TCLASS; -1: the socket's
	pktinfo6 *tcpip.IPv6PacketInfo
	src4     netip.Addr // IP_PKTINFO's ipi_spec_dst, when given
}

// sockCmsgSend is __sock_cmsg_send: the SOL_SOCKET messages every
// protocol takes. SCM_RIGHTS and SCM_CREDENTIALS belong to AF_UNIX and are
// ignored; the ones that ask for transmit timestamps or timed sends are
// not served (EOPNOTSUPP rather than silence); unknown ones are EINVAL.
func sockCmsgSend(m control.Message) error {
	switch m.Type {
	case unix.SCM_RIGHTS, unix.SCM_CREDENTIALS:
		return nil
	case unix.SO_MARK, unix.SO_PRIORITY:
		if len(m.Data) != 4 {
			return unix.EINVAL
		}
		return nil
	case unix.SO_TIMESTAMPING, unix.SO_TIMESTAMPING_NEW, unix.SCM_TXTIME:
		return unix.EOPNOTSUPP
	}
	return unix.EINVAL
}

// ipCmsgSend is ip_cmsg_send: the control messages of a datagram sent
// over IPv4. Other levels than SOL_IP and SOL_SOCKET are skipped.
func ipCmsgSend(msgs []control.Message) (sendControl, error) {
	c := sendControl{tos: -1}
	err := walkSendControl(msgs, unix.SOL_IP, func(m control.Message) error {
		switch m.Type {
		case unix.IP_TTL:
			v, ok := m.Int()
			if !ok || v < 1 || v > 255 {
				return unix.EINVAL
			}
			c.ttl = int(v)
		case unix.IP_TOS:
			var v int32
			switch len(m.Data) {
			case 4:
				v, _ = m.Int()
			case 1:
				v = int32(m.Data[0])
			default:
				return unix.EINVAL
			}
			if v < 0 || v > 255 {
				return unix.EINVAL
			}
			c.tos = int(v)
		case unix.IP_PKTINFO:
			if len(m.Data) != 12 {
				return unix.EINVAL
			}
			if idx := binary.LittleEndian.Uint32(m.Data); idx != 0 && idx != uint32(loNIC) {
				return unix.ENODEV
			}
			if a := netip.AddrFrom4([4]byte(m.Data[4:8])); !a.IsUnspecified() {
				c.src4 = a
			}
		case unix.IP_RETOPTS:
			// IP options are not served: gVisor sends none.
			return unix.EOPNOTSUPP
		default:
			return unix.EINVAL
		}
		return nil
	})
	return c, err
}

// ip6DatagramSendCtl is ip6_datagram_send_ctl: the control messages of a
// datagram sent over IPv6. Other levels than SOL_IPV6 and SOL_SOCKET are
// skipped.
func ip6DatagramSendCtl(msgs []control.Message) (sendControl, error) {
	c := sendControl{tos: -1}
	err := walkSendControl(msgs, unix.SOL_IPV6, func(m control.Message) error {
		switch m.Type {
		case unix.IPV6_PKTINFO, unix.IPV6_2292PKTINFO:
			if len(m.Data) < 20 {
				return unix.EINVAL
			}
			idx := binary.LittleEndian.Uint32(m.Data[16:])
			if idx != 0 && idx != uint32(loNIC) {
				return unix.ENODEV
			}
			a := netip.AddrFrom16([16]byte(m.Data[0:16]))
			if !a.IsUnspecified() && !a.IsLoopback() {
				return unix.EINVAL // not an address of the sandbox's
			}
			c.pktinfo6 = &tcpip.IPv6PacketInfo{NIC: tcpip.NICID(idx)}
			if !a.IsUnspecified() {
				c.pktinfo6.Addr = tcpip.AddrFrom16(a.As16())
			}
		case unix.IPV6_HOPLIMIT, unix.IPV6_2292HOPLIMIT:
			v, ok := m.Int()
			if !ok || v < -1 || v > 255 {
				return unix.EINVAL
			}
			if v >= 0 {
				c.ttl = int(v)
			}
			if v == 0 {
				c.ttl = -1 // a hop limit of 0, not "the socket's"
			}
		case unix.IPV6_TCLASS:
			v, ok := m.Int()
			if !ok || v < -1 || v > 255 {
				return unix.EINVAL
			}
			if v >= 0 {
				c.tos = int(v)
			}
		case unix.IPV6_DONTFRAG:
			v, ok := m.Int()
			if !ok || v < -1 || v > 1 {
				return unix.EINVAL
			}
		case ipv6FlowInfo, unix.IPV6_HOPOPTS, unix.IPV6_2292HOPOPTS, unix.IPV6_DSTOPTS,
			unix.IPV6_2292DSTOPTS, unix.IPV6_RTHDRDSTOPTS, unix.IPV6_RTHDR, unix.IPV6_2292RTHDR:
			// Flow labels and extension headers are not served.
			return unix.EOPNOTSUPP
		default:
			return unix.EINVAL
		}
		return nil
	})
	return c, err
}

// apply puts what the control messages ask for into gVisor's write
// options; the TOS (traffic class) it returns is set on the endpoint
// around the write (gVisor takes none per datagram).
func (c sendControl) apply(opts *tcpip.WriteOptions, v4 bool) {
	switch {
	case c.ttl == 0:
	case v4:
		opts.ControlMessages.HasTTL, opts.ControlMessages.TTL = true, uint8(c.ttl)
	case c.ttl < 0:
		opts.ControlMessages.HasHopLimit, opts.ControlMessages.HopLimit = true, 0
	default:
		opts.ControlMessages.HasHopLimit, opts.ControlMessages.HopLimit = true, uint8(c.ttl)
	}
	if c.pktinfo6 != nil && !v4 {
		opts.ControlMessages.HasIPv6PacketInfo = true
		opts.ControlMessages.IPv6PacketInfo = *c.pktinfo6
	}
}

// sendControl parses a datagram's control buffer for a send over IPv4 (v4)
// or IPv6; s.mu is held. An IP_PKTINFO source the datagram would leave
// from anyway is dropped (src4 stays set only when it differs: the send
// then goes through sendFrom4).
func (s *Socket) sendControl(ctl []byte, v4 bool) (sendControl, error) {
	msgs, err := control.Parse(ctl)
	if err != nil {
		return sendControl{}, err
	}
	if !v4 {
		return ip6DatagramSendCtl(msgs)
	}
	c, err := ipCmsgSend(msgs)
	if err != nil || !c.src4.IsValid() {
		return c, err
	}
	src := s.sk.local.Addr().Unmap()
	if src.IsUnspecified() || !src.IsValid() {
		src = loopbackFor(src)
	}
	if c.src4 == src {
		c.src4 = netip.Addr{}
	}
	return c, nil
}

// sockCmsgSendAll is sock_cmsg_send: the SOL_SOCKET messages of a control
// buffer, the others skipped.
func sockCmsgSendAll(ctl []byte) error {
	msgs, err := control.Parse(ctl)
	if err != nil {
		return err
	}
	return walkSendControl(msgs, -1, nil)
}

// walkSendControl is the walk ip_cmsg_send, ip6_datagram_send_ctl and
// sock_cmsg_send share: SOL_SOCKET messages go to __sock_cmsg_send, those
// at level to fn, the others are skipped; the first error ends it.
func walkSendControl(msgs []control.Message, level int32, fn func(control.Message) error) error {
	for _, m := range msgs {
		var err error
		switch {
		case m.Level == unix.SOL_SOCKET:
			err = sockCmsgSend(m)
		case m.Level == level:
			err = fn(m)
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// pmtuStrategy is the gVisor setting that gives an IPv4 packet the DF bit
// ip_dont_fragment gives it: set under IP_PMTUDISC_WANT, DO and PROBE,
// clear under DONT, INTERFACE and OMIT.
func pmtuStrategy(mode int32) tcpip.PMTUDStrategy {
	switch mode {
	case pmtuDiscWant:
		return tcpip.PMTUDiscoveryWant
	case pmtuDiscDo:
		return tcpip.PMTUDiscoveryDo
	case pmtuDiscProbe:
		return tcpip.PMTUDiscoveryProbe
	}
	return tcpip.PMTUDiscoveryDont
}

// ipv6FlowInfo is IPV6_FLOWINFO (linux/in6.h), which x/sys lacks.
const ipv6FlowInfo = 11

// applyIPHeader gives a gVisor endpoint the IP header fields the options
// set: IP_TTL, IPV6_UNICAST_HOPS, IP_TOS, IPV6_TCLASS and IPv4's DF bit
// from IP_MTU_DISCOVER (what the endpoint does not support is left
// alone).
func (o *sockOpts) applyIPHeader(ep tcpip.Endpoint) {
	ep.SetSockOptInt(tcpip.MTUDiscoverOption, int(pmtuStrategy(o.value(unix.SOL_IP, unix.IP_MTU_DISCOVER))))
	ttl := int(o.get(unix.SOL_IP, unix.IP_TTL))
	if ttl < 0 {
		ttl = tcpip.UseDefaultIPv4TTL
	}
	hops := int(o.get(unix.SOL_IPV6, unix.IPV6_UNICAST_HOPS))
	if hops <= 0 {
		hops = tcpip.UseDefaultIPv6HopLimit
	}
	ep.SetSockOptInt(tcpip.IPv4TTLOption, ttl)
	ep.SetSockOptInt(tcpip.IPv6HopLimitOption, hops)
	ep.SetSockOptInt(tcpip.IPv4TOSOption, int(uint8(o.get(unix.SOL_IP, unix.IP_TOS))))
	ep.SetSockOptInt(tcpip.IPv6TrafficClassOption, int(uint8(o.get(unix.SOL_IPV6, unix.IPV6_TCLASS))))
}
