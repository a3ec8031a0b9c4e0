/* sockopt_table.c - table-driven sweep of socket options on TCP and UDP over
 * IPv4 and IPv6.
 *
 * Checks, on fresh unbound tcp4, tcp6, udp4 and udp6 sockets, every SOL_SOCKET,
 * SOL_IP, SOL_IPV6, SOL_TCP and SOL_UDP option of the spec's sections 11, 12,
 * 13 and 22 that a TCP or UDP socket can reach: the default read with an int
 * (or the option's struct) and with a 512-byte buffer, getsockopt with optlen
 * 1 and 2 (returned length and bytes), typical and invalid values set and read
 * back (clamping, rounding, normalising), setsockopt with optlen 0, 1, 2 and 8.
 * Int options go through run_int(), everything else (linger, timeval, string,
 * struct) through run_struct() with a formatter per value shape. Then: options
 * on the wrong family or protocol, unknown options and levels (SOL_RAW,
 * SOL_PACKET, 1234), optlen -1 / 0 and bad pointers per level; options that
 * share state (SO_TIMESTAMP and SO_TIMESTAMPNS, IPV6_FREEBIND and IP_FREEBIND,
 * IP_TTL and IPV6_UNICAST_HOPS...); non-local binds with IP_FREEBIND and
 * IP_TRANSPARENT; IP_BIND_ADDRESS_NO_PORT; IPV6_V6ONLY after bind and with
 * v4-mapped addresses; an option set through one fd read through a dup; the
 * default buffer sizes against the sysctls; state-dependent options on a
 * connected TCP pair (SO_ACCEPTCONN, SO_ERROR, TCP_INFO state through both
 * shutdowns, TCP_MAXSEG, IP_MTU/IPV6_MTU, inheritance by the accepted socket,
 * options refused once connected), SO_ERROR after a refused non-blocking
 * connect, IP_MTU/IPV6_MTU on connected UDP; and the privileged options from a
 * child running as uid 65534. Runs as root. Never prints ports, pids or CPUs.
 */
/* spec: SOCK-05 STATE-05 BIND-04 ERR-02 PMTU-01 PMTU-04 CMSG-14 SO-01 SO-02 SO-03 SO-04 SO-05 */
/* spec: SO-07 SO-08 SO-10 SO-11 SO-12 SO-13 SO-17 SO-18 SO-19 SO-20 SO-22 SO-23 SO-25 SO-26 */
/* spec: IPO-01 IPO-02 IPO-04 IPO-11 IPO-12 IPO-13 IPO-16 IPO-17 IPO-18 IPO-19 IPO-20 IPO-22 */
/* spec: IPO-23 PO-02 PO-03 PO-06 PO-07 PO-08 PO-09 PO-11 PO-13 PO-21 BUF-07 V6-04 V6-07 V6-09 SO-24 */
#include "common.h"
#include <linux/sock_diag.h>
#include <grp.h>
#include <stdarg.h>
#include <limits.h>
#include <net/if.h>
#include <netinet/ip.h>
#include <netinet/tcp.h>
#include <netinet/udp.h>
#include <poll.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>

#ifndef SO_PEEK_OFF
#define SO_PEEK_OFF 42
#endif
#ifndef SO_BUSY_POLL
#define SO_BUSY_POLL 46
#endif
#ifndef SO_INCOMING_CPU
#define SO_INCOMING_CPU 49
#endif
#ifndef SO_ZEROCOPY
#define SO_ZEROCOPY 60
#endif
#ifndef SO_TXTIME
#define SO_TXTIME 61
#endif
#ifndef IP_NODEFRAG
#define IP_NODEFRAG 22
#endif
#ifndef IP_BIND_ADDRESS_NO_PORT
#define IP_BIND_ADDRESS_NO_PORT 24
#endif
#ifndef IP_LOCAL_PORT_RANGE
#define IP_LOCAL_PORT_RANGE 51
#endif
#ifndef IPV6_RECVORIGDSTADDR
#define IPV6_RECVORIGDSTADDR 74
#endif
#ifndef IPV6_TRANSPARENT
#define IPV6_TRANSPARENT 75
#endif
#ifndef IPV6_FREEBIND
#define IPV6_FREEBIND 78
#endif
#ifndef TCP_NOTSENT_LOWAT
#define TCP_NOTSENT_LOWAT 25
#endif
#ifndef UDP_CORK
#define UDP_CORK 1
#endif
#ifndef UDP_ENCAP
#define UDP_ENCAP 100
#endif
#ifndef UDP_NO_CHECK6_TX
#define UDP_NO_CHECK6_TX 101
#endif
#ifndef UDP_NO_CHECK6_RX
#define UDP_NO_CHECK6_RX 102
#endif
#ifndef UDP_SEGMENT
#define UDP_SEGMENT 103
#endif
#ifndef SO_PASSPIDFD
#define SO_PASSPIDFD 76
#endif
#ifndef SO_PASSRIGHTS
#define SO_PASSRIGHTS 83
#endif
#ifndef SO_PEERPIDFD
#define SO_PEERPIDFD 77
#endif
#ifndef SO_DEVMEM_DONTNEED
#define SO_DEVMEM_DONTNEED 80
#endif
#ifndef IP_CHECKSUM
#define IP_CHECKSUM 23
#endif
#ifndef IP_RECVFRAGSIZE
#define IP_RECVFRAGSIZE 25
#endif
#ifndef IP_RECVERR_RFC4884
#define IP_RECVERR_RFC4884 26
#endif
#ifndef IP_PROTOCOL
#define IP_PROTOCOL 52
#endif
#ifndef IP_UNICAST_IF
#define IP_UNICAST_IF 50
#endif
#ifndef TCP_IS_MPTCP
#define TCP_IS_MPTCP 43
#endif
#ifndef IPV6_RECVERR_RFC4884
#define IPV6_RECVERR_RFC4884 31
#endif
#ifndef IPV6_ROUTER_ALERT_ISOLATE
#define IPV6_ROUTER_ALERT_ISOLATE 30
#endif
#ifndef UDP_GRO
#define UDP_GRO 104
#endif

#define BADPTR ((void *)8)

/* Socket kinds; the masks select the kinds an option is tried on. */
enum { K_T4, K_T6, K_U4, K_U6, NKIND };
#define T4 1
#define T6 2
#define U4 4
#define U6 8
#define TCP (T4 | T6)
#define UDP (U4 | U6)
#define V6 (T6 | U6)
#define ALL 15
static const char *const kname[NKIND] = { "tcp4", "tcp6", "udp4", "udp6" };

static int kfam(int k) { return (k == K_T6 || k == K_U6) ? AF_INET6 : AF_INET; }

static int mk(int k)
{
	int fd = socket(kfam(k), k <= K_T6 ? SOCK_STREAM : SOCK_DGRAM, 0);
	if (fd < 0)
		printf("%s socket: -1 %s\n", kname[k], errname(errno));
	return fd;
}

/* The loopback address of the family, port 0; returns its length. */
static socklen_t lo_addr(int fam, struct sockaddr_storage *ss)
{
	memset(ss, 0, sizeof *ss);
	if (fam == AF_INET6) {
		*(struct sockaddr_in6 *)ss = sin6("::1", 0);
		return sizeof(struct sockaddr_in6);
	}
	*(struct sockaddr_in *)ss = sin4("127.0.0.1", 0);
	return sizeof(struct sockaddr_in);
}

