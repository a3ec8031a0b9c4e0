package netstack

import (
	"encoding/binary"
	"os"
	"strconv"
	"strings"
	"time"

	"golang.org/x/sys/unix"
)

// Buffer limits, as on the host (net.core.{r,w}mem_max, tcp_{r,w}mem[1]).
var (
	rmemMax    = sysctlInt("/proc/sys/net/core/rmem_max", 0, 212992)
	wmemMax    = sysctlInt("/proc/sys/net/core/wmem_max", 0, 212992)
	rmemDef    = sysctlInt("/proc/sys/net/core/rmem_default", 0, 212992)
	wmemDef    = sysctlInt("/proc/sys/net/core/wmem_default", 0, 212992)
	tcpRmemDef = sysctlInt("/proc/sys/net/ipv4/tcp_rmem", 1, 131072)
	tcpWmemDef = sysctlInt("/proc/sys/net/ipv4/tcp_wmem", 1, 16384)
)

// The smallest buffers Linux allows (SOCK_MIN_SNDBUF, SOCK_MIN_RCVBUF on
// x86-64, where SKB_TRUESIZE(2048) rounds to 2304).
const (
	sockMinSndbuf = 4608
	sockMinRcvbuf = 2304
)

func sysctlInt(path string, field, def int) int {
	b, err := os.ReadFile(path)
	if err != nil {
		return def
	}
	f := strings.Fields(string(b))
	if field >= len(f) {
		return def
	}
	v, err := strconv.Atoi(f[field])
	if err != nil {
		return def
	}
	return v
}

// sockOpts is the option state of one socket: SOL_SOCKET's (struct sock's
// fields) and the protocol levels' that netbox keeps itself.
type sockOpts struct {
	flags    map[[2]int]int32 // plain int options by (level, name)
	rcvBuf   int32
	sndBuf   int32
	linger   unix.Linger
	rcvTimeo unix.Timeval
	sndTimeo unix.Timeval
}

func defaultSockOpts(typ int) sockOpts {
	o := sockOpts{flags: make(map[[2]int]int32)}
	if typ == unix.SOCK_STREAM {
		o.rcvBuf, o.sndBuf = int32(tcpRmemDef), int32(tcpWmemDef)
		o.flags[[2]int{unix.SOL_TCP, unix.TCP_KEEPIDLE}] = 7200
		o.flags[[2]int{unix.SOL_TCP, unix.TCP_KEEPINTVL}] = 75
		o.flags[[2]int{unix.SOL_TCP, unix.TCP_KEEPCNT}] = 9
	} else {
		o.rcvBuf, o.sndBuf = int32(rmemDef), int32(wmemDef)
	}
	return o
}

func (o *sockOpts) clone() sockOpts {
	c := *o
	c.flags = make(map[[2]int]int32, len(o.flags))
	for k, v := range o.flags {
		c.flags[k] = v
	}
	return c
}

func (o *sockOpts) get(level, name int) int32    { return o.flags[[2]int{level, name}] }
func (o *sockOpts) set(level, name int, v int32) { o.flags[[2]int{level, name}] = v }

// optKey is an option's (level, name).
type optKey = [2]int

// optKind says how an option's value is laid out and checked.
type optKind int

const (
	optBool  optKind = iota // int, stored as 0/1
	optInt                  // int, stored as given
	optRange                // int within [min, max], else EINVAL
)

type optSpec struct {
	kind     optKind
	min, max int32
	def      int32
	readOnly bool
	// noSet marks options whose value reads as Linux's default but whose
	// effect netbox does not implement yet: setting one is ENOPROTOOPT,
	// never a silent success.
	noSet bool
}

