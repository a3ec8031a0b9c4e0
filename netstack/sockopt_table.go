package netstack

import "golang.org/x/sys/unix"

// Option numbers x/sys lacks (linux/in.h, linux/in6.h, linux/udp.h,
// asm-generic/socket.h).
const (
	solUDPLite       = unix.IPPROTO_UDPLITE
	udpliteSendCscov = 10
	udpliteRecvCscov = 11
	udpNoCheck6Tx    = 101
	udpNoCheck6Rx    = 102
	soBSDCompat      = 14
	ipRecvRetopts    = unix.IP_RETOPTS
	tcpIsMPTCP       = 43
)

// The capabilities option checks ask for (linux/capability.h).
const (
	capNetBindService = 10
	capNetAdmin       = 12
	capNetRaw         = 13
)

// intOpts are the int-valued options netbox serves, by (level, name). The
// ones with other layouts (structs, strings) are handled beside them, in
// the level's file.
var intOpts = map[[2]int]optSpec{
	// SOL_SOCKET (sk_setsockopt, sk_getsockopt).
	optKey{unix.SOL_SOCKET, unix.SO_DEBUG}:     {kind: optBool, check: checkDebug},
	optKey{unix.SOL_SOCKET, unix.SO_REUSEADDR}: {kind: optBool},
	optKey{unix.SOL_SOCKET, unix.SO_REUSEPORT}: {kind: optBool},
	optKey{unix.SOL_SOCKET, unix.SO_KEEPALIVE}: {kind: optBool},
	optKey{unix.SOL_SOCKET, unix.SO_DONTROUTE}: {kind: optBool},
	optKey{unix.SOL_SOCKET, unix.SO_BROADCAST}: {kind: optBool},
	optKey{unix.SOL_SOCKET, unix.SO_NO_CHECK}:  {kind: optBool},
	optKey{unix.SOL_SOCKET, soBSDCompat}:       {kind: optInt, check: ignoreValue},
	optKey{unix.SOL_SOCKET, unix.SO_PRIORITY}:  {kind: optInt, check: checkPriority},
	optKey{unix.SOL_SOCKET, unix.SO_MARK}:      {kind: optInt, check: checkMark},
	optKey{unix.SOL_SOCKET, unix.SO_SNDLOWAT}:  {kind: optInt, def: 1, readOnly: true},
	// Flags without an effect in the sandbox: no Wi-Fi, no FCS to keep,
	// no socket filter to lock, no NAPI, no busy polling device.
	optKey{unix.SOL_SOCKET, unix.SO_WIFI_STATUS}:      {kind: optBool},
	optKey{unix.SOL_SOCKET, unix.SO_NOFCS}:            {kind: optBool},
	optKey{unix.SOL_SOCKET, unix.SO_LOCK_FILTER}:      {kind: optBool, check: checkLockFilter},
	optKey{unix.SOL_SOCKET, unix.SO_PREFER_BUSY_POLL}: {kind: optBool, check: checkPreferBusyPoll},
	optKey{unix.SOL_SOCKET, unix.SO_INCOMING_NAPI_ID}: {kind: optInt, readOnly: true},
	// SO_SELECT_ERR_QUEUE is kept and read back; the POLLPRI it adds for
	// a queued error is not raised on the placeholder.
	optKey{unix.SOL_SOCKET, unix.SO_SELECT_ERR_QUEUE}: {kind: optBool},
	// bpf_tell_extensions: SKF_AD_MAX.
	optKey{unix.SOL_SOCKET, unix.SO_BPF_EXTENSIONS}: {kind: optInt, def: 64, readOnly: true},

	// SOL_IP (do_ip_setsockopt, do_ip_getsockopt).
	optKey{unix.SOL_IP, unix.IP_TOS}:                  {kind: optInt, check: checkTOS},
	optKey{unix.SOL_IP, unix.IP_RECVERR}:              {kind: optBool},
	optKey{unix.SOL_IP, unix.IP_FREEBIND}:             {kind: optBool, noSet: true},
	optKey{unix.SOL_IP, unix.IP_BIND_ADDRESS_NO_PORT}: {kind: optBool},
	optKey{unix.SOL_IP, unix.IP_MULTICAST_LOOP}:       {kind: optBool, def: 1},
	optKey{unix.SOL_IP, unix.IP_MULTICAST_ALL}:        {kind: optRange, min: 0, max: 1, get: getMulticastAll},
	// IP_CHECKSUM's control message needs CHECKSUM_COMPLETE, which lo
	// never gives; IP_RECVFRAGSIZE's a reassembled datagram, which
	// netbox does not tell apart; IP_RECVERR_RFC4884's an ICMP error
	// with extensions, whose extensions netbox does not parse.
	optKey{unix.SOL_IP, unix.IP_CHECKSUM}:            {kind: optBool},
	optKey{unix.SOL_IP, unix.IP_RECVFRAGSIZE}:        {kind: optBool, check: datagramOnly},
	optKey{unix.SOL_IP, unix.IP_RECVERR_RFC4884}:     {kind: optRange, min: 0, max: 1},
	optKey{unix.SOL_IP, unix.IP_PROTOCOL}:            {kind: optInt, readOnly: true, get: getIPProtocol},
	optKey{unix.SOL_IP, unix.IP_UNICAST_IF}:          {kind: optInt, check: checkUnicastIf},
	optKey{unix.SOL_IP, unix.IP_MULTICAST_TTL}:       {kind: optInt, def: 1, check: checkMulticastTTL},
	optKey{unix.SOL_IP, unix.IP_MTU_DISCOVER}:        {kind: optRange, min: 0, max: 5, def: 1},
	optKey{unix.SOL_IP, unix.IP_MTU}:                 {kind: optInt, readOnly: true, get: getMTU},
	optKey{unix.SOL_IP, unix.IP_RECVOPTS}:            {kind: optBool},
	optKey{unix.SOL_IP, ipRecvRetopts}:               {kind: optBool},
	optKey{unix.SOL_IP, unix.IP_PASSSEC}:             {kind: optBool},
	optKey{unix.SOL_IP, unix.IP_HDRINCL}:             {kind: optBool, readOnly: true},
	optKey{unix.SOL_IP, unix.IP_NODEFRAG}:            {kind: optBool, readOnly: true},
	optKey{unix.SOL_IP, unix.IP_ROUTER_ALERT}:        {kind: optBool, check: checkRouterAlert},
	optKey{unix.SOL_IP, unix.IP_PKTINFO}:             {kind: optBool},
	optKey{unix.SOL_IP, unix.IP_RECVTTL}:             {kind: optBool},
	optKey{unix.SOL_IP, unix.IP_RECVTOS}:             {kind: optBool},
	optKey{unix.SOL_IP, unix.IP_RECVORIGDSTADDR}:     {kind: optBool},
	optKey{unix.SOL_IPV6, unix.IPV6_RECVPKTINFO}:     {kind: optBool},
	optKey{unix.SOL_IPV6, unix.IPV6_RECVHOPLIMIT}:    {kind: optBool},
	optKey{unix.SOL_IPV6, unix.IPV6_RECVTCLASS}:      {kind: optBool},
	optKey{unix.SOL_IPV6, unix.IPV6_RECVORIGDSTADDR}: {kind: optBool},

	// SOL_IPV6 (do_ipv6_setsockopt, do_ipv6_getsockopt).
	optKey{unix.SOL_IPV6, unix.IPV6_RECVERR}:        {kind: optBool},
	optKey{unix.SOL_IPV6, unix.IPV6_TCLASS}:         {kind: optRange, min: -1, max: 255, check: checkTClass},
	optKey{unix.SOL_IPV6, unix.IPV6_MULTICAST_HOPS}: {kind: optInt, def: 1, shortZero: true, check: checkMulticastHops},
	optKey{unix.SOL_IPV6, unix.IPV6_MULTICAST_LOOP}: {kind: optRange, min: 0, max: 1, def: 1},
	optKey{unix.SOL_IPV6, unix.IPV6_MULTICAST_ALL}:  {kind: optBool, def: 1},
	// As IP_RECVERR_RFC4884; and the router alert isolation of raw
	// sockets, which receive no router alerts in the sandbox.
	optKey{unix.SOL_IPV6, unix.IPV6_RECVERR_RFC4884}: {kind: optRange, min: 0, max: 1},
	// RFC 2292's receive options (dgram_cmsg.go recvControl).
	optKey{unix.SOL_IPV6, unix.IPV6_2292PKTINFO}:  {kind: optBool},
	optKey{unix.SOL_IPV6, unix.IPV6_2292HOPLIMIT}: {kind: optBool},
	optKey{unix.SOL_IPV6, unix.IPV6_2292HOPOPTS}:  {kind: optBool},
	optKey{unix.SOL_IPV6, unix.IPV6_2292DSTOPTS}:  {kind: optBool},
	optKey{unix.SOL_IPV6, unix.IPV6_2292RTHDR}:    {kind: optBool},
	// RFC 3542's extension header receive options: the sandbox's stack
	// carries no extension headers to report.
	optKey{unix.SOL_IPV6, unix.IPV6_RECVHOPOPTS}: {kind: optBool},
	optKey{unix.SOL_IPV6, unix.IPV6_RECVRTHDR}:   {kind: optBool},
	optKey{unix.SOL_IPV6, unix.IPV6_RECVDSTOPTS}: {kind: optBool},
	// net.ipv6.auto_flowlabels' default; the flow label itself is not
	// generated (gVisor sends 0).
	optKey{unix.SOL_IPV6, unix.IPV6_AUTOFLOWLABEL}:        {kind: optBool, def: 1, shortZero: true},
	optKey{unix.SOL_IPV6, unix.IPV6_UNICAST_IF}:           {kind: optInt, check: checkUnicastIf},
	optKey{unix.SOL_IPV6, unix.IPV6_RECVFRAGSIZE}:         {kind: optBool, shortZero: true},
	optKey{unix.SOL_IPV6, unix.IPV6_ROUTER_ALERT_ISOLATE}: {kind: optBool},
	optKey{unix.SOL_IPV6, unix.IPV6_MULTICAST_IF}:         {kind: optInt, check: checkMulticastIf6},
	optKey{unix.SOL_IPV6, unix.IPV6_MTU_DISCOVER}:         {kind: optRange, min: 0, max: 5, def: 1},
	optKey{unix.SOL_IPV6, unix.IPV6_MTU}:                  {kind: optInt, get: getMTU, check: checkIPv6MTU},
	optKey{unix.SOL_IPV6, unix.IPV6_DONTFRAG}:             {kind: optBool, shortZero: true},
	optKey{unix.SOL_IPV6, unix.IPV6_FREEBIND}:             {kind: optBool, noSet: true},
	optKey{unix.SOL_IPV6, unix.IPV6_UNICAST_HOPS}:         {kind: optRange, min: -1, max: 255, get: getUnicastHops},
	optKey{unix.SOL_IPV6, unix.IPV6_V6ONLY}:               {kind: optBool, check: checkV6Only, get: getV6Only},

	// SOL_TCP (do_tcp_setsockopt, do_tcp_getsockopt).
	optKey{unix.SOL_TCP, unix.TCP_NODELAY}:       {kind: optBool},
	optKey{unix.SOL_TCP, unix.TCP_CORK}:          {kind: optBool},
	optKey{unix.SOL_TCP, unix.TCP_QUICKACK}:      {kind: optBool, def: 1},
	optKey{unix.SOL_TCP, unix.TCP_KEEPIDLE}:      {kind: optRange, min: 1, max: 32767, def: 7200},
	optKey{unix.SOL_TCP, unix.TCP_KEEPINTVL}:     {kind: optRange, min: 1, max: 32767, def: 75},
	optKey{unix.SOL_TCP, unix.TCP_KEEPCNT}:       {kind: optRange, min: 1, max: 127, def: 9},
	optKey{unix.SOL_TCP, unix.TCP_SYNCNT}:        {kind: optRange, min: 1, max: 127, def: int32(tcpSynRetries)},
	optKey{unix.SOL_TCP, unix.TCP_USER_TIMEOUT}:  {kind: optRange, min: 0, max: 1<<31 - 1},
	optKey{unix.SOL_TCP, unix.TCP_LINGER2}:       {kind: optInt, check: checkLinger2, get: getLinger2},
	optKey{unix.SOL_TCP, unix.TCP_DEFER_ACCEPT}:  {kind: optInt, check: checkDeferAccept},
	optKey{unix.SOL_TCP, unix.TCP_FASTOPEN}:      {kind: optInt, check: checkFastOpen},
	optKey{unix.SOL_TCP, unix.TCP_MAXSEG}:        {kind: optInt, check: checkMaxSeg, get: getMaxSeg},
	optKey{unix.SOL_TCP, unix.TCP_WINDOW_CLAMP}:  {kind: optInt, check: checkWindowClamp},
	optKey{unix.SOL_TCP, unix.TCP_NOTSENT_LOWAT}: {kind: optInt},
	// TCP_THIN_DUPACK is accepted and ignored since Linux 4.17; a
	// netbox TCP socket is never an MPTCP subflow.
	optKey{unix.SOL_TCP, unix.TCP_THIN_DUPACK}: {kind: optRange, min: 0, max: 1, check: ignoreValue},
	optKey{unix.SOL_TCP, tcpIsMPTCP}:           {kind: optInt, readOnly: true},
	// TCP_INQ: a TCP_CM_INQ control message on each trapped receive.
	optKey{unix.SOL_TCP, unix.TCP_INQ}: {kind: optBool},

	// SOL_UDP and SOL_UDPLITE (udp_lib_setsockopt, udp_lib_getsockopt).
	optKey{unix.SOL_UDP, unix.UDP_CORK}:    {kind: optBool},                       // set by setCork
	optKey{unix.SOL_UDP, unix.UDP_SEGMENT}: {kind: optRange, min: 0, max: 0xFFFF}, // set by setGSO
	optKey{unix.SOL_UDP, unix.UDP_GRO}:     {kind: optBool},                       // set beside s.sk.gro
	optKey{unix.SOL_UDP, udpNoCheck6Tx}:    {kind: optBool},
	optKey{unix.SOL_UDP, udpNoCheck6Rx}:    {kind: optBool},
	optKey{unix.SOL_UDP, udpliteSendCscov}: {kind: optInt, check: checkCscov, key: optKey{solUDPLite, udpliteSendCscov}},
	optKey{unix.SOL_UDP, udpliteRecvCscov}: {kind: optInt, check: checkCscov, key: optKey{solUDPLite, udpliteRecvCscov}},
	optKey{solUDPLite, udpliteSendCscov}:   {kind: optInt, check: checkCscov},
	optKey{solUDPLite, udpliteRecvCscov}:   {kind: optInt, check: checkCscov},
}

