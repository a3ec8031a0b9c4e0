/* many_conns.c - 1000 concurrent TCP connections to the process's own
 * listener on 127.0.0.1, all driven by one epoll loop.
 *
 * Every client connects (non-blocking), sends 1 KiB of a pattern unique to
 * it, and reads the 1 KiB echoed back by the server side, which the same
 * loop serves. No connection is closed before all 1000 are verified, so all
 * 1000 (2000 sockets) are open at once. Prints "1000 ok" on success.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#define NCONN 1000
#define LEN 1024
#define MAXFD 8192

enum { NONE, LISTENER, CLIENT, SERVER };

struct conn {
	int role;
	int idx;       /* client number */
	int connected; /* client: connect finished */
	size_t sent, rcvd;
	unsigned char buf[LEN]; /* client: received; server: pending echo */
	size_t off, len;        /* server: pending echo is buf[off:len] */
	int eof;                /* server: peer shut down */
	unsigned events;
	int registered; /* in the epoll set */
};

static struct conn conns[MAXFD];
static int ep;

static void die(const char *what)
{
	printf("FAIL %s: %s\n", what, strerror(errno));
	exit(1);
}

static unsigned char pat(int i, size_t j)
{
	return (unsigned char)(i * 37 + j * 11 + (j >> 7) * (i >> 2) + 1);
}

static void want(int fd, unsigned events)
{
	struct conn *c = &conns[fd];
	if (c->registered && c->events == events)
		return;
	struct epoll_event ev = { .events = events, .data.fd = fd };
	if (epoll_ctl(ep, c->registered ? EPOLL_CTL_MOD : EPOLL_CTL_ADD, fd, &ev) < 0)
		die("epoll_ctl");
	c->events = events;
	c->registered = 1;
}

int main(void)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	alarm(60);

	struct rlimit rl;
	if (getrlimit(RLIMIT_NOFILE, &rl) < 0)
		die("getrlimit");
	if (rl.rlim_cur < 4096) {
		rl.rlim_cur = 4096;
		if (rl.rlim_max < 4096)
			rl.rlim_max = 4096;
		if (setrlimit(RLIMIT_NOFILE, &rl) < 0)
			die("setrlimit RLIMIT_NOFILE 4096");
	}

	ep = epoll_create1(EPOLL_CLOEXEC);
	if (ep < 0)
		die("epoll_create1");

	int lfd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (lfd < 0)
		die("socket listen");
	struct sockaddr_in sa = { .sin_family = AF_INET };
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (bind(lfd, (struct sockaddr *)&sa, sizeof sa) < 0)
		die("bind");
	if (listen(lfd, 4096) < 0)
		die("listen");
	socklen_t sl = sizeof sa;
	if (getsockname(lfd, (struct sockaddr *)&sa, &sl) < 0)
		die("getsockname");
	conns[lfd].role = LISTENER;
	want(lfd, EPOLLIN);

	for (int i = 0; i < NCONN; i++) {
		int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
		if (fd < 0)
			die("socket client");
		if (fd >= MAXFD) {
			printf("FAIL fd %d too large\n", fd);
			return 1;
		}
		struct conn *c = &conns[fd];
		memset(c, 0, sizeof *c);
		c->role = CLIENT;
		c->idx = i;
		if (connect(fd, (struct sockaddr *)&sa, sizeof sa) == 0)
			c->connected = 1;
		else if (errno != EINPROGRESS)
			die("connect");
		want(fd, EPOLLOUT);
	}

	int accepted = 0, verified = 0;
	while (verified < NCONN) {
		struct epoll_event evs[256];
		int n = epoll_wait(ep, evs, 256, 10000);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			die("epoll_wait");
		}
		if (n == 0) {
			printf("FAIL stalled: %d accepted, %d verified\n", accepted, verified);
			return 1;
		}
		for (int k = 0; k < n; k++) {
			int fd = evs[k].data.fd;
			unsigned e = evs[k].events;
			struct conn *c = &conns[fd];
			switch (c->role) {
			case LISTENER:
				for (;;) {
					int a = accept4(lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
					if (a < 0) {
						if (errno == EAGAIN)
							break;
						die("accept4");
					}
					if (a >= MAXFD) {
						printf("FAIL fd %d too large\n", a);
						return 1;
					}
					accepted++;
					if (accepted > NCONN) {
						printf("FAIL more than %d connections accepted\n", NCONN);
						return 1;
					}
					memset(&conns[a], 0, sizeof conns[a]);
					conns[a].role = SERVER;
					want(a, EPOLLIN);
				}
				break;
			case SERVER:
				if ((e & (EPOLLIN | EPOLLHUP | EPOLLERR)) && c->len < LEN && !c->eof) {
					ssize_t r = read(fd, c->buf + c->len, LEN - c->len);
					if (r > 0)
						c->len += r;
					else if (r == 0)
						c->eof = 1;
					else if (errno != EAGAIN)
						die("server read");
				}
				while (c->off < c->len) {
					ssize_t w = write(fd, c->buf + c->off, c->len - c->off);
					if (w < 0) {
						if (errno == EAGAIN)
							break;
						die("server write");
					}
					c->off += w;
				}
				if (c->off == c->len)
					c->off = c->len = 0;
				want(fd, (c->len < LEN && !c->eof ? EPOLLIN : 0) | (c->len ? EPOLLOUT : 0));
				break;
			case CLIENT:
				if (!c->connected) {
					int err = 0;
					socklen_t el = sizeof err;
					if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &el) < 0)
						die("getsockopt SO_ERROR");
					if (err != 0) {
						printf("FAIL client %d: connect: %s\n", c->idx, strerror(err));
						return 1;
					}
					c->connected = 1;
				}
				while (c->sent < LEN) {
					unsigned char out[LEN];
					for (size_t j = c->sent; j < LEN; j++)
						out[j - c->sent] = pat(c->idx, j);
					ssize_t w = write(fd, out, LEN - c->sent);
					if (w < 0) {
						if (errno == EAGAIN)
							break;
						die("client write");
					}
					c->sent += w;
				}
				if (c->rcvd < LEN && (e & (EPOLLIN | EPOLLHUP | EPOLLERR))) {
					ssize_t r = read(fd, c->buf + c->rcvd, LEN - c->rcvd);
					if (r < 0 && errno != EAGAIN)
						die("client read");
					if (r == 0) {
						printf("FAIL client %d: EOF after %zu bytes\n", c->idx, c->rcvd);
						return 1;
					}
					if (r > 0) {
						c->rcvd += r;
						if (c->rcvd == LEN) {
							for (size_t j = 0; j < LEN; j++)
								if (c->buf[j] != pat(c->idx, j)) {
									printf("FAIL client %d: byte %zu differs\n", c->idx, j);
									return 1;
								}
							verified++;
						}
					}
				}
				want(fd, (c->sent < LEN ? EPOLLOUT : 0) | (c->rcvd < LEN ? EPOLLIN : 0));
				if (c->sent == LEN && c->rcvd == LEN) {
					/* done: keep it open, out of the epoll set */
					if (epoll_ctl(ep, EPOLL_CTL_DEL, fd, NULL) < 0)
						die("epoll_ctl del");
					c->events = 0;
					c->registered = 0;
					c->role = NONE;
				}
				break;
			default:
				break;
			}
		}
	}
	if (accepted != NCONN) {
		printf("FAIL %d connections accepted, want %d\n", accepted, NCONN);
		return 1;
	}
	printf("%d ok\n", verified);
	return 0;
}
