// Package nat is netbox's user-mode NAT (--net=user), in the manner of
// slirp4netns and gvisor-tap-vsock: a second gVisor stack sits at the far
// end of the sandbox's eth0 as its gateway. It ends the sandbox's TCP
// connections and UDP flows to any address and carries them on host
// sockets, as far as an egress policy allows; it answers DNS at the
// gateway's address by forwarding to the host's resolver, forwards ICMP
// echo through a host ICMP socket, and publishes host ports into the
// sandbox. The host sockets are made by the goroutines of this package,
// so they live in the network namespace of netbox's unlocked threads: the
// host's.
package nat

import (
	"context"
	"fmt"
	"net/netip"
	"sync"
	"time"

	"gvisor.dev/gvisor/pkg/tcpip"
	"gvisor.dev/gvisor/pkg/tcpip/header"
	"gvisor.dev/gvisor/pkg/tcpip/network/arp"
	"gvisor.dev/gvisor/pkg/tcpip/network/ipv4"
	"gvisor.dev/gvisor/pkg/tcpip/network/ipv6"
	"gvisor.dev/gvisor/pkg/tcpip/stack"
	"gvisor.dev/gvisor/pkg/tcpip/transport/icmp"
	"gvisor.dev/gvisor/pkg/tcpip/transport/tcp"
	"gvisor.dev/gvisor/pkg/tcpip/transport/udp"
)

// Config is the NAT's configuration.
type Config struct {
	// Gateway is the gateway's IPv4 address on the sandbox's subnet, and
	// Prefix that subnet. The sandbox reaches the host's loopback at the
	// gateway's address (as slirp4netns's 10.0.2.2), and its DNS
	// forwarder at port 53 there.
	Gateway netip.Addr
	Prefix  netip.Prefix
	// Sandbox is the sandbox's eth0 address, where published ports lead.
	Sandbox netip.Addr
	// DNS are the host's resolvers, in order of preference.
	DNS []netip.AddrPort
	// Policy decides what may leave.
	Policy *Policy
	// Publish are the host ports forwarded into the sandbox.
	Publish []Publish
	// Log receives one line per refused or failed flow.
	Log func(string)
}

// nicID is the NAT stack's only NIC.
const nicID tcpip.NICID = 1

// dialTimeout bounds a host connect for the sandbox's TCP; the sandbox's
// own connect keeps retrying its SYN meanwhile.
const dialTimeout = 20 * time.Second

// NAT is a running user-mode NAT.
type NAT struct {
	cfg    Config
	gs     *stack.Stack
	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup

	mu      sync.Mutex
	closers map[int]func() // host listeners, flows: what Close ends
	nextID  int
	echo    *echoForwarder
}

// New starts the NAT on ep, the far end of the sandbox's eth0 (an
// Ethernet link endpoint). It listens on the published host ports before
// returning.
func New(ep stack.LinkEndpoint, cfg Config) (*NAT, error) {
	if cfg.Policy == nil {
		cfg.Policy = &Policy{DefaultAllow: true}
	}
	cfg.Policy.Gateway = cfg.Gateway
	if cfg.Policy.names == nil {
		cfg.Policy.names = newNameTable()
	}
	for _, r := range cfg.Policy.Rules {
		if r.Name != "" {
			cfg.Policy.names.watch(r.Name)
		}
	}
	gs := stack.New(stack.Options{
		NetworkProtocols:   []stack.NetworkProtocolFactory{ipv4.NewProtocol, ipv6.NewProtocol, arp.NewProtocol},
		TransportProtocols: []stack.TransportProtocolFactory{tcp.NewProtocol, udp.NewProtocol, icmp.NewProtocol4},
		HandleLocal:        false,
	})
	n := &NAT{cfg: cfg, gs: gs, closers: make(map[int]func())}
	n.ctx, n.cancel = context.WithCancel(context.Background())
	n.echo = newEchoForwarder(n)
	if err := gs.CreateNICWithOptions(nicID, newEchoTap(n, ep), stack.NICOptions{Name: "nat0"}); err != nil {
		return nil, fmt.Errorf("nat: create NIC: %s", err)
	}
	// Every address is the NAT's: it answers for the whole world.
	if err := gs.SetPromiscuousMode(nicID, true); err != nil {
		return nil, fmt.Errorf("nat: promiscuous: %s", err)
	}
	if err := gs.SetSpoofing(nicID, true); err != nil {
		return nil, fmt.Errorf("nat: spoofing: %s", err)
	}
	gw := tcpip.ProtocolAddress{
		Protocol:          ipv4.ProtocolNumber,
		AddressWithPrefix: tcpip.AddressWithPrefix{Address: tcpip.AddrFromSlice(cfg.Gateway.AsSlice()), PrefixLen: cfg.Prefix.Bits()},
	}
	if err := gs.AddProtocolAddress(nicID, gw, stack.AddressProperties{}); err != nil {
		return nil, fmt.Errorf("nat: add %v: %s", cfg.Gateway, err)
	}
	gs.SetRouteTable([]tcpip.Route{
		{Destination: header.IPv4EmptySubnet, NIC: nicID},
		{Destination: header.IPv6EmptySubnet, NIC: nicID},
	})
	tcpFwd := tcp.NewForwarder(gs, 0, maxPendingSYN, n.forwardTCP)
	gs.SetTransportProtocolHandler(tcp.ProtocolNumber, tcpFwd.HandlePacket)
	udpFwd := udp.NewForwarder(gs, n.forwardUDP)
	gs.SetTransportProtocolHandler(udp.ProtocolNumber, udpFwd.HandlePacket)
	for _, p := range cfg.Publish {
		if err := n.publish(p); err != nil {
			n.Close()
			return nil, err
		}
	}
	return n, nil
}

