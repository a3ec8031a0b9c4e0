package netstack

import (
	"encoding/binary"
	"math/bits"
	"net/netip"

	"golang.org/x/sys/unix"
	"gvisor.dev/gvisor/pkg/tcpip"
)

// SOL_IP and SOL_IPV6 options beyond the plain ints: their checks, the
// values computed on reading, and IP_PKTOPTIONS. Like do_ip_setsockopt,
// do_ip_getsockopt, do_ipv6_setsockopt and do_ipv6_getsockopt.

// loMTU is lo's MTU until the program changes it (SetLoopbackMTU); IPv4
// reports at most IP_MAX_MTU.
const (
	loMTU    = 65536
	ipMaxMTU = 0xFFFF
)

// setIPSpecial sets the SOL_IP/SOL_IPV6 options the table does not
// describe; done is false for the others.
func (s *Socket) setIPSpecial(level, name int, val Optval) (done bool, err error) {
	switch (optKey{level, name}) {
	case optKey{unix.SOL_IP, unix.IP_TTL}:
		v, err := ipIntOf(name, val)
		if err != nil {
			return true, err
		}
		if v != -1 && (v < 1 || v > 255) {
			return true, unix.EINVAL
		}
		s.sk.opts.set(level, name, v)
		s.applyIPHeader()
		return true, nil
	case optKey{unix.SOL_IP, unix.IP_PKTOPTIONS}:
		return true, unix.ENOPROTOOPT
	case optKey{unix.SOL_IP, unix.IP_ADD_MEMBERSHIP}, optKey{unix.SOL_IP, unix.IP_DROP_MEMBERSHIP}:
		return true, s.setMembership(name == unix.IP_ADD_MEMBERSHIP, val)
	case optKey{unix.SOL_IP, unix.IP_MULTICAST_IF}:
		return true, s.setMulticastIf(val)
	case optKey{unix.SOL_IPV6, unix.IPV6_JOIN_GROUP}, optKey{unix.SOL_IPV6, unix.IPV6_LEAVE_GROUP}:
		return true, s.setMembership6(name == unix.IPV6_JOIN_GROUP, val)
	case optKey{unix.SOL_IP, unix.MCAST_JOIN_GROUP}, optKey{unix.SOL_IP, unix.MCAST_LEAVE_GROUP},
		optKey{unix.SOL_IPV6, unix.MCAST_JOIN_GROUP}, optKey{unix.SOL_IPV6, unix.MCAST_LEAVE_GROUP}:
		return true, s.setGroupReq(level == unix.SOL_IPV6, name == unix.MCAST_JOIN_GROUP, val)
	}
	return false, nil
}

// sizeofGroupReq is sizeof(struct group_req): an interface index and a
// struct sockaddr_storage, 8-byte aligned.
const sizeofGroupReq = 136

// setGroupReq is MCAST_JOIN_GROUP and MCAST_LEAVE_GROUP (RFC 3678), as
// ip_mcast_join_leave and ipv6_mcast_join_leave read a struct group_req:
// the group's family must be the level's (IPv4: EINVAL, IPv6:
// EADDRNOTAVAIL), then it is the ip_mreqn or ipv6_mreq join or leave.
// Unlike IP_ADD_MEMBERSHIP, a TCP socket is not refused.
func (s *Socket) setGroupReq(v6, join bool, val Optval) error {
	if val.Len() < sizeofGroupReq {
		return unix.EINVAL
	}
	b, err := val.Read(sizeofGroupReq)
	if err != nil {
		return err
	}
	index := binary.LittleEndian.Uint32(b[0:4])
	sa := b[8:]
	family := binary.LittleEndian.Uint16(sa)
	if !v6 {
		if family != unix.AF_INET {
			return unix.EINVAL
		}
		group := netip.AddrFrom4([4]byte(sa[4:8]))
		if !group.IsMulticast() {
			return unix.EINVAL
		}
		if index != uint32(loNIC) {
			return unix.ENODEV // ip_mc_find_dev: no such interface, no multicast route
		}
		return s.joinLeave(join, tcpip.MembershipOption{NIC: loNIC, MulticastAddr: tcpip.AddrFrom4(group.As4())})
	}
	if family != unix.AF_INET6 {
		return unix.EADDRNOTAVAIL
	}
	group := netip.AddrFrom16([16]byte(sa[8:24]))
	if !group.IsMulticast() {
		return unix.EINVAL
	}
	if err := s.index6(join, group, index); err != nil {
		return err
	}
	return s.joinLeave(join, tcpip.MembershipOption{NIC: loNIC, MulticastAddr: tcpip.AddrFrom16(group.As16())})
}

