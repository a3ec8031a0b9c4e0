package netstack

import (
	"bytes"
	"fmt"
	"net/netip"
	"os"
	"strings"
	"sync/atomic"
	"time"

	"golang.org/x/sys/unix"
	"gvisor.dev/gvisor/pkg/tcpip"
	"gvisor.dev/gvisor/pkg/tcpip/stack"
	"gvisor.dev/gvisor/pkg/tcpip/transport/udp"
)

// The stack's side of UDP: which placeholder name is which address, the
// source sockets that stand for addresses, and the sink that carries native
// sends with no peer in the sandbox into gVisor.

// maxDatagram bounds one datagram read from a unix socket (a UDP payload
// is at most 65535 − 8 bytes).
const maxDatagram = 65535

// maxSourceSockets bounds the cache of source sockets.
const maxSourceSockets = 1024

// maxForgotten bounds how many closed sockets' addresses are remembered
// (for datagrams still queued from them).
const maxForgotten = 4096

// udpTables is the stack's UDP state; Stack.mu guards it.
type udpTables struct {
	udpAddrs  map[string]netip.AddrPort // placeholder name → its socket's local address
	udpSocks  map[string]*Socket        // placeholder name → socket (live ones)
	forgotten []string                  // names of released sockets, oldest first
	srcSocks  map[dgramMeta]int         // datagram metadata → supervisor socket named after it
	sinkName  string
	sinkFD    int
	ownSinks  map[string]int // a connected socket's own sink: name → fd (udp_sink.go)
	// txFD is the placeholder of the socket whose trapped send is going
	// through gVisor right now: what gVisor delivers during that send
	// came from it. Guarded by txMu, which serialises those sends.
	txFD int
	// ownRefusals are the datagrams gVisor answered with a port
	// unreachable during a write (by source port and destination), which
	// netbox reports itself: the ICMP error reader (icmperr.go) passes
	// over their ICMP errors. Guarded by txMu.
	ownRefusals map[ownRefusal]time.Time
	// txDead records that a delivery during the current write found its
	// receiver's placeholder gone: the program closed that socket and the
	// sweep has not released it yet. The write resets and reads it under
	// txMu; it is atomic because a delivery from eth0 (on gVisor's own
	// goroutine, outside any write) may find a closed receiver too.
	txDead atomic.Bool
	// txSeg is the UDP_SEGMENT segment being written (writeUDP), for
	// the receivers that take such sends whole (UDP_GRO).
	txSeg atomic.Pointer[gsoSeg]
}

// refusal says why a datagram found no socket at its destination.
type refusal int

const (
	delivered refusal = iota
	// unknownPort: gVisor found no endpoint (and answered with an ICMP
	// error, which it reports itself to a connected sender).
	unknownPort
	// deadReceiver: the endpoint's socket was closed by the program;
	// Linux would have found no socket.
	deadReceiver
)

// startUDP creates the sink and starts serving it.
func (st *Stack) startUDP() error {
	st.udpAddrs = make(map[string]netip.AddrPort)
	st.ownSinks = make(map[string]int)
	st.udpSocks = make(map[string]*Socket)
	st.srcSocks = make(map[dgramMeta]int)
	st.txFD = -1
	st.sinkName = st.name("sink")
	fd, err := st.host.Socket(unix.AF_UNIX, unix.SOCK_DGRAM|unix.SOCK_CLOEXEC|unix.SOCK_NONBLOCK, 0)
	if err != nil {
		return fmt.Errorf("netstack: udp sink: %w", err)
	}
	if err := unix.Bind(fd, &unix.SockaddrUnix{Name: "@" + st.sinkName}); err != nil {
		unix.Close(fd)
		return fmt.Errorf("netstack: bind udp sink: %w", err)
	}
	st.sinkFD = fd
	st.sink = os.NewFile(uintptr(fd), "netbox-udp-sink")
	go st.serveSink()
	return nil
}

