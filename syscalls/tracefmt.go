package syscalls

// Symbolic names for the values --trace decodes, as strace prints them
// (x86-64 numbering, checked against the uapi headers), and the string
// quoting strace uses.

import (
	"fmt"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"
)

// cHex formats v as C's "%#x" does: 0 is "0", anything else "0x…".
func cHex(v uint64) string {
	if v == 0 {
		return "0"
	}
	return "0x" + strconv.FormatUint(v, 16)
}

// xlat maps a value to its name.
type xlat map[uint64]string

// format is the value's name, or strace's rendering of an unknown value:
// the hex number and a comment naming the family of names, as in
// "0x63 /* AF_??? */".
func (x xlat) format(v uint64, unknown string) string {
	if s, ok := x[v]; ok {
		return s
	}
	return cHex(v) + " /* " + unknown + " */"
}

// flagName is one bit (or multi-bit field) of a flag set.
type flagName struct {
	v    uint64
	name string
}

// formatFlags renders v as strace does: the names of the set flags joined
// by "|" in table order, then the leftover bits in hex; 0 is "0".
func formatFlags(v uint64, flags []flagName) string {
	if v == 0 {
		return "0"
	}
	var parts []string
	for _, f := range flags {
		if v&f.v == f.v {
			parts = append(parts, f.name)
			v &^= f.v
		}
	}
	if v != 0 {
		parts = append(parts, cHex(v))
	}
	return strings.Join(parts, "|")
}

// addressFamilies are the AF_ names.
var addressFamilies = xlat{
	0: "AF_UNSPEC", 1: "AF_UNIX", 2: "AF_INET", 3: "AF_AX25", 4: "AF_IPX",
	5: "AF_APPLETALK", 6: "AF_NETROM", 7: "AF_BRIDGE", 8: "AF_ATMPVC", 9: "AF_X25",
	10: "AF_INET6", 11: "AF_ROSE", 12: "AF_DECnet", 13: "AF_NETBEUI", 14: "AF_SECURITY",
	15: "AF_KEY", 16: "AF_NETLINK", 17: "AF_PACKET", 18: "AF_ASH", 19: "AF_ECONET",
	20: "AF_ATMSVC", 21: "AF_RDS", 22: "AF_SNA", 23: "AF_IRDA", 24: "AF_PPPOX",
	25: "AF_WANPIPE", 26: "AF_LLC", 27: "AF_IB", 28: "AF_MPLS", 29: "AF_CAN",
	30: "AF_TIPC", 31: "AF_BLUETOOTH", 32: "AF_IUCV", 33: "AF_RXRPC", 34: "AF_ISDN",
	35: "AF_PHONET", 36: "AF_IEEE802154", 37: "AF_CAIF", 38: "AF_ALG", 39: "AF_NFC",
	40: "AF_VSOCK", 41: "AF_KCM", 42: "AF_QIPCRTR", 43: "AF_SMC", 44: "AF_XDP",
	45: "AF_MCTP",
}

// socketTypes are the SOCK_ types (the low four bits of socket's type).
var socketTypes = xlat{
	1: "SOCK_STREAM", 2: "SOCK_DGRAM", 3: "SOCK_RAW", 4: "SOCK_RDM",
	5: "SOCK_SEQPACKET", 6: "SOCK_DCCP", 10: "SOCK_PACKET",
}

// socketFlags are the flags socket, socketpair and accept4 take.
var socketFlags = []flagName{
	{unix.SOCK_CLOEXEC, "SOCK_CLOEXEC"},
	{unix.SOCK_NONBLOCK, "SOCK_NONBLOCK"},
}

// inetProtocols are the IPPROTO_ names.
var inetProtocols = xlat{
	0: "IPPROTO_IP", 1: "IPPROTO_ICMP", 2: "IPPROTO_IGMP", 4: "IPPROTO_IPIP",
	6: "IPPROTO_TCP", 8: "IPPROTO_EGP", 12: "IPPROTO_PUP", 17: "IPPROTO_UDP",
	22: "IPPROTO_IDP", 29: "IPPROTO_TP", 33: "IPPROTO_DCCP", 41: "IPPROTO_IPV6",
	43: "IPPROTO_ROUTING", 44: "IPPROTO_FRAGMENT", 46: "IPPROTO_RSVP", 47: "IPPROTO_GRE",
	50: "IPPROTO_ESP", 51: "IPPROTO_AH", 58: "IPPROTO_ICMPV6", 59: "IPPROTO_NONE",
	60: "IPPROTO_DSTOPTS", 92: "IPPROTO_MTP", 94: "IPPROTO_BEETPH", 98: "IPPROTO_ENCAP",
	103: "IPPROTO_PIM", 108: "IPPROTO_COMP", 115: "IPPROTO_L2TP", 132: "IPPROTO_SCTP",
	135: "IPPROTO_MH", 136: "IPPROTO_UDPLITE", 137: "IPPROTO_MPLS", 143: "IPPROTO_ETHERNET",
	255: "IPPROTO_RAW", 262: "IPPROTO_MPTCP",
}

