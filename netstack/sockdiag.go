package netstack

import (
	"encoding/binary"
	"net/netip"
	"os"
	"sort"
	"strings"
	"sync"

	"golang.org/x/sys/unix"

	"github.com/netbox-sandbox/netbox/netstack/nlattr"
)

// NETLINK_SOCK_DIAG for inet sockets (inet_diag, tcp_diag, udp_diag):
// what ss shows. Each message describes one of the sandbox's own sockets,
// with the placeholder's inode, which is what the program's fd refers to
// (so ss -p finds the process holding it).

// sock_diag and inet_diag numbers (linux/sock_diag.h, linux/inet_diag.h).
const (
	sockDestroy       = 21 // SOCK_DESTROY
	tcpDiagGetSock    = 18 // TCPDIAG_GETSOCK (the old inet_diag_req)
	dccpDiagGetSock   = 19
	sockDiagReqLen    = 2  // struct sock_diag_req's family and protocol
	inetDiagReqV2Len  = 56 // struct inet_diag_req_v2
	inetDiagMsgLen    = 72 // struct inet_diag_msg
	inetDiagNoCookie  = ^uint32(0)
	inetDiagTOS       = 5  // INET_DIAG_TOS
	inetDiagTClass    = 6  // INET_DIAG_TCLASS
	inetDiagShutdown  = 8  // INET_DIAG_SHUTDOWN
	inetDiagSkV6Only  = 11 // INET_DIAG_SKV6ONLY
	inetDiagMark      = 15 // INET_DIAG_MARK
	inetDiagClassID   = 17 // INET_DIAG_CLASS_ID
	inetDiagCgroupID  = 21 // INET_DIAG_CGROUP_ID
	inetDiagSockOpt   = 22 // INET_DIAG_SOCKOPT
	inetDiagReqByCode = 1  // INET_DIAG_REQ_BYTECODE
	afMax             = 46 // AF_MAX
)

// TCP states inet_diag reports beside those of sockopt_tcp.go
// (include/net/tcp_states.h).
const (
	tcpSynSent       = 2
	tcpBoundInactive = 13
)

// sockDiagRcvMsg is sock_diag_rcv_msg: one request; replies go to out. An
// error is acknowledged by the caller (netlink_rcv_skb).
func (st *Stack) sockDiagRcvMsg(out *nlReplies, h nlmsghdr, body []byte, netAdmin bool) error {
	switch h.Type {
	case tcpDiagGetSock, dccpDiagGetSock:
		// The pre-sock_diag request (struct inet_diag_req): not served.
		return unix.EOPNOTSUPP
	case sockDiagByFamily, sockDestroy:
	default:
		return unix.EINVAL
	}
	// __sock_diag_cmd.
	if len(body) < sockDiagReqLen {
		return unix.EINVAL
	}
	family, protocol := int(body[0]), int(body[1])
	if family >= afMax {
		return unix.EINVAL
	}
	if family != unix.AF_INET && family != unix.AF_INET6 {
		// No handler here for other families (unix_diag and the
		// others are not served): as a kernel without the module.
		return unix.ENOENT
	}
	if h.Type == sockDestroy {
		return unix.EOPNOTSUPP // SOCK_DESTROY: tcp_abort is not served
	}
	// inet_diag_handler_cmd.
	if len(body) < inetDiagReqV2Len {
		return unix.EINVAL
	}
	req := parseInetDiagReq(body)
	known := protocol == unix.IPPROTO_TCP || protocol == unix.IPPROTO_UDP
	if h.Flags&unix.NLM_F_DUMP == unix.NLM_F_DUMP {
		if !known {
			// The dump starts, and inet_diag_lock_handler's ENOENT
			// (no such handler) ends it in NLMSG_DONE.
			out.done(h.Seq, -int32(unix.ENOENT))
			return nil
		}
		st.inetDiagDump(out, h, family, protocol, req, netAdmin)
		return nil
	}
	if !known {
		return unix.ENOENT
	}
	return st.inetDiagExact(out, h, family, protocol, req, netAdmin)
}

