/* tcp_v6.c - TCP over IPv6 loopback and IPv4/IPv6 dual stack.
 *
 * Checks: bind/listen/connect/accept/getsockname/getpeername/data over
 * [::1]; accept into a buffer shorter than sockaddr_in6 (truncated, full
 * length returned); IPV6_V6ONLY default and round trip, setting it after
 * bind (EINVAL); a [::] listener with IPV6_V6ONLY=0 accepting an AF_INET
 * client (peer ::ffff:127.0.0.1, len 28) and the port conflict with an
 * AF_INET bind; with IPV6_V6ONLY=1 the IPv4 connect is refused and the
 * IPv4 port is free; binding ::ffff:127.0.0.1 (works, and EINVAL when
 * v6only); an AF_INET6 client connecting to a v4-mapped address of an
 * AF_INET listener; bind address length rules for sockaddr_in6.
 */
/* spec: BIND-02 BIND-12 BIND-13 V6-01 V6-02 V6-03 V6-04 TCP-01 TCP-02 TCP-18 */
#include "common.h"
#include <netinet/tcp.h>

static char abuf[128];

static void names(const char *who, int fd, int lport)
{
	struct sockaddr_storage l, p;
	socklen_t ll = sizeof l, pl = sizeof p;
	int rl = getsockname(fd, (struct sockaddr *)&l, &ll);
	int rp = getpeername(fd, (struct sockaddr *)&p, &pl);
	if (rl < 0) {
		printf("%s getsockname: -1 %s\n", who, errname(errno));
	} else {
		printf("%s local: %s len=%u port==listen=%d\n", who, fmt_addr(&l, abuf, sizeof abuf),
		       ll, sa_port(&l) == lport);
	}
	if (rp < 0) {
		printf("%s getpeername: -1 %s\n", who, errname(errno));
	} else {
		printf("%s peer: %s len=%u port==listen=%d\n", who, fmt_addr(&p, abuf, sizeof abuf),
		       pl, sa_port(&p) == lport);
	}
}

static int getv6only(int fd)
{
	int v = -1;
	socklen_t len = sizeof v;
	if (getsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &v, &len) < 0)
		return -errno;
	return v;
}

static int bound_port(int fd)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof ss;
	getsockname(fd, (struct sockaddr *)&ss, &len);
	return sa_port(&ss);
}

/* Accept with a full buffer, print the peer and whether its port is the
 * client's local port. */
static int accept_show(const char *label, int l, int cli)
{
	struct sockaddr_storage p, cl;
	socklen_t pl = sizeof p, cll = sizeof cl;
	int a = accept(l, (struct sockaddr *)&p, &pl);
	if (a < 0) {
		printf("%s: -1 %s\n", label, errname(errno));
		return a;
	}
	getsockname(cli, (struct sockaddr *)&cl, &cll);
	printf("%s: peer %s len=%u port==client local=%d\n", label,
	       fmt_addr(&p, abuf, sizeof abuf), pl, sa_port(&p) == sa_port(&cl));
	return a;
}

static void exchange(int c, int a)
{
	char buf[64];
	ssize_t n;
	show("send client", send(c, "ping6", 5, 0));
	n = recv(a, buf, sizeof buf, 0);
	printf("recv server: %zd \"%.*s\"\n", n, n > 0 ? (int)n : 0, buf);
	show("send server", send(a, "pong6!", 6, 0));
	n = recv(c, buf, sizeof buf, 0);
	printf("recv client: %zd \"%.*s\"\n", n, n > 0 ? (int)n : 0, buf);
}

