/* icmp_sockets.c - ICMP "ping" sockets and raw sockets on loopback.
 *
 * Checks: net.ipv4.ping_group_range ("1 0" refuses ping sockets with EACCES
 * for IPv4 and IPv6, "0 2147483647" allows them) and mismatched ICMP
 * protocols; IPv4 ping sockets (getsockname before/after the first send, an
 * echo to 127.0.0.1 with checksum 0, the reply's id replaced by the socket's
 * ident, send errors: echo reply type, short message, AF_INET6 address,
 * MSG_OOB, no destination; IP_RECVTTL; connect + send/recv; bind to a fixed
 * ident, a second socket bound to it (SO_REUSEADDR is on from creation) and
 * which of the two gets the reply); IPv6 ping sockets (echo to ::1, errors,
 * IPV6_RECVHOPLIMIT); raw IPPROTO_ICMP sockets (getsockname = protocol,
 * the IP header in front of every packet, the own request then the reply,
 * ICMP_FILTER set/get and its optlen handling, ICMP_FILTER on other
 * sockets); IP_HDRINCL (ttl, tot_len and header checksum filled by the
 * kernel) and IPPROTO_RAW (hdrincl from creation, sends reach the other raw
 * sockets, never receives); raw ICMPv6 (no IP header, kernel checksum,
 * ICMP6_FILTER, IPV6_CHECKSUM); CAP_NET_RAW dropped in a child (EPERM for raw,
 * ping still allowed); raw socket errors (protocol 0, listen/accept,
 * connect + getpeername, send without destination, MSG_OOB).
 *
 * Kernel-chosen values (the ping ident, IP ids) are never printed: the ident
 * is compared with the id of the reply ("id=ident").
 */
/* spec: SOCK-04 SOCK-06 SOCK-11 SOCK-15 BIND-10 OPS-03 FLAG-01 IPO-05 PO-14 PO-15 RAW-18 */
/* spec: RAW-01 RAW-02 RAW-03 RAW-04 RAW-05 RAW-06 RAW-07 RAW-08 RAW-10 RAW-12 RAW-13 */
/* spec: RAW-14 RAW-16 V6-10 */
#include "common.h"
#include <linux/capability.h>
#include <netinet/icmp6.h>
#include <netinet/ip.h>
#include <netinet/ip_icmp.h>
#include <poll.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/wait.h>

#define ICMP_FILTER_OPT 1 /* SOL_RAW option of <linux/icmp.h> */

static const char payload[16] = "netbox-ping-test"; /* 16 bytes, no NUL */

/* An echo message (ICMP or ICMPv6 layout) with the 16-byte payload. */
static size_t mk_echo(unsigned char *b, int type, int id, int seq, int csum)
{
	struct icmphdr *h = (struct icmphdr *)b;
	memset(b, 0, 8);
	h->type = type;
	h->un.echo.id = htons(id);
	h->un.echo.sequence = htons(seq);
	memcpy(b + 8, payload, sizeof payload);
	if (csum)
		h->checksum = cksum(b, 24, 0);
	return 24;
}

static void write_range(const char *v)
{
	char label[64];
	int fd = open("/proc/sys/net/ipv4/ping_group_range", O_WRONLY);
	snprintf(label, sizeof label, "write ping_group_range %s", v);
	if (fd < 0) {
		show(label, -1);
		return;
	}
	show(label, write(fd, v, strlen(v)));
	close(fd);
}

static void print_name(const char *label, int fd, int peer)
{
	struct sockaddr_storage ss;
	socklen_t l = sizeof ss;
	char buf[128];
	int r = peer ? getpeername(fd, (struct sockaddr *)&ss, &l)
		     : getsockname(fd, (struct sockaddr *)&ss, &l);
	if (r < 0)
		printf("%s: -1 %s\n", label, errname(errno));
	else
		printf("%s: %s port=%d len=%u\n", label, fmt_addr(&ss, buf, sizeof buf), sa_port(&ss), l);
}

/* Print an ICMP(v6) echo message: type, code, id (as "ident" when it is
 * the ping socket's ident, else hex), seq, payload. */
