// Package netstack is netbox's socket layer: Socket (what an fd refers to)
// and Sock (the protocol side), one ProtoOps table per family and type,
// on top of gVisor's tcpip stack with a loopback NIC.
//
// Every socket a program holds is a host AF_UNIX socket (the placeholder)
// whose other end, when it has one, netbox holds. TCP between two sockets of
// the sandbox travels as a native unix stream connection (the loopback fast
// path); UDP datagrams go through gVisor's UDP endpoints and are queued on
// the program's SOCK_SEQPACKET placeholder, with their source addresses
// kept beside them.
package netstack

import (
	"fmt"
	"io"
	"net/netip"
	"os"
	"sync"
	"sync/atomic"

	"golang.org/x/sys/unix"

	"gvisor.dev/gvisor/pkg/tcpip"
	"gvisor.dev/gvisor/pkg/tcpip/header"
	"gvisor.dev/gvisor/pkg/tcpip/link/loopback"
	"gvisor.dev/gvisor/pkg/tcpip/network/arp"
	"gvisor.dev/gvisor/pkg/tcpip/network/ipv4"
	"gvisor.dev/gvisor/pkg/tcpip/network/ipv6"
	"gvisor.dev/gvisor/pkg/tcpip/stack"
	"gvisor.dev/gvisor/pkg/tcpip/transport/icmp"
	"gvisor.dev/gvisor/pkg/tcpip/transport/raw"
	"gvisor.dev/gvisor/pkg/tcpip/transport/tcp"
	"gvisor.dev/gvisor/pkg/tcpip/transport/udp"

	"github.com/netbox-sandbox/netbox/netstack/fault"
	"github.com/netbox-sandbox/netbox/netstack/pcap"
)

// loNIC is the loopback NIC's id.
const loNIC tcpip.NICID = 1

// HostSockets creates the host sockets netbox uses as placeholders and
// supervisor ends. Every one must live in the supervisor's private network
// namespace, never the host's (abstract names and device ioctls are per
// namespace).
type HostSockets interface {
	Socket(domain, typ, proto int) (int, error)
	Socketpair(domain, typ, proto int) ([2]int, error)
}

// Options configure a Stack.
type Options struct {
	// LoopbackNetstack sends TCP between the sandbox's own sockets
	// through gVisor's TCP on the loopback NIC instead of the native unix
	// fast path.
	LoopbackNetstack bool
	// Sysctls reads integer sysctls of the network namespace of thread
	// tid (names as under /proc/sys, e.g. "net/ipv6/bindv6only") into
	// vals; false when one cannot be read. New sockets take their
	// defaults from them as inet_create and inet6_create do.
	Sysctls func(tid int, names []string, vals []int) bool
	// PingGroupRange reads net.ipv4.ping_group_range in the network
	// namespace of thread tid: the groups that may open ping sockets.
	// nil stands for the kernel's default, which allows none.
	PingGroupRange func(tid int) (lo, hi uint32)
	// OpenCapture opens a packet socket bound to lo in the network
	// namespace of thread tid, where netbox mirrors its loopback traffic
	// for the program's own packet sockets (capture.go).
	OpenCapture func(tid int) (int, error)
	// OpenEthCapture opens the two packet sockets netbox mirrors eth0's
	// frames through for the program's packet sockets: out, bound to the
	// eth0 shown in thread tid's namespace (what eth0 sends shows there
	// as sent), and in, bound to that eth0's peer (what eth0 receives
	// arrives there as received). Nil when eth0 is not shown.
	OpenEthCapture func(tid int) (out, in int, err error)
	// KernelDiag, when set, returns a NETLINK_SOCK_DIAG socket of the
	// kernel's in thread tid's network namespace, for the requests netbox
	// passes on (unix_diag).
	KernelDiag func(tid int) (int, error)

	// Eth0Changed, when set, hears eth0's IPv6 address and default
	// router change (SLAAC).
	Eth0Changed func(addr6 netip.Prefix, gateway6 netip.Addr)

	// SyncConfig, when set, brings the stack's addresses up to date with
	// the network namespace of thread tid (SetLocalAddrs), before a call
	// that depends on them.
	SyncConfig func(tid int)
	// Eth0, when set, is the sandbox's link beyond lo (--net=tap:NAME,
	// --net=user).
	Eth0 *LinkConfig
	// FaultSeed seeds the random decisions of eth0's fault injection
	// (Stack.Faults).
	FaultSeed uint64
	// Pcap, when set, receives every packet the sandbox's interfaces
	// carry, as a pcap file (--pcap).
	Pcap io.Writer
	// IfSocket returns a socket of family (AF_INET or AF_INET6) in the
	// network namespace of thread tid, on which the program's interface
	// and routing ioctls (SIOCGIFCONF, SIOCGIFFLAGS, SIOCADDRT…) are run:
	// netbox's own sockets live in another namespace.
	IfSocket func(tid, family int) (int, error)
}

