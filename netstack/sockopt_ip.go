package netstack

import "golang.org/x/sys/unix"

// SOL_IP and SOL_IPV6 options beyond the plain ints: their checks, the
// values computed on reading, and IP_PKTOPTIONS. Like do_ip_setsockopt,
// do_ip_getsockopt, do_ipv6_setsockopt and do_ipv6_getsockopt.

// loMTU is the sandbox's lo MTU; IPv4 reports at most IP_MAX_MTU.
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
	}
	return false, nil
}

// getIPSpecial reads the SOL_IP/SOL_IPV6 options the table does not
// describe; done is false for the others.
func (s *Socket) getIPSpecial(level, name int) (b []byte, done bool, err error) {
	switch (optKey{level, name}) {
	case optKey{unix.SOL_IP, unix.IP_TTL}:
		if v := s.sk.opts.get(level, name); v > 0 {
			return intBytes(v), true, nil
		}
		return intBytes(defaultTTL), true, nil
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

// notRaw: the option exists only on raw sockets (IP_ROUTER_ALERT's
// ip_ra_control: EINVAL elsewhere).
func notRaw(s *Socket, v int32, val Optval) (int32, error) {
	return 0, unix.EINVAL
}

// getMTU is IP_MTU and IPV6_MTU: the path MTU of a connected socket (the
// loopback's), else ENOTCONN.
func getMTU(s *Socket) (int32, error) {
	if s.State != SSConnected {
		return 0, unix.ENOTCONN
	}
	if s.Family == afInet {
		return ipMaxMTU, nil
	}
	return loMTU, nil
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