// maxPendingSYN bounds the connections waiting for their host connect.
const maxPendingSYN = 1024

// Close stops the NAT: host listeners and every flow are closed.
func (n *NAT) Close() {
	n.cancel()
	n.mu.Lock()
	closers := n.closers
	n.closers = nil
	n.mu.Unlock()
	for _, c := range closers {
		c()
	}
	n.wg.Wait()
	n.gs.Close()
	n.gs.Wait()
}

// track registers c to run at Close, until untrack is called; it reports
// false (and registers nothing) when the NAT is closing already.
func (n *NAT) track(c func()) (untrack func(), ok bool) {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.ctx.Err() != nil {
		return nil, false
	}
	id := n.nextID
	n.nextID++
	n.closers[id] = c
	return func() {
		n.mu.Lock()
		delete(n.closers, id)
		n.mu.Unlock()
	}, true
}

func (n *NAT) logf(format string, args ...any) {
	if n.cfg.Log != nil {
		n.cfg.Log(fmt.Sprintf(format, args...))
	}
}

// decide applies the policy to a flow, logging a refusal. The DNS
// forwarder (the gateway's port 53) is the gateway's own service: only an
// explicit rule refuses it.
func (n *NAT) decide(proto string, src, dst netip.AddrPort) bool {
	ok, why, byRule := n.cfg.Policy.Decide(proto, dst)
	if !ok && !byRule && n.isDNS(dst) {
		ok = true
	}
	if !ok {
		if proto == "icmp" {
			n.logf("egress denied: icmp %v -> %v (%s)", src.Addr(), dst.Addr(), why)
		} else {
			n.logf("egress denied: %s %v -> %v (%s)", proto, src, dst, why)
		}
	}
	return ok
}

// isDNS reports whether dst is the gateway's DNS forwarder.
func (n *NAT) isDNS(dst netip.AddrPort) bool {
	return dst.Addr() == n.cfg.Gateway && dst.Port() == 53
}

// hostAddr is where the NAT carries a flow to dst: the gateway's address
// is the host's loopback, its port 53 the host's resolver.
func (n *NAT) hostAddr(dst netip.AddrPort) (netip.AddrPort, bool) {
	if n.isDNS(dst) {
		if len(n.cfg.DNS) == 0 {
			return netip.AddrPort{}, false
		}
		return n.cfg.DNS[0], true
	}
	if dst.Addr() == n.cfg.Gateway {
		return netip.AddrPortFrom(hostLoopback, dst.Port()), true
	}
	return dst, true
}

// onHost runs f, which makes a host socket, on a goroutine of its own and
// waits for it. The NAT's handlers run on whatever thread delivers the
// sandbox's packet, which may be one of netbox's locked threads in its
// private network namespace (the dispatcher's); a socket made there would
// not reach the host. A new goroutine runs on an unlocked thread, in the
// namespace netbox started in.
func onHost[T any](f func() (T, error)) (T, error) {
	type result struct {
		v   T
		err error
	}
	c := make(chan result, 1)
	go func() {
		v, err := f()
		c <- result{v, err}
	}()
	r := <-c
	return r.v, r.err
}

// addrPort converts gVisor's address and port.
func addrPort(a tcpip.Address, port uint16) netip.AddrPort {
	ip, _ := netip.AddrFromSlice(a.AsSlice())
	return netip.AddrPortFrom(ip.Unmap(), port)
}

// hostLoopback is the host's address the gateway's stands for.
var hostLoopback = netip.AddrFrom4([4]byte{127, 0, 0, 1})
