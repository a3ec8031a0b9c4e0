/* Helpers shared by the netbox benchmark workloads. Each workload prints
 * one line "METRIC value unit" per metric on stdout and exits 0, or prints
 * a diagnostic on stderr and exits 1. */
#ifndef BENCH_COMMON_H
#define BENCH_COMMON_H

#define _GNU_SOURCE
#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static inline uint64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

__attribute__((noreturn, format(printf, 1, 2)))
static void die(const char *fmt, ...)
{
	int e = errno;
	va_list ap;
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, ": %s (errno %d)\n", strerror(e), e);
	exit(1);
}

/* arg returns argv[i] as a number, or def when absent. */
static inline long arg(int argc, char **argv, int i, long def)
{
	return argc > i ? strtol(argv[i], NULL, 0) : def;
}

#ifdef BENCH_NET
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

/* lo_addr is 127.0.0.1:port. */
static inline struct sockaddr_in lo_addr(int port)
{
	struct sockaddr_in a;
	memset(&a, 0, sizeof a);
	a.sin_family = AF_INET;
	a.sin_port = htons((uint16_t)port);
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	return a;
}

/* bound_lo returns a socket of type bound to 127.0.0.1 on an ephemeral
 * port, which it stores in *port. */
static inline int bound_lo(int type, int *port)
{
	int fd = socket(AF_INET, type, 0);
	if (fd < 0)
		die("socket");
	struct sockaddr_in a = lo_addr(0);
	if (bind(fd, (struct sockaddr *)&a, sizeof a) < 0)
		die("bind");
	socklen_t len = sizeof a;
	if (getsockname(fd, (struct sockaddr *)&a, &len) < 0)
		die("getsockname");
	*port = ntohs(a.sin_port);
	return fd;
}

static inline int connect_lo(int type, int port)
{
	int fd = socket(AF_INET, type, 0);
	if (fd < 0)
		die("socket");
	struct sockaddr_in a = lo_addr(port);
	if (connect(fd, (struct sockaddr *)&a, sizeof a) < 0)
		die("connect 127.0.0.1:%d", port);
	return fd;
}

static inline void set_nodelay(int fd)
{
	int one = 1;
	if (setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one) < 0)
		die("setsockopt(TCP_NODELAY)");
}

/* read_full reads exactly n bytes; it returns 0 at EOF before any byte. */
static inline int read_full(int fd, char *p, size_t n)
{
	size_t done = 0;
	while (done < n) {
		ssize_t r = read(fd, p + done, n - done);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			die("read");
		}
		if (r == 0) {
			if (done == 0)
				return 0;
			errno = 0;
			die("EOF after %zu of %zu bytes", done, n);
		}
		done += (size_t)r;
	}
	return 1;
}

static inline void write_full(int fd, const char *p, size_t n)
{
	size_t done = 0;
	while (done < n) {
		ssize_t w = write(fd, p + done, n - done);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			die("write");
		}
		done += (size_t)w;
	}
}
#endif

#endif