static void print_echo(const unsigned char *b, ssize_t n, int ident)
{
	const struct icmphdr *h = (const struct icmphdr *)b;
	int id = ntohs(h->un.echo.id);
	if (n < 8) {
		printf(" short\n");
		return;
	}
	if (id == ident)
		printf(" type=%d code=%d id=ident", h->type, h->code);
	else
		printf(" type=%d code=%d id=0x%x", h->type, h->code, id);
	printf(" seq=%d payload=%s\n", ntohs(h->un.echo.sequence),
	       n == 24 && !memcmp(b + 8, payload, 16) ? "same" : "other");
}

/* recvmsg one message from a ping socket; prints length, source, the echo
 * and every cmsg (int-valued). */
static void recv_ping(const char *label, int fd, int ident)
{
	unsigned char b[256], cbuf[256];
	struct sockaddr_storage ss;
	char abuf[128];
	struct iovec iov = { b, sizeof b };
	struct msghdr m = { .msg_name = &ss, .msg_namelen = sizeof ss, .msg_iov = &iov,
			    .msg_iovlen = 1, .msg_control = cbuf, .msg_controllen = sizeof cbuf };
	memset(&ss, 0, sizeof ss);
	ssize_t n = recvmsg(fd, &m, 0);
	if (n < 0) {
		printf("%s: -1 %s\n", label, errname(errno));
		return;
	}
	printf("%s: len=%zd from=%s port=%d", label, n, fmt_addr(&ss, abuf, sizeof abuf), sa_port(&ss));
	print_echo(b, n, ident);
	for (struct cmsghdr *c = CMSG_FIRSTHDR(&m); c; c = CMSG_NXTHDR(&m, c)) {
		int v = -1;
		if (c->cmsg_len >= CMSG_LEN(sizeof v))
			memcpy(&v, CMSG_DATA(c), sizeof v);
		printf("%s cmsg: %s %s %d\n", label, level_name(c->cmsg_level),
		       type_name(c->cmsg_level, c->cmsg_type), v);
	}
}

/* Receive up to max packets from a raw socket: the first within 2 s, the
 * next within 300 ms each; v4 packets carry the IP header, v6 ones do not. */
static void raw_loop(const char *label, int fd, int max)
{
	int i;
	for (i = 0; i < max; i++) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		unsigned char b[512];
		struct sockaddr_storage ss;
		socklen_t sl = sizeof ss;
		char abuf[128], s[32], d[32];
		if (poll(&p, 1, i == 0 ? 2000 : 300) <= 0)
			break;
		ssize_t n = recvfrom(fd, b, sizeof b, MSG_DONTWAIT, (struct sockaddr *)&ss, &sl);
		if (n < 0) {
			printf("%s %d: -1 %s\n", label, i, errname(errno));
			break;
		}
		printf("%s %d: len=%zd from=%s port=%d", label, i, n, fmt_addr(&ss, abuf, sizeof abuf),
		       sa_port(&ss));
		if (ss.ss_family == AF_INET6) {
			/* checksum over the pseudo-header (src, dst ::1, length,
			 * next header 58) and the message */
			unsigned char ph[40 + sizeof b];
			memcpy(ph, &((struct sockaddr_in6 *)&ss)->sin6_addr, 16);
			inet_pton(AF_INET6, "::1", ph + 16);
			uint32_t ln = htonl(n), nh = htonl(IPPROTO_ICMPV6);
			memcpy(ph + 32, &ln, 4);
			memcpy(ph + 36, &nh, 4);
			memcpy(ph + 40, b, n);
			printf(" icmpsum=%s", cksum(ph, 40 + n, 0) == 0 ? "ok" : "bad");
			print_echo(b, n, -1);
			continue;
		}
		const struct iphdr *ip = (const struct iphdr *)b;
		int hl = ip->ihl * 4;
		inet_ntop(AF_INET, &ip->saddr, s, sizeof s);
		inet_ntop(AF_INET, &ip->daddr, d, sizeof d);
		printf(" ver=%d ihl=%d tot_len=%d proto=%d ttl=%d ipsum=%s %s->%s", ip->version, ip->ihl,
		       ntohs(ip->tot_len), ip->protocol, ip->ttl,
		       cksum(b, hl, 0) == 0 ? "ok" : "bad", s, d);
		printf(" icmpsum=%s", cksum(b + hl, n - hl, 0) == 0 ? "ok" : "bad");
		print_echo(b + hl, n - hl, -1);
	}
	printf("%s count: %d\n", label, i);
}

/* socket() printed as "ok" or the errno, then closed. */
static void try_socket(const char *label, int family, int type, int proto)
{
	int fd = showfd(label, socket(family, type, proto));
	if (fd >= 0)
		close(fd);
}

