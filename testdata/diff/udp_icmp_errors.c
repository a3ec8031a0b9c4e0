/* udp_icmp_errors.c - ICMP and ICMPv6 errors about UDP datagrams, as
 * __udp4_lib_err and __udp6_lib_err take them: which error each type and
 * code gives (icmp_err_convert, icmpv6_err_convert), which are "hard"
 * (reported to a connected socket without IP_RECVERR) and which "soft"
 * (only queued with IP_RECVERR), what the error queue holds (errno,
 * origin, type, code, info, offender, the quoted destination, the quoted
 * payload), and path MTU discovery from fragmentation-needed and packet
 * too big (IP_MTU afterwards, per IP_MTU_DISCOVER mode, for a new socket
 * to the same destination, the 552-byte floor, no increase, EMSGSIZE for
 * a DO socket's larger datagram).
 *
 * The errors are injected as root with raw sockets: IPv4 ones with
 * IP_HDRINCL from 127.0.0.9 (so the offender differs from the quoted
 * destination), IPv6 ones from ::1. Each quotes a datagram from the test
 * socket to a closed port of 127.0.0.3 (or ::1), which was never sent:
 * Linux does not check that. All errors are injected first, then after a
 * pause every socket shows what it got. The traceroute pattern (ERR-11):
 * an unconnected socket with IP_RECVERR gets time exceeded. Ports are
 * printed as same/other.
 */
/* spec: ERR-03 ERR-10 ERR-11 PMTU-06 RAW-15 */
#include "common.h"
#include <linux/errqueue.h>
#include <netinet/icmp6.h>
#include <netinet/ip.h>
#include <netinet/ip_icmp.h>
#include <netinet/udp.h>
#include <poll.h>
#include <sys/uio.h>

static int dport; /* the closed destination port */
static int raw4 = -1, raw6 = -1;

static const char payload[] = "abcd";

/* inject6 is inject4's ICMPv6 counterpart, from ::1 to ::1 (the kernel
 * computes the checksum of a raw ICMPv6 socket's messages). */
static long inject6(int sport, int type, int code, unsigned rest)
{
	unsigned char b[8 + 40 + 8 + 4];
	memset(b, 0, sizeof b);
	b[0] = type;
	b[1] = code;
	unsigned nrest = htonl(rest);
	memcpy(b + 4, &nrest, 4);
	unsigned char *ih = b + 8;
	ih[0] = 0x60;
	ih[4] = 0;
	ih[5] = 8 + 4;
	ih[6] = IPPROTO_UDP;
	ih[7] = 64;
	inet_pton(AF_INET6, "::1", ih + 8);
	inet_pton(AF_INET6, "::1", ih + 24);
	struct udphdr uh = {.source = htons(sport), .dest = htons(dport), .len = htons(8 + 4)};
	memcpy(b + 48, &uh, sizeof uh);
	memcpy(b + 56, payload, 4);
	struct sockaddr_in6 to = sin6("::1", 0);
	return sendto(raw6, b, sizeof b, 0, (struct sockaddr *)&to, sizeof to);
}

static void poll_now(const char *pfx, int fd)
{
	struct pollfd p = {.fd = fd, .events = POLLIN | POLLOUT};
	int r = poll(&p, 1, 0);
	printf("%s poll: %d%s%s%s\n", pfx, r, p.revents & POLLIN ? " POLLIN" : "",
	       p.revents & POLLOUT ? " POLLOUT" : "", p.revents & POLLERR ? " POLLERR" : "");
}