// netlinkProtocols are the NETLINK_ protocol names.
var netlinkProtocols = xlat{
	0: "NETLINK_ROUTE", 1: "NETLINK_UNUSED", 2: "NETLINK_USERSOCK", 3: "NETLINK_FIREWALL",
	4: "NETLINK_SOCK_DIAG", 5: "NETLINK_NFLOG", 6: "NETLINK_XFRM", 7: "NETLINK_SELINUX",
	8: "NETLINK_ISCSI", 9: "NETLINK_AUDIT", 10: "NETLINK_FIB_LOOKUP", 11: "NETLINK_CONNECTOR",
	12: "NETLINK_NETFILTER", 13: "NETLINK_IP6_FW", 14: "NETLINK_DNRTMSG",
	15: "NETLINK_KOBJECT_UEVENT", 16: "NETLINK_GENERIC", 18: "NETLINK_SCSITRANSPORT",
	19: "NETLINK_ECRYPTFS", 20: "NETLINK_RDMA", 21: "NETLINK_CRYPTO", 22: "NETLINK_SMC",
}

// socketLevels are the SOL_ names of setsockopt's level.
var socketLevels = xlat{
	0: "SOL_IP", 1: "SOL_SOCKET", 6: "SOL_TCP", 17: "SOL_UDP", 41: "SOL_IPV6",
	58: "SOL_ICMPV6", 132: "SOL_SCTP", 136: "SOL_UDPLITE", 255: "SOL_RAW",
	256: "SOL_IPX", 257: "SOL_AX25", 258: "SOL_ATALK", 259: "SOL_NETROM",
	260: "SOL_ROSE", 261: "SOL_DECNET", 262: "SOL_X25", 263: "SOL_PACKET",
	264: "SOL_ATM", 265: "SOL_AAL", 266: "SOL_IRDA", 267: "SOL_NETBEUI",
	268: "SOL_LLC", 269: "SOL_DCCP", 270: "SOL_NETLINK", 271: "SOL_TIPC",
	272: "SOL_RXRPC", 273: "SOL_PPPOL2TP", 274: "SOL_BLUETOOTH", 275: "SOL_PNPIPE",
	276: "SOL_RDS", 277: "SOL_IUCV", 278: "SOL_CAIF", 279: "SOL_ALG",
	280: "SOL_NFC", 281: "SOL_KCM", 282: "SOL_TLS", 283: "SOL_XDP",
	284: "SOL_MPTCP", 285: "SOL_MCTP", 286: "SOL_SMC",
}

// Option levels whose names are decoded.
const (
	solIP     = 0
	solSocket = 1
	solTCP    = 6
	solUDP    = 17
	solIPv6   = 41
)

