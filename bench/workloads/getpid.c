/* getpid: N getpid() system calls (not trapped by netbox: this measures
 * what the seccomp filter costs every system call).
 * usage: getpid [N=1000000] */
#include "common.h"
#include <sys/syscall.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	long n = arg(argc, argv, 1, 1000000);
	pid_t pid = (pid_t)syscall(SYS_getpid);
	uint64_t t0 = now_ns();
	for (long i = 0; i < n; i++) {
		if ((pid_t)syscall(SYS_getpid) != pid) {
			errno = 0;
			die("getpid changed");
		}
	}
	printf("getpid_ns %.1f ns\n", (double)(now_ns() - t0) / (double)n);
	return 0;
}