/* errq reads one queued error and prints it. */
static void errq(const char *pfx, int fd)
{
	char data[64], ctl[256];
	struct sockaddr_storage name;
	struct iovec iov = {data, sizeof data};
	struct msghdr m = {.msg_name = &name, .msg_namelen = sizeof name, .msg_iov = &iov, .msg_iovlen = 1,
			   .msg_control = ctl, .msg_controllen = sizeof ctl};
	memset(&name, 0, sizeof name);
	ssize_t n = recvmsg(fd, &m, MSG_ERRQUEUE | MSG_DONTWAIT);
	if (n < 0) {
		printf("%s errqueue: -1 %s\n", pfx, errname(errno));
		return;
	}
	char a[80];
	int p = sa_port(&name);
	printf("%s errqueue: %zd [%.*s] name=%s port=%s\n", pfx, n, (int)n, data, fmt_addr(&name, a, sizeof a),
	       p == dport ? "same" : p == 0 ? "0" : "other");
	for (struct cmsghdr *c = CMSG_FIRSTHDR(&m); c; c = CMSG_NXTHDR(&m, c)) {
		if (!((c->cmsg_level == SOL_IP && c->cmsg_type == IP_RECVERR) ||
		      (c->cmsg_level == SOL_IPV6 && c->cmsg_type == IPV6_RECVERR))) {
			printf("%s cmsg: level=%d type=%d\n", pfx, c->cmsg_level, c->cmsg_type);
			continue;
		}
		struct sock_extended_err *ee = (struct sock_extended_err *)CMSG_DATA(c);
		printf("%s ee: errno=%s origin=%s type=%u code=%u pad=%u info=%u data=%u offender=%s\n", pfx,
		       errname(ee->ee_errno), ee_origin_name(ee->ee_origin), ee->ee_type, ee->ee_code, ee->ee_pad,
		       ee->ee_info, ee->ee_data, fmt_addr(SO_EE_OFFENDER(ee), a, sizeof a));
	}
}

static void so_error(const char *pfx, int fd)
{
	char l[120];
	snprintf(l, sizeof l, "%s SO_ERROR", pfx);
	int v = -1;
	socklen_t len = sizeof v;
	if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &v, &len) < 0)
		printf("%s: -1 %s\n", l, errname(errno));
	else
		printf("%s: %s\n", l, v ? errname(v) : "0");
}

/* A case: one socket, one injected error. */
struct icase {
	int v6;
	int type, code;
	unsigned rest;
	int connected, recverr;
	int fd;
};

static struct icase cases[160];
static int ncases;

static void add(int v6, int type, int code, unsigned rest, int connected, int recverr)
{
	struct icase *c = &cases[ncases++];
	*c = (struct icase){v6, type, code, rest, connected, recverr, -1};
	int fam = v6 ? AF_INET6 : AF_INET;
	c->fd = socket(fam, SOCK_DGRAM, 0);
	if (recverr)
		set_int(c->fd, v6 ? SOL_IPV6 : SOL_IP, v6 ? IPV6_RECVERR : IP_RECVERR, 1);
	if (connected) {
		struct sockaddr_in d4 = sin4("127.0.0.3", dport);
		struct sockaddr_in6 d6 = sin6("::1", dport);
		if (connect(c->fd, v6 ? (struct sockaddr *)&d6 : (struct sockaddr *)&d4, v6 ? sizeof d6 : sizeof d4) < 0)
			printf("connect: -1 %s\n", errname(errno));
	} else {
		bind_port0(c->fd, fam, v6 ? "::1" : "127.0.0.1");
	}
	long r = v6 ? inject6(local_port(c->fd), type, code, rest)
		    : inject_icmp4(raw4, "127.0.0.1", local_port(c->fd), "127.0.0.3", dport, type, code, rest);
	if (r < 0)
		printf("inject %d/%d: -1 %s\n", type, code, errname(errno));
}

static void report(struct icase *c)
{
	char pfx[80];
	snprintf(pfx, sizeof pfx, "%s %d/%d %s %s", c->v6 ? "v6" : "v4", c->type, c->code,
		 c->connected ? "connected" : "unconnected", c->recverr ? "recverr" : "plain");
	poll_now(pfx, c->fd);
	if (c->recverr) {
		errq(pfx, c->fd);
		errq(pfx, c->fd);
	}
	so_error(pfx, c->fd);
	close(c->fd);
}

/* The table: every destination-unreachable code (and one past the last),
 * time exceeded, parameter problem, source quench, redirect. */
static void v4_table(void)
{
	for (int code = 0; code <= 16; code++) {
		if (code == ICMP_FRAG_NEEDED)
			continue; /* below, per mode */
		add(0, ICMP_DEST_UNREACH, code, 0, 1, 0);
		add(0, ICMP_DEST_UNREACH, code, 0, 1, 1);
	}
	add(0, ICMP_TIME_EXCEEDED, 0, 0, 1, 0);
	add(0, ICMP_TIME_EXCEEDED, 0, 0, 1, 1);
	add(0, ICMP_TIME_EXCEEDED, 1, 0, 1, 1);
	add(0, ICMP_PARAMETERPROB, 0, 20u << 24, 1, 0);
	add(0, ICMP_PARAMETERPROB, 0, 20u << 24, 1, 1);
	add(0, ICMP_SOURCE_QUENCH, 0, 0, 1, 1);
	add(0, ICMP_REDIRECT, 1, 0x7f000009, 1, 1);
	/* Unconnected sockets: the traceroute pattern, and nothing without
	 * IP_RECVERR even for a hard error. */
	add(0, ICMP_TIME_EXCEEDED, 0, 0, 0, 1);
	add(0, ICMP_TIME_EXCEEDED, 0, 0, 0, 0);
	add(0, ICMP_DEST_UNREACH, ICMP_HOST_UNREACH, 0, 0, 1);
	add(0, ICMP_DEST_UNREACH, ICMP_PROT_UNREACH, 0, 0, 0);
}

