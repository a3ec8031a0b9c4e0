/* udp_err_wake.c - an error reaching a UDP socket wakes it, as
 * sk_error_report (sock_def_error_report) does: poll, select and epoll see
 * POLLERR (select: readable and writable, not exceptional), a thread asleep
 * in poll or epoll_wait wakes, and an O_ASYNC socket with an owner gets a
 * signal: plain SIGIO (si_code SI_KERNEL) without F_SETSIG, the F_SETSIG
 * signal with si_code POLL_ERR and si_band POLLERR with it.
 *
 * The errors: ICMP port unreachable for a connected socket sending to a
 * closed port of 127.0.0.1 (and of ::1), and ICMP errors injected with a raw
 * socket (IP_HDRINCL, from 127.0.0.9, quoting a datagram of the test socket
 * to 127.0.0.3, as udp_icmp_errors.c does): a hard error (port or protocol
 * unreachable) for a connected socket wakes it; a soft one (host
 * unreachable, time exceeded) wakes it only with IP_RECVERR; an unconnected
 * socket is woken only with IP_RECVERR. With IP_RECVERR the socket is woken
 * twice per error (sock_queue_err_skb, then __udp4_lib_err): two F_SETSIG
 * signals are queued.
 * Reading SO_ERROR (or the error queue) clears POLLERR. ERR-15: the origin
 * constant SO_EE_ORIGIN_NONE is 0 and no queued entry uses it.
 */
/* spec: ERR-14 ERR-15 */
#include "common.h"
#include "sigrec.h"
#include <linux/errqueue.h>
#include <netinet/ip.h>
#include <netinet/ip_icmp.h>
#include <netinet/udp.h>
#include <pthread.h>
#include <signal.h>
#include <sys/epoll.h>
#include <sys/select.h>
#include <time.h>

static int raw4 = -1;
static int dport; /* a closed port (of every loopback address) */

/* ---------- signals ---------- */

static const char *pollnames(long re)
{
	static char b[4][160];
	static int k;
	char *p = b[k++ & 3];
	static const struct {
		long bit;
		const char *name;
	} t[] = {
		{POLLIN, "POLLIN"}, {POLLPRI, "POLLPRI"}, {POLLOUT, "POLLOUT"}, {POLLERR, "POLLERR"},
		{POLLHUP, "POLLHUP"}, {POLLNVAL, "POLLNVAL"}, {POLLRDNORM, "POLLRDNORM"},
		{POLLWRNORM, "POLLWRNORM"}, {POLLWRBAND, "POLLWRBAND"},
	};
	p[0] = 0;
	for (size_t i = 0; i < sizeof t / sizeof t[0]; i++)
		if (re & t[i].bit) {
			if (p[0])
				strcat(p, "|");
			strcat(p, t[i].name);
			re &= ~t[i].bit;
		}
	if (re)
		snprintf(p + strlen(p), 32, "%s0x%lx", p[0] ? "|" : "", re);
	if (!p[0])
		strcpy(p, "0");
	return p;
}

/* Wait up to 1 s for want signals beyond the mark (then 50 ms for more),
 * or 100 ms when none is expected; print them and move the mark. */
static void sigs(const char *label, int fd, int want)
{
	int n = sig_wait(want);
	printf("%s: %d", label, n - mark);
	for (int i = mark; i < n; i++) {
		const char *s = recs[i].signo == SIGIO ? "SIGIO" : recs[i].signo == SIGRTMIN + 1 ? "SIGRTMIN+1" : "other";
		printf(" [%s si_code=%s", s, sig_codename(recs[i].code));
		if (recs[i].code > 0 && recs[i].code <= POLL_HUP)
			printf(" si_band=%s si_fd=%s", pollnames(recs[i].band), recs[i].fd == fd ? "socket" : "other");
		printf("]");
	}
	printf("\n");
	mark = n;
}

/* ---------- observing readiness ---------- */

static void poll_show(const char *label, int fd, short events)
{
	struct pollfd p = {.fd = fd, .events = events};
	int r = poll(&p, 1, 0);
	if (r < 0)
		printf("%s: -1 %s\n", label, errname(errno));
	else
		printf("%s: %d %s\n", label, r, pollnames(r ? p.revents : 0));
}

static void select_show(const char *label, int fd)
{
	fd_set r, w, x;
	FD_ZERO(&r);
	FD_ZERO(&w);
	FD_ZERO(&x);
	FD_SET(fd, &r);
	FD_SET(fd, &w);
	FD_SET(fd, &x);
	struct timeval tv = {0, 0};
	int n = select(fd + 1, &r, &w, &x, &tv);
	if (n < 0)
		printf("%s: -1 %s\n", label, errname(errno));
	else
		printf("%s: %d read=%d write=%d except=%d\n", label, n, FD_ISSET(fd, &r) ? 1 : 0, FD_ISSET(fd, &w) ? 1 : 0,
		       FD_ISSET(fd, &x) ? 1 : 0);
}

