/* common.h - shared helpers for the netbox differential test programs.
 *
 * Every program prints observations one per line; these helpers make the
 * formatting uniform and never print kernel-chosen values (ports, fds, pids).
 * Keep this file backwards compatible: other programs in this folder use it.
 */
#ifndef NETBOX_DIFF_COMMON_H
#define NETBOX_DIFF_COMMON_H

#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

/* Name of an errno value, e.g. "EINVAL". */
static inline const char *errname(int e)
{
	const char *n = strerrorname_np(e);
	return n ? n : "E?";
}

/* Start of every program: line-buffered stdout and a watchdog alarm. */
static inline void common_init(void)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	setvbuf(stderr, NULL, _IONBF, 0);
	alarm(20);
}

/* Print "label: R" for R >= 0, or "label: -1 ENAME" (errno) otherwise.
 * Returns r unchanged. Use for calls whose non-negative result is stable. */
static inline long show(const char *label, long r)
{
	if (r < 0)
		printf("%s: %ld %s\n", label, r, errname(errno));
	else
		printf("%s: %ld\n", label, r);
	return r;
}

/* Like show() but a non-negative result (an fd number) is printed as "ok". */
static inline long showfd(const char *label, long r)
{
	if (r < 0)
		printf("%s: %ld %s\n", label, r, errname(errno));
	else
		printf("%s: ok\n", label);
	return r;
}

/* Prints what socket(domain, type, proto) gives: "label: -1 ENAME", or
 * "label: ok domain=D type=T protocol=P" (SO_DOMAIN, SO_TYPE,
 * SO_PROTOCOL); the socket is closed. */
static inline void show_socket(const char *label, int domain, int type, int proto)
{
	int fd = socket(domain, type, proto);
	if (fd < 0) {
		printf("%s: -1 %s\n", label, errname(errno));
		return;
	}
	int d = -1, t = -1, p = -1;
	socklen_t l = sizeof d;
	getsockopt(fd, SOL_SOCKET, SO_DOMAIN, &d, &l);
	l = sizeof t;
	getsockopt(fd, SOL_SOCKET, SO_TYPE, &t, &l);
	l = sizeof p;
	getsockopt(fd, SOL_SOCKET, SO_PROTOCOL, &p, &l);
	printf("%s: ok domain=%d type=%d protocol=%d\n", label, d, t, p);
	close(fd);
}

/* Format the address part (no port) of a sockaddr: "AF_INET 127.0.0.1",
 * "AF_INET6 ::1", "AF_UNIX path", "AF_UNSPEC", or "family=N". */
static inline const char *fmt_addr(const void *sa, char *buf, size_t n)
{
	const struct sockaddr *s = (const struct sockaddr *)sa;
	char ip[INET6_ADDRSTRLEN];
	switch (s->sa_family) {
	case AF_INET:
		inet_ntop(AF_INET, &((const struct sockaddr_in *)sa)->sin_addr, ip, sizeof ip);
		snprintf(buf, n, "AF_INET %s", ip);
		break;
	case AF_INET6:
		inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)sa)->sin6_addr, ip, sizeof ip);
		snprintf(buf, n, "AF_INET6 %s", ip);
		break;
	case AF_UNSPEC:
		snprintf(buf, n, "AF_UNSPEC");
		break;
	default:
		snprintf(buf, n, "family=%d", s->sa_family);
	}
	return buf;
}

/* Port (host order) of an AF_INET or AF_INET6 sockaddr; -1 otherwise. */
static inline int sa_port(const void *sa)
{
	const struct sockaddr *s = (const struct sockaddr *)sa;
	if (s->sa_family == AF_INET)
		return ntohs(((const struct sockaddr_in *)sa)->sin_port);
	if (s->sa_family == AF_INET6)
		return ntohs(((const struct sockaddr_in6 *)sa)->sin6_port);
	return -1;
}

/* Build a loopback IPv4 sockaddr_in with the given port (host order). */
static inline struct sockaddr_in sin4(const char *ip, int port)
{
	struct sockaddr_in a;
	memset(&a, 0, sizeof a);
	a.sin_family = AF_INET;
	a.sin_port = htons(port);
	inet_pton(AF_INET, ip, &a.sin_addr);
	return a;
}

/* Build an IPv6 sockaddr_in6 with the given port (host order). */
static inline struct sockaddr_in6 sin6(const char *ip, int port)
{
	struct sockaddr_in6 a;
	memset(&a, 0, sizeof a);
	a.sin6_family = AF_INET6;
	a.sin6_port = htons(port);
	inet_pton(AF_INET6, ip, &a.sin6_addr);
	return a;
}

