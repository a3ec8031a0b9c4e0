/* udp_cmsg.c - ancillary data (control messages) on UDP sockets.
 *
 * Checks: IPv4 receive cmsgs (IP_PKTINFO, IP_RECVTTL, IP_RECVTOS and
 * IP_RECVORIGDSTADDR) for datagrams sent to 127.0.0.1 and 127.0.0.5 by a
 * sender with IP_TTL 17 and IP_TOS 0x28; MSG_CTRUNC with control buffers of
 * 24 bytes, NULL/0, 16 bytes, exactly two cmsgs and one byte short of all
 * three, plus MSG_TRUNC on the data; the receive options read back and set
 * with optlen 1 and 0; send-side cmsgs through sendmsg (IP_TTL, IP_TOS,
 * invalid values and lengths, an unknown SOL_IP type, cmsg_len beyond
 * msg_controllen, an unknown level, SCM_RIGHTS); a connected pair using
 * send() and write(); IPv6 receive cmsgs (IPV6_RECVPKTINFO,
 * IPV6_RECVHOPLIMIT, IPV6_RECVTCLASS), v4-mapped delivery to a dual-stack
 * socket with and without IP-level options, IPv6 send-side cmsgs;
 * SO_TIMESTAMP / SO_TIMESTAMPNS (plausibility only, never the value) and
 * their order relative to IP_PKTINFO; and a TCP reader with IP_PKTINFO and
 * IP_RECVTTL (no cmsgs).
 *
 * Every cmsg goes through print_cmsgs(), which prints
 * "PFX cmsgI: LEVEL TYPE len=N value...". Ports are never printed.
 */
/* spec: USEND-01 USEND-22 URECV-04 URECV-06 FLAG-04 FLAG-06 FLAG-17 CMSG-01 CMSG-02 CMSG-03 */
/* spec: CMSG-05 CMSG-06 CMSG-08 CMSG-09 CMSG-12 IPO-01 IPO-03 IPO-04 IPO-10 IPO-14 IPO-15 IPO-21 */
/* spec: V6-02 V6-07 V6-13 TCP-16 */
#include "common.h"
#include <netinet/ip.h>
#include <netinet/tcp.h>
#include <netinet/udp.h>
#include <poll.h>
#include <sys/time.h>
#include <sys/uio.h>
#include <time.h>

/* A UDP socket bound to addr:0 (v4 or v6 literal), with a 2 s receive timeout. */
static int udp_bound(int family, const char *addr)
{
	int fd = socket(family, SOCK_DGRAM, 0);
	int r = bind_port0(fd, family, addr);
	if (r < 0)
		printf("bind %s: -1 %s\n", addr, errname(errno));
	set_rcvtimeo(fd);
	return fd;
}

/* Whether a timestamp is within 10 s of the realtime clock. */
static const char *ts_plausible(long long sec, long long sub, long long per_sec)
{
	struct timespec now;
	clock_gettime(CLOCK_REALTIME, &now);
	double t = (double)sec + (double)sub / (double)per_sec;
	double n = (double)now.tv_sec + now.tv_nsec / 1e9;
	double d = n - t;
	if (d < 0)
		d = -d;
	return d < 10.0 ? "plausible" : "implausible";
}

static char g_order[256];

