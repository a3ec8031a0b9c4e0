/* sock_errors.c - error paths of the socket system calls (TCP / AF_INET).
 *
 * Checks: socket() with bad family, type, flags and protocol;
 * socketpair(AF_INET) (EOPNOTSUPP); bind address length, family and pointer
 * checks, AF_UNSPEC compatibility, non-local address (EADDRNOTAVAIL);
 * listen on an unbound socket (autobind); connect with bad pointer/length;
 * accept with a bad address pointer, a bad length pointer and a negative
 * length, both on an empty non-blocking listener and with a pending
 * connection (Linux accepts and then drops the connection when copying the
 * address out fails); getsockname/getpeername with bad and short buffers
 * (truncation, full length written back); socket calls on a pipe (ENOTSOCK)
 * and on fd 999 (EBADF); send/recv with bad buffer pointers (EFAULT, data
 * stays queued) and sendto with an address on TCP sockets.
 */
/* spec: SOCK-02 SOCK-03 SOCK-04 OPS-01 OPS-02 BIND-03 BIND-04 BIND-06 BIND-13 NB-01 NB-02 TCP-03 */
/* spec: TCP-04 TCP-08 */
#include "common.h"
#include <poll.h>
#include <signal.h>

#include <stdint.h>

/* An invalid user pointer; laundered so the compiler does not warn. */
static void *bad_ptr(void)
{
	volatile uintptr_t p = 8;
	return (void *)p;
}
#define BADPTR bad_ptr()

static char abuf[128];

static int port_of(int fd)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof ss;
	getsockname(fd, (struct sockaddr *)&ss, &len);
	return sa_port(&ss);
}

static int listener(void)
{
	int l = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in a0 = sin4("127.0.0.1", 0);
	bind(l, (struct sockaddr *)&a0, sizeof a0);
	listen(l, 8);
	return l;
}

static int connect_to(int l)
{
	struct sockaddr_in a = sin4("127.0.0.1", port_of(l));
	int c = socket(AF_INET, SOCK_STREAM, 0);
	if (connect(c, (struct sockaddr *)&a, sizeof a) < 0)
		printf("connect_to: -1 %s\n", errname(errno));
	return c;
}

/* Wait until the listener has a pending connection. */
static void wait_pending(int l)
{
	struct pollfd p = {.fd = l, .events = POLLIN};
	poll(&p, 1, 5000);
}

static void on_fd(const char *what, int fd)
{
	char label[96];
	struct sockaddr_in a = sin4("127.0.0.1", 0);
	struct sockaddr_storage ss;
	socklen_t len;
	int v = 1;
	char buf[8];

#define L(name) (snprintf(label, sizeof label, "%s %s", name, what), label)
	show(L("bind"), bind(fd, (struct sockaddr *)&a, sizeof a));
	show(L("connect"), connect(fd, (struct sockaddr *)&a, sizeof a));
	show(L("listen"), listen(fd, 1));
	showfd(L("accept"), accept(fd, NULL, NULL));
	showfd(L("accept4"), accept4(fd, NULL, NULL, SOCK_CLOEXEC));
	len = sizeof ss;
	show(L("getsockname"), getsockname(fd, (struct sockaddr *)&ss, &len));
	len = sizeof ss;
	show(L("getpeername"), getpeername(fd, (struct sockaddr *)&ss, &len));
	show(L("setsockopt"), setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &v, sizeof v));
	len = sizeof v;
	show(L("getsockopt"), getsockopt(fd, SOL_SOCKET, SO_TYPE, &v, &len));
	show(L("shutdown"), shutdown(fd, SHUT_RDWR));
	show(L("send"), send(fd, "x", 1, MSG_NOSIGNAL));
	show(L("sendto"), sendto(fd, "x", 1, MSG_NOSIGNAL, (struct sockaddr *)&a, sizeof a));
	show(L("recv"), recv(fd, buf, sizeof buf, MSG_DONTWAIT));
	show(L("recvfrom"), recvfrom(fd, buf, sizeof buf, MSG_DONTWAIT, NULL, NULL));
#undef L
}

