/* host_loopback.c - the plain routes to the host's loopback services:
 *
 *   host_loopback TCP4PORT TCP6PORT UDP4PORT ABSTRACTNAME
 *
 * connect to 127.0.0.1:TCP4PORT and [::1]:TCP6PORT (TCP6PORT "-": skip),
 * send a datagram to 127.0.0.1:UDP4PORT and wait up to 1 s for the echo,
 * and connect to the abstract AF_UNIX name "@ABSTRACTNAME". REACHED lists
 * every route that led out; BLOCKED gives each route's errno.
 */
#include "escape.h"
#include <stddef.h>
#include <sys/time.h>
#include <sys/un.h>

static char out[512];   /* routes that reached */
static char errs[512];  /* route=ERRNO for the others */
static int first_err;

static void fail(const char *route, int e)
{
	if (!first_err)
		first_err = e;
	snprintf(errs + strlen(errs), sizeof errs - strlen(errs), "%s%s=%s", *errs ? " " : "", route, ename(e));
}

static void ok(const char *route)
{
	snprintf(out + strlen(out), sizeof out - strlen(out), "%s%s", *out ? " " : "", route);
}

/* try connects a new socket of family fam and type to sa. */
static int try(const char *route, int fam, int type, const struct sockaddr *sa, socklen_t len)
{
	int fd = socket(fam, type, 0);
	if (fd < 0) {
		fail(route, errno);
		return -1;
	}
	struct timeval tv = {1, 0};
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
	if (connect(fd, sa, len) < 0) {
		fail(route, errno);
		close(fd);
		return -1;
	}
	return fd;
}

int main(int argc, char **argv)
{
	escape_init();
	if (argc != 5) {
		fprintf(stderr, "usage: host_loopback TCP4PORT TCP6PORT|- UDP4PORT ABSTRACTNAME\n");
		return 2;
	}
	struct sockaddr_in a4 = loopback4(argport(argv[1]));
	int fd = try("tcp4", AF_INET, SOCK_STREAM, (struct sockaddr *)&a4, sizeof a4);
	if (fd >= 0) {
		ok("tcp4");
		close(fd);
	}

	if (strcmp(argv[2], "-") != 0) {
		struct sockaddr_in6 a6;
		memset(&a6, 0, sizeof a6);
		a6.sin6_family = AF_INET6;
		a6.sin6_port = htons(argport(argv[2]));
		a6.sin6_addr = in6addr_loopback;
		fd = try("tcp6", AF_INET6, SOCK_STREAM, (struct sockaddr *)&a6, sizeof a6);
		if (fd >= 0) {
			ok("tcp6");
			close(fd);
		}
	}

	struct sockaddr_in u4 = loopback4(argport(argv[3]));
	fd = try("udp4", AF_INET, SOCK_DGRAM, (struct sockaddr *)&u4, sizeof u4);
	if (fd >= 0) {
		static const char ping[] = "netbox-escape udp";
		char buf[64];
		if (send(fd, ping, sizeof ping - 1, 0) < 0)
			fail("udp4", errno);
		else if (recv(fd, buf, sizeof buf, 0) < 0)
			fail("udp4", errno);
		else
			ok("udp4");
		close(fd);
	}

	struct sockaddr_un un;
	memset(&un, 0, sizeof un);
	un.sun_family = AF_UNIX;
	size_t n = strlen(argv[4]);
	if (n + 1 > sizeof un.sun_path) {
		fprintf(stderr, "name too long\n");
		return 2;
	}
	memcpy(un.sun_path + 1, argv[4], n);
	fd = try("unix", AF_UNIX, SOCK_STREAM, (struct sockaddr *)&un,
		 (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 1 + n));
	if (fd >= 0) {
		ok("unix");
		close(fd);
	}

	note("reached: %s; failed: %s", *out ? out : "none", *errs ? errs : "none");
	if (*out)
		reached("%s", out);
	blocked(first_err, "%s", errs);
}
