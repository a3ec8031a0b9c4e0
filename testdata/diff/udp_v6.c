/* udp_v6.c - IPv6 UDP over [::1] and IPv4-mapped interaction.
 *
 * Checks: the core UDP semantics over [::1] (bind port 0, second bind
 * EINVAL, EADDRINUSE, sendto/recvfrom source address and length 28, autobind
 * on sendto, MSG_PEEK, boundaries, MSG_TRUNC, zero-length datagrams, EAGAIN,
 * sendto port 0, connect/send/recv/getpeername, AF_UNSPEC disconnect,
 * EDESTADDRREQ, ECONNREFUSED from ICMPv6 port unreachable); IPV6_V6ONLY
 * default and set-after-bind; a dual-stack [::] socket (V6ONLY=0) receiving
 * from an AF_INET sender sees ::ffff:127.0.0.1; V6ONLY=1 does not receive
 * it; an AF_INET6 socket sending to ::ffff:127.0.0.1 reaches an AF_INET
 * receiver; binding to a mapped address with V6ONLY=1/0; sending to a
 * mapped address from a V6ONLY socket; port conflicts between [::] and
 * 127.0.0.1 with and without V6ONLY; an AF_INET sockaddr given to an
 * AF_INET6 socket (bind, sendto from a [::1]-bound and from an unbound
 * socket); connect to a mapped address.
 */
/* spec: STATE-02 STATE-04 BIND-01 BIND-02 BIND-03 BIND-04 BIND-12 BIND-13 USEND-01 USEND-02 */
/* spec: USEND-03 USEND-07 USEND-11 URECV-01 URECV-04 URECV-05 URECV-06 URECV-07 URECV-08 */
/* spec: URECV-09 URECV-10 URECV-12 FLAG-02 FLAG-06 FLAG-07 FLAG-17 ERR-01 ERR-04 NB-04 NB-08 */
/* spec: V6-01 V6-02 V6-03 V6-04 V6-06 */
#include "common.h"
#include <netinet/in.h>
#include <poll.h>
#include <sys/uio.h>

static const char *port_word(int port, int want)
{
	if (port == want)
		return "port=sender";
	if (port == 0)
		return "port=0";
	return "port=other";
}

static short wait_in(int fd, int ms)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };
	if (poll(&p, 1, ms) <= 0)
		return 0;
	return p.revents;
}

static void print_revents(const char *label, short re)
{
	printf("%s:%s%s%s%s%s\n", label,
	       re == 0 ? " none" : "",
	       re & POLLIN ? " POLLIN" : "", re & POLLOUT ? " POLLOUT" : "",
	       re & POLLERR ? " POLLERR" : "", re & POLLHUP ? " POLLHUP" : "");
}

/* Extra detail for AF_INET6 addresses: flowinfo and scope id. */
static void v6_extra(const struct sockaddr_storage *ss, char *out, size_t n)
{
	if (ss->ss_family == AF_INET6) {
		const struct sockaddr_in6 *a = (const struct sockaddr_in6 *)ss;
		snprintf(out, n, " flowinfo=%u scope=%u", ntohl(a->sin6_flowinfo), a->sin6_scope_id);
	} else {
		out[0] = 0;
	}
}

static ssize_t recv_from_show(const char *label, int fd, int flags, int want_port)
{
	char buf[256], abuf[128], extra[64];
	struct sockaddr_storage ss;
	socklen_t len = sizeof ss;
	memset(&ss, 0, sizeof ss);
	if (!(flags & MSG_DONTWAIT))
		wait_in(fd, 2000);
	ssize_t r = recvfrom(fd, buf, 100, flags | MSG_DONTWAIT, (struct sockaddr *)&ss, &len);
	if (r < 0) {
		printf("%s: -1 %s\n", label, errname(errno));
		return r;
	}
	v6_extra(&ss, extra, sizeof extra);
	printf("%s: %zd \"%.*s\" from %s %s addrlen=%u%s\n", label, r,
	       r > 40 ? 0 : (int)r, buf, fmt_addr(&ss, abuf, sizeof abuf),
	       port_word(sa_port(&ss), want_port), len, extra);
	return r;
}

