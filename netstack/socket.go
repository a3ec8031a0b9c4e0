package netstack

import (
	"errors"
	"net/netip"
	"sync"
	"sync/atomic"

	"golang.org/x/sys/unix"
	"gvisor.dev/gvisor/pkg/tcpip"
	"gvisor.dev/gvisor/pkg/tcpip/transport/tcp"
	"gvisor.dev/gvisor/pkg/tcpip/transport/udp"
	"gvisor.dev/gvisor/pkg/waiter"
)

const (
	afInet  = unix.AF_INET
	afInet6 = unix.AF_INET6
)

// Socket states, as struct socket's socket_state.
const (
	SSUnconnected = iota
	SSConnecting
	SSConnected
	SSDisconnecting
)

// ErrWouldBlock is returned by an operation that cannot complete now; the
// caller waits for WaitEvents on the placeholder (or fails with EAGAIN when
// the socket is non-blocking) and calls the operation again.
var ErrWouldBlock = errors.New("operation would block")

// Socket is what a program's fd refers to, like Linux's struct socket: the
// state, the type, the family's operations, and the protocol side (Sock).
type Socket struct {
	Family   int
	Type     int
	Protocol int
	Ops      ProtoOps
	// UID is the effective uid of the thread that created the socket
	// (sock_i_uid, as sock_diag reports it).
	UID uint32
	// Ino is the placeholder's inode: the socket's identity across dup,
	// fork and SCM_RIGHTS.
	Ino uint64

	st *Stack

	mu    sync.Mutex
	State int
	sk    *Sock
}

// Sock is the protocol side of a socket, like Linux's struct sock.
type Sock struct {
	// ep is the gVisor endpoint: the UDP endpoint that carries the
	// datagrams, or for TCP the endpoint that holds the port reservation.
	ep tcpip.Endpoint
	wq waiter.Queue

	local  netip.AddrPort // bound (or autobound) address
	remote netip.AddrPort // connected peer
	bound  bool
	// noPort is the address a bind with IP_BIND_ADDRESS_NO_PORT chose
	// without a port (local shows it with port 0): the endpoint is bound
	// to it, on an ephemeral port, when the socket needs its port
	// (bindDeferred).
	noPort netip.Addr
	// portChosen records whether the program chose the port (bind with a
	// non-zero port): Linux keeps such a port across connect(AF_UNSPEC).
	portChosen bool
	addrChosen bool // bound to a specific address (SOCK_BINDADDR_LOCK)
	listening  bool
	backlog    int    // listen's, as sk_max_ack_backlog
	listenName string // abstract name of the placeholder while it listens
	clientName string // abstract name a connecting placeholder was bound to
	// connecting is a netstack-path connect in progress.
	connecting *connectWait
	// asyncFailed: a background connect failed; its error is err, and
	// the placeholder's own (a reset, from the filler netbox left unread)
	// is cleared when err is taken.
	asyncFailed bool
	// listenStop ends a netstack-path listener's accept loop.
	listenStop chan struct{}
	// pumped: a pump carries the connection (netstack path) and owns ep.
	pumped   bool
	shutdown int // SHUT_RD / SHUT_WR bits seen
	v6only   bool
	opts     sockOpts
	err      error // pending SO_ERROR
	// tsOwn: netbox set SO_TIMESTAMPNS on the placeholder for the
	// program's SO_TIMESTAMPING (timestamping.go).
	tsOwn bool
	// connectUnconfirmed: a non-blocking connect was told EINPROGRESS
	// although its connection is up; the next connect says 0
	// (sock->state still SS_CONNECTING). connectFailed: it was refused,
	// and the next connect reports the error.
	connectUnconfirmed, connectFailed bool
	// reset: a stream connection's error was taken, so it has ended
	// (TCP_CLOSE, as tcp_done leaves it).
	reset bool
	// netErr links a netstack-path connection to its pump: the pending
	// error it reports, and whether a close resets (it may start before
	// the socket exists: an accepted connection's).
	netErr *pumpLink

	// Datagram sockets: netbox's end of the placeholder pair and the
	// metadata of the datagrams queued on the program's end, oldest first.
	// name is a datagram placeholder's abstract unix name.
	name string
	// rxMu guards delivery to a datagram placeholder: rxEP, the endpoint
	// delivery reads (a copy of ep), and peerName, the unix name the
	// placeholder is connected to ("" when unconnected), which decides
	// whom a delivery must come from.
	rxMu     sync.Mutex
	rxEP     tcpip.Endpoint
	peerName string
	rxEntry  waiter.Entry
	// sink is a connected datagram socket's own sink, when its peer is
	// not one of the sandbox's sockets (udp_sink.go).
	sink *ownSink
	// rq is a UDP socket's receive-buffer accounting (udp_rcvbuf.go),
	// under rxMu; rcvbuf mirrors SO_RCVBUF (0: the default) and rxqOvfl
	// SO_RXQ_OVFL for delivery, which cannot take s.mu.
	rq      rcvQueue
	rcvbuf  atomic.Int32
	rxqOvfl atomic.Bool
	// gro is UDP_GRO; groPend a UDP_SEGMENT send still arriving
	// (udp_gso.go), under rxMu.
	gro     atomic.Bool
	groPend *groPending
	// groups are the multicast groups joined (under rxMu), and
	// mcAllOff4/6 IP_MULTICAST_ALL and IPV6_MULTICAST_ALL turned off:
	// then only the groups' datagrams are delivered (mcAllows).
	groups               map[mcGroup]bool
	mcAllOff4, mcAllOff6 atomic.Bool

	// newEP makes a fresh gVisor endpoint of the datagram socket's
	// protocol (at socket(), and when a disconnect unhashes the socket).
	newEP func() (tcpip.Endpoint, tcpip.Error)
	// icmpFilter is a raw ICMP socket's ICMP_FILTER: the types (< 32)
	// it does not receive. Read by delivery, under rxMu.
	icmpFilter uint32

	// vs is a vsock socket's side.
	vs *vsockSock
	// nl is a netlink socket's side; nlMu orders its replies.
	nl   *nlSock
	nlMu sync.Mutex

	// cork is the datagram MSG_MORE sends, or sends under UDP_CORK, are
	// building; corkMu guards it (taken under s.mu by trapped sends and
	// under the own sink's lock by native ones). corked is UDP_CORK.
	cork   *udpCork
	corkMu sync.Mutex
	corked atomic.Bool
	// gso is UDP_SEGMENT's segment size (0: none), read by the own sink
	// without s.mu.
	gso atomic.Uint32

	// Listening stream sockets: connections accepted from the host
	// listener that could not be handed to the program (its accept was
	// interrupted); they go out first on the next accept.
	stash []acceptedConn
}

