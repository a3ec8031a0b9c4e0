/* tcp_oob.c - TCP urgent data: send(MSG_OOB) marks the last byte, the
 * reader gets it with recv(MSG_OOB) and the rest in order, SIOCATMARK
 * tells where the mark is, POLLPRI/EPOLLPRI announce it, SIGURG goes to
 * the owner (F_SETOWN), SO_OOBINLINE leaves the byte in the stream
 * (recv(MSG_OOB) then EINVAL), and recv(MSG_OOB) without urgent data is
 * EINVAL; MSG_OOB on UDP; an accepted connection inheriting its
 * listener's SO_RCVTIMEO and SO_OOBINLINE.
 */
/* spec: TCP-06 FLAG-01 FLAG-19 ASYNC-10 SO-15 */
#include "common.h"
#include <poll.h>
#include <signal.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>

static volatile sig_atomic_t urgs;

static void on_urg(int sig)
{
	(void)sig;
	urgs++;
}

static void pair(int *c, int *a)
{
	int l = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	bind(l, (struct sockaddr *)&sa, sizeof sa);
	listen(l, 1);
	socklen_t len = sizeof sa;
	getsockname(l, (struct sockaddr *)&sa, &len);
	*c = socket(AF_INET, SOCK_STREAM, 0);
	connect(*c, (struct sockaddr *)&sa, sizeof sa);
	*a = accept(l, NULL, NULL);
	close(l);
	struct timeval tv = {2, 0};
	setsockopt(*a, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
}

static void wait_in(int fd)
{
	struct pollfd p = {fd, POLLIN | POLLPRI, 0};
	poll(&p, 1, 500);
}

static void atmark(const char *label, int fd)
{
	int m = -1;
	if (ioctl(fd, SIOCATMARK, &m) < 0)
		printf("%s: -1 %s\n", label, errname(errno));
	else
		printf("%s: %d\n", label, m);
}

static void rd(const char *label, int fd, int flags)
{
	char b[64];
	ssize_t n = recv(fd, b, sizeof b, flags);
	if (n < 0)
		printf("%s: -1 %s\n", label, errname(errno));
	else
		printf("%s: %zd %.*s\n", label, n, (int)n, b);
}

int main(void)
{
	common_init();
	signal(SIGURG, on_urg);
	int c, a;
	pair(&c, &a);
	fcntl(a, F_SETOWN, getpid());
	rd("recv OOB with none", a, MSG_OOB | MSG_DONTWAIT);
	atmark("atmark before", a);
	show("send normal", send(c, "hello", 5, 0));
	show("send OOB", send(c, "xyz", 3, MSG_OOB));
	wait_in(a);
	struct pollfd p = {a, POLLIN | POLLPRI, 0};
	poll(&p, 1, 0);
	printf("poll: %s%s\n", p.revents & POLLIN ? "POLLIN " : "", p.revents & POLLPRI ? "POLLPRI" : "");
	int ep = epoll_create1(0);
	struct epoll_event ev = {.events = EPOLLIN | EPOLLPRI}, out;
	epoll_ctl(ep, EPOLL_CTL_ADD, a, &ev);
	int n = epoll_wait(ep, &out, 1, 0);
	printf("epoll: %d%s%s\n", n, n > 0 && (out.events & EPOLLIN) ? " EPOLLIN" : "", n > 0 && (out.events & EPOLLPRI) ? " EPOLLPRI" : "");
	printf("SIGURG seen: %d\n", urgs > 0);
	atmark("atmark at start", a);
	rd("recv OOB", a, MSG_OOB);
	rd("recv OOB again", a, MSG_OOB | MSG_DONTWAIT);
	rd("recv up to mark", a, 0);
	atmark("atmark after reading to the mark", a);
	rd("recv rest", a, MSG_DONTWAIT);
	atmark("atmark at end", a);

	/* SO_OOBINLINE: the urgent byte stays in the stream. */
	int c2, a2;
	pair(&c2, &a2);
	int one = 1;
	show("set SO_OOBINLINE", setsockopt(a2, SOL_SOCKET, SO_OOBINLINE, &one, sizeof one));
	int v = -1;
	socklen_t vl = sizeof v;
	getsockopt(a2, SOL_SOCKET, SO_OOBINLINE, &v, &vl);
	printf("SO_OOBINLINE: %d\n", v);
	show("inline send normal", send(c2, "ab", 2, 0));
	show("inline send OOB", send(c2, "Z", 1, MSG_OOB));
	show("inline send after", send(c2, "cd", 2, 0));
	wait_in(a2);
	rd("inline recv OOB", a2, MSG_OOB | MSG_DONTWAIT);
	usleep(50000);
	char all[16];
	ssize_t got = 0;
	for (int i = 0; i < 5 && got < 5; i++) {
		ssize_t r = recv(a2, all + got, sizeof all - (size_t)got, MSG_DONTWAIT);
		if (r > 0)
			got += r;
		else
			usleep(20000);
	}
	printf("inline stream: %zd %.*s\n", got, (int)got, all);

	/* An accepted connection takes the listener's options (sk_clone_lock),
	 * those kept on netbox's placeholder included. */
	int l = socket(AF_INET, SOCK_STREAM, 0);
	struct timeval tv = {0, 300000};
	setsockopt(l, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
	setsockopt(l, SOL_SOCKET, SO_OOBINLINE, &one, sizeof one);
	struct sockaddr_in la = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	bind(l, (struct sockaddr *)&la, sizeof la);
	listen(l, 1);
	socklen_t ll = sizeof la;
	getsockname(l, (struct sockaddr *)&la, &ll);
	int c3 = socket(AF_INET, SOCK_STREAM, 0);
	connect(c3, (struct sockaddr *)&la, sizeof la);
	int a3 = accept(l, NULL, NULL);
	struct timeval got_tv = {-1, -1};
	socklen_t tl = sizeof got_tv;
	getsockopt(a3, SOL_SOCKET, SO_RCVTIMEO, &got_tv, &tl);
	printf("accepted SO_RCVTIMEO: %ld.%06ld\n", (long)got_tv.tv_sec, (long)got_tv.tv_usec);
	vl = sizeof v;
	getsockopt(a3, SOL_SOCKET, SO_OOBINLINE, &v, &vl);
	printf("accepted SO_OOBINLINE: %d\n", v);

	int u = socket(AF_INET, SOCK_DGRAM, 0);
	struct sockaddr_in d = {.sin_family = AF_INET, .sin_port = htons(9), .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	connect(u, (struct sockaddr *)&d, sizeof d);
	show("udp send OOB", send(u, "x", 1, MSG_OOB));
	rd("udp recv OOB", u, MSG_OOB | MSG_DONTWAIT);
	puts("done");
	return 0;
}
