package netstack

import (
	"encoding/binary"
	"net/netip"
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
	tcpRmemMax = sysctlInt("/proc/sys/net/ipv4/tcp_rmem", 2, 6291456)
	// TCP's other defaults the options report.
	tcpSynRetries = sysctlInt("/proc/sys/net/ipv4/tcp_syn_retries", 0, 6)
	tcpFinTimeout = sysctlInt("/proc/sys/net/ipv4/tcp_fin_timeout", 0, 60)
	somaxconn     = sysctlInt("/proc/sys/net/core/somaxconn", 0, 4096)
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
// fields) and the protocol levels' that netbox keeps itself. The options
// the placeholder serves natively (placeholderOpts) live there instead.
type sockOpts struct {
	flags  map[[2]int]int32 // plain int options by (level, name)
	rcvBuf int32
	sndBuf int32
	// rcvBufLocked: the program set SO_RCVBUF (SOCK_RCVBUF_LOCK), which
	// then bounds TCP's SO_RCVLOWAT; sndBufLocked SO_SNDBUF
	// (SOCK_SNDBUF_LOCK). SO_BUF_LOCK sets and reads both.
	rcvBufLocked, sndBufLocked bool
	// rcvTimeo and sndTimeo copy SO_RCVTIMEO and SO_SNDTIMEO as the
	// placeholder rounded them: how long netbox's own waits last.
	rcvTimeo unix.Timeval
	sndTimeo unix.Timeval
	// nativeSet: an option of placeholderOpts was set on the
	// placeholder, which accepted connections then copy.
	nativeSet bool
	// lingerZero: SO_LINGER (kept on the placeholder) is {1, 0}.
	lingerZero bool
	// mcAddr is IP_MULTICAST_IF's interface address.
	mcAddr netip.Addr
	// bindDev is SO_BINDTODEVICE's interface index (0: none).
	bindDev int32
	// congestion is TCP_CONGESTION's algorithm ("": the default).
	congestion string
	// busyPollBudget is SO_BUSY_POLL_BUDGET's, which only
	// CAP_NET_ADMIN may raise.
	busyPollBudget int32
	// maxPacingRate is SO_MAX_PACING_RATE's complement (0: ~0UL, no
	// limit, the default).
	maxPacingRate uint64
}

func defaultSockOpts(typ int) sockOpts {
	o := sockOpts{flags: make(map[[2]int]int32)}
	if typ == unix.SOCK_STREAM {
		o.rcvBuf, o.sndBuf = int32(tcpRmemDef), int32(tcpWmemDef)
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

// value is an int option's value: what was set, else its default.
func (o *sockOpts) value(level, name int) int32 {
	if v, ok := o.flags[[2]int{level, name}]; ok {
		return v
	}
	return intOpts[[2]int{level, name}].def
}

// optKey is an option's (level, name).
type optKey = [2]int

// optKind says how an option's value is checked.
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
	// readOnly options can be read but not set (ENOPROTOOPT, after the
	// level's length check).
	readOnly bool
	// noSet marks options whose value reads as Linux's default but whose
	// effect netbox does not implement yet: setting one is ENOPROTOOPT,
	// never a silent success.
	noSet bool
	// check, when set, validates or transforms a decoded value before it
	// is stored (after kind's checks); s.mu is held.
	check func(s *Socket, v int32, val Optval) (int32, error)
	// get, when set, computes the value read back; s.mu is held.
	get func(s *Socket) (int32, error)
	// shortZero: an optlen shorter than an int is the value 0, not EINVAL
	// (do_ipv6_setsockopt's options without a length check).
	shortZero bool
	// key, when set, is where the value is kept: options Linux keeps in
	// one place under two names (IP_FREEBIND and IPV6_FREEBIND).
	key optKey
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
	case unix.IP_TTL, unix.IP_MULTICAST_TTL, unix.IP_MULTICAST_LOOP, unix.IP_MINTTL, unix.IP_MULTICAST_ALL:
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

// setSockOpt is setsockopt for every inet socket: sk_setsockopt for
// SOL_SOCKET, do_ip_setsockopt, do_ipv6_setsockopt, do_tcp_setsockopt
// and udp_lib_setsockopt for the protocol levels, in Linux's order of
// checks (the level, the length, the option, the value). s.mu is held; f
// is the placeholder.
func (s *Socket) setSockOpt(f int, level, name int, val Optval) error {
	if !levelApplies(s, level) {
		return unix.ENOPROTOOPT
	}
	switch level {
	case unix.SOL_SOCKET:
		if name == unix.SO_BINDTODEVICE {
			return s.setBindToDevice(val)
		}
		// Every other SOL_SOCKET option wants at least an int.
		if val.Len() < 4 {
			return unix.EINVAL
		}
		if name == unix.SO_PEEK_OFF && !s.hasPeekOff() {
			return unix.EOPNOTSUPP
		}
		switch {
		case name == unix.SO_TIMESTAMPING_OLD || name == unix.SO_TIMESTAMPING_NEW:
			return s.setTimestamping(f, name, val)
		case isTimestampOpt(name):
			return s.setTimestamp(f, name, val)
		case placeholderOpts[optKey{level, name}]:
			return s.setNative(f, name, val)
		}
		if done, err := s.setSocketSpecial(f, name, val); done {
			return err
		}
	case unix.SOL_IP, unix.SOL_IPV6:
		if done, err := s.setIPSpecial(level, name, val); done {
			return err
		}
	case unix.SOL_TCP:
		if name == unix.TCP_CONGESTION {
			return s.setCongestion(val)
		}
		if val.Len() < 4 {
			return unix.EINVAL
		}
	case unix.SOL_UDP, solUDPLite:
		if val.Len() < 4 {
			return unix.EINVAL
		}
		if name == unix.UDP_CORK && s.isUDP() {
			return s.setCork(f, val)
		}
		if name == unix.UDP_SEGMENT && s.isUDP() {
			return s.setGSO(f, val)
		}
		if name == unix.UDP_GRO && s.isUDP() {
			v, err := intOf(val)
			if err != nil {
				return err
			}
			var on int32
			if v != 0 {
				on = 1
			}
			s.sk.opts.set(unix.SOL_UDP, unix.UDP_GRO, on)
			s.sk.gro.Store(on == 1)
			return nil
		}
	}
	spec, ok := intOpts[optKey{level, name}]
	if !ok {
		return unix.ENOPROTOOPT
	}
	v, err := decodeInt(level, name, spec, val)
	if err != nil {
		return err
	}
	if spec.readOnly || spec.noSet {
		return unix.ENOPROTOOPT
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
	if spec.check != nil {
		if v, err = spec.check(s, v, val); err != nil {
			return err
		}
	}
	key := optKey{level, name}
	if spec.key != (optKey{}) {
		key = spec.key
	}
	s.sk.opts.set(key[0], key[1], v)
	s.applyOpt(key, v)
	return nil
}

// decodeInt reads an int option as its level does: SOL_IP takes a byte
// from a shorter optlen (ipIntOf), SOL_IPV6 options either want an int or
// (shortZero) take a shorter one as 0, the others want an int.
func decodeInt(level, name int, spec optSpec, val Optval) (int32, error) {
	switch {
	case level == unix.SOL_IP:
		return ipIntOf(name, val)
	case level == unix.SOL_IPV6 && spec.shortZero && val.Len() < 4:
		return 0, nil
	}
	return intOf(val)
}

// applyOpt passes an option that changes what the gVisor endpoint does on
// to it.
func (s *Socket) applyOpt(key optKey, v int32) {
	switch key {
	case optKey{unix.SOL_IP, unix.IP_TOS}, optKey{unix.SOL_IPV6, unix.IPV6_TCLASS},
		optKey{unix.SOL_IPV6, unix.IPV6_UNICAST_HOPS}, optKey{unix.SOL_IP, unix.IP_MTU_DISCOVER}:
		s.applyIPHeader()
	case optKey{unix.SOL_IP, unix.IP_RECVERR}, optKey{unix.SOL_IPV6, unix.IPV6_RECVERR}:
		s.setRecvErr(key[0] == unix.SOL_IP, v != 0)
	case optKey{unix.SOL_IP, unix.IP_MULTICAST_ALL}:
		s.sk.mcAllOff4.Store(v == 0)
	case optKey{unix.SOL_IPV6, unix.IPV6_MULTICAST_ALL}:
		s.sk.mcAllOff6.Store(v == 0)
	case optKey{unix.SOL_IPV6, unix.IPV6_V6ONLY}:
		s.sk.v6only = v != 0
		if s.sk.ep != nil {
			s.sk.ep.SocketOptions().SetV6Only(v != 0)
		}
	}
	if s.sk.ep == nil {
		return
	}
	so := s.sk.ep.SocketOptions()
	switch key {
	case optKey{unix.SOL_SOCKET, unix.SO_REUSEADDR}:
		so.SetReuseAddress(v != 0)
	case optKey{unix.SOL_SOCKET, unix.SO_REUSEPORT}:
		so.SetReusePort(v != 0)
	case optKey{unix.SOL_SOCKET, unix.SO_BROADCAST}:
		so.SetBroadcast(v != 0)
	}
}

// getSockOpt is getsockopt for every inet socket (sk_getsockopt and the
// protocols' do_*_getsockopt). size is the program's optlen: SOL_IP
// answers a shorter one with one byte, as do_ip_getsockopt does; the
// caller truncates the rest to optlen.
func (s *Socket) getSockOpt(f int, level, name int, size int) ([]byte, error) {
	if !levelApplies(s, level) {
		if s.Family == afInet {
			// The protocol hands a level it does not know to
			// ip_getsockopt, whose answer is EOPNOTSUPP (setsockopt's
			// is ENOPROTOOPT); ipv6_getsockopt answers ENOPROTOOPT.
			return nil, unix.EOPNOTSUPP
		}
		return nil, unix.ENOPROTOOPT
	}
	switch level {
	case unix.SOL_SOCKET:
		if name == unix.SO_PEEK_OFF && !s.hasPeekOff() {
			return nil, unix.EOPNOTSUPP
		}
		if isTimestampOpt(name) && s.sk.tsOwn {
			return intBytes(0), nil // the placeholder's is netbox's
		}
		if placeholderOpts[optKey{level, name}] {
			return getNative(f, name)
		}
		if b, done, err := s.getSocketSpecial(f, name, size); done {
			return b, err
		}
	case unix.SOL_IP, unix.SOL_IPV6:
		if b, done, err := s.getIPSpecial(level, name, size); done {
			if name == unix.IP_MULTICAST_IF {
				return b, err // an in_addr, only cut to optlen
			}
			return ipShort(level, size, b), err
		}
	case unix.SOL_TCP:
		if b, done, err := s.getTCPSpecial(f, name); done {
			return b, err
		}
	}
	spec, ok := intOpts[optKey{level, name}]
	if !ok {
		return nil, unix.ENOPROTOOPT
	}
	var v int32
	switch {
	case spec.get != nil:
		var err error
		if v, err = spec.get(s); err != nil {
			return nil, err
		}
	case spec.key != (optKey{}):
		v = s.sk.opts.value(spec.key[0], spec.key[1])
	default:
		v = s.sk.opts.value(level, name)
	}
	return ipShort(level, size, intBytes(v)), nil
}

// ipShort is the end of do_ip_getsockopt: an int asked for with an optlen
// shorter than an int comes back as one byte when it fits in one.
func ipShort(level, size int, b []byte) []byte {
	if level != unix.SOL_IP || size <= 0 || size >= 4 || len(b) != 4 {
		return b
	}
	if v := int32(binary.LittleEndian.Uint32(b)); v >= 0 && v <= 255 {
		return b[:1]
	}
	return b
}

// hasPeekOff reports whether the socket's ops have set_peek_off: TCP's
// and UDP's do, the raw ops (raw and ping sockets) do not.
func (s *Socket) hasPeekOff() bool {
	return s.Type == unix.SOCK_STREAM || s.isUDP()
}

// ignoreValue is an option Linux accepts and ignores (SO_BSDCOMPAT): it
// reads back as 0.
func ignoreValue(*Socket, int32, Optval) (int32, error) { return 0, nil }