static void sockets_and_range(void)
{
	write_range("1 0");
	try_socket("range 1 0 ping4 socket", AF_INET, SOCK_DGRAM, IPPROTO_ICMP);
	try_socket("range 1 0 ping6 socket", AF_INET6, SOCK_DGRAM, IPPROTO_ICMPV6);
	write_range("0 2147483647");
	try_socket("range all ping4 socket", AF_INET, SOCK_DGRAM, IPPROTO_ICMP);
	try_socket("range all ping6 socket", AF_INET6, SOCK_DGRAM, IPPROTO_ICMPV6);
	try_socket("socket inet dgram icmpv6", AF_INET, SOCK_DGRAM, IPPROTO_ICMPV6);
	try_socket("socket inet6 dgram icmp", AF_INET6, SOCK_DGRAM, IPPROTO_ICMP);
	try_socket("socket inet raw 0", AF_INET, SOCK_RAW, 0);
	try_socket("socket inet6 raw 0", AF_INET6, SOCK_RAW, 0);
}

static void ping_v4(void)
{
	unsigned char b[64];
	struct sockaddr_in dst = sin4("127.0.0.1", 0);
	struct sockaddr_in6 d6 = sin6("::1", 0);
	int fd = socket(AF_INET, SOCK_DGRAM, IPPROTO_ICMP);
	set_rcvtimeo(fd);
	print_name("ping4 getsockname before send", fd, 0);
	show("ping4 sendto echo", sendto(fd, b, mk_echo(b, ICMP_ECHO, 0x1234, 1, 0), 0,
					 (struct sockaddr *)&dst, sizeof dst));
	int ident = local_port(fd);
	printf("ping4 ident nonzero after send: %d\n", ident > 0);
	recv_ping("ping4 reply", fd, ident);
	show("ping4 sendto type 0", sendto(fd, b, mk_echo(b, ICMP_ECHOREPLY, 0x1234, 2, 0), 0,
					   (struct sockaddr *)&dst, sizeof dst));
	show("ping4 sendto code 1", (b[1] = 1, sendto(fd, b, 24, 0, (struct sockaddr *)&dst, sizeof dst)));
	mk_echo(b, ICMP_ECHO, 0x1234, 2, 0);
	show("ping4 sendto len 4", sendto(fd, b, 4, 0, (struct sockaddr *)&dst, sizeof dst));
	show("ping4 sendto AF_INET6 addr", sendto(fd, b, 24, 0, (struct sockaddr *)&d6, sizeof d6));
	show("ping4 sendto MSG_OOB", sendto(fd, b, 24, MSG_OOB, (struct sockaddr *)&dst, sizeof dst));
	show("ping4 send unconnected", send(fd, b, 24, 0));
	show("ping4 set IP_RECVTTL", set_int(fd, SOL_IP, IP_RECVTTL, 1));
	show("ping4 sendto seq 3", sendto(fd, b, mk_echo(b, ICMP_ECHO, 0x1234, 3, 0), 0,
					  (struct sockaddr *)&dst, sizeof dst));
	recv_ping("ping4 reply recvttl", fd, ident);
	show("ping4 clear IP_RECVTTL", set_int(fd, SOL_IP, IP_RECVTTL, 0));
	show("ping4 connect", connect(fd, (struct sockaddr *)&dst, sizeof dst));
	print_name("ping4 getpeername", fd, 1);
	show("ping4 send connected", send(fd, b, mk_echo(b, ICMP_ECHO, 0x1234, 4, 0), 0));
	recv_ping("ping4 reply connected", fd, ident);
	get_int("ping4 IP_HDRINCL", fd, SOL_IP, IP_HDRINCL);
	show("ping4 set IP_HDRINCL", set_int(fd, SOL_IP, IP_HDRINCL, 1));
	show("ping4 listen", listen(fd, 1));
	close(fd);

	fd = socket(AF_INET, SOCK_DGRAM, IPPROTO_ICMP);
	set_rcvtimeo(fd);
	struct sockaddr_in a = sin4("127.0.0.1", 0x4242);
	show("ping4 bind 127.0.0.1 ident 0x4242", bind(fd, (struct sockaddr *)&a, sizeof a));
	printf("ping4 bound port: 0x%x\n", local_port(fd));
	show("ping4 bound sendto", sendto(fd, b, mk_echo(b, ICMP_ECHO, 0x1234, 5, 0), 0,
					  (struct sockaddr *)&dst, sizeof dst));
	recv_ping("ping4 bound reply", fd, -1);
	/* Ping sockets are created with sk_reuse set, so a second socket may
	 * take the same ident; the reply goes to one of them only. */
	int fd2 = socket(AF_INET, SOCK_DGRAM, IPPROTO_ICMP);
	get_int("ping4 SO_REUSEADDR", fd2, SOL_SOCKET, SO_REUSEADDR);
	show("ping4 second bind same ident", bind(fd2, (struct sockaddr *)&a, sizeof a));
	show("ping4 first sendto with shared ident", sendto(fd, b, mk_echo(b, ICMP_ECHO, 0x1234, 6, 0), 0,
							    (struct sockaddr *)&dst, sizeof dst));
	struct pollfd p[2] = { { .fd = fd, .events = POLLIN }, { .fd = fd2, .events = POLLIN } };
	poll(p, 2, 2000);
	poll(p, 2, 300);
	printf("ping4 shared ident readable: first=%d second=%d\n", !!(p[0].revents & POLLIN),
	       !!(p[1].revents & POLLIN));
	close(fd2);
	close(fd);
}