static char lbuf[256];
static const char *lab(int k, const char *name, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static const char *lab(int k, const char *name, const char *fmt, ...)
{
	va_list ap;
	int n = snprintf(lbuf, sizeof lbuf, "%s %s ", kname[k], name);
	va_start(ap, fmt);
	vsnprintf(lbuf + n, sizeof lbuf - n, fmt, ap);
	va_end(ap);
	return lbuf;
}

/* "label: V len=N" or "label: -1 ENAME". */
static void geti(const char *l, int fd, int level, int opt)
{
	int v = -12345;
	socklen_t n = sizeof v;
	if (getsockopt(fd, level, opt, &v, &n) < 0)
		printf("%s: -1 %s\n", l, errname(errno));
	else
		printf("%s: %d len=%u\n", l, v, (unsigned)n);
}

static int seti(int fd, int level, int opt, int v)
{
	return setsockopt(fd, level, opt, &v, sizeof v);
}

/* getsockopt with optlen n into a buffer of 0xee: returned optlen and the first 4 bytes. */
static void get_bytes(const char *l, int fd, int level, int opt, socklen_t n)
{
	unsigned char b[512];
	memset(b, 0xee, sizeof b);
	if (getsockopt(fd, level, opt, b, &n) < 0)
		printf("%s: -1 %s\n", l, errname(errno));
	else
		printf("%s: len=%d bytes=%02x %02x %02x %02x\n", l, (int)n, b[0], b[1], b[2], b[3]);
}

/* ---- int options ---------------------------------------------------------- */

struct iopt {
	const char *name;
	int level, opt, kinds;
	int rb;		/* read back through this option (same level), 0 = itself */
	int nv;
	int v[8];
};
#define IO(lvl, o, kinds, rb, ...) \
	{ #o, lvl, o, kinds, rb, sizeof((int[]){ __VA_ARGS__ }) / sizeof(int), { __VA_ARGS__ } }
#define PR(lo, hi) ((int)(((unsigned)(hi) << 16) | (unsigned)(lo)))

static const struct iopt itab[] = {
	IO(SOL_SOCKET, SO_DEBUG, ALL, 0, 1, 0),
	IO(SOL_SOCKET, SO_REUSEADDR, ALL, 0, 5, 0),
	IO(SOL_SOCKET, SO_REUSEPORT, ALL, 0, 5, 0),
	IO(SOL_SOCKET, SO_KEEPALIVE, ALL, 0, 5, 0),
	IO(SOL_SOCKET, SO_DONTROUTE, ALL, 0, 5, 0),
	IO(SOL_SOCKET, SO_BROADCAST, ALL, 0, 5, 0),
	IO(SOL_SOCKET, SO_OOBINLINE, ALL, 0, 5, 0),
	IO(SOL_SOCKET, SO_NO_CHECK, ALL, 0, 5, 0),
	IO(SOL_SOCKET, SO_BSDCOMPAT, ALL, 0, 1, 0),
	IO(SOL_SOCKET, SO_SNDBUF, ALL, 0, 10000, 1, 100000000, -5, 0),
	IO(SOL_SOCKET, SO_RCVBUF, ALL, 0, 10000, 1, 100000000, -5, 0),
	IO(SOL_SOCKET, SO_SNDBUFFORCE, ALL, SO_SNDBUF, 100000000, -5, 10000),
	IO(SOL_SOCKET, SO_RCVBUFFORCE, ALL, SO_RCVBUF, 100000000, -5, 10000),
	IO(SOL_SOCKET, SO_RCVLOWAT, ALL, 0, 100, 0, -1),
	IO(SOL_SOCKET, SO_SNDLOWAT, ALL, 0, 100),
	IO(SOL_SOCKET, SO_TYPE, ALL, 0, 1),
	IO(SOL_SOCKET, SO_PROTOCOL, ALL, 0, 17),
	IO(SOL_SOCKET, SO_DOMAIN, ALL, 0, 2),
	IO(SOL_SOCKET, SO_ERROR, ALL, 0, 0),
	IO(SOL_SOCKET, SO_ACCEPTCONN, ALL, 0, 1),
	IO(SOL_SOCKET, SO_PRIORITY, ALL, 0, 6, 7, -1, 0),
	IO(SOL_SOCKET, SO_MARK, ALL, 0, 5, -1, 0),
	IO(SOL_SOCKET, SO_PASSCRED, ALL, 0, 1, 0),
	IO(SOL_SOCKET, SO_PASSPIDFD, ALL, 0, 1, 0),
	IO(SOL_SOCKET, SO_PASSRIGHTS, ALL, 0, 1, 0),
	IO(SOL_SOCKET, SO_WIFI_STATUS, ALL, 0, 5, 0),
	IO(SOL_SOCKET, SO_NOFCS, ALL, 0, 5, 0),
	IO(SOL_SOCKET, SO_SELECT_ERR_QUEUE, ALL, 0, 5, 0),
	IO(SOL_SOCKET, SO_LOCK_FILTER, ALL, 0, 0, 1, 0),
	IO(SOL_SOCKET, SO_BPF_EXTENSIONS, ALL, 0, 1),
	IO(SOL_SOCKET, SO_INCOMING_NAPI_ID, ALL, 0, 1),
	IO(SOL_SOCKET, SO_PREFER_BUSY_POLL, ALL, 0, 1, 0),
	IO(SOL_SOCKET, SO_BUSY_POLL_BUDGET, ALL, 0, 8, 70000, -1, 0),
	IO(SOL_SOCKET, SO_CNX_ADVICE, ALL, 0, 1, 2),
	IO(SOL_SOCKET, SO_BUF_LOCK, ALL, 0, 1, 2, 3, 4, 0),
	IO(SOL_SOCKET, SO_TXREHASH, ALL, 0, 0, 1, -1, 2),
	IO(SOL_SOCKET, SO_DETACH_FILTER, ALL, 0, 0),
	IO(SOL_SOCKET, SO_DETACH_REUSEPORT_BPF, ALL, 0, 0),
	IO(SOL_SOCKET, SO_RESERVE_MEM, ALL, 0, 4096, -1),
	IO(SOL_SOCKET, SO_PEERGROUPS, ALL, 0, 1),
	IO(SOL_SOCKET, SO_PEERPIDFD, ALL, 0, 1),
	IO(SOL_SOCKET, SO_BINDTOIFINDEX, ALL, 0, 1, 0, 99, -1),
	IO(SOL_SOCKET, SO_MAX_PACING_RATE, ALL, 0, 1000, -1, 0),
	IO(SOL_SOCKET, SO_DEVMEM_DONTNEED, ALL, 0, 0),
	IO(SOL_SOCKET, SO_TIMESTAMP, ALL, 0, 5, 0),
	IO(SOL_SOCKET, SO_TIMESTAMPNS, ALL, 0, 5, 0),
	IO(SOL_SOCKET, SO_BUSY_POLL, ALL, 0, 50, -1, 0),
	IO(SOL_SOCKET, SO_INCOMING_CPU, ALL, 0, 0, 100000, -5),
	IO(SOL_SOCKET, SO_ZEROCOPY, ALL, 0, 1, 2, 0),
	IO(SOL_SOCKET, SO_PEEK_OFF, ALL, 0, 5, -5, -1),

	IO(SOL_IP, IP_CHECKSUM, ALL, 0, 5, 0),
	IO(SOL_IP, IP_RECVFRAGSIZE, ALL, 0, 5, 0),
	IO(SOL_IP, IP_RECVERR_RFC4884, ALL, 0, 1, 2, -1, 0),
	IO(SOL_IP, IP_PROTOCOL, ALL, 0, 17),
	IO(SOL_IP, IP_UNICAST_IF, ALL, 0, 0x01000000, 1, 0x05000000, 0),
	IO(SOL_IP, IP_MULTICAST_ALL, ALL, 0, 0, 1, 2, 0),
	IO(SOL_IPV6, IPV6_2292PKTINFO, V6, 0, 5, 0),
	IO(SOL_IPV6, IPV6_2292HOPLIMIT, V6, 0, 5, 0),
	IO(SOL_IPV6, IPV6_2292HOPOPTS, V6, 0, 5, 0),
	IO(SOL_IPV6, IPV6_2292DSTOPTS, V6, 0, 5, 0),
	IO(SOL_IPV6, IPV6_2292RTHDR, V6, 0, 5, 0),
	IO(SOL_IPV6, IPV6_RECVHOPOPTS, V6, 0, 5, 0),
	IO(SOL_IPV6, IPV6_RECVRTHDR, V6, 0, 5, 0),
	IO(SOL_IPV6, IPV6_RECVDSTOPTS, V6, 0, 5, 0),
	IO(SOL_IPV6, IPV6_AUTOFLOWLABEL, V6, 0, 0, 5, 1),
	IO(SOL_IPV6, IPV6_UNICAST_IF, V6, 0, 0x01000000, 1, 0),
	IO(SOL_IPV6, IPV6_RECVFRAGSIZE, V6, 0, 5, 0),
	IO(SOL_IPV6, IPV6_RECVERR_RFC4884, V6, 0, 1, 2, -1, 0),
	IO(SOL_IPV6, IPV6_ROUTER_ALERT_ISOLATE, V6, 0, 5, 0),
	IO(SOL_IPV6, IPV6_MULTICAST_ALL, V6, 0, 0, 7, 0),
	IO(SOL_IP, IP_TOS, ALL, 0, 0x2b, 0x1ff, -1, 0),
	IO(SOL_IP, IP_TTL, ALL, 0, 17, -1, 0, 256, -2, 255),
	IO(SOL_IP, IP_HDRINCL, ALL, 0, 1, 0),
	IO(SOL_IP, IP_ROUTER_ALERT, ALL, 0, 1, 0),
	IO(SOL_IP, IP_RECVOPTS, ALL, 0, 5, 0),
	IO(SOL_IP, IP_RETOPTS, ALL, 0, 5, 0),
	IO(SOL_IP, IP_PKTINFO, ALL, 0, 5, 0),
	IO(SOL_IP, IP_PKTOPTIONS, ALL, 0, 1),
	IO(SOL_IP, IP_MTU_DISCOVER, ALL, 0, 0, 5, 6, -1, 2),
	IO(SOL_IP, IP_RECVERR, ALL, 0, 5, 0),
	IO(SOL_IP, IP_RECVTTL, ALL, 0, 5, 0),
	IO(SOL_IP, IP_RECVTOS, ALL, 0, 5, 0),
	IO(SOL_IP, IP_MTU, ALL, 0, 1500),
	IO(SOL_IP, IP_FREEBIND, ALL, 0, 5, 0),
	IO(SOL_IP, IP_IPSEC_POLICY, ALL, 0, 0),
	IO(SOL_IP, IP_XFRM_POLICY, ALL, 0, 0),
	IO(SOL_IP, IP_PASSSEC, ALL, 0, 5, 0),
	IO(SOL_IP, IP_TRANSPARENT, ALL, 0, 5, 0),
	IO(SOL_IP, IP_MULTICAST_TTL, ALL, 0, 5, 255, 256, -1, -2),
	IO(SOL_IP, IP_MULTICAST_LOOP, ALL, 0, 0, 5),
	IO(SOL_IP, IP_MINTTL, ALL, 0, 10, 256, -1, 0),
	IO(SOL_IP, IP_NODEFRAG, ALL, 0, 1, 0),
	IO(SOL_IP, IP_BIND_ADDRESS_NO_PORT, ALL, 0, 5, 0),
	IO(SOL_IP, IP_RECVORIGDSTADDR, ALL, 0, 5, 0),
	IO(SOL_IP, IP_LOCAL_PORT_RANGE, ALL, 0, PR(60000, 60999), PR(60999, 60000), PR(0, 40000), 0),

	IO(SOL_IPV6, IPV6_V6ONLY, V6, 0, 5, 0),
	IO(SOL_IPV6, IPV6_UNICAST_HOPS, V6, 0, 17, -1, 256, -2, 255),
	IO(SOL_IPV6, IPV6_MULTICAST_HOPS, V6, 0, 5, -1, 256),
	IO(SOL_IPV6, IPV6_MULTICAST_LOOP, V6, 0, 0, 5, 1),
	IO(SOL_IPV6, IPV6_RECVPKTINFO, V6, 0, 5, 0),
	IO(SOL_IPV6, IPV6_RECVHOPLIMIT, V6, 0, 5, 0),
	IO(SOL_IPV6, IPV6_RECVTCLASS, V6, 0, 5, 0),
	IO(SOL_IPV6, IPV6_TCLASS, V6, 0, 0x2b, -1, 256, 0xff),
	IO(SOL_IPV6, IPV6_RECVERR, V6, 0, 5, 0),
	IO(SOL_IPV6, IPV6_MTU_DISCOVER, V6, 0, 0, 5, 6, -1),
	IO(SOL_IPV6, IPV6_MTU, V6, 0, 1280, 100, 0),
	IO(SOL_IPV6, IPV6_DONTFRAG, V6, 0, 5, 0),
	IO(SOL_IPV6, IPV6_FREEBIND, V6, 0, 5, 0),
	IO(SOL_IPV6, IPV6_TRANSPARENT, V6, 0, 5, 0),
	IO(SOL_IPV6, IPV6_RECVORIGDSTADDR, V6, 0, 5, 0),

	IO(SOL_TCP, TCP_THIN_DUPACK, TCP, 0, 1, 0),
	IO(SOL_TCP, TCP_IS_MPTCP, TCP, 0, 1),
	IO(SOL_TCP, TCP_NODELAY, TCP, 0, 5, 0),
	IO(SOL_TCP, TCP_MAXSEG, TCP, 0, 1000, 10, 70000, 88, 0),
	IO(SOL_TCP, TCP_CORK, TCP, 0, 5, 0),
	IO(SOL_TCP, TCP_KEEPIDLE, TCP, 0, 1, 0, 32767, 32768),
	IO(SOL_TCP, TCP_KEEPINTVL, TCP, 0, 1, 0, 32767, 32768),
	IO(SOL_TCP, TCP_KEEPCNT, TCP, 0, 1, 0, 127, 128),
	IO(SOL_TCP, TCP_SYNCNT, TCP, 0, 1, 0, 127, 128),
	IO(SOL_TCP, TCP_LINGER2, TCP, 0, -1, 1000, 30, 0),
	IO(SOL_TCP, TCP_DEFER_ACCEPT, TCP, 0, 5, 100000, -1),
	IO(SOL_TCP, TCP_WINDOW_CLAMP, TCP, 0, 10, 100000, -1, 0),
	IO(SOL_TCP, TCP_QUICKACK, TCP, 0, 0, 5, 2),
	IO(SOL_TCP, TCP_USER_TIMEOUT, TCP, 0, 5000, -1, 0),
	IO(SOL_TCP, TCP_FASTOPEN, TCP, 0, 5, 100000, -1, 0),
	IO(SOL_TCP, TCP_NOTSENT_LOWAT, TCP, 0, 16384, -1, 0),

	IO(SOL_UDP, UDP_CORK, UDP, 0, 5, 0),
	IO(SOL_UDP, UDP_ENCAP, UDP, 0, 2, 99, 0),
	IO(SOL_UDP, UDP_SEGMENT, UDP, 0, 1400, 70000, -1, 0),
	IO(SOL_UDP, UDP_GRO, UDP, 0, 5, 0),
	IO(SOL_UDP, UDP_NO_CHECK6_TX, UDP, 0, 5, 0),
	IO(SOL_UDP, UDP_NO_CHECK6_RX, UDP, 0, 5, 0),
};

/* Default (int, then optlen 1 and 2), each value set and read back, then
 * setsockopt with optlen 0, 1, 2 (bytes 11 01) and 8 (int 17 + garbage). */
static void run_int(const struct iopt *o, int k)
{
	static const unsigned char sb[2] = { 0x11, 0x01 };
	static const int s8[2] = { 17, 0x5a5a5a5a };
	static const socklen_t slen[4] = { 0, 1, 2, 8 };
	int fd = mk(k), rb = o->rb ? o->rb : o->opt;
	geti(lab(k, o->name, "get"), fd, o->level, o->opt);
	get_bytes(lab(k, o->name, "get len1"), fd, o->level, o->opt, 1);
	get_bytes(lab(k, o->name, "get len2"), fd, o->level, o->opt, 2);
	for (int i = 0; i < o->nv; i++) {
		show(lab(k, o->name, "set %d", o->v[i]), seti(fd, o->level, o->opt, o->v[i]));
		geti(lab(k, o->name, "after %d", o->v[i]), fd, o->level, rb);
	}
	for (int i = 0; i < 4; i++) {
		const void *p = slen[i] == 8 ? (const void *)s8 : (const void *)sb;
		show(lab(k, o->name, "set len%u", slen[i]), setsockopt(fd, o->level, o->opt, p, slen[i]));
		geti(lab(k, o->name, "after len%u", slen[i]), fd, o->level, rb);
	}
	close(fd);
}

/* ---- linger, timeval, string and struct options ---------------------------- */

typedef void fmt_fn(char *o, size_t n, const unsigned char *b, socklen_t len);

static void fmt_linger(char *o, size_t n, const unsigned char *b, socklen_t len)
{
	const struct linger *l = (const void *)b;
	if (len < sizeof *l)
		snprintf(o, n, "onoff=%d", len >= 4 ? l->l_onoff : -1);
	else
		snprintf(o, n, "onoff=%d linger=%d", l->l_onoff, l->l_linger);
}

static void fmt_timeval(char *o, size_t n, const unsigned char *b, socklen_t len)
{
	const struct timeval *t = (const void *)b;
	if (len < sizeof *t)
		snprintf(o, n, "sec=%ld", len >= 8 ? (long)t->tv_sec : -1L);
	else
		snprintf(o, n, "sec=%ld usec=%ld", (long)t->tv_sec, (long)t->tv_usec);
}

static void fmt_str(char *o, size_t n, const unsigned char *b, socklen_t len)
{
	snprintf(o, n, "'%.*s'", (int)len, (const char *)b);
}

/* SO_PEERCRED: pid shown only as 0, self or other. */
static void fmt_ucred(char *o, size_t n, const unsigned char *b, socklen_t len)
{
	const struct ucred *c = (const void *)b;
	if (len < sizeof *c) {
		snprintf(o, n, "short");
		return;
	}
	snprintf(o, n, "pid=%s uid=%d gid=%d", c->pid == 0 ? "0" : c->pid == getpid() ? "self" : "other",
		 (int)c->uid, (int)c->gid);
}

struct txt { int clockid; unsigned flags; };	/* struct sock_txtime */
static void fmt_txtime(char *o, size_t n, const unsigned char *b, socklen_t len)
{
	const struct txt *t = (const void *)b;
	if (len < sizeof *t)
		snprintf(o, n, "short");
	else
		snprintf(o, n, "clockid=%d flags=%u", t->clockid, t->flags);
}

static void fmt_inaddr(char *o, size_t n, const unsigned char *b, socklen_t len)
{
	char ip[INET_ADDRSTRLEN];
	if (len < 4)
		snprintf(o, n, "short");
	else
		snprintf(o, n, "%s", inet_ntop(AF_INET, b, ip, sizeof ip));
}

static void fmt_hex(char *o, size_t n, const unsigned char *b, socklen_t len)
{
	size_t w = 0;
	o[0] = 0;
	for (socklen_t i = 0; i < len && w + 3 < n; i++)
		w += snprintf(o + w, n - w, "%02x", b[i]);
	if (!len)
		snprintf(o, n, "none");
}

/* TCP_INFO: only tcpi_state (the first byte). */
static void fmt_tcpinfo(char *o, size_t n, const unsigned char *b, socklen_t len)
{
	if (len < 1)
		snprintf(o, n, "short");
	else
		snprintf(o, n, "state=%u", b[0]);
}

struct sval { const char *tag; const void *p; socklen_t len; };
struct xopt {
	const char *name;
	int level, opt, kinds;
	fmt_fn *fmt;
	socklen_t size;		/* the option's natural size */
	socklen_t shortlen;	/* a short getsockopt at start and end */
	int nv;
	const struct sval *v;
};

#define SV(tag, type, ...) { tag, &(type){ __VA_ARGS__ }, sizeof(type) }
#define SVL(tag, len, type, ...) { tag, &(type){ __VA_ARGS__ }, len }
#define NV(a) (int)(sizeof(a) / sizeof((a)[0])), a

static const struct sval v_linger[] = {
	SV("1 5", struct linger, 1, 5), SV("0 7", struct linger, 0, 7), SV("5 3", struct linger, 5, 3),
	SV("1 -1", struct linger, 1, -1), SV("1 0", struct linger, 1, 0),
	SVL("1 9 len4", 4, struct linger, 1, 9), SVL("1 9 len0", 0, struct linger, 1, 9),
	SVL("1 9 len12", 12, int[3], 1, 9, 0),
};
static const struct sval v_timeo[] = {
	SV("2 500000", struct timeval, 2, 500000), SV("0 1", struct timeval, 0, 1),
	SV("0 1000000", struct timeval, 0, 1000000), SV("0 -1", struct timeval, 0, -1),
	SV("0 999999", struct timeval, 0, 999999), SV("-1 0", struct timeval, -1, 0),
	SV("3 0", struct timeval, 3, 0), SV("LONG_MAX 0", struct timeval, LONG_MAX, 0),
	SVL("5 0 len8", 8, struct timeval, 5, 0), SVL("5 0 len0", 0, struct timeval, 5, 0),
	SVL("6 0 len24", 24, long[3], 6, 0, 0),
};
static const struct sval v_bindtodev[] = {
	{ "lo len3", "lo", 3 }, { "nosuchdev len10", "nosuchdev", 10 }, { "empty len1", "", 1 },
	{ "lo len2", "lo", 2 }, { "lo len0", "lo", 0 },
};
static const struct sval v_cong[] = {
	{ "reno len5", "reno", 5 }, { "nosuch len7", "nosuch", 7 }, { "cubic len5", "cubic", 5 },
	{ "reno len0", "reno", 0 }, { "reno len3", "reno", 3 },
};
static const struct sval v_peercred[] = { SV("0 0 0", int[3], 0, 0, 0) };
static const struct sval v_tcpinfo[] = { SV("zero", int[26], 0) };
static const struct sval v_txtime[] = {
	SV("MONOTONIC 0", struct txt, CLOCK_MONOTONIC, 0), SV("TAI 1", struct txt, CLOCK_TAI, 1),
	SV("REALTIME 4", struct txt, CLOCK_REALTIME, 4), SV("99 0", struct txt, 99, 0),
	SV("BOOTTIME 3", struct txt, CLOCK_BOOTTIME, 3),
	SVL("MONOTONIC 0 len4", 4, struct txt, CLOCK_MONOTONIC, 0),
	SVL("MONOTONIC 0 len12", 12, int[3], CLOCK_MONOTONIC, 0, 0),
};
static const struct sval v_mcif[] = {
	SV("127.0.0.1", unsigned char[4], 127, 0, 0, 1), SV("10.99.0.1", unsigned char[4], 10, 99, 0, 1),
	SV("mreq 0.0.0.0 127.0.0.2", unsigned char[8], 0, 0, 0, 0, 127, 0, 0, 2),
	SVL("127.0.0.1 len2", 2, unsigned char[4], 127, 0, 0, 1),
	SV("0.0.0.0", unsigned char[4], 0, 0, 0, 0),
};
/* NOP + record route with 9 empty slots = 40 bytes (the seed's EX-11). */
#define RR40 1, 7, 39, 4
static const struct sval v_ipopt[] = {
	SV("rr40", unsigned char[40], RR40), SV("rr44", unsigned char[44], 1, 7, 43, 4),
	SV("ts2", unsigned char[4], 68, 2, 5, 0), SV("nop3", unsigned char[4], 1, 1, 1, 0),
	SVL("len0", 0, unsigned char[4], 0), SV("rr40 again", unsigned char[40], RR40),
	SVL("nop len3", 3, unsigned char[4], 1, 1, 1, 0),
};

static const struct xopt xtab[] = {
	{ "SO_LINGER", SOL_SOCKET, SO_LINGER, ALL, fmt_linger, sizeof(struct linger), 4, NV(v_linger) },
	{ "SO_RCVTIMEO", SOL_SOCKET, SO_RCVTIMEO, ALL, fmt_timeval, sizeof(struct timeval), 8, NV(v_timeo) },
	{ "SO_SNDTIMEO", SOL_SOCKET, SO_SNDTIMEO, ALL, fmt_timeval, sizeof(struct timeval), 8, NV(v_timeo) },
	{ "SO_BINDTODEVICE", SOL_SOCKET, SO_BINDTODEVICE, ALL, fmt_str, IFNAMSIZ, 4, NV(v_bindtodev) },
	{ "SO_PEERCRED", SOL_SOCKET, SO_PEERCRED, ALL, fmt_ucred, sizeof(struct ucred), 4, NV(v_peercred) },
	{ "SO_TXTIME", SOL_SOCKET, SO_TXTIME, ALL, fmt_txtime, sizeof(struct txt), 4, NV(v_txtime) },
	{ "IP_MULTICAST_IF", SOL_IP, IP_MULTICAST_IF, ALL, fmt_inaddr, 4, 2, NV(v_mcif) },
	{ "IP_OPTIONS", SOL_IP, IP_OPTIONS, ALL, fmt_hex, 40, 4, NV(v_ipopt) },
	{ "TCP_INFO", SOL_TCP, TCP_INFO, TCP, fmt_tcpinfo, sizeof(struct tcp_info), 1, NV(v_tcpinfo) },
	{ "TCP_CONGESTION", SOL_TCP, TCP_CONGESTION, TCP, fmt_str, 16, 2, NV(v_cong) },
};

/* getsockopt into a zeroed buffer of n bytes, formatted by o->fmt. */
static void xget(const char *l, int fd, const struct xopt *o, socklen_t n)
{
	unsigned char b[512];
	char out[200];
	memset(b, 0, sizeof b);
	if (getsockopt(fd, o->level, o->opt, b, &n) < 0) {
		printf("%s: -1 %s\n", l, errname(errno));
		return;
	}
	o->fmt(out, sizeof out, b, n);
	printf("%s: %s len=%d\n", l, out, (int)n);
}

static void run_struct(const struct xopt *o, int k)
{
	int fd = mk(k);
	xget(lab(k, o->name, "get"), fd, o, o->size);
	xget(lab(k, o->name, "get len512"), fd, o, 512);
	get_bytes(lab(k, o->name, "get len%u", o->shortlen), fd, o->level, o->opt, o->shortlen);
	for (int i = 0; i < o->nv; i++) {
		const struct sval *v = &o->v[i];
		show(lab(k, o->name, "set %s", v->tag), setsockopt(fd, o->level, o->opt, v->p, v->len));
		xget(lab(k, o->name, "after %s", v->tag), fd, o, o->size);
	}
	get_bytes(lab(k, o->name, "get len%u at end", o->shortlen), fd, o->level, o->opt, o->shortlen);
	close(fd);
}

/* ---- wrong family or protocol, unknown options, bad lengths and pointers --- */

struct lopt { const char *name; int level, opt, kinds; };
static const struct lopt wrong[] = {
	{ "IPV6_V6ONLY", SOL_IPV6, IPV6_V6ONLY, T4 | U4 },
	{ "IPV6_UNICAST_HOPS", SOL_IPV6, IPV6_UNICAST_HOPS, T4 | U4 },
	{ "IPV6_TCLASS", SOL_IPV6, IPV6_TCLASS, T4 | U4 },
	{ "IPV6_RECVPKTINFO", SOL_IPV6, IPV6_RECVPKTINFO, T4 | U4 },
	{ "IPV6_MTU", SOL_IPV6, IPV6_MTU, T4 | U4 },
	{ "TCP_NODELAY", SOL_TCP, TCP_NODELAY, UDP },
	{ "TCP_MAXSEG", SOL_TCP, TCP_MAXSEG, UDP },
	{ "TCP_INFO", SOL_TCP, TCP_INFO, UDP },
	{ "TCP_CONGESTION", SOL_TCP, TCP_CONGESTION, UDP },
	{ "UDP_CORK", SOL_UDP, UDP_CORK, TCP },
	{ "UDP_SEGMENT", SOL_UDP, UDP_SEGMENT, TCP },
	{ "UDP_GRO", SOL_UDP, UDP_GRO, TCP },
	{ "SOL_SOCKET opt999", SOL_SOCKET, 999, ALL },
	/* BSD's SO_NOSIGPIPE number: Linux has no such option (SO-24). */
	{ "SO_NOSIGPIPE(0x1022)", SOL_SOCKET, 0x1022, ALL },
	{ "SOL_IP opt150", SOL_IP, 150, ALL },
	{ "SOL_IPV6 opt999", SOL_IPV6, 999, V6 },
	{ "SOL_TCP opt99", SOL_TCP, 99, TCP },
	{ "SOL_UDP opt99", SOL_UDP, 99, UDP },
	{ "SOL_RAW opt1", 255, 1, ALL },
	{ "SOL_PACKET opt1", 263, 1, ALL },
	{ "level1234 opt1", 1234, 1, ALL },
};
/* One int option per level for optlen -1 / 0 and bad pointers. */
static const struct lopt perlevel[] = {
	{ "SO_RCVBUF", SOL_SOCKET, SO_RCVBUF, ALL },
	{ "IP_TTL", SOL_IP, IP_TTL, ALL },
	{ "IPV6_UNICAST_HOPS", SOL_IPV6, IPV6_UNICAST_HOPS, V6 },
	{ "TCP_NODELAY", SOL_TCP, TCP_NODELAY, TCP },
	{ "UDP_CORK", SOL_UDP, UDP_CORK, UDP },
};

static void run_wrong(const struct lopt *o, int k)
{
	int fd = mk(k);
	geti(lab(k, o->name, "wrong get"), fd, o->level, o->opt);
	show(lab(k, o->name, "wrong set"), seti(fd, o->level, o->opt, 1));
	close(fd);
}

static void run_perlevel(const struct lopt *o, int k)
{
	int fd = mk(k), v = 1;
	socklen_t n = sizeof v;
	get_bytes(lab(k, o->name, "get len-1"), fd, o->level, o->opt, (socklen_t)-1);
	get_bytes(lab(k, o->name, "get len0"), fd, o->level, o->opt, 0);
	show(lab(k, o->name, "get badptr"), getsockopt(fd, o->level, o->opt, BADPTR, &n));
	show(lab(k, o->name, "get badlenptr"), getsockopt(fd, o->level, o->opt, &v, BADPTR));
	show(lab(k, o->name, "set badptr"), setsockopt(fd, o->level, o->opt, BADPTR, sizeof v));
	show(lab(k, o->name, "set len-1"), setsockopt(fd, o->level, o->opt, &v, (socklen_t)-1));
	close(fd);
}

/* ---- options that share state -------------------------------------------- */

struct cross { const char *name; int slevel, sopt, sval, glevel, gopt, kinds; };
static const struct cross crosses[] = {
	{ "SO_TIMESTAMP 1", SOL_SOCKET, SO_TIMESTAMP, 1, SOL_SOCKET, SO_TIMESTAMP, T4 | U4 },
	{ "SO_TIMESTAMPNS 1 then SO_TIMESTAMP", SOL_SOCKET, SO_TIMESTAMPNS, 1, SOL_SOCKET, SO_TIMESTAMP, T4 | U4 },
	{ "then SO_TIMESTAMPNS", SOL_SOCKET, SO_TIMESTAMPNS, 1, SOL_SOCKET, SO_TIMESTAMPNS, T4 | U4 },
	{ "SO_TIMESTAMPNS 0 then SO_TIMESTAMP", SOL_SOCKET, SO_TIMESTAMPNS, 0, SOL_SOCKET, SO_TIMESTAMP, T4 | U4 },
	{ "IPV6_FREEBIND 1 then IP_FREEBIND", SOL_IPV6, IPV6_FREEBIND, 1, SOL_IP, IP_FREEBIND, V6 },
	{ "IP_FREEBIND 0 then IPV6_FREEBIND", SOL_IP, IP_FREEBIND, 0, SOL_IPV6, IPV6_FREEBIND, V6 },
	{ "IPV6_TRANSPARENT 1 then IP_TRANSPARENT", SOL_IPV6, IPV6_TRANSPARENT, 1, SOL_IP, IP_TRANSPARENT, V6 },
	{ "IP_TTL 17 then IPV6_UNICAST_HOPS", SOL_IP, IP_TTL, 17, SOL_IPV6, IPV6_UNICAST_HOPS, V6 },
	{ "IPV6_UNICAST_HOPS 33 then IP_TTL", SOL_IPV6, IPV6_UNICAST_HOPS, 33, SOL_IP, IP_TTL, V6 },
	{ "IP_TOS 40 then IPV6_TCLASS", SOL_IP, IP_TOS, 40, SOL_IPV6, IPV6_TCLASS, V6 },
	{ "IPV6_TCLASS 72 then IP_TOS", SOL_IPV6, IPV6_TCLASS, 72, SOL_IP, IP_TOS, V6 },
	{ "IP_MTU_DISCOVER 0 then IPV6_MTU_DISCOVER", SOL_IP, IP_MTU_DISCOVER, 0, SOL_IPV6, IPV6_MTU_DISCOVER, V6 },
	{ "IP_RECVERR 1 then IPV6_RECVERR", SOL_IP, IP_RECVERR, 1, SOL_IPV6, IPV6_RECVERR, V6 },
	{ "IP_MULTICAST_LOOP 0 then IPV6_MULTICAST_LOOP", SOL_IP, IP_MULTICAST_LOOP, 0, SOL_IPV6,
	  IPV6_MULTICAST_LOOP, U6 },
};

/* The rows of crosses[] run in order on one socket per kind. */
static void run_crosses(int k)
{
	int fd = mk(k);
	for (size_t i = 0; i < sizeof crosses / sizeof crosses[0]; i++) {
		const struct cross *c = &crosses[i];
		if (!(c->kinds & (1 << k)))
			continue;
		show(lab(k, c->name, "set"), seti(fd, c->slevel, c->sopt, c->sval));
		geti(lab(k, c->name, "get"), fd, c->glevel, c->gopt);
	}
	close(fd);
}

/* bind() to an address no interface has, plain and with an option set. */
static void bind_nonlocal(int k, const char *what, int level, int opt)
{
	int fd = mk(k), r;
	if (level >= 0)
		show(lab(k, "nonlocal bind", "%s set", what), seti(fd, level, opt, 1));
	if (kfam(k) == AF_INET6) {
		struct sockaddr_in6 a = sin6("2001:db8::1", 0);
		r = bind(fd, (struct sockaddr *)&a, sizeof a);
	} else {
		struct sockaddr_in a = sin4("10.99.0.1", 0);
		r = bind(fd, (struct sockaddr *)&a, sizeof a);
	}
	show(lab(k, "nonlocal bind", "%s", what), r);
	close(fd);
}

static void misc(void)
{
	for (int k = 0; k < NKIND; k++)
		run_crosses(k);
	for (int k = 0; k < NKIND; k++) {
		bind_nonlocal(k, "plain", -1, 0);
		bind_nonlocal(k, "IP_FREEBIND", SOL_IP, IP_FREEBIND);
		bind_nonlocal(k, "IP_TRANSPARENT", SOL_IP, IP_TRANSPARENT);
		if (kfam(k) == AF_INET6) {
			bind_nonlocal(k, "IPV6_FREEBIND", SOL_IPV6, IPV6_FREEBIND);
			bind_nonlocal(k, "IPV6_TRANSPARENT", SOL_IPV6, IPV6_TRANSPARENT);
		}
	}
	/* IP_BIND_ADDRESS_NO_PORT keeps the port 0 until connect; IPV6_V6ONLY after bind. */
	for (int k = 0; k < NKIND; k++) {
		struct sockaddr_storage ss;
		socklen_t al = lo_addr(kfam(k), &ss);
		int fd = mk(k);
		show(lab(k, "no-port bind", "set"), seti(fd, SOL_IP, IP_BIND_ADDRESS_NO_PORT, 1));
		show(lab(k, "no-port bind", "bind"), bind(fd, (struct sockaddr *)&ss, al));
		al = sizeof ss;
		getsockname(fd, (struct sockaddr *)&ss, &al);
		printf("%s: %d\n", lab(k, "no-port bind", "port is 0"), sa_port(&ss) == 0);
		if (kfam(k) == AF_INET6)
			show(lab(k, "IPV6_V6ONLY", "set after no-port bind"), seti(fd, SOL_IPV6, IPV6_V6ONLY, 1));
		close(fd);
		if (kfam(k) != AF_INET6)
			continue;
		fd = mk(k);
		al = lo_addr(kfam(k), &ss);
		show(lab(k, "IPV6_V6ONLY", "bind"), bind(fd, (struct sockaddr *)&ss, al));
		show(lab(k, "IPV6_V6ONLY", "set after bind"), seti(fd, SOL_IPV6, IPV6_V6ONLY, 1));
		geti(lab(k, "IPV6_V6ONLY", "after bind"), fd, SOL_IPV6, IPV6_V6ONLY);
		close(fd);
		/* A v6-only socket and v4-mapped addresses. */
		{
			struct sockaddr_in6 m = sin6("::ffff:127.0.0.1", 9);
			fd = mk(k);
			seti(fd, SOL_IPV6, IPV6_V6ONLY, 1);
			show(lab(k, "v6only", "bind mapped"), bind(fd, (struct sockaddr *)&m, sizeof m));
			show(lab(k, "v6only", "connect mapped"), connect(fd, (struct sockaddr *)&m, sizeof m));
			if (k == K_U6)
				show(lab(k, "v6only", "sendto mapped"),
				     sendto(fd, "x", 1, 0, (struct sockaddr *)&m, sizeof m));
			close(fd);
		}
	}
	/* Options belong to the socket, not the fd. */
	for (int k = 0; k < NKIND; k++) {
		int fd = mk(k), d = dup(fd);
		show(lab(k, "dup", "set SO_RCVBUF 10000 via fd"), seti(fd, SOL_SOCKET, SO_RCVBUF, 10000));
		geti(lab(k, "dup", "SO_RCVBUF via dup"), d, SOL_SOCKET, SO_RCVBUF);
		show(lab(k, "dup", "set IP_TTL 9 via dup"), seti(d, SOL_IP, IP_TTL, 9));
		geti(lab(k, "dup", "IP_TTL via fd"), fd, SOL_IP, IP_TTL);
		close(d);
		close(fd);
	}
	/* Default buffer sizes come from the sysctls. */
	for (int k = 0; k < NKIND; k++) {
		static const char *const f[4] = { "/proc/sys/net/ipv4/tcp_rmem", "/proc/sys/net/ipv4/tcp_wmem",
						  "/proc/sys/net/core/rmem_default", "/proc/sys/net/core/wmem_default" };
		int tcp = k <= K_T6, fd = mk(k);
		for (int w = 0; w < 2; w++) {
			const char *path = f[(tcp ? 0 : 2) + w];
			long a = -1, b = -1;
			int v = -1;
			socklen_t n = sizeof v;
			FILE *fp = fopen(path, "r");
			if (fp) {
				if (fscanf(fp, "%ld %ld", &a, &b) < 1)
					a = -1;
				fclose(fp);
			}
			getsockopt(fd, SOL_SOCKET, w ? SO_SNDBUF : SO_RCVBUF, &v, &n);
			printf("%s: %d\n", lab(k, w ? "SO_SNDBUF" : "SO_RCVBUF", "default equals %s", path),
			       v == (tcp ? b : a));
		}
		close(fd);
	}
}

/* ---- state-dependent options ---------------------------------------------- */

static const struct xopt peercred = { "SO_PEERCRED", SOL_SOCKET, SO_PEERCRED, ALL, fmt_ucred,
					  sizeof(struct ucred), 4, NV(v_peercred) };

static int tcpi_state(int fd)
{
	struct tcp_info ti;
	socklen_t n = sizeof ti;
	memset(&ti, 0, sizeof ti);
	if (getsockopt(fd, SOL_TCP, TCP_INFO, &ti, &n) < 0)
		return -errno;
	return ti.tcpi_state;
}

/* Poll TCP_INFO until the state is want (at most ~1 s); returns the last state. */
static int wait_state(int fd, int want)
{
	int s = tcpi_state(fd);
	for (int i = 0; i < 100 && s != want; i++) {
		usleep(10000);
		s = tcpi_state(fd);
	}
	return s;
}

static void pr_error(const char *l, int fd)
{
	int v = -1;
	socklen_t n = sizeof v;
	if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &v, &n) < 0)
		printf("%s: -1 %s\n", l, errname(errno));
	else
		printf("%s: %s len=%u\n", l, v ? errname(v) : "0", (unsigned)n);
}

