/* trapcost: socket(AF_INET, SOCK_STREAM) + setsockopt(SO_REUSEADDR) +
 * getsockopt(SO_TYPE) + close, N times. Inside netbox the first three are
 * trapped (close is not), so the cost per trapped call is about a third of
 * the cost per iteration.
 * usage: trapcost [N=2000] */
#include "common.h"
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

static void once(void)
{
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	if (fd < 0)
		die("socket");
	int one = 1;
	if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) < 0)
		die("setsockopt(SO_REUSEADDR)");
	int type = 0;
	socklen_t len = sizeof type;
	if (getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &len) < 0)
		die("getsockopt(SO_TYPE)");
	if (type != SOCK_STREAM || len != sizeof type) {
		errno = 0;
		die("getsockopt(SO_TYPE) = %d (len %u)", type, (unsigned)len);
	}
	if (close(fd) < 0)
		die("close");
}

int main(int argc, char **argv)
{
	long n = arg(argc, argv, 1, 2000);
	for (int i = 0; i < 50; i++) /* warm up */
		once();
	uint64_t t0 = now_ns();
	for (long i = 0; i < n; i++)
		once();
	double per = (double)(now_ns() - t0) / (double)n;
	printf("trapcost_iter_ns %.1f ns\n", per);
	printf("trapcost_per_trapped_call_ns %.1f ns\n", per / 3);
	return 0;
}
