/* escape.h - shared helpers for netbox's escape programs.
 *
 * Every escape program tries one route out of the sandbox and prints
 * exactly one line on stdout:
 *
 *   REACHED <what>          the route led to something outside
 *   BLOCKED <ERRNO> [...]   it did not; ERRNO names the decisive failure
 *
 * and exits 0 either way (unless the kernel kills it). Details go to
 * stderr, which the tests only log.
 */
#ifndef NETBOX_ESCAPE_H
#define NETBOX_ESCAPE_H

#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static inline const char *ename(int e)
{
	const char *n = e ? strerrorname_np(e) : "OK";
	return n ? n : "E?";
}

/* Start of every program: unbuffered output and a watchdog. */
static inline void escape_init(void)
{
	setvbuf(stdout, NULL, _IONBF, 0);
	setvbuf(stderr, NULL, _IONBF, 0);
	alarm(20);
}

/* note prints a detail line on stderr. */
static inline void note(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fputs("  ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
}

static inline void __attribute__((noreturn)) reached(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fputs("REACHED ", stdout);
	vfprintf(stdout, fmt, ap);
	fputc('\n', stdout);
	va_end(ap);
	exit(0);
}

static inline void __attribute__((noreturn)) blocked(int e, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	printf("BLOCKED %s", ename(e));
	if (fmt && *fmt) {
		fputs(" (", stdout);
		vfprintf(stdout, fmt, ap);
		fputc(')', stdout);
	}
	fputc('\n', stdout);
	va_end(ap);
	exit(0);
}

/* A port from argv, or die with a usage message. */
static inline int argport(const char *s)
{
	char *end;
	long p = strtol(s, &end, 10);
	if (*s == 0 || *end != 0 || p <= 0 || p > 65535) {
		fprintf(stderr, "bad port %s\n", s);
		exit(2);
	}
	return (int)p;
}

static inline struct sockaddr_in loopback4(int port)
{
	struct sockaddr_in a;
	memset(&a, 0, sizeof a);
	a.sin_family = AF_INET;
	a.sin_port = htons(port);
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	return a;
}

#endif
