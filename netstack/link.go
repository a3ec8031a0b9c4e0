package netstack

import (
	"fmt"
	"net/netip"

	"gvisor.dev/gvisor/pkg/tcpip"
	"gvisor.dev/gvisor/pkg/tcpip/header"
	"gvisor.dev/gvisor/pkg/tcpip/link/fdbased"
	"gvisor.dev/gvisor/pkg/tcpip/network/ipv4"
	"gvisor.dev/gvisor/pkg/tcpip/network/ipv6"
	"gvisor.dev/gvisor/pkg/tcpip/stack"

	"github.com/netbox-sandbox/netbox/netstack/fault"
)

// The sandbox's link beyond lo: eth0, driven by netbox's stack over a
// device netbox opened (a TAP), with its own MAC, ARP and routes.

// ethNIC is eth0's NIC id in gVisor; ethMTU its MTU (Ethernet's).
const (
	ethNIC tcpip.NICID = 2
	ethMTU             = 1500
)

// LinkConfig is eth0's configuration.
type LinkConfig struct {
	// FD is the device's file: a TAP opened with IFF_TAP|IFF_NO_PI, a
	// packet socket bound to an interface, or a socket carrying one frame
	// per message; non-blocking. The stack owns it from New on.
	FD int
	// MTU is FD's MTU (0: Ethernet's).
	MTU uint32
	// GSOMaxSize, when not 0, says FD is a packet socket with
	// PACKET_VNET_HDR on an interface that segments what it sends: eth0
	// then hands it TCP segments up to that size (host GSO).
	GSOMaxSize uint32
	// RXChecksumOffload says the host checked what arrives on FD, or
	// left its checksum to be finished (CHECKSUM_PARTIAL, as the kernel
	// hands a packet socket what its peer sent over a veth): eth0 does
	// not verify transport checksums (what the fault layer corrupts it
	// still does).
	RXChecksumOffload bool
	// VnetHdr says FD is a TAP opened with IFF_VNET_HDR and TAPOffloads.
	VnetHdr bool
	// Endpoint, when set, is eth0's link instead of FD: an Ethernet link
	// endpoint netbox drives at both ends (the user-mode NAT's).
	Endpoint stack.LinkEndpoint
	// MAC is eth0's hardware address.
	MAC [6]byte
	// Addr is eth0's IPv4 address and prefix.
	Addr netip.Prefix
	// Gateway, when valid, is the IPv4 default route's next hop.
	Gateway netip.Addr
	// Addr6, when valid, is eth0's IPv6 address and prefix; Gateway6,
	// when valid, the IPv6 default route's next hop. With SLAAC both
	// come from router advertisements instead (Stack.Eth0Changed says
	// when).
	Addr6    netip.Prefix
	Gateway6 netip.Addr
	SLAAC    bool
}

// LinkMTU is eth0's MTU: MTU, or Ethernet's when it is 0.
func (c *LinkConfig) LinkMTU() uint32 {
	if c.MTU == 0 {
		return ethMTU
	}
	return c.MTU
}

// addEth0 creates eth0 in gs from cfg, with fault injection (none until
// set) seeded by seed, and its frames copied to the captures.
func (st *Stack) addEth0(gs *stack.Stack, cfg *LinkConfig, seed uint64) (*fault.Link, error) {
	ep := cfg.Endpoint
	switch {
	case ep != nil:
	case cfg.VnetHdr:
		ep = newTAPVnet(cfg.FD, cfg.LinkMTU(), tcpip.LinkAddress(cfg.MAC[:]))
	default:
		var err error
		ep, err = fdbased.New(&fdbased.Options{
			FDs:               []int{cfg.FD},
			MTU:               cfg.LinkMTU(),
			EthernetHeader:    true,
			Address:           tcpip.LinkAddress(cfg.MAC[:]),
			GSOMaxSize:        cfg.GSOMaxSize,
			RXChecksumOffload: cfg.RXChecksumOffload,
			// A socket is read in batches (recvmmsg); a TAP by readv.
			PacketDispatchMode: fdbased.RecvMMsg,
		})
		if err != nil {
			return nil, fmt.Errorf("netstack: eth0: %s", err)
		}
	}
	faults := fault.New(ep, seed)
	// The captures see what the sandbox sends, and what reaches it
	// across the faulty wire, as tcpdump on the interface would.
	ep = newEthCapture(st, faults)
	if err := gs.CreateNICWithOptions(ethNIC, ep, stack.NICOptions{Name: "eth0"}); err != nil {
		return nil, fmt.Errorf("netstack: create eth0: %s", err)
	}
	for _, a := range []netip.Prefix{cfg.Addr, cfg.Addr6} {
		if !a.IsValid() {
			continue
		}
		if err := gs.AddProtocolAddress(ethNIC, protocolAddress(a), stack.AddressProperties{}); err != nil {
			return nil, fmt.Errorf("netstack: add %v to eth0: %s", a, err)
		}
	}
	return faults, nil
}