int main(void)
{
	common_init();
	signal(SIGPIPE, SIG_IGN);

	/* --- socket() / socketpair() --- */
	showfd("socket bad family 12345", socket(12345, SOCK_STREAM, 0));
	showfd("socket bad family -1", socket(-1, SOCK_STREAM, 0));
	showfd("socket bad type 12345", socket(AF_INET, 12345, 0));
	showfd("socket bad type 99", socket(AF_INET, 99, 0));
	showfd("socket bad type -1", socket(AF_INET, -1, 0));
	showfd("socket STREAM IPPROTO_UDP", socket(AF_INET, SOCK_STREAM, IPPROTO_UDP));
	showfd("socket STREAM protocol 1000", socket(AF_INET, SOCK_STREAM, 1000));
	showfd("socket STREAM protocol -1", socket(AF_INET, SOCK_STREAM, -1));
	{
		int s = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, IPPROTO_TCP);
		showfd("socket STREAM|NONBLOCK|CLOEXEC IPPROTO_TCP", s);
		printf("flags: cloexec=%d nonblock=%d\n", fd_cloexec(s), fd_nonblock(s));
		close(s);
	}
	{
		int sv[2] = {-1, -1};
		show("socketpair AF_INET STREAM", socketpair(AF_INET, SOCK_STREAM, 0, sv));
		show("socketpair AF_INET6 STREAM", socketpair(AF_INET6, SOCK_STREAM, 0, sv));
	}

	/* --- bind --- */
	{
		struct sockaddr_in a = sin4("127.0.0.1", 0);
		int s = socket(AF_INET, SOCK_STREAM, 0);
		show("bind addrlen 0", bind(s, (struct sockaddr *)&a, 0));
		show("bind addrlen 8", bind(s, (struct sockaddr *)&a, 8));
		show("bind addrlen 15", bind(s, (struct sockaddr *)&a, 15));
		show("bind addrlen -1", bind(s, (struct sockaddr *)&a, (socklen_t)-1));
		struct sockaddr_storage big;
		memset(&big, 0, sizeof big);
		memcpy(&big, &a, sizeof a);
		char huge[256];
		memset(huge, 0, sizeof huge);
		memcpy(huge, &a, sizeof a);
		show("bind addrlen 129", bind(s, (struct sockaddr *)huge, 129));
		struct sockaddr_in6 a6 = sin6("::1", 0);
		show("bind AF_INET6 addr on AF_INET socket", bind(s, (struct sockaddr *)&a6, sizeof a6));
		show("bind bad pointer", bind(s, BADPTR, sizeof a));
		show("bind NULL pointer", bind(s, NULL, sizeof a));
		struct sockaddr_in far = sin4("10.1.2.3", 0);
		show("bind 10.1.2.3 (not local)", bind(s, (struct sockaddr *)&far, sizeof far));
		struct sockaddr_in unspec = sin4("127.0.0.1", 0);
		unspec.sin_family = AF_UNSPEC;
		show("bind AF_UNSPEC 127.0.0.1", bind(s, (struct sockaddr *)&unspec, sizeof unspec));
		show("bind addrlen 128 (valid sin)", bind(s, (struct sockaddr *)&big, 128));
		close(s);

		s = socket(AF_INET, SOCK_STREAM, 0);
		unspec = sin4("0.0.0.0", 0);
		unspec.sin_family = AF_UNSPEC;
		show("bind AF_UNSPEC 0.0.0.0", bind(s, (struct sockaddr *)&unspec, sizeof unspec));
		struct sockaddr_storage ss;
		socklen_t len = sizeof ss;
		getsockname(s, (struct sockaddr *)&ss, &len);
		printf("bound: %s len=%u port>0=%d\n", fmt_addr(&ss, abuf, sizeof abuf), len, sa_port(&ss) > 0);
		close(s);
	}

	/* --- listen on an unbound socket autobinds --- */
	{
		int s = socket(AF_INET, SOCK_STREAM, 0);
		show("listen unbound", listen(s, 4));
		struct sockaddr_storage ss;
		socklen_t len = sizeof ss;
		show("getsockname", getsockname(s, (struct sockaddr *)&ss, &len));
		printf("autobound: %s len=%u port>0=%d\n", fmt_addr(&ss, abuf, sizeof abuf), len, sa_port(&ss) > 0);
		show("listen again (new backlog)", listen(s, 8));
		show("listen negative backlog", listen(s, -1));
		close(s);
	}

	/* --- connect --- */
	{
		int l = listener();
		struct sockaddr_in a = sin4("127.0.0.1", port_of(l));
		int s = socket(AF_INET, SOCK_STREAM, 0);
		show("connect bad pointer", connect(s, BADPTR, sizeof a));
		show("connect addrlen 0", connect(s, (struct sockaddr *)&a, 0));
		show("connect addrlen 8", connect(s, (struct sockaddr *)&a, 8));
		show("connect addrlen 129", connect(s, (struct sockaddr *)&a, 129));
		struct sockaddr_in6 a6 = sin6("::1", port_of(l));
		show("connect AF_INET6 addr on AF_INET socket", connect(s, (struct sockaddr *)&a6, sizeof a6));
		struct sockaddr_in un = a;
		un.sin_family = AF_UNSPEC;
		show("connect AF_UNSPEC unconnected", connect(s, (struct sockaddr *)&un, sizeof un));
		show("connect valid after errors", connect(s, (struct sockaddr *)&a, sizeof a));
		int x = accept(l, NULL, NULL);
		close(x);
		close(s);
		close(l);
	}

	/* --- accept with bad arguments --- */
	{
		int l = listener();
		fcntl(l, F_SETFL, O_NONBLOCK);
		socklen_t len = sizeof(struct sockaddr_in);
		showfd("accept empty, bad addr", accept(l, BADPTR, &len));
		showfd("accept empty, bad len ptr", accept(l, (struct sockaddr *)abuf, BADPTR));
		len = (socklen_t)-1;
		showfd("accept empty, negative len", accept(l, (struct sockaddr *)abuf, &len));

		char buf[16];
		int c = connect_to(l);
		wait_pending(l);
		len = sizeof(struct sockaddr_in);
		showfd("accept pending, bad addr", accept(l, BADPTR, &len));
		showfd("accept after failed one (queue)", accept(l, NULL, NULL));
		struct pollfd p = {.fd = c, .events = POLLIN};
		poll(&p, 1, 5000);
		show("client read after failed accept", recv(c, buf, sizeof buf, MSG_DONTWAIT));
		close(c);

		c = connect_to(l);
		wait_pending(l);
		len = (socklen_t)-1;
		showfd("accept pending, negative len", accept(l, (struct sockaddr *)abuf, &len));
		showfd("accept after failed one (queue)", accept(l, NULL, NULL));
		p.fd = c;
		poll(&p, 1, 5000);
		show("client read after failed accept", recv(c, buf, sizeof buf, MSG_DONTWAIT));
		close(c);

		c = connect_to(l);
		wait_pending(l);
		showfd("accept pending, bad len ptr", accept(l, (struct sockaddr *)abuf, BADPTR));
		showfd("accept after failed one (queue)", accept(l, NULL, NULL));
		p.fd = c;
		poll(&p, 1, 5000);
		show("client read after failed accept", recv(c, buf, sizeof buf, MSG_DONTWAIT));
		close(c);

		c = connect_to(l);
		wait_pending(l);
		struct sockaddr_in small;
		memset(&small, 0xAA, sizeof small);
		len = 0;
		int a = accept(l, (struct sockaddr *)&small, &len);
		showfd("accept pending, len 0", a);
		printf("accept len 0: len=%u untouched=%d\n", len, ((unsigned char *)&small)[0] == 0xAA);
		close(a);
		close(c);

		c = connect_to(l);
		wait_pending(l);
		a = accept4(l, NULL, NULL, 0x40000000);
		showfd("accept4 bad flags, pending", a);
		if (a >= 0)
			close(a);
		a = accept(l, NULL, NULL);
		showfd("accept after bad flags (queue)", a);
		close(a);
		close(c);
		close(l);
	}

	/* --- getsockname / getpeername --- */
	{
		int l = listener();
		int c = connect_to(l);
		int a = accept(l, NULL, NULL);
		struct sockaddr_in sin;
		socklen_t len;

		show("getsockname bad len ptr", getsockname(c, (struct sockaddr *)&sin, BADPTR));
		len = sizeof sin;
		show("getsockname bad addr ptr", getsockname(c, BADPTR, &len));
		show("getpeername bad len ptr", getpeername(c, (struct sockaddr *)&sin, BADPTR));
		len = sizeof sin;
		show("getpeername bad addr ptr", getpeername(c, BADPTR, &len));
		len = (socklen_t)-1;
		show("getsockname negative len", getsockname(c, (struct sockaddr *)&sin, &len));

		memset(&sin, 0xAA, sizeof sin);
		len = 4;
		show("getsockname len 4", getsockname(c, (struct sockaddr *)&sin, &len));
		printf("getsockname len 4: returned len=%u family=%s addr untouched=%d\n", len,
		       sin.sin_family == AF_INET ? "AF_INET" : "other",
		       sin.sin_addr.s_addr == 0xAAAAAAAAu);
		memset(&sin, 0xAA, sizeof sin);
		len = 4;
		show("getpeername len 4", getpeername(a, (struct sockaddr *)&sin, &len));
		printf("getpeername len 4: returned len=%u family=%s addr untouched=%d\n", len,
		       sin.sin_family == AF_INET ? "AF_INET" : "other",
		       sin.sin_addr.s_addr == 0xAAAAAAAAu);
		len = 0;
		show("getsockname len 0", getsockname(c, (struct sockaddr *)&sin, &len));
		printf("getsockname len 0: returned len=%u\n", len);
		struct sockaddr_storage ss;
		len = sizeof ss;
		show("getsockname len 128", getsockname(c, (struct sockaddr *)&ss, &len));
		printf("getsockname len 128: returned len=%u\n", len);

		/* --- data with bad pointers --- */
		show("send bad buffer", send(c, BADPTR, 10, MSG_NOSIGNAL));
		show("sendto bad buffer", sendto(c, BADPTR, 10, MSG_NOSIGNAL, NULL, 0));
		show("write bad buffer", write(c, BADPTR, 10));
		show("send valid", send(c, "abcdef", 6, 0));
		struct pollfd p = {.fd = a, .events = POLLIN};
		poll(&p, 1, 5000);
		show("recv bad buffer", recv(a, BADPTR, 10, 0));
		show("read bad buffer", read(a, BADPTR, 10));
		char buf[16];
		ssize_t n = recv(a, buf, sizeof buf, 0);
		printf("recv after EFAULT: %zd \"%.*s\"\n", n, n > 0 ? (int)n : 0, buf);
		show("send len 0", send(c, "", 0, 0));
		show("recv len 0", recv(a, buf, 0, MSG_DONTWAIT));

		/* sendto with an address on connected / unconnected TCP sockets */
		struct sockaddr_in other = sin4("127.0.0.1", 9);
		show("sendto connected with address", sendto(c, "zz", 2, 0, (struct sockaddr *)&other, sizeof other));
		n = recv(a, buf, sizeof buf, 0);
		printf("recv: %zd \"%.*s\"\n", n, n > 0 ? (int)n : 0, buf);
		show("sendto connected bad address ptr", sendto(c, "zz", 2, 0, BADPTR, sizeof other));
		int u = socket(AF_INET, SOCK_STREAM, 0);
		struct sockaddr_in la = sin4("127.0.0.1", port_of(l));
		show("sendto unconnected with address", sendto(u, "zz", 2, MSG_NOSIGNAL, (struct sockaddr *)&la, sizeof la));
		close(u);
		close(a);
		close(c);
		close(l);
	}

	/* --- non-socket fds --- */
	{
		int pp[2];
		show("pipe", pipe(pp));
		on_fd("on pipe", pp[0]);
		on_fd("on fd 999", 999);
		close(pp[0]);
		close(pp[1]);
	}

	printf("done\n");
	return 0;
}
