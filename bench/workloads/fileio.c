/* fileio: write a file of SIZE MiB in the current directory with 1 MiB
 * write()s, then read it back with 1 MiB read()s (page cache; no fsync);
 * none of these calls is trapped by netbox.
 * usage: fileio [SIZE_MIB=256] */
#include "common.h"
#include <fcntl.h>
#include <unistd.h>

#define BUF (1 << 20)

int main(int argc, char **argv)
{
	long mib = arg(argc, argv, 1, 256);
	char name[64];
	snprintf(name, sizeof name, "fileio.%d.tmp", (int)getpid());
	char *buf = malloc(BUF);
	if (!buf)
		die("malloc");
	for (int i = 0; i < BUF; i++)
		buf[i] = (char)(i * 31 + 7);

	int fd = open(name, O_CREAT | O_TRUNC | O_WRONLY | O_CLOEXEC, 0600);
	if (fd < 0)
		die("open %s", name);
	uint64_t t0 = now_ns();
	for (long i = 0; i < mib; i++) {
		size_t done = 0;
		while (done < BUF) {
			ssize_t n = write(fd, buf + done, BUF - done);
			if (n < 0) {
				unlink(name);
				die("write");
			}
			done += (size_t)n;
		}
	}
	if (close(fd) < 0) {
		unlink(name);
		die("close");
	}
	double wsec = (double)(now_ns() - t0) / 1e9;

	fd = open(name, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		unlink(name);
		die("open %s for reading", name);
	}
	long long total = 0;
	t0 = now_ns();
	for (;;) {
		ssize_t n = read(fd, buf, BUF);
		if (n < 0) {
			unlink(name);
			die("read");
		}
		if (n == 0)
			break;
		total += n;
	}
	double rsec = (double)(now_ns() - t0) / 1e9;
	close(fd);
	unlink(name);
	if (total != (long long)mib * BUF) {
		errno = 0;
		die("read back %lld bytes, wrote %lld", total, (long long)mib * BUF);
	}
	printf("file_write_MBps %.1f MB/s\n", (double)total / 1e6 / wsec);
	printf("file_read_MBps %.1f MB/s\n", (double)total / 1e6 / rsec);
	return 0;
}
