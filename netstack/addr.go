package netstack

import (
	"net/netip"
	"slices"

	"golang.org/x/sys/unix"
	"gvisor.dev/gvisor/pkg/tcpip"
	"gvisor.dev/gvisor/pkg/tcpip/network/ipv4"
	"gvisor.dev/gvisor/pkg/tcpip/network/ipv6"
	"gvisor.dev/gvisor/pkg/tcpip/stack"
)

// Addr is a socket address as a program passes it: the family of the
// sockaddr and its address and port (or netlink port id and groups).
type Addr struct {
	Family uint16 // AF_INET or AF_INET6, AF_NETLINK or AF_VSOCK
	netip.AddrPort
	// NL is a netlink address (Family AF_NETLINK).
	NL NetlinkAddr
	// VM is a vsock address (Family AF_VSOCK).
	VM VsockAddr
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

// localAddrs are the addresses of the sandbox's host: Linux's local
// routing table as the sandbox's interfaces' addresses make it. An IPv4
// address on lo makes its whole prefix local (fib_add_ifaddr adds an
// RTN_LOCAL route for it), so v4 holds prefixes; IPv6 addresses are local
// one by one.
type localAddrs struct {
	v4 []netip.Prefix
	v6 []netip.Addr
}

// defaultLocalAddrs are lo's: 127.0.0.1/8 and ::1.
var defaultLocalAddrs = &localAddrs{
	v4: []netip.Prefix{netip.MustParsePrefix("127.0.0.1/8")},
	v6: []netip.Addr{netip.IPv6Loopback()},
}

// isLocal reports whether ip is an address of the sandbox's own host (or
// the wildcard, which Linux treats as "this host").
func (l *localAddrs) isLocal(ip netip.Addr) bool {
	ip = ip.Unmap()
	if ip.IsUnspecified() {
		return true
	}
	if ip.Is4() {
		for _, p := range l.v4 {
			if p.Contains(ip) {
				return true
			}
		}
		return false
	}
	for _, a := range l.v6 {
		if a == ip.WithZone("") {
			return true
		}
	}
	return false
}

// sourceFor is the address a socket that was not bound sends from to dst,
// a local address: dst itself when it is one of the addresses, else the
// address whose prefix holds it (the local route's preferred source, as
// 127.0.0.1 for all of 127/8); v4-mapped stays v4-mapped.
func (l *localAddrs) sourceFor(dst netip.Addr) netip.Addr {
	ip := dst.Unmap()
	if ip.Is4() && !ip.IsUnspecified() {
		var src netip.Addr
		for _, p := range l.v4 {
			if p.Addr() == ip {
				src = ip
				break
			}
			if !src.IsValid() && p.Contains(ip) {
				src = p.Addr()
			}
		}
		if src.IsValid() {
			if dst.Is4In6() {
				return netip.AddrFrom16(src.As16())
			}
			return src
		}
	}
	if ip.Is6() && !ip.IsUnspecified() && l.isLocal(ip) {
		return ip
	}
	return loopbackFor(dst)
}

// isLocal reports whether ip is an address of the sandbox's host now.
func (st *Stack) isLocal(ip netip.Addr) bool { return st.locals().isLocal(ip) }

// sourceFor is the source address for a destination: a local one's
// (localAddrs), or eth0's address for one reached through eth0.
func (st *Stack) sourceFor(dst netip.Addr) netip.Addr {
	l := st.locals()
	if !l.isLocal(dst) {
		if src, ok := st.ethSource(dst); ok {
			return src
		}
	}
	return l.sourceFor(dst)
}

func (st *Stack) locals() *localAddrs {
	if l := st.localAddrs.Load(); l != nil {
		return l
	}
	return defaultLocalAddrs
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

// SyncConfig brings the stack's addresses up to date with what thread
// tid's network namespace has configured (Options.SyncConfig).
func (st *Stack) SyncConfig(tid int) {
	if st.opts.SyncConfig != nil {
		st.opts.SyncConfig(tid)
	}
}

// SetLocalAddrs makes the sandbox's addresses v4 (prefixes) and v6, as its
// network namespace has them configured (ip addr add … dev lo): gVisor's
// lo gets the addresses and a route for each IPv4 prefix and IPv6 address,
// and binds, connects and source addresses follow. Empty lists keep lo's
// defaults for that family.
func (st *Stack) SetLocalAddrs(v4 []netip.Prefix, v6 []netip.Addr) {
	st.addrMu.Lock()
	defer st.addrMu.Unlock()
	st.givenAddrs = localAddrs{v4: v4, v6: v6}
	st.setLocalAddrsLocked()
}

// Route is a route of the sandbox's namespace (its main table): to Dst,
// through Gateway when it is valid, out of eth0, or else lo.
type Route struct {
	Dst     netip.Prefix
	Gateway netip.Addr
	Eth0    bool
	// Link says the route's scope is link (or host): its destinations
	// are directly connected, which SO_DONTROUTE may reach.
	Link bool
}

// SetRoutes makes the namespace's routes (ip route add/del inside) routes
// of the stack too, beside those of its addresses and of eth0's
// configuration, which stay: a route out of eth0 reaches the link, one
// out of lo loops back (and is dropped unless local, as on Linux).
// Without eth0, eth0's routes are ignored.
func (st *Stack) SetRoutes(routes []Route) {
	st.addrMu.Lock()
	defer st.addrMu.Unlock()
	st.givenRoutes = routes
	st.setLocalAddrsLocked()
}

// onLink reports whether an IPv4 destination is directly reachable,
// as a route lookup of scope link (RT_SCOPE_LINK, what SO_DONTROUTE and
// MSG_DONTROUTE ask for) finds it: one of the sandbox's own addresses, or
// a destination whose most specific route is of link scope (eth0's
// subnet; a route added inside without a gateway and with scope link), not
// one reached through a gateway or a route of global scope.
func (st *Stack) onLink(dst netip.Addr) bool {
	dst = dst.Unmap()
	if st.isLocal(dst) || dst.IsLoopback() {
		return true
	}
	best, link := -1, false
	consider := func(p netip.Prefix, isLink bool) {
		if p.IsValid() && p.Contains(dst) && p.Bits() > best {
			best, link = p.Bits(), isLink
		}
	}
	if e := st.opts.Eth0; e != nil {
		consider(e.Addr.Masked(), true)
		if e.Gateway.IsValid() {
			consider(netip.PrefixFrom(netip.IPv4Unspecified(), 0), false)
		}
	}
	st.addrMu.Lock()
	for _, r := range st.givenRoutes {
		if r.Eth0 && st.opts.Eth0 == nil {
			continue
		}
		consider(r.Dst, r.Link && !r.Gateway.IsValid())
	}
	st.addrMu.Unlock()
	return link
}

// dontRoute is ip_route_output's answer for a socket that may only send
// to directly connected IPv4 destinations (SO_DONTROUTE, or MSG_DONTROUTE
// for one call): ENETUNREACH for any other. s.mu is held.
func (s *Socket) dontRoute(dst netip.Addr, flags int) error {
	if !dst.Unmap().Is4() || (flags&unix.MSG_DONTROUTE == 0 && s.sk.opts.get(unix.SOL_SOCKET, unix.SO_DONTROUTE) == 0) {
		return nil
	}
	if !s.st.onLink(dst) {
		return unix.ENETUNREACH
	}
	return nil
}

// nsRoutes are the namespace's routes as gVisor's. st.addrMu is held.
func (st *Stack) nsRoutes() []tcpip.Route {
	var out []tcpip.Route
	for _, r := range st.givenRoutes {
		nic := loNIC
		if r.Eth0 {
			if st.opts.Eth0 == nil {
				continue
			}
			nic = ethNIC
		}
		rt := tcpip.Route{Destination: subnetOf(r.Dst.Masked()), NIC: nic}
		if r.Gateway.IsValid() {
			rt.Gateway = tcpip.AddrFromSlice(r.Gateway.Unmap().AsSlice())
		}
		out = append(out, rt)
	}
	return out
}

// resetLocalAddrs applies the namespace's addresses again (after eth0's
// IPv6 configuration changed).
func (st *Stack) resetLocalAddrs() {
	st.addrMu.Lock()
	defer st.addrMu.Unlock()
	st.setLocalAddrsLocked()
}

// setLocalAddrsLocked is SetLocalAddrs with st.addrMu held.
func (st *Stack) setLocalAddrsLocked() {
	v4, v6 := st.givenAddrs.v4, st.givenAddrs.v6
	l := &localAddrs{v4: v4, v6: v6}
	if len(l.v4) == 0 {
		l.v4 = defaultLocalAddrs.v4
	}
	if len(l.v6) == 0 {
		l.v6 = defaultLocalAddrs.v6
	}
	if e := st.opts.Eth0; e != nil {
		// eth0's own addresses are local (alone: its prefix is a route).
		l.v4 = append(slices.Clone(l.v4), netip.PrefixFrom(e.Addr.Addr(), 32))
		if a6 := st.eth6().addr; a6.IsValid() {
			l.v6 = append(slices.Clone(l.v6), a6.Addr())
		}
	}
	old := st.locals()
	st.localAddrs.Store(l)
	for _, gs := range []*stack.Stack{st.gs, st.gsLite} {
		for _, p := range old.v4 {
			if st.isEth0Addr(p.Addr()) {
				continue
			}
			if !slices.Contains(l.v4, p) {
				gs.RemoveAddress(loNIC, tcpip.AddrFromSlice(p.Addr().AsSlice()))
			}
		}
		for _, a := range old.v6 {
			if st.isEth0Addr(a) {
				continue
			}
			if !slices.Contains(l.v6, a) {
				gs.RemoveAddress(loNIC, tcpip.AddrFromSlice(a.AsSlice()))
			}
		}
		var routes []tcpip.Route
		for _, p := range l.v4 {
			if st.isEth0Addr(p.Addr()) {
				continue // eth0's, on eth0
			}
			if !slices.Contains(old.v4, p) {
				gs.AddProtocolAddress(loNIC, protocolAddress(p), stack.AddressProperties{})
			}
			routes = append(routes, tcpip.Route{Destination: subnetOf(p.Masked()), NIC: loNIC})
		}
		for _, a := range l.v6 {
			if st.isEth0Addr(a) {
				continue // eth0's, on eth0
			}
			p := netip.PrefixFrom(a, 128)
			if !slices.Contains(old.v6, a) {
				gs.AddProtocolAddress(loNIC, protocolAddress(p), stack.AddressProperties{})
			}
			routes = append(routes, tcpip.Route{Destination: subnetOf(p), NIC: loNIC})
		}
		if gs == st.gs {
			routes = append(routes, st.ethRoutes()...)
			routes = append(routes, st.nsRoutes()...)
		}
		gs.SetRouteTable(routes) // gVisor keeps it sorted, longest prefix first
	}
}

// isEth0Addr reports whether a is one of eth0's addresses (IPv4, plain
// or v4-mapped, or IPv6).
func (st *Stack) isEth0Addr(a netip.Addr) bool {
	e := st.opts.Eth0
	if e == nil {
		return false
	}
	a6 := st.eth6().addr
	return a.Unmap() == e.Addr.Addr() || (a6.IsValid() && a == a6.Addr())
}

// protocolAddress is an address with its prefix, as gVisor adds it.
func protocolAddress(p netip.Prefix) tcpip.ProtocolAddress {
	proto := ipv4.ProtocolNumber
	if p.Addr().Is6() {
		proto = ipv6.ProtocolNumber
	}
	return tcpip.ProtocolAddress{Protocol: proto, AddressWithPrefix: tcpip.AddressWithPrefix{
		Address: tcpip.AddrFromSlice(p.Addr().AsSlice()), PrefixLen: p.Bits()}}
}

// subnetOf is a prefix as a gVisor subnet.
func subnetOf(p netip.Prefix) tcpip.Subnet {
	return tcpip.AddressWithPrefix{Address: tcpip.AddrFromSlice(p.Addr().AsSlice()), PrefixLen: p.Bits()}.Subnet()
}
