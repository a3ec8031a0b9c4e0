/* udprate: a sender send()s 64-byte datagrams on a connected UDP socket
 * for SECONDS seconds to a receiver thread that recv()s them (no source
 * address); the result is datagrams received per second of sending.
 * Datagrams the receive queue drops are not counted.
 * usage: udprate [SECONDS=2] */
#define BENCH_NET
#include "common.h"
#include <pthread.h>
#include <stdatomic.h>
#include <sys/time.h>

#define MSG 64

static int rfd;
static atomic_int stop;
static atomic_llong got;

static void *receiver(void *unused)
{
	(void)unused;
	char buf[2048];
	for (;;) {
		ssize_t n = recv(rfd, buf, sizeof buf, 0);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK) {
				if (atomic_load(&stop))
					break;
				continue;
			}
			die("recv");
		}
		if (n != MSG) {
			errno = 0;
			die("recv returned %zd bytes", n);
		}
		atomic_fetch_add(&got, 1);
	}
	return NULL;
}

int main(int argc, char **argv)
{
	long secs = arg(argc, argv, 1, 2);
	int port;
	rfd = bound_lo(SOCK_DGRAM, &port);
	/* The receiver wakes up every 100 ms to see whether to stop. */
	struct timeval tv = {.tv_sec = 0, .tv_usec = 100000};
	if (setsockopt(rfd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv) < 0)
		die("setsockopt(SO_RCVTIMEO)");
	pthread_t th;
	if ((errno = pthread_create(&th, NULL, receiver, NULL)) != 0)
		die("pthread_create");

	int sfd = connect_lo(SOCK_DGRAM, port);
	char msg[MSG];
	memset(msg, 'u', MSG);
	long long sent = 0, refused = 0;
	uint64_t t0 = now_ns(), end = t0 + (uint64_t)secs * 1000000000ull, t;
	for (;;) {
		for (int i = 0; i < 64; i++) {
			if (send(sfd, msg, MSG, 0) == MSG) {
				sent++;
				continue;
			}
			if (errno == ENOBUFS || errno == EAGAIN || errno == ECONNREFUSED || errno == EINTR) {
				refused++;
				continue;
			}
			die("send");
		}
		if ((t = now_ns()) >= end)
			break;
	}
	double sec = (double)(t - t0) / 1e9;
	/* Let the receiver drain what is queued, then stop it. */
	struct timespec drain = {.tv_sec = 0, .tv_nsec = 200000000};
	nanosleep(&drain, NULL);
	atomic_store(&stop, 1);
	pthread_join(th, NULL);
	long long n = atomic_load(&got);
	if (n == 0) {
		errno = 0;
		die("no datagram received (%lld sent, %lld failed sends)", sent, refused);
	}
	fprintf(stderr, "udprate: sent %lld, received %lld, failed sends %lld\n", sent, n, refused);
	printf("udp_rate_pps %.0f datagrams/s\n", (double)n / sec);
	return 0;
}