/* Flag bits of an fd: FD_CLOEXEC and O_NONBLOCK as 0/1. */
static inline int fd_cloexec(int fd)
{
	int f = fcntl(fd, F_GETFD);
	return f < 0 ? -1 : !!(f & FD_CLOEXEC);
}

static inline int fd_nonblock(int fd)
{
	int f = fcntl(fd, F_GETFL);
	return f < 0 ? -1 : !!(f & O_NONBLOCK);
}

/* local_port is the port fd is bound to (getsockname), or -1. */
static inline int local_port(int fd)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof ss;
	if (getsockname(fd, (struct sockaddr *)&ss, &len) < 0)
		return -1;
	return sa_port(&ss);
}

/* set_int sets an int-valued socket option. */
static inline int set_int(int fd, int level, int opt, int v)
{
	return setsockopt(fd, level, opt, &v, sizeof v);
}

/* get_int prints "label: V len=L" for an int-valued socket option (or
 * "label: -1 ENAME") and returns V (-1 on error). */
static inline int get_int(const char *label, int fd, int level, int opt)
{
	int v = -12345;
	socklen_t l = sizeof v;
	if (getsockopt(fd, level, opt, &v, &l) < 0) {
		printf("%s: -1 %s\n", label, errname(errno));
		return -1;
	}
	printf("%s: %d len=%u\n", label, v, l);
	return v;
}

/* set_rcvtimeo bounds every blocking receive on fd to 2 s. */
static inline void set_rcvtimeo(int fd)
{
	struct timeval tv = {2, 0};
	if (setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv) < 0)
		printf("set SO_RCVTIMEO: -1 %s\n", errname(errno));
}

/* Control message constants older headers lack. */
#ifndef SO_TIMESTAMP_OLD
#define SO_TIMESTAMP_OLD 29
#endif
#ifndef SO_TIMESTAMPNS_OLD
#define SO_TIMESTAMPNS_OLD 35
#endif
#ifndef SO_TIMESTAMP_NEW
#define SO_TIMESTAMP_NEW 63
#endif
#ifndef SO_TIMESTAMPNS_NEW
#define SO_TIMESTAMPNS_NEW 64
#endif

/* bind_port0 binds fd to addr (an IPv4 or IPv6 literal, by family) with
 * port 0, and returns bind's result. */
static inline int bind_port0(int fd, int family, const char *addr)
{
	if (family == AF_INET) {
		struct sockaddr_in a = sin4(addr, 0);
		return bind(fd, (struct sockaddr *)&a, sizeof a);
	}
	struct sockaddr_in6 a = sin6(addr, 0);
	return bind(fd, (struct sockaddr *)&a, sizeof a);
}

/* tcp_listener is a TCP socket listening on 127.0.0.1 (backlog 16) at a
 * port the kernel chose, which goes to *port. */
static inline int tcp_listener(int *port)
{
	int l = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in a = sin4("127.0.0.1", 0);
	struct sockaddr_storage ss;
	socklen_t len = sizeof ss;
	bind(l, (struct sockaddr *)&a, sizeof a);
	listen(l, 16);
	getsockname(l, (struct sockaddr *)&ss, &len);
	*port = sa_port(&ss);
	return l;
}

/* connect_pair connects a new client to the listener lfd at 127.0.0.1:port and
 * accepts it: *cli and *srv are the two ends. */
static inline void connect_pair(int lfd, int port, int *cli, int *srv)
{
	struct sockaddr_in a = sin4("127.0.0.1", port);
	*cli = socket(AF_INET, SOCK_STREAM, 0);
	if (connect(*cli, (struct sockaddr *)&a, sizeof a) < 0)
		printf("make_pair connect: -1 %s\n", errname(errno));
	*srv = accept(lfd, NULL, NULL);
	if (*srv < 0)
		printf("make_pair accept: -1 %s\n", errname(errno));
}

/* cksum is the Internet checksum (RFC 1071) of n bytes at p, starting
 * from sum (a pseudo-header's, or 0), in network byte order. */
static inline unsigned short cksum(const void *p, size_t n, unsigned long sum)
{
	const unsigned char *b = p;
	for (; n > 1; n -= 2, b += 2)
		sum += (b[0] << 8) | b[1];
	if (n)
		sum += b[0] << 8;
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return htons(~sum & 0xffff);
}

/* udp_frame writes a 60-byte Ethernet frame (zero MACs) carrying an
 * IPv4/UDP datagram from 127.0.0.1:sport to 127.0.0.1:dport: 14 + 20 + 8
 * + 18 bytes of payload. */