// intOpts are the int-valued options netbox serves, by (level, name). The
// ones with special layouts or side effects are handled beside them.
var intOpts = map[[2]int]optSpec{
	optKey{unix.SOL_SOCKET, unix.SO_DEBUG}:     {kind: optBool},
	optKey{unix.SOL_SOCKET, unix.SO_REUSEADDR}: {kind: optBool},
	optKey{unix.SOL_SOCKET, unix.SO_REUSEPORT}: {kind: optBool},
	optKey{unix.SOL_SOCKET, unix.SO_KEEPALIVE}: {kind: optBool},
	optKey{unix.SOL_SOCKET, unix.SO_DONTROUTE}: {kind: optBool},
	optKey{unix.SOL_SOCKET, unix.SO_BROADCAST}: {kind: optBool},
	optKey{unix.SOL_SOCKET, unix.SO_OOBINLINE}: {kind: optBool},
	optKey{unix.SOL_SOCKET, unix.SO_NO_CHECK}:  {kind: optBool},
	optKey{unix.SOL_SOCKET, unix.SO_PRIORITY}:  {kind: optInt},
	optKey{unix.SOL_SOCKET, unix.SO_MARK}:      {kind: optInt},
	optKey{unix.SOL_SOCKET, unix.SO_RCVLOWAT}:  {kind: optInt, def: 1},
	optKey{unix.SOL_SOCKET, unix.SO_SNDLOWAT}:  {kind: optInt, def: 1, readOnly: true},

	optKey{unix.SOL_TCP, unix.TCP_NODELAY}:      {kind: optBool},
	optKey{unix.SOL_TCP, unix.TCP_CORK}:         {kind: optBool},
	optKey{unix.SOL_TCP, unix.TCP_QUICKACK}:     {kind: optBool, def: 1},
	optKey{unix.SOL_TCP, unix.TCP_KEEPIDLE}:     {kind: optRange, min: 1, max: 32767},
	optKey{unix.SOL_TCP, unix.TCP_KEEPINTVL}:    {kind: optRange, min: 1, max: 32767},
	optKey{unix.SOL_TCP, unix.TCP_KEEPCNT}:      {kind: optRange, min: 1, max: 127},
	optKey{unix.SOL_TCP, unix.TCP_USER_TIMEOUT}: {kind: optRange, min: 0, max: 1<<31 - 1},
	optKey{unix.SOL_TCP, unix.TCP_LINGER2}:      {kind: optInt, def: 60},
	optKey{unix.SOL_TCP, unix.TCP_DEFER_ACCEPT}: {kind: optInt},
	optKey{unix.SOL_TCP, unix.TCP_FASTOPEN}:     {kind: optInt},

	optKey{unix.SOL_IP, unix.IP_TOS}:            {kind: optInt},
	optKey{unix.SOL_IP, unix.IP_RECVERR}:        {kind: optBool},
	optKey{unix.SOL_IP, unix.IP_FREEBIND}:       {kind: optBool},
	optKey{unix.SOL_IP, unix.IP_MULTICAST_LOOP}: {kind: optBool, def: 1},
	optKey{unix.SOL_IPV6, unix.IPV6_RECVERR}:    {kind: optBool},
	optKey{unix.SOL_IPV6, unix.IPV6_TCLASS}:     {kind: optInt},

	// What recvmsg's control messages report (dgram_cmsg.go). TCP
	// takes them too and delivers none, as Linux.
	optKey{unix.SOL_IP, unix.IP_PKTINFO}:             {kind: optBool},
	optKey{unix.SOL_IP, unix.IP_RECVTTL}:             {kind: optBool},
	optKey{unix.SOL_IP, unix.IP_RECVTOS}:             {kind: optBool},
	optKey{unix.SOL_IP, unix.IP_RECVORIGDSTADDR}:     {kind: optBool},
	optKey{unix.SOL_IPV6, unix.IPV6_RECVPKTINFO}:     {kind: optBool},
	optKey{unix.SOL_IPV6, unix.IPV6_RECVHOPLIMIT}:    {kind: optBool},
	optKey{unix.SOL_IPV6, unix.IPV6_RECVTCLASS}:      {kind: optBool},
	optKey{unix.SOL_IPV6, unix.IPV6_RECVORIGDSTADDR}: {kind: optBool},

	optKey{unix.SOL_UDP, unix.UDP_CORK}:             {kind: optBool, noSet: true},
	optKey{unix.SOL_IP, unix.IP_MULTICAST_TTL}:      {kind: optInt, def: 1, noSet: true},
	optKey{unix.SOL_IP, unix.IP_MTU_DISCOVER}:       {kind: optInt, def: 1, noSet: true},
	optKey{unix.SOL_IPV6, unix.IPV6_MULTICAST_HOPS}: {kind: optInt, def: 1, noSet: true},
	optKey{unix.SOL_SOCKET, unix.SO_PASSCRED}:       {kind: optBool, noSet: true},
}

