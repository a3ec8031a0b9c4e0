package netstack

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"net/netip"
	"os"
	"sort"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"
	"gvisor.dev/gvisor/pkg/tcpip"
	"gvisor.dev/gvisor/pkg/tcpip/network/ipv4"
)

// The /proc/net views: the files of /proc/PID/net that describe sockets
// and protocol counters, made from netbox's sockets and gVisor's counters
// in the kernel's formats (net/ipv4/tcp_ipv4.c, udp.c, proc.c;
// net/ipv6/tcp_ipv6.c, datagram.c, proc.c). The kernel's own files in the
// program's namespace describe an idle network: netbox's sockets live
// elsewhere. Field layouts that change between kernel versions (the
// counter names of snmp and netstat) are taken from the kernel's file of
// the program's namespace, so that a tool reads the layout it expects.

// ServesProcNet reports whether netbox makes the /proc/net file name.
func (st *Stack) ServesProcNet(name string) bool {
	switch name {
	case "tcp", "tcp6", "udp", "udp6", "udplite", "udplite6", "raw", "raw6", "icmp", "icmp6",
		"snmp", "netstat", "sockstat", "sockstat6", "protocols":
		return true
	}
	return false
}

// ProcNet returns the content of the /proc/net file name as the program's
// thread tid would read it, or false when netbox does not make it (or
// cannot: the kernel's file is then the answer).
func (st *Stack) ProcNet(name string, tid int) ([]byte, bool) {
	if st.Sweep != nil {
		st.Sweep() // a socket the program closed is gone at once on Linux
	}
	switch name {
	case "tcp":
		return st.procNetTCP(afInet), true
	case "tcp6":
		return st.procNetTCP(afInet6), true
	case "udp":
		return st.procNetUDP(afInet, unix.IPPROTO_UDP), true
	case "udp6":
		return st.procNetUDP(afInet6, unix.IPPROTO_UDP), true
	case "udplite":
		return st.procNetUDP(afInet, unix.IPPROTO_UDPLITE), true
	case "udplite6":
		return st.procNetUDP(afInet6, unix.IPPROTO_UDPLITE), true
	case "raw":
		return st.procNetRaw(afInet, false), true
	case "raw6":
		return st.procNetRaw(afInet6, false), true
	case "icmp":
		return st.procNetRaw(afInet, true), true
	case "icmp6":
		return st.procNetRaw(afInet6, true), true
	case "snmp", "netstat", "sockstat", "sockstat6", "protocols":
		kernel, err := os.ReadFile("/proc/" + strconv.Itoa(tid) + "/net/" + name)
		if err != nil {
			return nil, false
		}
		switch name {
		case "snmp":
			return st.procNetSNMP(kernel), true
		case "netstat":
			return st.procNetNetstat(kernel), true
		case "protocols":
			return st.procNetProtocols(kernel, tid), true
		default:
			return st.procNetSockstat(kernel), true
		}
	}
	return nil, false
}

// Widths the kernel pads lines of /proc/net/tcp and udp to (TMPSZ − 1 in
// tcp_ipv4.c, 127 in udp.c); the IPv6 files are not padded.
const (
	tcpLineWidth = 149
	udpLineWidth = 127
)

