package netstack

import (
	"encoding/binary"
	"net/netip"

	"golang.org/x/sys/unix"
	"gvisor.dev/gvisor/pkg/tcpip"
	"gvisor.dev/gvisor/pkg/tcpip/transport/icmp"
)

// ICMP "ping" sockets (SOCK_DGRAM, IPPROTO_ICMP/ICMPV6) and raw sockets
// (SOCK_RAW) are datagram sockets like UDP: the same placeholder, queue
// and delivery, with gVisor's ICMP and raw endpoints behind them. Ping
// sockets use inet_dgram_ops as in Linux (only their proto differs); raw
// sockets have inetRawOps.

// Option levels and names x/sys lacks (linux/icmp.h, linux/icmpv6.h).
const (
	solRaw      = 255 // SOL_RAW
	icmpFilter  = 1   // ICMP_FILTER (SOL_RAW, IPv4 raw ICMP sockets)
	icmp6Filter = 1   // ICMP6_FILTER (SOL_ICMPV6)
	solICMPv6   = unix.IPPROTO_ICMPV6
	// icmpv6ChecksumOffset is where an ICMPv6 header's checksum is.
	icmpv6ChecksumOffset = 2
)

// icmpProtocol is the gVisor transport protocol of a family's ping sockets.
func icmpProtocol(family int) tcpip.TransportProtocolNumber {
	if family == afInet6 {
		return icmp.ProtocolNumber6
	}
	return icmp.ProtocolNumber4
}

// isUDP reports whether a datagram socket is UDP or UDP-Lite (not ping or
// raw): ports, corking and port-unreachable errors are UDP's.
func (s *Socket) isUDP() bool {
	return s.Type == unix.SOCK_DGRAM && (s.Protocol == unix.IPPROTO_UDP || s.Protocol == unix.IPPROTO_UDPLITE)
}

// pingAllowed is ping_init_sock's check: the caller's effective group or
// one of its supplementary groups is within net.ipv4.ping_group_range
// (which governs IPv6 ping sockets too).
func (st *Stack) pingAllowed(c Caller) bool {
	lo, hi := uint32(1), uint32(0) // the kernel's default: nobody
	if st.opts.PingGroupRange != nil {
		lo, hi = st.opts.PingGroupRange(c.Tid())
	}
	cr := c.Groups()
	if lo <= cr.GID && cr.GID <= hi {
		return true
	}
	for _, g := range cr.Groups {
		if lo <= g && g <= hi {
			return true
		}
	}
	return false
}

// inetRawOps is inet_sockraw_ops (and inet6_sockraw_ops): raw_prot's
// bind, names and options over inet_dgram_ops' sending and receiving.
type inetRawOps struct{ inetDgramOps }

var _ ProtoOps = inetRawOps{}

// Bind is raw_bind (rawv6_bind): only the address counts, it must be
// local, and a raw socket may be bound again. The port stays the
// protocol.
func (inetRawOps) Bind(s *Socket, f int, a Addr, c Caller) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	ip := a.Addr()
	if s.Family == afInet6 {
		// rawv6_bind: an IPv6 address, not a v4-mapped one.
		if a.Family != unix.AF_INET6 {
			return unix.EINVAL
		}
		if ip.Is4In6() {
			return unix.EADDRNOTAVAIL
		}
	} else {
		// raw_bind looks at the address only (any sa_family).
		ip = ip.Unmap()
	}
	if !ip.IsMulticast() && !s.st.isLocal(ip) && ip != netip.AddrFrom4([4]byte{255, 255, 255, 255}) {
		return unix.EADDRNOTAVAIL
	}
	if err := s.sk.ep.Bind(s.st.bindAddress(netip.AddrPortFrom(ip, 0))); err != nil {
		return errnoOf(err)
	}
	s.sk.local = netip.AddrPortFrom(ip, uint16(s.Protocol))
	s.sk.addrChosen = !ip.IsUnspecified()
	s.publishLocal()
	return nil
}