static void ping_v6(void)
{
	unsigned char b[64];
	struct sockaddr_in6 dst = sin6("::1", 0);
	struct sockaddr_in6 mapped = sin6("::ffff:127.0.0.1", 0);
	struct sockaddr_in d4 = sin4("127.0.0.1", 0);
	int fd = socket(AF_INET6, SOCK_DGRAM, IPPROTO_ICMPV6);
	set_rcvtimeo(fd);
	print_name("ping6 getsockname before send", fd, 0);
	show("ping6 sendto echo", sendto(fd, b, mk_echo(b, ICMP6_ECHO_REQUEST, 0x1234, 1, 0), 0,
					 (struct sockaddr *)&dst, sizeof dst));
	int ident = local_port(fd);
	printf("ping6 ident nonzero after send: %d\n", ident > 0);
	recv_ping("ping6 reply", fd, ident);
	show("ping6 sendto type 8", sendto(fd, b, mk_echo(b, ICMP_ECHO, 0x1234, 2, 0), 0,
					   (struct sockaddr *)&dst, sizeof dst));
	mk_echo(b, ICMP6_ECHO_REQUEST, 0x1234, 2, 0);
	show("ping6 sendto len 4", sendto(fd, b, 4, 0, (struct sockaddr *)&dst, sizeof dst));
	show("ping6 sendto AF_INET addr", sendto(fd, b, 24, 0, (struct sockaddr *)&d4, sizeof d4));
	show("ping6 sendto v4-mapped", sendto(fd, b, 24, 0, (struct sockaddr *)&mapped, sizeof mapped));
	show("ping6 sendto MSG_OOB", sendto(fd, b, 24, MSG_OOB, (struct sockaddr *)&dst, sizeof dst));
	show("ping6 send unconnected", send(fd, b, 24, 0));
	show("ping6 set IPV6_RECVHOPLIMIT", set_int(fd, SOL_IPV6, IPV6_RECVHOPLIMIT, 1));
	show("ping6 sendto seq 3", sendto(fd, b, mk_echo(b, ICMP6_ECHO_REQUEST, 0x1234, 3, 0), 0,
					  (struct sockaddr *)&dst, sizeof dst));
	recv_ping("ping6 reply hoplimit", fd, ident);
	close(fd);
}

/* An ICMP_FILTER getsockopt with optlen len: value and returned length. */
static void get_filter(const char *label, int fd, socklen_t len)
{
	unsigned int v = 0x5a5a5a5a;
	if (getsockopt(fd, SOL_RAW, ICMP_FILTER_OPT, &v, &len) < 0)
		printf("%s: -1 %s\n", label, errname(errno));
	else
		printf("%s: 0x%08x len=%u\n", label, v, len);
}