// procNetTCP is tcp4_seq_show / tcp6_seq_show: the listening sockets,
// then the others with a connection (a socket that is only bound is in
// no table these files walk).
func (st *Stack) procNetTCP(family int) []byte {
	var socks []diagSock
	for _, d := range st.diagSocks(unix.IPPROTO_TCP) {
		if d.family == family && d.stateBit != tcpBoundInactive {
			socks = append(socks, d)
		}
	}
	sort.SliceStable(socks, func(i, j int) bool {
		return socks[i].state == tcpListen && socks[j].state != tcpListen
	})
	var b bytes.Buffer
	width := 0
	if family == afInet {
		width = tcpLineWidth
		writeLine(&b, "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode", width)
	} else {
		writeLine(&b, "  sl  local_address                         remote_address                        st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode", width)
	}
	for i, d := range socks {
		// get_tcp4_sock: a listener's rx_queue is its accept queue's
		// length; a connection's, the bytes not yet read (and a FIN).
		// Nothing waits unacknowledged on the loopback, so tx_queue is 0.
		rx := d.rqueue
		// The timer and congestion columns: what an idle socket of
		// Linux shows (rto 1 s for a listener, 200 ms once connected;
		// ato 40 ms; cwnd 10; ssthresh still in slow start).
		ref, rto, ato, cwnd, last := 2, 20, 4, 10, -1
		if d.state == tcpListen {
			ref, rto, ato, last = 1, 100, 0, 0
		}
		row := fmt.Sprintf("%4d: %s %s %02X %08X:%08X %02X:%08X %08X %5d %8d %d %d %016x %d %d %d %d %d",
			i, procAddr(d.local, family), procAddr(d.peer, family), d.state, 0, rx, 0, 0, 0,
			d.uid, 0, d.inode, ref, 0, rto, ato, 0, cwnd, last)
		writeLine(&b, row, width)
	}
	return b.Bytes()
}

// procNetUDP is udp4_seq_show / udp6_seq_show: every socket with a port.
// The first column is the socket's slot in the port hash, whose size is
// the port space on a machine of this size.
func (st *Stack) procNetUDP(family, protocol int) []byte {
	queues, _ := st.placeholderQueues()
	var b bytes.Buffer
	width := 0
	if family == afInet {
		width = udpLineWidth
		writeLine(&b, udpHeader, width)
	} else {
		writeLine(&b, dgramHeader6, width)
	}
	socks := st.diagSocks(protocol)
	sort.SliceStable(socks, func(i, j int) bool { return socks[i].local.Port() < socks[j].local.Port() })
	for _, d := range socks {
		if d.family != family {
			continue
		}
		// udp_rqueue_get counts the queued datagrams' memory, which
		// netbox accounts for what it queues on an unconnected socket;
		// otherwise (a connected socket, or datagrams a sandbox peer
		// sent natively) it knows the next datagram's length, non-zero
		// exactly when one waits.
		rx := d.rqueue
		if rx == 0 {
			rx = queues[uint64(d.inode)].rqueue
		}
		writeLine(&b, dgramRow(int(d.local.Port()), 5, family, d.local, d.peer, d.state, rx, d.uid, uint64(d.inode), d.drops), width)
	}
	return b.Bytes()
}

// procNetRaw is raw_seq_show (raw, raw6: every raw socket, its protocol
// as its local port) or ping_v4_seq_show / ping_v6_seq_show (icmp, icmp6:
// the ping sockets that have an identifier, which is their local port).
// The first column is the hash slot: the protocol in raw's 256-slot
// table, the identifier's low bits in ping's 64 slots.
func (st *Stack) procNetRaw(family int, ping bool) []byte {
	// The lines of icmp (IPv4 ping) are padded as udp's; raw4's slot
	// column is a digit narrower.
	var b bytes.Buffer
	width, slotWidth := 0, 5
	switch {
	case family == afInet6:
		writeLine(&b, dgramHeader6, width)
	case ping:
		width = udpLineWidth
		writeLine(&b, rawHeader, width)
	default:
		slotWidth = 4
		writeLine(&b, rawHeader, width)
	}
	queues, _ := st.placeholderQueues()
	socks := st.sockets()
	sort.Slice(socks, func(i, j int) bool { return socks[i].Ino < socks[j].Ino })
	for _, s := range socks {
		isPing := s.Type == unix.SOCK_DGRAM && (s.Protocol == unix.IPPROTO_ICMP || s.Protocol == unix.IPPROTO_ICMPV6)
		if s.Family != family || (ping && !isPing) || (!ping && s.Type != unix.SOCK_RAW) {
			continue
		}
		s.mu.Lock()
		local, peer, bound, connected := s.sk.local, s.sk.remote, s.sk.bound, s.State == SSConnected
		s.mu.Unlock()
		if !local.Addr().IsValid() {
			local = netip.AddrPortFrom(wildcard(family), 0)
		}
		slot := int(local.Port() & 63)
		if !ping {
			local, slot = netip.AddrPortFrom(local.Addr(), uint16(s.Protocol)), s.Protocol&255
		} else if !bound {
			continue
		}
		state := uint8(tcpClose)
		if connected {
			// A raw socket's destination port is 0; a ping socket's is
			// what it connected to.
			state = tcpEstablished
			if !ping {
				peer = netip.AddrPortFrom(peer.Addr(), 0)
			}
		} else {
			peer = netip.AddrPortFrom(wildcard(family), 0)
		}
		rx := queues[s.Ino].rqueue
		writeLine(&b, dgramRow(slot, slotWidth, family, local, peer, state, rx, s.UID, s.Ino, 0), width)
	}
	return b.Bytes()
}

