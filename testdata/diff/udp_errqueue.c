/* udp_errqueue.c - ICMP errors on UDP sockets: the pending error (SO_ERROR)
 * and the error queue (IP_RECVERR / IPV6_RECVERR, recvmsg MSG_ERRQUEUE).
 *
 * Checks: a connected socket without IP_RECVERR sending to a closed port
 * (poll, SO_ERROR read twice, the pending error consumed by recv, recvfrom
 * with an address, recvmsg and send); an unconnected socket without
 * IP_RECVERR (the error is dropped); an unconnected socket with IP_RECVERR
 * (SO_ERROR, recvmsg MSG_ERRQUEUE: payload, msg_name, msg_flags, the
 * IP_RECVERR cmsg with struct sock_extended_err and the offender address,
 * then EAGAIN; a second sendto while an error is pending; two queued
 * errors and how SO_ERROR follows the queue; recv
 * before the queue is read; MSG_PEEK; IP_PKTINFO/IP_RECVTTL cmsgs next to
 * IP_RECVERR); MSG_ERRQUEUE on a fresh socket without MSG_DONTWAIT (EAGAIN at
 * once), with a 3-byte data buffer (MSG_TRUNC), a 20-byte control buffer and
 * no control buffer (MSG_CTRUNC), a 4-byte msg_name and through recv(); a
 * connected socket with IP_RECVERR in both orders (pending error first,
 * queue first); IPv6 with IPV6_RECVERR to [::1] and to a v4-mapped address,
 * with IP_RECVERR also set, and IP_RECVERR alone to [::1]; the options read
 * back (and IPV6_RECVERR on an AF_INET socket); turning IP_RECVERR and
 * IPV6_RECVERR off with errors queued (the queue is purged); MSG_ERRQUEUE on
 * TCP sockets.
 *
 * Ports are never printed: the closed destination port comes from binding a
 * socket to port 0 and closing it; ports are printed as port=same (that
 * port), port=0 or port=other. poll results are on lines whose label starts
 * with "poll ".
 */
/* spec: FLAG-12 CMSG-02 CMSG-13 ERR-01 ERR-02 ERR-04 ERR-05 ERR-06 ERR-07 ERR-08 ERR-12 IPO-13 */
/* spec: V6-08 */
#include "common.h"
#include <linux/errqueue.h>
#include <netinet/ip.h>
#include <poll.h>
#include <sys/time.h>
#include <sys/uio.h>
#include <time.h>

/* An unbound UDP socket with a 2 s receive timeout. */
static int udp_sock(int family)
{
	int fd = socket(family, SOCK_DGRAM, 0);
	if (fd < 0)
		printf("socket: -1 %s\n", errname(errno));
	set_rcvtimeo(fd);
	return fd;
}

static const char *portrel(int p, int known)
{
	if (p == known)
		return "same";
	if (p == 0)
		return "0";
	return "other";
}

static const char *revents_str(short r)
{
	static char b[128];
	b[0] = 0;
	if (r & POLLIN)
		strcat(b, " POLLIN");
	if (r & POLLPRI)
		strcat(b, " POLLPRI");
	if (r & POLLOUT)
		strcat(b, " POLLOUT");
	if (r & POLLERR)
		strcat(b, " POLLERR");
	if (r & POLLHUP)
		strcat(b, " POLLHUP");
	if (r & POLLNVAL)
		strcat(b, " POLLNVAL");
	if (r & ~(POLLIN | POLLPRI | POLLOUT | POLLERR | POLLHUP | POLLNVAL))
		snprintf(b + strlen(b), sizeof b - strlen(b), " 0x%x",
			 r & ~(POLLIN | POLLPRI | POLLOUT | POLLERR | POLLHUP | POLLNVAL));
	return b[0] ? b + 1 : "none";
}

/* poll(POLLERR|POLLIN) with a timeout; prints "poll LABEL: R REVENTS". */
static void poll_ms(const char *label, int fd, int ms)
{
	struct pollfd p = { .fd = fd, .events = POLLERR | POLLIN };
	int r = poll(&p, 1, ms);
	if (r < 0)
		printf("poll %s: -1 %s\n", label, errname(errno));
	else
		printf("poll %s: %d %s\n", label, r, revents_str(p.revents));
}