static void epoll_show(const char *label, int fd, unsigned events)
{
	int ep = epoll_create1(EPOLL_CLOEXEC);
	struct epoll_event ev = {.events = events, .data.fd = fd};
	epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev);
	struct epoll_event out[2];
	int r = epoll_wait(ep, out, 2, 0);
	if (r < 0)
		printf("%s: -1 %s\n", label, errname(errno));
	else {
		unsigned e = r ? out[0].events : 0;
		printf("%s: %d%s%s%s%s\n", label, r, e & EPOLLIN ? " EPOLLIN" : "", e & EPOLLOUT ? " EPOLLOUT" : "",
		       e & EPOLLERR ? " EPOLLERR" : "", e & EPOLLHUP ? " EPOLLHUP" : "");
	}
	close(ep);
}

static void so_error(const char *label, int fd)
{
	int v = -1;
	socklen_t len = sizeof v;
	if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &v, &len) < 0)
		printf("%s: -1 %s\n", label, errname(errno));
	else
		printf("%s: %s\n", label, v ? errname(v) : "0");
}

/* Wait (up to 1 s) until fd polls POLLERR; 1 when it did. */
static int wait_err(int fd)
{
	struct pollfd p = {.fd = fd, .events = 0};
	for (int i = 0; i < 100; i++) {
		p.revents = 0;
		if (poll(&p, 1, 10) > 0 && (p.revents & POLLERR))
			return 1;
	}
	return 0;
}

/* Read one error queue entry: its errno and origin. */
static void errq(const char *label, int fd)
{
	char data[64], ctl[256];
	struct iovec iov = {data, sizeof data};
	struct msghdr m = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctl, .msg_controllen = sizeof ctl};
	ssize_t n = recvmsg(fd, &m, MSG_ERRQUEUE | MSG_DONTWAIT);
	if (n < 0) {
		printf("%s: -1 %s\n", label, errname(errno));
		return;
	}
	printf("%s: %zd", label, n);
	for (struct cmsghdr *c = CMSG_FIRSTHDR(&m); c; c = CMSG_NXTHDR(&m, c)) {
		if ((c->cmsg_level == SOL_IP && c->cmsg_type == IP_RECVERR) ||
		    (c->cmsg_level == SOL_IPV6 && c->cmsg_type == IPV6_RECVERR)) {
			struct sock_extended_err *ee = (struct sock_extended_err *)CMSG_DATA(c);
			printf(" errno=%s origin=%s(%u) type=%u code=%u", errname(ee->ee_errno), ee_origin_name(ee->ee_origin),
			       ee->ee_origin, ee->ee_type, ee->ee_code);
		} else {
			printf(" cmsg level=%d type=%d", c->cmsg_level, c->cmsg_type);
		}
	}
	printf("\n");
}

/* ---------- making errors ---------- */

/* A UDP socket connected to dst:dport (IPv4 or IPv6 by the address). */
static int connected(const char *dst, int recverr)
{
	int v6 = strchr(dst, ':') != NULL;
	int s = socket(v6 ? AF_INET6 : AF_INET, SOCK_DGRAM, 0);
	if (recverr)
		set_int(s, v6 ? SOL_IPV6 : SOL_IP, v6 ? IPV6_RECVERR : IP_RECVERR, 1);
	int r;
	if (v6) {
		struct sockaddr_in6 a = sin6(dst, dport);
		r = connect(s, (struct sockaddr *)&a, sizeof a);
	} else {
		struct sockaddr_in a = sin4(dst, dport);
		r = connect(s, (struct sockaddr *)&a, sizeof a);
	}
	if (r < 0)
		printf("connect %s: -1 %s\n", dst, errname(errno));
	return s;
}

/* ---------- sleepers ---------- */

struct sleeper {
	int fd, ep;
	int r;
	short revents;
	unsigned events;
	volatile int started;
	pthread_t th;
};

static void *poll_sleeper(void *arg)
{
	struct sleeper *s = arg;
	struct pollfd p = {.fd = s->fd, .events = POLLIN};
	s->started = 1;
	s->r = poll(&p, 1, 5000);
	s->revents = p.revents;
	return NULL;
}

static void *epoll_sleeper(void *arg)
{
	struct sleeper *s = arg;
	struct epoll_event ev;
	s->started = 1;
	s->r = epoll_wait(s->ep, &ev, 1, 5000);
	s->events = s->r > 0 ? ev.events : 0;
	return NULL;
}