static inline void udp_frame(unsigned char *f, int sport, int dport)
{
	memset(f, 0, 60);
	f[12] = 0x08, f[13] = 0x00;
	unsigned char *ip = f + 14;
	ip[0] = 0x45, ip[3] = 46, ip[8] = 64, ip[9] = IPPROTO_UDP;
	inet_pton(AF_INET, "127.0.0.1", ip + 12);
	inet_pton(AF_INET, "127.0.0.1", ip + 16);
	unsigned short ck = cksum(ip, 20, 0);
	memcpy(ip + 10, &ck, 2);
	unsigned char *u = ip + 20;
	u[0] = sport >> 8, u[1] = sport & 0xff, u[2] = dport >> 8, u[3] = dport & 0xff, u[5] = 26;
	memcpy(u + 8, "netbox-frame-60!!!", 18);
}

/* level_name and type_name name a control message's level and type
 * ("levelN"/"typeN" for others). */
static inline const char *level_name(int level)
{
	static char b[32];
	switch (level) {
	case SOL_SOCKET: return "SOL_SOCKET";
	case SOL_IP: return "SOL_IP";
	case SOL_IPV6: return "SOL_IPV6";
	case IPPROTO_TCP: return "SOL_TCP";
	case IPPROTO_UDP: return "SOL_UDP";
	}
	snprintf(b, sizeof b, "level%d", level);
	return b;
}

static inline const char *type_name(int level, int type)
{
	static char b[32];
	if (level == SOL_SOCKET) {
		switch (type) {
		case SCM_RIGHTS: return "SCM_RIGHTS";
		case SCM_CREDENTIALS: return "SCM_CREDENTIALS";
		case SO_TIMESTAMP_OLD: return "SO_TIMESTAMP";
		case SO_TIMESTAMPNS_OLD: return "SO_TIMESTAMPNS";
		case SO_TIMESTAMP_NEW: return "SO_TIMESTAMP_NEW";
		case SO_TIMESTAMPNS_NEW: return "SO_TIMESTAMPNS_NEW";
		case SO_TIMESTAMPING: return "SO_TIMESTAMPING";
		}
	} else if (level == SOL_IP) {
		switch (type) {
		case IP_PKTINFO: return "IP_PKTINFO";
		case IP_TTL: return "IP_TTL";
		case IP_TOS: return "IP_TOS";
		case IP_ORIGDSTADDR: return "IP_ORIGDSTADDR";
		case IP_RECVERR: return "IP_RECVERR";
		case IP_OPTIONS: return "IP_OPTIONS";
		case IP_RETOPTS: return "IP_RETOPTS";
		}
	} else if (level == SOL_IPV6) {
		switch (type) {
		case IPV6_RECVERR: return "IPV6_RECVERR";
		case IPV6_PKTINFO: return "IPV6_PKTINFO";
		case IPV6_HOPLIMIT: return "IPV6_HOPLIMIT";
		case IPV6_TCLASS: return "IPV6_TCLASS";
		case IPV6_ORIGDSTADDR: return "IPV6_ORIGDSTADDR";
		}
	} else if (level == IPPROTO_UDP) { /* SOL_UDP */
		switch (type) {
		case 103: return "UDP_SEGMENT";
		case 104: return "UDP_GRO";
		}
	}
	snprintf(b, sizeof b, "type%d", type);
	return b;
}


/* show_datagrams prints what fd has queued: "label: N datagrams" and each
 * one's length (with its text when 16 bytes or fewer); the first is
 * waited for up to 300 ms, the others 50 ms, at most 8 are read. */
static inline void show_datagrams(const char *label, int fd)
{
	static char rbuf[70000];
	char out[512] = "";
	size_t o = 0;
	int count = 0;
	for (int i = 0; i < 8; i++) {
		struct pollfd p = {fd, POLLIN, 0};
		if (poll(&p, 1, i ? 50 : 300) <= 0)
			break;
		ssize_t n = recv(fd, rbuf, sizeof rbuf, MSG_DONTWAIT);
		if (n < 0)
			break;
		count++;
		if (n <= 16)
			o += (size_t)snprintf(out + o, sizeof out - o, " [%zd %.*s]", n, (int)n, rbuf);
		else
			o += (size_t)snprintf(out + o, sizeof out - o, " [%zd]", n);
		if (o >= sizeof out)
			break;
	}
	printf("%s: %d datagrams%s\n", label, count, out);
}

