/* udp_timestamping.c - SO_TIMESTAMPING with software receive timestamps
 * (SCM_TIMESTAMPING: the software time in ts[0], the others zero), its
 * value read back, the order beside SO_TIMESTAMP-less IP_PKTINFO, and
 * SO_RXQ_OVFL (read back; no cmsg while nothing was dropped).
 */
/* spec: CMSG-01 */
#include "common.h"
#include <linux/net_tstamp.h>
#include <poll.h>
#include <time.h>

#ifndef SO_TIMESTAMPING
#define SO_TIMESTAMPING 37
#endif

static void rx(const char *label, int r)
{
	char buf[64], ctl[512];
	struct iovec iov = {buf, sizeof buf};
	struct msghdr m = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctl, .msg_controllen = sizeof ctl};
	struct pollfd p = {r, POLLIN, 0};
	poll(&p, 1, 1000);
	ssize_t n = recvmsg(r, &m, MSG_DONTWAIT);
	printf("%s recv: %zd\n", label, n);
	printf("%s controllen: %zu\n", label, (size_t)m.msg_controllen);
	/* Every control message on one line, so that the line count does
	 * not depend on them. */
	char out[512] = "";
	size_t o = 0;
	int i = 0;
	for (struct cmsghdr *c = CMSG_FIRSTHDR(&m); c; c = CMSG_NXTHDR(&m, c), i++) {
		if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SO_TIMESTAMPING) {
			struct timespec ts[3], now;
			memcpy(ts, CMSG_DATA(c), sizeof ts);
			clock_gettime(CLOCK_REALTIME, &now);
			long d = (long)(now.tv_sec - ts[0].tv_sec);
			o += (size_t)snprintf(out + o, sizeof out - o, " [SO_TIMESTAMPING len=%zu ts0=%s ts1=%s ts2=%s]",
					      (size_t)c->cmsg_len, d >= 0 && d < 10 ? "plausible" : "implausible",
					      ts[1].tv_sec || ts[1].tv_nsec ? "set" : "zero",
					      ts[2].tv_sec || ts[2].tv_nsec ? "set" : "zero");
		} else {
			o += (size_t)snprintf(out + o, sizeof out - o, " [level=%d type=%d len=%zu]", c->cmsg_level,
					      c->cmsg_type, (size_t)c->cmsg_len);
		}
		if (o >= sizeof out)
			break;
	}
	printf("%s cmsgs: %d%s\n", label, i, out);
}

static void getint(const char *label, int fd, int level, int name)
{
	int v = -1;
	socklen_t l = sizeof v;
	if (getsockopt(fd, level, name, &v, &l) < 0)
		printf("%s: -1 %s\n", label, errname(errno));
	else
		printf("%s: %d len=%u\n", label, v, (unsigned)l);
}

int main(void)
{
	common_init();
	int r = socket(AF_INET, SOCK_DGRAM, 0);
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	bind(r, (struct sockaddr *)&a, sizeof a);
	socklen_t len = sizeof a;
	getsockname(r, (struct sockaddr *)&a, &len);
	int s = socket(AF_INET, SOCK_DGRAM, 0);

	getint("SO_TIMESTAMPING default", r, SOL_SOCKET, SO_TIMESTAMPING);
	int flags = SOF_TIMESTAMPING_RX_SOFTWARE | SOF_TIMESTAMPING_SOFTWARE;
	show("set SO_TIMESTAMPING rx software", setsockopt(r, SOL_SOCKET, SO_TIMESTAMPING, &flags, sizeof flags));
	getint("SO_TIMESTAMPING read back", r, SOL_SOCKET, SO_TIMESTAMPING);
	sendto(s, "ts", 2, 0, (struct sockaddr *)&a, sizeof a);
	rx("rx software", r);
	int one = 1;
	setsockopt(r, IPPROTO_IP, IP_PKTINFO, &one, sizeof one);
	sendto(s, "ts2", 3, 0, (struct sockaddr *)&a, sizeof a);
	rx("with pktinfo", r);
	int zero = 0;
	show("unset SO_TIMESTAMPING", setsockopt(r, SOL_SOCKET, SO_TIMESTAMPING, &zero, sizeof zero));
	setsockopt(r, IPPROTO_IP, IP_PKTINFO, &zero, sizeof zero);

	getint("SO_RXQ_OVFL default", r, SOL_SOCKET, SO_RXQ_OVFL);
	show("set SO_RXQ_OVFL", setsockopt(r, SOL_SOCKET, SO_RXQ_OVFL, &one, sizeof one));
	getint("SO_RXQ_OVFL read back", r, SOL_SOCKET, SO_RXQ_OVFL);
	sendto(s, "ovfl", 4, 0, (struct sockaddr *)&a, sizeof a);
	rx("no drops", r);

	int tx = SOF_TIMESTAMPING_TX_SOFTWARE | SOF_TIMESTAMPING_SOFTWARE;
	show("set SO_TIMESTAMPING tx software", setsockopt(s, SOL_SOCKET, SO_TIMESTAMPING, &tx, sizeof tx));
	puts("done");
	return 0;
}