// socketOptions are the SO_ names (asm-generic/socket.h).
var socketOptions = xlat{
	1: "SO_DEBUG", 2: "SO_REUSEADDR", 3: "SO_TYPE", 4: "SO_ERROR", 5: "SO_DONTROUTE",
	6: "SO_BROADCAST", 7: "SO_SNDBUF", 8: "SO_RCVBUF", 9: "SO_KEEPALIVE", 10: "SO_OOBINLINE",
	11: "SO_NO_CHECK", 12: "SO_PRIORITY", 13: "SO_LINGER", 14: "SO_BSDCOMPAT",
	15: "SO_REUSEPORT", 16: "SO_PASSCRED", 17: "SO_PEERCRED", 18: "SO_RCVLOWAT",
	19: "SO_SNDLOWAT", 20: "SO_RCVTIMEO_OLD", 21: "SO_SNDTIMEO_OLD",
	22: "SO_SECURITY_AUTHENTICATION", 23: "SO_SECURITY_ENCRYPTION_TRANSPORT",
	24: "SO_SECURITY_ENCRYPTION_NETWORK", 25: "SO_BINDTODEVICE", 26: "SO_ATTACH_FILTER",
	27: "SO_DETACH_FILTER", 28: "SO_PEERNAME", 29: "SO_TIMESTAMP_OLD", 30: "SO_ACCEPTCONN",
	31: "SO_PEERSEC", 32: "SO_SNDBUFFORCE", 33: "SO_RCVBUFFORCE", 34: "SO_PASSSEC",
	35: "SO_TIMESTAMPNS_OLD", 36: "SO_MARK", 37: "SO_TIMESTAMPING_OLD", 38: "SO_PROTOCOL",
	39: "SO_DOMAIN", 40: "SO_RXQ_OVFL", 41: "SO_WIFI_STATUS", 42: "SO_PEEK_OFF",
	43: "SO_NOFCS", 44: "SO_LOCK_FILTER", 45: "SO_SELECT_ERR_QUEUE", 46: "SO_BUSY_POLL",
	47: "SO_MAX_PACING_RATE", 48: "SO_BPF_EXTENSIONS", 49: "SO_INCOMING_CPU",
	50: "SO_ATTACH_BPF", 51: "SO_ATTACH_REUSEPORT_CBPF", 52: "SO_ATTACH_REUSEPORT_EBPF",
	53: "SO_CNX_ADVICE", 54: "SCM_TIMESTAMPING_OPT_STATS", 55: "SO_MEMINFO",
	56: "SO_INCOMING_NAPI_ID", 57: "SO_COOKIE", 58: "SCM_TIMESTAMPING_PKTINFO",
	59: "SO_PEERGROUPS", 60: "SO_ZEROCOPY", 61: "SO_TXTIME", 62: "SO_BINDTOIFINDEX",
	63: "SO_TIMESTAMP_NEW", 64: "SO_TIMESTAMPNS_NEW", 65: "SO_TIMESTAMPING_NEW",
	66: "SO_RCVTIMEO_NEW", 67: "SO_SNDTIMEO_NEW", 68: "SO_DETACH_REUSEPORT_BPF",
	69: "SO_PREFER_BUSY_POLL", 70: "SO_BUSY_POLL_BUDGET", 71: "SO_NETNS_COOKIE",
	72: "SO_BUF_LOCK", 73: "SO_RESERVE_MEM", 74: "SO_TXREHASH", 75: "SO_RCVMARK",
	76: "SO_PASSPIDFD", 77: "SO_PEERPIDFD",
}

// ipOptions are the IP_ names at SOL_IP (linux/in.h).
var ipOptions = xlat{
	1: "IP_TOS", 2: "IP_TTL", 3: "IP_HDRINCL", 4: "IP_OPTIONS", 5: "IP_ROUTER_ALERT",
	6: "IP_RECVOPTS", 7: "IP_RETOPTS", 8: "IP_PKTINFO", 9: "IP_PKTOPTIONS",
	10: "IP_MTU_DISCOVER", 11: "IP_RECVERR", 12: "IP_RECVTTL", 13: "IP_RECVTOS",
	14: "IP_MTU", 15: "IP_FREEBIND", 16: "IP_IPSEC_POLICY", 17: "IP_XFRM_POLICY",
	18: "IP_PASSSEC", 19: "IP_TRANSPARENT", 20: "IP_RECVORIGDSTADDR", 21: "IP_MINTTL",
	22: "IP_NODEFRAG", 23: "IP_CHECKSUM", 24: "IP_BIND_ADDRESS_NO_PORT",
	25: "IP_RECVFRAGSIZE", 26: "IP_RECVERR_RFC4884", 32: "IP_MULTICAST_IF",
	33: "IP_MULTICAST_TTL", 34: "IP_MULTICAST_LOOP", 35: "IP_ADD_MEMBERSHIP",
	36: "IP_DROP_MEMBERSHIP", 37: "IP_UNBLOCK_SOURCE", 38: "IP_BLOCK_SOURCE",
	39: "IP_ADD_SOURCE_MEMBERSHIP", 40: "IP_DROP_SOURCE_MEMBERSHIP", 41: "IP_MSFILTER",
	42: "MCAST_JOIN_GROUP", 43: "MCAST_BLOCK_SOURCE", 44: "MCAST_UNBLOCK_SOURCE",
	45: "MCAST_LEAVE_GROUP", 46: "MCAST_JOIN_SOURCE_GROUP", 47: "MCAST_LEAVE_SOURCE_GROUP",
	48: "MCAST_MSFILTER", 49: "IP_MULTICAST_ALL", 50: "IP_UNICAST_IF",
	51: "IP_LOCAL_PORT_RANGE", 52: "IP_PROTOCOL",
}

