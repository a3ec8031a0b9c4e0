/* udp_timestamping.c - SO_TIMESTAMPING with software receive timestamps
 * (SCM_TIMESTAMPING: the software time in ts[0], the others zero), its
 * value read back (an int, or struct so_timestamping), its order beside
 * IP_PKTINFO and SO_TIMESTAMPNS, reporting and generation flags apart,
 * connected and unconnected receivers, IPv6 with SO_TIMESTAMPING_NEW, the
 * flags Linux refuses (and OPT_ID on an unconnected TCP socket), and
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
		if (c->cmsg_level == SOL_SOCKET && (c->cmsg_type == SO_TIMESTAMPING || c->cmsg_type == 65)) {
			struct timespec ts[3], now;
			memcpy(ts, CMSG_DATA(c), sizeof ts);
			clock_gettime(CLOCK_REALTIME, &now);
			long d = (long)(now.tv_sec - ts[0].tv_sec);
			o += (size_t)snprintf(out + o, sizeof out - o, " [SO_TIMESTAMPING%s len=%zu ts0=%s ts1=%s ts2=%s]",
					      c->cmsg_type == 65 ? "_NEW" : "", (size_t)c->cmsg_len, d >= 0 && d < 10 ? "plausible" : "implausible",
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

static void settsf(const char *label, int fd, int flags)
{
	show(label, setsockopt(fd, SOL_SOCKET, SO_TIMESTAMPING, &flags, sizeof flags));
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
	settsf("set SO_TIMESTAMPING rx software", r, flags);
	getint("SO_TIMESTAMPING read back", r, SOL_SOCKET, SO_TIMESTAMPING);
	getint("SO_TIMESTAMP beside it", r, SOL_SOCKET, SO_TIMESTAMP);
	getint("SO_TIMESTAMPNS beside it", r, SOL_SOCKET, SO_TIMESTAMPNS);
	{
		/* The whole struct so_timestamping: flags and bind_phc. */
		int v[3] = {-1, -1, -1};
		socklen_t l = sizeof v;
		int rc = getsockopt(r, SOL_SOCKET, SO_TIMESTAMPING, v, &l);
		printf("SO_TIMESTAMPING struct: %d len=%u flags=%#x phc=%d\n", rc, (unsigned)l, v[0], v[1]);
	}
	/* Linux turns receive stamping on for the whole host through a
	 * work item: the first packets after the first socket asks may go
	 * unstamped. */
	usleep(50000);
	sendto(s, "ts", 2, 0, (struct sockaddr *)&a, sizeof a);
	rx("rx software", r);
	int one = 1;
	setsockopt(r, IPPROTO_IP, IP_PKTINFO, &one, sizeof one);
	sendto(s, "ts2", 3, 0, (struct sockaddr *)&a, sizeof a);
	rx("with pktinfo", r);
	int zero = 0;
	setsockopt(r, IPPROTO_IP, IP_PKTINFO, &zero, sizeof zero);

	/* Beside SO_TIMESTAMPNS: both messages, SO_TIMESTAMPNS first; and
	 * after it is turned off again, SO_TIMESTAMPING's alone. */
	show("set SO_TIMESTAMPNS", setsockopt(r, SOL_SOCKET, SO_TIMESTAMPNS, &one, sizeof one));
	sendto(s, "ts3", 3, 0, (struct sockaddr *)&a, sizeof a);
	rx("with timestampns", r);
	show("unset SO_TIMESTAMPNS", setsockopt(r, SOL_SOCKET, SO_TIMESTAMPNS, &zero, sizeof zero));
	getint("SO_TIMESTAMPNS after unset", r, SOL_SOCKET, SO_TIMESTAMPNS);
	sendto(s, "ts4", 3, 0, (struct sockaddr *)&a, sizeof a);
	rx("after timestampns off", r);

	/* Reporting without generation: the host stamps anyway (stamping
	 * is on by now), so it is reported. */
	settsf("set SO_TIMESTAMPING software only", r, SOF_TIMESTAMPING_SOFTWARE);
	sendto(s, "ts5", 3, 0, (struct sockaddr *)&a, sizeof a);
	rx("software only", r);
	/* Generation without reporting: no message. */
	settsf("set SO_TIMESTAMPING rx only", r, SOF_TIMESTAMPING_RX_SOFTWARE);
	sendto(s, "ts6", 3, 0, (struct sockaddr *)&a, sizeof a);
	rx("rx only", r);

	/* A connected pair: the datagram goes straight from socket to
	 * socket. */
	{
		int c = socket(AF_INET, SOCK_DGRAM, 0);
		struct sockaddr_in ca = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
		bind(c, (struct sockaddr *)&ca, sizeof ca);
		len = sizeof ca;
		getsockname(c, (struct sockaddr *)&ca, &len);
		connect(c, (struct sockaddr *)&a, sizeof a);
		connect(r, (struct sockaddr *)&ca, sizeof ca);
		settsf("connected set", r, flags);
		send(c, "cc", 2, 0);
		rx("connected", r);
		close(c);
	}

	/* Validation. */
	settsf("OPT_STATS without OPT_TSONLY", r, SOF_TIMESTAMPING_SOFTWARE | SOF_TIMESTAMPING_OPT_STATS);
	settsf("unknown flag", r, 1 << 30);
	{
		int v[2] = {SOF_TIMESTAMPING_SOFTWARE | SOF_TIMESTAMPING_BIND_PHC, 0};
		show("BIND_PHC", setsockopt(r, SOL_SOCKET, SO_TIMESTAMPING, v, sizeof v));
		char c3[3] = {0};
		show("short", setsockopt(r, SOL_SOCKET, SO_TIMESTAMPING, c3, sizeof c3));
	}
	getint("SO_TIMESTAMPING after refusals", r, SOL_SOCKET, SO_TIMESTAMPING);
	settsf("OPT_ID on udp", r, SOF_TIMESTAMPING_SOFTWARE | SOF_TIMESTAMPING_OPT_ID);
	{
		int t = socket(AF_INET, SOCK_STREAM, 0);
		settsf("OPT_ID on unconnected tcp", t, SOF_TIMESTAMPING_SOFTWARE | SOF_TIMESTAMPING_OPT_ID);
		settsf("rx software on tcp", t, flags);
		getint("tcp read back", t, SOL_SOCKET, SO_TIMESTAMPING);
		close(t);
	}
	show("unset SO_TIMESTAMPING", setsockopt(r, SOL_SOCKET, SO_TIMESTAMPING, &zero, sizeof zero));
	getint("SO_TIMESTAMPNS after all", r, SOL_SOCKET, SO_TIMESTAMPNS);
	close(r);

	/* IPv6, with SO_TIMESTAMPING_NEW (its message is type 65). */
	{
		int r6 = socket(AF_INET6, SOCK_DGRAM, 0);
		struct sockaddr_in6 a6 = {.sin6_family = AF_INET6, .sin6_addr = IN6ADDR_LOOPBACK_INIT};
		bind(r6, (struct sockaddr *)&a6, sizeof a6);
		len = sizeof a6;
		getsockname(r6, (struct sockaddr *)&a6, &len);
		show("v6 set SO_TIMESTAMPING_NEW", setsockopt(r6, SOL_SOCKET, 65, &flags, sizeof flags));
		getint("v6 read back new", r6, SOL_SOCKET, 65);
		int s6 = socket(AF_INET6, SOCK_DGRAM, 0);
		sendto(s6, "v6", 2, 0, (struct sockaddr *)&a6, sizeof a6);
		rx("v6 new", r6);
		close(s6);
		close(r6);
	}
	r = socket(AF_INET, SOCK_DGRAM, 0);
	bind(r, (struct sockaddr *)&a, sizeof a);

	getint("SO_RXQ_OVFL default", r, SOL_SOCKET, SO_RXQ_OVFL);
	show("set SO_RXQ_OVFL", setsockopt(r, SOL_SOCKET, SO_RXQ_OVFL, &one, sizeof one));
	getint("SO_RXQ_OVFL read back", r, SOL_SOCKET, SO_RXQ_OVFL);
	sendto(s, "ovfl", 4, 0, (struct sockaddr *)&a, sizeof a);
	rx("no drops", r);

	/* Transmit timestamps. */
	int tx = SOF_TIMESTAMPING_TX_SOFTWARE | SOF_TIMESTAMPING_SOFTWARE;
	settsf("set SO_TIMESTAMPING tx software", s, tx);
	getint("tx read back", s, SOL_SOCKET, SO_TIMESTAMPING);
	puts("done");
	return 0;
}