/* SO_PEERNAME with optlen n: the peer's address and its length, or the
 * errno (ENOTCONN unconnected, EINVAL for an optlen beyond the address). */
static void peername(const char *l, int fd, socklen_t n)
{
	struct sockaddr_storage ss;
	socklen_t len = n;
	memset(&ss, 0, sizeof ss);
	if (getsockopt(fd, SOL_SOCKET, SO_PEERNAME, &ss, &len) < 0) {
		printf("%s: -1 %s\n", l, errname(errno));
		return;
	}
	char b[64];
	int port = sa_port(&ss);
	printf("%s: len=%u %s port=%s\n", l, (unsigned)len, fmt_addr(&ss, b, sizeof b),
	       port == 9 ? "9" : port ? "ephemeral" : "0");
}

/* SO_COOKIE: a 64-bit value, not 0; a shorter optlen is EINVAL. */
static void cookie(const char *l, int fd, socklen_t n)
{
	unsigned long long c = 0;
	socklen_t len = n;
	if (getsockopt(fd, SOL_SOCKET, SO_COOKIE, &c, &len) < 0)
		printf("%s: -1 %s\n", l, errname(errno));
	else
		printf("%s: len=%u nonzero=%d\n", l, (unsigned)len, c != 0);
}

static void state_opts(int k, const char *role, int fd)
{
	char name[64];
	snprintf(name, sizeof name, "%s", role);
	geti(lab(k, name, "SO_ACCEPTCONN"), fd, SOL_SOCKET, SO_ACCEPTCONN);
	pr_error(lab(k, name, "SO_ERROR"), fd);
	printf("%s: %d\n", lab(k, name, "tcpi_state"), tcpi_state(fd));
	geti(lab(k, name, "TCP_MAXSEG"), fd, SOL_TCP, TCP_MAXSEG);
	geti(lab(k, name, "IP_MTU"), fd, SOL_IP, IP_MTU);
	if (kfam(k) == AF_INET6)
		geti(lab(k, name, "IPV6_MTU"), fd, SOL_IPV6, IPV6_MTU);
	geti(lab(k, name, "TCP_QUICKACK"), fd, SOL_TCP, TCP_QUICKACK);
	geti(lab(k, name, "TCP_NODELAY"), fd, SOL_TCP, TCP_NODELAY);
	geti(lab(k, name, "SO_KEEPALIVE"), fd, SOL_SOCKET, SO_KEEPALIVE);
	geti(lab(k, name, "TCP_KEEPIDLE"), fd, SOL_TCP, TCP_KEEPIDLE);
	geti(lab(k, name, "TCP_FASTOPEN"), fd, SOL_TCP, TCP_FASTOPEN);
	peername(lab(k, name, "SO_PEERNAME"), fd, kfam(k) == AF_INET6 ? sizeof(struct sockaddr_in6) : sizeof(struct sockaddr_in));
	xget(lab(k, name, "SO_PEERCRED"), fd, &peercred, sizeof(struct ucred));
}