/* After a send that may trigger an ICMP error. */
static void poll_wait(const char *label, int fd)
{
	poll_ms(label, fd, 200);
}

/* poll_wait for the error of a connected socket, which Linux reports at
 * once and netbox raises from another thread, one a loaded machine may
 * run late (200 ms was seen to be too short under the race detector and
 * a parallel test run). (The others stay short: netbox shows no POLLERR
 * on an unconnected socket, a listed deviation, so each waits it out.) */
static void poll_err(const char *label, int fd)
{
	poll_ms(label, fd, 2000);
}

static void so_error(const char *label, int fd)
{
	int v = -12345;
	socklen_t l = sizeof v;
	if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &v, &l) < 0)
		printf("%s: -1 %s\n", label, errname(errno));
	else if (v == 0)
		printf("%s: 0\n", label);
	else
		printf("%s: %s\n", label, errname(v));
}

static void recv_show(const char *label, int fd, int flags)
{
	char b[64];
	ssize_t n = recv(fd, b, sizeof b, flags);
	if (n < 0)
		printf("%s: -1 %s\n", label, errname(errno));
	else
		printf("%s: %zd data=%.*s\n", label, n, (int)(n < 64 ? n : 64), b);
}

static void sendto_show(const char *label, int fd, const char *payload, const void *dst,
			socklen_t dstlen)
{
	show(label, sendto(fd, payload, strlen(payload), 0, (const struct sockaddr *)dst, dstlen));
}

static void hexdump(const unsigned char *d, size_t n)
{
	printf(" data=");
	for (size_t k = 0; k < n; k++)
		printf("%02x", d[k]);
}

/* A sockaddr of avail bytes: "AF_INET 127.0.0.1 port=same" etc. */
static void print_sa(const void *p, size_t avail, int port)
{
	char ab[80];
	sa_family_t fam;
	if (avail < sizeof fam) {
		printf(" short %zu", avail);
		return;
	}
	memcpy(&fam, p, sizeof fam);
	if (fam == AF_INET && avail >= sizeof(struct sockaddr_in)) {
		struct sockaddr_in a;
		memcpy(&a, p, sizeof a);
		printf(" %s port=%s", fmt_addr(&a, ab, sizeof ab), portrel(sa_port(&a), port));
	} else if (fam == AF_INET6 && avail >= sizeof(struct sockaddr_in6)) {
		struct sockaddr_in6 a;
		memcpy(&a, p, sizeof a);
		printf(" %s port=%s flowinfo=%u scope=%u", fmt_addr(&a, ab, sizeof ab),
		       portrel(sa_port(&a), port), ntohl(a.sin6_flowinfo), a.sin6_scope_id);
	} else if (fam == AF_UNSPEC) {
		printf(" AF_UNSPEC");
	} else {
		printf(" family=%d avail=%zu", fam, avail);
	}
}