/* ee_origin_name names a struct sock_extended_err origin. */
static inline const char *ee_origin_name(int o)
{
	switch (o) {
	case 0: return "NONE";  /* SO_EE_ORIGIN_NONE */
	case 1: return "LOCAL"; /* SO_EE_ORIGIN_LOCAL */
	case 2: return "ICMP";  /* SO_EE_ORIGIN_ICMP */
	case 3: return "ICMP6"; /* SO_EE_ORIGIN_ICMP6 */
	}
	return "other";
}

/* pmtu_mode_name names an IP_MTU_DISCOVER mode (-1: left at its default). */
static inline const char *pmtu_mode_name(int m)
{
	static const char *n[] = {"DONT", "WANT", "DO", "PROBE", "INTERFACE", "OMIT"};
	return m >= 0 && m <= 5 ? n[m] : m == -1 ? "default" : "?";
}

/* closed_udp_port is a UDP port nothing is bound to on addr: one bound to
 * port 0, read and closed. */
static inline int closed_udp_port(int family, const char *addr)
{
	int fd = socket(family, SOCK_DGRAM, 0);
	if (bind_port0(fd, family, addr) < 0)
		printf("closed port bind %s: -1 %s\n", addr, errname(errno));
	int p = local_port(fd);
	close(fd);
	return p;
}

/* inject_icmp4 sends through raw (SOCK_RAW IPPROTO_ICMP with IP_HDRINCL,
 * root only) an ICMP error type/code, rest the word after its checksum
 * (host order), from 127.0.0.9 to src, quoting a UDP datagram
 * src:sport -> dst:dport that carried "abcd" (and was never sent: Linux
 * does not check). Returns sendto's result. */
static inline long inject_icmp4(int raw, const char *src, int sport, const char *dst, int dport, int type, int code,
				unsigned rest)
{
	unsigned char b[20 + 8 + 20 + 8 + 4];
	memset(b, 0, sizeof b);
	b[0] = 0x45;
	b[2] = sizeof b >> 8;
	b[3] = sizeof b & 0xff;
	b[8] = 64;
	b[9] = IPPROTO_ICMP;
	inet_pton(AF_INET, "127.0.0.9", b + 12);
	inet_pton(AF_INET, src, b + 16);
	unsigned char *ic = b + 20;
	ic[0] = type;
	ic[1] = code;
	unsigned nrest = htonl(rest);
	memcpy(ic + 4, &nrest, 4);
	unsigned char *q = ic + 8; /* the quoted IPv4 header, DF set, then UDP */
	q[0] = 0x45;
	q[3] = 20 + 8 + 4;
	q[6] = 0x40;
	q[8] = 64;
	q[9] = IPPROTO_UDP;
	inet_pton(AF_INET, src, q + 12);
	inet_pton(AF_INET, dst, q + 16);
	unsigned short c = cksum(q, 20, 0);
	memcpy(q + 10, &c, 2);
	unsigned short u[4] = {htons(sport), htons(dport), htons(8 + 4), 0};
	memcpy(q + 20, u, 8);
	memcpy(q + 28, "abcd", 4);
	c = cksum(ic, sizeof b - 20, 0);
	memcpy(ic + 2, &c, 2);
	struct sockaddr_in to = sin4(src, 0);
	return sendto(raw, b, sizeof b, 0, (struct sockaddr *)&to, sizeof to);
}

/* snmp_counter returns the value of SEC's counter NAME in /proc/net/snmp, or
 * -1; with names=1 it prints the section's names line instead. */
static inline long snmp_counter(const char *sec, const char *name, int names)
{
	FILE *f = fopen("/proc/net/snmp", "r");
	if (!f)
		return -1;
	char hdr[2048], val[2048];
	long v = -1;
	size_t sl = strlen(sec);
	while (fgets(hdr, sizeof hdr, f) && fgets(val, sizeof val, f)) {
		if (strncmp(hdr, sec, sl) != 0 || hdr[sl] != ':')
			continue;
		if (names) {
			printf("snmp %s names: [%.*s]\n", sec, (int)strcspn(hdr, "\n"), hdr);
			break;
		}
		char *hs, *vs;
		char *h = strtok_r(hdr + sl + 1, " \n", &hs);
		char *x = strtok_r(val + sl + 1, " \n", &vs);
		for (; h && x; h = strtok_r(NULL, " \n", &hs), x = strtok_r(NULL, " \n", &vs))
			if (strcmp(h, name) == 0) {
				v = atol(x);
				break;
			}
		break;
	}
	fclose(f);
	return v;
}

#endif /* NETBOX_DIFF_COMMON_H */