static void wait_started(struct sleeper *s)
{
	for (int i = 0; i < 200 && !s->started; i++)
		msleep(5);
	msleep(100); /* let it block */
}

/* ---------- cases ---------- */

/* The whole picture for a connected socket to a closed port of dst. */
static void closed_port_case(const char *pfx, const char *dst, int sig)
{
	char l[160];
	int s = connected(dst, 0);
	set_async(s, sig);
	snprintf(l, sizeof l, "%s send", pfx);
	show(l, send(s, "x", 1, 0));
	snprintf(l, sizeof l, "%s signals", pfx);
	sigs(l, s, 1);
	snprintf(l, sizeof l, "%s poll events 0", pfx);
	wait_err(s);
	poll_show(l, s, 0);
	snprintf(l, sizeof l, "%s poll in|out", pfx);
	poll_show(l, s, POLLIN | POLLOUT);
	snprintf(l, sizeof l, "%s select", pfx);
	select_show(l, s);
	snprintf(l, sizeof l, "%s epoll in|out", pfx);
	epoll_show(l, s, EPOLLIN | EPOLLOUT);
	snprintf(l, sizeof l, "%s epoll in", pfx);
	epoll_show(l, s, EPOLLIN);
	snprintf(l, sizeof l, "%s SO_ERROR", pfx);
	so_error(l, s);
	snprintf(l, sizeof l, "%s poll after SO_ERROR", pfx);
	poll_show(l, s, POLLIN | POLLOUT);
	snprintf(l, sizeof l, "%s signals after SO_ERROR", pfx);
	sigs(l, s, 0);
	close(s);
}

/* An injected ICMP error for a socket connected to 127.0.0.3 (or bound,
 * when !conn). */
static void inject_case(const char *pfx, int type, int code, int conn, int recverr, int want)
{
	char l[160];
	int s;
	if (conn) {
		s = connected("127.0.0.3", recverr);
	} else {
		s = socket(AF_INET, SOCK_DGRAM, 0);
		if (recverr)
			set_int(s, SOL_IP, IP_RECVERR, 1);
		bind_port0(s, AF_INET, "127.0.0.1");
	}
	set_async(s, SIGRTMIN + 1);
	snprintf(l, sizeof l, "%s inject", pfx);
	show(l, inject_icmp4(raw4, "127.0.0.1", local_port(s), "127.0.0.3", dport, type, code, 0));
	snprintf(l, sizeof l, "%s signals", pfx);
	sigs(l, s, want);
	snprintf(l, sizeof l, "%s poll", pfx);
	poll_show(l, s, POLLIN | POLLOUT);
	if (recverr) {
		snprintf(l, sizeof l, "%s errqueue", pfx);
		errq(l, s);
		snprintf(l, sizeof l, "%s poll after errqueue", pfx);
		poll_show(l, s, POLLIN | POLLOUT);
	}
	snprintf(l, sizeof l, "%s SO_ERROR", pfx);
	so_error(l, s);
	snprintf(l, sizeof l, "%s poll after SO_ERROR", pfx);
	poll_show(l, s, POLLIN | POLLOUT);
	close(s);
}

/* A thread asleep in poll (or epoll_wait) wakes when the error arrives. */
static void sleeper_case(int use_epoll, int injected)
{
	const char *pfx = use_epoll ? "epoll sleeper" : "poll sleeper";
	char l[160];
	int s = connected(injected ? "127.0.0.3" : "127.0.0.1", 0);
	struct sleeper sl;
	memset(&sl, 0, sizeof sl);
	sl.fd = s;
	if (use_epoll) {
		sl.ep = epoll_create1(EPOLL_CLOEXEC);
		struct epoll_event ev = {.events = EPOLLIN, .data.fd = s};
		epoll_ctl(sl.ep, EPOLL_CTL_ADD, s, &ev);
		pthread_create(&sl.th, NULL, epoll_sleeper, &sl);
	} else {
		pthread_create(&sl.th, NULL, poll_sleeper, &sl);
	}
	wait_started(&sl);
	snprintf(l, sizeof l, "%s %s", pfx, injected ? "inject protocol unreachable" : "send to closed port");
	if (injected)
		show(l, inject_icmp4(raw4, "127.0.0.1", local_port(s), "127.0.0.3", dport, ICMP_DEST_UNREACH, ICMP_PROT_UNREACH, 0));
	else
		show(l, send(s, "x", 1, 0));
	pthread_join(sl.th, NULL);
	snprintf(l, sizeof l, "%s %s woke", pfx, injected ? "injected" : "closed port");
	if (use_epoll) {
		unsigned e = sl.events;
		printf("%s: %d%s%s%s\n", l, sl.r, e & EPOLLIN ? " EPOLLIN" : "", e & EPOLLERR ? " EPOLLERR" : "",
		       e & EPOLLHUP ? " EPOLLHUP" : "");
		close(sl.ep);
	} else {
		printf("%s: %d %s\n", l, sl.r, pollnames(sl.revents));
	}
	snprintf(l, sizeof l, "%s %s SO_ERROR", pfx, injected ? "injected" : "closed port");
	so_error(l, s);
	close(s);
}