// Headers of the datagram files: udp's, raw's and icmp's for IPv4 (udp's
// is indented one space more), and the one every IPv6 file shares
// (ip6_dgram_sock_seq_show).
const (
	udpHeader    = "   sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode ref pointer drops"
	rawHeader    = "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode ref pointer drops"
	dgramHeader6 = "  sl  local_address                         remote_address                        st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode ref pointer drops"
)

// dgramRow is one line of udp, raw or icmp (udp4_format_sock,
// raw_sock_seq_show, ping_v4_format_sock, ip6_dgram_sock_seq_show): the
// hash slot in a column slotWidth wide, the addresses, the state, the
// receive queue, the owner, the inode and the drops; nothing queued to
// send, no timers.
func dgramRow(slot, slotWidth, family int, local, peer netip.AddrPort, state uint8, rx, uid uint32, inode uint64, drops uint32) string {
	return fmt.Sprintf("%*d: %s %s %02X %08X:%08X %02X:%08X %08X %5d %8d %d %d %016x %d",
		slotWidth, slot, procAddr(local, family), procAddr(peer, family), state, 0, rx, 0, 0, 0, uid, 0, inode, 2, 0, drops)
}

// writeLine appends line and a newline, padded with spaces to width when
// width is not 0 (seq_setwidth and seq_pad).
func writeLine(b *bytes.Buffer, line string, width int) {
	fmt.Fprintf(b, "%-*s\n", width, line)
}

// procAddr formats an address as these files do: the IPv4 address as
// one 32-bit word in host order (the __be32 printed with %08X), an IPv6
// one as four such words, then the port in hex.
func procAddr(a netip.AddrPort, family int) string {
	if family == afInet {
		b := a.Addr().Unmap().As4()
		return fmt.Sprintf("%08X:%04X", binary.LittleEndian.Uint32(b[:]), a.Port())
	}
	b := a.Addr().As16()
	return fmt.Sprintf("%08X%08X%08X%08X:%04X", binary.LittleEndian.Uint32(b[0:]), binary.LittleEndian.Uint32(b[4:]),
		binary.LittleEndian.Uint32(b[8:]), binary.LittleEndian.Uint32(b[12:]), a.Port())
}

// counterFile is a /proc/net file of "Section: names" / "Section: values"
// line pairs (snmp, netstat).
type counterFile struct {
	sections []string
	names    map[string][]string
}

// parseCounterFile reads the layout of the kernel's file: each section's
// counter names, in order. An IcmpMsg section (its names depend on
// traffic) is left out.
func parseCounterFile(kernel []byte) counterFile {
	f := counterFile{names: make(map[string][]string)}
	lines := strings.Split(strings.TrimRight(string(kernel), "\n"), "\n")
	for i := 0; i+1 < len(lines); i += 2 {
		sec, names, ok := strings.Cut(lines[i], ":")
		if !ok || sec == "IcmpMsg" {
			continue
		}
		f.sections = append(f.sections, sec)
		f.names[sec] = strings.Fields(names)
	}
	return f
}

// write prints section sec with the value of each counter name that
// value knows, and 0 for the others.
func (f counterFile) write(b *bytes.Buffer, sec string, value func(name string) (int64, bool)) {
	names := f.names[sec]
	fmt.Fprintf(b, "%s: %s\n%s:", sec, strings.Join(names, " "), sec)
	for _, n := range names {
		v, _ := value(n)
		fmt.Fprintf(b, " %d", v)
	}
	b.WriteByte('\n')
}

