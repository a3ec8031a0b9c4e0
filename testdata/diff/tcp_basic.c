/* tcp_basic.c - core IPv4 TCP semantics over 127.0.0.1.
 *
 * Checks: bind to port 0 + getsockname, double bind (EINVAL), address
 * conflicts (EADDRINUSE, SO_REUSEADDR on bound-only sockets), listen,
 * blocking connect, getsockname/getpeername on both ends (ports compared,
 * never printed), accept/accept4 peer address and flags, data transfer with
 * read/write/send/recv, MSG_PEEK, MSG_WAITALL across several writes from a
 * child, shutdown(SHUT_WR)/(SHUT_RD) semantics, EOF on close, ECONNREFUSED,
 * EISCONN, ENOTCONN, listen/accept on the wrong kind of socket (EINVAL),
 * EPIPE and SIGPIPE on a socket whose peer has closed.
 */
/* spec: STATE-02 BIND-01 BIND-02 BIND-08 BIND-13 FLAG-02 FLAG-09 FLAG-13 SO-06 ASYNC-11 NB-01 */
/* spec: NB-04 TCP-01 TCP-02 TCP-03 TCP-04 TCP-05 TCP-07 TCP-09 TCP-10 TCP-11 TCP-13 TCP-18 */
/* spec: TCP-19 */
#include "common.h"
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>

static volatile sig_atomic_t got_sigpipe;
static void on_sigpipe(int sig) { (void)sig; got_sigpipe = 1; }

static int tcp_sock(void) { return socket(AF_INET, SOCK_STREAM, 0); }


static void print_revents(const char *label, int r, short re)
{
	printf("%s: %d%s%s%s%s%s\n", label, r,
	       re & POLLIN ? " POLLIN" : "", re & POLLOUT ? " POLLOUT" : "",
	       re & POLLERR ? " POLLERR" : "", re & POLLHUP ? " POLLHUP" : "",
	       re & POLLRDHUP ? " POLLRDHUP" : "");
}

/* Read exactly n bytes (blocking), print count and payload. */
static void recv_show(const char *label, int fd, size_t n, int flags)
{
	char buf[64];
	ssize_t r = recv(fd, buf, n, flags);
	if (r < 0)
		printf("%s: -1 %s\n", label, errname(errno));
	else
		printf("%s: %zd \"%.*s\"\n", label, r, (int)r, buf);
}