// serveSink sends what connected sockets send natively to a peer outside
// the sandbox's sockets (or to no one) through their gVisor endpoints,
// which route it and report ICMP errors.
func (st *Stack) serveSink() {
	rc, err := st.sink.SyscallConn()
	if err != nil {
		return
	}
	buf := make([]byte, maxDatagram)
	for {
		var n int
		var from unix.Sockaddr
		var rerr error
		err := rc.Read(func(fd uintptr) bool {
			n, _, _, from, rerr = unix.Recvmsg(int(fd), buf, nil, unix.MSG_DONTWAIT)
			return rerr != unix.EAGAIN
		})
		if err != nil {
			return // closed
		}
		if rerr != nil {
			continue
		}
		u, ok := from.(*unix.SockaddrUnix)
		if !ok {
			continue
		}
		st.mu.Lock()
		s := st.udpSocks[trimAt(u.Name)]
		st.mu.Unlock()
		if s == nil {
			continue
		}
		s.mu.Lock()
		ep := s.sk.ep
		connected := s.State == SSConnected
		s.mu.Unlock()
		if ep != nil && connected {
			if s.sendNative(ep, buf[:n]) {
				s.mu.Lock()
				s.portUnreachable(s.sk.remote, buf[:n])
				s.mu.Unlock()
			}
		}
	}
}

// sendNative sends on, through ep (s's gVisor endpoint), a datagram s's
// placeholder sent natively to a sink; it reports whether the datagram
// found its receiver closed by the program (the caller then raises the
// port unreachable, under s.mu).
func (s *Socket) sendNative(ep tcpip.Endpoint, data []byte) (dead bool) {
	// UDP_SEGMENT cuts it as a trapped send would (a send it would have
	// refused has already succeeded natively: it goes whole).
	gso := int(s.sk.gso.Load())
	for d, seg := range s.st.gsoSegments(data, gso) {
		if _, r, _ := s.st.writeUDP(s.gstack(), ep, d, tcpip.WriteOptions{}, -1, -1, seg); r == deadReceiver {
			dead = true
		}
	}
	return dead
}

// writeUDP writes one datagram through a gVisor endpoint. from is the
// sender's placeholder (or -1): deliveries made during the write are sent
// from it, so that they come from the sender's own name. tos, unless -1,
// is the datagram's TOS (traffic class) from a control message: it is set
// on the endpoint for this write only, under txMu, which every write
// holds. seg, when set, says the datagram is a segment of a UDP_SEGMENT
// send, which a receiver with UDP_GRO takes whole. It also says whether the datagram found no socket at its
// destination: on the loopback delivery is synchronous, so what gVisor
// counts as an unknown port during the write is this datagram.
func (st *Stack) writeUDP(gs *stack.Stack, ep tcpip.Endpoint, data []byte, opts tcpip.WriteOptions, from int, tos int, seg *gsoSeg) (n int64, r refusal, err tcpip.Error) {
	st.txMu.Lock()
	defer st.txMu.Unlock()
	if tos >= 0 {
		for _, o := range []tcpip.SockOptInt{tcpip.IPv4TOSOption, tcpip.IPv6TrafficClassOption} {
			if old, err := ep.GetSockOptInt(o); err == nil {
				ep.SetSockOptInt(o, tos)
				defer ep.SetSockOptInt(o, old)
			}
		}
	}
	unknown := gs.Stats().UDP.UnknownPortErrors
	before := unknown.Value()
	st.txFD = from
	st.txDead.Store(false)
	st.txSeg.Store(seg)
	n, err = ep.Write(bytes.NewReader(data), opts)
	st.txSeg.Store(nil)
	st.txFD = -1
	switch {
	case st.txDead.Load():
		r = deadReceiver
		st.stats.DeadPorts.Add(1)
		if st.Sweep != nil {
			go st.Sweep() // release it: its port is free on Linux
		}
	case unknown.Value() != before:
		r = unknownPort
		st.noteOwnRefusal(ep, opts)
	}
	return n, r, err
}

