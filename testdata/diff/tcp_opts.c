/* tcp_opts.c - setsockopt/getsockopt on TCP sockets.
 *
 * Checks: boolean SOL_SOCKET options (SO_REUSEADDR, SO_REUSEPORT,
 * SO_KEEPALIVE) default/set/normalised read back; read-only SO_TYPE,
 * SO_DOMAIN, SO_PROTOCOL, SO_ACCEPTCONN (before/after listen), SO_ERROR;
 * SO_RCVBUF/SO_SNDBUF doubling; SO_LINGER and SO_RCVTIMEO/SO_SNDTIMEO
 * round trips, bad lengths and values, and a recv timing out with EAGAIN;
 * TCP_NODELAY, TCP_KEEPIDLE/KEEPINTVL/KEEPCNT (defaults, round trip,
 * range limits); TCP_INFO tcpi_state for closed, listening and connected
 * sockets and a short optlen; unknown options (ENOPROTOOPT); short optlen
 * on set (EINVAL) and get (truncated copy); bad optval/optlen pointers
 * (EFAULT); TCP_INQ's control message.
 */
/* spec: SOCK-05 STATE-05 SO-01 SO-02 SO-03 SO-04 SO-07 SO-08 SO-11 SO-12 SO-18 SO-22 SO-23 SO-25 */
/* spec: PO-06 PO-07 BUF-07 */
#include "common.h"
#include <netinet/tcp.h>
#include <sys/time.h>

#define BADPTR ((void *)8)

static int geti(int fd, int level, int opt, const char *name)
{
	int v = -12345;
	socklen_t len = sizeof v;
	int r = getsockopt(fd, level, opt, &v, &len);
	if (r < 0)
		printf("get %s: -1 %s\n", name, errname(errno));
	else
		printf("get %s: %d len=%u\n", name, v, len);
	return v;
}

static void seti(int fd, int level, int opt, const char *name, int v)
{
	char label[96];
	snprintf(label, sizeof label, "set %s=%d", name, v);
	show(label, setsockopt(fd, level, opt, &v, sizeof v));
}

static void boolopt(int fd, int opt, const char *name)
{
	geti(fd, SOL_SOCKET, opt, name);
	seti(fd, SOL_SOCKET, opt, name, 1);
	geti(fd, SOL_SOCKET, opt, name);
	seti(fd, SOL_SOCKET, opt, name, 0);
	geti(fd, SOL_SOCKET, opt, name);
	seti(fd, SOL_SOCKET, opt, name, 5);
	geti(fd, SOL_SOCKET, opt, name);
}

static void get_tv(int fd, int opt, const char *name)
{
	struct timeval tv = {-1, -1};
	socklen_t len = sizeof tv;
	int r = getsockopt(fd, SOL_SOCKET, opt, &tv, &len);
	if (r < 0)
		printf("get %s: -1 %s\n", name, errname(errno));
	else
		printf("get %s: {%ld,%ld} len=%u\n", name, (long)tv.tv_sec, (long)tv.tv_usec, len);
}

static void set_tv(int fd, int opt, const char *name, long sec, long usec, socklen_t len)
{
	struct timeval tv = {sec, usec};
	char label[96];
	snprintf(label, sizeof label, "set %s={%ld,%ld} len=%u", name, sec, usec, len);
	show(label, setsockopt(fd, SOL_SOCKET, opt, &tv, len));
}

static void tcp_state(int fd, const char *name)
{
	struct tcp_info ti;
	memset(&ti, 0, sizeof ti);
	socklen_t len = sizeof ti;
	int r = getsockopt(fd, IPPROTO_TCP, TCP_INFO, &ti, &len);
	if (r < 0)
		printf("TCP_INFO %s: -1 %s\n", name, errname(errno));
	else
		printf("TCP_INFO %s: tcpi_state=%u\n", name, ti.tcpi_state);
}

/* inq_read reads up to n bytes with recvmsg and a control buffer and
 * prints the length and TCP_CM_INQ's value (-1 without one). */