// procNetSNMP is snmp_seq_show: the Ip, Icmp, IcmpMsg, Tcp, Udp and
// UdpLite counters of the sandbox, from gVisor's counters and netbox's
// own (connections of the fast path, datagrams its placeholders
// dropped). Counters netbox does not keep read 0.
func (st *Stack) procNetSNMP(kernel []byte) []byte {
	f := parseCounterFile(kernel)
	s := st.gs.Stats()
	ip4 := st.ipv4Stats()
	icmp := s.ICMP.V4
	in, out := icmp.PacketsReceived.ICMPv4PacketStats, icmp.PacketsSent.ICMPv4PacketStats
	icmpTypes := []struct {
		typ     int
		name    string
		in, out *tcpip.StatCounter
	}{
		{0, "EchoReps", in.EchoReply, out.EchoReply},
		{3, "DestUnreachs", in.DstUnreachable, out.DstUnreachable},
		{4, "SrcQuenchs", in.SrcQuench, out.SrcQuench},
		{5, "Redirects", in.Redirect, out.Redirect},
		{8, "Echos", in.EchoRequest, out.EchoRequest},
		{11, "TimeExcds", in.TimeExceeded, out.TimeExceeded},
		{12, "ParmProbs", in.ParamProblem, out.ParamProblem},
		{13, "Timestamps", in.Timestamp, out.Timestamp},
		{14, "TimestampReps", in.TimestampReply, out.TimestampReply},
		{17, "AddrMasks", in.InfoRequest, out.InfoRequest},
		{18, "AddrMaskReps", in.InfoReply, out.InfoReply},
	}
	// The port unreachables netbox answered for closed sockets count as
	// sent and received.
	dead := int64(st.stats.DeadPorts.Load())
	icmpCount := func(c *tcpip.StatCounter, typ int) int64 {
		if typ == 3 {
			return int64(c.Value()) + dead
		}
		return int64(c.Value())
	}
	var inMsgs, outMsgs int64
	for _, t := range icmpTypes {
		inMsgs += icmpCount(t.in, t.typ)
		outMsgs += icmpCount(t.out, t.typ)
	}
	tcp, udp, lite := s.TCP, s.UDP, st.gsLite.Stats().UDP
	fast := int64(st.stats.FastOpens.Load())
	var estab int64
	for _, d := range st.diagSocks(unix.IPPROTO_TCP) {
		if d.state == tcpEstablished || d.state == tcpCloseWait {
			estab++ // tcp_set_state counts CLOSE_WAIT in CurrEstab
		}
	}
	// Linux counts InDatagrams as the program reads them; gVisor as they
	// reach an endpoint, before netbox moves them to a placeholder
	// (dropping those the receive buffer refuses) where they may still
	// wait.
	waiting := int64(0)
	for _, sk := range st.sockets() {
		if sk.isUDP() && sk.Protocol == unix.IPPROTO_UDP {
			_, _, queued := sk.rcvQueueState()
			waiting += int64(queued)
		}
	}
	udpCounters := func(u tcpip.UDPStats, dropped, dead, csum, waiting int64) func(string) (int64, bool) {
		rcvbuf := int64(u.ReceiveBufferErrors.Value()) + dropped
		csum += int64(u.ChecksumErrors.Value())
		return func(n string) (int64, bool) {
			switch n {
			case "InDatagrams":
				return int64(u.PacketsReceived.Value()) - dropped - waiting, true
			case "NoPorts":
				return int64(u.UnknownPortErrors.Value()) + dead, true
			case "InErrors":
				return rcvbuf + int64(u.MalformedPacketsReceived.Value()) + csum, true
			case "OutDatagrams":
				return int64(u.PacketsSent.Value()), true
			case "RcvbufErrors":
				return rcvbuf, true
			case "InCsumErrors":
				return csum, true
			}
			return 0, false
		}
	}
	var b bytes.Buffer
	for _, sec := range f.sections {
		switch sec {
		case "Ip":
			f.write(&b, sec, func(n string) (int64, bool) {
				switch n {
				case "Forwarding":
					return 2, true // not forwarding (IPV4_DEVCONF_ALL(FORWARDING) 0)
				case "DefaultTTL":
					return defaultTTL, true
				case "InReceives":
					return ip4.received, true
				case "InHdrErrors":
					return ip4.malformed, true
				case "InAddrErrors":
					return ip4.badDest, true
				case "InDelivers":
					return ip4.delivered, true
				case "OutRequests", "OutTransmits":
					return ip4.sent, true
				case "OutDiscards":
					return ip4.outErrors, true
				}
				return 0, false
			})
		case "Icmp":
			f.write(&b, sec, func(n string) (int64, bool) {
				switch n {
				case "InMsgs":
					return inMsgs, true
				case "OutMsgs":
					return outMsgs, true
				}
				for _, t := range icmpTypes {
					if n == "In"+t.name {
						return icmpCount(t.in, t.typ), true
					}
					if n == "Out"+t.name {
						return icmpCount(t.out, t.typ), true
					}
				}
				return 0, false
			})
			// icmpmsg_put: a counter per ICMP type seen, In types
			// first, 16 to a line pair.
			var names []string
			var vals []int64
			for _, dir := range []string{"In", "Out"} {
				for _, t := range icmpTypes {
					c := t.in
					if dir == "Out" {
						c = t.out
					}
					if v := icmpCount(c, t.typ); v != 0 {
						names = append(names, dir+"Type"+strconv.Itoa(t.typ))
						vals = append(vals, v)
					}
				}
			}
			for i := 0; i < len(names); i += 16 {
				j := min(i+16, len(names))
				fmt.Fprintf(&b, "IcmpMsg: %s\nIcmpMsg:", strings.Join(names[i:j], " "))
				for _, v := range vals[i:j] {
					fmt.Fprintf(&b, " %d", v)
				}
				b.WriteByte('\n')
			}
		case "Tcp":
			f.write(&b, sec, func(n string) (int64, bool) {
				switch n {
				case "RtoAlgorithm":
					return 1, true
				case "RtoMin":
					return 200, true
				case "RtoMax":
					return 120000, true
				case "MaxConn":
					return -1, true
				case "ActiveOpens":
					return int64(tcp.ActiveConnectionOpenings.Value()) + fast, true
				case "PassiveOpens":
					return int64(tcp.PassiveConnectionOpenings.Value()) + fast, true
				case "AttemptFails":
					return int64(tcp.FailedConnectionAttempts.Value()), true
				case "EstabResets":
					return int64(tcp.EstablishedResets.Value()), true
				case "CurrEstab":
					return estab, true
				case "InSegs":
					return int64(tcp.ValidSegmentsReceived.Value()), true
				case "OutSegs":
					return int64(tcp.SegmentsSent.Value()), true
				case "RetransSegs":
					return int64(tcp.Retransmits.Value()), true
				case "InErrs":
					return int64(tcp.InvalidSegmentsReceived.Value()), true
				case "OutRsts":
					return int64(tcp.ResetsSent.Value()), true
				case "InCsumErrors":
					return int64(tcp.ChecksumErrors.Value()), true
				}
				return 0, false
			})
		case "Udp":
			f.write(&b, sec, udpCounters(udp, int64(st.stats.UDPDropped.Load()), dead, int64(st.stats.UDPCsumErrors.Load()), waiting))
		case "UdpLite":
			f.write(&b, sec, udpCounters(lite, 0, 0, 0, 0))
		default:
			f.write(&b, sec, func(string) (int64, bool) { return 0, false })
		}
	}
	return b.Bytes()
}

