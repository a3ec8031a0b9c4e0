package netstack

import (
	"net/netip"

	"golang.org/x/sys/unix"
	"gvisor.dev/gvisor/pkg/tcpip"
	"gvisor.dev/gvisor/pkg/tcpip/network/ipv4"
	"gvisor.dev/gvisor/pkg/tcpip/network/ipv6"
)

// Addr is a socket address as a program passes it: the family of the
// sockaddr and its address and port (or netlink port id and groups).
type Addr struct {
	Family uint16 // AF_INET or AF_INET6, or AF_NETLINK
	netip.AddrPort
	// NL is a netlink address (Family AF_NETLINK).
	NL NetlinkAddr
}

// NetlinkAddr is a struct sockaddr_nl's port id and multicast groups.
type NetlinkAddr struct {
	Pid, Groups uint32
}

// Unspecified reports whether the address is the wildcard (0.0.0.0 or ::).
func (a Addr) Unspecified() bool { return a.Addr().IsUnspecified() }

// fullAddress converts a for a gVisor endpoint of the given network
// protocol: an IPv6 endpoint keeps v4-mapped addresses as they are, an IPv4
// endpoint takes plain 4-byte addresses.
func fullAddress(a netip.AddrPort) tcpip.FullAddress {
	ip := a.Addr()
	if ip.IsUnspecified() && ip.Is4() {
		return tcpip.FullAddress{Port: a.Port()}
	}
	if ip.IsUnspecified() {
		return tcpip.FullAddress{Port: a.Port()}
	}
	return tcpip.FullAddress{Addr: tcpip.AddrFromSlice(ip.AsSlice()), Port: a.Port()}
}

// addrPortOf converts a gVisor address back.
func addrPortOf(fa tcpip.FullAddress) netip.AddrPort {
	ip, _ := netip.AddrFromSlice(fa.Addr.AsSlice())
	return netip.AddrPortFrom(ip, fa.Port)
}

// networkProtocol is the gVisor network protocol of a family.
func networkProtocol(family int) tcpip.NetworkProtocolNumber {
	if family == unix.AF_INET6 {
		return ipv6.ProtocolNumber
	}
	return ipv4.ProtocolNumber
}

// forFamily returns a as a socket of family sees it: an AF_INET6 socket
// sees IPv4 peers as v4-mapped addresses, an AF_INET socket sees plain
// IPv4 (unmapped).
func forFamily(family int, a netip.AddrPort) netip.AddrPort {
	ip := a.Addr()
	if family == unix.AF_INET6 && ip.Is4() {
		return netip.AddrPortFrom(netip.AddrFrom16(ip.As16()), a.Port())
	}
	if family == unix.AF_INET {
		return netip.AddrPortFrom(ip.Unmap(), a.Port())
	}
	if !ip.IsValid() {
		return netip.AddrPortFrom(netip.IPv6Unspecified(), a.Port())
	}
	return a
}

// isLocal reports whether ip is an address of the sandbox's own host
// (loopback, or the wildcard, which Linux treats as "this host").
func isLocal(ip netip.Addr) bool {
	ip = ip.Unmap()
	return ip.IsLoopback() || ip.IsUnspecified()
}

// loopbackFor is the address a connection to dst (a local address) comes
// from when the socket was not bound: Linux's source address selection on
// lo gives 127.0.0.1 for any 127/8 destination and ::1 for ::1.
func loopbackFor(dst netip.Addr) netip.Addr {
	if dst.Is4() || dst.Is4In6() {
		return netip.AddrFrom4([4]byte{127, 0, 0, 1})
	}
	return netip.IPv6Loopback()
}