static void raw_v4(void)
{
	unsigned char b[128];
	struct sockaddr_in dst = sin4("127.0.0.1", 9999); /* port ignored */
	int r = socket(AF_INET, SOCK_RAW, IPPROTO_ICMP);
	print_name("raw4 getsockname", r, 0);
	/* IP_ROUTER_ALERT: raw sockets only (not IPPROTO_RAW's). */
	get_int("raw4 IP_ROUTER_ALERT", r, SOL_IP, IP_ROUTER_ALERT);
	show("raw4 IP_ROUTER_ALERT off", set_int(r, SOL_IP, IP_ROUTER_ALERT, 0));
	show("raw4 IP_ROUTER_ALERT on", set_int(r, SOL_IP, IP_ROUTER_ALERT, 1));
	show("raw4 IP_ROUTER_ALERT on again", set_int(r, SOL_IP, IP_ROUTER_ALERT, 1));
	get_int("raw4 IP_ROUTER_ALERT after on", r, SOL_IP, IP_ROUTER_ALERT);
	show("raw4 IP_ROUTER_ALERT off again", set_int(r, SOL_IP, IP_ROUTER_ALERT, 0));
	{
		int rr = socket(AF_INET, SOCK_RAW, IPPROTO_RAW);
		show("rawraw IP_ROUTER_ALERT on", set_int(rr, SOL_IP, IP_ROUTER_ALERT, 1));
		close(rr);
	}
	get_int("raw4 SO_REUSEADDR", r, SOL_SOCKET, SO_REUSEADDR);
	show("raw4 sendto echo", sendto(r, b, mk_echo(b, ICMP_ECHO, 0x4321, 7, 1), 0,
					(struct sockaddr *)&dst, sizeof dst));
	raw_loop("raw4 echo", r, 4);
	unsigned int f = ~(1u << ICMP_ECHOREPLY);
	show("raw4 set ICMP_FILTER pass echo reply", setsockopt(r, SOL_RAW, ICMP_FILTER_OPT, &f, sizeof f));
	show("raw4 sendto echo filtered", sendto(r, b, mk_echo(b, ICMP_ECHO, 0x4321, 8, 1), 0,
						 (struct sockaddr *)&dst, sizeof dst));
	raw_loop("raw4 filtered", r, 4);
	get_filter("raw4 get ICMP_FILTER", r, 4);
	get_filter("raw4 get ICMP_FILTER optlen 8", r, 8);
	get_filter("raw4 get ICMP_FILTER optlen 2", r, 2);
	f = 0;
	show("raw4 set ICMP_FILTER optlen 2", setsockopt(r, SOL_RAW, ICMP_FILTER_OPT, &f, 2));
	get_filter("raw4 get ICMP_FILTER after optlen 2", r, 4);
	show("raw4 set ICMP_FILTER optlen 0", setsockopt(r, SOL_RAW, ICMP_FILTER_OPT, &f, 0));
	show("raw4 set ICMP_FILTER 0", setsockopt(r, SOL_RAW, ICMP_FILTER_OPT, &f, sizeof f));
	get_filter("raw4 get ICMP_FILTER cleared", r, 4);
	int o = socket(AF_INET, SOCK_DGRAM, IPPROTO_ICMP);
	get_filter("ping4 get ICMP_FILTER", o, 4);
	show("ping4 set ICMP_FILTER", setsockopt(o, SOL_RAW, ICMP_FILTER_OPT, &f, sizeof f));
	close(o);
	o = socket(AF_INET, SOCK_DGRAM, 0);
	get_filter("udp get ICMP_FILTER", o, 4);
	show("udp set ICMP_FILTER", setsockopt(o, SOL_RAW, ICMP_FILTER_OPT, &f, sizeof f));
	get_int("udp IP_HDRINCL", o, SOL_IP, IP_HDRINCL);
	show("udp set IP_HDRINCL", set_int(o, SOL_IP, IP_HDRINCL, 1));
	close(o);
	o = socket(AF_INET, SOCK_RAW, IPPROTO_UDP);
	get_filter("raw udp get ICMP_FILTER", o, 4);
	show("raw udp set ICMP_FILTER", setsockopt(o, SOL_RAW, ICMP_FILTER_OPT, &f, sizeof f));
	close(o);

	/* IP_HDRINCL on the ICMP socket: the program writes the IP header. */
	get_int("raw4 IP_HDRINCL default", r, SOL_IP, IP_HDRINCL);
	show("raw4 set IP_HDRINCL", set_int(r, SOL_IP, IP_HDRINCL, 1));
	get_int("raw4 IP_HDRINCL", r, SOL_IP, IP_HDRINCL);
	struct iphdr *ip = (struct iphdr *)b;
	memset(ip, 0, sizeof *ip);
	ip->version = 4;
	ip->ihl = 5;
	ip->tot_len = htons(999);
	ip->ttl = 33;
	ip->protocol = IPPROTO_ICMP;
	inet_pton(AF_INET, "127.0.0.1", &ip->saddr);
	inet_pton(AF_INET, "127.0.0.1", &ip->daddr);
	size_t n = 20 + mk_echo(b + 20, ICMP_ECHO, 0x5555, 9, 1);
	show("raw4 hdrincl sendto", sendto(r, b, n, 0, (struct sockaddr *)&dst, sizeof dst));
	raw_loop("raw4 hdrincl", r, 4);
	show("raw4 hdrincl sendto 12 bytes", sendto(r, b, 12, 0, (struct sockaddr *)&dst, sizeof dst));

	/* IPPROTO_RAW: send-only, hdrincl from creation; r and r2 get copies. */
	int w = socket(AF_INET, SOCK_RAW, IPPROTO_RAW);
	int r2 = socket(AF_INET, SOCK_RAW, IPPROTO_ICMP);
	print_name("rawraw getsockname", w, 0);
	get_int("rawraw IP_HDRINCL", w, SOL_IP, IP_HDRINCL);
	show("rawraw set IP_HDRINCL 0", set_int(w, SOL_IP, IP_HDRINCL, 0));
	get_int("rawraw IP_HDRINCL after clear", w, SOL_IP, IP_HDRINCL);
	show("rawraw set IP_HDRINCL 1", set_int(w, SOL_IP, IP_HDRINCL, 1));
	ip->ttl = 40;
	ip->tot_len = 0;
	n = 20 + mk_echo(b + 20, ICMP_ECHO, 0x6666, 11, 1);
	show("rawraw sendto", sendto(w, b, n, 0, (struct sockaddr *)&dst, sizeof dst));
	raw_loop("rawraw seen by new icmp socket", r2, 4);
	raw_loop("rawraw seen by old icmp socket", r, 4);
	show("rawraw recv MSG_DONTWAIT", recv(w, b, sizeof b, MSG_DONTWAIT));
	close(w);
	close(r2);
	close(r);
}