static void tcp_pair(int k)
{
	struct sockaddr_storage ss;
	socklen_t al = lo_addr(kfam(k), &ss);
	int l = mk(k), c = mk(k), s;
	struct pollfd p;

	show(lab(k, "listener", "set SO_RCVBUF 65536"), seti(l, SOL_SOCKET, SO_RCVBUF, 65536));
	show(lab(k, "listener", "set SO_KEEPALIVE 1"), seti(l, SOL_SOCKET, SO_KEEPALIVE, 1));
	show(lab(k, "listener", "set TCP_NODELAY 1"), seti(l, SOL_TCP, TCP_NODELAY, 1));
	show(lab(k, "listener", "set TCP_KEEPIDLE 100"), seti(l, SOL_TCP, TCP_KEEPIDLE, 100));
	show(lab(k, "listener", "set TCP_FASTOPEN 3"), seti(l, SOL_TCP, TCP_FASTOPEN, 3));
	show(lab(k, "listener", "bind"), bind(l, (struct sockaddr *)&ss, al));
	show(lab(k, "listener", "listen"), listen(l, 4));
	al = sizeof ss;
	getsockname(l, (struct sockaddr *)&ss, &al);
	show(lab(k, "client", "connect"), connect(c, (struct sockaddr *)&ss, al));
	s = accept(l, NULL, NULL);
	showfd(lab(k, "server", "accept"), s);
	state_opts(k, "listener", l);
	state_opts(k, "client", c);
	state_opts(k, "server", s);
	geti(lab(k, "server", "SO_RCVBUF"), s, SOL_SOCKET, SO_RCVBUF);
	geti(lab(k, "listener", "SO_RCVBUF"), l, SOL_SOCKET, SO_RCVBUF);
	show(lab(k, "client", "set TCP_FASTOPEN 5"), seti(c, SOL_TCP, TCP_FASTOPEN, 5));
	show(lab(k, "client", "set TCP_WINDOW_CLAMP 0"), seti(c, SOL_TCP, TCP_WINDOW_CLAMP, 0));
	show(lab(k, "client", "set TCP_MAXSEG 1000"), seti(c, SOL_TCP, TCP_MAXSEG, 1000));
	geti(lab(k, "client", "TCP_MAXSEG after 1000"), c, SOL_TCP, TCP_MAXSEG);
	show(lab(k, "client", "set IP_MULTICAST_TTL 5"), seti(c, SOL_IP, IP_MULTICAST_TTL, 5));
	if (kfam(k) == AF_INET6)
		show(lab(k, "client", "set IPV6_V6ONLY 1"), seti(c, SOL_IPV6, IPV6_V6ONLY, 1));

	show(lab(k, "server", "shutdown SHUT_WR"), shutdown(s, SHUT_WR));
	p.fd = c;
	p.events = POLLIN;
	p.revents = 0;
	show(lab(k, "client", "poll after server SHUT_WR"), poll(&p, 1, 2000));
	printf("%s: %#x\n", lab(k, "client", "revents after server SHUT_WR"), p.revents);
	printf("%s: %d\n", lab(k, "client", "tcpi_state after server SHUT_WR"), wait_state(c, 8));
	printf("%s: %d\n", lab(k, "server", "tcpi_state after SHUT_WR"), wait_state(s, 5));
	show(lab(k, "client", "shutdown SHUT_WR"), shutdown(c, SHUT_WR));
	printf("%s: %d\n", lab(k, "client", "tcpi_state after both SHUT_WR"), wait_state(c, 7));
	printf("%s: %d\n", lab(k, "server", "tcpi_state after both SHUT_WR"), wait_state(s, 7));
	geti(lab(k, "server", "IP_MTU after close"), s, SOL_IP, IP_MTU);
	close(c);
	close(s);
	close(l);
}

