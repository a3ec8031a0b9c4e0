/* udp_opts.c - socket options and unsupported operations on UDP sockets.
 *
 * Checks: SO_BROADCAST, SO_REUSEADDR (both sockets -> same port allowed;
 * only one -> EADDRINUSE), SO_REUSEPORT (both -> allowed, without ->
 * EADDRINUSE), SO_TYPE/SO_DOMAIN/SO_PROTOCOL/SO_ACCEPTCONN, SO_RCVBUF and
 * SO_SNDBUF doubling and their minimums, SO_ERROR, SO_RCVTIMEO (value read
 * back; recv on an idle socket gives EAGAIN after roughly the timeout),
 * SO_SNDTIMEO read back, listen()/accept() on UDP (EOPNOTSUPP),
 * shutdown(SHUT_RD) on an unconnected and on a connected UDP socket
 * (result, poll and recv afterwards, EPIPE without SIGPIPE), unknown SOL_UDP option (ENOPROTOOPT),
 * IP_TTL default/set/reset, IP_TOS, bad option lengths.
 */
/* spec: SOCK-04 SOCK-05 OPS-01 OPS-03 STATE-02 BIND-01 BIND-08 USEND-21 URECV-13 SO-01 SO-02 */
/* spec: SO-03 SO-04 SO-06 SO-07 SO-08 SO-10 SO-11 SO-12 SO-23 IPO-03 IPO-04 PO-03 BUF-07 */
/* spec: ASYNC-11 NB-04 BUF-08 */
#include "common.h"
#include <netinet/ip.h>
#include <netinet/udp.h>
#include <poll.h>
#include <sys/ioctl.h>
#include <linux/sockios.h>
#include <sys/time.h>
#include <signal.h>
#include <time.h>

static volatile sig_atomic_t got_sigpipe;
static void on_sigpipe(int sig) { (void)sig; got_sigpipe = 1; }

static int udp_sock(void) { return socket(AF_INET, SOCK_DGRAM, 0); }

/* getsockopt of an int, printed as "label: value" or "label: -1 ENAME". */

static int bind_port(int fd, int port)
{
	struct sockaddr_in a = sin4("127.0.0.1", port);
	return bind(fd, (struct sockaddr *)&a, sizeof a);
}

static void print_revents(const char *label, int r, short re)
{
	printf("%s: %d%s%s%s%s%s\n", label, r,
	       re & POLLIN ? " POLLIN" : "", re & POLLOUT ? " POLLOUT" : "",
	       re & POLLERR ? " POLLERR" : "", re & POLLHUP ? " POLLHUP" : "",
	       re & POLLRDHUP ? " POLLRDHUP" : "");
}

static long ms_since(const struct timespec *t0)
{
	struct timespec t1;
	clock_gettime(CLOCK_MONOTONIC, &t1);
	return (t1.tv_sec - t0->tv_sec) * 1000 + (t1.tv_nsec - t0->tv_nsec) / 1000000;
}