// ipCounters are the IPv4 counters procNetSNMP shows.
type ipCounters struct {
	received, malformed, badDest, delivered, sent, outErrors int64
}

// ipv4Stats sums the IPv4 counters of every interface of the stack.
func (st *Stack) ipv4Stats() ipCounters {
	var c ipCounters
	for _, ni := range st.gs.NICInfo() {
		s, ok := ni.NetworkStats[ipv4.ProtocolNumber].(*ipv4.Stats)
		if !ok {
			continue
		}
		c.received += int64(s.IP.PacketsReceived.Value())
		c.malformed += int64(s.IP.MalformedPacketsReceived.Value())
		c.badDest += int64(s.IP.InvalidDestinationAddressesReceived.Value())
		c.delivered += int64(s.IP.PacketsDelivered.Value())
		c.sent += int64(s.IP.PacketsSent.Value())
		c.outErrors += int64(s.IP.OutgoingPacketErrors.Value())
	}
	return c
}

// procNetNetstat is netstat_seq_show: the TcpExt, IpExt and MPTcpExt
// counters. netbox keeps few of them: listen queue overflows and TCP
// timeouts; the others read 0.
func (st *Stack) procNetNetstat(kernel []byte) []byte {
	f := parseCounterFile(kernel)
	tcp := st.gs.Stats().TCP
	var b bytes.Buffer
	for _, sec := range f.sections {
		f.write(&b, sec, func(n string) (int64, bool) {
			switch sec + ":" + n {
			case "TcpExt:ListenOverflows":
				return int64(tcp.ListenOverflowSynDrop.Value() + tcp.ListenOverflowAckDrop.Value()), true
			case "TcpExt:TCPTimeouts":
				return int64(tcp.Timeouts.Value()), true
			}
			return 0, false
		})
	}
	return b.Bytes()
}