// inetDiagReq is struct inet_diag_req_v2.
type inetDiagReq struct {
	ext    uint8
	states uint32
	sport  uint16
	dport  uint16
	src    [16]byte
	dst    [16]byte
	ifidx  uint32
	cookie [2]uint32
}

func parseInetDiagReq(b []byte) inetDiagReq {
	r := inetDiagReq{ext: b[2], states: binary.LittleEndian.Uint32(b[4:])}
	r.sport = binary.BigEndian.Uint16(b[8:])
	r.dport = binary.BigEndian.Uint16(b[10:])
	copy(r.src[:], b[12:28])
	copy(r.dst[:], b[28:44])
	r.ifidx = binary.LittleEndian.Uint32(b[44:])
	r.cookie[0] = binary.LittleEndian.Uint32(b[48:])
	r.cookie[1] = binary.LittleEndian.Uint32(b[52:])
	return r
}

// diagSock is what inet_diag reports of one socket.
type diagSock struct {
	family      int
	state       uint8
	stateBit    uint8 // the bit of the request's idiag_states that asks for it
	local, peer netip.AddrPort
	ifidx       uint32
	cookie      uint64
	rqueue      uint32
	wqueue      uint32
	// drops is an unconnected UDP socket's sk_drops, whose rqueue is
	// the receive buffer's charge (udp_rcvbuf.go).
	drops       uint32
	uid         uint32
	inode       uint32
	shutdown    uint8
	v6only      bool
	tos, tclass uint8
	mark        uint32
	isICSK      bool
}