int main(void)
{
	common_init();
	handle(SIGIO);
	handle(SIGRTMIN + 1);
	dport = closed_udp_port(AF_INET, "127.0.0.1");

	printf("SO_EE_ORIGIN_NONE: %d\n", SO_EE_ORIGIN_NONE);

	/* ICMP port unreachable from the stack itself. */
	closed_port_case("v4 plain SIGIO", "127.0.0.1", 0);
	closed_port_case("v4 F_SETSIG", "127.0.0.1", SIGRTMIN + 1);
	closed_port_case("v6 plain SIGIO", "::1", 0);
	closed_port_case("v6 F_SETSIG", "::1", SIGRTMIN + 1);

	/* An unconnected socket with IP_RECVERR sending to the closed port. */
	{
		int s = socket(AF_INET, SOCK_DGRAM, 0);
		set_int(s, SOL_IP, IP_RECVERR, 1);
		bind_port0(s, AF_INET, "127.0.0.1");
		set_async(s, SIGRTMIN + 1);
		struct sockaddr_in d = sin4("127.0.0.1", dport);
		show("unconnected recverr sendto", sendto(s, "x", 1, 0, (struct sockaddr *)&d, sizeof d));
		sigs("unconnected recverr signals", s, 2);
		poll_show("unconnected recverr poll", s, POLLIN | POLLOUT);
		errq("unconnected recverr errqueue", s);
		so_error("unconnected recverr SO_ERROR", s);
		poll_show("unconnected recverr poll after", s, POLLIN | POLLOUT);
		close(s);
		/* and without IP_RECVERR: nothing */
		s = socket(AF_INET, SOCK_DGRAM, 0);
		bind_port0(s, AF_INET, "127.0.0.1");
		set_async(s, SIGRTMIN + 1);
		show("unconnected plain sendto", sendto(s, "x", 1, 0, (struct sockaddr *)&d, sizeof d));
		sigs("unconnected plain signals", s, 0);
		poll_show("unconnected plain poll", s, POLLIN | POLLOUT);
		so_error("unconnected plain SO_ERROR", s);
		close(s);
	}

	/* Injected ICMP errors. */
	raw4 = socket(AF_INET, SOCK_RAW, IPPROTO_ICMP);
	showfd("raw ICMP socket", raw4);
	show("IP_HDRINCL", set_int(raw4, SOL_IP, IP_HDRINCL, 1));
	/* hard: port and protocol unreachable; soft: host unreachable, time exceeded */
	inject_case("connected port unreachable", ICMP_DEST_UNREACH, ICMP_PORT_UNREACH, 1, 0, 1);
	inject_case("connected protocol unreachable", ICMP_DEST_UNREACH, ICMP_PROT_UNREACH, 1, 0, 1);
	inject_case("connected host unreachable (soft)", ICMP_DEST_UNREACH, ICMP_HOST_UNREACH, 1, 0, 0);
	inject_case("connected time exceeded (soft)", ICMP_TIME_EXCEEDED, 0, 1, 0, 0);
	inject_case("connected recverr time exceeded", ICMP_TIME_EXCEEDED, 0, 1, 1, 2);
	inject_case("connected recverr host unreachable", ICMP_DEST_UNREACH, ICMP_HOST_UNREACH, 1, 1, 2);
	inject_case("connected recverr protocol unreachable", ICMP_DEST_UNREACH, ICMP_PROT_UNREACH, 1, 1, 2);
	inject_case("unconnected protocol unreachable", ICMP_DEST_UNREACH, ICMP_PROT_UNREACH, 0, 0, 0);
	inject_case("unconnected recverr time exceeded", ICMP_TIME_EXCEEDED, 0, 0, 1, 2);
	inject_case("unconnected recverr port unreachable", ICMP_DEST_UNREACH, ICMP_PORT_UNREACH, 0, 1, 2);

	/* Sleepers. */
	sleeper_case(0, 0);
	sleeper_case(1, 0);
	sleeper_case(0, 1);
	sleeper_case(1, 1);

	sigs("stray signals at end", -1, 0);
	close(raw4);
	puts("done");
	return 0;
}