// ownRefusal names a datagram gVisor refused: its source port and
// destination.
type ownRefusal struct {
	sport uint16
	dst   netip.AddrPort
}

// noteOwnRefusal records that gVisor refused the datagram ep just wrote
// (to opts.To, else to its peer) with a port unreachable. txMu is held.
func (st *Stack) noteOwnRefusal(ep tcpip.Endpoint, opts tcpip.WriteOptions) {
	local, err := ep.GetLocalAddress()
	if err != nil {
		return
	}
	var dst tcpip.FullAddress
	if opts.To != nil {
		dst = *opts.To
	} else if dst, err = ep.GetRemoteAddress(); err != nil {
		return
	}
	if st.ownRefusals == nil || len(st.ownRefusals) >= maxOwnRefusals {
		st.ownRefusals = make(map[ownRefusal]time.Time)
	}
	st.ownRefusals[ownRefusal{local.Port, unmapped(addrPortOf(dst))}] = time.Now()
}

// maxOwnRefusals bounds ownRefusals: an entry whose ICMP error never came
// (gVisor rate-limits them) must not stay.
const maxOwnRefusals = 1024

// ownRefusalTTL is how long an entry waits for its ICMP error, which on
// the loopback arrives during the write itself.
const ownRefusalTTL = time.Second

// takeOwnRefusal reports whether a port unreachable about a datagram
// from sport to dst answers one gVisor refused during a write, and forgets
// that refusal. It takes txMu, so a write's refusal is recorded before it
// is looked for.
func (st *Stack) takeOwnRefusal(sport uint16, dst netip.AddrPort) bool {
	st.txMu.Lock()
	defer st.txMu.Unlock()
	k := ownRefusal{sport, unmapped(dst)}
	at, ok := st.ownRefusals[k]
	if ok {
		delete(st.ownRefusals, k)
	}
	return ok && time.Since(at) < ownRefusalTTL
}

// deliverUDP queues a datagram described by m on the placeholder called to,
// which is connected to the unix name peer ("" when it is not). It must
// come from a unix socket the placeholder accepts: an unconnected one takes
// netbox's source socket for m (whose name tells recvmsg m); a
// connected one only its peer: the sink, or the sender's own placeholder,
// which is sending right now, or its own sink. A full receiver drops the datagram, as Linux
// does when a receive buffer is full. dead reports that no socket has
// the name to any more: the program closed it and the sweep has not
// released it yet.
func (st *Stack) deliverUDP(to, peer string, m dgramMeta, data []byte) (dead bool) {
	var fd int
	switch {
	case peer == "":
		// Under st.mu: the cache may close a source socket.
		st.mu.Lock()
		defer st.mu.Unlock()
		fd = st.sourceSocketLocked(m)
	case peer == st.sinkName:
		fd = int(st.sinkFD)
	default:
		st.mu.Lock()
		own, ok := st.ownSinks[peer]
		st.mu.Unlock()
		if ok {
			fd = own
		} else {
			fd = st.txFD // set only while this goroutine's write runs
		}
	}
	if fd < 0 {
		st.stats.UDPDropped.Add(1)
		return false
	}
	if err := unix.Sendto(fd, data, unix.MSG_DONTWAIT, &unix.SockaddrUnix{Name: "@" + to}); err != nil {
		if err == unix.ECONNREFUSED {
			return true
		}
		st.stats.UDPDropped.Add(1)
	}
	return false
}

// sourceSocketLocked returns netbox's socket named after m; st.mu is
// held.
func (st *Stack) sourceSocketLocked(m dgramMeta) int {
	if fd, ok := st.srcSocks[m]; ok {
		return fd
	}
	if len(st.srcSocks) >= maxSourceSockets {
		for a, fd := range st.srcSocks {
			unix.Close(fd)
			delete(st.srcSocks, a)
		}
	}
	fd, err := st.host.Socket(unix.AF_UNIX, unix.SOCK_DGRAM|unix.SOCK_CLOEXEC|unix.SOCK_NONBLOCK, 0)
	if err != nil {
		return -1
	}
	if err := unix.Bind(fd, &unix.SockaddrUnix{Name: "@" + st.sourcePrefix() + m.encode()}); err != nil {
		unix.Close(fd)
		return -1
	}
	st.srcSocks[m] = fd
	return fd
}

