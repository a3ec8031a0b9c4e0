package netstack

import (
	"bytes"
	"math/rand/v2"
	"net/netip"

	"golang.org/x/sys/unix"
	"gvisor.dev/gvisor/pkg/tcpip"
	"gvisor.dev/gvisor/pkg/tcpip/checksum"
	"gvisor.dev/gvisor/pkg/tcpip/header"
	"gvisor.dev/gvisor/pkg/tcpip/network/ipv4"
	"gvisor.dev/gvisor/pkg/waiter"
)

// A datagram whose IP_PKTINFO names another source than the socket's
// (ipi_spec_dst: the address a server was reached on, so that its answer
// comes from there). gVisor's UDP picks an IPv4 source per route and takes
// none per datagram, so netbox builds the IPv4 and UDP headers itself,
// as ip_append_data and udp_send_skb would with that source, and sends the
// packet through a raw endpoint that takes whole IP packets (IP_HDRINCL).

// sendFrom4 sends data to dst from src and the socket's port (binding it
// first if it has none, as udp_sendmsg's autobind). s.mu is held.
func (s *Socket) sendFrom4(src netip.Addr, dst netip.AddrPort, data []byte, c sendControl) error {
	if !s.st.isLocal(src) {
		return unix.ENETUNREACH // ip_route_output: no route from a foreign source
	}
	if len(data) > 0xffff-header.IPv4MinimumSize-header.UDPMinimumSize {
		return unix.EMSGSIZE
	}
	if !s.sk.bound {
		if err := s.bindEP(netip.AddrPortFrom(wildcard(s.Family), 0)); err != nil {
			return err
		}
	}
	ttl, tos := c.ttl, c.tos
	if ttl <= 0 {
		ttl = 64 // sysctl_ip_default_ttl
		if v, err := s.sk.ep.GetSockOptInt(tcpip.IPv4TTLOption); err == nil && v > 0 {
			ttl = v
		}
	}
	if tos < 0 {
		tos = 0
		if v, err := s.sk.ep.GetSockOptInt(tcpip.IPv4TOSOption); err == nil {
			tos = v
		}
	}
	pkt := make([]byte, header.IPv4MinimumSize+header.UDPMinimumSize+len(data))
	ip := header.IPv4(pkt)
	ip.Encode(&header.IPv4Fields{
		TOS:         uint8(tos),
		TotalLength: uint16(len(pkt)),
		ID:          uint16(rand.Uint32()),
		Flags:       header.IPv4FlagDontFragment, // IP_PMTUDISC_WANT, a packet within the MTU
		TTL:         uint8(ttl),
		Protocol:    uint8(header.UDPProtocolNumber),
		SrcAddr:     tcpip.AddrFrom4(src.As4()),
		DstAddr:     tcpip.AddrFrom4(dst.Addr().Unmap().As4()),
	})
	ip.SetChecksum(^ip.CalculateChecksum())
	u := header.UDP(pkt[header.IPv4MinimumSize:])
	u.Encode(&header.UDPFields{
		SrcPort: s.sk.local.Port(),
		DstPort: dst.Port(),
		Length:  uint16(header.UDPMinimumSize + len(data)),
	})
	copy(u.Payload(), data)
	xsum := header.PseudoHeaderChecksum(header.UDPProtocolNumber, ip.SourceAddress(), ip.DestinationAddress(), u.Length())
	xsum = checksum.Checksum(u.Payload(), xsum)
	u.SetChecksum(^u.CalculateChecksum(xsum))
	if u.Checksum() == 0 {
		u.SetChecksum(0xffff) // 0 means "none" (RFC 768)
	}
	return s.st.writeRaw4(s, dst.Addr().Unmap(), pkt)
}

// writeRaw4 sends a whole IPv4 packet through the stack's header-including
// raw endpoint of s's stack (made on first use).
func (st *Stack) writeRaw4(s *Socket, dst netip.Addr, pkt []byte) error {
	st.txMu.Lock()
	defer st.txMu.Unlock()
	gs := s.gstack()
	ep := st.hdrIncl[gs]
	if ep == nil {
		var err tcpip.Error
		if ep, err = gs.NewRawEndpoint(header.UDPProtocolNumber, ipv4.ProtocolNumber, &waiter.Queue{}, false); err != nil {
			return errnoOf(err)
		}
		st.hdrIncl[gs] = ep
	}
	to := tcpip.FullAddress{Addr: tcpip.AddrFrom4(dst.As4())}
	if _, err := ep.Write(bytes.NewReader(pkt), tcpip.WriteOptions{To: &to}); err != nil {
		return errnoOf(err)
	}
	return nil
}