// UDP-Lite's level and options (linux/udp.h), which x/sys lacks.
const (
	solUDPLite       = unix.IPPROTO_UDPLITE
	udpliteSendCscov = 10
	udpliteRecvCscov = 11
)

// placeholderOpts are the options the placeholder itself serves, set and
// read natively: the receive timestamps, which the host kernel takes when
// a datagram (or stream data) is queued on it, exactly as Linux's
// sock_setsockopt keeps them (SO_TIMESTAMPNS implies SO_TIMESTAMP's flag,
// and so on).
var placeholderOpts = map[[2]int]bool{
	optKey{unix.SOL_SOCKET, unix.SO_TIMESTAMP}:       true,
	optKey{unix.SOL_SOCKET, unix.SO_TIMESTAMPNS}:     true,
	optKey{unix.SOL_SOCKET, unix.SO_TIMESTAMP_NEW}:   true,
	optKey{unix.SOL_SOCKET, unix.SO_TIMESTAMPNS_NEW}: true,
}

// intOf decodes an int option value as do_sock_setsockopt does: optlen
// shorter than an int is EINVAL.
func intOf(val Optval) (int32, error) {
	b, err := readOpt(val, 4)
	if err != nil {
		return 0, err
	}
	return int32(binary.LittleEndian.Uint32(b)), nil
}

// ipIntOf decodes an int option value as do_ip_setsockopt does: an optlen
// shorter than an int gives the first byte, and an optlen of 0 the value 0,
// except for the options that want at least a byte (EINVAL).
func ipIntOf(name int, val Optval) (int32, error) {
	switch {
	case val.Len() >= 4:
		return intOf(val)
	case val.Len() >= 1:
		b, err := val.Read(1)
		if err != nil {
			return 0, err
		}
		return int32(b[0]), nil
	}
	switch name {
	case unix.IP_TTL, unix.IP_MULTICAST_TTL, unix.IP_MULTICAST_LOOP, unix.IP_MINTTL:
		return 0, unix.EINVAL
	}
	return 0, nil
}

// readOpt reads an option value of n bytes: a shorter optlen is EINVAL.
func readOpt(val Optval, n int) ([]byte, error) {
	if val.Len() < n {
		return nil, unix.EINVAL
	}
	return val.Read(n)
}

func intBytes(v int32) []byte {
	b := make([]byte, 4)
	binary.LittleEndian.PutUint32(b, uint32(v))
	return b
}

