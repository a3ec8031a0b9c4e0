/* tcp_nonblock.c - non-blocking TCP, poll and epoll over 127.0.0.1.
 *
 * Checks: non-blocking connect to a listener (EINPROGRESS, even over the
 * loopback), POLLOUT + SO_ERROR 0 on completion, connect again after
 * completion (0, then EISCONN); non-blocking connect to a port without
 * listener (EINPROGRESS, then ECONNREFUSED from SO_ERROR or the next
 * connect, ECONNABORTED after SO_ERROR took it, and a new attempt);
 * accept on an empty non-blocking listener (EAGAIN), POLLIN on a listener
 * once a client connected; level- and edge-triggered epoll on an accepted
 * socket (EPOLLIN on data, EPOLLRDHUP/EPOLLHUP on peer close and shutdown,
 * EPOLLERR on reset); MSG_DONTWAIT on an empty blocking socket (EAGAIN);
 * back-pressure: a non-blocking writer fills the pipe until EAGAIN, then
 * the reader drains everything and the byte counts match.
 */
/* spec: STATE-03 FLAG-07 ERR-02 SO-08 NB-01 NB-02 NB-03 NB-04 NB-05 NB-06 NB-08 NB-09 TCP-09 */
/* spec: TCP-11 TCP-14 */
#include "common.h"
#include <poll.h>
#include <sys/epoll.h>


static void print_poll(const char *label, int r, short re)
{
	if (r < 0) {
		printf("%s: -1 %s\n", label, errname(errno));
		return;
	}
	printf("%s: %d%s%s%s%s%s%s\n", label, r,
	       re & POLLIN ? " POLLIN" : "", re & POLLPRI ? " POLLPRI" : "",
	       re & POLLOUT ? " POLLOUT" : "", re & POLLERR ? " POLLERR" : "",
	       re & POLLHUP ? " POLLHUP" : "", re & POLLRDHUP ? " POLLRDHUP" : "");
}

static void poll_show(const char *label, int fd, short events, int timeout)
{
	struct pollfd p = {.fd = fd, .events = events};
	int r = poll(&p, 1, timeout);
	print_poll(label, r, p.revents);
}

static void epoll_show(const char *label, int ep, int timeout)
{
	struct epoll_event ev[4];
	int r = epoll_wait(ep, ev, 4, timeout);
	if (r < 0) {
		printf("%s: -1 %s\n", label, errname(errno));
		return;
	}
	printf("%s: %d", label, r);
	for (int i = 0; i < r; i++) {
		unsigned e = ev[i].events;
		printf(" [tag=%lu%s%s%s%s%s%s]", (unsigned long)ev[i].data.u64,
		       e & EPOLLIN ? " EPOLLIN" : "", e & EPOLLPRI ? " EPOLLPRI" : "",
		       e & EPOLLOUT ? " EPOLLOUT" : "", e & EPOLLERR ? " EPOLLERR" : "",
		       e & EPOLLHUP ? " EPOLLHUP" : "", e & EPOLLRDHUP ? " EPOLLRDHUP" : "");
	}
	printf("\n");
}

static int epoll_add(int fd, unsigned events, unsigned long tag)
{
	int ep = epoll_create1(EPOLL_CLOEXEC);
	struct epoll_event ev = {.events = events};
	ev.data.u64 = tag;
	if (epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev) < 0)
		printf("epoll_ctl: -1 %s\n", errname(errno));
	return ep;
}

static int so_error(int fd)
{
	int err = -1;
	socklen_t len = sizeof err;
	if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0)
		return -errno;
	return err;
}