// index6 checks the interface index of an IPv6 join or leave
// (__ipv6_sock_mc_join, ipv6_sock_mc_drop): only lo's exists; index 0
// joins by the group's route, which the sandbox lacks (ENODEV), after the
// check that the socket is not in the group on any interface
// (EADDRINUSE), and leaves the group on whichever interface it was
// joined.
func (s *Socket) index6(join bool, group netip.Addr, index uint32) error {
	switch {
	case index == uint32(loNIC):
		return nil
	case index != 0:
		return unix.ENODEV
	case !join:
		return nil
	}
	if s.inGroup(group) {
		return unix.EADDRINUSE
	}
	return unix.ENODEV
}

// inGroup reports whether the socket joined group on some interface.
func (s *Socket) inGroup(group netip.Addr) bool {
	s.sk.rxMu.Lock()
	defer s.sk.rxMu.Unlock()
	return s.sk.inGroupLocked(group)
}

// inGroupLocked reports whether group is one of sk.groups, on any
// interface; rxMu is held.
func (sk *Sock) inGroupLocked(group netip.Addr) bool {
	a := tcpip.AddrFromSlice(group.AsSlice())
	for g := range sk.groups {
		if g.group == a {
			return true
		}
	}
	return false
}

// recordGroupLocked keeps (join) or forgets a membership; rxMu is held.
func (sk *Sock) recordGroupLocked(join bool, g mcGroup) {
	if !join {
		delete(sk.groups, g)
		return
	}
	if sk.groups == nil {
		sk.groups = make(map[mcGroup]bool)
	}
	sk.groups[g] = true
}

// joinLeave joins or leaves a group: through the gVisor endpoint of a
// datagram socket; a TCP socket (which never receives multicast) only
// keeps the membership, with the same errnos.
func (s *Socket) joinLeave(join bool, m tcpip.MembershipOption) error {
	if s.Type != unix.SOCK_STREAM && s.sk.ep != nil {
		return s.membership(join, m)
	}
	g := mcGroup{m.NIC, m.MulticastAddr}
	s.sk.rxMu.Lock()
	defer s.sk.rxMu.Unlock()
	switch _, in := s.sk.groups[g]; {
	case join && in:
		return unix.EADDRINUSE
	case !join && !in:
		return unix.EADDRNOTAVAIL
	}
	s.sk.recordGroupLocked(join, g)
	return nil
}

// mcGroup is a multicast group joined on an interface.
type mcGroup struct {
	nic   tcpip.NICID
	group tcpip.Address
}

// mcAllows is ip_mc_sf_allow and inet6_mc_check, without source filters:
// a multicast datagram to dst reaches the socket when it joined the group,
// or when IP_MULTICAST_ALL (IPV6_MULTICAST_ALL) is on. rxMu is held.
func (s *Socket) mcAllows(dst netip.Addr) bool {
	if !dst.IsMulticast() {
		return true
	}
	if dst.Is4() && !s.sk.mcAllOff4.Load() || !dst.Is4() && !s.sk.mcAllOff6.Load() {
		return true
	}
	return s.sk.inGroupLocked(dst)
}

