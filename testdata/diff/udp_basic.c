/* udp_basic.c - core IPv4 UDP semantics over 127.0.0.1.
 *
 * Checks: bind to port 0 + getsockname, second bind (EINVAL), same port on
 * another socket (EADDRINUSE), sendto/recvfrom with the source address (ports
 * compared, never printed), autobind on sendto (getsockname before/after),
 * MSG_PEEK, datagram boundaries, truncation (return value with and without
 * MSG_TRUNC, msg_flags MSG_TRUNC from recvmsg), zero-length datagrams,
 * MSG_DONTWAIT on an empty socket (EAGAIN), sendmsg/recvmsg scatter/gather
 * with msg_name, sendto port 0 (EINVAL), connect + send/recv/getpeername,
 * filtering of datagrams from a non-peer on a connected socket, AF_UNSPEC
 * disconnect (getpeername ENOTCONN, what getsockname keeps for autobound,
 * bind(:0)-bound and fixed-port sockets), send() without a destination
 * (EDESTADDRREQ), ICMP port unreachable reported as ECONNREFUSED on a
 * connected socket (poll, recv, SO_ERROR, send with a pending error) but not
 * on an unconnected one, and drops when SO_RCVBUF is tiny.
 */
/* spec: OPS-08 STATE-02 STATE-04 BIND-01 BIND-02 BIND-03 BIND-13 USEND-01 USEND-02 USEND-03 */
/* spec: USEND-06 USEND-07 USEND-11 USEND-20 URECV-01 URECV-04 URECV-05 URECV-06 URECV-07 */
/* spec: URECV-08 URECV-09 URECV-10 URECV-12 FLAG-02 FLAG-06 FLAG-07 FLAG-17 ERR-01 ERR-02 ERR-04 */
/* spec: SO-08 BUF-02 NB-04 NB-08 IO-01 */
#include "common.h"
#include <poll.h>
#include <sys/uio.h>

/* Bound port of fd (host order), -1 on error. */

/* "port=sender" when port equals want, "port=0" for zero, else "port=other". */
static const char *port_word(int port, int want)
{
	if (port == want)
		return "port=sender";
	if (port == 0)
		return "port=0";
	return "port=other";
}

/* Wait up to ms for POLLIN (or POLLERR); returns revents (0 on timeout). */
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

/* recvfrom with a 100-byte buffer, print length, payload (if printable and
 * short), source address and whether the source port is want_port. */