/* Print every cmsg of m; port is the receiver's port (for IP_ORIGDSTADDR). */
static void print_cmsgs(const char *pfx, struct msghdr *m, int port)
{
	int i = 0;
	g_order[0] = 0;
	for (struct cmsghdr *c = CMSG_FIRSTHDR(m); c; c = CMSG_NXTHDR(m, c), i++) {
		size_t dlen = c->cmsg_len >= CMSG_LEN(0) ? c->cmsg_len - CMSG_LEN(0) : 0;
		const unsigned char *d = CMSG_DATA(c);
		char a1[INET6_ADDRSTRLEN], a2[INET6_ADDRSTRLEN];
		const char *tn = type_name(c->cmsg_level, c->cmsg_type);
		if (strlen(g_order) + strlen(tn) + 2 < sizeof g_order) {
			if (g_order[0])
				strcat(g_order, ",");
			strcat(g_order, tn);
		}
		printf("%s cmsg%d: %s %s len=%zu", pfx, i, level_name(c->cmsg_level), tn,
		       (size_t)c->cmsg_len);
		if (c->cmsg_len < CMSG_LEN(0)) {
			printf(" short-header\n");
			break;
		}
		int lv = c->cmsg_level, ty = c->cmsg_type;
		if (lv == SOL_IP && ty == IP_PKTINFO && dlen >= sizeof(struct in_pktinfo)) {
			struct in_pktinfo pi;
			memcpy(&pi, d, sizeof pi);
			inet_ntop(AF_INET, &pi.ipi_spec_dst, a1, sizeof a1);
			inet_ntop(AF_INET, &pi.ipi_addr, a2, sizeof a2);
			printf(" ifindex=%d spec_dst=%s addr=%s", pi.ipi_ifindex, a1, a2);
		} else if (lv == SOL_IP && ty == IP_TTL && dlen >= sizeof(int)) {
			int v;
			memcpy(&v, d, sizeof v);
			printf(" ttl=%d", v);
		} else if (lv == SOL_IP && ty == IP_TOS && dlen >= 1) {
			printf(" tos=0x%02x", d[0]);
		} else if (lv == SOL_IP && ty == IP_ORIGDSTADDR && dlen >= sizeof(struct sockaddr_in)) {
			struct sockaddr_in sa;
			char ab[80];
			memcpy(&sa, d, sizeof sa);
			printf(" %s port=%s", fmt_addr(&sa, ab, sizeof ab),
			       sa_port(&sa) == port ? "same" : "other");
		} else if (lv == SOL_IPV6 && ty == IPV6_PKTINFO && dlen >= sizeof(struct in6_pktinfo)) {
			struct in6_pktinfo pi;
			memcpy(&pi, d, sizeof pi);
			inet_ntop(AF_INET6, &pi.ipi6_addr, a1, sizeof a1);
			printf(" ifindex=%u addr=%s", pi.ipi6_ifindex, a1);
		} else if (lv == SOL_IPV6 && ty == IPV6_HOPLIMIT && dlen >= sizeof(int)) {
			int v;
			memcpy(&v, d, sizeof v);
			printf(" hoplimit=%d", v);
		} else if (lv == SOL_IPV6 && ty == IPV6_TCLASS && dlen >= sizeof(int)) {
			int v;
			memcpy(&v, d, sizeof v);
			printf(" tclass=0x%02x", v);
		} else if (lv == SOL_SOCKET &&
			   (ty == SO_TIMESTAMP_OLD || ty == SO_TIMESTAMP_NEW) && dlen >= 16) {
			long long v[2];
			memcpy(v, d, sizeof v);
			printf(" ts=%s", ts_plausible(v[0], v[1], 1000000));
		} else if (lv == SOL_SOCKET &&
			   (ty == SO_TIMESTAMPNS_OLD || ty == SO_TIMESTAMPNS_NEW) && dlen >= 16) {
			long long v[2];
			memcpy(v, d, sizeof v);
			printf(" ts=%s", ts_plausible(v[0], v[1], 1000000000));
		} else {
			printf(" dlen=%zu", dlen);
			if (dlen > 0 && dlen <= 32) {
				printf(" data=");
				for (size_t k = 0; k < dlen; k++)
					printf("%02x", d[k]);
			}
		}
		printf("\n");
	}
	printf("%s ncmsg: %d\n", pfx, i);
}

static void print_flags(const char *pfx, int f)
{
	printf("%s flags:%s%s%s", pfx, f & MSG_TRUNC ? " MSG_TRUNC" : "",
	       f & MSG_CTRUNC ? " MSG_CTRUNC" : "",
	       (f & (MSG_TRUNC | MSG_CTRUNC)) ? "" : " none");
	if (f & ~(MSG_TRUNC | MSG_CTRUNC))
		printf(" other 0x%x", f & ~(MSG_TRUNC | MSG_CTRUNC));
	printf("\n");
}

/* recvmsg with a control buffer of ctl_len bytes (ctl_len < 0: msg_control
 * NULL and msg_controllen 0) and a data buffer of data_len bytes. Prints the
 * result, data, source address, msg_controllen, msg_flags and the cmsgs. */