// ipv6Options are the IPV6_ names at SOL_IPV6 (linux/in6.h).
var ipv6Options = xlat{
	1: "IPV6_ADDRFORM", 2: "IPV6_2292PKTINFO", 3: "IPV6_2292HOPOPTS",
	4: "IPV6_2292DSTOPTS", 5: "IPV6_2292RTHDR", 6: "IPV6_2292PKTOPTIONS",
	7: "IPV6_CHECKSUM", 8: "IPV6_2292HOPLIMIT", 9: "IPV6_NEXTHOP", 10: "IPV6_AUTHHDR",
	11: "IPV6_FLOWINFO", 16: "IPV6_UNICAST_HOPS", 17: "IPV6_MULTICAST_IF",
	18: "IPV6_MULTICAST_HOPS", 19: "IPV6_MULTICAST_LOOP", 20: "IPV6_ADD_MEMBERSHIP",
	21: "IPV6_DROP_MEMBERSHIP", 22: "IPV6_ROUTER_ALERT", 23: "IPV6_MTU_DISCOVER",
	24: "IPV6_MTU", 25: "IPV6_RECVERR", 26: "IPV6_V6ONLY", 27: "IPV6_JOIN_ANYCAST",
	28: "IPV6_LEAVE_ANYCAST", 29: "IPV6_MULTICAST_ALL", 30: "IPV6_ROUTER_ALERT_ISOLATE",
	31: "IPV6_RECVERR_RFC4884", 32: "IPV6_FLOWLABEL_MGR", 33: "IPV6_FLOWINFO_SEND",
	34: "IPV6_IPSEC_POLICY", 35: "IPV6_XFRM_POLICY", 36: "IPV6_HDRINCL",
	42: "MCAST_JOIN_GROUP", 43: "MCAST_BLOCK_SOURCE", 44: "MCAST_UNBLOCK_SOURCE",
	45: "MCAST_LEAVE_GROUP", 46: "MCAST_JOIN_SOURCE_GROUP", 47: "MCAST_LEAVE_SOURCE_GROUP",
	48: "MCAST_MSFILTER", 49: "IPV6_RECVPKTINFO", 50: "IPV6_PKTINFO",
	51: "IPV6_RECVHOPLIMIT", 52: "IPV6_HOPLIMIT", 53: "IPV6_RECVHOPOPTS",
	54: "IPV6_HOPOPTS", 55: "IPV6_RTHDRDSTOPTS", 56: "IPV6_RECVRTHDR", 57: "IPV6_RTHDR",
	58: "IPV6_RECVDSTOPTS", 59: "IPV6_DSTOPTS", 60: "IPV6_RECVPATHMTU",
	61: "IPV6_PATHMTU", 62: "IPV6_DONTFRAG", 66: "IPV6_RECVTCLASS", 67: "IPV6_TCLASS",
	70: "IPV6_AUTOFLOWLABEL", 72: "IPV6_ADDR_PREFERENCES", 73: "IPV6_MINHOPCOUNT",
	74: "IPV6_RECVORIGDSTADDR", 75: "IPV6_TRANSPARENT", 76: "IPV6_UNICAST_IF",
	77: "IPV6_RECVFRAGSIZE", 78: "IPV6_FREEBIND",
}