static void raw_v6(void)
{
	unsigned char b[128];
	struct sockaddr_in6 dst = sin6("::1", 0);
	int r = socket(AF_INET6, SOCK_RAW, IPPROTO_ICMPV6);
	print_name("raw6 getsockname", r, 0);
	show("raw6 sendto echo", sendto(r, b, mk_echo(b, ICMP6_ECHO_REQUEST, 0x4321, 7, 0), 0,
					(struct sockaddr *)&dst, sizeof dst));
	raw_loop("raw6 echo", r, 4);
	struct icmp6_filter f, g;
	ICMP6_FILTER_SETBLOCKALL(&f);
	ICMP6_FILTER_SETPASS(ICMP6_ECHO_REPLY, &f);
	show("raw6 set ICMP6_FILTER", setsockopt(r, IPPROTO_ICMPV6, ICMP6_FILTER, &f, sizeof f));
	show("raw6 sendto echo filtered", sendto(r, b, mk_echo(b, ICMP6_ECHO_REQUEST, 0x4321, 8, 0), 0,
						 (struct sockaddr *)&dst, sizeof dst));
	raw_loop("raw6 filtered", r, 4);
	socklen_t l = sizeof g;
	memset(&g, 0, sizeof g);
	if (getsockopt(r, IPPROTO_ICMPV6, ICMP6_FILTER, &g, &l) < 0)
		printf("raw6 get ICMP6_FILTER: -1 %s\n", errname(errno));
	else
		printf("raw6 get ICMP6_FILTER: len=%u same=%d word4=0x%08x\n", l, !memcmp(&f, &g, sizeof f),
		       g.icmp6_filt[4]);
	int u = socket(AF_INET6, SOCK_DGRAM, 0);
	l = sizeof g;
	show("udp6 get ICMP6_FILTER", getsockopt(u, IPPROTO_ICMPV6, ICMP6_FILTER, &g, &l));
	show("udp6 set ICMP6_FILTER", setsockopt(u, IPPROTO_ICMPV6, ICMP6_FILTER, &f, sizeof f));
	close(u);

	get_int("raw6 IPV6_CHECKSUM", r, IPPROTO_IPV6, IPV6_CHECKSUM);
	show("raw6 set IPV6_CHECKSUM 2", set_int(r, IPPROTO_IPV6, IPV6_CHECKSUM, 2));
	show("raw6 set SOL_RAW IPV6_CHECKSUM 2", set_int(r, SOL_RAW, IPV6_CHECKSUM, 2));
	get_int("raw6 SOL_RAW IPV6_CHECKSUM", r, SOL_RAW, IPV6_CHECKSUM);
	close(r);

	u = socket(AF_INET6, SOCK_RAW, IPPROTO_UDP);
	print_name("raw6 udp getsockname", u, 0);
	get_int("raw6 udp IPV6_CHECKSUM default", u, IPPROTO_IPV6, IPV6_CHECKSUM);
	show("raw6 udp set IPV6_CHECKSUM 6", set_int(u, IPPROTO_IPV6, IPV6_CHECKSUM, 6));
	get_int("raw6 udp IPV6_CHECKSUM", u, IPPROTO_IPV6, IPV6_CHECKSUM);
	show("raw6 udp set IPV6_CHECKSUM 3", set_int(u, IPPROTO_IPV6, IPV6_CHECKSUM, 3));
	show("raw6 udp set IPV6_CHECKSUM -1", set_int(u, IPPROTO_IPV6, IPV6_CHECKSUM, -1));
	get_int("raw6 udp IPV6_CHECKSUM after -1", u, IPPROTO_IPV6, IPV6_CHECKSUM);
	close(u);
}