int main(void)
{
	char buf[64];
	common_init();
	signal(SIGPIPE, on_sigpipe);
	int s = udp_sock();

	/* --- type / domain / protocol --- */
	get_int("SO_TYPE", s, SOL_SOCKET, SO_TYPE);
	get_int("SO_DOMAIN", s, SOL_SOCKET, SO_DOMAIN);
	get_int("SO_PROTOCOL", s, SOL_SOCKET, SO_PROTOCOL);
	get_int("SO_ACCEPTCONN", s, SOL_SOCKET, SO_ACCEPTCONN);
	show("set SO_TYPE", set_int(s, SOL_SOCKET, SO_TYPE, SOCK_STREAM));
	{
		int p = socket(AF_INET, SOCK_DGRAM, IPPROTO_UDP);
		get_int("SO_PROTOCOL (explicit IPPROTO_UDP)", p, SOL_SOCKET, SO_PROTOCOL);
		close(p);
		int p6 = socket(AF_INET6, SOCK_DGRAM, 0);
		get_int("SO_DOMAIN AF_INET6", p6, SOL_SOCKET, SO_DOMAIN);
		close(p6);
		showfd("socket SOCK_DGRAM IPPROTO_TCP", socket(AF_INET, SOCK_DGRAM, IPPROTO_TCP));
	}

	/* --- SO_BROADCAST --- */
	get_int("SO_BROADCAST default", s, SOL_SOCKET, SO_BROADCAST);
	show("set SO_BROADCAST 1", set_int(s, SOL_SOCKET, SO_BROADCAST, 1));
	get_int("SO_BROADCAST", s, SOL_SOCKET, SO_BROADCAST);
	show("set SO_BROADCAST 7", set_int(s, SOL_SOCKET, SO_BROADCAST, 7));
	get_int("SO_BROADCAST after 7", s, SOL_SOCKET, SO_BROADCAST);
	show("set SO_BROADCAST 0", set_int(s, SOL_SOCKET, SO_BROADCAST, 0));
	get_int("SO_BROADCAST off", s, SOL_SOCKET, SO_BROADCAST);

	/* --- SO_REUSEADDR --- */
	{
		int a = udp_sock(), b = udp_sock(), c = udp_sock();
		get_int("SO_REUSEADDR default", a, SOL_SOCKET, SO_REUSEADDR);
		show("set SO_REUSEADDR 1", set_int(a, SOL_SOCKET, SO_REUSEADDR, 1));
		get_int("SO_REUSEADDR", a, SOL_SOCKET, SO_REUSEADDR);
		show("reuseaddr: bind first", bind_port(a, 0));
		int p = local_port(a);
		show("reuseaddr: bind second without option", bind_port(c, p));
		show("reuseaddr: set on second", set_int(b, SOL_SOCKET, SO_REUSEADDR, 1));
		show("reuseaddr: bind second with option", bind_port(b, p));
		printf("reuseaddr: same port: %d\n", local_port(b) == p);
		close(a);
		close(b);
		close(c);
	}

	/* --- SO_REUSEPORT --- */
	{
		int a = udp_sock(), b = udp_sock(), c = udp_sock(), d = udp_sock();
		get_int("SO_REUSEPORT default", a, SOL_SOCKET, SO_REUSEPORT);
		show("set SO_REUSEPORT 1", set_int(a, SOL_SOCKET, SO_REUSEPORT, 1));
		get_int("SO_REUSEPORT", a, SOL_SOCKET, SO_REUSEPORT);
		show("reuseport: bind first", bind_port(a, 0));
		int p = local_port(a);
		show("reuseport: bind without option", bind_port(c, p));
		show("reuseport: set on second", set_int(b, SOL_SOCKET, SO_REUSEPORT, 1));
		show("reuseport: bind second with option", bind_port(b, p));
		printf("reuseport: same port: %d\n", local_port(b) == p);
		show("reuseport: set on third", set_int(d, SOL_SOCKET, SO_REUSEPORT, 1));
		show("reuseport: bind third with option", bind_port(d, p));
		close(a);
		close(b);
		close(c);
		close(d);

		/* neither socket has an option */
		int e = udp_sock(), f = udp_sock();
		bind_port(e, 0);
		show("no options: bind same port", bind_port(f, local_port(e)));
		close(e);
		close(f);
	}

	/* --- buffer sizes --- */
	{
		int t = udp_sock();
		int v = -1;
		socklen_t l = sizeof v;
		getsockopt(t, SOL_SOCKET, SO_RCVBUF, &v, &l);
		printf("SO_RCVBUF default positive: %d\n", v > 0);
		l = sizeof v;
		getsockopt(t, SOL_SOCKET, SO_SNDBUF, &v, &l);
		printf("SO_SNDBUF default positive: %d\n", v > 0);
		close(t);
	}
	show("set SO_RCVBUF 4096", set_int(s, SOL_SOCKET, SO_RCVBUF, 4096));
	get_int("SO_RCVBUF", s, SOL_SOCKET, SO_RCVBUF);
	show("set SO_SNDBUF 4096", set_int(s, SOL_SOCKET, SO_SNDBUF, 4096));
	get_int("SO_SNDBUF", s, SOL_SOCKET, SO_SNDBUF);
	show("set SO_RCVBUF 1", set_int(s, SOL_SOCKET, SO_RCVBUF, 1));
	get_int("SO_RCVBUF min", s, SOL_SOCKET, SO_RCVBUF);
	show("set SO_SNDBUF 1", set_int(s, SOL_SOCKET, SO_SNDBUF, 1));
	get_int("SO_SNDBUF min", s, SOL_SOCKET, SO_SNDBUF);
	show("set SO_RCVBUF 0", set_int(s, SOL_SOCKET, SO_RCVBUF, 0));
	get_int("SO_RCVBUF after 0", s, SOL_SOCKET, SO_RCVBUF);
	show("set SO_RCVBUF -1", set_int(s, SOL_SOCKET, SO_RCVBUF, -1));
	{
		/* -1 is taken as huge and capped at 2*net.core.rmem_max: machine dependent */
		int v = 0;
		socklen_t l = sizeof v;
		getsockopt(s, SOL_SOCKET, SO_RCVBUF, &v, &l);
		printf("SO_RCVBUF after -1 is large (>20000): %d\n", v > 20000);
	}
	show("set SO_RCVBUF 10000", set_int(s, SOL_SOCKET, SO_RCVBUF, 10000));
	get_int("SO_RCVBUF after 10000", s, SOL_SOCKET, SO_RCVBUF);
	{
		char c = 1;
		show("set SO_RCVBUF optlen 1", setsockopt(s, SOL_SOCKET, SO_RCVBUF, &c, 1));
		int v = 0;
		socklen_t l = 2;
		long r = getsockopt(s, SOL_SOCKET, SO_RCVBUF, &v, &l);
		printf("get SO_RCVBUF optlen 2: %ld%s%s len=%u\n", r, r < 0 ? " " : "",
		       r < 0 ? errname(errno) : "", l);
		l = 8;
		long long w = 0;
		r = getsockopt(s, SOL_SOCKET, SO_RCVBUF, &w, &l);
		printf("get SO_RCVBUF optlen 8: %ld len=%u\n", r, l);
	}

	/* --- SO_ERROR --- */
	get_int("SO_ERROR", s, SOL_SOCKET, SO_ERROR);
	show("set SO_ERROR", set_int(s, SOL_SOCKET, SO_ERROR, 1));

	/* --- SO_RCVTIMEO / SO_SNDTIMEO --- */
	{
		int t = udp_sock();
		bind_port(t, 0);
		struct timeval tv = { 0, 100000 }, got;
		socklen_t l = sizeof got;
		memset(&got, 0, sizeof got);
		getsockopt(t, SOL_SOCKET, SO_RCVTIMEO, &got, &l);
		printf("SO_RCVTIMEO default: %ld.%06ld len=%u\n", (long)got.tv_sec, (long)got.tv_usec, l);
		show("set SO_RCVTIMEO 100ms", setsockopt(t, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv));
		l = sizeof got;
		getsockopt(t, SOL_SOCKET, SO_RCVTIMEO, &got, &l);
		printf("SO_RCVTIMEO: %ld.%06ld\n", (long)got.tv_sec, (long)got.tv_usec);
		struct timespec t0;
		clock_gettime(CLOCK_MONOTONIC, &t0);
		show("recv idle with SO_RCVTIMEO", recv(t, buf, sizeof buf, 0));
		long ms = ms_since(&t0);
		printf("recv waited about the timeout: %d\n", ms >= 80 && ms < 2000);
		clock_gettime(CLOCK_MONOTONIC, &t0);
		show("recvfrom idle with SO_RCVTIMEO", recvfrom(t, buf, sizeof buf, 0, NULL, NULL));
		ms = ms_since(&t0);
		printf("recvfrom waited about the timeout: %d\n", ms >= 80 && ms < 2000);
		show("read idle with SO_RCVTIMEO", read(t, buf, sizeof buf));

		struct timeval bad = { 0, 1000000 };
		show("set SO_RCVTIMEO usec=1000000", setsockopt(t, SOL_SOCKET, SO_RCVTIMEO, &bad, sizeof bad));
		struct timeval neg = { -1, 0 };
		show("set SO_RCVTIMEO negative", setsockopt(t, SOL_SOCKET, SO_RCVTIMEO, &neg, sizeof neg));
		l = sizeof got;
		getsockopt(t, SOL_SOCKET, SO_RCVTIMEO, &got, &l);
		printf("SO_RCVTIMEO after negative: %ld.%06ld\n", (long)got.tv_sec, (long)got.tv_usec);
		show("set SO_RCVTIMEO short optlen", setsockopt(t, SOL_SOCKET, SO_RCVTIMEO, &tv, 4));

		struct timeval stv = { 2, 500000 };
		show("set SO_SNDTIMEO 2.5s", setsockopt(t, SOL_SOCKET, SO_SNDTIMEO, &stv, sizeof stv));
		l = sizeof got;
		getsockopt(t, SOL_SOCKET, SO_SNDTIMEO, &got, &l);
		printf("SO_SNDTIMEO: %ld.%06ld\n", (long)got.tv_sec, (long)got.tv_usec);
		close(t);
	}

	/* --- connection-oriented calls --- */
	{
		int t = udp_sock();
		show("listen unbound", listen(t, 5));
		bind_port(t, 0);
		show("listen bound", listen(t, 5));
		struct sockaddr_in a;
		socklen_t l = sizeof a;
		show("accept", accept(t, (struct sockaddr *)&a, &l));
		show("accept4", accept4(t, NULL, NULL, SOCK_NONBLOCK));
		close(t);
	}

	/* --- shutdown --- */
	{
		int t = udp_sock();
		bind_port(t, 0);
		int tport = local_port(t);
		show("shutdown SHUT_RD unconnected", shutdown(t, SHUT_RD));
		struct pollfd p = { .fd = t, .events = POLLIN | POLLOUT | POLLRDHUP };
		int r = poll(&p, 1, 0);
		print_revents("poll after SHUT_RD", r, p.revents);
		show("recv after SHUT_RD", recv(t, buf, sizeof buf, 0));
		show("recv after SHUT_RD MSG_DONTWAIT", recv(t, buf, sizeof buf, MSG_DONTWAIT));
		/* a datagram sent to it after SHUT_RD */
		int o = udp_sock();
		struct sockaddr_in d = sin4("127.0.0.1", tport);
		show("sendto shut socket", sendto(o, "late", 4, 0, (struct sockaddr *)&d, sizeof d));
		p.revents = 0;
		r = poll(&p, 1, 200);
		print_revents("poll after datagram", r, p.revents);
		ssize_t n = recv(t, buf, sizeof buf, MSG_DONTWAIT);
		printf("recv after datagram: %zd%s%s\n", n, n < 0 ? " " : "", n < 0 ? errname(errno) : "");
		show("sendto from SHUT_RD socket", sendto(t, "x", 1, 0, (struct sockaddr *)&d, sizeof d));
		show("shutdown SHUT_WR unconnected", shutdown(t, SHUT_WR));
		show("sendto after SHUT_WR", sendto(t, "x", 1, 0, (struct sockaddr *)&d, sizeof d));
		printf("SIGPIPE after EPIPE: %d\n", (int)got_sigpipe);
		show("shutdown bad how", shutdown(t, 7));
		close(o);
		close(t);

		int u = udp_sock();
		show("shutdown SHUT_RDWR unbound", shutdown(u, SHUT_RDWR));
		close(u);

		int c = udp_sock();
		int srv = udp_sock();
		bind_port(srv, 0);
		struct sockaddr_in sd = sin4("127.0.0.1", local_port(srv));
		connect(c, (struct sockaddr *)&sd, sizeof sd);
		show("shutdown SHUT_WR connected", shutdown(c, SHUT_WR));
		show("send after SHUT_WR", send(c, "x", 1, 0));
		struct pollfd q = { .fd = c, .events = POLLIN | POLLOUT | POLLRDHUP };
		r = poll(&q, 1, 0);
		print_revents("poll after SHUT_WR", r, q.revents);
		show("shutdown SHUT_RD connected", shutdown(c, SHUT_RD));
		q.revents = 0;
		r = poll(&q, 1, 0);
		print_revents("poll after SHUT_RDWR", r, q.revents);
		show("recv after SHUT_RDWR", recv(c, buf, sizeof buf, 0));
		close(c);
		close(srv);
	}

	/* --- SOL_UDP options --- */
	{
		int v = 0;
		socklen_t l = sizeof v;
		show("getsockopt SOL_UDP 999", getsockopt(s, SOL_UDP, 999, &v, &l));
		show("setsockopt SOL_UDP 999", set_int(s, SOL_UDP, 999, 1));
		get_int("UDP_CORK default", s, SOL_UDP, UDP_CORK);
		show("getsockopt SOL_SOCKET 9999", getsockopt(s, SOL_SOCKET, 9999, &v, &l));
		show("getsockopt SOL_IP 9999", getsockopt(s, SOL_IP, 9999, &v, &l));
	}

	/* --- IP level --- */
	get_int("IP_TTL default", s, IPPROTO_IP, IP_TTL);
	show("set IP_TTL 10", set_int(s, IPPROTO_IP, IP_TTL, 10));
	get_int("IP_TTL", s, IPPROTO_IP, IP_TTL);
	show("set IP_TTL 0", set_int(s, IPPROTO_IP, IP_TTL, 0));
	show("set IP_TTL 256", set_int(s, IPPROTO_IP, IP_TTL, 256));
	show("set IP_TTL -1 (reset)", set_int(s, IPPROTO_IP, IP_TTL, -1));
	get_int("IP_TTL after reset", s, IPPROTO_IP, IP_TTL);
	get_int("IP_TOS default", s, IPPROTO_IP, IP_TOS);
	show("set IP_TOS 0x10", set_int(s, IPPROTO_IP, IP_TOS, 0x10));
	get_int("IP_TOS", s, IPPROTO_IP, IP_TOS);
	get_int("IP_MULTICAST_TTL default", s, IPPROTO_IP, IP_MULTICAST_TTL);
	get_int("IP_MULTICAST_LOOP default", s, IPPROTO_IP, IP_MULTICAST_LOOP);
	get_int("IP_RECVERR default", s, IPPROTO_IP, IP_RECVERR);
	get_int("IP_PKTINFO default", s, IPPROTO_IP, IP_PKTINFO);

	close(s);
	printf("done\n");
	/* --- SIOCOUTQ / SIOCINQ (BUF-08): nothing waits to be sent on an
	 * idle UDP socket; SIOCINQ is the next datagram's length. --- */
	{
		int r = udp_sock(), w = udp_sock();
		struct sockaddr_in a = sin4("127.0.0.1", 0);
		bind(r, (struct sockaddr *)&a, sizeof a);
		a = sin4("127.0.0.1", local_port(r));
		int v = -1;
		show("SIOCOUTQ idle", ioctl(w, SIOCOUTQ, &v) < 0 ? -1 : v);
		v = -1;
		show("SIOCINQ empty", ioctl(r, SIOCINQ, &v) < 0 ? -1 : v);
		sendto(w, "12345", 5, 0, (struct sockaddr *)&a, sizeof a);
		sendto(w, "123", 3, 0, (struct sockaddr *)&a, sizeof a);
		struct pollfd p = {.fd = r, .events = POLLIN};
		poll(&p, 1, 2000);
		usleep(50000);
		v = -1;
		show("SIOCINQ two queued", ioctl(r, SIOCINQ, &v) < 0 ? -1 : v);
		v = -1;
		show("SIOCOUTQ after sends", ioctl(w, SIOCOUTQ, &v) < 0 ? -1 : v);
		close(r);
		close(w);
	}
	return 0;
}
