package netstack

import (
	"net/netip"
	"sync"
	"time"

	"gvisor.dev/gvisor/pkg/tcpip"
	"gvisor.dev/gvisor/pkg/tcpip/header"
	"gvisor.dev/gvisor/pkg/tcpip/network/ipv6"
	"gvisor.dev/gvisor/pkg/tcpip/stack"
)

// eth0's IPv6 configuration: static (--ip6, --gateway6) or learned from
// router advertisements (--ip6 auto: SLAAC, RFC 4862, as Linux does with
// accept_ra and autoconf on): gVisor's NDP makes the address from the
// prefix and eth0's MAC and discovers the routers; netbox keeps what it
// learned here and routes by it.

// eth6 is eth0's IPv6 address and default router, each invalid when
// there is none (yet).
type eth6 struct {
	addr netip.Prefix
	gw   netip.Addr
}

// eth6State is the stack's eth6, changed by SLAAC.
type eth6State struct {
	mu  sync.Mutex
	cur eth6
}

func (s *eth6State) get() eth6 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.cur
}

// eth6 is eth0's IPv6 configuration now.
func (st *Stack) eth6() eth6 { return st.ipv6.get() }

// Eth0IPv6 is eth0's IPv6 address and default router now (invalid when
// there is none, yet).
func (st *Stack) Eth0IPv6() (netip.Prefix, netip.Addr) {
	e := st.eth6()
	return e.addr, e.gw
}

// slaacConfig is what gVisor's IPv6 does on eth0 for SLAAC.
func slaacConfig(d ipv6.NDPDispatcher) ipv6.Options {
	return ipv6.Options{
		NDPConfigs: ipv6.NDPConfigurations{
			MaxRtrSolicitations:     3,
			RtrSolicitationInterval: time.Second,
			MaxRtrSolicitationDelay: time.Second,
			HandleRAs:               ipv6.HandlingRAsEnabledWhenForwardingDisabled,
			DiscoverDefaultRouters:  true,
			DiscoverOnLinkPrefixes:  true,
			AutoGenGlobalAddresses:  true,
		},
		AutoGenLinkLocal: true,
		NDPDisp:          d,
	}
}

// ndpDispatcher hears gVisor's NDP events (ipv6.NDPDispatcher).
type ndpDispatcher struct{ st *Stack }

// update applies a change to eth6, then the routes and local addresses
// that follow from it, and tells Options.Eth0Changed.
func (d ndpDispatcher) update(f func(*eth6) bool) {
	st := d.st
	st.ipv6.mu.Lock()
	changed := f(&st.ipv6.cur)
	cur := st.ipv6.cur
	st.ipv6.mu.Unlock()
	if !changed {
		return
	}
	// The namespace's addresses again, with eth0's new ones and routes;
	// not here, where gVisor holds eth0's IPv6 state locked.
	go func() {
		st.resetLocalAddrs()
		if st.opts.Eth0Changed != nil {
			st.opts.Eth0Changed(cur.addr, cur.gw)
		}
	}()
}

func (ndpDispatcher) OnDuplicateAddressDetectionResult(tcpip.NICID, tcpip.Address, stack.DADResult) {
}

// OnOffLinkRouteUpdated: a default route through a router is the one
// netbox takes (the first router heard).
func (d ndpDispatcher) OnOffLinkRouteUpdated(nic tcpip.NICID, dst tcpip.Subnet, router tcpip.Address, _ header.NDPRoutePreference) {
	if nic != ethNIC || dst.Prefix() != 0 {
		return
	}
	gw, _ := netip.AddrFromSlice(router.AsSlice())
	d.update(func(e *eth6) bool {
		if e.gw.IsValid() {
			return false
		}
		e.gw = gw
		return true
	})
}

func (d ndpDispatcher) OnOffLinkRouteInvalidated(nic tcpip.NICID, dst tcpip.Subnet, router tcpip.Address) {
	gw, _ := netip.AddrFromSlice(router.AsSlice())
	d.update(func(e *eth6) bool {
		if nic != ethNIC || dst.Prefix() != 0 || e.gw != gw {
			return false
		}
		e.gw = netip.Addr{}
		return true
	})
}

func (ndpDispatcher) OnOnLinkPrefixDiscovered(tcpip.NICID, tcpip.Subnet)  {}
func (ndpDispatcher) OnOnLinkPrefixInvalidated(tcpip.NICID, tcpip.Subnet) {}

// OnAutoGenAddress: the first global address made is eth0's.
func (d ndpDispatcher) OnAutoGenAddress(nic tcpip.NICID, a tcpip.AddressWithPrefix) stack.AddressDispatcher {
	ip, _ := netip.AddrFromSlice(a.Address.AsSlice())
	if nic != ethNIC || ip.IsLinkLocalUnicast() {
		return nil
	}
	d.update(func(e *eth6) bool {
		if e.addr.IsValid() {
			return false
		}
		e.addr = netip.PrefixFrom(ip, a.PrefixLen)
		return true
	})
	return nil
}

func (ndpDispatcher) OnAutoGenAddressDeprecated(tcpip.NICID, tcpip.AddressWithPrefix) {}

func (d ndpDispatcher) OnAutoGenAddressInvalidated(nic tcpip.NICID, a tcpip.AddressWithPrefix) {
	ip, _ := netip.AddrFromSlice(a.Address.AsSlice())
	d.update(func(e *eth6) bool {
		if nic != ethNIC || e.addr.Addr() != ip {
			return false
		}
		e.addr = netip.Prefix{}
		return true
	})
}

func (ndpDispatcher) OnRecursiveDNSServerOption(tcpip.NICID, []tcpip.Address, time.Duration) {}
func (ndpDispatcher) OnDNSSearchListOption(tcpip.NICID, []string, time.Duration)             {}
func (ndpDispatcher) OnDHCPv6Configuration(tcpip.NICID, ipv6.DHCPv6ConfigurationFromNDPRA)   {}
