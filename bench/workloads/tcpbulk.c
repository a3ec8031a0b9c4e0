/* tcpbulk: a server thread and a client in one process over 127.0.0.1;
 * the client sends SIZE MiB in 64 KiB write()s, the server reads them all.
 * The clock runs from connect() until the server has read the last byte.
 * usage: tcpbulk [SIZE_MIB=1024] */
#define BENCH_NET
#include "common.h"
#include <pthread.h>

#define CHUNK (64 << 10)

static int lfd;
static long long received;

static void *server(void *unused)
{
	(void)unused;
	int fd = accept(lfd, NULL, NULL);
	if (fd < 0)
		die("accept");
	char *buf = malloc(CHUNK);
	if (!buf)
		die("malloc");
	for (;;) {
		ssize_t n = read(fd, buf, CHUNK);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			die("server read");
		}
		if (n == 0)
			break;
		received += n;
	}
	close(fd);
	free(buf);
	return NULL;
}

int main(int argc, char **argv)
{
	long mib = arg(argc, argv, 1, 1024);
	long long total = (long long)mib << 20;
	int port;
	lfd = bound_lo(SOCK_STREAM, &port);
	if (listen(lfd, 1) < 0)
		die("listen");
	pthread_t th;
	if ((errno = pthread_create(&th, NULL, server, NULL)) != 0)
		die("pthread_create");

	char *buf = malloc(CHUNK);
	if (!buf)
		die("malloc");
	memset(buf, 'x', CHUNK);
	uint64_t t0 = now_ns();
	int fd = connect_lo(SOCK_STREAM, port);
	for (long long sent = 0; sent < total; sent += CHUNK)
		write_full(fd, buf, CHUNK);
	if (close(fd) < 0)
		die("close");
	pthread_join(th, NULL);
	double sec = (double)(now_ns() - t0) / 1e9;
	if (received != total) {
		errno = 0;
		die("server received %lld bytes of %lld", received, total);
	}
	printf("tcp_bulk_MBps %.1f MB/s\n", (double)total / 1e6 / sec);
	return 0;
}
