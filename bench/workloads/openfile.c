/* openfile: open+close of a small file N times, read-only (the opens
 * netbox traps for its /proc/net views, unless --proc-net=false) and for
 * writing (never trapped); prints the cost of each.
 * usage: openfile [N=20000] */
#include "common.h"
#include <fcntl.h>
#include <unistd.h>

static double per_open_us(const char *name, int flags, long n)
{
	uint64_t t0 = now_ns();
	for (long i = 0; i < n; i++) {
		int fd = open(name, flags);
		if (fd < 0)
			die("open %s", name);
		close(fd);
	}
	return (double)(now_ns() - t0) / 1e3 / (double)n;
}

int main(int argc, char **argv)
{
	long n = arg(argc, argv, 1, 20000);
	char name[64];
	snprintf(name, sizeof name, "openfile.%d.tmp", (int)getpid());
	int fd = open(name, O_CREAT | O_TRUNC | O_WRONLY | O_CLOEXEC, 0600);
	if (fd < 0)
		die("create %s", name);
	close(fd);
	double ro = per_open_us(name, O_RDONLY | O_CLOEXEC, n);
	double wr = per_open_us(name, O_WRONLY | O_CLOEXEC, n);
	unlink(name);
	printf("open_rdonly_us %.2f us\n", ro);
	printf("open_wronly_us %.2f us\n", wr);
	return 0;
}