// setMembership6 is IPV6_JOIN_GROUP and IPV6_LEAVE_GROUP
// (ipv6_sock_mc_join, ipv6_sock_mc_drop): a struct ipv6_mreq, the group on
// the interface of the index (index6). Not on TCP (EPROTO).
func (s *Socket) setMembership6(join bool, val Optval) error {
	if val.Len() < 20 {
		return unix.EINVAL
	}
	if s.Type == unix.SOCK_STREAM {
		return unix.EPROTO
	}
	b, err := val.Read(20)
	if err != nil {
		return err
	}
	group := netip.AddrFrom16([16]byte(b[0:16]))
	index := binary.LittleEndian.Uint32(b[16:20])
	if !group.IsMulticast() {
		return unix.EINVAL
	}
	if err := s.index6(join, group, index); err != nil {
		return err
	}
	if s.sk.ep == nil {
		return unix.ENODEV
	}
	return s.membership(join, tcpip.MembershipOption{NIC: loNIC, MulticastAddr: tcpip.AddrFrom16(group.As16())})
}

// checkMulticastIf6 is IPV6_MULTICAST_IF: an interface index (0 for none);
// an unknown one is ENODEV. Not on stream sockets (ENOPROTOOPT).
func checkMulticastIf6(s *Socket, v int32, val Optval) (int32, error) {
	if s.Type == unix.SOCK_STREAM {
		return 0, unix.ENOPROTOOPT
	}
	if v != 0 && v != int32(loNIC) {
		return 0, unix.ENODEV
	}
	return v, nil
}

// readMreqn reads a struct ip_mreqn, or the struct ip_mreq at its start
// when optlen is shorter (do_ip_setsockopt): the group, the interface
// address and the interface index.
func readMreqn(val Optval) (group, iface netip.Addr, index uint32, err error) {
	n := min(val.Len(), 12)
	b, err := val.Read(n)
	if err != nil {
		return group, iface, 0, err
	}
	group = netip.AddrFrom4([4]byte(b[0:4]))
	iface = netip.AddrFrom4([4]byte(b[4:8]))
	if n == 12 {
		index = binary.LittleEndian.Uint32(b[8:12])
	}
	return group, iface, index, nil
}

// setMembership is IP_ADD_MEMBERSHIP and IP_DROP_MEMBERSHIP
// (ip_mc_join_group, ip_mc_leave_group): a group on the interface the
// address or index names, or the one the group's route leaves by (none in
// the sandbox: ENODEV). Not on TCP (EPROTO).
func (s *Socket) setMembership(join bool, val Optval) error {
	if s.Type == unix.SOCK_STREAM {
		return unix.EPROTO // before the length, as do_ip_setsockopt
	}
	if val.Len() < 8 {
		return unix.EINVAL
	}
	group, iface, index, err := readMreqn(val)
	if err != nil {
		return err
	}
	if !group.IsMulticast() {
		return unix.EINVAL
	}
	if index != 0 && index != uint32(loNIC) {
		return unix.ENODEV
	}
	if s.sk.ep == nil {
		return unix.ENOPROTOOPT
	}
	m := tcpip.MembershipOption{NIC: tcpip.NICID(index), MulticastAddr: tcpip.AddrFrom4(group.As4())}
	if !iface.IsUnspecified() {
		m.InterfaceAddr = tcpip.AddrFrom4(iface.As4())
	}
	return s.membership(join, m)
}

// membership joins or leaves a group through the gVisor endpoint, with
// Linux's errnos: no interface is ENODEV (ip_mc_find_dev), leaving a group
// the socket is not in EADDRNOTAVAIL, joining twice EADDRINUSE.
func (s *Socket) membership(join bool, m tcpip.MembershipOption) error {
	var terr tcpip.Error
	if join {
		opt := tcpip.AddMembershipOption(m)
		terr = s.sk.ep.SetSockOpt(&opt)
	} else {
		opt := tcpip.RemoveMembershipOption(m)
		terr = s.sk.ep.SetSockOpt(&opt)
	}
	switch terr.(type) {
	case nil:
		// Kept for IP_MULTICAST_ALL's filter (mcAllows).
		s.sk.rxMu.Lock()
		s.sk.recordGroupLocked(join, mcGroup{m.NIC, m.MulticastAddr})
		s.sk.rxMu.Unlock()
		return nil
	case *tcpip.ErrUnknownDevice:
		return unix.ENODEV
	case *tcpip.ErrBadLocalAddress:
		return unix.EADDRNOTAVAIL
	}
	return errnoOf(terr)
}