static void inq_read(const char *label, int fd, size_t n)
{
	char buf[64], ctl[256];
	struct iovec iov = {buf, n};
	struct msghdr m = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctl, .msg_controllen = sizeof ctl};
	struct pollfd p = {fd, POLLIN, 0};
	poll(&p, 1, 1000);
	ssize_t r = recvmsg(fd, &m, MSG_DONTWAIT);
	int inq = -1;
	for (struct cmsghdr *c = CMSG_FIRSTHDR(&m); c; c = CMSG_NXTHDR(&m, c))
		if (c->cmsg_level == SOL_TCP && c->cmsg_type == TCP_CM_INQ)
			memcpy(&inq, CMSG_DATA(c), sizeof inq);
	if (r < 0)
		printf("%s: -1 %s\n", label, errname(errno));
	else
		printf("%s: %zd TCP_CM_INQ %d\n", label, r, inq);
}

/* TCP_INQ: the bytes left to read with each receive, 1 at the end of
 * the stream once nothing is left. */
static void tcp_inq(void)
{
	int port, cli, srv;
	int lfd = tcp_listener(&port);
	connect_pair(lfd, port, &cli, &srv);
	geti(srv, SOL_TCP, TCP_INQ, "TCP_INQ default");
	inq_read("recvmsg without TCP_INQ", srv, 1);
	seti(srv, SOL_TCP, TCP_INQ, "TCP_INQ", 1);
	geti(srv, SOL_TCP, TCP_INQ, "TCP_INQ after 1");
	send(cli, "hello world", 11, 0);
	inq_read("recvmsg 4 of 11", srv, 4);
	inq_read("recvmsg rest", srv, 64);
	send(cli, "bye", 3, 0);
	shutdown(cli, SHUT_WR);
	usleep(50000);
	inq_read("recvmsg before FIN", srv, 2);
	inq_read("recvmsg last byte", srv, 64);
	inq_read("recvmsg at EOF", srv, 64);
	close(cli);
	close(srv);
	close(lfd);
}