/* Print every cmsg of m; port is the closed destination port. */
static void print_cmsgs(const char *pfx, struct msghdr *m, int port)
{
	int i = 0;
	for (struct cmsghdr *c = CMSG_FIRSTHDR(m); c; c = CMSG_NXTHDR(m, c), i++) {
		printf("%s cmsg%d: %s %s len=%zu", pfx, i, level_name(c->cmsg_level),
		       type_name(c->cmsg_level, c->cmsg_type), (size_t)c->cmsg_len);
		if (c->cmsg_len < CMSG_LEN(0)) {
			printf(" short-header\n");
			break;
		}
		size_t dlen = c->cmsg_len - CMSG_LEN(0);
		const unsigned char *d = CMSG_DATA(c);
		int lv = c->cmsg_level, ty = c->cmsg_type;
		if ((lv == SOL_IP && ty == IP_RECVERR) || (lv == SOL_IPV6 && ty == IPV6_RECVERR)) {
			struct sock_extended_err ee;
			if (dlen < sizeof ee) {
				printf(" dlen=%zu", dlen);
				hexdump(d, dlen);
				printf("\n");
				continue;
			}
			printf("\n");
			memcpy(&ee, d, sizeof ee);
			printf("%s cmsg%d ee: errno=%s origin=%u(%s) type=%u code=%u pad=%u info=%u data=%u\n",
			       pfx, i, ee.ee_errno ? errname(ee.ee_errno) : "0", ee.ee_origin,
			       ee_origin_name(ee.ee_origin), ee.ee_type, ee.ee_code, ee.ee_pad, ee.ee_info,
			       ee.ee_data);
			printf("%s cmsg%d offender:", pfx, i);
			print_sa(d + sizeof ee, dlen - sizeof ee, port);
			printf(" offender_len=%zu\n", dlen - sizeof ee);
			continue;
		}
		if (lv == SOL_IP && ty == IP_PKTINFO && dlen >= sizeof(struct in_pktinfo)) {
			struct in_pktinfo pi;
			char a1[INET6_ADDRSTRLEN], a2[INET6_ADDRSTRLEN];
			memcpy(&pi, d, sizeof pi);
			inet_ntop(AF_INET, &pi.ipi_spec_dst, a1, sizeof a1);
			inet_ntop(AF_INET, &pi.ipi_addr, a2, sizeof a2);
			printf(" ifindex=%d spec_dst=%s addr=%s", pi.ipi_ifindex, a1, a2);
		} else if (lv == SOL_IP && ty == IP_TTL && dlen >= sizeof(int)) {
			int v;
			memcpy(&v, d, sizeof v);
			printf(" ttl=%d", v);
		} else if (lv == SOL_IPV6 && ty == IPV6_PKTINFO && dlen >= sizeof(struct in6_pktinfo)) {
			struct in6_pktinfo pi;
			char a1[INET6_ADDRSTRLEN];
			memcpy(&pi, d, sizeof pi);
			inet_ntop(AF_INET6, &pi.ipi6_addr, a1, sizeof a1);
			printf(" ifindex=%u addr=%s", pi.ipi6_ifindex, a1);
		} else if (lv == SOL_IPV6 && ty == IPV6_HOPLIMIT && dlen >= sizeof(int)) {
			int v;
			memcpy(&v, d, sizeof v);
			printf(" hoplimit=%d", v);
		} else {
			printf(" dlen=%zu", dlen);
			if (dlen <= 64)
				hexdump(d, dlen);
		}
		printf("\n");
	}
	printf("%s ncmsg: %d\n", pfx, i);
}

static void print_flags(const char *pfx, int f)
{
	int known = MSG_ERRQUEUE | MSG_TRUNC | MSG_CTRUNC;
	printf("%s flags:%s%s%s%s", pfx, f & MSG_ERRQUEUE ? " MSG_ERRQUEUE" : "",
	       f & MSG_TRUNC ? " MSG_TRUNC" : "", f & MSG_CTRUNC ? " MSG_CTRUNC" : "",
	       (f & known) ? "" : " none");
	if (f & ~known)
		printf(" other 0x%x", f & ~known);
	printf("\n");
}

/* recvmsg(MSG_ERRQUEUE | extra) with a data buffer of dlen bytes, a control
 * buffer of ctl_len bytes (< 0: NULL) and a msg_name of namelen bytes (a
 * sockaddr_storage; 0: NULL). Prints the result and everything returned.
 * port is the closed destination port. */
static ssize_t errq_ex(const char *pfx, int fd, size_t dlen, int ctl_len, socklen_t namelen,
		       int extra, int port)
{
	char data[64];
	union {
		struct cmsghdr align;
		char b[512];
	} ctl;
	struct sockaddr_storage name;
	struct iovec iov = { data, dlen < sizeof data ? dlen : sizeof data };
	struct msghdr m;

	memset(&ctl, 0, sizeof ctl);
	memset(&name, 0, sizeof name);
	memset(data, 0, sizeof data);
	memset(&m, 0, sizeof m);
	if (namelen > 0) {
		m.msg_name = &name;
		m.msg_namelen = namelen;
	}
	m.msg_iov = &iov;
	m.msg_iovlen = 1;
	if (ctl_len >= 0) {
		m.msg_control = ctl.b;
		m.msg_controllen = ctl_len;
	}
	ssize_t n = recvmsg(fd, &m, MSG_ERRQUEUE | extra);
	if (n < 0) {
		printf("%s: -1 %s\n", pfx, errname(errno));
		return -1;
	}
	printf("%s: %zd data=%.*s\n", pfx, n, (int)(n < (ssize_t)iov.iov_len ? n : (ssize_t)iov.iov_len),
	       data);
	printf("%s namelen: %u\n", pfx, (unsigned)m.msg_namelen);
	if (m.msg_name && m.msg_namelen > 0) {
		printf("%s name:", pfx);
		print_sa(&name, m.msg_namelen < namelen ? m.msg_namelen : namelen, port);
		printf("\n");
	}
	printf("%s controllen: %zu\n", pfx, (size_t)m.msg_controllen);
	print_flags(pfx, m.msg_flags);
	print_cmsgs(pfx, &m, port);
	return n;
}

