// Package sockaddr encodes the socket addresses Linux hands to programs
// (x86-64 layout): what getsockname, recvfrom and accept write, and what
// control messages such as IP_ORIGDSTADDR and the error queue's offender
// carry; inet and netlink addresses.
package sockaddr

import (
	"encoding/binary"
	"net/netip"

	"golang.org/x/sys/unix"
)

// Inet is a struct sockaddr_in (family AF_INET: the address unmapped) or
// sockaddr_in6 (AF_INET6) for a; an invalid address is the wildcard.
func Inet(family int, a netip.AddrPort) []byte {
	if family == unix.AF_INET6 {
		b := make([]byte, unix.SizeofSockaddrInet6)
		binary.LittleEndian.PutUint16(b, unix.AF_INET6)
		binary.BigEndian.PutUint16(b[2:], a.Port())
		ip := a.Addr()
		if !ip.IsValid() {
			ip = netip.IPv6Unspecified()
		}
		ip16 := ip.As16()
		copy(b[8:24], ip16[:])
		return b
	}
	b := make([]byte, unix.SizeofSockaddrInet4)
	binary.LittleEndian.PutUint16(b, unix.AF_INET)
	binary.BigEndian.PutUint16(b[2:], a.Port())
	ip := a.Addr().Unmap()
	if !ip.IsValid() || !ip.Is4() {
		ip = netip.IPv4Unspecified()
	}
	ip4 := ip.As4()
	copy(b[4:8], ip4[:])
	return b
}

// Netlink is a struct sockaddr_nl with port id pid and multicast groups.
func Netlink(pid, groups uint32) []byte {
	b := make([]byte, unix.SizeofSockaddrNetlink)
	binary.LittleEndian.PutUint16(b, unix.AF_NETLINK)
	binary.LittleEndian.PutUint32(b[4:], pid)
	binary.LittleEndian.PutUint32(b[8:], groups)
	return b
}
