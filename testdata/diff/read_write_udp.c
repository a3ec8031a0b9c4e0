/* read_write_udp.c - plain file I/O calls on connected UDP sockets.
 *
 * Checks: read()/write() and readv()/writev() on a pair of UDP sockets
 * connected to each other (one datagram per write, boundaries kept, a short
 * read() discards the rest of the datagram, read of 0 bytes does not consume
 * it, write()/send()/sendmsg() of 0 bytes send an empty datagram but
 * writev() with 0 bytes in total sends nothing), poll() reporting POLLOUT
 * always and POLLIN only while a datagram is queued, FIONREAD giving the
 * size of the first queued datagram (0 when empty, 0 for a queued empty
 * datagram), read() on an empty O_NONBLOCK socket (EAGAIN), write() on an
 * unconnected socket (EDESTADDRREQ), pread/pwrite (ESPIPE).
 */
/* spec: OPS-08 USEND-01 USEND-02 USEND-07 URECV-01 URECV-04 URECV-07 URECV-08 URECV-10 URECV-11 */
/* spec: NB-01 NB-02 NB-04 IO-01 IO-05 */
#include "common.h"
#include <poll.h>
#include <sys/ioctl.h>
#include <sys/uio.h>

static void poll_show(const char *label, int fd, int ms)
{
	struct pollfd p = { .fd = fd, .events = POLLIN | POLLOUT };
	int r = poll(&p, 1, ms);
	short re = p.revents;
	printf("%s: %d%s%s%s%s\n", label, r,
	       re & POLLIN ? " POLLIN" : "", re & POLLOUT ? " POLLOUT" : "",
	       re & POLLERR ? " POLLERR" : "", re & POLLHUP ? " POLLHUP" : "");
}

static void wait_in(int fd)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };
	poll(&p, 1, 1000);
}

static void fionread(const char *label, int fd)
{
	int n = -1;
	if (ioctl(fd, FIONREAD, &n) < 0)
		printf("%s: -1 %s\n", label, errname(errno));
	else
		printf("%s: %d\n", label, n);
}

static void read_show(const char *label, int fd, size_t n)
{
	char buf[256];
	ssize_t r = read(fd, buf, n);
	if (r < 0)
		printf("%s: -1 %s\n", label, errname(errno));
	else
		printf("%s: %zd \"%.*s\"\n", label, r, (int)r, buf);
}

int main(void)
{
	common_init();
	int a = socket(AF_INET, SOCK_DGRAM, 0);
	int b = socket(AF_INET, SOCK_DGRAM, 0);
	struct sockaddr_in la = sin4("127.0.0.1", 0);
	bind(a, (struct sockaddr *)&la, sizeof la);
	bind(b, (struct sockaddr *)&la, sizeof la);
	struct sockaddr_in pa = sin4("127.0.0.1", local_port(a));
	struct sockaddr_in pb = sin4("127.0.0.1", local_port(b));
	show("connect a->b", connect(a, (struct sockaddr *)&pb, sizeof pb));
	show("connect b->a", connect(b, (struct sockaddr *)&pa, sizeof pa));

	/* --- poll and FIONREAD on an empty socket --- */
	poll_show("poll empty", b, 0);
	fionread("FIONREAD empty", b);
	fcntl(b, F_SETFL, fcntl(b, F_GETFL) | O_NONBLOCK);
	read_show("read empty nonblocking", b, 100);

	/* --- write/read --- */
	show("write hello", write(a, "hello", 5));
	wait_in(b);
	poll_show("poll one queued", b, 0);
	fionread("FIONREAD one queued", b);
	read_show("read", b, 100);
	poll_show("poll drained", b, 0);

	/* --- boundaries and FIONREAD is the first datagram --- */
	show("write 7", write(a, "seven77", 7));
	show("write 13", write(a, "thirteen13131", 13));
	wait_in(b);
	fionread("FIONREAD two queued", b);
	read_show("read 0 bytes", b, 0);
	fionread("FIONREAD after read 0", b);
	read_show("read 3 of 7", b, 3);
	fionread("FIONREAD after short read", b);
	read_show("read next", b, 100);
	fionread("FIONREAD after all", b);
	read_show("read after all", b, 100);

	/* --- zero-length write --- */
	show("write 0 bytes", write(a, "", 0));
	poll_show("poll after write 0", b, 200);
	fionread("FIONREAD after write 0", b);
	read_show("read after write 0", b, 100);
	show("send 0 bytes", send(a, "", 0, 0));
	poll_show("poll after send 0", b, 200);
	fionread("FIONREAD after send 0", b);
	read_show("read after send 0", b, 100);
	poll_show("poll after read of empty datagram", b, 0);

	/* --- writev/readv --- */
	{
		struct iovec w[3] = { { "alpha", 5 }, { "-", 1 }, { "omega!", 6 } };
		show("writev 3 iovecs", writev(a, w, 3));
		wait_in(b);
		fionread("FIONREAD after writev", b);
		char x[4], y[4], z[20];
		memset(z, 0, sizeof z);
		struct iovec r[3] = { { x, 4 }, { y, 4 }, { z, 20 } };
		ssize_t n = readv(b, r, 3);
		if (n < 0)
			printf("readv: -1 %s\n", errname(errno));
		else
			printf("readv: %zd \"%.4s\" \"%.4s\" \"%.*s\"\n", n, x, y,
			       n > 8 ? (int)(n - 8) : 0, z);
		show("writev again", writev(a, w, 3));
		wait_in(b);
		struct iovec r2[2] = { { x, 3 }, { y, 2 } };
		n = readv(b, r2, 2);
		printf("readv short: %zd \"%.3s\" \"%.2s\"\n", n, x, y);
		fionread("FIONREAD after short readv", b);
		show("writev 0 iovecs", writev(a, w, 0));
		poll_show("poll after writev 0", b, 200);
		read_show("read after writev 0", b, 100);
		struct iovec e[1] = { { "", 0 } };
		show("writev 1 empty iovec", writev(a, e, 1));
		poll_show("poll after writev empty iovec", b, 200);
		read_show("read after writev empty iovec", b, 100);
		struct msghdr m;
		memset(&m, 0, sizeof m);
		m.msg_iov = e;
		m.msg_iovlen = 1;
		show("sendmsg 1 empty iovec", sendmsg(a, &m, 0));
		poll_show("poll after sendmsg empty iovec", b, 200);
		read_show("read after sendmsg empty iovec", b, 100);
	}

	/* --- the other direction --- */
	show("write b->a", write(b, "back", 4));
	wait_in(a);
	poll_show("poll a", a, 0);
	read_show("read a", a, 100);

	/* --- several queued, poll stays POLLIN until the last is read --- */
	for (int i = 0; i < 3; i++)
		write(a, "q", 1);
	for (int i = 0; i < 3; i++) {
		wait_in(b);
		poll_show("poll queue", b, 0);
		read_show("read queue", b, 100);
	}
	poll_show("poll queue empty", b, 0);

	/* --- seek-style calls --- */
	{
		char c;
		show("pwrite", pwrite(a, "x", 1, 0));
		show("pread", pread(b, &c, 1, 0));
		show("lseek", lseek(a, 0, SEEK_SET));
	}

	/* --- unconnected socket --- */
	{
		int u = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);
		show("write unconnected", write(u, "x", 1));
		read_show("read unconnected nonblocking", u, 10);
		poll_show("poll unconnected", u, 0);
		fionread("FIONREAD unconnected", u);
		close(u);
	}

	close(a);
	close(b);
	printf("done\n");
	return 0;
}