// Stack is one sandbox's network: the gVisor stack and the tables the
// socket layer keeps beside it.
type Stack struct {
	opts   Options
	gs     *stack.Stack
	gsLite *stack.Stack // UDP-Lite's (see gstack)
	host   HostSockets
	id     string // distinguishes this stack's abstract names
	seq    atomic.Uint64
	stats  Stats
	// eth0Faults is eth0's fault injection (nil without eth0).
	eth0Faults *fault.Link

	// Sweep, when set, releases the sockets the program has closed; bind
	// calls it before it reports EADDRINUSE.
	Sweep func()

	// Sockets, when set, lists the sandbox's live sockets (for
	// sock_diag).
	Sockets func() []*Socket

	// localAddrs are the sandbox's addresses (SetLocalAddrs); nil: lo's.
	localAddrs atomic.Pointer[localAddrs]
	addrMu     sync.Mutex // orders changes of the addresses
	// diagRelayMu orders relayed unix_diag requests: a namespace's
	// kernel socket is shared by every netlink socket made there.
	diagRelayMu sync.Mutex
	givenAddrs  localAddrs    // the namespace's, as SetLocalAddrs last had them
	givenRoutes []Route       // the namespace's, as SetRoutes last had them
	ipv6        eth6State     // eth0's IPv6 configuration
	pmtus       pmtuCache     // path MTUs ICMP errors taught
	loMTU       atomic.Uint32 // lo's MTU as the program set it; 0: loMTU
	eth0MTU     atomic.Uint32 // eth0's, as the program set it; 0: LinkMTU
	// icmpWatchers are the raw endpoints through which netbox reads the
	// ICMP errors gVisor leaves to it (icmperr.go).
	icmpWatchers []tcpip.Endpoint

	pcap        *pcap.Writer // Options.Pcap's; nil without
	captureOnce sync.Once
	captureFD   atomic.Int32 // the mirror's packet socket; 0: not capturing
	// rawTCP is set once the program opened a raw IPPROTO_TCP socket,
	// which must see loopback TCP's segments: new connections then go
	// through netbox's stack, as under capture.
	rawTCP    atomic.Bool
	ethCapOut atomic.Int32 // eth0's mirror sockets (OpenEthCapture); 0: none
	ethCapIn  atomic.Int32

	mu sync.Mutex
	udpTables
	nlTables
	vsockTables
	txMu      sync.Mutex
	hdrIncl   map[*stack.Stack]tcpip.Endpoint // raw IPv4 endpoints taking whole packets (udp_src.go); txMu guards
	sink      *os.File
	pumpMu    sync.Mutex // orders connects to the pump listener with their accepts
	pumpName  string
	pumpFD    int
	listeners map[uint16][]*Socket // TCP listeners by port (fast path)
	clients   map[string]connInfo  // abstract name of a connecting placeholder → its addresses
}

// Stats counts what the stack did; every field is read atomically.
type Stats struct {
	UDPDropped atomic.Uint64 // datagrams dropped because a receive queue was full
	// FastOpens counts the connections made on the loopback fast path,
	// which gVisor's TCP never sees: each is one active and one passive
	// open (Tcp: ActiveOpens, PassiveOpens).
	FastOpens atomic.Uint64
	// DeadPorts counts the datagrams that reached a socket the program
	// had closed before the sweep released it: Linux finds no socket
	// there and answers with an ICMP port unreachable (Udp: NoPorts,
	// one ICMP destination unreachable sent and received), which netbox
	// raises itself.
	DeadPorts atomic.Uint64
	// UDPCsumErrors counts the UDP datagrams dropped on lo for a wrong
	// checksum (Udp: InCsumErrors, InErrors), which netbox checks itself
	// (badUDPChecksum).
	UDPCsumErrors atomic.Uint64
}

