/* x32_socket.c - connect to the host's 127.0.0.1:PORT through the x32
 * system-call ABI: the x86-64 numbers with bit 0x40000000 set.
 *
 *   x32_socket PORT
 *
 * netbox's filter fails every x32 call with ENOSYS. A kernel built
 * without CONFIG_X86_X32_ABI gives ENOSYS natively too.
 */
#include "escape.h"
#include <sys/mman.h>
#include <sys/syscall.h>

#define X32_BIT 0x40000000L

int main(int argc, char **argv)
{
	escape_init();
	if (argc != 2) {
		fprintf(stderr, "usage: x32_socket PORT\n");
		return 2;
	}
	int port = argport(argv[1]);
	/* x32 pointers are 32-bit: keep the address below 4 GiB. */
	struct sockaddr_in *sa = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
				      MAP_PRIVATE | MAP_ANONYMOUS | MAP_32BIT, -1, 0);
	if (sa == MAP_FAILED) {
		fprintf(stderr, "mmap MAP_32BIT: %s\n", strerror(errno));
		return 2;
	}
	*sa = loopback4(port);

	long fd = syscall(X32_BIT | SYS_socket, AF_INET, SOCK_STREAM, 0);
	note("x32 socket: %ld %s", fd, fd < 0 ? ename(errno) : "");
	if (fd < 0)
		blocked(errno, "x32 socket");
	long r = syscall(X32_BIT | SYS_connect, fd, sa, sizeof *sa);
	note("x32 connect: %ld %s", r, r < 0 ? ename(errno) : "");
	if (r < 0)
		blocked(errno, "x32 connect");
	reached("x32 127.0.0.1:%d", port);
}