// setSockOpt is the shared part of every inet socket's setsockopt, like
// sock_setsockopt, do_tcp_setsockopt and do_ip_setsockopt for the options
// whose state netbox keeps itself. It returns ENOPROTOOPT for an option it
// does not know; the caller tries the protocol's own first when it has any.
func (s *Socket) setSockOpt(f int, level, name int, val Optval) error {
	o := &s.sk.opts
	switch (optKey{level, name}) {
	case optKey{unix.SOL_SOCKET, unix.SO_TYPE}, optKey{unix.SOL_SOCKET, unix.SO_ERROR},
		optKey{unix.SOL_SOCKET, unix.SO_DOMAIN}, optKey{unix.SOL_SOCKET, unix.SO_PROTOCOL},
		optKey{unix.SOL_SOCKET, unix.SO_ACCEPTCONN}, optKey{unix.SOL_SOCKET, unix.SO_PEERCRED},
		optKey{unix.SOL_TCP, unix.TCP_INFO}:
		return unix.ENOPROTOOPT
	case optKey{unix.SOL_SOCKET, unix.SO_SNDBUF}, optKey{unix.SOL_SOCKET, unix.SO_SNDBUFFORCE}:
		v, err := bufSize(val, name == unix.SO_SNDBUF, wmemMax, sockMinSndbuf)
		if err == nil {
			o.sndBuf = v
		}
		return err
	case optKey{unix.SOL_SOCKET, unix.SO_RCVBUF}, optKey{unix.SOL_SOCKET, unix.SO_RCVBUFFORCE}:
		v, err := bufSize(val, name == unix.SO_RCVBUF, rmemMax, sockMinRcvbuf)
		if err == nil {
			o.rcvBuf = v
		}
		return err
	case optKey{unix.SOL_SOCKET, unix.SO_LINGER}:
		b, err := readOpt(val, 8)
		if err != nil {
			return err
		}
		// Like sk_setsockopt: l_linger only counts when l_onoff is set.
		if binary.LittleEndian.Uint32(b) == 0 {
			o.linger.Onoff = 0
		} else {
			o.linger = unix.Linger{Onoff: 1, Linger: int32(binary.LittleEndian.Uint32(b[4:]))}
		}
		return nil
	case optKey{unix.SOL_SOCKET, unix.SO_RCVTIMEO}, optKey{unix.SOL_SOCKET, unix.SO_SNDTIMEO}:
		tv, err := timevalOf(val)
		if err != nil {
			return err
		}
		if name == unix.SO_RCVTIMEO {
			o.rcvTimeo = tv
		} else {
			o.sndTimeo = tv
		}
		// The data path is native: the placeholder must time out too.
		if f >= 0 {
			unix.SetsockoptTimeval(f, unix.SOL_SOCKET, name, &tv)
		}
		return nil
	case optKey{unix.SOL_IP, unix.IP_TTL}:
		v, err := ipIntOf(name, val)
		if err != nil {
			return err
		}
		if v != -1 && (v < 1 || v > 255) {
			return unix.EINVAL
		}
		o.set(level, name, v)
		s.applyIPHeader()
		return nil
	case optKey{unix.SOL_IPV6, unix.IPV6_UNICAST_HOPS}:
		v, err := intOf(val)
		if err != nil {
			return err
		}
		if v < -1 || v > 255 {
			return unix.EINVAL
		}
		o.set(level, name, v)
		s.applyIPHeader()
		return nil
	case optKey{solUDPLite, udpliteSendCscov}, optKey{solUDPLite, udpliteRecvCscov},
		optKey{unix.SOL_UDP, udpliteSendCscov}, optKey{unix.SOL_UDP, udpliteRecvCscov}:
		// udp_lib_setsockopt: UDP-Lite only; a coverage below the
		// header's 8 bytes is 8, above 0xFFFF is 0xFFFF. The coverage is
		// kept and read back; gVisor checksums every datagram whole.
		if s.Protocol != unix.IPPROTO_UDPLITE {
			return unix.ENOPROTOOPT
		}
		v, err := intOf(val)
		if err != nil {
			return err
		}
		switch {
		case v != 0 && v < 8:
			v = 8
		case v > 0xFFFF:
			v = 0xFFFF
		}
		o.set(solUDPLite, name, v)
		return nil
	case optKey{unix.SOL_IPV6, unix.IPV6_V6ONLY}:
		if s.Family != afInet6 {
			return unix.ENOPROTOOPT
		}
		v, err := intOf(val)
		if err != nil {
			return err
		}
		// Like do_ipv6_setsockopt: fixed once the socket has a port.
		if s.sk.bound {
			return unix.EINVAL
		}
		s.sk.v6only = v != 0
		if s.sk.ep != nil {
			s.sk.ep.SocketOptions().SetV6Only(v != 0)
		}
		return nil
	}
	if placeholderOpts[optKey{level, name}] {
		v, err := intOf(val)
		if err != nil {
			return err
		}
		if f < 0 {
			return unix.ENOPROTOOPT
		}
		return unix.SetsockoptInt(f, level, name, int(v))
	}
	spec, ok := intOpts[[2]int{level, name}]
	if !ok || !levelApplies(s, level) {
		return unix.ENOPROTOOPT
	}
	if spec.readOnly || spec.noSet {
		return unix.ENOPROTOOPT
	}
	decode := intOf
	if level == unix.SOL_IP {
		decode = func(val Optval) (int32, error) { return ipIntOf(name, val) }
	}
	v, err := decode(val)
	if err != nil {
		return err
	}
	switch spec.kind {
	case optBool:
		if v != 0 {
			v = 1
		}
	case optRange:
		if v < spec.min || v > spec.max {
			return unix.EINVAL
		}
	}
	if level == unix.SOL_SOCKET && name == unix.SO_RCVLOWAT && v == 0 {
		v = 1
	}
	o.set(level, name, v)
	switch (optKey{level, name}) {
	case optKey{unix.SOL_IP, unix.IP_TOS}, optKey{unix.SOL_IPV6, unix.IPV6_TCLASS}:
		s.applyIPHeader()
	case optKey{unix.SOL_IP, unix.IP_RECVERR}, optKey{unix.SOL_IPV6, unix.IPV6_RECVERR}:
		s.setRecvErr(level == unix.SOL_IP, v != 0)
	}
	if s.sk.ep != nil {
		so := s.sk.ep.SocketOptions()
		switch (optKey{level, name}) {
		case optKey{unix.SOL_SOCKET, unix.SO_REUSEADDR}:
			so.SetReuseAddress(v != 0)
		case optKey{unix.SOL_SOCKET, unix.SO_REUSEPORT}:
			so.SetReusePort(v != 0)
		case optKey{unix.SOL_SOCKET, unix.SO_BROADCAST}:
			so.SetBroadcast(v != 0)
		}
	}
	return nil
}