int main(void)
{
	char buf[65536];
	int port;

	common_init();
	int l = tcp_listener(&port);
	struct sockaddr_in la = sin4("127.0.0.1", port);

	/* --- non-blocking connect to a listener --- */
	{
		int c = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
		/* Always EINPROGRESS, even over the loopback: the SYN-ACK is
		 * processed after the call. */
		show("connect", connect(c, (struct sockaddr *)&la, sizeof la));
		poll_show("poll POLLOUT after connect", c, POLLOUT, 5000);
		int e = so_error(c);
		printf("SO_ERROR after connect: %s\n", e ? errname(e < 0 ? -e : e) : "0");
		/* The socket is still SS_CONNECTING: 0 once, then EISCONN. */
		show("connect again", connect(c, (struct sockaddr *)&la, sizeof la));
		show("connect third time", connect(c, (struct sockaddr *)&la, sizeof la));
		int a = accept(l, NULL, NULL);
		showfd("accept", a);
		show("send on nb client", send(c, "hi", 2, 0));
		poll_show("poll POLLIN server", a, POLLIN, 5000);
		show("recv server", recv(a, buf, sizeof buf, 0));
		show("recv nb client empty", recv(c, buf, sizeof buf, 0));
		show("read nb client empty", read(c, buf, sizeof buf));
		close(a);
		close(c);
	}

	/* --- non-blocking connect to a port with no listener --- */
	{
		int b = socket(AF_INET, SOCK_STREAM, 0);
		struct sockaddr_in z = sin4("127.0.0.1", 0);
		struct sockaddr_storage ss;
		socklen_t len = sizeof ss;
		bind(b, (struct sockaddr *)&z, sizeof z);
		getsockname(b, (struct sockaddr *)&ss, &len);
		struct sockaddr_in na = sin4("127.0.0.1", sa_port(&ss));

		int c = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
		/* EINPROGRESS too: the RST comes after the call. */
		show("connect closed port", connect(c, (struct sockaddr *)&na, sizeof na));
		poll_show("poll closed port", c, POLLOUT, 5000);
		int e = so_error(c);
		printf("SO_ERROR closed port: %s\n", e ? errname(e < 0 ? -e : e) : "0");
		/* Called again on the failed SS_CONNECTING socket: its error,
		 * or ECONNABORTED once SO_ERROR took it. */
		show("connect closed port again", connect(c, (struct sockaddr *)&na, sizeof na));
		e = so_error(c);
		printf("SO_ERROR again: %s\n", e ? errname(e < 0 ? -e : e) : "0");
		/* SS_UNCONNECTED again: a new attempt, refused the same way. */
		show("connect closed port third", connect(c, (struct sockaddr *)&na, sizeof na));
		struct pollfd p = {.fd = c, .events = POLLOUT};
		poll(&p, 1, 5000);
		show("connect closed port fourth", connect(c, (struct sockaddr *)&na, sizeof na));
		len = sizeof ss;
		show("getpeername after refused", getpeername(c, (struct sockaddr *)&ss, &len));
		close(c);
		close(b);
	}

	/* --- non-blocking listener --- */
	{
		fcntl(l, F_SETFL, fcntl(l, F_GETFL) | O_NONBLOCK);
		showfd("accept empty nb listener", accept(l, NULL, NULL));
		showfd("accept4 empty nb listener", accept4(l, NULL, NULL, SOCK_NONBLOCK));
		poll_show("poll listener empty", l, POLLIN | POLLOUT, 0);
		int c = socket(AF_INET, SOCK_STREAM, 0);
		show("connect blocking", connect(c, (struct sockaddr *)&la, sizeof la));
		poll_show("poll listener after connect", l, POLLIN | POLLOUT, 5000);
		int a = accept(l, NULL, NULL);
		showfd("accept pending", a);
		showfd("accept empty again", accept(l, NULL, NULL));
		fcntl(l, F_SETFL, fcntl(l, F_GETFL) & ~O_NONBLOCK);
		close(a);
		close(c);
	}

	/* --- epoll level-triggered --- */
	{
		int c, a;
		connect_pair(l, port, &c, &a);
		int ep = epoll_add(a, EPOLLIN | EPOLLRDHUP, 1);
		epoll_show("LT idle", ep, 0);
		show("peer write", write(c, "abc", 3));
		epoll_show("LT after peer write", ep, 5000);
		epoll_show("LT again (still readable)", ep, 0);
		show("read", read(a, buf, sizeof buf));
		epoll_show("LT after read", ep, 0);
		struct epoll_event ev = {.events = EPOLLIN | EPOLLOUT | EPOLLRDHUP};
		ev.data.u64 = 2;
		show("epoll_ctl MOD with EPOLLOUT", epoll_ctl(ep, EPOLL_CTL_MOD, a, &ev));
		epoll_show("LT writable", ep, 0);
		ev.events = EPOLLIN | EPOLLRDHUP;
		ev.data.u64 = 3;
		epoll_ctl(ep, EPOLL_CTL_MOD, a, &ev);
		show("epoll_ctl ADD again", epoll_ctl(ep, EPOLL_CTL_ADD, a, &ev));
		close(c);
		epoll_show("LT after peer close", ep, 5000);
		show("read EOF", read(a, buf, sizeof buf));
		show("shutdown SHUT_WR", shutdown(a, SHUT_WR));
		epoll_show("LT after own SHUT_WR", ep, 5000);
		poll_show("poll after both shut", a, POLLIN | POLLOUT | POLLRDHUP, 0);
		close(ep);
		close(a);
	}

	/* --- epoll edge-triggered --- */
	{
		int c, a;
		connect_pair(l, port, &c, &a);
		int ep = epoll_add(a, EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET, 7);
		epoll_show("ET initial", ep, 0);
		epoll_show("ET initial again", ep, 0);
		show("peer write 1", write(c, "abc", 3));
		epoll_show("ET after peer write 1", ep, 5000);
		epoll_show("ET again (edge consumed)", ep, 0);
		show("peer write 2", write(c, "defg", 4));
		epoll_show("ET after peer write 2", ep, 5000);
		show("read all", read(a, buf, sizeof buf));
		epoll_show("ET after read", ep, 0);
		close(c);
		epoll_show("ET after peer close", ep, 5000);
		epoll_show("ET again after peer close", ep, 0);
		show("shutdown SHUT_WR", shutdown(a, SHUT_WR));
		epoll_show("ET after own SHUT_WR", ep, 5000);
		close(ep);
		close(a);
	}

	/* --- epoll on reset --- */
	{
		int c, a;
		connect_pair(l, port, &c, &a);
		show("send to client that will not read", send(a, "xyz", 3, 0));
		poll_show("poll client readable", c, POLLIN, 5000);
		int ep = epoll_add(a, EPOLLIN | EPOLLRDHUP, 9);
		close(c); /* unread data: RST */
		epoll_show("LT after peer reset", ep, 5000);
		int e = so_error(a);
		printf("SO_ERROR after reset: %s\n", e ? errname(e < 0 ? -e : e) : "0");
		show("read after reset", read(a, buf, sizeof buf));
		close(ep);
		close(a);
	}

	/* --- MSG_DONTWAIT on an empty blocking socket --- */
	{
		int c, a;
		connect_pair(l, port, &c, &a);
		show("recv MSG_DONTWAIT empty", recv(a, buf, sizeof buf, MSG_DONTWAIT));
		printf("socket still blocking: nonblock=%d\n", fd_nonblock(a));
		poll_show("poll empty", a, POLLIN, 0);
		show("send", send(c, "z", 1, 0));
		poll_show("poll after send", a, POLLIN, 5000);
		show("recv MSG_DONTWAIT data", recv(a, buf, sizeof buf, MSG_DONTWAIT));
		show("send MSG_DONTWAIT", send(a, "ok", 2, MSG_DONTWAIT));
		close(c);
		close(a);
	}

	/* --- back-pressure --- */
	{
		int c, a;
		connect_pair(l, port, &c, &a);
		fcntl(c, F_SETFL, fcntl(c, F_GETFL) | O_NONBLOCK);
		memset(buf, 'w', sizeof buf);
		long total = 0;
		int eagain = 0;
		for (int i = 0; i < 100000; i++) {
			ssize_t r = write(c, buf, sizeof buf);
			if (r < 0) {
				if (errno == EAGAIN)
					eagain = 1;
				else
					printf("write: -1 %s\n", errname(errno));
				break;
			}
			total += r;
		}
		if (eagain)
			printf("eagain reached\n");
		printf("written > 0: %d\n", total > 0);
		show("write again", write(c, buf, 1));
		poll_show("poll writer full", c, POLLOUT, 0);
		show("shutdown writer SHUT_WR", shutdown(c, SHUT_WR));
		long got = 0;
		int bad = 0;
		for (;;) {
			ssize_t r = read(a, buf, sizeof buf);
			if (r <= 0) {
				if (r < 0)
					printf("read: -1 %s\n", errname(errno));
				break;
			}
			for (ssize_t i = 0; i < r; i++)
				bad |= buf[i] != 'w';
			got += r;
		}
		printf("read everything: equal=%d data ok=%d\n", got == total, !bad);
		poll_show("poll writer after drain", c, POLLOUT, 5000);
		close(c);
		close(a);
	}

	close(l);
	printf("done\n");
	return 0;
}