// New builds a stack whose only interface is lo with 127.0.0.1/8 and ::1.
func New(host HostSockets, id string, opts Options) (*Stack, error) {
	st := &Stack{
		opts:      opts,
		host:      host,
		id:        id,
		listeners: make(map[uint16][]*Socket),
		hdrIncl:   make(map[*stack.Stack]tcpip.Endpoint),
		clients:   make(map[string]connInfo),
	}
	ip6 := ipv6.NewProtocol
	if e := opts.Eth0; e != nil {
		st.ipv6.cur = eth6{addr: e.Addr6, gw: e.Gateway6}
		if e.SLAAC {
			ip6 = ipv6.NewProtocolWithOptions(slaacConfig(ndpDispatcher{st}))
		}
	}
	gs, err := newLoopbackStack(newCaptureEndpoint(st, loopback.New()), ip6)
	if err != nil {
		return nil, err
	}
	gsLite, err := newLoopbackStack(newCaptureEndpoint(st, loopback.New()), ipv6.NewProtocol)
	if err != nil {
		gs.Close()
		return nil, err
	}
	st.gs, st.gsLite = gs, gsLite
	if opts.Pcap != nil {
		if st.pcap, err = pcap.NewWriter(opts.Pcap); err != nil {
			gs.Close()
			gsLite.Close()
			return nil, fmt.Errorf("netstack: pcap: %w", err)
		}
	}
	if opts.Eth0 != nil {
		if st.eth0Faults, err = st.addEth0(gs, opts.Eth0, opts.FaultSeed); err != nil {
			gs.Close()
			gsLite.Close()
			return nil, err
		}
		st.SetLocalAddrs(nil, nil) // routes and addresses with eth0's
	}
	if err := st.startUDP(); err != nil {
		gs.Close()
		gsLite.Close()
		return nil, err
	}
	if err := st.startNetlink(); err != nil {
		st.Close()
		return nil, err
	}
	for _, v4 := range []bool{true, false} {
		if err := st.watchICMP(v4); err != nil {
			st.Close()
			return nil, fmt.Errorf("netstack: ICMP errors: %w", err)
		}
	}
	if err := st.startPumpListener(); err != nil {
		st.Close()
		return nil, fmt.Errorf("netstack: pump listener: %w", err)
	}
	return st, nil
}

// IfSocket returns the socket of family for thread tid's interface and
// routing ioctls (Options.IfSocket); ENOTTY when there is none.
func (st *Stack) IfSocket(tid, family int) (int, error) {
	if st.opts.IfSocket == nil {
		return -1, unix.ENOTTY
	}
	return st.opts.IfSocket(tid, family)
}

// Stats returns the stack's counters.
func (st *Stack) Stats() *Stats { return &st.stats }

// Close releases the gVisor stack and netbox's own sockets.
func (st *Stack) Close() {
	st.sink.Close()
	if st.nlKernel != nil {
		st.nlKernelFD.Store(-1)
		st.nlKernel.Close()
	}
	if st.pumpFD > 0 {
		unix.Close(st.pumpFD)
	}
	st.mu.Lock()
	for a, fd := range st.srcSocks {
		unix.Close(fd)
		delete(st.srcSocks, a)
	}
	st.mu.Unlock()
	st.txMu.Lock()
	for _, ep := range st.hdrIncl {
		ep.Close()
	}
	st.txMu.Unlock()
	for _, ep := range st.icmpWatchers {
		ep.Close()
	}
	st.gs.Close()
	st.gsLite.Close()
	for _, fd := range []int32{st.captureFD.Load(), st.ethCapOut.Load(), st.ethCapIn.Load()} {
		if fd > 0 {
			unix.Close(int(fd))
		}
	}
}