// sourcePrefix starts the names of netbox's source sockets.
func (st *Stack) sourcePrefix() string { return "netbox/" + st.id + "/A/" }

// cutSourcePrefix returns the rest of a source socket's name.
func (st *Stack) cutSourcePrefix(name string) (string, bool) {
	return strings.CutPrefix(name, st.sourcePrefix())
}

// trimAt drops the "@" x/sys puts before an abstract name.
func trimAt(unixName string) string { return strings.TrimPrefix(unixName, "@") }

// udpReceiver is the placeholder name of the sandbox socket that receives
// what is sent to dst from src, as the demultiplexer of gVisor stack gs
// chooses it, or "" when there is none.
func (st *Stack) udpReceiver(gs *stack.Stack, dst, src netip.AddrPort) string {
	if s := st.udpSocketOf(gs, dst, src, loNIC); s != nil {
		return s.sk.name
	}
	return ""
}

// udpSocketOf is the sandbox's UDP socket whose endpoint gVisor stack gs
// finds for a datagram to local from remote arriving on nic, or nil.
func (st *Stack) udpSocketOf(gs *stack.Stack, local, remote netip.AddrPort, nic tcpip.NICID) *Socket {
	netProto := networkProtocol(afInet6)
	d, sa := local.Addr(), remote.Addr()
	if d.Unmap().Is4() {
		netProto = networkProtocol(afInet)
		d, sa = d.Unmap(), sa.Unmap()
	}
	id := stack.TransportEndpointID{
		LocalPort: local.Port(), LocalAddress: tcpip.AddrFromSlice(d.AsSlice()),
		RemotePort: remote.Port(), RemoteAddress: tcpip.AddrFromSlice(sa.AsSlice()),
	}
	ep := gs.FindTransportEndpoint(netProto, udp.ProtocolNumber, id, nic)
	if ep == nil {
		return nil
	}
	// Lock order: a socket's rxMu comes before st.mu, so look at the
	// sockets after letting go of st.mu.
	st.mu.Lock()
	socks := make([]*Socket, 0, len(st.udpSocks))
	for _, s := range st.udpSocks {
		socks = append(socks, s)
	}
	st.mu.Unlock()
	for _, s := range socks {
		if te, ok := s.sk.rxEndpointAny().(stack.TransportEndpoint); ok && te == ep {
			return s
		}
	}
	return nil
}

// registerUDP makes a datagram socket known by its placeholder's name.
func (st *Stack) registerUDP(s *Socket) {
	st.mu.Lock()
	st.udpSocks[s.sk.name] = s
	st.mu.Unlock()
}

// forgetUDP drops a released socket; its address stays known for a while,
// for the datagrams it sent that are still queued.
func (st *Stack) forgetUDP(name string) {
	st.mu.Lock()
	defer st.mu.Unlock()
	delete(st.udpSocks, name)
	st.forgotten = append(st.forgotten, name)
	if len(st.forgotten) > maxForgotten {
		old := st.forgotten[0]
		st.forgotten = st.forgotten[1:]
		if st.udpSocks[old] == nil {
			delete(st.udpAddrs, old)
		}
	}
}

// connectedTo reports whether the UDP socket whose placeholder is named
// receiver has that placeholder connected to the one named peer.
func (st *Stack) connectedTo(receiver, peer string) bool {
	st.mu.Lock()
	r := st.udpSocks[receiver]
	st.mu.Unlock()
	if r == nil {
		return false
	}
	r.sk.rxMu.Lock()
	defer r.sk.rxMu.Unlock()
	return r.sk.peerName == peer
}