static ssize_t recv_from_show(const char *label, int fd, int flags, int want_port)
{
	char buf[256], abuf[128];
	struct sockaddr_storage ss;
	socklen_t len = sizeof ss;
	memset(&ss, 0, sizeof ss);
	wait_in(fd, 2000);
	ssize_t r = recvfrom(fd, buf, 100, flags, (struct sockaddr *)&ss, &len);
	if (r < 0) {
		printf("%s: -1 %s\n", label, errname(errno));
		return r;
	}
	printf("%s: %zd \"%.*s\" from %s %s addrlen=%u\n", label, r,
	       r > 40 ? 0 : (int)r, buf, fmt_addr(&ss, abuf, sizeof abuf),
	       port_word(sa_port(&ss), want_port), len);
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

static int udp_sock(void) { return socket(AF_INET, SOCK_DGRAM, 0); }

static int bound_sock(int port)
{
	int fd = udp_sock();
	struct sockaddr_in a = sin4("127.0.0.1", port);
	if (bind(fd, (struct sockaddr *)&a, sizeof a) < 0)
		printf("bound_sock bind: -1 %s\n", errname(errno));
	return fd;
}

static ssize_t send_to(int fd, const void *buf, size_t n, int port)
{
	struct sockaddr_in a = sin4("127.0.0.1", port);
	return sendto(fd, buf, n, 0, (struct sockaddr *)&a, sizeof a);
}

int main(void)
{
	char buf[256];
	common_init();

	/* --- bind --- */
	int r1 = udp_sock();
	showfd("socket", r1);
	struct sockaddr_in a0 = sin4("127.0.0.1", 0);
	show("bind port 0", bind(r1, (struct sockaddr *)&a0, sizeof a0));
	int rport = local_port(r1);
	printf("bound port>0: %d\n", rport > 0);
	print_sockname("getsockname", r1, rport);
	show("bind second", bind(r1, (struct sockaddr *)&a0, sizeof a0));
	int x = udp_sock();
	struct sockaddr_in same = sin4("127.0.0.1", rport);
	show("bind other socket same port", bind(x, (struct sockaddr *)&same, sizeof same));
	struct sockaddr_in anysame = sin4("0.0.0.0", rport);
	show("bind other socket 0.0.0.0 same port", bind(x, (struct sockaddr *)&anysame, sizeof anysame));
	close(x);

	/* --- sendto / recvfrom with source --- */
	int s1 = bound_sock(0);
	int s1port = local_port(s1);
	show("sendto", send_to(s1, "0123456789", 10, rport));
	recv_from_show("recvfrom", r1, 0, s1port);

	/* --- autobind on sendto --- */
	int ab = udp_sock();
	print_sockname("autobind getsockname before", ab, -1);
	show("autobind sendto", send_to(ab, "auto", 4, rport));
	print_sockname("autobind getsockname after", ab, -1);
	recv_from_show("autobind recvfrom", r1, 0, local_port(ab));

	/* --- MSG_PEEK --- */
	show("sendto peek", send_to(s1, "peekdata", 8, rport));
	recv_from_show("recvfrom MSG_PEEK", r1, MSG_PEEK, s1port);
	recv_from_show("recvfrom MSG_PEEK again", r1, MSG_PEEK, s1port);
	recv_from_show("recvfrom after peek", r1, 0, s1port);
	recv_from_show("recvfrom empty MSG_DONTWAIT", r1, MSG_DONTWAIT, s1port);

	/* --- datagram boundaries --- */
	memset(buf, 'b', sizeof buf);
	show("sendto 10", send_to(s1, buf, 10, rport));
	show("sendto 20", send_to(s1, buf, 20, rport));
	show("sendto 30", send_to(s1, buf, 30, rport));
	for (int i = 0; i < 3; i++) {
		wait_in(r1, 2000);
		show("recv 100-byte buffer", recv(r1, buf, 100, MSG_DONTWAIT));
	}
	show("recv after 3", recv(r1, buf, 100, MSG_DONTWAIT));

	/* --- truncation --- */
	memset(buf, 't', sizeof buf);
	for (int i = 0; i < 4; i++)
		send_to(s1, buf, 100, rport);
	wait_in(r1, 2000);
	show("recv 100 into 10", recv(r1, buf, 10, 0));
	wait_in(r1, 2000);
	show("recv 100 into 10 MSG_TRUNC", recv(r1, buf, 10, MSG_TRUNC));
	{
		struct iovec iov = { buf, 10 };
		struct msghdr m;
		memset(&m, 0, sizeof m);
		m.msg_iov = &iov;
		m.msg_iovlen = 1;
		wait_in(r1, 2000);
		ssize_t n = recvmsg(r1, &m, 0);
		printf("recvmsg 100 into 10: %zd msg_flags MSG_TRUNC=%d\n", n,
		       !!(m.msg_flags & MSG_TRUNC));
		memset(&m, 0, sizeof m);
		m.msg_iov = &iov;
		m.msg_iovlen = 1;
		wait_in(r1, 2000);
		n = recvmsg(r1, &m, MSG_TRUNC);
		printf("recvmsg 100 into 10 MSG_TRUNC: %zd msg_flags MSG_TRUNC=%d\n", n,
		       !!(m.msg_flags & MSG_TRUNC));
	}
	/* recv with MSG_TRUNC and a NULL buffer of length 0 gives the size */
	send_to(s1, buf, 77, rport);
	wait_in(r1, 2000);
	show("recv NULL,0 MSG_TRUNC|MSG_PEEK", recv(r1, NULL, 0, MSG_TRUNC | MSG_PEEK));
	show("recv NULL,0 MSG_TRUNC", recv(r1, NULL, 0, MSG_TRUNC));
	show("recv after size probe", recv(r1, buf, 100, MSG_DONTWAIT));

	/* --- zero-length datagram --- */
	show("sendto zero-length", send_to(s1, "", 0, rport));
	print_revents("poll zero-length queued", wait_in(r1, 2000));
	recv_from_show("recvfrom zero-length", r1, 0, s1port);
	show("recv empty MSG_DONTWAIT", recv(r1, buf, 100, MSG_DONTWAIT));

	/* --- sendmsg / recvmsg scatter-gather --- */
	{
		struct sockaddr_in dst = sin4("127.0.0.1", rport);
		struct iovec siov[3] = { { "abc", 3 }, { "defg", 4 }, { "hijkl", 5 } };
		struct msghdr m;
		memset(&m, 0, sizeof m);
		m.msg_name = &dst;
		m.msg_namelen = sizeof dst;
		m.msg_iov = siov;
		m.msg_iovlen = 3;
		show("sendmsg 3 iovecs", sendmsg(s1, &m, 0));

		char b1[2], b2[5], b3[10];
		struct iovec riov[3] = { { b1, sizeof b1 }, { b2, sizeof b2 }, { b3, sizeof b3 } };
		struct sockaddr_storage src;
		char abuf[128];
		memset(&src, 0, sizeof src);
		memset(&m, 0, sizeof m);
		m.msg_name = &src;
		m.msg_namelen = sizeof src;
		m.msg_iov = riov;
		m.msg_iovlen = 3;
		wait_in(r1, 2000);
		ssize_t n = recvmsg(r1, &m, 0);
		if (n < 0) {
			printf("recvmsg 3 iovecs: -1 %s\n", errname(errno));
		} else {
			printf("recvmsg 3 iovecs: %zd \"%.2s\" \"%.5s\" \"%.*s\" flags=%d\n", n, b1, b2,
			       n > 7 ? (int)(n - 7) : 0, b3, m.msg_flags);
			printf("recvmsg msg_name: %s %s namelen=%u\n",
			       fmt_addr(&src, abuf, sizeof abuf),
			       port_word(sa_port(&src), s1port), m.msg_namelen);
		}
		/* a 2-byte iovec then 1: truncation across iovecs */
		struct iovec tiov[2] = { { b1, 2 }, { b2, 1 } };
		show("sendmsg again", sendmsg(s1, &(struct msghdr){ .msg_name = &dst,
			.msg_namelen = sizeof dst, .msg_iov = siov, .msg_iovlen = 3 }, 0));
		memset(&m, 0, sizeof m);
		m.msg_iov = tiov;
		m.msg_iovlen = 2;
		wait_in(r1, 2000);
		n = recvmsg(r1, &m, 0);
		printf("recvmsg into 2+1 bytes: %zd \"%.2s\" \"%.1s\" MSG_TRUNC=%d\n", n, b1, b2,
		       !!(m.msg_flags & MSG_TRUNC));
	}

	/* --- bad destinations --- */
	show("sendto port 0", send_to(s1, "x", 1, 0));
	{
		struct sockaddr_in a = sin4("127.0.0.1", rport);
		show("sendto short addrlen", sendto(s1, "x", 1, 0, (struct sockaddr *)&a, 8));
		a.sin_family = AF_INET6;
		show("sendto wrong family", sendto(s1, "x", 1, 0, (struct sockaddr *)&a, sizeof a));
	}

	/* --- connect, send/recv without address, getpeername --- */
	int c = udp_sock();
	print_peername("getpeername unconnected", c, 0);
	struct sockaddr_in rdst = sin4("127.0.0.1", rport);
	show("connect", connect(c, (struct sockaddr *)&rdst, sizeof rdst));
	int cport = local_port(c);
	print_sockname("connected getsockname", c, -1);
	print_peername("getpeername", c, rport);
	show("send connected", send(c, "hello", 5, 0));
	recv_from_show("recvfrom from connected", r1, 0, cport);
	show("reply sendto", send_to(r1, "reply", 5, cport));
	wait_in(c, 2000);
	show("recv connected", recv(c, buf, sizeof buf, 0));
	/* sendto with an explicit address on a connected UDP socket is allowed */
	show("sendto on connected (to peer)", send_to(c, "expl", 4, rport));
	recv_from_show("recvfrom explicit", r1, 0, cport);
	show("sendto on connected (to other)", send_to(c, "other", 5, s1port));
	recv_from_show("recvfrom other dest", s1, 0, cport);
	show("connect again (re-connect)", connect(c, (struct sockaddr *)&rdst, sizeof rdst));

	/* --- datagram from a non-peer is filtered --- */
	show("third sendto connected", send_to(s1, "fromthird", 9, cport));
	show("peer sendto connected", send_to(r1, "frompeer", 8, cport));
	recv_from_show("connected recvfrom", c, 0, rport);
	recv_from_show("connected recvfrom again", c, MSG_DONTWAIT, rport);

	/* --- AF_UNSPEC disconnect --- */
	{
		struct sockaddr_in un;
		memset(&un, 0, sizeof un);
		un.sin_family = AF_UNSPEC;
		show("connect AF_UNSPEC (autobound)", connect(c, (struct sockaddr *)&un, sizeof un));
		print_peername("getpeername after disconnect", c, 0);
		print_sockname("getsockname after disconnect (autobound)", c, cport);
		show("send after disconnect", send(c, "x", 1, 0));
		show("connect AF_UNSPEC again", connect(c, (struct sockaddr *)&un, sizeof un));

		int b = bound_sock(0);
		int bport = local_port(b);
		show("connect bound(:0) socket", connect(b, (struct sockaddr *)&rdst, sizeof rdst));
		show("connect AF_UNSPEC (bound :0)", connect(b, (struct sockaddr *)&un, sizeof un));
		print_peername("getpeername after disconnect (bound :0)", b, 0);
		print_sockname("getsockname after disconnect (bound :0)", b, bport);
		close(b);

		int f = udp_sock();
		struct sockaddr_in fa = sin4("127.0.0.1", 42517);
		show("bind fixed port", bind(f, (struct sockaddr *)&fa, sizeof fa));
		show("connect fixed-port socket", connect(f, (struct sockaddr *)&rdst, sizeof rdst));
		show("connect AF_UNSPEC (fixed port)", connect(f, (struct sockaddr *)&un, sizeof un));
		print_sockname("getsockname after disconnect (fixed port)", f, 42517);
		close(f);

		int w = udp_sock();
		struct sockaddr_in wa = sin4("0.0.0.0", 0);
		show("bind 0.0.0.0:0", bind(w, (struct sockaddr *)&wa, sizeof wa));
		int wport = local_port(w);
		show("connect wildcard-bound socket", connect(w, (struct sockaddr *)&rdst, sizeof rdst));
		print_sockname("getsockname connected (0.0.0.0:0)", w, wport);
		show("connect AF_UNSPEC (0.0.0.0:0)", connect(w, (struct sockaddr *)&un, sizeof un));
		print_sockname("getsockname after disconnect (0.0.0.0:0)", w, wport);
		close(w);
	}

	/* --- send() on an unconnected socket --- */
	int u = udp_sock();
	show("send unconnected", send(u, "x", 1, 0));
	show("write unconnected", write(u, "x", 1));
	print_sockname("getsockname after failed send", u, -1);
	close(u);

	/* --- ICMP port unreachable --- */
	{
		int t = bound_sock(0);
		int dead = local_port(t);
		close(t);

		int e = udp_sock();
		struct sockaddr_in d = sin4("127.0.0.1", dead);
		show("connect to closed port", connect(e, (struct sockaddr *)&d, sizeof d));
		show("send to closed port", send(e, "ping", 4, 0));
		print_revents("poll after send to closed port", wait_in(e, 2000));
		show("recv after port unreachable", recv(e, buf, sizeof buf, MSG_DONTWAIT)); /* bounded: no blocking recv */
		show("recv again MSG_DONTWAIT", recv(e, buf, sizeof buf, MSG_DONTWAIT));

		show("send to closed port 2", send(e, "ping", 4, 0));
		print_revents("poll 2", wait_in(e, 2000));
		show("send with pending error", send(e, "ping", 4, 0));
		print_revents("poll 3 (error consumed by send)", wait_in(e, 200));
		show("send to closed port 3", send(e, "ping", 4, 0));
		print_revents("poll 4", wait_in(e, 2000));
		int err = -1;
		socklen_t el = sizeof err;
		getsockopt(e, SOL_SOCKET, SO_ERROR, &err, &el);
		printf("SO_ERROR: %s\n", err ? errname(err) : "0");
		el = sizeof err;
		getsockopt(e, SOL_SOCKET, SO_ERROR, &err, &el);
		printf("SO_ERROR again: %s\n", err ? errname(err) : "0");
		show("recv after SO_ERROR MSG_DONTWAIT", recv(e, buf, sizeof buf, MSG_DONTWAIT));
		close(e);

		/* unconnected socket: the ICMP error is not reported */
		int n = udp_sock();
		show("unconnected sendto closed port", send_to(n, "ping", 4, dead));
		print_revents("unconnected poll 200ms", wait_in(n, 200));
		show("unconnected recv MSG_DONTWAIT", recv(n, buf, sizeof buf, MSG_DONTWAIT));
		el = sizeof err;
		getsockopt(n, SOL_SOCKET, SO_ERROR, &err, &el);
		printf("unconnected SO_ERROR: %s\n", err ? errname(err) : "0");
		close(n);
	}

	/* --- tiny SO_RCVBUF drops datagrams --- */
	{
		int small = udp_sock();
		int v = 1024;
		show("setsockopt SO_RCVBUF small", setsockopt(small, SOL_SOCKET, SO_RCVBUF, &v, sizeof v));
		struct sockaddr_in sa = sin4("127.0.0.1", 0);
		bind(small, (struct sockaddr *)&sa, sizeof sa);
		int sp = local_port(small);
		char big[1000];
		memset(big, 'r', sizeof big);
		int sent = 0, got = 0;
		for (int i = 0; i < 64; i++)
			if (send_to(s1, big, sizeof big, sp) == (ssize_t)sizeof big)
				sent++;
		printf("small rcvbuf all sends succeeded: %d\n", sent == 64);
		wait_in(small, 2000);
		while (recv(small, big, sizeof big, MSG_DONTWAIT) >= 0)
			got++;
		printf("small rcvbuf received some: %d\n", got > 0);
		printf("small rcvbuf some dropped: %d\n", got < sent);
		close(small);
	}

	close(c);
	close(ab);
	close(s1);
	close(r1);
	printf("done\n");
	return 0;
}