// bufSize is SO_{SND,RCV}BUF[FORCE] as sk_setsockopt computes it: the
// value is taken as unsigned (a negative one is huge), clamped to the
// sysctl maximum unless forced, doubled, and kept above the minimum.
func bufSize(val Optval, clamp bool, sysMax int, minimum int32) (int32, error) {
	v, err := intOf(val)
	if err != nil {
		return 0, err
	}
	u := uint32(v)
	if clamp && u > uint32(sysMax) {
		u = uint32(sysMax)
	}
	u = min(u, 1<<30)
	return max(int32(u)*2, minimum), nil
}

// levelApplies reports whether a protocol level exists for the socket:
// SOL_TCP only on TCP sockets, SOL_IPV6 only on AF_INET6 ones.
func levelApplies(s *Socket, level int) bool {
	switch level {
	case unix.SOL_SOCKET, unix.SOL_IP:
		return true
	case unix.SOL_TCP:
		return s.Protocol == unix.IPPROTO_TCP
	case unix.SOL_UDP, solUDPLite:
		// udp_setsockopt takes both levels, on UDP and UDP-Lite.
		return s.Protocol == unix.IPPROTO_UDP || s.Protocol == unix.IPPROTO_UDPLITE
	case unix.SOL_IPV6:
		return s.Family == afInet6
	}
	return false
}

func timevalOf(val Optval) (unix.Timeval, error) {
	b, err := readOpt(val, 16)
	if err != nil {
		return unix.Timeval{}, err
	}
	tv := unix.Timeval{Sec: int64(binary.LittleEndian.Uint64(b)), Usec: int64(binary.LittleEndian.Uint64(b[8:]))}
	if tv.Usec < 0 || tv.Usec >= 1000000 {
		return tv, unix.EDOM
	}
	if tv.Sec < 0 {
		return unix.Timeval{}, nil
	}
	return tv, nil
}

func timevalBytes(tv unix.Timeval) []byte {
	b := make([]byte, 16)
	binary.LittleEndian.PutUint64(b, uint64(tv.Sec))
	binary.LittleEndian.PutUint64(b[8:], uint64(tv.Usec))
	return b
}