static ssize_t errq(const char *pfx, int fd, int port)
{
	return errq_ex(pfx, fd, 64, 512, sizeof(struct sockaddr_storage), 0, port);
}

static double now_s(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec + t.tv_nsec / 1e9;
}

int main(void)
{
	common_init();
	int cp4 = closed_udp_port(AF_INET, "127.0.0.1");
	int cp6 = closed_udp_port(AF_INET6, "::1");
	struct sockaddr_in d4 = sin4("127.0.0.1", cp4);
	struct sockaddr_in6 d6 = sin6("::1", cp6);
	struct sockaddr_in6 dm = sin6("::ffff:127.0.0.1", cp4);

	/* ---------- 1. connected, no IP_RECVERR: the pending error ---------- */
	{
		int c = udp_sock(AF_INET);
		show("c1 connect", connect(c, (struct sockaddr *)&d4, sizeof d4));
		show("c1 send", send(c, "x", 1, 0));
		poll_err("c1 after send", c);
		so_error("c1 SO_ERROR first", c);
		so_error("c1 SO_ERROR second", c);
		poll_ms("c1 after SO_ERROR", c, 0);
		show("c1 send again", send(c, "x", 1, 0));
		poll_err("c1 after send again", c);
		recv_show("c1 recv first", c, MSG_DONTWAIT);
		recv_show("c1 recv second", c, MSG_DONTWAIT);
		so_error("c1 SO_ERROR after recv", c);
		recv_show("c1 errqueue", c, MSG_ERRQUEUE | MSG_DONTWAIT);
		close(c);
	}
	{
		int c = udp_sock(AF_INET);
		char b[16];
		struct sockaddr_storage from;
		socklen_t fl;
		char ab[80];
		show("c2 connect", connect(c, (struct sockaddr *)&d4, sizeof d4));
		show("c2 send", send(c, "x", 1, 0));
		poll_err("c2 after send", c);
		memset(&from, 0, sizeof from);
		fl = sizeof from;
		show("c2 recvfrom first",
		     recvfrom(c, b, sizeof b, MSG_DONTWAIT, (struct sockaddr *)&from, &fl));
		printf("c2 recvfrom first namelen: %u %s\n", (unsigned)fl,
		       fmt_addr(&from, ab, sizeof ab));
		fl = sizeof from;
		show("c2 recvfrom second",
		     recvfrom(c, b, sizeof b, MSG_DONTWAIT, (struct sockaddr *)&from, &fl));
		so_error("c2 SO_ERROR", c);
		close(c);
	}
	{
		int c = udp_sock(AF_INET);
		char b[16];
		struct sockaddr_storage from;
		struct iovec iov = { b, sizeof b };
		struct msghdr m;
		show("c3 connect", connect(c, (struct sockaddr *)&d4, sizeof d4));
		show("c3 send", send(c, "x", 1, 0));
		poll_err("c3 after send", c);
		memset(&m, 0, sizeof m);
		m.msg_name = &from;
		m.msg_namelen = sizeof from;
		m.msg_iov = &iov;
		m.msg_iovlen = 1;
		show("c3 recvmsg first", recvmsg(c, &m, MSG_DONTWAIT));
		printf("c3 recvmsg first flags: 0x%x\n", m.msg_flags);
		m.msg_namelen = sizeof from;
		show("c3 recvmsg second", recvmsg(c, &m, MSG_DONTWAIT));
		so_error("c3 SO_ERROR", c);
		close(c);
	}
	{
		int c = udp_sock(AF_INET);
		show("c4 connect", connect(c, (struct sockaddr *)&d4, sizeof d4));
		show("c4 send", send(c, "x", 1, 0));
		poll_err("c4 after send", c);
		show("c4 send with pending error", send(c, "x", 1, 0));
		poll_ms("c4 after failed send", c, 0);
		show("c4 send after error consumed", send(c, "x", 1, 0));
		poll_err("c4 after send 3", c);
		double t0 = now_s();
		recv_show("c4 blocking recv", c, 0);
		printf("c4 blocking recv time: %s\n", now_s() - t0 < 1.0 ? "fast" : "slow");
		close(c);
	}

	/* ---------- 2. unconnected, no IP_RECVERR ---------- */
	{
		int s = udp_sock(AF_INET);
		sendto_show("u2 sendto", s, "payload", &d4, sizeof d4);
		poll_wait("u2 after sendto", s);
		recv_show("u2 recv", s, MSG_DONTWAIT);
		so_error("u2 SO_ERROR", s);
		errq("u2 errq", s, cp4);
		close(s);
	}

	/* ---------- 3. unconnected with IP_RECVERR ---------- */
	{
		int s = udp_sock(AF_INET);
		show("e3 set IP_RECVERR", set_int(s, SOL_IP, IP_RECVERR, 1));
		sendto_show("e3 sendto", s, "payload", &d4, sizeof d4);
		poll_wait("e3 after sendto", s);
		so_error("e3 SO_ERROR", s);
		poll_ms("e3 after SO_ERROR", s, 0);
		errq("e3 errq", s, cp4);
		poll_ms("e3 after dequeue", s, 0);
		errq("e3 errq again", s, cp4);
		so_error("e3 SO_ERROR after dequeue", s);

		/* a second sendto while the first error is pending */
		sendto_show("e3 pend sendto one", s, "one", &d4, sizeof d4);
		poll_wait("e3 pend after one", s);
		sendto_show("e3 pend sendto two", s, "two", &d4, sizeof d4);
		poll_ms("e3 pend after two", s, 0);
		errq("e3 pend errq", s, cp4);
		errq("e3 pend errq again", s, cp4);

		/* two queued errors: SO_ERROR clears the pending one in between */
		sendto_show("e3 two sendto one", s, "one", &d4, sizeof d4);
		poll_wait("e3 two after one", s);
		so_error("e3 two SO_ERROR between", s);
		sendto_show("e3 two sendto two", s, "two", &d4, sizeof d4);
		poll_wait("e3 two after two", s);
		errq("e3 two first", s, cp4);
		so_error("e3 two SO_ERROR after first", s);
		poll_ms("e3 two after first", s, 0);
		errq("e3 two second", s, cp4);
		so_error("e3 two SO_ERROR after second", s);
		poll_ms("e3 two after second", s, 0);
		recv_show("e3 two recv after both", s, MSG_DONTWAIT);

		/* the pending error read by recv before the queue */
		sendto_show("e3 recvfirst sendto", s, "rf", &d4, sizeof d4);
		poll_wait("e3 recvfirst after sendto", s);
		recv_show("e3 recvfirst recv", s, MSG_DONTWAIT);
		recv_show("e3 recvfirst recv again", s, MSG_DONTWAIT);
		poll_ms("e3 recvfirst after recv", s, 0);
		errq("e3 recvfirst errq", s, cp4);
		so_error("e3 recvfirst SO_ERROR", s);

		/* MSG_PEEK with MSG_ERRQUEUE */
		sendto_show("e3 peek sendto", s, "peeked", &d4, sizeof d4);
		poll_wait("e3 peek after sendto", s);
		errq_ex("e3 peek errq", s, 64, 512, sizeof(struct sockaddr_storage), MSG_PEEK, cp4);
		errq("e3 peek errq after", s, cp4);
		so_error("e3 peek SO_ERROR", s);

		/* other IP cmsgs next to IP_RECVERR */
		show("e3 set IP_PKTINFO", set_int(s, SOL_IP, IP_PKTINFO, 1));
		show("e3 set IP_RECVTTL", set_int(s, SOL_IP, IP_RECVTTL, 1));
		sendto_show("e3 opts sendto", s, "opts", &d4, sizeof d4);
		poll_wait("e3 opts after sendto", s);
		errq("e3 opts errq", s, cp4);
		so_error("e3 opts SO_ERROR", s);
		close(s);
	}

	/* ---------- 4. fresh socket, small buffers ---------- */
	{
		int f = udp_sock(AF_INET);
		double t0 = now_s();
		errq_ex("e4 fresh blocking", f, 64, 512, sizeof(struct sockaddr_storage), 0, cp4);
		printf("e4 fresh blocking time: %s\n", now_s() - t0 < 1.0 ? "fast" : "slow");
		show("e4 fresh set IP_RECVERR", set_int(f, SOL_IP, IP_RECVERR, 1));
		t0 = now_s();
		errq_ex("e4 fresh recverr blocking", f, 64, 512, sizeof(struct sockaddr_storage), 0, cp4);
		printf("e4 fresh recverr blocking time: %s\n", now_s() - t0 < 1.0 ? "fast" : "slow");
		close(f);

		int s = udp_sock(AF_INET);
		show("e4 set IP_RECVERR", set_int(s, SOL_IP, IP_RECVERR, 1));
		sendto_show("e4 data3 sendto", s, "payload", &d4, sizeof d4);
		poll_wait("e4 data3 after sendto", s);
		errq_ex("e4 data3", s, 3, 512, sizeof(struct sockaddr_storage), 0, cp4);
		sendto_show("e4 ctl20 sendto", s, "payload", &d4, sizeof d4);
		poll_wait("e4 ctl20 after sendto", s);
		errq_ex("e4 ctl20", s, 64, 20, sizeof(struct sockaddr_storage), 0, cp4);
		sendto_show("e4 ctlnull sendto", s, "payload", &d4, sizeof d4);
		poll_wait("e4 ctlnull after sendto", s);
		errq_ex("e4 ctlnull", s, 64, -1, sizeof(struct sockaddr_storage), 0, cp4);
		so_error("e4 ctlnull SO_ERROR", s);
		sendto_show("e4 name4 sendto", s, "payload", &d4, sizeof d4);
		poll_wait("e4 name4 after sendto", s);
		errq_ex("e4 name4", s, 64, 512, 4, 0, cp4);
		sendto_show("e4 noname sendto", s, "payload", &d4, sizeof d4);
		poll_wait("e4 noname after sendto", s);
		errq_ex("e4 noname", s, 64, 512, 0, 0, cp4);
		sendto_show("e4 plain sendto", s, "payload", &d4, sizeof d4);
		poll_wait("e4 plain after sendto", s);
		recv_show("e4 plain recv errqueue", s, MSG_ERRQUEUE);
		recv_show("e4 plain recv errqueue again", s, MSG_ERRQUEUE);
		so_error("e4 plain SO_ERROR", s);
		close(s);
	}

	/* ---------- 5. connected with IP_RECVERR ---------- */
	{
		int c = udp_sock(AF_INET);
		show("e5 set IP_RECVERR", set_int(c, SOL_IP, IP_RECVERR, 1));
		show("e5 connect", connect(c, (struct sockaddr *)&d4, sizeof d4));
		show("e5 send", send(c, "conn5", 5, 0));
		poll_err("e5 after send", c);
		recv_show("e5 recv", c, MSG_DONTWAIT);
		poll_ms("e5 after recv", c, 0);
		errq("e5 errq", c, cp4);
		recv_show("e5 recv after errq", c, MSG_DONTWAIT);
		so_error("e5 SO_ERROR", c);

		show("e5b send", send(c, "conn5b", 6, 0));
		poll_err("e5b after send", c);
		errq("e5b errq", c, cp4);
		poll_ms("e5b after errq", c, 0);
		so_error("e5b SO_ERROR", c);
		recv_show("e5b recv", c, MSG_DONTWAIT);

		show("e5c send", send(c, "conn5c", 6, 0));
		poll_err("e5c after send", c);
		show("e5c send with pending error", send(c, "x", 1, 0));
		errq("e5c errq", c, cp4);
		/* One line whatever it finds: netbox's native send above may
		 * have queued a second error. */
		recv_show("e5c errq again", c, MSG_ERRQUEUE | MSG_DONTWAIT);
		close(c);
	}

	/* ---------- 6. IPv6 ---------- */
	{
		int s = udp_sock(AF_INET6);
		show("v6 set IPV6_RECVERR", set_int(s, SOL_IPV6, IPV6_RECVERR, 1));
		sendto_show("v6 sendto", s, "payload", &d6, sizeof d6);
		poll_wait("v6 after sendto", s);
		so_error("v6 SO_ERROR", s);
		errq("v6 errq", s, cp6);
		errq("v6 errq again", s, cp6);
		close(s);

		int m = udp_sock(AF_INET6);
		show("v6m set IPV6_RECVERR", set_int(m, SOL_IPV6, IPV6_RECVERR, 1));
		sendto_show("v6m sendto", m, "mapped", &dm, sizeof dm);
		poll_wait("v6m after sendto", m);
		so_error("v6m SO_ERROR", m);
		errq("v6m errq", m, cp4);
		show("v6m set IP_RECVERR", set_int(m, SOL_IP, IP_RECVERR, 1));
		sendto_show("v6m both sendto", m, "mapped2", &dm, sizeof dm);
		poll_wait("v6m both after sendto", m);
		so_error("v6m both SO_ERROR", m);
		errq("v6m both errq", m, cp4);
		errq("v6m both errq again", m, cp4);
		close(m);

		int i = udp_sock(AF_INET6);
		show("v6i set IP_RECVERR only", set_int(i, SOL_IP, IP_RECVERR, 1));
		sendto_show("v6i sendto", i, "ipre", &d6, sizeof d6);
		poll_wait("v6i after sendto", i);
		so_error("v6i SO_ERROR", i);
		errq("v6i errq", i, cp6);
		sendto_show("v6i mapped sendto", i, "ipre4", &dm, sizeof dm);
		poll_wait("v6i mapped after sendto", i);
		so_error("v6i mapped SO_ERROR", i);
		errq("v6i mapped errq", i, cp4);
		close(i);

		int c = udp_sock(AF_INET6);
		show("v6c set IPV6_RECVERR", set_int(c, SOL_IPV6, IPV6_RECVERR, 1));
		show("v6c connect", connect(c, (struct sockaddr *)&d6, sizeof d6));
		show("v6c send", send(c, "conn6", 5, 0));
		poll_err("v6c after send", c);
		recv_show("v6c recv", c, MSG_DONTWAIT);
		errq("v6c errq", c, cp6);
		so_error("v6c SO_ERROR", c);
		close(c);
	}

	/* ---------- 7. options ---------- */
	{
		int o = socket(AF_INET, SOCK_DGRAM, 0);
		get_int("opt v4 IP_RECVERR default", o, SOL_IP, IP_RECVERR);
		show("opt v4 IP_RECVERR set 1", set_int(o, SOL_IP, IP_RECVERR, 1));
		get_int("opt v4 IP_RECVERR after 1", o, SOL_IP, IP_RECVERR);
		show("opt v4 IP_RECVERR set 5", set_int(o, SOL_IP, IP_RECVERR, 5));
		get_int("opt v4 IP_RECVERR after 5", o, SOL_IP, IP_RECVERR);
		show("opt v4 IP_RECVERR set 0", set_int(o, SOL_IP, IP_RECVERR, 0));
		get_int("opt v4 IP_RECVERR after 0", o, SOL_IP, IP_RECVERR);
		get_int("opt v4 IPV6_RECVERR get", o, SOL_IPV6, IPV6_RECVERR);
		show("opt v4 IPV6_RECVERR set 1", set_int(o, SOL_IPV6, IPV6_RECVERR, 1));
		close(o);

		int o6 = socket(AF_INET6, SOCK_DGRAM, 0);
		get_int("opt v6 IPV6_RECVERR default", o6, SOL_IPV6, IPV6_RECVERR);
		show("opt v6 IPV6_RECVERR set 1", set_int(o6, SOL_IPV6, IPV6_RECVERR, 1));
		get_int("opt v6 IPV6_RECVERR after 1", o6, SOL_IPV6, IPV6_RECVERR);
		show("opt v6 IPV6_RECVERR set 0", set_int(o6, SOL_IPV6, IPV6_RECVERR, 0));
		get_int("opt v6 IPV6_RECVERR after 0", o6, SOL_IPV6, IPV6_RECVERR);
		get_int("opt v6 IP_RECVERR default", o6, SOL_IP, IP_RECVERR);
		show("opt v6 IP_RECVERR set 1", set_int(o6, SOL_IP, IP_RECVERR, 1));
		get_int("opt v6 IP_RECVERR after 1", o6, SOL_IP, IP_RECVERR);
		get_int("opt v6 IPV6_RECVERR after IP_RECVERR", o6, SOL_IPV6, IPV6_RECVERR);
		close(o6);

		int t = socket(AF_INET, SOCK_STREAM, 0);
		get_int("opt tcp IP_RECVERR default", t, SOL_IP, IP_RECVERR);
		show("opt tcp IP_RECVERR set 1", set_int(t, SOL_IP, IP_RECVERR, 1));
		get_int("opt tcp IP_RECVERR after 1", t, SOL_IP, IP_RECVERR);
		close(t);
	}

	/* ---------- 8. turning the option off with errors queued ---------- */
	{
		int s = udp_sock(AF_INET);
		show("off v4 set IP_RECVERR", set_int(s, SOL_IP, IP_RECVERR, 1));
		sendto_show("off v4 sendto one", s, "one", &d4, sizeof d4);
		poll_wait("off v4 after one", s);
		so_error("off v4 SO_ERROR between", s);
		sendto_show("off v4 sendto two", s, "two", &d4, sizeof d4);
		poll_wait("off v4 after two", s);
		show("off v4 IP_RECVERR 0", set_int(s, SOL_IP, IP_RECVERR, 0));
		poll_ms("off v4 after off", s, 0);
		errq("off v4 errq", s, cp4);
		so_error("off v4 SO_ERROR", s);
		show("off v4 IP_RECVERR 1 again", set_int(s, SOL_IP, IP_RECVERR, 1));
		errq("off v4 errq after on", s, cp4);
		close(s);

		int s6 = udp_sock(AF_INET6);
		show("off v6 set IPV6_RECVERR", set_int(s6, SOL_IPV6, IPV6_RECVERR, 1));
		sendto_show("off v6 sendto", s6, "six", &d6, sizeof d6);
		poll_wait("off v6 after sendto", s6);
		show("off v6 IPV6_RECVERR 0", set_int(s6, SOL_IPV6, IPV6_RECVERR, 0));
		poll_ms("off v6 after off", s6, 0);
		errq("off v6 errq", s6, cp6);
		so_error("off v6 SO_ERROR", s6);
		close(s6);
	}

	/* ---------- 9. TCP ---------- */
	{
		int l = socket(AF_INET, SOCK_STREAM, 0);
		struct sockaddr_in a = sin4("127.0.0.1", 0);
		show("tcp bind", bind(l, (struct sockaddr *)&a, sizeof a));
		show("tcp listen", listen(l, 1));
		struct sockaddr_in d = sin4("127.0.0.1", local_port(l));
		int c = socket(AF_INET, SOCK_STREAM, 0);
		set_rcvtimeo(c);
		show("tcp connect", connect(c, (struct sockaddr *)&d, sizeof d));
		int s = accept(l, NULL, NULL);
		showfd("tcp accept", s);
		set_rcvtimeo(s);
		set_rcvtimeo(l);
		recv_show("tcp client errqueue", c, MSG_ERRQUEUE);
		recv_show("tcp server errqueue", s, MSG_ERRQUEUE);
		recv_show("tcp listener errqueue", l, MSG_ERRQUEUE);
		show("tcp set IP_RECVERR", set_int(c, SOL_IP, IP_RECVERR, 1));
		errq("tcp client recverr errq", c, cp4);
		show("tcp write", write(s, "tcpdata", 7));
		struct pollfd p = { .fd = c, .events = POLLIN };
		poll(&p, 1, 2000);
		errq("tcp client errq with data", c, cp4);
		recv_show("tcp client recv", c, MSG_DONTWAIT);
		int u = socket(AF_INET, SOCK_STREAM, 0);
		set_rcvtimeo(u);
		recv_show("tcp unconnected errqueue", u, MSG_ERRQUEUE);
		close(u);
		close(c);
		close(s);
		close(l);
	}

	printf("done\n");
	return 0;
}