static ssize_t rx_ex(const char *pfx, int fd, int ctl_len, size_t data_len, int flags, int port)
{
	char data[256];
	union {
		struct cmsghdr align;
		char b[512];
	} ctl;
	struct sockaddr_storage from;
	struct iovec iov = { data, data_len < sizeof data ? data_len : sizeof data - 1 };
	struct msghdr m;
	char ab[80];

	memset(&ctl, 0, sizeof ctl);
	memset(&from, 0, sizeof from);
	memset(data, 0, sizeof data);
	memset(&m, 0, sizeof m);
	m.msg_name = &from;
	m.msg_namelen = sizeof from;
	m.msg_iov = &iov;
	m.msg_iovlen = 1;
	if (ctl_len >= 0) {
		m.msg_control = ctl.b;
		m.msg_controllen = ctl_len;
	}
	ssize_t n = recvmsg(fd, &m, flags);
	if (n < 0) {
		printf("%s recv: -1 %s\n", pfx, errname(errno));
		return -1;
	}
	printf("%s recv: %zd data=%.*s\n", pfx, n, (int)(n < (ssize_t)iov.iov_len ? n : (ssize_t)iov.iov_len), data);
	if (m.msg_namelen > 0)
		printf("%s from: %s\n", pfx, fmt_addr(&from, ab, sizeof ab));
	printf("%s controllen: %zu\n", pfx, (size_t)m.msg_controllen);
	print_flags(pfx, m.msg_flags);
	print_cmsgs(pfx, &m, port);
	return n;
}

static ssize_t rx(const char *pfx, int fd, int port)
{
	return rx_ex(pfx, fd, 512, 128, 0, port);
}

/* After a failed send: did anything arrive? (short poll, then non-blocking recv) */
static void arrived(const char *pfx, int fd)
{
	char b[64];
	struct pollfd p = { .fd = fd, .events = POLLIN };
	poll(&p, 1, 50);
	ssize_t n = recv(fd, b, sizeof b, MSG_DONTWAIT);
	if (n < 0)
		printf("%s arrived: no %s\n", pfx, errname(errno));
	else
		printf("%s arrived: yes %zd\n", pfx, n);
}

/* sendmsg of payload to dst with one cmsg (level, type, data of dlen bytes). */
static long tx_cmsg(int fd, const void *dst, socklen_t dstlen, const char *payload,
		    int level, int type, const void *data, size_t dlen)
{
	union {
		struct cmsghdr align;
		char b[256];
	} ctl;
	struct iovec iov = { (void *)payload, strlen(payload) };
	struct msghdr m;
	memset(&ctl, 0, sizeof ctl);
	memset(&m, 0, sizeof m);
	m.msg_name = (void *)dst;
	m.msg_namelen = dstlen;
	m.msg_iov = &iov;
	m.msg_iovlen = 1;
	m.msg_control = ctl.b;
	m.msg_controllen = CMSG_SPACE(dlen);
	struct cmsghdr *c = CMSG_FIRSTHDR(&m);
	c->cmsg_level = level;
	c->cmsg_type = type;
	c->cmsg_len = CMSG_LEN(dlen);
	memcpy(CMSG_DATA(c), data, dlen);
	return sendmsg(fd, &m, 0);
}

static void sendto4(const char *label, int fd, const char *payload, const char *ip, int port)
{
	struct sockaddr_in a = sin4(ip, port);
	long r = sendto(fd, payload, strlen(payload), 0, (struct sockaddr *)&a, sizeof a);
	show(label, r);
}