// protoInuse is sock_prot_inuse_get for the inet protocols netbox serves,
// keyed as sockstat names them ("TCP", "UDP6", "UDPLITE", "RAW6"…, and
// "PING"/"PING6"): the sockets in each protocol's lookup tables (TCP once
// listening or connecting; UDP and ping once bound; raw from socket() on);
// and tcpAlloc, every TCP socket of both families
// (tcp_sockets_allocated).
func protoInuse(socks []*Socket) (inuse map[string]int, tcpAlloc int) {
	inuse = make(map[string]int)
	for _, s := range socks {
		if s.Family != afInet && s.Family != afInet6 {
			continue
		}
		v6 := ""
		if s.Family == afInet6 {
			v6 = "6"
		}
		switch {
		case s.Type == unix.SOCK_RAW:
			inuse["RAW"+v6]++
		case s.Protocol == unix.IPPROTO_TCP:
			tcpAlloc++
			if d, ok := s.diagOf(unix.IPPROTO_TCP, nil); ok && d.stateBit != tcpBoundInactive {
				inuse["TCP"+v6]++
			}
		case s.Protocol == unix.IPPROTO_UDP:
			if s.isBound() {
				inuse["UDP"+v6]++
			}
		case s.Protocol == unix.IPPROTO_UDPLITE:
			if s.isBound() {
				inuse["UDPLITE"+v6]++
			}
		case s.Protocol == unix.IPPROTO_ICMP || s.Protocol == unix.IPPROTO_ICMPV6:
			if s.isBound() {
				inuse["PING"+v6]++
			}
		}
	}
	return inuse, tcpAlloc
}

// isBound reports whether the socket has a local port (or ping
// identifier).
func (s *Socket) isBound() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.sk.bound
}

// procNetSockstat is sockstat_seq_show and sockstat6_seq_show: sockets in
// use per protocol. The kernel's file gives the rest (the program's own
// sockets of other families count in "sockets: used", and FRAG).
func (st *Stack) procNetSockstat(kernel []byte) []byte {
	socks := st.sockets()
	inuse, tcpAlloc := protoInuse(socks)
	var b bytes.Buffer
	for _, line := range strings.Split(strings.TrimRight(string(kernel), "\n"), "\n") {
		proto, rest, _ := strings.Cut(line, ":")
		switch proto {
		case "sockets":
			used := 0
			if f := strings.Fields(rest); len(f) == 2 {
				used, _ = strconv.Atoi(f[1])
			}
			fmt.Fprintf(&b, "sockets: used %d\n", used+len(socks))
		case "TCP":
			fmt.Fprintf(&b, "TCP: inuse %d orphan 0 tw 0 alloc %d mem 0\n", inuse["TCP"], tcpAlloc)
		case "UDP":
			fmt.Fprintf(&b, "UDP: inuse %d mem 0\n", inuse["UDP"])
		case "UDPLITE", "RAW", "TCP6", "UDP6", "UDPLITE6", "RAW6":
			fmt.Fprintf(&b, "%s: inuse %d\n", proto, inuse[proto])
		default:
			b.WriteString(line + "\n")
		}
	}
	return b.Bytes()
}

