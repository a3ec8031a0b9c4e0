/* io_splice.c - sendfile and splice on sockets.
 *
 * Checks: sendfile of a 100000-byte file to a TCP socket (the peer reads
 * every byte, checksum equal); sendfile to a connected UDP socket sends
 * one datagram of the file's bytes, to an unconnected one EDESTADDRREQ;
 * splice from a TCP socket into a pipe moves what was queued; splice from
 * a UDP socket moves one datagram.
 */
/* spec: IO-02 IO-03 USEND-18 */
#include "common.h"
#include <poll.h>
#include <sys/sendfile.h>
#include <sys/stat.h>

static unsigned long sum(const unsigned char *b, size_t n)
{
	unsigned long s = 0;
	for (size_t i = 0; i < n; i++)
		s = s * 31 + b[i];
	return s;
}

static int tmpfile_of(size_t n, unsigned char *data)
{
	char path[] = "/tmp/netbox-splice-XXXXXX";
	int fd = mkstemp(path);
	unlink(path);
	for (size_t i = 0; i < n; i++)
		data[i] = (unsigned char)(i * 7 + i / 251);
	if (write(fd, data, n) != (ssize_t)n)
		printf("tmpfile write failed\n");
	return fd;
}

static void wait_in(int fd, int ms)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };
	poll(&p, 1, ms);
}

int main(void)
{
	common_init();
	static unsigned char data[100000], got[100000];
	int file = tmpfile_of(sizeof data, data);

	/* IO-02: sendfile to TCP. */
	{
		int port, cli, srv;
		int l = tcp_listener(&port);
		connect_pair(l, port, &cli, &srv);
		off_t off = 0;
		size_t total = 0;
		while (total < sizeof data) {
			ssize_t n = sendfile(cli, file, &off, sizeof data - total);
			if (n <= 0) {
				printf("tcp sendfile: %zd %s\n", n, n < 0 ? errname(errno) : "");
				break;
			}
			total += n;
		}
		printf("tcp sendfile total: %zu offset: %ld\n", total, (long)off);
		size_t r = 0;
		while (r < sizeof got) {
			wait_in(srv, 2000);
			ssize_t n = recv(srv, got + r, sizeof got - r, MSG_DONTWAIT);
			if (n <= 0)
				break;
			r += n;
		}
		printf("tcp received: %zu same: %d\n", r, r == sizeof data && sum(got, r) == sum(data, r));

		/* IO-03: splice from TCP into a pipe. */
		int p[2];
		pipe(p);
		show("tcp send 61440", send(cli, data, 61440, 0));
		size_t moved = 0;
		for (int i = 0; i < 100 && moved < 61440; i++) {
			wait_in(srv, 2000);
			ssize_t n = splice(srv, NULL, p[1], NULL, 61440 - moved, SPLICE_F_NONBLOCK);
			if (n <= 0) {
				printf("tcp splice: %zd %s\n", n, n < 0 ? errname(errno) : "");
				break;
			}
			moved += n;
		}
		ssize_t n = read(p[0], got, sizeof got);
		printf("tcp splice moved: %zu pipe read: %zd same: %d\n", moved, n,
		       n == 61440 && sum(got, n) == sum(data, n));
		close(p[0]);
		close(p[1]);
		close(cli);
		close(srv);
		close(l);
	}

	/* USEND-18: sendfile to UDP. */
	{
		int r = socket(AF_INET, SOCK_DGRAM, 0);
		bind_port0(r, AF_INET, "127.0.0.1");
		int u = socket(AF_INET, SOCK_DGRAM, 0);
		off_t off = 0;
		show("udp sendfile unconnected", sendfile(u, file, &off, 3000));
		struct sockaddr_in d = sin4("127.0.0.1", local_port(r));
		show("udp connect", connect(u, (struct sockaddr *)&d, sizeof d));
		off = 0;
		show("udp sendfile 3000", sendfile(u, file, &off, 3000));
		printf("udp sendfile offset: %ld\n", (long)off);
		wait_in(r, 2000);
		ssize_t n = recv(r, got, sizeof got, MSG_DONTWAIT);
		printf("udp datagram: %zd same: %d\n", n, n == 3000 && sum(got, n) == sum(data, n));
		show("udp after", recv(r, got, sizeof got, MSG_DONTWAIT));

		/* IO-03: splice from UDP moves one datagram. */
		int p[2];
		pipe(p);
		show("udp send 3", send(u, "abc", 3, 0));
		show("udp send 4", send(u, "defg", 4, 0));
		wait_in(r, 2000);
		show("udp splice", splice(r, NULL, p[1], NULL, 4096, SPLICE_F_NONBLOCK));
		n = read(p[0], got, sizeof got);
		printf("udp splice read: %zd %.*s\n", n, n > 0 ? (int)n : 0, got);
		show("udp splice again", splice(r, NULL, p[1], NULL, 4096, SPLICE_F_NONBLOCK));
		n = read(p[0], got, sizeof got);
		printf("udp splice read again: %zd %.*s\n", n, n > 0 ? (int)n : 0, got);
		close(p[0]);
		close(p[1]);
		close(u);
		close(r);
	}
	close(file);
	printf("done\n");
	return 0;
}