// newLoopbackStack is a gVisor stack whose only interface is lo (the link
// endpoint given) with 127.0.0.1/8 and ::1, its IPv6 made by ip6.
func newLoopbackStack(lo stack.LinkEndpoint, ip6 stack.NetworkProtocolFactory) (*stack.Stack, error) {
	gs := stack.New(stack.Options{
		NetworkProtocols:   []stack.NetworkProtocolFactory{ipv4.NewProtocol, ip6, arp.NewProtocol},
		TransportProtocols: []stack.TransportProtocolFactory{tcp.NewProtocol, udp.NewProtocol, icmp.NewProtocol4, icmp.NewProtocol6},
		RawFactory:         raw.EndpointFactory{},
	})
	if err := gs.CreateNIC(loNIC, lo); err != nil {
		return nil, fmt.Errorf("netstack: create lo: %s", err)
	}
	addrs := []tcpip.ProtocolAddress{
		{Protocol: ipv4.ProtocolNumber, AddressWithPrefix: tcpip.AddressWithPrefix{Address: tcpip.AddrFrom4([4]byte{127, 0, 0, 1}), PrefixLen: 8}},
		{Protocol: ipv6.ProtocolNumber, AddressWithPrefix: tcpip.AddressWithPrefix{Address: tcpip.AddrFrom16([16]byte{15: 1}), PrefixLen: 128}},
	}
	for _, a := range addrs {
		if err := gs.AddProtocolAddress(loNIC, a, stack.AddressProperties{}); err != nil {
			gs.Close()
			return nil, fmt.Errorf("netstack: add %v to lo: %s", a.AddressWithPrefix, err)
		}
	}
	// Ephemeral ports as a fresh network namespace has them
	// (net.ipv4.ip_local_port_range; gVisor's own start at 16000).
	if err := gs.SetPortRange(defaultPortRange[0], defaultPortRange[1]); err != nil {
		gs.Close()
		return nil, fmt.Errorf("netstack: port range: %s", err)
	}
	// All of 127/8 is local, as on Linux.
	gs.SetSpoofing(loNIC, true)
	gs.SetPromiscuousMode(loNIC, true)
	gs.SetRouteTable([]tcpip.Route{
		{Destination: header.IPv4LoopbackSubnet, NIC: loNIC},
		{Destination: header.IPv6Loopback.WithPrefix().Subnet(), NIC: loNIC},
	})
	return gs, nil
}

// defaultPortRange is net.ipv4.ip_local_port_range's default.
var defaultPortRange = [2]uint16{32768, 60999}

// SetPortRange makes [first, last] the ephemeral ports (the namespace's
// net.ipv4.ip_local_port_range), for every protocol of the stack.
func (st *Stack) SetPortRange(first, last uint16) error {
	for _, gs := range []*stack.Stack{st.gs, st.gsLite} {
		if err := gs.SetPortRange(first, last); err != nil {
			return fmt.Errorf("netstack: port range %d-%d: %s", first, last, err)
		}
	}
	return nil
}

// gstack is the gVisor stack the socket's endpoint lives in: UDP-Lite
// sockets have a stack of their own, which gives them their own port space
// as in Linux (gVisor has no UDP-Lite: the datagrams travel as UDP inside
// it, whole-checksummed).
func (s *Socket) gstack() *stack.Stack {
	if s.Protocol == unix.IPPROTO_UDPLITE {
		return s.st.gsLite
	}
	return s.st.gs
}

// name returns a fresh abstract unix name (without the leading NUL) for a
// placeholder of this stack.
func (st *Stack) name(kind string) string {
	return fmt.Sprintf("netbox/%s/%s/%d", st.id, kind, st.seq.Add(1))
}

// findListener is the fast path's __inet_lookup_listener: the listening
// socket a connection to dst reaches, or nil. An exact address beats a
// wildcard; IPv4 destinations reach IPv6 wildcard listeners unless they
// are IPV6_V6ONLY.
func (st *Stack) findListener(dst netip.AddrPort) *Socket {
	st.mu.Lock()
	defer st.mu.Unlock()
	var wild *Socket
	dip := dst.Addr().Unmap()
	if dip.IsUnspecified() {
		dip = loopbackFor(dst.Addr())
	}
	for _, s := range st.listeners[dst.Port()] {
		lip := s.sk.local.Addr()
		v6only := s.sk.v6only
		switch {
		case lip.IsUnspecified():
			if dip.Is4() && s.Family == afInet6 && v6only {
				continue
			}
			if dip.Is6() && s.Family == afInet {
				continue
			}
			if wild == nil {
				wild = s
			}
		case lip.Unmap() == dip:
			return s
		}
	}
	return wild
}

func (st *Stack) addListener(s *Socket) {
	st.mu.Lock()
	defer st.mu.Unlock()
	p := s.sk.local.Port()
	st.listeners[p] = append(st.listeners[p], s)
}

func (st *Stack) removeListener(s *Socket) {
	st.mu.Lock()
	defer st.mu.Unlock()
	p := s.sk.local.Port()
	l := st.listeners[p]
	for i, x := range l {
		if x == s {
			l = append(l[:i:i], l[i+1:]...)
			break
		}
	}
	if len(l) == 0 {
		delete(st.listeners, p)
	} else {
		st.listeners[p] = l
	}
}
