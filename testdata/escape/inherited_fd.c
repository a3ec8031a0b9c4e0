/* inherited_fd.c - use a descriptor the caller left open: the test passes
 * a TCP connection to a host listener as fd FD (3).
 *
 *   inherited_fd FD
 *
 * REACHED when write(FD) succeeds (the host listener then reads the
 * bytes); getsockname(FD) is noted. netbox closes every fd above stdio
 * unless --preserve-fds passes it on.
 */
#include "escape.h"

int main(int argc, char **argv)
{
	escape_init();
	if (argc != 2) {
		fprintf(stderr, "usage: inherited_fd FD\n");
		return 2;
	}
	int fd = atoi(argv[1]);
	struct sockaddr_storage ss;
	socklen_t len = sizeof ss;
	char addr[INET6_ADDRSTRLEN] = "?";
	int port = 0;
	if (getsockname(fd, (struct sockaddr *)&ss, &len) == 0) {
		if (ss.ss_family == AF_INET) {
			struct sockaddr_in *a = (struct sockaddr_in *)&ss;
			inet_ntop(AF_INET, &a->sin_addr, addr, sizeof addr);
			port = ntohs(a->sin_port);
		} else if (ss.ss_family == AF_INET6) {
			struct sockaddr_in6 *a = (struct sockaddr_in6 *)&ss;
			inet_ntop(AF_INET6, &a->sin6_addr, addr, sizeof addr);
			port = ntohs(a->sin6_port);
		}
		note("getsockname(%d): family %d %s:%d", fd, ss.ss_family, addr, port);
	} else {
		note("getsockname(%d): %s", fd, ename(errno));
	}
	static const char msg[] = "netbox-escape inherited fd\n";
	ssize_t n = write(fd, msg, sizeof msg - 1);
	if (n < 0) {
		note("write(%d): %s", fd, ename(errno));
		blocked(errno, "write fd %d", fd);
	}
	reached("write fd %d: %zd bytes (local address %s:%d)", fd, n, addr, port);
}