// diagOf describes s for a dump of protocol, or reports false when the
// socket is not in the tables such a dump walks (Linux lists TCP sockets
// that listen or have a connection, or — state TCP_BOUND_INACTIVE — that
// are only bound; UDP sockets that have a port).
func (s *Socket) diagOf(protocol int, queues map[uint64]unixQueue) (diagSock, bool) {
	if s.Family != afInet && s.Family != afInet6 || s.Protocol != protocol {
		return diagSock{}, false
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	d := diagSock{
		family: s.Family, local: s.sk.local, peer: s.sk.remote,
		ifidx: uint32(s.sk.opts.bindDev), uid: s.UID, inode: uint32(s.Ino),
		cookie: s.Ino, v6only: s.sk.v6only, mark: uint32(s.sk.opts.get(unix.SOL_SOCKET, unix.SO_MARK)),
		tos: uint8(s.sk.opts.get(unix.SOL_IP, unix.IP_TOS)), tclass: uint8(s.sk.opts.get(unix.SOL_IPV6, unix.IPV6_TCLASS)),
	}
	// sk_shutdown: RCV_SHUTDOWN 1, SEND_SHUTDOWN 2 (s.sk.shutdown holds
	// SHUT_* + 1 bits, the same values).
	d.shutdown = uint8(s.sk.shutdown & 3)
	switch protocol {
	case unix.IPPROTO_TCP:
		d.isICSK = true
		switch {
		case s.sk.listening:
			d.state, d.peer = tcpListen, netip.AddrPortFrom(wildcard(s.Family), 0)
			d.rqueue, d.wqueue = queues[s.Ino].rqueue, uint32(s.sk.backlog) // the accept queue
		case s.State == SSConnected:
			// Half closed or closed as the placeholder's sk_shutdown
			// tells (established when the dump has not got it).
			// A connection that has ended is in no table (tcp_done
			// unhashes it; its TIME_WAIT mini-socket netbox does not
			// make).
			q, ok := queues[s.Ino]
			if queues != nil && !ok {
				// The program has closed it (the sweep has not yet
				// released it): Linux would show the orphan in
				// FIN_WAIT2, which netbox does not keep.
				return diagSock{}, false
			}
			peerShut := ok && s.peerShutFrom(q.shutdown)
			d.state = s.connState(peerShut)
			if d.state == tcpClose {
				return diagSock{}, false
			}
			// rcv_nxt - copied_seq: the bytes unread, and the peer's
			// FIN, which also sets RCV_SHUTDOWN (tcp_fin).
			d.rqueue = q.rqueue
			if peerShut {
				d.rqueue++
				d.shutdown |= 1
			}
		case s.State == SSConnecting || s.sk.connecting != nil:
			d.state = tcpSynSent
		case s.sk.bound:
			// Bound only: asked for as TCP_BOUND_INACTIVE, shown as
			// TCP_CLOSE (inet_diag_dump_icsk, Linux 6.7).
			d.state, d.stateBit = tcpClose, tcpBoundInactive
			d.peer = netip.AddrPortFrom(wildcard(s.Family), 0)
		default:
			return diagSock{}, false
		}
	case unix.IPPROTO_UDP:
		if !s.sk.bound {
			return diagSock{}, false
		}
		d.state = tcpClose
		if s.State == SSConnected {
			d.state = tcpEstablished
		} else {
			d.peer = netip.AddrPortFrom(wildcard(s.Family), 0)
			charged, drops, _ := s.rcvQueueState()
			d.rqueue, d.drops = uint32(charged), drops
		}
	}
	if d.stateBit == 0 {
		d.stateBit = d.state
	}
	return d, true
}

// inetDiagDump is inet_diag_dump for one family and protocol: every
// matching socket whose state the request asks for, then NLMSG_DONE.
// (The request's bytecode filter, INET_DIAG_REQ_BYTECODE, is not run: ss
// applies its filter again to what it receives.)
func (st *Stack) inetDiagDump(out *nlReplies, h nlmsghdr, family, protocol int, req inetDiagReq, netAdmin bool) {
	for _, d := range st.diagSocks(protocol) {
		if d.family != family || req.states&(1<<d.stateBit) == 0 {
			continue
		}
		out.add(sockDiagByFamily, unix.NLM_F_MULTI, h.Seq, d.message(req.ext, netAdmin))
	}
	out.done(h.Seq, 0)
}

// inetDiagExact is inet_diag_cmd_exact: the socket the request's id names
// (its four-tuple, and cookie unless INET_DIAG_NOCOOKIE), alone.
func (st *Stack) inetDiagExact(out *nlReplies, h nlmsghdr, family, protocol int, req inetDiagReq, netAdmin bool) error {
	for _, d := range st.diagSocks(protocol) {
		if d.family != family || d.local.Port() != req.sport || d.peer.Port() != req.dport {
			continue
		}
		if !addrMatches(d.local.Addr(), req.src, family) || !addrMatches(d.peer.Addr(), req.dst, family) {
			continue
		}
		if req.cookie != [2]uint32{inetDiagNoCookie, inetDiagNoCookie} &&
			(req.cookie[0] != uint32(d.cookie) || req.cookie[1] != uint32(d.cookie>>32)) {
			return unix.ESTALE // sock_diag_check_cookie
		}
		out.add(sockDiagByFamily, 0, h.Seq, d.message(req.ext, netAdmin))
		out.cut()
		return nil
	}
	return unix.ENOENT
}

// addrMatches compares a socket's address with a request's (the first 4
// bytes for IPv4).
func addrMatches(a netip.Addr, b [16]byte, family int) bool {
	if family == afInet {
		return a.Unmap().Is4() && a.Unmap().As4() == [4]byte(b[:4])
	}
	return a.As16() == b
}

// sockets lists the sandbox's live sockets (none when Sockets is unset).
func (st *Stack) sockets() []*Socket {
	if st.Sockets == nil {
		return nil
	}
	return st.Sockets()
}

// diagSocks describes the sandbox's sockets of protocol, in a stable
// order (by inode: creation order, roughly, as the hash walk has none to
// promise).
func (st *Stack) diagSocks(protocol int) []diagSock {
	var out []diagSock
	var queues map[uint64]unixQueue
	if protocol == unix.IPPROTO_TCP {
		queues, _ = st.placeholderQueues()
	}
	for _, s := range st.sockets() {
		if d, ok := s.diagOf(protocol, queues); ok {
			out = append(out, d)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].inode < out[j].inode })
	return out
}