static void print_sockname(const char *label, int fd, int want_port)
{
	char abuf[128];
	struct sockaddr_storage ss;
	socklen_t len = sizeof ss;
	memset(&ss, 0, sizeof ss);
	if (getsockname(fd, (struct sockaddr *)&ss, &len) < 0) {
		printf("%s: -1 %s\n", label, errname(errno));
		return;
	}
	int p = sa_port(&ss);
	printf("%s: %s len=%u %s\n", label, fmt_addr(&ss, abuf, sizeof abuf), len,
	       p == 0 ? "port=0" : (want_port > 0 && p == want_port) ? "port=same" : "port>0");
}

static void print_peername(const char *label, int fd, int want_port)
{
	char abuf[128];
	struct sockaddr_storage ss;
	socklen_t len = sizeof ss;
	memset(&ss, 0, sizeof ss);
	if (getpeername(fd, (struct sockaddr *)&ss, &len) < 0) {
		printf("%s: -1 %s\n", label, errname(errno));
		return;
	}
	printf("%s: %s len=%u %s\n", label, fmt_addr(&ss, abuf, sizeof abuf), len,
	       port_word(sa_port(&ss), want_port));
}

static int udp6(void) { return socket(AF_INET6, SOCK_DGRAM, 0); }

static int bind6(int fd, const char *ip, int port)
{
	struct sockaddr_in6 a = sin6(ip, port);
	return bind(fd, (struct sockaddr *)&a, sizeof a);
}

static int set_v6only(int fd, int v)
{
	return setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &v, sizeof v);
}

static int get_v6only(int fd)
{
	int v = -1;
	socklen_t l = sizeof v;
	if (getsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &v, &l) < 0)
		return -1;
	return v;
}

static ssize_t send6(int fd, const char *ip, const void *buf, size_t n, int port)
{
	struct sockaddr_in6 a = sin6(ip, port);
	return sendto(fd, buf, n, 0, (struct sockaddr *)&a, sizeof a);
}

static ssize_t send4(int fd, const void *buf, size_t n, int port)
{
	struct sockaddr_in a = sin4("127.0.0.1", port);
	return sendto(fd, buf, n, 0, (struct sockaddr *)&a, sizeof a);
}