/* Non-blocking connect to a bound but not listening port: SO_ERROR read and cleared. */
static void tcp_refused(int k)
{
	struct sockaddr_storage ss;
	socklen_t al = lo_addr(kfam(k), &ss);
	int b = mk(k), c = socket(kfam(k), SOCK_STREAM | SOCK_NONBLOCK, 0);
	struct pollfd p;
	bind(b, (struct sockaddr *)&ss, al);
	al = sizeof ss;
	getsockname(b, (struct sockaddr *)&ss, &al);
	show(lab(k, "refused", "connect"), connect(c, (struct sockaddr *)&ss, al));
	p.fd = c;
	p.events = POLLOUT;
	p.revents = 0;
	show(lab(k, "refused", "poll"), poll(&p, 1, 2000));
	printf("%s: %#x\n", lab(k, "refused", "revents"), p.revents);
	pr_error(lab(k, "refused", "SO_ERROR"), c);
	pr_error(lab(k, "refused", "SO_ERROR again"), c);
	printf("%s: %d\n", lab(k, "refused", "tcpi_state"), tcpi_state(c));
	close(c);
	close(b);
}

/* Connected UDP: the path MTU becomes readable. */
/* SO_MEMINFO of an unbound-then-bound UDP socket before and after one
 * datagram is queued on it, and after it is read. */