// tcpOptions are the TCP_ names at SOL_TCP (linux/tcp.h).
var tcpOptions = xlat{
	1: "TCP_NODELAY", 2: "TCP_MAXSEG", 3: "TCP_CORK", 4: "TCP_KEEPIDLE",
	5: "TCP_KEEPINTVL", 6: "TCP_KEEPCNT", 7: "TCP_SYNCNT", 8: "TCP_LINGER2",
	9: "TCP_DEFER_ACCEPT", 10: "TCP_WINDOW_CLAMP", 11: "TCP_INFO", 12: "TCP_QUICKACK",
	13: "TCP_CONGESTION", 14: "TCP_MD5SIG", 15: "TCP_COOKIE_TRANSACTIONS",
	16: "TCP_THIN_LINEAR_TIMEOUTS", 17: "TCP_THIN_DUPACK", 18: "TCP_USER_TIMEOUT",
	19: "TCP_REPAIR", 20: "TCP_REPAIR_QUEUE", 21: "TCP_QUEUE_SEQ",
	22: "TCP_REPAIR_OPTIONS", 23: "TCP_FASTOPEN", 24: "TCP_TIMESTAMP",
	25: "TCP_NOTSENT_LOWAT", 26: "TCP_CC_INFO", 27: "TCP_SAVE_SYN", 28: "TCP_SAVED_SYN",
	29: "TCP_REPAIR_WINDOW", 30: "TCP_FASTOPEN_CONNECT", 31: "TCP_ULP",
	32: "TCP_MD5SIG_EXT", 33: "TCP_FASTOPEN_KEY", 34: "TCP_FASTOPEN_NO_COOKIE",
	35: "TCP_ZEROCOPY_RECEIVE", 36: "TCP_INQ", 37: "TCP_TX_DELAY",
}

// udpOptions are the UDP_ names at SOL_UDP (linux/udp.h).
var udpOptions = xlat{
	1: "UDP_CORK", 100: "UDP_ENCAP", 101: "UDP_NO_CHECK6_TX", 102: "UDP_NO_CHECK6_RX",
	103: "UDP_SEGMENT", 104: "UDP_GRO",
}

// optionNames are the option names of each decoded level and the prefix
// an unknown one is shown with.
var optionNames = map[uint64]struct {
	names   xlat
	unknown string
}{
	solSocket: {socketOptions, "SO_???"},
	solIP:     {ipOptions, "IP_???"},
	solIPv6:   {ipv6Options, "IPV6_???"},
	solTCP:    {tcpOptions, "TCP_???"},
	solUDP:    {udpOptions, "UDP_???"},
}

// formatOptName renders a socket option (or control message type) at
// level: its name, the number with a comment at a known level, the plain
// number at another.
func formatOptName(level, name uint64) string {
	o, ok := optionNames[level]
	if !ok {
		return strconv.FormatUint(name, 10)
	}
	return o.names.format(name, o.unknown)
}

// intOptions are the options whose value is an int even when optlen is
// longer (the kernel reads the first four bytes): these show as [value]
// at any length of at least four; any option shows so at exactly four.
var intOptions = map[[2]uint64]bool{}

func init() {
	for level, names := range map[uint64][]uint64{
		solSocket: {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 14, 15, 16, 18, 19, 29, 30, 32, 33, 34, 35,
			36, 38, 39, 40, 41, 42, 43, 44, 45, 46, 49, 56, 60, 62, 63, 64, 69, 70, 72, 73, 74, 75, 76},
		solIP: {1, 2, 3, 5, 6, 8, 10, 11, 12, 13, 14, 15, 18, 19, 20, 21, 22, 23, 24, 25, 26,
			49, 50, 52},
		solIPv6: {1, 7, 11, 16, 17, 18, 19, 22, 23, 24, 25, 26, 29, 30, 31, 33, 36, 49, 51, 53, 56,
			58, 60, 62, 66, 67, 70, 72, 73, 74, 75, 76, 77, 78},
		solTCP: {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 12, 16, 17, 18, 19, 20, 21, 23, 24, 25, 27, 30, 34,
			36, 37},
		solUDP: {1, 100, 101, 102, 103, 104},
	} {
		for _, n := range names {
			intOptions[[2]uint64{level, n}] = true
		}
	}
}

// msgFlags are the MSG_ flags of send, receive and msg_flags.
var msgFlags = []flagName{
	{0x1, "MSG_OOB"}, {0x2, "MSG_PEEK"}, {0x4, "MSG_DONTROUTE"}, {0x8, "MSG_CTRUNC"},
	{0x10, "MSG_PROBE"}, {0x20, "MSG_TRUNC"}, {0x40, "MSG_DONTWAIT"}, {0x80, "MSG_EOR"},
	{0x100, "MSG_WAITALL"}, {0x200, "MSG_FIN"}, {0x400, "MSG_SYN"}, {0x800, "MSG_CONFIRM"},
	{0x1000, "MSG_RST"}, {0x2000, "MSG_ERRQUEUE"}, {0x4000, "MSG_NOSIGNAL"},
	{0x8000, "MSG_MORE"}, {0x10000, "MSG_WAITFORONE"}, {0x40000, "MSG_BATCH"},
	{0x2000000, "MSG_SOCK_DEVMEM"}, {0x4000000, "MSG_ZEROCOPY"},
	{0x20000000, "MSG_FASTOPEN"}, {0x40000000, "MSG_CMSG_CLOEXEC"},
	{0x80000000, "MSG_CMSG_COMPAT"},
}

