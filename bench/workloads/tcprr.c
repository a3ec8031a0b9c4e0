/* tcprr: 64-byte request/response ping-pong over 127.0.0.1 (TCP_NODELAY)
 * between a client and an echo-server thread of one process.
 * usage: tcprr [ROUNDTRIPS=20000] */
#define BENCH_NET
#include "common.h"
#include <pthread.h>

#define MSG 64

static int lfd;

static void *server(void *unused)
{
	(void)unused;
	int fd = accept(lfd, NULL, NULL);
	if (fd < 0)
		die("accept");
	set_nodelay(fd);
	char buf[MSG];
	while (read_full(fd, buf, MSG))
		write_full(fd, buf, MSG);
	close(fd);
	return NULL;
}

int main(int argc, char **argv)
{
	long n = arg(argc, argv, 1, 20000);
	int port;
	lfd = bound_lo(SOCK_STREAM, &port);
	if (listen(lfd, 1) < 0)
		die("listen");
	pthread_t th;
	if ((errno = pthread_create(&th, NULL, server, NULL)) != 0)
		die("pthread_create");
	int fd = connect_lo(SOCK_STREAM, port);
	set_nodelay(fd);

	char req[MSG], resp[MSG];
	memset(req, 'r', MSG);
	uint64_t t0 = 0;
	for (long i = -200; i < n; i++) { /* 200 round trips of warm-up */
		if (i == 0)
			t0 = now_ns();
		memcpy(req, &i, sizeof i);
		write_full(fd, req, MSG);
		if (!read_full(fd, resp, MSG)) {
			errno = 0;
			die("server closed");
		}
		if (memcmp(req, resp, MSG) != 0) {
			errno = 0;
			die("bad echo at %ld", i);
		}
	}
	double us = (double)(now_ns() - t0) / 1e3 / (double)n;
	close(fd);
	pthread_join(th, NULL);
	printf("tcp_rr_us %.2f us\n", us);
	return 0;
}