static void meminfo_udp(int k)
{
	struct sockaddr_storage ss;
	socklen_t al = lo_addr(kfam(k), &ss);
	int r = mk(k), s = mk(k);
	bind(r, (struct sockaddr *)&ss, al);
	al = sizeof ss;
	getsockname(r, (struct sockaddr *)&ss, &al);
	for (int step = 0; step < 3; step++) {
		static const char *const what[] = {"empty", "one queued", "read"};
		if (step == 1) {
			sendto(s, "x", 1, 0, (struct sockaddr *)&ss, al);
			struct pollfd p = {r, POLLIN, 0};
			poll(&p, 1, 1000);
		} else if (step == 2) {
			char b[8];
			recv(r, b, sizeof b, MSG_DONTWAIT);
		}
		unsigned mi[SK_MEMINFO_VARS];
		socklen_t len = sizeof mi;
		memset(mi, 0xee, sizeof mi);
		if (getsockopt(r, SOL_SOCKET, SO_MEMINFO, mi, &len) < 0) {
			printf("%s: -1 %s\n", lab(k, "SO_MEMINFO", "%s", what[step]), errname(errno));
			continue;
		}
		printf("%s: len=%u rmem=%u rcvbuf=%u sndbuf=%u drops=%u\n", lab(k, "SO_MEMINFO", "%s", what[step]),
		       (unsigned)len, mi[SK_MEMINFO_RMEM_ALLOC], mi[SK_MEMINFO_RCVBUF], mi[SK_MEMINFO_SNDBUF],
		       mi[SK_MEMINFO_DROPS]);
	}
	unsigned small[2];
	socklen_t len = sizeof small;
	if (getsockopt(r, SOL_SOCKET, SO_MEMINFO, small, &len) == 0)
		printf("%s: len=%u rcvbuf=%u\n", lab(k, "SO_MEMINFO", "len 8"), (unsigned)len, small[1]);
	peername(lab(k, "unconnected", "SO_PEERNAME"), r, sizeof ss);
	cookie(lab(k, "unconnected", "SO_COOKIE"), r, 8);
	cookie(lab(k, "unconnected", "SO_COOKIE len 4"), r, 4);
	close(r);
	close(s);
}