// shutdownHows are shutdown's SHUT_ names.
var shutdownHows = xlat{0: "SHUT_RD", 1: "SHUT_WR", 2: "SHUT_RDWR"}

// ioctlNames are the socket ioctls the filter traps: FIONREAD and the
// 0x89xx range (linux/sockios.h).
var ioctlNames = xlat{
	0x541b: "FIONREAD",
	0x8901: "FIOSETOWN", 0x8902: "SIOCSPGRP", 0x8903: "FIOGETOWN", 0x8904: "SIOCGPGRP",
	0x8905: "SIOCATMARK", 0x8906: "SIOCGSTAMP_OLD", 0x8907: "SIOCGSTAMPNS_OLD",
	0x890b: "SIOCADDRT", 0x890c: "SIOCDELRT", 0x890d: "SIOCRTMSG",
	0x8910: "SIOCGIFNAME", 0x8911: "SIOCSIFLINK", 0x8912: "SIOCGIFCONF",
	0x8913: "SIOCGIFFLAGS", 0x8914: "SIOCSIFFLAGS", 0x8915: "SIOCGIFADDR",
	0x8916: "SIOCSIFADDR", 0x8917: "SIOCGIFDSTADDR", 0x8918: "SIOCSIFDSTADDR",
	0x8919: "SIOCGIFBRDADDR", 0x891a: "SIOCSIFBRDADDR", 0x891b: "SIOCGIFNETMASK",
	0x891c: "SIOCSIFNETMASK", 0x891d: "SIOCGIFMETRIC", 0x891e: "SIOCSIFMETRIC",
	0x891f: "SIOCGIFMEM", 0x8920: "SIOCSIFMEM", 0x8921: "SIOCGIFMTU", 0x8922: "SIOCSIFMTU",
	0x8923: "SIOCSIFNAME", 0x8924: "SIOCSIFHWADDR", 0x8925: "SIOCGIFENCAP",
	0x8926: "SIOCSIFENCAP", 0x8927: "SIOCGIFHWADDR", 0x8929: "SIOCGIFSLAVE",
	0x8930: "SIOCSIFSLAVE", 0x8931: "SIOCADDMULTI", 0x8932: "SIOCDELMULTI",
	0x8933: "SIOCGIFINDEX", 0x8934: "SIOCSIFPFLAGS", 0x8935: "SIOCGIFPFLAGS",
	0x8936: "SIOCDIFADDR", 0x8937: "SIOCSIFHWBROADCAST", 0x8938: "SIOCGIFCOUNT",
	0x8940: "SIOCGIFBR", 0x8941: "SIOCSIFBR", 0x8942: "SIOCGIFTXQLEN",
	0x8943: "SIOCSIFTXQLEN", 0x8946: "SIOCETHTOOL", 0x8947: "SIOCGMIIPHY",
	0x8948: "SIOCGMIIREG", 0x8949: "SIOCSMIIREG", 0x894a: "SIOCWANDEV",
	0x894b: "SIOCOUTQNSD", 0x894c: "SIOCGSKNS", 0x8953: "SIOCDARP", 0x8954: "SIOCGARP",
	0x8955: "SIOCSARP", 0x8960: "SIOCDRARP", 0x8961: "SIOCGRARP", 0x8962: "SIOCSRARP",
	0x8970: "SIOCGIFMAP", 0x8971: "SIOCSIFMAP", 0x8980: "SIOCADDDLCI",
	0x8981: "SIOCDELDLCI", 0x8982: "SIOCGIFVLAN", 0x8983: "SIOCSIFVLAN",
	0x8990: "SIOCBONDENSLAVE", 0x8991: "SIOCBONDRELEASE", 0x8992: "SIOCBONDSETHWADDR",
	0x8993: "SIOCBONDSLAVEINFOQUERY", 0x8994: "SIOCBONDINFOQUERY",
	0x8995: "SIOCBONDCHANGEACTIVE", 0x89a0: "SIOCBRADDBR", 0x89a1: "SIOCBRDELBR",
	0x89a2: "SIOCBRADDIF", 0x89a3: "SIOCBRDELIF", 0x89b0: "SIOCSHWTSTAMP",
	0x89b1: "SIOCGHWTSTAMP",
}