// pumpLink is what a netstack-path connection's pump shares with its
// socket, which may not exist yet when the pump starts (an accepted
// connection's): the pending error the pump sets and the socket takes,
// and how the program's close ends the connection.
type pumpLink struct {
	mu  sync.Mutex
	err error
	// abortive: SO_LINGER is {1, 0} and the program has not shut its
	// side for writing, so its close resets the connection (tcp_close
	// with a zero linger time: tcp_disconnect, an RST) where another
	// close sends a FIN.
	abortive atomic.Bool
}

func (p *pumpLink) set(err error) {
	p.mu.Lock()
	p.err = err
	p.mu.Unlock()
}

// pending reports whether an error waits, without taking it.
func (p *pumpLink) pending() bool {
	if p == nil {
		return false
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.err != nil
}

func (p *pumpLink) take() error {
	if p == nil {
		return nil
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	err := p.err
	p.err = nil
	return err
}

type acceptedConn struct {
	fd   int
	peer netip.AddrPort
	self netip.AddrPort
}

// NewSocket is __sock_create for AF_INET and AF_INET6: it checks the type
// and protocol, creates the placeholder and the protocol side, and returns
// the socket and the placeholder end that goes to the program (the caller
// owns that fd and closes it once it is installed).
//
// c is the calling thread: raw sockets need its CAP_NET_RAW, ping sockets
// its group in net.ipv4.ping_group_range.
func (st *Stack) NewSocket(family, typ, protocol int, c Caller) (*Socket, int, error) {
	s := &Socket{Family: family, Type: typ, Protocol: protocol, st: st, sk: &Sock{}, UID: c.UID()}
	// inet6_create leaves IP_MULTICAST_ALL off (inet_create turns it on).
	s.sk.mcAllOff4.Store(family == afInet6)
	s.sk.opts = defaultSockOpts(typ)
	st.namespaceDefaults(s, c.Tid())
	netProto := networkProtocol(family)
	switch typ {
	case unix.SOCK_STREAM:
		if protocol != 0 && protocol != unix.IPPROTO_TCP {
			return nil, -1, unix.EPROTONOSUPPORT
		}
		s.Protocol = unix.IPPROTO_TCP
		s.Ops = inetStreamOps{}
		fd, err := st.host.Socket(unix.AF_UNIX, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
		if err != nil {
			return nil, -1, err
		}
		ep, terr := st.gs.NewEndpoint(tcp.ProtocolNumber, netProto, &s.sk.wq)
		if terr != nil {
			unix.Close(fd)
			return nil, -1, errnoOf(terr)
		}
		s.initEP(ep)
		s.sk.ep = ep
		return s, fd, nil
	case unix.SOCK_DGRAM:
		trans := udp.ProtocolNumber
		switch protocol {
		case 0, unix.IPPROTO_UDP:
			s.Protocol = unix.IPPROTO_UDP
		case unix.IPPROTO_UDPLITE:
		case unix.IPPROTO_ICMP, unix.IPPROTO_ICMPV6:
			// inet_create finds ping_prot under IPPROTO_ICMP for
			// AF_INET only, pingv6_prot under IPPROTO_ICMPV6.
			if (protocol == unix.IPPROTO_ICMP) != (family == afInet) {
				return nil, -1, unix.EPROTONOSUPPORT
			}
			if !st.pingAllowed(c) {
				return nil, -1, unix.EACCES // ping_init_sock
			}
			trans = icmpProtocol(family)
		default:
			return nil, -1, unix.EPROTONOSUPPORT
		}
		s.Ops = inetDgramOps{}
		s.sk.newEP = func() (tcpip.Endpoint, tcpip.Error) {
			return s.gstack().NewEndpoint(trans, netProto, &s.sk.wq)
		}
		return s.newDgram(0)
	case unix.SOCK_RAW:
		// inet_create: raw sockets match any protocol but IPPROTO_IP,
		// and need CAP_NET_RAW.
		if protocol == unix.IPPROTO_IP {
			return nil, -1, unix.EPROTONOSUPPORT
		}
		if !c.Capable(capNetRaw) {
			return nil, -1, unix.EPERM
		}
		s.Ops = inetRawOps{}
		// IPPROTO_RAW sends whole IP packets and receives nothing.
		associated := protocol != unix.IPPROTO_RAW
		s.sk.newEP = func() (tcpip.Endpoint, tcpip.Error) {
			return st.gs.NewRawEndpoint(tcpip.TransportProtocolNumber(protocol), netProto, &s.sk.wq, associated)
		}
		if !associated {
			s.sk.opts.set(unix.SOL_IP, unix.IP_HDRINCL, 1)
		}
		if protocol == unix.IPPROTO_TCP {
			st.rawTCP.Store(true) // netstackLoopback
		}
		// The socket's "port" is its protocol (inet_sport = inet_num).
		return s.newDgram(uint16(protocol))
	default:
		return nil, -1, unix.ESOCKTNOSUPPORT
	}
}

// namespaceDefaults gives a new socket the defaults the sysctls of
// thread tid's namespace set, as inet_create and inet6_create read them:
// net.ipv4.ip_no_pmtu_disc makes IP_MTU_DISCOVER start at DONT, and
// net.ipv6.bindv6only makes an AF_INET6 socket start IPV6_V6ONLY.
func (st *Stack) namespaceDefaults(s *Socket, tid int) {
	if st.opts.Sysctls == nil {
		return
	}
	names := []string{"net/ipv4/ip_no_pmtu_disc", "net/ipv6/bindv6only"}
	if s.Family != afInet6 {
		names = names[:1]
	}
	var vals [2]int
	if !st.opts.Sysctls(tid, names, vals[:]) {
		return
	}
	if vals[0] != 0 {
		s.sk.opts.set(unix.SOL_IP, unix.IP_MTU_DISCOVER, pmtuDiscDont)
	}
	if vals[1] != 0 {
		s.sk.v6only = true
	}
}

// initEP gives a new socket's gVisor endpoint what namespaceDefaults set.
func (s *Socket) initEP(ep tcpip.Endpoint) {
	s.sk.opts.applyIPHeader(ep)
	if s.Family == afInet6 {
		ep.SocketOptions().SetV6Only(s.sk.v6only)
	}
}

// newDgram completes a datagram socket (UDP, ping, raw) whose newEP is
// set: its placeholder, bound to an abstract name of its own, and its
// gVisor endpoint; port is what getsockname shows before a bind.
func (s *Socket) newDgram(port uint16) (*Socket, int, error) {
	fd, err := s.st.host.Socket(unix.AF_UNIX, unix.SOCK_DGRAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return nil, -1, err
	}
	s.sk.name = s.st.name("U")
	if err := unix.Bind(fd, &unix.SockaddrUnix{Name: "@" + s.sk.name}); err != nil {
		unix.Close(fd)
		return nil, -1, err
	}
	ep, terr := s.sk.newEP()
	if terr != nil {
		unix.Close(fd)
		return nil, -1, errnoOf(terr)
	}
	receiveAllControl(ep)
	s.initEP(ep)
	if s.sk.opts.get(unix.SOL_IP, unix.IP_HDRINCL) != 0 {
		ep.SocketOptions().SetHeaderIncluded(true)
	}
	if !s.isUDP() {
		// inet_create: ping and raw protocols are registered with
		// INET_PROTOSW_REUSE, so their sockets start with SO_REUSEADDR.
		s.sk.opts.set(unix.SOL_SOCKET, unix.SO_REUSEADDR, 1)
		ep.SocketOptions().SetReuseAddress(true)
	}
	s.sk.ep = ep
	s.sk.local = netip.AddrPortFrom(wildcard(s.Family), port)
	s.sk.bound = port != 0 // a raw socket's protocol is its port
	s.publishLocal()
	return s, fd, nil
}

// Datagram reports whether the socket carries datagrams (UDP, ping, raw)
// rather than a byte stream.
func (s *Socket) Datagram() bool { return s.Type == unix.SOCK_DGRAM || s.Type == unix.SOCK_RAW }

// Listening reports whether the socket listens (TCP_LISTEN).
func (s *Socket) Listening() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.sk.listening
}

// Start connects the socket to the stack once the placeholder is in the
// program's hands: a datagram socket starts receiving.
func (s *Socket) Start() {
	if s.Family == unix.AF_NETLINK {
		s.st.registerNetlink(s)
		return
	}
	if s.Datagram() {
		s.startDgram()
	}
}

// Release frees everything the socket holds in netbox: the gVisor
// endpoint (and so its port), the listener entry, the datagram name.
func (s *Socket) Release() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.sk.nl != nil {
		s.releaseNetlink()
		return
	}
	if s.sk.vs != nil {
		s.releaseVsock()
		return
	}
	s.sk.rxMu.Lock()
	s.sk.rq.close()
	s.sk.rxMu.Unlock()
	if s.sk.listening {
		s.st.removeListener(s)
		s.sk.listening = false
	}
	if s.sk.listenStop != nil {
		close(s.sk.listenStop)
		s.sk.listenStop = nil
	}
	if s.sk.pumped {
		// The pump owns the endpoint of a netstack connection.
		s.sk.ep = nil
	}
	if s.sk.clientName != "" {
		s.st.forgetClient(s.sk.clientName)
	}
	for _, c := range s.sk.stash {
		unix.Close(c.fd)
	}
	s.sk.stash = nil
	s.closeOwnSink()
	if s.Datagram() && s.sk.ep != nil {
		// Under txMu, which every write holds while it delivers: a
		// datagram either reaches this socket whole (its closed
		// placeholder refuses it: port unreachable) or finds its port
		// free (gVisor's port unreachable), never an endpoint half gone
		// that drops it unseen, where Linux's closed socket would have
		// sent an ICMP error back.
		s.st.txMu.Lock()
		s.stopDgram()
		s.st.forgetUDP(s.sk.name)
		s.sk.ep.Abort()
		s.sk.ep = nil
		s.st.txMu.Unlock()
	}
	if s.sk.ep != nil {
		s.sk.ep.Abort()
		s.sk.ep = nil
	}
}