static void udp_connected(int k)
{
	struct sockaddr_storage ss;
	socklen_t al = lo_addr(kfam(k), &ss);
	int fd = mk(k);
	((struct sockaddr_in *)&ss)->sin_port = htons(9);
	show(lab(k, "connected", "connect"), connect(fd, (struct sockaddr *)&ss, al));
	geti(lab(k, "connected", "IP_MTU"), fd, SOL_IP, IP_MTU);
	if (kfam(k) == AF_INET6)
		geti(lab(k, "connected", "IPV6_MTU"), fd, SOL_IPV6, IPV6_MTU);
	geti(lab(k, "connected", "SO_ERROR"), fd, SOL_SOCKET, SO_ERROR);
	socklen_t exact = kfam(k) == AF_INET6 ? sizeof(struct sockaddr_in6) : sizeof(struct sockaddr_in);
	peername(lab(k, "connected", "SO_PEERNAME"), fd, exact);
	peername(lab(k, "connected", "SO_PEERNAME short"), fd, 8);
	peername(lab(k, "connected", "SO_PEERNAME long"), fd, exact + 4);
	if (kfam(k) == AF_INET6) {
		unsigned char mi[40];
		socklen_t n = sizeof mi;
		memset(mi, 0xee, sizeof mi);
		if (getsockopt(fd, SOL_IPV6, IPV6_PATHMTU, mi, &n) < 0)
			printf("%s: -1 %s\n", lab(k, "connected", "IPV6_PATHMTU"), errname(errno));
		else {
			unsigned mtu;
			memcpy(&mtu, mi + 28, sizeof mtu);
			int zero = 1;
			for (int i = 0; i < 28; i++)
				zero &= mi[i] == 0;
			printf("%s: len=%u mtu=%u addr zero=%d\n", lab(k, "connected", "IPV6_PATHMTU"), (unsigned)n, mtu, zero);
		}
		n = 16;
		show(lab(k, "connected", "IPV6_PATHMTU len 16"), getsockopt(fd, SOL_IPV6, IPV6_PATHMTU, mi, &n));
		int u = socket(AF_INET6, SOCK_DGRAM, 0);
		n = sizeof mi;
		show(lab(k, "unconnected", "IPV6_PATHMTU"), getsockopt(u, SOL_IPV6, IPV6_PATHMTU, mi, &n));
		close(u);
	}
	close(fd);
}