// setMulticastIf is IP_MULTICAST_IF: the interface multicast datagrams
// leave by, given as an address (struct in_addr), a struct ip_mreq or a
// struct ip_mreqn; INADDR_ANY resets it. An address that is not the
// sandbox's is EADDRNOTAVAIL; not on TCP (EINVAL).
func (s *Socket) setMulticastIf(val Optval) error {
	if s.Type == unix.SOCK_STREAM || val.Len() < 4 {
		return unix.EINVAL
	}
	var addr netip.Addr
	var index uint32
	switch {
	case val.Len() >= 8:
		var err error
		if _, addr, index, err = readMreqn(val); err != nil {
			return err
		}
	default:
		b, err := val.Read(4)
		if err != nil {
			return err
		}
		addr = netip.AddrFrom4([4]byte(b))
	}
	opt := tcpip.MulticastInterfaceOption{}
	switch {
	case index == 0 && addr.IsUnspecified():
	case index == 0 && !s.st.isLocal(addr):
		return unix.EADDRNOTAVAIL
	case index != 0 && index != uint32(loNIC):
		return unix.EADDRNOTAVAIL
	default:
		opt.NIC = loNIC
	}
	if !addr.IsUnspecified() {
		opt.InterfaceAddr = tcpip.AddrFrom4(addr.As4())
	}
	if s.sk.ep != nil {
		if terr := s.sk.ep.SetSockOpt(&opt); terr != nil {
			return errnoOf(terr)
		}
	}
	s.sk.opts.mcAddr = addr
	return nil
}

// getIPSpecial reads the SOL_IP/SOL_IPV6 options the table does not
// describe; done is false for the others.
func (s *Socket) getIPSpecial(level, name, size int) (b []byte, done bool, err error) {
	switch (optKey{level, name}) {
	case optKey{unix.SOL_IPV6, unix.IPV6_PATHMTU}:
		// struct ip6_mtuinfo with only the MTU of the socket's route
		// filled in; no route (not connected): ENOTCONN.
		if size < 32 {
			return nil, true, unix.EINVAL
		}
		mtu, err := getMTU(s)
		if err != nil {
			return nil, true, err
		}
		b := make([]byte, 32)
		binary.LittleEndian.PutUint32(b[28:], uint32(mtu))
		return b, true, nil
	case optKey{unix.SOL_IP, unix.IP_TTL}:
		if v := s.sk.opts.get(level, name); v > 0 {
			return intBytes(v), true, nil
		}
		return intBytes(defaultTTL), true, nil
	case optKey{unix.SOL_IP, unix.IP_MULTICAST_IF}:
		// The interface address set (do_ip_getsockopt answers with an
		// in_addr whatever was given).
		a := s.sk.opts.mcAddr
		if !a.IsValid() {
			a = netip.IPv4Unspecified()
		}
		b := a.As4()
		return b[:], true, nil
	case optKey{unix.SOL_IP, unix.IP_PKTOPTIONS}:
		// TCP keeps the control messages of what it received when asked
		// to (none here: netbox's TCP delivers none); other sockets have
		// no such option.
		if s.Type != unix.SOCK_STREAM {
			return nil, true, unix.ENOPROTOOPT
		}
		return nil, true, nil
	}
	return nil, false, nil
}

// checkTOS is __ip_sock_set_tos: kept in a byte; a stream socket keeps
// its ECN bits.
func checkTOS(s *Socket, v int32, val Optval) (int32, error) {
	v &= 0xFF
	if s.Type == unix.SOCK_STREAM {
		v = v&^3 | s.sk.opts.get(unix.SOL_IP, unix.IP_TOS)&3
	}
	return v, nil
}

// checkTClass is IPV6_TCLASS: -1 is the default (0); a stream socket keeps
// its ECN bits.
func checkTClass(s *Socket, v int32, val Optval) (int32, error) {
	if v == -1 {
		v = 0
	}
	if s.Type == unix.SOCK_STREAM {
		v = v&^3 | s.sk.opts.get(unix.SOL_IPV6, unix.IPV6_TCLASS)&3
	}
	return v, nil
}