// placeholderOpts are the options the placeholder itself serves, set and
// read natively: sk_setsockopt's generic part behaves the same on the unix
// socket as on the TCP or UDP one it stands for (the receive timestamps,
// which the host takes when data is queued on it; the timeouts and the
// receive low-water mark, which native reads honour; the linger time, with
// Linux's conversions to jiffies and back).
var placeholderOpts = map[[2]int]bool{
	optKey{unix.SOL_SOCKET, unix.SO_TIMESTAMP}:       true,
	optKey{unix.SOL_SOCKET, unix.SO_TIMESTAMPNS}:     true,
	optKey{unix.SOL_SOCKET, unix.SO_TIMESTAMP_NEW}:   true,
	optKey{unix.SOL_SOCKET, unix.SO_TIMESTAMPNS_NEW}: true,
	// Receive timestamping flags (timestamping.go).
	optKey{unix.SOL_SOCKET, unix.SO_TIMESTAMPING_OLD}: true,
	optKey{unix.SOL_SOCKET, unix.SO_TIMESTAMPING_NEW}: true,
	optKey{unix.SOL_SOCKET, unix.SO_RCVTIMEO}:         true,
	optKey{unix.SOL_SOCKET, unix.SO_SNDTIMEO}:         true,
	optKey{unix.SOL_SOCKET, unix.SO_RCVTIMEO_NEW}:     true,
	optKey{unix.SOL_SOCKET, unix.SO_SNDTIMEO_NEW}:     true,
	optKey{unix.SOL_SOCKET, unix.SO_LINGER}:           true,
	optKey{unix.SOL_SOCKET, unix.SO_RCVLOWAT}:         true,
	optKey{unix.SOL_SOCKET, unix.SO_BUSY_POLL}:        true,
	optKey{unix.SOL_SOCKET, unix.SO_INCOMING_CPU}:     true,
	optKey{unix.SOL_SOCKET, unix.SO_PEEK_OFF}:         true,
	// Urgent data travels on the fast path's native connection (AF_UNIX
	// has MSG_OOB), which keeps it inline when this is set.
	optKey{unix.SOL_SOCKET, unix.SO_OOBINLINE}: true,
	// Kept on the placeholder for its read-back; the drop count itself
	// is netbox's (udp_rcvbuf.go), the placeholder drops nothing.
	optKey{unix.SOL_SOCKET, unix.SO_RXQ_OVFL}: true,
}

// inheritedNative are the placeholder options an accepted connection
// takes from its listener, as sk_clone_lock copies them.
var inheritedNative = []int{
	unix.SO_RCVTIMEO, unix.SO_SNDTIMEO, unix.SO_LINGER, unix.SO_RCVLOWAT,
	unix.SO_TIMESTAMP, unix.SO_TIMESTAMPNS, unix.SO_BUSY_POLL, unix.SO_OOBINLINE,
	unix.SO_TIMESTAMPING,
}