static void v6_table(void)
{
	for (int code = 0; code <= 8; code++) {
		add(1, ICMP6_DST_UNREACH, code, 0, 1, 0);
		add(1, ICMP6_DST_UNREACH, code, 0, 1, 1);
	}
	add(1, ICMP6_TIME_EXCEEDED, 0, 0, 1, 0);
	add(1, ICMP6_TIME_EXCEEDED, 0, 0, 1, 1);
	add(1, ICMP6_PARAM_PROB, 0, 6, 1, 0);
	add(1, ICMP6_PARAM_PROB, 1, 6, 1, 1);
	add(1, ICMP6_TIME_EXCEEDED, 0, 0, 0, 1);
	add(1, ICMP6_DST_UNREACH, ICMP6_DST_UNREACH_ADMIN, 0, 0, 0);
}

/* ---------- path MTU ---------- */

static char big[2000];

/* pmtu4 connects a socket in mode to dst, injects fragmentation-needed
 * (next-hop MTU mtu) for it and shows the pending error, IP_MTU and
 * whether 1400 and 1173 bytes may be sent. */
static int pmtu4(int mode, const char *dst, int mtu, int recverr)
{
	char pfx[80], l[120];
	snprintf(pfx, sizeof pfx, "pmtu4 %s %s mtu %d%s", pmtu_mode_name(mode), dst, mtu, recverr ? " recverr" : "");
	int s = socket(AF_INET, SOCK_DGRAM, 0);
	set_int(s, SOL_IP, IP_MTU_DISCOVER, mode);
	if (recverr)
		set_int(s, SOL_IP, IP_RECVERR, 1);
	struct sockaddr_in d = sin4(dst, dport);
	connect(s, (struct sockaddr *)&d, sizeof d);
	snprintf(l, sizeof l, "%s IP_MTU before", pfx);
	get_int(l, s, SOL_IP, IP_MTU);
	if (inject_icmp4(raw4, "127.0.0.1", local_port(s), dst, dport, ICMP_DEST_UNREACH, ICMP_FRAG_NEEDED, mtu) < 0)
		printf("%s inject: -1 %s\n", pfx, errname(errno));
	return s;
}

static void pmtu4_report(int s, int mode, const char *dst, int mtu, int recverr)
{
	char pfx[80], l[120];
	snprintf(pfx, sizeof pfx, "pmtu4 %s %s mtu %d%s", pmtu_mode_name(mode), dst, mtu, recverr ? " recverr" : "");
	poll_now(pfx, s);
	if (recverr)
		errq(pfx, s);
	so_error(pfx, s);
	snprintf(l, sizeof l, "%s IP_MTU after", pfx);
	get_int(l, s, SOL_IP, IP_MTU);
	if (mode == IP_PMTUDISC_DO) {
		struct sockaddr_in d = sin4(dst, dport);
		snprintf(l, sizeof l, "%s sendto 1400", pfx);
		show(l, sendto(s, big, 1400, 0, (struct sockaddr *)&d, sizeof d));
		if (recverr) {
			errq(pfx, s);
			so_error(pfx, s);
		}
	}
	close(s);
}