int main(void)
{
	char abuf[128];
	struct sockaddr_storage ss;
	socklen_t len;
	int one = 1;

	common_init();
	signal(SIGPIPE, on_sigpipe);

	/* --- bind / getsockname --- */
	int s = tcp_sock();
	struct sockaddr_in any0 = sin4("127.0.0.1", 0);
	show("bind port 0", bind(s, (struct sockaddr *)&any0, sizeof any0));
	len = sizeof ss;
	show("getsockname", getsockname(s, (struct sockaddr *)&ss, &len));
	int port = sa_port(&ss);
	printf("getsockname addr: %s len=%u port>0=%d\n",
	       fmt_addr(&ss, abuf, sizeof abuf), len, port > 0);
	show("bind second", bind(s, (struct sockaddr *)&any0, sizeof any0));
	struct sockaddr_in same = sin4("127.0.0.1", port);
	show("bind second same addr", bind(s, (struct sockaddr *)&same, sizeof same));

	int s2 = tcp_sock();
	show("bind other socket same port", bind(s2, (struct sockaddr *)&same, sizeof same));
	close(s2);

	/* SO_REUSEADDR on both sockets, first only bound (not listening). */
	{
		int r1 = tcp_sock(), r2 = tcp_sock();
		show("reuse setsockopt 1", setsockopt(r1, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one));
		show("reuse setsockopt 2", setsockopt(r2, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one));
		show("reuse bind 1", bind(r1, (struct sockaddr *)&any0, sizeof any0));
		len = sizeof ss;
		getsockname(r1, (struct sockaddr *)&ss, &len);
		struct sockaddr_in ra = sin4("127.0.0.1", sa_port(&ss));
		show("reuse bind 2 same port", bind(r2, (struct sockaddr *)&ra, sizeof ra));
		show("reuse listen 1", listen(r1, 4));
		show("reuse listen 2", listen(r2, 4));
		int r3 = tcp_sock();
		setsockopt(r3, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
		show("reuse bind 3 while listening", bind(r3, (struct sockaddr *)&ra, sizeof ra));
		close(r1);
		close(r2);
		close(r3);
	}

	/* --- listen / connect / names --- */
	show("listen", listen(s, 16));
	int c = tcp_sock();
	show("connect", connect(c, (struct sockaddr *)&same, sizeof same));

	struct sockaddr_storage cl, cp, sl, sp, ap;
	len = sizeof cl;
	show("client getsockname", getsockname(c, (struct sockaddr *)&cl, &len));
	printf("client local: %s len=%u\n", fmt_addr(&cl, abuf, sizeof abuf), len);
	len = sizeof cp;
	show("client getpeername", getpeername(c, (struct sockaddr *)&cp, &len));
	printf("client peer: %s len=%u port==server=%d\n", fmt_addr(&cp, abuf, sizeof abuf),
	       len, sa_port(&cp) == port);

	socklen_t alen = sizeof ap;
	memset(&ap, 0xAA, sizeof ap);
	int a = accept(s, (struct sockaddr *)&ap, &alen);
	showfd("accept", a);
	printf("accept peer: %s len=%u port==client local=%d\n",
	       fmt_addr(&ap, abuf, sizeof abuf), alen, sa_port(&ap) == sa_port(&cl));
	printf("accept flags: cloexec=%d nonblock=%d\n", fd_cloexec(a), fd_nonblock(a));
	len = sizeof sl;
	show("server getsockname", getsockname(a, (struct sockaddr *)&sl, &len));
	printf("server local: %s len=%u port==listen=%d\n", fmt_addr(&sl, abuf, sizeof abuf),
	       len, sa_port(&sl) == port);
	len = sizeof sp;
	show("server getpeername", getpeername(a, (struct sockaddr *)&sp, &len));
	printf("server peer: %s len=%u port==client local=%d port!=listen=%d\n",
	       fmt_addr(&sp, abuf, sizeof abuf), len, sa_port(&sp) == sa_port(&cl),
	       sa_port(&sp) != port);

	/* accept4 with flags */
	{
		int c2 = tcp_sock();
		show("connect 2", connect(c2, (struct sockaddr *)&same, sizeof same));
		int a2 = accept4(s, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
		showfd("accept4", a2);
		printf("accept4 flags: cloexec=%d nonblock=%d\n", fd_cloexec(a2), fd_nonblock(a2));
		close(a2);
		close(c2);
	}
	/* accept on a non-blocking listener: the new socket is blocking. */
	{
		int c3 = tcp_sock();
		show("connect 3", connect(c3, (struct sockaddr *)&same, sizeof same));
		fcntl(s, F_SETFL, fcntl(s, F_GETFL) | O_NONBLOCK);
		struct pollfd p = {.fd = s, .events = POLLIN};
		poll(&p, 1, 5000);
		int a3 = accept(s, NULL, NULL);
		showfd("accept nonblock listener", a3);
		printf("accept nonblock listener flags: cloexec=%d nonblock=%d\n",
		       fd_cloexec(a3), fd_nonblock(a3));
		fcntl(s, F_SETFL, fcntl(s, F_GETFL) & ~O_NONBLOCK);
		close(a3);
		close(c3);
	}

	/* --- data --- */
	char buf[512];
	show("write client", write(c, "hello", 5));
	ssize_t n = read(a, buf, sizeof buf);
	printf("read server: %zd \"%.*s\"\n", n, n > 0 ? (int)n : 0, buf);
	show("send server", send(a, "world!", 6, 0));
	recv_show("recv client", c, 6, 0);

	show("send peekdata", send(c, "peekdata", 8, 0));
	recv_show("recv MSG_PEEK", a, 8, MSG_PEEK);
	recv_show("recv MSG_PEEK short", a, 4, MSG_PEEK);
	recv_show("recv after peek", a, 8, 0);

	/* MSG_WAITALL: child sends 3 x 100 bytes with pauses. */
	fflush(stdout);
	pid_t pid = fork();
	if (pid == 0) {
		char chunk[100];
		for (int i = 0; i < 3; i++) {
			memset(chunk, 'a' + i, sizeof chunk);
			usleep(30000);
			if (write(c, chunk, sizeof chunk) != sizeof chunk)
				_exit(1);
		}
		_exit(0);
	}
	n = recv(a, buf, 300, MSG_WAITALL);
	show("recv MSG_WAITALL 300", n);
	int okdata = n == 300;
	for (int i = 0; okdata && i < 300; i++)
		okdata = buf[i] == 'a' + i / 100;
	printf("waitall data ok: %d\n", okdata);
	int st;
	waitpid(pid, &st, 0);
	printf("waitall child exit: %d\n", WIFEXITED(st) ? WEXITSTATUS(st) : -1);

	/* --- receiving nothing: EAGAIN while nothing is there, then 0, and
	 * the data stays --- */
	{
		struct sockaddr_storage from;
		socklen_t fl = sizeof from;
		show("recv0 empty", recv(a, buf, 0, MSG_DONTWAIT));
		show("recvfrom0 empty", recvfrom(a, buf, 0, MSG_DONTWAIT, (struct sockaddr *)&from, &fl));
		send(c, "zz", 2, 0);
		struct pollfd zp = {.fd = a, .events = POLLIN};
		poll(&zp, 1, 5000);
		show("recv0 with data", recv(a, buf, 0, MSG_DONTWAIT));
		fl = sizeof from;
		show("recvfrom0 with data", recvfrom(a, buf, 0, 0, (struct sockaddr *)&from, &fl));
		printf("recvfrom0 fromlen: %u\n", (unsigned)fl);
		struct msghdr zm = {0};
		show("recvmsg0 with data", recvmsg(a, &zm, 0));
		recv_show("recv after recv0", a, 64, MSG_DONTWAIT);
	}

	/* --- shutdown(SHUT_WR) --- */
	show("shutdown client SHUT_WR", shutdown(c, SHUT_WR));
	show("read server after SHUT_WR (EOF)", read(a, buf, sizeof buf));
	show("read server again (EOF)", read(a, buf, sizeof buf));
	show("write server back", write(a, "back", 4));
	recv_show("recv client back", c, 4, 0);
	got_sigpipe = 0;
	show("send client after own SHUT_WR NOSIGNAL", send(c, "x", 1, MSG_NOSIGNAL));
	printf("sigpipe=%d\n", got_sigpipe);
	got_sigpipe = 0;
	show("send client after own SHUT_WR", send(c, "x", 1, 0));
	printf("sigpipe=%d\n", got_sigpipe);
	got_sigpipe = 0;
	/* An empty send checks the same state as any other. */
	show("send0 client after own SHUT_WR", send(c, "", 0, 0));
	printf("sigpipe=%d\n", got_sigpipe);
	got_sigpipe = 0;
	show("send0 server", send(a, "", 0, 0));
	show("sendmsg0 server", sendmsg(a, &(struct msghdr){0}, 0));

	/* --- close -> EOF --- */
	close(a);
	show("read client after server close (EOF)", read(c, buf, sizeof buf));
	close(c);

	/* --- shutdown(SHUT_RD) --- */
	{
		int rc, rs;
		connect_pair(s, port, &rc, &rs);
		show("shutdown client SHUT_RD", shutdown(rc, SHUT_RD));
		show("recv client after SHUT_RD", recv(rc, buf, sizeof buf, 0));
		show("recv client after SHUT_RD DONTWAIT", recv(rc, buf, sizeof buf, MSG_DONTWAIT));
		show("send client after SHUT_RD", send(rc, "ok", 2, 0));
		recv_show("recv server", rs, 2, 0);
		/* Linux still queues data that arrives after SHUT_RD. */
		show("send server to SHUT_RD peer", send(rs, "late", 4, 0));
		usleep(200000);
		recv_show("recv client after SHUT_RD, data arrived", rc, 64, MSG_DONTWAIT);
		show("recv client after SHUT_RD, drained", recv(rc, buf, sizeof buf, MSG_DONTWAIT));
		show("shutdown client SHUT_RD again", shutdown(rc, SHUT_RD));
		show("shutdown client SHUT_RDWR", shutdown(rc, SHUT_RDWR));
		show("shutdown bad how", shutdown(rc, 7));
		close(rc);
		close(rs);
	}

	/* --- errors --- */
	{
		/* A bound but not listening socket: connecting to it is refused. */
		int b = tcp_sock();
		bind(b, (struct sockaddr *)&any0, sizeof any0);
		len = sizeof ss;
		getsockname(b, (struct sockaddr *)&ss, &len);
		struct sockaddr_in nol = sin4("127.0.0.1", sa_port(&ss));
		int x = tcp_sock();
		show("connect no listener", connect(x, (struct sockaddr *)&nol, sizeof nol));
		show("connect no listener again", connect(x, (struct sockaddr *)&nol, sizeof nol));
		close(x);
		close(b);
	}
	{
		/* A listener the program closed a moment ago: refused at once. */
		int cl = tcp_sock();
		struct sockaddr_in any = sin4("127.0.0.1", 0);
		bind(cl, (struct sockaddr *)&any, sizeof any);
		listen(cl, 4);
		len = sizeof ss;
		getsockname(cl, (struct sockaddr *)&ss, &len);
		struct sockaddr_in gone = sin4("127.0.0.1", sa_port(&ss));
		close(cl);
		int x = tcp_sock();
		show("connect closed listener", connect(x, (struct sockaddr *)&gone, sizeof gone));
		close(x);
	}
	{
		int ec, es;
		connect_pair(s, port, &ec, &es);
		show("connect already connected", connect(ec, (struct sockaddr *)&same, sizeof same));
		show("listen connected", listen(ec, 4));
		showfd("accept connected", accept(ec, NULL, NULL));
		int u = tcp_sock();
		len = sizeof ss;
		show("getpeername unconnected", getpeername(u, (struct sockaddr *)&ss, &len));
		showfd("accept unbound", accept(u, NULL, NULL));
		show("recv unconnected", recv(u, buf, sizeof buf, 0));
		show("send unconnected NOSIGNAL", send(u, "x", 1, MSG_NOSIGNAL));
		printf("sigpipe=%d\n", got_sigpipe);
		got_sigpipe = 0;
		show("shutdown unconnected", shutdown(u, SHUT_RDWR));
		struct sockaddr_in ub = sin4("127.0.0.1", 0);
		bind(u, (struct sockaddr *)&ub, sizeof ub);
		showfd("accept bound not listening", accept(u, NULL, NULL));
		close(u);
		close(ec);
		close(es);
	}

	/* --- EPIPE / SIGPIPE after the peer closed --- */
	{
		int pc, ps;
		connect_pair(s, port, &pc, &ps);
		close(ps);
		show("read after peer close (EOF)", read(pc, buf, sizeof buf));
		got_sigpipe = 0;
		/* TCP's CLOSE_WAIT: an empty send sends nothing, so no RST
		 * comes back, and does not fail. */
		show("send0 after peer close", send(pc, "", 0, 0));
		struct iovec e0 = {.iov_base = buf, .iov_len = 0};
		show("sendmsg0 after peer close", sendmsg(pc, &(struct msghdr){.msg_iov = &e0, .msg_iovlen = 1}, 0));
		printf("sigpipe=%d\n", got_sigpipe);
		show("send after peer close 1", send(pc, "x", 1, MSG_NOSIGNAL));
		printf("sigpipe=%d\n", got_sigpipe);
		/* The closed peer answers with RST; wait for it. */
		struct pollfd p = {.fd = pc, .events = 0};
		int r = poll(&p, 1, 5000);
		print_revents("poll after rst", r, p.revents);
		int err = -1;
		len = sizeof err;
		getsockopt(pc, SOL_SOCKET, SO_ERROR, &err, &len);
		printf("SO_ERROR after rst: %s\n", err ? errname(err) : "0");
		got_sigpipe = 0;
		show("send after rst NOSIGNAL", send(pc, "x", 1, MSG_NOSIGNAL));
		printf("sigpipe=%d\n", got_sigpipe);
		got_sigpipe = 0;
		show("send after rst", send(pc, "x", 1, 0));
		printf("sigpipe=%d\n", got_sigpipe);
		got_sigpipe = 0;
		show("write after rst", write(pc, "x", 1));
		printf("sigpipe=%d\n", got_sigpipe);
		show("read after rst", read(pc, buf, sizeof buf));
		close(pc);
	}
	{
		/* Peer closed with unread data: RST is sent immediately. */
		int pc, ps;
		connect_pair(s, port, &pc, &ps);
		show("send to peer that will not read", send(pc, "unread", 6, 0));
		struct pollfd p = {.fd = ps, .events = POLLIN};
		poll(&p, 1, 5000);
		close(ps);
		p.fd = pc;
		p.events = 0;
		int r = poll(&p, 1, 5000);
		print_revents("poll after close with unread data", r, p.revents);
		show("read after reset", read(pc, buf, sizeof buf));
		show("read after reset again", read(pc, buf, sizeof buf));
		close(pc);
	}
	{
		/* The same reset, seen by empty sends: the error once, then
		 * EPIPE (the connection is closed). */
		int pc, ps;
		connect_pair(s, port, &pc, &ps);
		send(pc, "unread", 6, 0);
		struct pollfd p = {.fd = ps, .events = POLLIN};
		poll(&p, 1, 5000);
		close(ps);
		p.fd = pc;
		p.events = 0;
		poll(&p, 1, 5000);
		show("send0 after reset", send(pc, "", 0, MSG_NOSIGNAL));
		show("send0 after reset again", send(pc, "", 0, MSG_NOSIGNAL));
		close(pc);
	}

	close(s);
	printf("done\n");
	return 0;
}
