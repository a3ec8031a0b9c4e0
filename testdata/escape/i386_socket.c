/* i386_socket.c - connect to the host's 127.0.0.1:PORT through the i386
 * system-call ABI (int $0x80) from a 64-bit program.
 *
 *   i386_socket socketcall PORT   socketcall(SYS_SOCKET), socketcall(SYS_CONNECT)
 *   i386_socket direct PORT       i386 socket (359) and connect (362)
 *
 * The i386 ABI reads pointers as 32 bits, so the argument block and the
 * address live in a MAP_32BIT mapping. netbox's filter kills a process
 * that uses a foreign architecture: inside, the program dies by SIGSYS.
 */
#include "escape.h"
#include <sys/mman.h>

#define NR32_SOCKETCALL 102
#define NR32_SOCKET 359
#define NR32_CONNECT 362
#define SYS_SOCKET_ 1
#define SYS_CONNECT_ 3

/* int80 makes an i386 system call and returns its result (-errno on error). */
static int int80(long nr, long a, long b, long c)
{
	long ret;
	__asm__ volatile("int $0x80"
			 : "=a"(ret)
			 : "a"(nr), "b"(a), "c"(b), "d"(c)
			 : "memory", "r8", "r9", "r10", "r11");
	return (int)ret;
}

int main(int argc, char **argv)
{
	escape_init();
	if (argc != 3) {
		fprintf(stderr, "usage: i386_socket socketcall|direct PORT\n");
		return 2;
	}
	int port = argport(argv[2]);
	int direct = strcmp(argv[1], "direct") == 0;
	if (!direct && strcmp(argv[1], "socketcall") != 0) {
		fprintf(stderr, "bad mode %s\n", argv[1]);
		return 2;
	}
	unsigned char *low = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
				  MAP_PRIVATE | MAP_ANONYMOUS | MAP_32BIT, -1, 0);
	if (low == MAP_FAILED || (unsigned long)low >= 0xffffffffUL - 4096) {
		fprintf(stderr, "mmap MAP_32BIT: %s\n", strerror(errno));
		return 2;
	}
	unsigned int *args = (unsigned int *)low;
	struct sockaddr_in *sa = (struct sockaddr_in *)(low + 64);
	*sa = loopback4(port);

	int fd;
	if (direct) {
		fd = int80(NR32_SOCKET, AF_INET, SOCK_STREAM, 0);
	} else {
		args[0] = AF_INET;
		args[1] = SOCK_STREAM;
		args[2] = 0;
		fd = int80(NR32_SOCKETCALL, SYS_SOCKET_, (long)args, 0);
	}
	note("i386 %s socket: %d", argv[1], fd);
	if (fd < 0)
		blocked(-fd, "i386 socket");

	int r;
	if (direct) {
		r = int80(NR32_CONNECT, fd, (long)sa, sizeof *sa);
	} else {
		args[0] = fd;
		args[1] = (unsigned int)(unsigned long)sa;
		args[2] = sizeof *sa;
		r = int80(NR32_SOCKETCALL, SYS_CONNECT_, (long)args, 0);
	}
	note("i386 %s connect: %d", argv[1], r);
	if (r < 0)
		blocked(-r, "i386 connect");
	reached("i386-%s 127.0.0.1:%d", argv[1], port);
}