func (inetRawOps) SetSockOpt(s *Socket, f int, level, name int, val Optval) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	switch {
	case level == solRaw && s.Family == afInet:
		// do_raw_setsockopt.
		if name != icmpFilter {
			return unix.ENOPROTOOPT
		}
		if s.Protocol != unix.IPPROTO_ICMP {
			return unix.EOPNOTSUPP
		}
		// raw_seticmpfilter copies at most the filter's 4 bytes, and
		// fewer from a shorter optlen.
		b, err := val.Read(min(val.Len(), 4))
		if err != nil {
			return err
		}
		var filter [4]byte
		binary.LittleEndian.PutUint32(filter[:], s.readICMPFilter())
		copy(filter[:], b)
		s.sk.rxMu.Lock()
		s.sk.icmpFilter = binary.LittleEndian.Uint32(filter[:])
		s.sk.rxMu.Unlock()
		return nil
	case level == solICMPv6 && s.Family == afInet6:
		if s.Protocol != unix.IPPROTO_ICMPV6 {
			return unix.EOPNOTSUPP
		}
		if name != icmp6Filter {
			return unix.ENOPROTOOPT // rawv6_seticmpfilter
		}
		var f tcpip.ICMPv6Filter
		if err := s.sk.ep.GetSockOpt(&f); err != nil {
			return errnoOf(err)
		}
		var cur [32]byte
		for i, w := range f.DenyType {
			binary.LittleEndian.PutUint32(cur[4*i:], w)
		}
		b, err := val.Read(min(val.Len(), len(cur)))
		if err != nil {
			return err
		}
		copy(cur[:], b)
		for i := range f.DenyType {
			f.DenyType[i] = binary.LittleEndian.Uint32(cur[4*i:])
		}
		return errnoOf(s.sk.ep.SetSockOpt(&f))
	case (level == solRaw || level == unix.SOL_IPV6) && s.Family == afInet6 && name == unix.IPV6_CHECKSUM:
		// do_rawv6_setsockopt.
		v, err := intOf(val)
		if err != nil {
			return err
		}
		if s.Protocol == unix.IPPROTO_ICMPV6 && level == unix.SOL_IPV6 {
			return unix.EINVAL // RFC 3542: not on ICMPv6 sockets
		}
		if v > 0 && v&1 != 0 {
			return unix.EINVAL
		}
		if s.Protocol == unix.IPPROTO_ICMPV6 {
			// gVisor always checksums ICMPv6 at its offset, 2, which
			// is all SOL_RAW may ask for here: another offset, or
			// none, is not served.
			if v != icmpv6ChecksumOffset {
				return unix.ENOPROTOOPT
			}
			return nil
		}
		return errnoOf(s.sk.ep.SetSockOptInt(tcpip.IPv6Checksum, int(max(v, -1))))
	case level == solRaw && s.Family == afInet6:
		return unix.ENOPROTOOPT
	case level == unix.SOL_IP && name == unix.IP_HDRINCL && s.Family == afInet:
		v, err := ipIntOf(name, val)
		if err != nil {
			return err
		}
		if v != 0 {
			v = 1
		}
		s.sk.opts.set(unix.SOL_IP, unix.IP_HDRINCL, v)
		s.sk.ep.SocketOptions().SetHeaderIncluded(v != 0)
		return nil
	}
	return s.setSockOpt(f, level, name, val)
}

func (inetRawOps) GetSockOpt(s *Socket, f int, level, name int, size int) ([]byte, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	switch {
	case level == solRaw && s.Family == afInet:
		// do_raw_getsockopt.
		if name != icmpFilter {
			return nil, unix.ENOPROTOOPT
		}
		if s.Protocol != unix.IPPROTO_ICMP {
			return nil, unix.EOPNOTSUPP
		}
		if size < 0 {
			return nil, unix.EINVAL
		}
		return intBytes(int32(s.readICMPFilter())), nil
	case level == solICMPv6 && s.Family == afInet6:
		if s.Protocol != unix.IPPROTO_ICMPV6 {
			return nil, unix.EOPNOTSUPP
		}
		if name != icmp6Filter {
			return nil, unix.ENOPROTOOPT
		}
		var f tcpip.ICMPv6Filter
		if err := s.sk.ep.GetSockOpt(&f); err != nil {
			return nil, errnoOf(err)
		}
		b := make([]byte, 32)
		for i, w := range f.DenyType {
			binary.LittleEndian.PutUint32(b[4*i:], w)
		}
		return b, nil
	case (level == solRaw || level == unix.SOL_IPV6) && s.Family == afInet6 && name == unix.IPV6_CHECKSUM:
		v, err := s.sk.ep.GetSockOptInt(tcpip.IPv6Checksum)
		if err != nil {
			return nil, errnoOf(err)
		}
		return intBytes(int32(v)), nil
	case level == solRaw && s.Family == afInet6:
		return nil, unix.ENOPROTOOPT
	}
	return s.getSockOpt(f, level, name, size)
}

// readICMPFilter reads ICMP_FILTER (under rxMu, which delivery holds).
func (s *Socket) readICMPFilter() uint32 {
	s.sk.rxMu.Lock()
	defer s.sk.rxMu.Unlock()
	return s.sk.icmpFilter
}

// filtered is icmp_filter: whether a raw IPv4 ICMP socket's ICMP_FILTER
// drops a packet it would receive (the IPv4 header comes first). A packet
// too short to hold an ICMP type is dropped; types above 31 pass. rxMu is
// held.
func (sk *Sock) filtered(pkt []byte) bool {
	if sk.icmpFilter == 0 {
		return false
	}
	if len(pkt) < 1 {
		return true
	}
	ihl := int(pkt[0]&0xf) * 4
	if len(pkt) < ihl+1 {
		return true
	}
	t := pkt[ihl]
	return t < 32 && sk.icmpFilter&(1<<t) != 0
}