int main(void)
{
	int one = 1, zero = 0;
	common_init();

	/* --- core over [::1] --- */
	{
		int l = socket(AF_INET6, SOCK_STREAM, 0);
		printf("IPV6_V6ONLY default: %d\n", getv6only(l));
		struct sockaddr_in6 a0 = sin6("::1", 0);
		show("bind [::1]:0", bind(l, (struct sockaddr *)&a0, sizeof a0));
		struct sockaddr_in6 got;
		socklen_t len = sizeof got;
		memset(&got, 0xAA, sizeof got);
		show("getsockname", getsockname(l, (struct sockaddr *)&got, &len));
		int port = sa_port(&got);
		printf("listener: %s len=%u port>0=%d flowinfo=%u scope_id=%u\n",
		       fmt_addr(&got, abuf, sizeof abuf), len, port > 0, got.sin6_flowinfo,
		       got.sin6_scope_id);
		show("bind again", bind(l, (struct sockaddr *)&a0, sizeof a0));
		show("listen", listen(l, 8));
		show("set IPV6_V6ONLY after bind", setsockopt(l, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one));

		struct sockaddr_in6 la = sin6("::1", port);
		int c = socket(AF_INET6, SOCK_STREAM, 0);
		show("connect [::1]", connect(c, (struct sockaddr *)&la, sizeof la));
		int a = accept_show("accept", l, c);
		names("client", c, port);
		names("server", a, port);
		exchange(c, a);
		show("connect again", connect(c, (struct sockaddr *)&la, sizeof la));
		close(c);
		show("read after close (EOF)", read(a, abuf, sizeof abuf));
		close(a);

		/* accept into a buffer that is too short */
		c = socket(AF_INET6, SOCK_STREAM, 0);
		show("connect [::1] 2", connect(c, (struct sockaddr *)&la, sizeof la));
		struct sockaddr_in6 small;
		memset(&small, 0, sizeof small);
		socklen_t sl = sizeof(struct sockaddr_in);
		a = accept(l, (struct sockaddr *)&small, &sl);
		showfd("accept short buffer", a);
		printf("accept short buffer: family=%s len=%u\n",
		       small.sin6_family == AF_INET6 ? "AF_INET6" : "other", sl);
		close(a);
		close(c);

		/* IPv4 client to a [::1] listener: nothing on 127.0.0.1 */
		int c4 = socket(AF_INET, SOCK_STREAM, 0);
		struct sockaddr_in v4 = sin4("127.0.0.1", port);
		show("IPv4 connect to [::1]-only port", connect(c4, (struct sockaddr *)&v4, sizeof v4));
		close(c4);
		close(l);
	}

	/* --- dual stack: [::] with IPV6_V6ONLY=0 --- */
	{
		int l = socket(AF_INET6, SOCK_STREAM, 0);
		show("set IPV6_V6ONLY=0", setsockopt(l, IPPROTO_IPV6, IPV6_V6ONLY, &zero, sizeof zero));
		printf("IPV6_V6ONLY now: %d\n", getv6only(l));
		struct sockaddr_in6 any = sin6("::", 0);
		show("bind [::]:0", bind(l, (struct sockaddr *)&any, sizeof any));
		int port = bound_port(l);
		show("listen", listen(l, 8));

		int b4 = socket(AF_INET, SOCK_STREAM, 0);
		struct sockaddr_in v4 = sin4("127.0.0.1", port);
		show("AF_INET bind same port (dual-stack owner)", bind(b4, (struct sockaddr *)&v4, sizeof v4));
		close(b4);

		int c = socket(AF_INET, SOCK_STREAM, 0);
		show("AF_INET connect 127.0.0.1", connect(c, (struct sockaddr *)&v4, sizeof v4));
		int a = accept_show("accept v4 client", l, c);
		names("v4 client", c, port);
		names("v6 server", a, port);
		exchange(c, a);
		close(c);
		close(a);

		c = socket(AF_INET6, SOCK_STREAM, 0);
		struct sockaddr_in6 v6 = sin6("::1", port);
		show("AF_INET6 connect ::1", connect(c, (struct sockaddr *)&v6, sizeof v6));
		a = accept_show("accept v6 client", l, c);
		close(c);
		close(a);
		close(l);
	}

	/* --- IPV6_V6ONLY=1 --- */
	{
		int l = socket(AF_INET6, SOCK_STREAM, 0);
		show("set IPV6_V6ONLY=1", setsockopt(l, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one));
		printf("IPV6_V6ONLY now: %d\n", getv6only(l));
		struct sockaddr_in6 any = sin6("::", 0);
		show("bind [::]:0", bind(l, (struct sockaddr *)&any, sizeof any));
		int port = bound_port(l);
		show("listen", listen(l, 8));

		int c = socket(AF_INET, SOCK_STREAM, 0);
		struct sockaddr_in v4 = sin4("127.0.0.1", port);
		show("AF_INET connect to v6only listener", connect(c, (struct sockaddr *)&v4, sizeof v4));
		close(c);

		int b4 = socket(AF_INET, SOCK_STREAM, 0);
		show("AF_INET bind same port (v6only owner)", bind(b4, (struct sockaddr *)&v4, sizeof v4));
		close(b4);

		c = socket(AF_INET6, SOCK_STREAM, 0);
		struct sockaddr_in6 v6 = sin6("::1", port);
		show("AF_INET6 connect ::1", connect(c, (struct sockaddr *)&v6, sizeof v6));
		int a = accept_show("accept", l, c);
		close(c);
		close(a);

		int m = socket(AF_INET6, SOCK_STREAM, 0);
		setsockopt(m, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one);
		struct sockaddr_in6 mapped = sin6("::ffff:127.0.0.1", 0);
		show("v6only bind ::ffff:127.0.0.1", bind(m, (struct sockaddr *)&mapped, sizeof mapped));
		close(m);
		close(l);
	}

	/* --- AF_INET6 socket bound to a v4-mapped address --- */
	{
		int l = socket(AF_INET6, SOCK_STREAM, 0);
		struct sockaddr_in6 mapped = sin6("::ffff:127.0.0.1", 0);
		show("bind ::ffff:127.0.0.1", bind(l, (struct sockaddr *)&mapped, sizeof mapped));
		int port = bound_port(l);
		struct sockaddr_storage ss;
		socklen_t len = sizeof ss;
		getsockname(l, (struct sockaddr *)&ss, &len);
		printf("mapped listener: %s len=%u\n", fmt_addr(&ss, abuf, sizeof abuf), len);
		show("listen", listen(l, 8));

		int c = socket(AF_INET, SOCK_STREAM, 0);
		struct sockaddr_in v4 = sin4("127.0.0.1", port);
		show("AF_INET connect 127.0.0.1", connect(c, (struct sockaddr *)&v4, sizeof v4));
		int a = accept_show("accept", l, c);
		names("server", a, port);
		exchange(c, a);
		close(c);
		close(a);

		int c6 = socket(AF_INET6, SOCK_STREAM, 0);
		struct sockaddr_in6 v6 = sin6("::1", port);
		show("AF_INET6 connect ::1 to mapped listener", connect(c6, (struct sockaddr *)&v6, sizeof v6));
		close(c6);
		close(l);
	}

	/* --- AF_INET6 client to an AF_INET listener via ::ffff:127.0.0.1 --- */
	{
		int l = socket(AF_INET, SOCK_STREAM, 0);
		struct sockaddr_in v4 = sin4("127.0.0.1", 0);
		bind(l, (struct sockaddr *)&v4, sizeof v4);
		int port = bound_port(l);
		show("AF_INET listen", listen(l, 8));
		int c = socket(AF_INET6, SOCK_STREAM, 0);
		struct sockaddr_in6 m = sin6("::ffff:127.0.0.1", port);
		show("AF_INET6 connect ::ffff:127.0.0.1", connect(c, (struct sockaddr *)&m, sizeof m));
		int a = accept_show("accept", l, c);
		names("v6 client", c, port);
		names("v4 server", a, port);
		exchange(c, a);
		close(c);
		close(a);

		c = socket(AF_INET6, SOCK_STREAM, 0);
		struct sockaddr_in6 v6 = sin6("::1", port);
		show("AF_INET6 connect ::1 to AF_INET listener", connect(c, (struct sockaddr *)&v6, sizeof v6));
		close(c);

		c = socket(AF_INET6, SOCK_STREAM, 0);
		setsockopt(c, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one);
		show("v6only socket connect ::ffff:127.0.0.1", connect(c, (struct sockaddr *)&m, sizeof m));
		close(c);
		close(l);
	}

	/* --- sockaddr_in6 length rules for bind --- */
	{
		struct sockaddr_in6 a0 = sin6("::1", 0);
		int s = socket(AF_INET6, SOCK_STREAM, 0);
		show("bind v6 addrlen 20", bind(s, (struct sockaddr *)&a0, 20));
		show("bind v6 addrlen 24", bind(s, (struct sockaddr *)&a0, 24));
		close(s);
		s = socket(AF_INET6, SOCK_STREAM, 0);
		struct sockaddr_in v4 = sin4("127.0.0.1", 0);
		show("bind AF_INET addr on AF_INET6 socket", bind(s, (struct sockaddr *)&v4, sizeof v4));
		struct sockaddr_in6 wrong = sin6("::1", 0);
		wrong.sin6_family = AF_INET;
		show("bind family AF_INET len 28 on AF_INET6 socket", bind(s, (struct sockaddr *)&wrong, sizeof wrong));
		wrong.sin6_family = AF_UNSPEC;
		show("bind family AF_UNSPEC len 28 on AF_INET6 socket", bind(s, (struct sockaddr *)&wrong, sizeof wrong));
		close(s);
	}

	printf("done\n");
	return 0;
}