// Faults is the fault injection of the link called name: eth0 (lo's
// traffic mostly takes native paths that no fault could touch).
func (st *Stack) Faults(name string) (*fault.Link, error) {
	if name != "eth0" || st.eth0Faults == nil {
		return nil, fmt.Errorf("netstack: no link %q to inject faults on (only eth0, with --net)", name)
	}
	return st.eth0Faults, nil
}

// ethRoutes are eth0's routes: its subnets, and the default routes
// through the gateways.
func (st *Stack) ethRoutes() []tcpip.Route {
	cfg := st.opts.Eth0
	if cfg == nil {
		return nil
	}
	e6 := st.eth6()
	routes := []tcpip.Route{{Destination: subnetOf(cfg.Addr.Masked()), NIC: ethNIC}}
	if e6.addr.IsValid() {
		routes = append(routes, tcpip.Route{Destination: subnetOf(e6.addr.Masked()), NIC: ethNIC})
	}
	if cfg.Gateway.IsValid() {
		routes = append(routes, tcpip.Route{
			Destination: header.IPv4EmptySubnet,
			Gateway:     tcpip.AddrFromSlice(cfg.Gateway.AsSlice()),
			NIC:         ethNIC,
		})
	}
	if e6.gw.IsValid() {
		routes = append(routes, tcpip.Route{
			Destination: header.IPv6EmptySubnet,
			Gateway:     tcpip.AddrFromSlice(e6.gw.AsSlice()),
			NIC:         ethNIC,
		})
	}
	return routes
}

// routable reports whether the stack has a route to dst beyond its own
// addresses (through eth0).
func (st *Stack) routable(dst netip.Addr) bool {
	if st.opts.Eth0 == nil {
		return false
	}
	ip, proto := dst.Unmap(), ipv4.ProtocolNumber
	if ip.Is6() {
		if !st.eth6().addr.IsValid() {
			return false
		}
		proto = ipv6.ProtocolNumber
	}
	r, err := st.gs.FindRoute(0, tcpip.Address{}, tcpip.AddrFromSlice(ip.AsSlice()), proto, false)
	if err != nil {
		return false
	}
	defer r.Release()
	return r.NICID() == ethNIC
}

// ethSource is the source address for a destination reached through
// eth0: its address.
func (st *Stack) ethSource(dst netip.Addr) (netip.Addr, bool) {
	if !st.routable(dst) {
		return netip.Addr{}, false
	}
	if ip := dst.Unmap(); ip.Is6() {
		return st.eth6().addr.Addr(), true
	}
	src := st.opts.Eth0.Addr.Addr()
	if dst.Is4In6() {
		src = netip.AddrFrom16(src.As16())
	}
	return src, true
}

// bindAddress is a, as gVisor binds it: eth0's address on eth0. (lo is
// promiscuous, so that all of 127/8 is local, and would claim any address
// a bind names; a bind to eth0's address through lo cannot route.)
func (st *Stack) bindAddress(a netip.AddrPort) tcpip.FullAddress {
	fa := fullAddress(a)
	if st.isEth0Addr(a.Addr()) {
		fa.NIC = ethNIC
	}
	return fa
}