static void no_net_raw(void)
{
	fflush(stdout);
	pid_t pid = fork();
	if (pid == 0) {
		struct __user_cap_header_struct h = { _LINUX_CAPABILITY_VERSION_3, 0 };
		struct __user_cap_data_struct d[2];
		if (syscall(SYS_capget, &h, d) < 0)
			printf("child capget: -1 %s\n", errname(errno));
		d[0].effective &= ~(1u << CAP_NET_RAW);
		show("child capset drop CAP_NET_RAW", syscall(SYS_capset, &h, d));
		try_socket("child raw4 socket", AF_INET, SOCK_RAW, IPPROTO_ICMP);
		try_socket("child raw6 socket", AF_INET6, SOCK_RAW, IPPROTO_ICMPV6);
		try_socket("child rawraw socket", AF_INET, SOCK_RAW, IPPROTO_RAW);
		try_socket("child ping4 socket", AF_INET, SOCK_DGRAM, IPPROTO_ICMP);
		try_socket("child ping6 socket", AF_INET6, SOCK_DGRAM, IPPROTO_ICMPV6);
		fflush(stdout);
		_exit(0);
	}
	int st = 0;
	waitpid(pid, &st, 0);
	printf("child exit: %d\n", WIFEXITED(st) ? WEXITSTATUS(st) : -1);
}

static void raw_errors(void)
{
	unsigned char b[64];
	struct sockaddr_in a = sin4("127.0.0.1", 9999);
	int r = socket(AF_INET, SOCK_RAW, IPPROTO_ICMP);
	show("raw4 listen", listen(r, 1));
	show("raw4 accept", accept(r, NULL, NULL));
	mk_echo(b, ICMP_ECHO, 0x7777, 1, 1);
	show("raw4 send unconnected", send(r, b, 24, 0));
	show("raw4 sendto MSG_OOB", sendto(r, b, 24, MSG_OOB, (struct sockaddr *)&a, sizeof a));
	show("raw4 bind 127.0.0.1 port 9999", bind(r, (struct sockaddr *)&a, sizeof a));
	print_name("raw4 getsockname after bind", r, 0);
	a.sin_port = 0;
	show("raw4 connect port 0", connect(r, (struct sockaddr *)&a, sizeof a));
	print_name("raw4 getpeername port 0", r, 1);
	a.sin_port = htons(7);
	show("raw4 connect port 7", connect(r, (struct sockaddr *)&a, sizeof a));
	print_name("raw4 getpeername port 7", r, 1);
	show("raw4 send connected", send(r, b, 24, 0));
	raw_loop("raw4 connected", r, 4);
	close(r);
}

int main(void)
{
	common_init();
	sockets_and_range();
	ping_v4();
	ping_v6();
	raw_v4();
	raw_v6();
	no_net_raw();
	raw_errors();
	write_range("1 0");
	try_socket("final ping4 socket", AF_INET, SOCK_DGRAM, IPPROTO_ICMP);
	printf("done\n");
	return 0;
}