int main(void)
{
	char buf[256];
	common_init();

	/* ================= core over [::1] ================= */
	int r = udp6();
	showfd("socket AF_INET6", r);
	printf("IPV6_V6ONLY default: %d\n", get_v6only(r));
	show("bind [::1]:0", bind6(r, "::1", 0));
	int rport = local_port(r);
	printf("bound port>0: %d\n", rport > 0);
	print_sockname("getsockname", r, rport);
	show("bind second", bind6(r, "::1", 0));
	show("set IPV6_V6ONLY after bind", set_v6only(r, 1));
	{
		int x = udp6();
		show("bind other socket same port", bind6(x, "::1", rport));
		show("bind other socket [::] same port", bind6(x, "::", rport));
		struct sockaddr_in6 shortaddr = sin6("::1", 0);
		show("bind short addrlen", bind(x, (struct sockaddr *)&shortaddr, 16));
		struct sockaddr_in v4 = sin4("127.0.0.1", 0);
		show("bind AF_INET addr on AF_INET6 socket", bind(x, (struct sockaddr *)&v4, sizeof v4));
		close(x);
	}

	int s = udp6();
	bind6(s, "::1", 0);
	int sport = local_port(s);
	show("sendto", send6(s, "::1", "0123456789", 10, rport));
	recv_from_show("recvfrom", r, 0, sport);

	int ab = udp6();
	print_sockname("autobind getsockname before", ab, -1);
	show("autobind sendto", send6(ab, "::1", "auto", 4, rport));
	print_sockname("autobind getsockname after", ab, -1);
	recv_from_show("autobind recvfrom", r, 0, local_port(ab));

	show("sendto peek", send6(s, "::1", "peekdata", 8, rport));
	recv_from_show("recvfrom MSG_PEEK", r, MSG_PEEK, sport);
	recv_from_show("recvfrom after peek", r, 0, sport);
	recv_from_show("recvfrom empty MSG_DONTWAIT", r, MSG_DONTWAIT, sport);

	memset(buf, 'b', sizeof buf);
	show("sendto 10", send6(s, "::1", buf, 10, rport));
	show("sendto 20", send6(s, "::1", buf, 20, rport));
	show("sendto 30", send6(s, "::1", buf, 30, rport));
	for (int i = 0; i < 3; i++) {
		wait_in(r, 2000);
		show("recv 100-byte buffer", recv(r, buf, 100, MSG_DONTWAIT));
	}

	memset(buf, 't', sizeof buf);
	for (int i = 0; i < 3; i++)
		send6(s, "::1", buf, 100, rport);
	wait_in(r, 2000);
	show("recv 100 into 10", recv(r, buf, 10, 0));
	wait_in(r, 2000);
	show("recv 100 into 10 MSG_TRUNC", recv(r, buf, 10, MSG_TRUNC));
	{
		struct iovec iov = { buf, 10 };
		struct msghdr m;
		memset(&m, 0, sizeof m);
		m.msg_iov = &iov;
		m.msg_iovlen = 1;
		wait_in(r, 2000);
		ssize_t n = recvmsg(r, &m, 0);
		printf("recvmsg 100 into 10: %zd msg_flags MSG_TRUNC=%d\n", n, !!(m.msg_flags & MSG_TRUNC));
	}

	show("sendto zero-length", send6(s, "::1", "", 0, rport));
	recv_from_show("recvfrom zero-length", r, 0, sport);
	show("recv empty MSG_DONTWAIT", recv(r, buf, 100, MSG_DONTWAIT));

	{
		struct sockaddr_in6 dst = sin6("::1", rport);
		struct iovec siov[3] = { { "abc", 3 }, { "defg", 4 }, { "hijkl", 5 } };
		struct msghdr m;
		memset(&m, 0, sizeof m);
		m.msg_name = &dst;
		m.msg_namelen = sizeof dst;
		m.msg_iov = siov;
		m.msg_iovlen = 3;
		show("sendmsg 3 iovecs", sendmsg(s, &m, 0));
		char b1[2], b2[5], b3[10], abuf[128];
		struct iovec riov[3] = { { b1, sizeof b1 }, { b2, sizeof b2 }, { b3, sizeof b3 } };
		struct sockaddr_storage src;
		memset(&src, 0, sizeof src);
		memset(&m, 0, sizeof m);
		m.msg_name = &src;
		m.msg_namelen = sizeof src;
		m.msg_iov = riov;
		m.msg_iovlen = 3;
		wait_in(r, 2000);
		ssize_t n = recvmsg(r, &m, 0);
		if (n < 0)
			printf("recvmsg 3 iovecs: -1 %s\n", errname(errno));
		else
			printf("recvmsg 3 iovecs: %zd \"%.2s\" \"%.5s\" \"%.*s\" %s %s namelen=%u\n", n,
			       b1, b2, n > 7 ? (int)(n - 7) : 0, b3, fmt_addr(&src, abuf, sizeof abuf),
			       port_word(sa_port(&src), sport), m.msg_namelen);
	}

	show("sendto port 0", send6(s, "::1", "x", 1, 0));
	{
		struct sockaddr_in6 a = sin6("::1", rport);
		show("sendto short addrlen", sendto(s, "x", 1, 0, (struct sockaddr *)&a, 16));
		show("sendto AF_INET addr on AF_INET6 socket", send4(s, "x", 1, rport));
	}

	/* connect */
	int c = udp6();
	print_peername("getpeername unconnected", c, 0);
	struct sockaddr_in6 rdst = sin6("::1", rport);
	show("connect", connect(c, (struct sockaddr *)&rdst, sizeof rdst));
	int cport = local_port(c);
	print_sockname("connected getsockname", c, -1);
	print_peername("getpeername", c, rport);
	show("send connected", send(c, "hello", 5, 0));
	recv_from_show("recvfrom from connected", r, 0, cport);
	show("third sendto connected", send6(s, "::1", "fromthird", 9, cport));
	show("peer sendto connected", send6(r, "::1", "frompeer", 8, cport));
	recv_from_show("connected recvfrom", c, 0, rport);
	recv_from_show("connected recvfrom again", c, MSG_DONTWAIT, rport);

	{
		struct sockaddr_in6 un;
		memset(&un, 0, sizeof un);
		un.sin6_family = AF_UNSPEC;
		show("connect AF_UNSPEC (autobound)", connect(c, (struct sockaddr *)&un, sizeof un));
		print_peername("getpeername after disconnect", c, 0);
		print_sockname("getsockname after disconnect (autobound)", c, cport);
		show("send after disconnect", send(c, "x", 1, 0));

		int b = udp6();
		bind6(b, "::1", 0);
		int bport = local_port(b);
		show("connect bound(:0) socket", connect(b, (struct sockaddr *)&rdst, sizeof rdst));
		show("connect AF_UNSPEC (bound :0)", connect(b, (struct sockaddr *)&un, sizeof un));
		print_peername("getpeername after disconnect (bound :0)", b, 0);
		print_sockname("getsockname after disconnect (bound :0)", b, bport);
		close(b);

		int f = udp6();
		show("bind fixed port", bind6(f, "::1", 42518));
		show("connect fixed-port socket", connect(f, (struct sockaddr *)&rdst, sizeof rdst));
		show("connect AF_UNSPEC (fixed port)", connect(f, (struct sockaddr *)&un, sizeof un));
		print_sockname("getsockname after disconnect (fixed port)", f, 42518);
		close(f);
	}

	{
		int u = udp6();
		show("send unconnected", send(u, "x", 1, 0));
		close(u);
	}

	/* ICMPv6 port unreachable */
	{
		int t = udp6();
		bind6(t, "::1", 0);
		int dead = local_port(t);
		close(t);
		int e = udp6();
		struct sockaddr_in6 d = sin6("::1", dead);
		show("connect to closed port", connect(e, (struct sockaddr *)&d, sizeof d));
		show("send to closed port", send(e, "ping", 4, 0));
		print_revents("poll after send to closed port", wait_in(e, 2000));
		show("recv after port unreachable", recv(e, buf, sizeof buf, MSG_DONTWAIT)); /* bounded: no blocking recv */
		show("recv again MSG_DONTWAIT", recv(e, buf, sizeof buf, MSG_DONTWAIT));
		close(e);

		int n = udp6();
		show("unconnected sendto closed port", send6(n, "::1", "ping", 4, dead));
		print_revents("unconnected poll 200ms", wait_in(n, 200));
		show("unconnected recv MSG_DONTWAIT", recv(n, buf, sizeof buf, MSG_DONTWAIT));
		close(n);
	}

	/* ================= IPv4-mapped interaction ================= */
	int s4 = socket(AF_INET, SOCK_DGRAM, 0);
	struct sockaddr_in a4 = sin4("127.0.0.1", 0);
	bind(s4, (struct sockaddr *)&a4, sizeof a4);
	int s4port = local_port(s4);

	/* dual-stack receiver */
	int ds = udp6();
	show("dual: set IPV6_V6ONLY 0", set_v6only(ds, 0));
	printf("dual: IPV6_V6ONLY: %d\n", get_v6only(ds));
	show("dual: bind [::]:0", bind6(ds, "::", 0));
	int dsport = local_port(ds);
	print_sockname("dual: getsockname", ds, dsport);
	show("dual: AF_INET sendto 127.0.0.1", send4(s4, "via4", 4, dsport));
	recv_from_show("dual: recvfrom", ds, 0, s4port);
	show("dual: AF_INET6 sendto ::1", send6(s, "::1", "via6", 4, dsport));
	recv_from_show("dual: recvfrom v6", ds, 0, sport);
	{
		/* conflicting AF_INET bind on the same port */
		int x = socket(AF_INET, SOCK_DGRAM, 0);
		struct sockaddr_in xa = sin4("127.0.0.1", dsport);
		show("dual: AF_INET bind 127.0.0.1 same port", bind(x, (struct sockaddr *)&xa, sizeof xa));
		close(x);
	}
	/* dual-stack socket replies to the mapped address */
	show("dual: sendto ::ffff:127.0.0.1", send6(ds, "::ffff:127.0.0.1", "back", 4, s4port));
	recv_from_show("dual: AF_INET recvfrom reply", s4, 0, dsport);

	/* V6ONLY receiver does not get IPv4 traffic */
	int vo = udp6();
	show("v6only: set IPV6_V6ONLY 1", set_v6only(vo, 1));
	printf("v6only: IPV6_V6ONLY: %d\n", get_v6only(vo));
	show("v6only: bind [::]:0", bind6(vo, "::", 0));
	int voport = local_port(vo);
	{
		int x = socket(AF_INET, SOCK_DGRAM, 0);
		struct sockaddr_in xa = sin4("127.0.0.1", voport);
		show("v6only: AF_INET bind 127.0.0.1 same port", bind(x, (struct sockaddr *)&xa, sizeof xa));
		close(x);
	}
	show("v6only: AF_INET sendto 127.0.0.1", send4(s4, "via4", 4, voport));
	print_revents("v6only: poll 200ms", wait_in(vo, 200));
	recv_from_show("v6only: recv MSG_DONTWAIT", vo, MSG_DONTWAIT, s4port);
	show("v6only: sendto ::ffff:127.0.0.1", send6(vo, "::ffff:127.0.0.1", "x", 1, s4port));
	show("v6only: AF_INET6 sendto ::1", send6(s, "::1", "via6", 4, voport));
	recv_from_show("v6only: recvfrom v6", vo, 0, sport);

	/* AF_INET6 socket (unbound) sending to a mapped address */
	{
		int m = udp6();
		show("mapped: sendto ::ffff:127.0.0.1", send6(m, "::ffff:127.0.0.1", "mapped", 6, s4port));
		print_sockname("mapped: sender getsockname", m, -1);
		recv_from_show("mapped: AF_INET recvfrom", s4, 0, local_port(m));
		/* once autobound through IPv4 it can still talk IPv6 */
		show("mapped: then sendto ::1", send6(m, "::1", "now6", 4, rport));
		recv_from_show("mapped: v6 recvfrom", r, 0, local_port(m));
		close(m);

		/* an AF_INET sockaddr on an unbound AF_INET6 socket */
		int m4 = udp6();
		show("mapped: AF_INET sockaddr from unbound AF_INET6 socket", send4(m4, "sa4", 3, s4port));
		recv_from_show("mapped: AF_INET recvfrom sa4", s4, 0, local_port(m4));
		close(m4);

		/* connect to a mapped address */
		int mc = udp6();
		struct sockaddr_in6 md = sin6("::ffff:127.0.0.1", s4port);
		show("mapped: connect ::ffff:127.0.0.1", connect(mc, (struct sockaddr *)&md, sizeof md));
		print_sockname("mapped: connected getsockname", mc, -1);
		print_peername("mapped: getpeername", mc, s4port);
		show("mapped: send connected", send(mc, "conn", 4, 0));
		recv_from_show("mapped: AF_INET recvfrom connected", s4, 0, local_port(mc));
		show("mapped: AF_INET reply", send4(s4, "rep", 3, local_port(mc)));
		recv_from_show("mapped: connected recvfrom reply", mc, 0, s4port);
		close(mc);
	}

	/* binding to a mapped address */
	{
		int b1 = udp6();
		set_v6only(b1, 1);
		show("bind ::ffff:127.0.0.1 with V6ONLY=1", bind6(b1, "::ffff:127.0.0.1", 0));
		close(b1);
		int b0 = udp6();
		set_v6only(b0, 0);
		show("bind ::ffff:127.0.0.1 with V6ONLY=0", bind6(b0, "::ffff:127.0.0.1", 0));
		int b0port = local_port(b0);
		print_sockname("mapped bind getsockname", b0, b0port);
		show("AF_INET sendto mapped-bound socket", send4(s4, "tomap", 5, b0port));
		recv_from_show("mapped-bound recvfrom", b0, 0, s4port);
		show("v6 sendto ::1 from mapped-bound socket", send6(b0, "::1", "x", 1, rport));
		show("set IPV6_V6ONLY 1 on mapped-bound socket", set_v6only(b0, 1));
		close(b0);
		int bx = udp6();
		show("bind ::ffff:10.1.2.3 (not local)", bind6(bx, "::ffff:10.1.2.3", 0));
		close(bx);
	}

	close(vo);
	close(ds);
	close(s4);
	close(c);
	close(ab);
	close(s);
	close(r);
	printf("done\n");
	return 0;
}