int main(void)
{
	common_init();
	int s = socket(AF_INET, SOCK_STREAM, 0);

	/* --- boolean socket options --- */
	boolopt(s, SO_REUSEADDR, "SO_REUSEADDR");
	boolopt(s, SO_REUSEPORT, "SO_REUSEPORT");
	boolopt(s, SO_KEEPALIVE, "SO_KEEPALIVE");

	/* --- read-only options --- */
	geti(s, SOL_SOCKET, SO_TYPE, "SO_TYPE");
	geti(s, SOL_SOCKET, SO_DOMAIN, "SO_DOMAIN");
	geti(s, SOL_SOCKET, SO_PROTOCOL, "SO_PROTOCOL");
	geti(s, SOL_SOCKET, SO_ERROR, "SO_ERROR");
	geti(s, SOL_SOCKET, SO_ACCEPTCONN, "SO_ACCEPTCONN before listen");
	seti(s, SOL_SOCKET, SO_TYPE, "SO_TYPE", SOCK_DGRAM);
	seti(s, SOL_SOCKET, SO_PROTOCOL, "SO_PROTOCOL", 17);
	seti(s, SOL_SOCKET, SO_ERROR, "SO_ERROR", 0);
	seti(s, SOL_SOCKET, SO_ACCEPTCONN, "SO_ACCEPTCONN", 1);
	{
		int s6 = socket(AF_INET6, SOCK_STREAM, 0);
		geti(s6, SOL_SOCKET, SO_DOMAIN, "SO_DOMAIN (AF_INET6)");
		geti(s6, SOL_SOCKET, SO_PROTOCOL, "SO_PROTOCOL (AF_INET6)");
		close(s6);
		int s0 = socket(AF_INET, SOCK_STREAM, IPPROTO_TCP);
		geti(s0, SOL_SOCKET, SO_PROTOCOL, "SO_PROTOCOL (explicit IPPROTO_TCP)");
		close(s0);
	}

	/* --- buffer sizes --- */
	{
		int v = -1;
		socklen_t len = sizeof v;
		getsockopt(s, SOL_SOCKET, SO_RCVBUF, &v, &len);
		printf("get SO_RCVBUF default > 0: %d\n", v > 0);
		len = sizeof v;
		getsockopt(s, SOL_SOCKET, SO_SNDBUF, &v, &len);
		printf("get SO_SNDBUF default > 0: %d\n", v > 0);
		seti(s, SOL_SOCKET, SO_RCVBUF, "SO_RCVBUF", 4096);
		geti(s, SOL_SOCKET, SO_RCVBUF, "SO_RCVBUF");
		seti(s, SOL_SOCKET, SO_SNDBUF, "SO_SNDBUF", 4096);
		geti(s, SOL_SOCKET, SO_SNDBUF, "SO_SNDBUF");
	}

	/* --- SO_LINGER --- */
	{
		struct linger lg = {-1, -1};
		socklen_t len = sizeof lg;
		show("get SO_LINGER", getsockopt(s, SOL_SOCKET, SO_LINGER, &lg, &len));
		printf("SO_LINGER default: {%d,%d} len=%u\n", lg.l_onoff, lg.l_linger, len);
		struct linger set = {1, 5};
		show("set SO_LINGER {1,5}", setsockopt(s, SOL_SOCKET, SO_LINGER, &set, sizeof set));
		len = sizeof lg;
		getsockopt(s, SOL_SOCKET, SO_LINGER, &lg, &len);
		printf("SO_LINGER now: {%d,%d} len=%u\n", lg.l_onoff, lg.l_linger, len);
		struct linger set2 = {7, 3};
		show("set SO_LINGER {7,3}", setsockopt(s, SOL_SOCKET, SO_LINGER, &set2, sizeof set2));
		len = sizeof lg;
		getsockopt(s, SOL_SOCKET, SO_LINGER, &lg, &len);
		printf("SO_LINGER now: {%d,%d} len=%u\n", lg.l_onoff, lg.l_linger, len);
		show("set SO_LINGER len 4", setsockopt(s, SOL_SOCKET, SO_LINGER, &set, 4));
		struct linger off = {0, 0};
		show("set SO_LINGER {0,0}", setsockopt(s, SOL_SOCKET, SO_LINGER, &off, sizeof off));
		len = sizeof lg;
		getsockopt(s, SOL_SOCKET, SO_LINGER, &lg, &len);
		printf("SO_LINGER now: {%d,%d} len=%u\n", lg.l_onoff, lg.l_linger, len);
	}

	/* --- SO_RCVTIMEO / SO_SNDTIMEO --- */
	get_tv(s, SO_RCVTIMEO, "SO_RCVTIMEO");
	get_tv(s, SO_SNDTIMEO, "SO_SNDTIMEO");
	set_tv(s, SO_RCVTIMEO, "SO_RCVTIMEO", 1, 500000, sizeof(struct timeval));
	get_tv(s, SO_RCVTIMEO, "SO_RCVTIMEO");
	set_tv(s, SO_SNDTIMEO, "SO_SNDTIMEO", 2, 0, sizeof(struct timeval));
	get_tv(s, SO_SNDTIMEO, "SO_SNDTIMEO");
	set_tv(s, SO_RCVTIMEO, "SO_RCVTIMEO", 0, 1000000, sizeof(struct timeval));
	set_tv(s, SO_RCVTIMEO, "SO_RCVTIMEO", 0, -1, sizeof(struct timeval));
	set_tv(s, SO_RCVTIMEO, "SO_RCVTIMEO", 1, 0, 8);
	get_tv(s, SO_RCVTIMEO, "SO_RCVTIMEO");
	set_tv(s, SO_RCVTIMEO, "SO_RCVTIMEO", 0, 0, sizeof(struct timeval));
	get_tv(s, SO_RCVTIMEO, "SO_RCVTIMEO");

	/* --- TCP level --- */
	geti(s, IPPROTO_TCP, TCP_NODELAY, "TCP_NODELAY");
	seti(s, IPPROTO_TCP, TCP_NODELAY, "TCP_NODELAY", 1);
	geti(s, IPPROTO_TCP, TCP_NODELAY, "TCP_NODELAY");
	seti(s, IPPROTO_TCP, TCP_NODELAY, "TCP_NODELAY", 7);
	geti(s, IPPROTO_TCP, TCP_NODELAY, "TCP_NODELAY");
	seti(s, IPPROTO_TCP, TCP_NODELAY, "TCP_NODELAY", 0);
	geti(s, IPPROTO_TCP, TCP_NODELAY, "TCP_NODELAY");

	geti(s, IPPROTO_TCP, TCP_KEEPIDLE, "TCP_KEEPIDLE");
	geti(s, IPPROTO_TCP, TCP_KEEPINTVL, "TCP_KEEPINTVL");
	geti(s, IPPROTO_TCP, TCP_KEEPCNT, "TCP_KEEPCNT");
	seti(s, IPPROTO_TCP, TCP_KEEPIDLE, "TCP_KEEPIDLE", 60);
	seti(s, IPPROTO_TCP, TCP_KEEPINTVL, "TCP_KEEPINTVL", 10);
	seti(s, IPPROTO_TCP, TCP_KEEPCNT, "TCP_KEEPCNT", 5);
	geti(s, IPPROTO_TCP, TCP_KEEPIDLE, "TCP_KEEPIDLE");
	geti(s, IPPROTO_TCP, TCP_KEEPINTVL, "TCP_KEEPINTVL");
	geti(s, IPPROTO_TCP, TCP_KEEPCNT, "TCP_KEEPCNT");
	seti(s, IPPROTO_TCP, TCP_KEEPIDLE, "TCP_KEEPIDLE", 0);
	seti(s, IPPROTO_TCP, TCP_KEEPIDLE, "TCP_KEEPIDLE", -1);
	seti(s, IPPROTO_TCP, TCP_KEEPIDLE, "TCP_KEEPIDLE", 32767);
	seti(s, IPPROTO_TCP, TCP_KEEPIDLE, "TCP_KEEPIDLE", 32768);
	seti(s, IPPROTO_TCP, TCP_KEEPINTVL, "TCP_KEEPINTVL", 0);
	seti(s, IPPROTO_TCP, TCP_KEEPINTVL, "TCP_KEEPINTVL", 32767);
	seti(s, IPPROTO_TCP, TCP_KEEPINTVL, "TCP_KEEPINTVL", 32768);
	seti(s, IPPROTO_TCP, TCP_KEEPCNT, "TCP_KEEPCNT", 0);
	seti(s, IPPROTO_TCP, TCP_KEEPCNT, "TCP_KEEPCNT", 127);
	seti(s, IPPROTO_TCP, TCP_KEEPCNT, "TCP_KEEPCNT", 128);
	geti(s, IPPROTO_TCP, TCP_KEEPIDLE, "TCP_KEEPIDLE");
	geti(s, IPPROTO_TCP, TCP_KEEPINTVL, "TCP_KEEPINTVL");
	geti(s, IPPROTO_TCP, TCP_KEEPCNT, "TCP_KEEPCNT");

	/* --- unknown options --- */
	{
		int v = 1;
		socklen_t len = sizeof v;
		show("get SOL_SOCKET opt 9999", getsockopt(s, SOL_SOCKET, 9999, &v, &len));
		show("set SOL_SOCKET opt 9999", setsockopt(s, SOL_SOCKET, 9999, &v, sizeof v));
		len = sizeof v;
		show("get SOL_TCP opt 9999", getsockopt(s, SOL_TCP, 9999, &v, &len));
		show("set SOL_TCP opt 9999", setsockopt(s, SOL_TCP, 9999, &v, sizeof v));
	}

	/* --- short / odd optlen --- */
	{
		int v = 1;
		show("set SO_REUSEADDR optlen 2", setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &v, 2));
		show("set TCP_NODELAY optlen 2", setsockopt(s, IPPROTO_TCP, TCP_NODELAY, &v, 2));
		show("set SO_REUSEADDR optlen 0", setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &v, 0));
		long long big = 1;
		show("set SO_REUSEADDR optlen 8", setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &big, sizeof big));
		geti(s, SOL_SOCKET, SO_REUSEADDR, "SO_REUSEADDR");

		unsigned u = 0xffffffffu;
		socklen_t len = 2;
		int r = getsockopt(s, SOL_SOCKET, SO_TYPE, &u, &len);
		printf("get SO_TYPE optlen 2: %d len=%u value=0x%08x\n", r, len, u);
		seti(s, IPPROTO_TCP, TCP_NODELAY, "TCP_NODELAY", 1);
		u = 0xffffffffu;
		len = 2;
		r = getsockopt(s, IPPROTO_TCP, TCP_NODELAY, &u, &len);
		printf("get TCP_NODELAY optlen 2: %d len=%u value=0x%08x\n", r, len, u);
		u = 0xffffffffu;
		len = 0;
		r = getsockopt(s, SOL_SOCKET, SO_TYPE, &u, &len);
		printf("get SO_TYPE optlen 0: %d len=%u value=0x%08x\n", r, len, u);
		unsigned long long q = ~0ULL;
		len = sizeof q;
		r = getsockopt(s, SOL_SOCKET, SO_TYPE, &q, &len);
		printf("get SO_TYPE optlen 8: %d len=%u value=0x%016llx\n", r, len, q);
		len = (socklen_t)-1;
		show("get SO_TYPE optlen -1", getsockopt(s, SOL_SOCKET, SO_TYPE, &u, &len));
	}

	/* --- bad pointers --- */
	{
		socklen_t len = sizeof(int);
		show("set SO_REUSEADDR bad optval", setsockopt(s, SOL_SOCKET, SO_REUSEADDR, BADPTR, sizeof(int)));
		show("set TCP_NODELAY bad optval", setsockopt(s, IPPROTO_TCP, TCP_NODELAY, BADPTR, sizeof(int)));
		show("get SO_TYPE bad optval", getsockopt(s, SOL_SOCKET, SO_TYPE, BADPTR, &len));
		len = sizeof(int);
		show("get TCP_NODELAY bad optval", getsockopt(s, IPPROTO_TCP, TCP_NODELAY, BADPTR, &len));
		int v;
		show("get SO_TYPE bad optlen", getsockopt(s, SOL_SOCKET, SO_TYPE, &v, BADPTR));
		show("get TCP_NODELAY bad optlen", getsockopt(s, IPPROTO_TCP, TCP_NODELAY, &v, BADPTR));
	}

	/* --- TCP_INFO, SO_ACCEPTCONN after listen, timeouts on a connection --- */
	tcp_state(s, "fresh");
	struct sockaddr_in a0 = sin4("127.0.0.1", 0);
	show("bind", bind(s, (struct sockaddr *)&a0, sizeof a0));
	show("listen", listen(s, 4));
	geti(s, SOL_SOCKET, SO_ACCEPTCONN, "SO_ACCEPTCONN after listen");
	tcp_state(s, "listening");
	{
		struct tcp_info ti;
		memset(&ti, 0xff, sizeof ti);
		socklen_t len = 8;
		int r = getsockopt(s, IPPROTO_TCP, TCP_INFO, &ti, &len);
		printf("TCP_INFO optlen 8: %d len=%u tcpi_state=%u\n", r, len, ti.tcpi_state);
		len = sizeof ti;
		getsockopt(s, IPPROTO_TCP, TCP_INFO, &ti, &len);
		printf("TCP_INFO full len <= sizeof: %d\n", len <= sizeof ti);
	}

	struct sockaddr_storage ss;
	socklen_t sl = sizeof ss;
	getsockname(s, (struct sockaddr *)&ss, &sl);
	struct sockaddr_in la = sin4("127.0.0.1", sa_port(&ss));
	int c = socket(AF_INET, SOCK_STREAM, 0);
	show("connect", connect(c, (struct sockaddr *)&la, sizeof la));
	int a = accept(s, NULL, NULL);
	showfd("accept", a);
	tcp_state(c, "connected client");
	tcp_state(a, "accepted");
	geti(a, SOL_SOCKET, SO_ACCEPTCONN, "SO_ACCEPTCONN accepted");
	geti(a, SOL_SOCKET, SO_ERROR, "SO_ERROR accepted");
	geti(a, IPPROTO_TCP, TCP_NODELAY, "TCP_NODELAY accepted (listener had 1)");
	geti(a, SOL_SOCKET, SO_KEEPALIVE, "SO_KEEPALIVE accepted");

	set_tv(a, SO_RCVTIMEO, "SO_RCVTIMEO", 0, 100000, sizeof(struct timeval));
	get_tv(a, SO_RCVTIMEO, "SO_RCVTIMEO");
	char buf[16];
	show("recv with 100ms SO_RCVTIMEO on idle socket", recv(a, buf, sizeof buf, 0));
	show("read with 100ms SO_RCVTIMEO on idle socket", read(a, buf, sizeof buf));
	show("send", send(c, "x", 1, 0));
	show("recv with timeout, data present", recv(a, buf, sizeof buf, 0));

	close(c);
	show("recv after peer close", recv(a, buf, sizeof buf, 0));
	tcp_state(a, "after peer close");
	close(a);
	close(s);
	printf("done\n");
	tcp_inq();
	return 0;
}