// protocolRows maps the rows of /proc/net/protocols whose sockets netbox
// serves to protoInuse's keys.
var protocolRows = map[string]string{
	"TCP": "TCP", "TCPv6": "TCP6", "UDP": "UDP", "UDPv6": "UDP6", "UDP-Lite": "UDPLITE",
	"UDPLITEv6": "UDPLITE6", "RAW": "RAW", "RAWv6": "RAW6", "PING": "PING", "PINGv6": "PING6",
}

// procNetProtocols is proto_seq_show over the kernel's file of thread
// tid's namespace: its rows, with the sockets column (sock_prot_inuse_get)
// of the inet protocols counted from netbox's sockets, the NETLINK row
// counting netbox's sock_diag sockets instead of the kernel sockets netbox
// keeps in the namespace for itself (to follow its configuration, to
// relay unix_diag), and the PACKET row without netbox's own (the
// mirrors of lo's and eth0's traffic).
func (st *Stack) procNetProtocols(kernel []byte, tid int) []byte {
	socks := st.sockets()
	inuse, _ := protoInuse(socks)
	own := ownSocketInodes()
	nl := 0
	for _, s := range socks {
		if s.Family == unix.AF_NETLINK {
			nl++
		}
	}
	adjust := map[string]int{
		"NETLINK": nl - countOwn(tid, "netlink", own),
		"PACKET":  -countOwn(tid, "packet", own),
	}
	var b bytes.Buffer
	for i, line := range strings.Split(strings.TrimRight(string(kernel), "\n"), "\n") {
		f := strings.Fields(line)
		if i == 0 || len(f) < 3 {
			b.WriteString(line + "\n")
			continue
		}
		n, err := strconv.Atoi(f[2])
		key, served := protocolRows[f[0]]
		d, adjusted := adjust[f[0]]
		switch {
		case err != nil:
		case served:
			n = inuse[key]
		case adjusted:
			n = max(n+d, 0)
		default:
			b.WriteString(line + "\n")
			continue
		}
		// "%-9s %4u %6d": the column ends where the third field does.
		end := strings.Index(line, f[1]) + len(f[1])
		rest := line[end:]
		at := strings.Index(rest, f[2]) + len(f[2])
		fmt.Fprintf(&b, "%s %6d%s\n", line[:end], n, rest[at:])
	}
	return b.Bytes()
}

// ownSocketInodes are the inodes of netbox's own sockets (its open
// descriptors).
func ownSocketInodes() map[uint64]bool {
	own := make(map[uint64]bool)
	ents, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		return own
	}
	for _, e := range ents {
		l, err := os.Readlink("/proc/self/fd/" + e.Name())
		if err != nil {
			continue
		}
		if ino, ok := strings.CutPrefix(l, "socket:["); ok {
			if v, err := strconv.ParseUint(strings.TrimSuffix(ino, "]"), 10, 64); err == nil {
				own[v] = true
			}
		}
	}
	return own
}

// countOwn counts the sockets that /proc/TID/net/FILE (netlink or packet:
// the inode is the last column) lists and own holds.
func countOwn(tid int, file string, own map[uint64]bool) int {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(tid) + "/net/" + file)
	if err != nil {
		return 0
	}
	n := 0
	for _, line := range strings.Split(string(b), "\n")[1:] {
		f := strings.Fields(line)
		if len(f) == 0 {
			continue
		}
		if v, err := strconv.ParseUint(f[len(f)-1], 10, 64); err == nil && own[v] {
			n++
		}
	}
	return n
}