// getSockOpt is the shared part of getsockopt (sk_getsockopt and the
// protocols' do_*_getsockopt). It returns the whole value; the caller
// truncates it to the program's optlen as Linux does.
func (s *Socket) getSockOpt(f int, level, name int) ([]byte, error) {
	o := &s.sk.opts
	switch (optKey{level, name}) {
	case optKey{unix.SOL_SOCKET, unix.SO_TYPE}:
		return intBytes(int32(s.Type)), nil
	case optKey{unix.SOL_SOCKET, unix.SO_DOMAIN}:
		return intBytes(int32(s.Family)), nil
	case optKey{unix.SOL_SOCKET, unix.SO_PROTOCOL}:
		return intBytes(int32(s.Protocol)), nil
	case optKey{unix.SOL_SOCKET, unix.SO_ACCEPTCONN}:
		if s.sk.listening {
			return intBytes(1), nil
		}
		return intBytes(0), nil
	case optKey{unix.SOL_SOCKET, unix.SO_ERROR}:
		var err error
		if s.Type == unix.SOCK_DGRAM {
			err = s.takeDgramError()
		} else {
			err = s.sk.err
			s.sk.err = nil
			if err == nil {
				err = s.sk.netErr.take()
			}
		}
		if s.Type == unix.SOCK_STREAM && err == nil && f >= 0 {
			// A native connection's errors (a reset: the peer closed
			// with data unread) are the placeholder's own.
			if v, gerr := unix.GetsockoptInt(f, unix.SOL_SOCKET, unix.SO_ERROR); gerr == nil && v != 0 {
				err = unix.Errno(v)
			}
		}
		if e, ok := err.(unix.Errno); ok {
			return intBytes(int32(e)), nil
		}
		return intBytes(0), nil
	case optKey{unix.SOL_SOCKET, unix.SO_SNDBUF}:
		return intBytes(o.sndBuf), nil
	case optKey{unix.SOL_SOCKET, unix.SO_RCVBUF}:
		return intBytes(o.rcvBuf), nil
	case optKey{unix.SOL_SOCKET, unix.SO_LINGER}:
		b := make([]byte, 8)
		binary.LittleEndian.PutUint32(b, uint32(o.linger.Onoff))
		binary.LittleEndian.PutUint32(b[4:], uint32(o.linger.Linger))
		return b, nil
	case optKey{unix.SOL_SOCKET, unix.SO_RCVTIMEO}:
		return timevalBytes(o.rcvTimeo), nil
	case optKey{unix.SOL_SOCKET, unix.SO_SNDTIMEO}:
		return timevalBytes(o.sndTimeo), nil
	case optKey{unix.SOL_IP, unix.IP_TTL}:
		if v := o.get(level, name); v > 0 {
			return intBytes(v), nil
		}
		return intBytes(64), nil
	case optKey{unix.SOL_IPV6, unix.IPV6_UNICAST_HOPS}:
		if s.Family != afInet6 {
			return nil, unix.ENOPROTOOPT
		}
		if v := o.get(level, name); v > 0 {
			return intBytes(v), nil
		}
		return intBytes(64), nil
	case optKey{solUDPLite, udpliteSendCscov}, optKey{solUDPLite, udpliteRecvCscov},
		optKey{unix.SOL_UDP, udpliteSendCscov}, optKey{unix.SOL_UDP, udpliteRecvCscov}:
		if !levelApplies(s, level) {
			break
		}
		// 0 on UDP sockets: the whole datagram is covered.
		return intBytes(o.get(solUDPLite, name)), nil
	case optKey{unix.SOL_IPV6, unix.IPV6_V6ONLY}:
		if s.Family != afInet6 {
			return nil, unix.ENOPROTOOPT
		}
		if s.sk.v6only {
			return intBytes(1), nil
		}
		return intBytes(0), nil
	}
	if placeholderOpts[optKey{level, name}] {
		if f < 0 {
			return intBytes(0), nil
		}
		v, err := unix.GetsockoptInt(f, level, name)
		if err != nil {
			return nil, err
		}
		return intBytes(int32(v)), nil
	}
	if !levelApplies(s, level) && s.Family == afInet {
		// The protocol hands a level it does not know to
		// ip_getsockopt, whose answer is EOPNOTSUPP (setsockopt's is
		// ENOPROTOOPT); ipv6_getsockopt answers ENOPROTOOPT.
		return nil, unix.EOPNOTSUPP
	}
	spec, ok := intOpts[[2]int{level, name}]
	if !ok || !levelApplies(s, level) {
		return nil, unix.ENOPROTOOPT
	}
	v, set := o.flags[[2]int{level, name}]
	if !set {
		v = spec.def
	}
	return intBytes(v), nil
}

// applyIPHeader passes the IP header options on to the gVisor endpoint,
// when the socket has one.
func (s *Socket) applyIPHeader() {
	if s.sk.ep != nil {
		s.sk.opts.applyIPHeader(s.sk.ep)
	}
}

// Timeout is SO_SNDTIMEO (send) or SO_RCVTIMEO: how long a blocking call
// on the socket waits; 0 is forever.
func (s *Socket) Timeout(send bool) time.Duration {
	s.mu.Lock()
	defer s.mu.Unlock()
	tv := s.sk.opts.rcvTimeo
	if send {
		tv = s.sk.opts.sndTimeo
	}
	return time.Duration(tv.Sec)*time.Second + time.Duration(tv.Usec)*time.Microsecond
}

// SetError records a pending error (sk_err), reported by the next call or
// SO_ERROR.
func (s *Socket) SetError(err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.sk.err = err
}