int main(void)
{
	common_init();
	memset(big, 'b', sizeof big);
	if (geteuid() != 0) {
		printf("not root: raw sockets unavailable, nothing to show\n");
		return 0;
	}
	dport = closed_udp_port(AF_INET, "127.0.0.3");
	raw4 = socket(AF_INET, SOCK_RAW, IPPROTO_ICMP);
	showfd("raw ICMP socket", raw4);
	show("IP_HDRINCL", set_int(raw4, SOL_IP, IP_HDRINCL, 1));
	raw6 = socket(AF_INET6, SOCK_RAW, IPPROTO_ICMPV6);
	showfd("raw ICMPv6 socket", raw6);

	v4_table();
	v6_table();
	static const int modes[] = {IP_PMTUDISC_DONT, IP_PMTUDISC_WANT, IP_PMTUDISC_DO, IP_PMTUDISC_PROBE,
				    IP_PMTUDISC_INTERFACE, IP_PMTUDISC_OMIT};
	static const char *dsts[] = {"127.0.0.11", "127.0.0.12", "127.0.0.13", "127.0.0.14", "127.0.0.15",
				     "127.0.0.16"};
	int ps[6];
	for (int i = 0; i < 6; i++)
		ps[i] = pmtu4(modes[i], dsts[i], 1200, 0);
	int floor = pmtu4(IP_PMTUDISC_DO, "127.0.0.17", 300, 1);
	usleep(300000);

	for (int i = 0; i < ncases; i++)
		report(&cases[i]);
	for (int i = 0; i < 6; i++)
		pmtu4_report(ps[i], modes[i], dsts[i], 1200, 0);
	pmtu4_report(floor, IP_PMTUDISC_DO, "127.0.0.17", 300, 1);

	/* The learned MTU belongs to the destination: a new socket sees it;
	 * a larger next-hop MTU does not raise it. */
	int s = socket(AF_INET, SOCK_DGRAM, 0);
	struct sockaddr_in d = sin4("127.0.0.13", dport);
	connect(s, (struct sockaddr *)&d, sizeof d);
	get_int("new socket to 127.0.0.13 IP_MTU", s, SOL_IP, IP_MTU);
	set_int(s, SOL_IP, IP_MTU_DISCOVER, IP_PMTUDISC_DO);
	inject_icmp4(raw4, "127.0.0.1", local_port(s), "127.0.0.13", dport, ICMP_DEST_UNREACH, ICMP_FRAG_NEEDED, 1300);
	usleep(200000);
	get_int("after 1300 IP_MTU", s, SOL_IP, IP_MTU);
	so_error("after 1300", s);
	close(s);

	/* IPv6: packet too big on ::1 (last: it lowers ::1's MTU). Below
	 * the IPv6 minimum of 1280 the MTU is not learned, but the error is
	 * reported; then a DONT socket's 1400 is learned. */
	s = socket(AF_INET6, SOCK_DGRAM, 0);
	set_int(s, SOL_IPV6, IPV6_MTU_DISCOVER, IPV6_PMTUDISC_DO);
	set_int(s, SOL_IPV6, IPV6_RECVERR, 1);
	struct sockaddr_in6 d6 = sin6("::1", dport);
	connect(s, (struct sockaddr *)&d6, sizeof d6);
	get_int("v6 IPV6_MTU before", s, SOL_IPV6, IPV6_MTU);
	show("v6 inject too big 1000", inject6(local_port(s), ICMP6_PACKET_TOO_BIG, 0, 1000));
	usleep(200000);
	poll_now("v6 too big DO", s);
	errq("v6 too big DO", s);
	so_error("v6 too big DO", s);
	get_int("v6 too big DO IPV6_MTU after", s, SOL_IPV6, IPV6_MTU);
	close(s);
	int t = socket(AF_INET6, SOCK_DGRAM, 0);
	set_int(t, SOL_IPV6, IPV6_MTU_DISCOVER, IPV6_PMTUDISC_DONT);
	connect(t, (struct sockaddr *)&d6, sizeof d6);
	show("v6 inject too big 1400 (DONT)", inject6(local_port(t), ICMP6_PACKET_TOO_BIG, 0, 1400));
	usleep(200000);
	poll_now("v6 too big DONT", t);
	so_error("v6 too big DONT", t);
	get_int("v6 too big DONT IPV6_MTU after", t, SOL_IPV6, IPV6_MTU);
	close(t);
	s = socket(AF_INET6, SOCK_DGRAM, 0);
	set_int(s, SOL_IPV6, IPV6_MTU_DISCOVER, IPV6_PMTUDISC_DO);
	connect(s, (struct sockaddr *)&d6, sizeof d6);
	get_int("v6 new socket IPV6_MTU", s, SOL_IPV6, IPV6_MTU);
	show("v6 new socket DO sendto 1400", sendto(s, big, 1400, 0, (struct sockaddr *)&d6, sizeof d6));
	close(s);
	puts("done");
	return 0;
}