// message is inet_sk_diag_fill for d: struct inet_diag_msg and the
// attributes inet_diag_msg_attrs_fill adds (those netbox can say).
func (d diagSock) message(ext uint8, netAdmin bool) []byte {
	b := make([]byte, inetDiagMsgLen, inetDiagMsgLen+64)
	b[0], b[1] = uint8(d.family), d.state
	binary.BigEndian.PutUint16(b[4:], d.local.Port())
	binary.BigEndian.PutUint16(b[6:], d.peer.Port())
	putDiagAddr(b[8:24], d.local.Addr(), d.family)
	putDiagAddr(b[24:40], d.peer.Addr(), d.family)
	binary.LittleEndian.PutUint32(b[40:], d.ifidx)
	binary.LittleEndian.PutUint32(b[44:], uint32(d.cookie))
	binary.LittleEndian.PutUint32(b[48:], uint32(d.cookie>>32))
	// idiag_expires (52) 0: no timer runs.
	binary.LittleEndian.PutUint32(b[56:], d.rqueue)
	binary.LittleEndian.PutUint32(b[60:], d.wqueue)
	binary.LittleEndian.PutUint32(b[64:], d.uid)
	binary.LittleEndian.PutUint32(b[68:], d.inode)
	b = nlattr.Append(b, inetDiagShutdown, []byte{d.shutdown})
	if ext&(1<<(inetDiagTOS-1)) != 0 {
		b = nlattr.Append(b, inetDiagTOS, []byte{d.tos})
	}
	if d.family == afInet6 {
		if ext&(1<<(inetDiagTClass-1)) != 0 {
			b = nlattr.Append(b, inetDiagTClass, []byte{d.tclass})
		}
		if d.state == tcpListen || d.state == tcpClose {
			v := byte(0)
			if d.v6only {
				v = 1
			}
			b = nlattr.Append(b, inetDiagSkV6Only, []byte{v})
		}
	}
	if netAdmin {
		var m [4]byte
		binary.LittleEndian.PutUint32(m[:], d.mark)
		b = nlattr.Append(b, inetDiagMark, m[:])
	}
	if ext&(1<<(inetDiagTClass-1)) != 0 { // or CLASS_ID's bit, beyond a u8
		b = nlattr.Append(b, inetDiagClassID, make([]byte, 4))
	}
	// INET_DIAG_CGROUP_ID: the socket's cgroup (v2) id; the sandbox's
	// processes are in netbox's cgroup.
	var cg [8]byte
	binary.LittleEndian.PutUint64(cg[:], cgroupID())
	b = nlattr.Append(b, inetDiagCgroupID, cg[:])
	// struct inet_diag_sockopt: the first byte's bits are recverr,
	// is_icsk, freebind, hdrincl, mc_loop, transparent, mc_all, nodefrag.
	var so [2]byte
	if d.isICSK {
		so[0] |= 1 << 1
	}
	so[0] |= 1 << 4 // mc_loop, on by default
	return nlattr.Append(b, inetDiagSockOpt, so[:])
}

// cgroupID is netbox's cgroup v2 id (the inode of its cgroup directory),
// or 0 when it cannot be found.
var cgroupID = sync.OnceValue(func() uint64 {
	b, err := os.ReadFile("/proc/self/cgroup")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if path, ok := strings.CutPrefix(line, "0::"); ok {
			var st unix.Stat_t
			if unix.Stat("/sys/fs/cgroup"+path, &st) == nil {
				return st.Ino
			}
		}
	}
	return 0
})

// putDiagAddr writes an address as inet_diag_sockid holds it: IPv4 in the
// first 4 bytes.
func putDiagAddr(b []byte, a netip.Addr, family int) {
	if family == afInet {
		v := a.Unmap().As4()
		copy(b, v[:])
		return
	}
	v := a.As16()
	copy(b, v[:])
}