int main(void)
{
	common_init();
	char lab[128];

	/* ---------- 1. IPv4 receive cmsgs ---------- */
	int r4 = udp_bound(AF_INET, "0.0.0.0");
	int p4 = local_port(r4);
	show("v4 set IP_PKTINFO", set_int(r4, SOL_IP, IP_PKTINFO, 1));
	show("v4 set IP_RECVTTL", set_int(r4, SOL_IP, IP_RECVTTL, 1));
	show("v4 set IP_RECVTOS", set_int(r4, SOL_IP, IP_RECVTOS, 1));
	int s4 = socket(AF_INET, SOCK_DGRAM, 0);
	show("v4 sender IP_TTL 17", set_int(s4, SOL_IP, IP_TTL, 17));
	show("v4 sender IP_TOS 0x28", set_int(s4, SOL_IP, IP_TOS, 0x28));
	sendto4("v4 sendto 127.0.0.1", s4, "first", "127.0.0.1", p4);
	sendto4("v4 sendto 127.0.0.5", s4, "second", "127.0.0.5", p4);
	rx("v4 first", r4, p4);
	rx("v4 second", r4, p4);

	/* ---------- 2. IP_RECVORIGDSTADDR ---------- */
	show("orig set IP_RECVORIGDSTADDR", set_int(r4, SOL_IP, IP_RECVORIGDSTADDR, 1));
	sendto4("orig sendto 127.0.0.1", s4, "o1", "127.0.0.1", p4);
	sendto4("orig sendto 127.0.0.5", s4, "o5", "127.0.0.5", p4);
	rx("orig 1", r4, p4);
	rx("orig 5", r4, p4);
	show("orig unset IP_RECVORIGDSTADDR", set_int(r4, SOL_IP, IP_RECVORIGDSTADDR, 0));

	/* ---------- 3. MSG_CTRUNC / MSG_TRUNC ---------- */
	{
		struct {
			const char *name;
			int len;
		} cases[] = {
			{ "ctrunc 24", 24 },
			{ "ctrunc null", -1 },
			{ "ctrunc zero", 0 },
			{ "ctrunc 16", 16 },
			{ "ctrunc two", (int)(CMSG_SPACE(sizeof(struct in_pktinfo)) + CMSG_SPACE(sizeof(int))) },
			{ "ctrunc three minus 1",
			  (int)(CMSG_SPACE(sizeof(struct in_pktinfo)) + CMSG_SPACE(sizeof(int)) +
				CMSG_SPACE(1)) - 1 },
			{ "ctrunc three", (int)(CMSG_SPACE(sizeof(struct in_pktinfo)) + CMSG_SPACE(sizeof(int)) +
						CMSG_SPACE(1)) },
		};
		for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
			snprintf(lab, sizeof lab, "%s send", cases[i].name);
			char pl[16];
			snprintf(pl, sizeof pl, "ct%zu", i);
			sendto4(lab, s4, pl, "127.0.0.1", p4);
			printf("%s controllen in: %d\n", cases[i].name, cases[i].len < 0 ? 0 : cases[i].len);
			rx_ex(cases[i].name, r4, cases[i].len, 128, 0, p4);
		}
		sendto4("dtrunc send", s4, "truncated-data", "127.0.0.1", p4);
		rx_ex("dtrunc", r4, 512, 4, 0, p4);
		sendto4("dtrunc both send", s4, "truncated-both", "127.0.0.1", p4);
		rx_ex("dtrunc both", r4, 20, 4, 0, p4);
	}

	/* ---------- 4. options read back ---------- */
	{
		int o = socket(AF_INET, SOCK_DGRAM, 0);
		struct {
			const char *name;
			int opt;
		} opts[] = {
			{ "IP_PKTINFO", IP_PKTINFO },
			{ "IP_RECVTTL", IP_RECVTTL },
			{ "IP_RECVTOS", IP_RECVTOS },
			{ "IP_RECVORIGDSTADDR", IP_RECVORIGDSTADDR },
		};
		for (size_t i = 0; i < sizeof opts / sizeof opts[0]; i++) {
			const char *n = opts[i].name;
			int opt = opts[i].opt;
			snprintf(lab, sizeof lab, "opt %s default", n);
			get_int(lab, o, SOL_IP, opt);
			snprintf(lab, sizeof lab, "opt %s set 1", n);
			show(lab, set_int(o, SOL_IP, opt, 1));
			snprintf(lab, sizeof lab, "opt %s after 1", n);
			get_int(lab, o, SOL_IP, opt);
			snprintf(lab, sizeof lab, "opt %s set 5", n);
			show(lab, set_int(o, SOL_IP, opt, 5));
			snprintf(lab, sizeof lab, "opt %s after 5", n);
			get_int(lab, o, SOL_IP, opt);
			{
				unsigned char c = 0;
				socklen_t l = 1;
				long r = getsockopt(o, SOL_IP, opt, &c, &l);
				snprintf(lab, sizeof lab, "opt %s get optlen 1", n);
				if (r < 0)
					printf("%s: -1 %s\n", lab, errname(errno));
				else
					printf("%s: %ld val=%u len=%u\n", lab, r, c, l);
			}
			snprintf(lab, sizeof lab, "opt %s set 0", n);
			show(lab, set_int(o, SOL_IP, opt, 0));
			snprintf(lab, sizeof lab, "opt %s after 0", n);
			get_int(lab, o, SOL_IP, opt);
			{
				unsigned char c = 1;
				snprintf(lab, sizeof lab, "opt %s set optlen 1 value 1", n);
				show(lab, setsockopt(o, SOL_IP, opt, &c, 1));
				snprintf(lab, sizeof lab, "opt %s after optlen 1", n);
				get_int(lab, o, SOL_IP, opt);
				int one = 1;
				snprintf(lab, sizeof lab, "opt %s set optlen 0", n);
				show(lab, setsockopt(o, SOL_IP, opt, &one, 0));
				snprintf(lab, sizeof lab, "opt %s after optlen 0", n);
				get_int(lab, o, SOL_IP, opt);
				c = 0;
				snprintf(lab, sizeof lab, "opt %s set optlen 1 value 0", n);
				show(lab, setsockopt(o, SOL_IP, opt, &c, 1));
				snprintf(lab, sizeof lab, "opt %s after optlen 1 value 0", n);
				get_int(lab, o, SOL_IP, opt);
			}
		}
		close(o);
	}

	/* ---------- 5. send-side cmsgs ---------- */
	{
		struct sockaddr_in dst = sin4("127.0.0.1", p4);
		int v;
		unsigned char b;

		v = 3;
		show("sc ttl3 send", tx_cmsg(s4, &dst, sizeof dst, "ttl3", SOL_IP, IP_TTL, &v, sizeof v));
		rx("sc ttl3", r4, p4);
		v = 0x10;
		show("sc tos int send", tx_cmsg(s4, &dst, sizeof dst, "tos10", SOL_IP, IP_TOS, &v, sizeof v));
		rx("sc tos int", r4, p4);
		b = 0x18;
		show("sc tos byte send", tx_cmsg(s4, &dst, sizeof dst, "tos18", SOL_IP, IP_TOS, &b, 1));
		rx("sc tos byte", r4, p4);
		v = 255;
		show("sc ttl255 send", tx_cmsg(s4, &dst, sizeof dst, "ttl255", SOL_IP, IP_TTL, &v, sizeof v));
		rx("sc ttl255", r4, p4);

		v = 0;
		show("sc ttl0 send", tx_cmsg(s4, &dst, sizeof dst, "ttl0", SOL_IP, IP_TTL, &v, sizeof v));
		arrived("sc ttl0", r4);
		v = 256;
		show("sc ttl256 send", tx_cmsg(s4, &dst, sizeof dst, "ttl256", SOL_IP, IP_TTL, &v, sizeof v));
		arrived("sc ttl256", r4);
		b = 3;
		show("sc ttl byte send", tx_cmsg(s4, &dst, sizeof dst, "ttlb", SOL_IP, IP_TTL, &b, 1));
		arrived("sc ttl byte", r4);
		v = 0x10;
		show("sc tos short2 send", tx_cmsg(s4, &dst, sizeof dst, "tos2", SOL_IP, IP_TOS, &v, 2));
		arrived("sc tos short2", r4);
		v = 1;
		show("sc type200 send", tx_cmsg(s4, &dst, sizeof dst, "t200", SOL_IP, 200, &v, sizeof v));
		arrived("sc type200", r4);

		/* cmsg_len larger than msg_controllen */
		{
			union {
				struct cmsghdr align;
				char b[64];
			} ctl;
			struct iovec iov = { "biglen", 6 };
			struct msghdr m;
			memset(&ctl, 0, sizeof ctl);
			memset(&m, 0, sizeof m);
			m.msg_name = &dst;
			m.msg_namelen = sizeof dst;
			m.msg_iov = &iov;
			m.msg_iovlen = 1;
			m.msg_control = ctl.b;
			m.msg_controllen = CMSG_SPACE(sizeof(int));
			struct cmsghdr *c = CMSG_FIRSTHDR(&m);
			c->cmsg_level = SOL_IP;
			c->cmsg_type = IP_TTL;
			c->cmsg_len = CMSG_LEN(sizeof(int)) + 16;
			v = 3;
			memcpy(CMSG_DATA(c), &v, sizeof v);
			show("sc cmsg_len too big send", sendmsg(s4, &m, 0));
			arrived("sc cmsg_len too big", r4);

			/* cmsg_len smaller than a header */
			c->cmsg_len = 8;
			show("sc cmsg_len 8 send", sendmsg(s4, &m, 0));
			arrived("sc cmsg_len 8", r4);

			/* msg_controllen shorter than a cmsghdr: ignored */
			c->cmsg_len = CMSG_LEN(sizeof(int));
			m.msg_controllen = 8;
			show("sc controllen 8 send", sendmsg(s4, &m, 0));
			rx("sc controllen 8", r4, p4);
		}

		v = 7;
		show("sc level1234 send", tx_cmsg(s4, &dst, sizeof dst, "l1234", 1234, IP_TTL, &v, sizeof v));
		rx("sc level1234", r4, p4);
		v = 7;
		show("sc sol_ipv6 on v4 send",
		     tx_cmsg(s4, &dst, sizeof dst, "ip6lvl", SOL_IPV6, IPV6_HOPLIMIT, &v, sizeof v));
		rx("sc sol_ipv6 on v4", r4, p4);
		{
			int pfd[2];
			if (pipe(pfd) < 0)
				printf("pipe: -1 %s\n", errname(errno));
			show("sc scm_rights send",
			     tx_cmsg(s4, &dst, sizeof dst, "rights", SOL_SOCKET, SCM_RIGHTS, &pfd[0], sizeof(int)));
			rx("sc scm_rights", r4, p4);
			close(pfd[0]);
			close(pfd[1]);
		}
		v = 1;
		show("sc sol_socket type200 send",
		     tx_cmsg(s4, &dst, sizeof dst, "so200", SOL_SOCKET, 200, &v, sizeof v));
		arrived("sc sol_socket type200", r4);
		/* connected socket, sendmsg without a name, with an IP_TTL cmsg */
		{
			int cs = socket(AF_INET, SOCK_DGRAM, 0);
			show("sc connected connect", connect(cs, (struct sockaddr *)&dst, sizeof dst));
			v = 4;
			show("sc connected ttl4 send", tx_cmsg(cs, NULL, 0, "cttl4", SOL_IP, IP_TTL, &v, sizeof v));
			rx("sc connected ttl4", r4, p4);
			close(cs);
		}
	}

	/* ---------- 6. connected pair, send() and write() ---------- */
	{
		int a = udp_bound(AF_INET, "127.0.0.1");
		int b = udp_bound(AF_INET, "127.0.0.1");
		int pa = local_port(a), pb = local_port(b);
		struct sockaddr_in da = sin4("127.0.0.1", pa), db = sin4("127.0.0.1", pb);
		show("conn receiver connect", connect(a, (struct sockaddr *)&db, sizeof db));
		show("conn sender connect", connect(b, (struct sockaddr *)&da, sizeof da));
		show("conn set IP_RECVTTL", set_int(a, SOL_IP, IP_RECVTTL, 1));
		show("conn set IP_PKTINFO", set_int(a, SOL_IP, IP_PKTINFO, 1));
		show("conn send", send(b, "viasend", 7, 0));
		rx("conn send rx", a, pa);
		show("conn write", write(b, "viawrite", 8));
		rx("conn write rx", a, pa);
		show("conn sender IP_TTL 33", set_int(b, SOL_IP, IP_TTL, 33));
		show("conn send2", send(b, "ttl33", 5, 0));
		rx("conn send2 rx", a, pa);
		close(a);
		close(b);
	}

	/* ---------- 7. IPv6 ---------- */
	{
		int r6 = udp_bound(AF_INET6, "::");
		int p6 = local_port(r6);
		get_int("v6 IPV6_V6ONLY", r6, SOL_IPV6, IPV6_V6ONLY);
		show("v6 set IPV6_RECVPKTINFO", set_int(r6, SOL_IPV6, IPV6_RECVPKTINFO, 1));
		show("v6 set IPV6_RECVHOPLIMIT", set_int(r6, SOL_IPV6, IPV6_RECVHOPLIMIT, 1));
		show("v6 set IPV6_RECVTCLASS", set_int(r6, SOL_IPV6, IPV6_RECVTCLASS, 1));
		int s6 = socket(AF_INET6, SOCK_DGRAM, 0);
		show("v6 sender IPV6_UNICAST_HOPS 9", set_int(s6, SOL_IPV6, IPV6_UNICAST_HOPS, 9));
		show("v6 sender IPV6_TCLASS 0x20", set_int(s6, SOL_IPV6, IPV6_TCLASS, 0x20));
		struct sockaddr_in6 d6 = sin6("::1", p6);
		show("v6 sendto ::1", sendto(s6, "six", 3, 0, (struct sockaddr *)&d6, sizeof d6));
		rx("v6 first", r6, p6);

		sendto4("mapped sendto 127.0.0.1", s4, "mapped1", "127.0.0.1", p6);
		rx("mapped v6opts", r6, p6);
		show("mapped set IP_PKTINFO", set_int(r6, SOL_IP, IP_PKTINFO, 1));
		show("mapped set IP_RECVTTL", set_int(r6, SOL_IP, IP_RECVTTL, 1));
		sendto4("mapped sendto 127.0.0.1 again", s4, "mapped2", "127.0.0.1", p6);
		rx("mapped v4opts", r6, p6);
		show("mapped set IP_RECVTOS", set_int(r6, SOL_IP, IP_RECVTOS, 1));
		sendto4("mapped sendto 127.0.0.5", s4, "mapped3", "127.0.0.5", p6);
		rx("mapped tos", r6, p6);
		/* a v6 datagram with the IP-level options also on */
		show("v6 sendto ::1 again", sendto(s6, "six2", 4, 0, (struct sockaddr *)&d6, sizeof d6));
		rx("v6 with ipopts", r6, p6);
		show("mapped unset IP_PKTINFO", set_int(r6, SOL_IP, IP_PKTINFO, 0));
		show("mapped unset IP_RECVTTL", set_int(r6, SOL_IP, IP_RECVTTL, 0));
		show("mapped unset IP_RECVTOS", set_int(r6, SOL_IP, IP_RECVTOS, 0));

		int v;
		v = 5;
		show("v6sc hoplimit5 send",
		     tx_cmsg(s6, &d6, sizeof d6, "hl5", SOL_IPV6, IPV6_HOPLIMIT, &v, sizeof v));
		rx("v6sc hoplimit5", r6, p6);
		v = 0x40;
		show("v6sc tclass40 send",
		     tx_cmsg(s6, &d6, sizeof d6, "tc40", SOL_IPV6, IPV6_TCLASS, &v, sizeof v));
		rx("v6sc tclass40", r6, p6);
		{
			struct in6_pktinfo pi;
			memset(&pi, 0, sizeof pi);
			inet_pton(AF_INET6, "::1", &pi.ipi6_addr);
			show("v6sc pktinfo send",
			     tx_cmsg(s6, &d6, sizeof d6, "pki", SOL_IPV6, IPV6_PKTINFO, &pi, sizeof pi));
			rx("v6sc pktinfo", r6, p6);
		}
		v = -1;
		show("v6sc hoplimit-1 send",
		     tx_cmsg(s6, &d6, sizeof d6, "hlm1", SOL_IPV6, IPV6_HOPLIMIT, &v, sizeof v));
		rx("v6sc hoplimit-1", r6, p6);
		v = -2;
		show("v6sc hoplimit-2 send",
		     tx_cmsg(s6, &d6, sizeof d6, "hlm2", SOL_IPV6, IPV6_HOPLIMIT, &v, sizeof v));
		arrived("v6sc hoplimit-2", r6);
		v = 256;
		show("v6sc hoplimit256 send",
		     tx_cmsg(s6, &d6, sizeof d6, "hl256", SOL_IPV6, IPV6_HOPLIMIT, &v, sizeof v));
		arrived("v6sc hoplimit256", r6);
		v = 3;
		show("v6sc ip_ttl on v6 send",
		     tx_cmsg(s6, &d6, sizeof d6, "ipttl", SOL_IP, IP_TTL, &v, sizeof v));
		rx("v6sc ip_ttl on v6", r6, p6);
		/* The RFC 2292 options beside RFC 3542's: their messages come
		 * after IPV6_TCLASS, for IPv6 datagrams only. */
		show("v6 set IPV6_2292PKTINFO", set_int(r6, SOL_IPV6, IPV6_2292PKTINFO, 1));
		show("v6 set IPV6_2292HOPLIMIT", set_int(r6, SOL_IPV6, IPV6_2292HOPLIMIT, 1));
		show("v6 set IPV6_2292HOPOPTS", set_int(r6, SOL_IPV6, IPV6_2292HOPOPTS, 1));
		show("v6 set IPV6_2292DSTOPTS", set_int(r6, SOL_IPV6, IPV6_2292DSTOPTS, 1));
		show("v6 set IPV6_2292RTHDR", set_int(r6, SOL_IPV6, IPV6_2292RTHDR, 1));
		get_int("v6 IPV6_2292PKTINFO", r6, SOL_IPV6, IPV6_2292PKTINFO);
		show("v6 2292 sendto", sendto(s6, "rfc2292", 7, 0, (struct sockaddr *)&d6, sizeof d6));
		rx("v6 2292", r6, p6);
		sendto4("mapped 2292 sendto", s4, "m2292", "127.0.0.1", p6);
		rx("mapped 2292", r6, p6);
		show("v6 unset IPV6_RECVPKTINFO", set_int(r6, SOL_IPV6, IPV6_RECVPKTINFO, 0));
		show("v6 unset IPV6_RECVHOPLIMIT", set_int(r6, SOL_IPV6, IPV6_RECVHOPLIMIT, 0));
		show("v6 2292 only sendto", sendto(s6, "only2292", 8, 0, (struct sockaddr *)&d6, sizeof d6));
		rx("v6 2292 only", r6, p6);
		close(s6);
		close(r6);
	}

	/* ---------- 8. timestamps ---------- */
	{
		int t1 = udp_bound(AF_INET, "127.0.0.1");
		int pt1 = local_port(t1);
		show("ts set SO_TIMESTAMP", set_int(t1, SOL_SOCKET, SO_TIMESTAMP, 1));
		get_int("ts SO_TIMESTAMP", t1, SOL_SOCKET, SO_TIMESTAMP);
		sendto4("ts tv sendto", s4, "tv", "127.0.0.1", pt1);
		rx("ts tv", t1, pt1);

		int t2 = udp_bound(AF_INET, "127.0.0.1");
		int pt2 = local_port(t2);
		show("ts set SO_TIMESTAMPNS", set_int(t2, SOL_SOCKET, SO_TIMESTAMPNS, 1));
		get_int("ts SO_TIMESTAMPNS", t2, SOL_SOCKET, SO_TIMESTAMPNS);
		get_int("ts SO_TIMESTAMP on NS socket", t2, SOL_SOCKET, SO_TIMESTAMP);
		sendto4("ts ns sendto", s4, "ns", "127.0.0.1", pt2);
		rx("ts ns", t2, pt2);

		show("ts set SO_TIMESTAMP on tv socket too", set_int(t2, SOL_SOCKET, SO_TIMESTAMP, 1));
		get_int("ts SO_TIMESTAMPNS after both", t2, SOL_SOCKET, SO_TIMESTAMPNS);
		sendto4("ts both sendto", s4, "both", "127.0.0.1", pt2);
		rx("ts both", t2, pt2);

		show("ts set IP_PKTINFO", set_int(t1, SOL_IP, IP_PKTINFO, 1));
		show("ts set IP_RECVTTL", set_int(t1, SOL_IP, IP_RECVTTL, 1));
		sendto4("ts order sendto", s4, "order", "127.0.0.1", pt1);
		rx("ts order", t1, pt1);
		printf("ts order: %s\n", g_order);
		sendto4("ts order trunc sendto", s4, "ordtr", "127.0.0.1", pt1);
		rx_ex("ts order trunc", t1, 40, 128, 0, pt1);
		close(t1);
		close(t2);
	}

	/* ---------- 9. TCP ---------- */
	{
		int l = socket(AF_INET, SOCK_STREAM, 0);
		struct sockaddr_in a = sin4("127.0.0.1", 0);
		bind(l, (struct sockaddr *)&a, sizeof a);
		listen(l, 1);
		int pl = local_port(l);
		int c = socket(AF_INET, SOCK_STREAM, 0);
		struct sockaddr_in d = sin4("127.0.0.1", pl);
		show("tcp connect", connect(c, (struct sockaddr *)&d, sizeof d));
		int s = accept(l, NULL, NULL);
		showfd("tcp accept", s);
		set_rcvtimeo(s);
		show("tcp set IP_PKTINFO", set_int(s, SOL_IP, IP_PKTINFO, 1));
		show("tcp set IP_RECVTTL", set_int(s, SOL_IP, IP_RECVTTL, 1));
		get_int("tcp IP_PKTINFO", s, SOL_IP, IP_PKTINFO);
		show("tcp write", write(c, "tcpdata", 7));
		struct pollfd p = { .fd = s, .events = POLLIN };
		poll(&p, 1, 2000);
		rx("tcp", s, pl);
		close(c);
		close(s);
		close(l);
	}

	close(s4);
	close(r4);
	printf("done\n");
	return 0;
}
