/* socket_flood.c - exhaustion: open TCP sockets until socket() fails and
 * print the errno and how many were opened; then close one and open one
 * again (the limit is per live socket, so it must succeed), then close all
 * and open again. Used with netbox --max-sockets N. */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

int main(void)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	alarm(30);
	struct rlimit rl = {8192, 8192};
	setrlimit(RLIMIT_NOFILE, &rl);
	static int fds[8192];
	int n = 0;
	while (n < 8000) {
		int fd = socket(AF_INET, SOCK_STREAM, 0);
		if (fd < 0) {
			printf("socket failed after %d: %s\n", n, strerrorname_np(errno));
			break;
		}
		fds[n++] = fd;
	}
	close(fds[--n]);
	int fd = socket(AF_INET, SOCK_DGRAM, 0);
	printf("after closing one: %s\n", fd >= 0 ? "ok" : strerrorname_np(errno));
	if (fd >= 0)
		fds[n++] = fd;
	for (int i = 0; i < n; i++)
		close(fds[i]);
	int ok = 0;
	for (int i = 0; i < 50; i++) {
		int s = socket(AF_INET, SOCK_STREAM, 0);
		if (s >= 0) {
			ok++;
			close(s);
		}
	}
	printf("after closing all: %d/50 ok\n", ok);
	return 0;
}