// formatIoctl renders an ioctl request: its name, or its _IOC fields as
// strace shows an unknown one.
func formatIoctl(req uint64) string {
	if s, ok := ioctlNames[req]; ok {
		return s
	}
	dir := [...]string{"_IOC_NONE", "_IOC_WRITE", "_IOC_READ", "_IOC_READ|_IOC_WRITE"}[req>>30&3]
	return "_IOC(" + dir + ", " + cHex(req>>8&0xff) + ", " + cHex(req&0xff) + ", " + cHex(req>>16&0x3fff) + ")"
}

// ioctlFIONREAD is FIONREAD (SIOCINQ), whose argument is an int the call
// fills in.
const ioctlFIONREAD = 0x541b

// ifreqNamed are the ioctls whose argument is a struct ifreq naming the
// interface in ifr_name.
func ifreqNamed(req uint64) bool {
	switch {
	case req >= 0x8913 && req <= 0x8937:
		return true
	case req == 0x8942, req == 0x8943, req >= 0x8946 && req <= 0x8949,
		req == 0x8970, req == 0x8971, req == 0x89b0, req == 0x89b1:
		return true
	}
	return false
}

// ioctlSIOCGIFNAME takes an ifreq whose ifr_ifindex names the interface.
const ioctlSIOCGIFNAME = 0x8910

// errnoNames are the errno names and strerror texts strace shows where
// Go's differ: the kernel's name of an errno with aliases, and the errnos
// only the kernel knows (a restart interrupted by the trace).
var errnoNames = map[int][2]string{
	95:  {"EOPNOTSUPP", ""},
	117: {"EUCLEAN", ""},
	133: {"EHWPOISON", "Memory page has hardware error"},
	512: {"ERESTARTSYS", "To be restarted if SA_RESTART is set"},
	513: {"ERESTARTNOINTR", "To be restarted"},
	514: {"ERESTARTNOHAND", "To be restarted if no handler"},
	515: {"ENOIOCTLCMD", "No ioctl command"},
	516: {"ERESTART_RESTARTBLOCK", "Interrupted by signal"},
}

// formatErrno renders a failed call's result as strace does:
// "-1 ECONNREFUSED (Connection refused)". The text is strerror's, which is
// Go's with its first letter capitalised.
func formatErrno(e int) string {
	name := unix.ErrnoName(unix.Errno(e))
	text := unix.Errno(e).Error()
	if o, ok := errnoNames[e]; ok {
		name = o[0]
		if o[1] != "" {
			text = o[1]
		}
	}
	if name == "" {
		return fmt.Sprintf("-1 ERRNO_%d (Unknown error %d)", e, e)
	}
	if text != "" && text[0] >= 'a' && text[0] <= 'z' {
		text = string(text[0]-'a'+'A') + text[1:]
	}
	return "-1 " + name + " (" + text + ")"
}

// quoteBytes renders b as a C string literal with strace's escaping: \" \\ and
// \f \n \r \t \v by name, other bytes outside printable ASCII in octal, as
// short as possible unless an octal digit follows. more appends strace's
// "..." for a buffer that was cut.
func quoteBytes(b []byte, more bool) string {
	var s strings.Builder
	s.Grow(len(b) + 2)
	s.WriteByte('"')
	for i, c := range b {
		switch c {
		case '"':
			s.WriteString(`\"`)
		case '\\':
			s.WriteString(`\\`)
		case '\f':
			s.WriteString(`\f`)
		case '\n':
			s.WriteString(`\n`)
		case '\r':
			s.WriteString(`\r`)
		case '\t':
			s.WriteString(`\t`)
		case '\v':
			s.WriteString(`\v`)
		default:
			if c >= ' ' && c <= '~' {
				s.WriteByte(c)
				continue
			}
			s.WriteByte('\\')
			if i+1 < len(b) && b[i+1] >= '0' && b[i+1] <= '7' {
				s.WriteByte('0' + c>>6)
				s.WriteByte('0' + c>>3&7)
			} else if c>>3 != 0 {
				if c>>6 != 0 {
					s.WriteByte('0' + c>>6)
				}
				s.WriteByte('0' + c>>3&7)
			}
			s.WriteByte('0' + c&7)
		}
	}
	s.WriteByte('"')
	if more {
		s.WriteString("...")
	}
	return s.String()
}