// checkMulticastTTL is IP_MULTICAST_TTL: not on stream sockets, at least a
// byte, -1 the default of 1, else 0..255.
func checkMulticastTTL(s *Socket, v int32, val Optval) (int32, error) {
	if s.Type == unix.SOCK_STREAM || val.Len() < 1 {
		return 0, unix.EINVAL
	}
	if v == -1 {
		v = 1
	}
	if v < 0 || v > 255 {
		return 0, unix.EINVAL
	}
	return v, nil
}

// checkMulticastHops is IPV6_MULTICAST_HOPS: not on stream sockets
// (ENOPROTOOPT there, before any other check), then an int within
// -1..255, -1 being the default of 1.
func checkMulticastHops(s *Socket, v int32, val Optval) (int32, error) {
	if s.Type == unix.SOCK_STREAM {
		return 0, unix.ENOPROTOOPT
	}
	if val.Len() < 4 || v < -1 || v > 255 {
		return 0, unix.EINVAL
	}
	if v == -1 {
		v = 1
	}
	return v, nil
}

// checkRouterAlert is ip_ra_control: only a raw socket other than
// IPPROTO_RAW's takes IP_ROUTER_ALERT (EINVAL); turning it on twice is
// EADDRINUSE, off when it is not on ENOBUFS. No packet with the router
// alert option is forwarded through the sandbox, so none is delivered.
func checkRouterAlert(s *Socket, v int32, val Optval) (int32, error) {
	if s.Type != unix.SOCK_RAW || s.Protocol == unix.IPPROTO_RAW {
		return 0, unix.EINVAL
	}
	switch on := s.sk.opts.get(unix.SOL_IP, unix.IP_ROUTER_ALERT) != 0; {
	case v != 0 && on:
		return 0, unix.EADDRINUSE
	case v == 0 && !on:
		return 0, unix.ENOBUFS
	}
	return v, nil
}

// getMulticastAll is IP_MULTICAST_ALL: on by default for an AF_INET
// socket, off for an AF_INET6 one.
func getMulticastAll(s *Socket) (int32, error) {
	if s.sk.mcAllOff4.Load() {
		return 0, nil
	}
	return 1, nil
}

// datagramOnly: an option of raw and datagram sockets (IP_RECVFRAGSIZE),
// EINVAL on TCP.
func datagramOnly(s *Socket, v int32, val Optval) (int32, error) {
	if s.Type == unix.SOCK_STREAM {
		return 0, unix.EINVAL
	}
	return v, nil
}

// getIPProtocol is IP_PROTOCOL: inet_num, a raw socket's protocol or
// another socket's local port (0 until it has one).
func getIPProtocol(s *Socket) (int32, error) {
	if s.Type == unix.SOCK_RAW {
		return int32(s.Protocol), nil
	}
	if !s.sk.bound {
		return 0, nil
	}
	return int32(s.sk.local.Port()), nil
}

// checkUnicastIf is IP_UNICAST_IF: an interface index in network byte
// order (an optlen of exactly an int), 0 for none; one that does not exist is EADDRNOTAVAIL, one other
// than the socket's SO_BINDTODEVICE EINVAL. The value is kept as given
// (it reads back in network byte order).
func checkUnicastIf(s *Socket, v int32, val Optval) (int32, error) {
	if val.Len() != 4 {
		return 0, unix.EINVAL // exactly an int
	}
	index := int32(bits.ReverseBytes32(uint32(v))) // ntohl
	switch {
	case index == 0:
		return 0, nil
	case index != int32(loNIC):
		return 0, unix.EADDRNOTAVAIL
	case s.sk.opts.bindDev != 0 && s.sk.opts.bindDev != index:
		return 0, unix.EINVAL
	}
	return v, nil
}

// getMTU is IP_MTU and IPV6_MTU: the path MTU of a connected socket,
// else ENOTCONN.
func getMTU(s *Socket) (int32, error) {
	if s.State != SSConnected {
		return 0, unix.ENOTCONN
	}
	dst := s.sk.remote.Addr()
	if s.Family == afInet {
		dst = dst.Unmap()
	}
	return int32(s.st.pathMTU(dst)), nil
}