/* ---- privileged options as uid 65534 --------------------------------------- */

static const struct { const char *name; int kind, level, opt, val; } unpriv_int[] = {
	{ "SO_DEBUG 1", K_U4, SOL_SOCKET, SO_DEBUG, 1 },
	{ "SO_PRIORITY 6", K_U4, SOL_SOCKET, SO_PRIORITY, 6 },
	{ "SO_PRIORITY 7", K_U4, SOL_SOCKET, SO_PRIORITY, 7 },
	{ "SO_PRIORITY -1", K_U4, SOL_SOCKET, SO_PRIORITY, -1 },
	{ "SO_MARK 5", K_U4, SOL_SOCKET, SO_MARK, 5 },
	{ "SO_SNDBUFFORCE 100000", K_U4, SOL_SOCKET, SO_SNDBUFFORCE, 100000 },
	{ "SO_RCVBUFFORCE 100000", K_U4, SOL_SOCKET, SO_RCVBUFFORCE, 100000 },
	{ "SO_BUSY_POLL 50", K_U4, SOL_SOCKET, SO_BUSY_POLL, 50 },
	{ "IP_TRANSPARENT 1", K_U4, SOL_IP, IP_TRANSPARENT, 1 },
	{ "IP_TRANSPARENT 0", K_U4, SOL_IP, IP_TRANSPARENT, 0 },
	{ "IP_IPSEC_POLICY 0", K_U4, SOL_IP, IP_IPSEC_POLICY, 0 },
	{ "IPV6_TRANSPARENT 1", K_U6, SOL_IPV6, IPV6_TRANSPARENT, 1 },
	{ "SO_DEBUG 1", K_T4, SOL_SOCKET, SO_DEBUG, 1 },
	{ "SO_PRIORITY 7", K_T4, SOL_SOCKET, SO_PRIORITY, 7 },
	{ "SO_PREFER_BUSY_POLL 1", K_U4, SOL_SOCKET, SO_PREFER_BUSY_POLL, 1 },
	{ "SO_PREFER_BUSY_POLL 0", K_U4, SOL_SOCKET, SO_PREFER_BUSY_POLL, 0 },
	{ "SO_BUSY_POLL_BUDGET 100", K_U4, SOL_SOCKET, SO_BUSY_POLL_BUDGET, 100 },
	{ "SO_BUSY_POLL_BUDGET 0", K_U4, SOL_SOCKET, SO_BUSY_POLL_BUDGET, 0 },
	{ "SO_BINDTOIFINDEX 1", K_U4, SOL_SOCKET, SO_BINDTOIFINDEX, 1 },
	{ "SO_BINDTOIFINDEX 1 again", K_U4, SOL_SOCKET, SO_BINDTOIFINDEX, 1 },
};

/* Non-int privileged options, tried in order on the child's sockets. */
static const struct { const char *name; int kind, level, opt; struct sval v; } unpriv_x[] = {
	{ "SO_BINDTODEVICE lo", K_U4, SOL_SOCKET, SO_BINDTODEVICE, { "set", "lo", 3 } },
	{ "SO_BINDTODEVICE lo", K_U4, SOL_SOCKET, SO_BINDTODEVICE, { "set again", "lo", 3 } },
	{ "SO_BINDTODEVICE empty", K_U4, SOL_SOCKET, SO_BINDTODEVICE, { "set", "", 1 } },
	{ "SO_TXTIME REALTIME", K_U4, SOL_SOCKET, SO_TXTIME, SV("set", struct txt, CLOCK_REALTIME, 0) },
	{ "SO_TXTIME MONOTONIC", K_U4, SOL_SOCKET, SO_TXTIME, SV("set", struct txt, CLOCK_MONOTONIC, 0) },
	{ "TCP_CONGESTION reno", K_T4, SOL_TCP, TCP_CONGESTION, { "set", "reno", 4 } },
	{ "TCP_CONGESTION cubic", K_T4, SOL_TCP, TCP_CONGESTION, { "set", "cubic", 5 } },
};

static void unpriv_child(void)
{
	int fd[NKIND];
	char name[80];
	if (setgroups(0, NULL) < 0 || setresgid(65534, 65534, 65534) < 0 ||
	    setresuid(65534, 65534, 65534) < 0) {
		printf("unpriv setuid: -1 %s\n", errname(errno));
		return;
	}
	for (int k = 0; k < NKIND; k++)
		fd[k] = mk(k);
	for (size_t i = 0; i < sizeof unpriv_int / sizeof unpriv_int[0]; i++) {
		int k = unpriv_int[i].kind, opt = unpriv_int[i].opt;
		snprintf(name, sizeof name, "unpriv %s", unpriv_int[i].name);
		show(lab(k, name, "set"), seti(fd[k], unpriv_int[i].level, opt, unpriv_int[i].val));
		geti(lab(k, name, "after"), fd[k], unpriv_int[i].level,
		     opt == SO_SNDBUFFORCE ? SO_SNDBUF : opt == SO_RCVBUFFORCE ? SO_RCVBUF : opt);
	}
	for (size_t i = 0; i < sizeof unpriv_x / sizeof unpriv_x[0]; i++) {
		int k = unpriv_x[i].kind;
		snprintf(name, sizeof name, "unpriv %s", unpriv_x[i].name);
		show(lab(k, name, "%s", unpriv_x[i].v.tag),
		     setsockopt(fd[k], unpriv_x[i].level, unpriv_x[i].opt, unpriv_x[i].v.p, unpriv_x[i].v.len));
	}
	bind_nonlocal(K_U4, "unpriv IP_FREEBIND", SOL_IP, IP_FREEBIND);
	for (int k = 0; k < NKIND; k++)
		close(fd[k]);
}

static void unpriv(void)
{
	pid_t pid;
	int st;
	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		unpriv_child();
		fflush(stdout);
		_exit(0);
	}
	if (pid < 0 || waitpid(pid, &st, 0) < 0)
		printf("unpriv child: -1 %s\n", errname(errno));
	else
		printf("unpriv child exit: %d\n", WIFEXITED(st) ? WEXITSTATUS(st) : -1);
}

int main(void)
{
	common_init();
	for (size_t i = 0; i < sizeof itab / sizeof itab[0]; i++)
		for (int k = 0; k < NKIND; k++)
			if (itab[i].kinds & (1 << k))
				run_int(&itab[i], k);
	for (size_t i = 0; i < sizeof xtab / sizeof xtab[0]; i++)
		for (int k = 0; k < NKIND; k++)
			if (xtab[i].kinds & (1 << k))
				run_struct(&xtab[i], k);
	for (size_t i = 0; i < sizeof wrong / sizeof wrong[0]; i++)
		for (int k = 0; k < NKIND; k++)
			if (wrong[i].kinds & (1 << k))
				run_wrong(&wrong[i], k);
	for (size_t i = 0; i < sizeof perlevel / sizeof perlevel[0]; i++)
		for (int k = 0; k < NKIND; k++)
			if (perlevel[i].kinds & (1 << k))
				run_perlevel(&perlevel[i], k);
	misc();
	tcp_pair(K_T4);
	tcp_pair(K_T6);
	tcp_refused(K_T4);
	tcp_refused(K_T6);
	udp_connected(K_U4);
	udp_connected(K_U6);
	meminfo_udp(K_U4);
	meminfo_udp(K_U6);
	unpriv();
	return 0;
}
