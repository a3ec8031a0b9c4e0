/* epoll_echo.c - a non-blocking, epoll-driven echo server and a
 * non-blocking epoll client in one process, over 127.0.0.1.
 *
 * The client connects (0 or EINPROGRESS), waits for EPOLLOUT, checks
 * SO_ERROR, writes a 256 KiB message (partial writes and EAGAIN handled),
 * and reads the echo back on EPOLLIN. The server side buffers what it
 * reads and writes it back, asking for EPOLLOUT while it has data pending.
 * Prints "echo ok" on success; anything else is a failure (exit 1).
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#define MSG_LEN (256 * 1024)
#define SRV_BUF (16 * 1024)

static void die(const char *what)
{
	printf("FAIL %s: %s\n", what, strerror(errno));
	exit(1);
}

static int ep;

static void ctl(int op, int fd, unsigned events)
{
	struct epoll_event ev = { .events = events, .data.fd = fd };
	if (epoll_ctl(ep, op, fd, &ev) < 0)
		die("epoll_ctl");
}

int main(void)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	alarm(30);

	static unsigned char msg[MSG_LEN], got[MSG_LEN];
	for (size_t i = 0; i < MSG_LEN; i++)
		msg[i] = (unsigned char)(i * 131 + (i >> 9));

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
	if (listen(lfd, 16) < 0)
		die("listen");
	socklen_t sl = sizeof sa;
	if (getsockname(lfd, (struct sockaddr *)&sa, &sl) < 0)
		die("getsockname");
	ctl(EPOLL_CTL_ADD, lfd, EPOLLIN);

	int cfd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (cfd < 0)
		die("socket client");
	int connected = 0;
	if (connect(cfd, (struct sockaddr *)&sa, sizeof sa) == 0)
		connected = 1;
	else if (errno != EINPROGRESS)
		die("connect");
	ctl(EPOLL_CTL_ADD, cfd, EPOLLOUT);

	int sfd = -1; /* the accepted connection */
	static unsigned char sbuf[SRV_BUF];
	size_t slen = 0, soff = 0; /* pending echo bytes: sbuf[soff:slen] */
	int seof = 0;
	unsigned sev = 0;

	size_t sent = 0, rcvd = 0;
	int cwrite_done = 0;

	for (;;) {
		struct epoll_event evs[8];
		int n = epoll_wait(ep, evs, 8, 10000);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			die("epoll_wait");
		}
		if (n == 0) {
			printf("FAIL epoll_wait timed out (sent %zu, received %zu)\n", sent, rcvd);
			return 1;
		}
		for (int i = 0; i < n; i++) {
			int fd = evs[i].data.fd;
			unsigned e = evs[i].events;
			if (fd == lfd) {
				int a = accept4(lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
				if (a < 0) {
					if (errno == EAGAIN)
						continue;
					die("accept4");
				}
				if (sfd >= 0) {
					printf("FAIL second connection accepted\n");
					return 1;
				}
				sfd = a;
				sev = EPOLLIN;
				ctl(EPOLL_CTL_ADD, sfd, sev);
			} else if (fd == sfd) {
				if ((e & EPOLLIN) && slen < SRV_BUF && !seof) {
					ssize_t r = read(sfd, sbuf + slen, SRV_BUF - slen);
					if (r > 0)
						slen += r;
					else if (r == 0)
						seof = 1;
					else if (errno != EAGAIN)
						die("server read");
				}
				while (soff < slen) {
					ssize_t w = write(sfd, sbuf + soff, slen - soff);
					if (w < 0) {
						if (errno == EAGAIN)
							break;
						die("server write");
					}
					soff += w;
				}
				if (soff == slen)
					soff = slen = 0;
				if (seof && slen == 0) {
					ctl(EPOLL_CTL_DEL, sfd, 0);
					close(sfd);
					sfd = -2;
					continue;
				}
				unsigned want = (slen < SRV_BUF && !seof ? EPOLLIN : 0) |
						(slen > 0 ? EPOLLOUT : 0);
				if (want != sev) {
					sev = want;
					ctl(EPOLL_CTL_MOD, sfd, sev);
				}
			} else if (fd == cfd) {
				if (!connected) {
					if (!(e & (EPOLLOUT | EPOLLERR | EPOLLHUP)))
						continue;
					int err = 0;
					socklen_t el = sizeof err;
					if (getsockopt(cfd, SOL_SOCKET, SO_ERROR, &err, &el) < 0)
						die("getsockopt SO_ERROR");
					if (err != 0) {
						errno = err;
						die("connect (SO_ERROR)");
					}
					connected = 1;
				}
				if ((e & EPOLLOUT) && !cwrite_done) {
					while (sent < MSG_LEN) {
						ssize_t w = write(cfd, msg + sent, MSG_LEN - sent);
						if (w < 0) {
							if (errno == EAGAIN)
								break;
							die("client write");
						}
						sent += w;
					}
					if (sent == MSG_LEN) {
						cwrite_done = 1;
						if (shutdown(cfd, SHUT_WR) < 0)
							die("shutdown");
					}
				}
				if (e & EPOLLIN) {
					for (;;) {
						if (rcvd == MSG_LEN) {
							/* all echoed: expect EOF now */
							char extra;
							ssize_t r = read(cfd, &extra, 1);
							if (r == 0) {
								if (memcmp(msg, got, MSG_LEN) != 0) {
									printf("FAIL echoed bytes differ\n");
									return 1;
								}
								printf("echo ok\n");
								return 0;
							}
							if (r > 0) {
								printf("FAIL more bytes echoed than sent\n");
								return 1;
							}
							if (errno == EAGAIN)
								break;
							die("client read at end");
						}
						ssize_t r = read(cfd, got + rcvd, MSG_LEN - rcvd);
						if (r < 0) {
							if (errno == EAGAIN)
								break;
							die("client read");
						}
						if (r == 0) {
							printf("FAIL early EOF after %zu of %d bytes\n", rcvd, MSG_LEN);
							return 1;
						}
						rcvd += r;
					}
				}
				unsigned want = EPOLLIN | (cwrite_done ? 0 : EPOLLOUT);
				ctl(EPOLL_CTL_MOD, cfd, want);
			}
		}
	}
}