// pathMTU is the MTU of the route to dst (dst_mtu): lo's for the
// sandbox's own addresses, eth0's for the others, or less if an ICMP
// error taught one (pmtu.go); for IPv4 at most IP_MAX_MTU.
func (st *Stack) pathMTU(dst netip.Addr) int {
	mtu := st.deviceMTU(dst)
	if dst.Unmap().Is4() {
		mtu = min(mtu, ipMaxMTU)
	}
	if learned := st.pmtus.get(dst.Unmap()); learned > 0 {
		mtu = min(mtu, learned)
	}
	return mtu
}

// deviceMTU is the MTU of the interface the route to dst leaves by: lo
// for the sandbox's own addresses, eth0 for the others.
func (st *Stack) deviceMTU(dst netip.Addr) int {
	if e := st.opts.Eth0; e != nil && !dst.IsLoopback() && !dst.Unmap().IsLoopback() && !st.isLocal(dst) {
		if mtu := st.eth0MTU.Load(); mtu != 0 {
			return int(mtu)
		}
		return int(e.LinkMTU())
	}
	if mtu := st.loMTU.Load(); mtu != 0 {
		return int(mtu)
	}
	return loMTU
}

// SetEth0MTU makes mtu eth0's MTU, as the program set it on eth0's view
// in its namespace (ip link set eth0 mtu): datagram sizes, IP_MTU and
// what netbox's stack sends through eth0 follow it.
func (st *Stack) SetEth0MTU(mtu uint32) {
	if st.opts.Eth0 == nil || st.eth0MTU.Swap(mtu) == mtu {
		return
	}
	st.gs.SetNICMTU(ethNIC, mtu)
}

// SetLoopbackMTU makes mtu lo's MTU, as the program set it in its
// namespace (SIOCSIFMTU, ip link set lo mtu): datagram sizes, IP_MTU and
// TCP's segments follow it.
func (st *Stack) SetLoopbackMTU(mtu uint32) {
	if st.loMTU.Swap(mtu) == mtu {
		return
	}
	st.gs.SetNICMTU(loNIC, mtu)
	st.gsLite.SetNICMTU(loNIC, mtu)
}

// checkIPv6MTU is setting IPV6_MTU (the fragment size): 0 or at least the
// IPv6 minimum of 1280.
func checkIPv6MTU(s *Socket, v int32, val Optval) (int32, error) {
	if v != 0 && v < 1280 {
		return 0, unix.EINVAL
	}
	return v, nil
}

// getUnicastHops is IPV6_UNICAST_HOPS: the default hop limit until set.
func getUnicastHops(s *Socket) (int32, error) {
	if v := s.sk.opts.get(unix.SOL_IPV6, unix.IPV6_UNICAST_HOPS); v > 0 {
		return v, nil
	}
	return defaultTTL, nil
}

// checkV6Only: IPV6_V6ONLY is fixed once the socket has a port.
func checkV6Only(s *Socket, v int32, val Optval) (int32, error) {
	if s.sk.bound {
		return 0, unix.EINVAL
	}
	return v, nil
}

// getV6Only reads IPV6_V6ONLY, which binding to an IPv6 address sets too.
func getV6Only(s *Socket) (int32, error) {
	if s.sk.v6only {
		return 1, nil
	}
	return 0, nil
}

// checkCscov is UDPLITE_SEND_CSCOV and UDPLITE_RECV_CSCOV: UDP-Lite only;
// a coverage below the header's 8 bytes is 8, above 0xFFFF is 0xFFFF. The
// coverage is kept and read back; gVisor checksums every datagram whole.
func checkCscov(s *Socket, v int32, val Optval) (int32, error) {
	if s.Protocol != unix.IPPROTO_UDPLITE {
		return 0, unix.ENOPROTOOPT
	}
	switch {
	case v != 0 && v < 8:
		v = 8
	case v > 0xFFFF:
		v = 0xFFFF
	}
	return v, nil
}
