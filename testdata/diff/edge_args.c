/* edge_args.c - every trapped call with the arguments a careless or
 * hostile program passes: zero lengths, NULL and unmapped pointers,
 * negative and oversized lengths, on each kind of socket netbox serves
 * (TCP connected, listening and unconnected; UDP unbound, bound and
 * connected; a raw ICMP socket; a sock_diag netlink socket). What Linux
 * answers (the errno, or what was done) must be what netbox answers, and
 * netbox must survive all of it. Receives peek, so that queued data stays
 * for the next case; sends come after the receives.
 */
/* spec: OPS-01 IO-05 URECV-06 SO-03 */
#include "common.h"
#include <linux/netlink.h>
#include <linux/sock_diag.h>
#include <netinet/ip_icmp.h>
#include <linux/sockios.h>
#include <net/if.h>
#include <sys/ioctl.h>
#include <sys/mman.h>

static void *bad; /* an unmapped page */

struct kind {
	const char *name;
	int fd;
};

static void recv_cases(const char *k, int fd)
{
	char buf[64], lbl[96];
	struct sockaddr_storage sa;
	socklen_t len;
	int pk = MSG_PEEK | MSG_DONTWAIT;
#define L(s) (snprintf(lbl, sizeof lbl, "%s %s", k, s), lbl)

	len = sizeof sa;
	show(L("recvfrom len0"), recvfrom(fd, buf, 0, pk, (struct sockaddr *)&sa, &len));
	len = sizeof sa;
	show(L("recvfrom buf NULL"), recvfrom(fd, NULL, 8, pk, (struct sockaddr *)&sa, &len));
	len = sizeof sa;
	show(L("recvfrom addr bad"), recvfrom(fd, buf, 8, pk, bad, &len));
	show(L("recvfrom addrlen NULL"), recvfrom(fd, buf, 8, pk, (struct sockaddr *)&sa, NULL));
	show(L("recvfrom addrlen bad"), recvfrom(fd, buf, 8, pk, (struct sockaddr *)&sa, bad));
	len = (socklen_t)-1;
	show(L("recvfrom addrlen -1"), recvfrom(fd, buf, 8, pk, (struct sockaddr *)&sa, &len));
	len = 0;
	show(L("recvfrom addrlen 0"), recvfrom(fd, buf, 8, pk, (struct sockaddr *)&sa, &len));
	printf("%s addrlen after: %u\n", k, (unsigned)len);

	struct iovec iov = {buf, sizeof buf};
	struct msghdr m = {0};
	show(L("recvmsg iovlen0"), recvmsg(fd, &m, pk));
	m = (struct msghdr){.msg_iov = &iov, .msg_iovlen = 1025};
	show(L("recvmsg iovlen 1025"), recvmsg(fd, &m, pk));
	m = (struct msghdr){.msg_iov = NULL, .msg_iovlen = 1};
	show(L("recvmsg iov NULL"), recvmsg(fd, &m, pk));
	m = (struct msghdr){.msg_iov = bad, .msg_iovlen = 1};
	show(L("recvmsg iov bad"), recvmsg(fd, &m, pk));
	m = (struct msghdr){.msg_iov = &iov, .msg_iovlen = 1, .msg_name = bad, .msg_namelen = sizeof sa};
	show(L("recvmsg name bad"), recvmsg(fd, &m, pk));
	m = (struct msghdr){.msg_iov = &iov, .msg_iovlen = 1, .msg_namelen = (socklen_t)-1};
	show(L("recvmsg namelen -1"), recvmsg(fd, &m, pk));
	m = (struct msghdr){.msg_iov = &iov, .msg_iovlen = 1, .msg_control = bad, .msg_controllen = 64};
	show(L("recvmsg control bad"), recvmsg(fd, &m, pk));
	show(L("recvmsg msg NULL"), recvmsg(fd, NULL, pk));
	show(L("recvmsg msg bad"), recvmsg(fd, bad, pk));
	show(L("recvmmsg vlen0"), recvmmsg(fd, NULL, 0, pk, NULL));
	show(L("recvmmsg vec bad"), recvmmsg(fd, bad, 1, pk, NULL));
	{
		struct mmsghdr mm = {.msg_hdr = {.msg_iov = &iov, .msg_iovlen = 1}};
		show(L("recvmmsg timeout bad"), recvmmsg(fd, &mm, 1, pk, bad));
		struct timespec ts = {0, -1};
		show(L("recvmmsg timeout nsec -1"), recvmmsg(fd, &mm, 1, pk, &ts));
	}
}

static void name_cases(const char *k, int fd)
{
	char lbl[96];
	struct sockaddr_storage sa = {0};
	socklen_t len;

	len = sizeof sa;
	show(L("getsockname addr NULL"), getsockname(fd, NULL, &len));
	show(L("getsockname len NULL"), getsockname(fd, (struct sockaddr *)&sa, NULL));
	len = (socklen_t)-1;
	show(L("getsockname len -1"), getsockname(fd, (struct sockaddr *)&sa, &len));
	len = 0;
	show(L("getsockname len 0"), getsockname(fd, (struct sockaddr *)&sa, &len));
	printf("%s getsockname len after: %u\n", k, (unsigned)len);
	len = sizeof sa;
	show(L("getpeername addr bad"), getpeername(fd, bad, &len));
	len = 1;
	show(L("getpeername len 1"), getpeername(fd, (struct sockaddr *)&sa, &len));
	printf("%s getpeername len after: %u\n", k, (unsigned)len);

	int v = 0;
	len = sizeof v;
	show(L("getsockopt val NULL"), getsockopt(fd, SOL_SOCKET, SO_TYPE, NULL, &len));
	show(L("getsockopt len NULL"), getsockopt(fd, SOL_SOCKET, SO_TYPE, &v, NULL));
	len = (socklen_t)-1;
	show(L("getsockopt len -1"), getsockopt(fd, SOL_SOCKET, SO_TYPE, &v, &len));
	len = 0;
	show(L("getsockopt len 0"), getsockopt(fd, SOL_SOCKET, SO_TYPE, &v, &len));
	printf("%s getsockopt len after: %u\n", k, (unsigned)len);
	len = sizeof v;
	show(L("getsockopt bad level"), getsockopt(fd, 12345, 1, &v, &len));
	show(L("setsockopt val NULL"), setsockopt(fd, SOL_SOCKET, SO_RCVBUF, NULL, 4));
	show(L("setsockopt len 0"), setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &v, 0));
	show(L("setsockopt len -1"), setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &v, (socklen_t)-1));
	show(L("ioctl FIONREAD NULL"), ioctl(fd, FIONREAD, NULL));
	show(L("ioctl SIOCOUTQ bad"), ioctl(fd, SIOCOUTQ, bad));
	show(L("ioctl SIOCGIFNAME NULL"), ioctl(fd, SIOCGIFNAME, NULL));
	show(L("ioctl SIOCGIFCONF NULL"), ioctl(fd, SIOCGIFCONF, NULL));
	v = -1;
	show(L("ioctl SIOCATMARK"), ioctl(fd, SIOCATMARK, &v));
	printf("%s SIOCATMARK value: %d\n", k, v);
	show(L("shutdown -1"), shutdown(fd, -1));
	show(L("accept addrlen -1"), accept4(fd, (struct sockaddr *)&sa, &(socklen_t){(socklen_t)-1}, SOCK_NONBLOCK));
	show(L("bind NULL"), bind(fd, NULL, sizeof(struct sockaddr_in)));
	show(L("bind len 0"), bind(fd, (struct sockaddr *)&sa, 0));
	show(L("bind len 200"), bind(fd, (struct sockaddr *)&sa, 200));
	show(L("connect bad"), connect(fd, bad, sizeof(struct sockaddr_in)));
	show(L("connect len -1"), connect(fd, (struct sockaddr *)&sa, (socklen_t)-1));
}

static void send_cases(const char *k, int fd)
{
	char lbl[96], buf[8] = "edge";
	struct sockaddr_in to = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK), .sin_port = htons(9)};
	int f = MSG_DONTWAIT | MSG_NOSIGNAL;

	show(L("sendto buf NULL"), sendto(fd, NULL, 8, f, NULL, 0));
	show(L("sendto buf bad"), sendto(fd, bad, 8, f, NULL, 0));
	show(L("sendto addr bad"), sendto(fd, buf, 4, f, bad, sizeof to));
	show(L("sendto addrlen 200"), sendto(fd, buf, 4, f, (struct sockaddr *)&to, 200));
	show(L("sendto addrlen -1"), sendto(fd, buf, 4, f, (struct sockaddr *)&to, (socklen_t)-1));
	show(L("sendto addrlen 1"), sendto(fd, buf, 4, f, (struct sockaddr *)&to, 1));
	show(L("sendto addr NULL len 16"), sendto(fd, NULL, 0, f, NULL, 16));

	struct iovec iov = {buf, 4};
	struct msghdr m = {.msg_iov = &iov, .msg_iovlen = 1025};
	show(L("sendmsg iovlen 1025"), sendmsg(fd, &m, f));
	m = (struct msghdr){.msg_iov = bad, .msg_iovlen = 1};
	show(L("sendmsg iov bad"), sendmsg(fd, &m, f));
	struct iovec biov = {bad, 4};
	m = (struct msghdr){.msg_iov = &biov, .msg_iovlen = 1};
	show(L("sendmsg iov base bad"), sendmsg(fd, &m, f));
	struct iovec niov = {buf, (size_t)-1};
	m = (struct msghdr){.msg_iov = &niov, .msg_iovlen = 1};
	show(L("sendmsg iov len -1"), sendmsg(fd, &m, f));
	m = (struct msghdr){.msg_iov = &iov, .msg_iovlen = 1, .msg_control = bad, .msg_controllen = 64};
	show(L("sendmsg control bad"), sendmsg(fd, &m, f));
	m = (struct msghdr){.msg_iov = &iov, .msg_iovlen = 1, .msg_control = buf, .msg_controllen = (size_t)1 << 40};
	show(L("sendmsg controllen huge"), sendmsg(fd, &m, f));
	m = (struct msghdr){.msg_iov = &iov, .msg_iovlen = 1, .msg_name = bad, .msg_namelen = sizeof to};
	show(L("sendmsg name bad"), sendmsg(fd, &m, f));
	m = (struct msghdr){.msg_iov = &iov, .msg_iovlen = 1, .msg_name = &to, .msg_namelen = (socklen_t)-1};
	show(L("sendmsg namelen -1"), sendmsg(fd, &m, f));
	show(L("sendmsg msg NULL"), sendmsg(fd, NULL, f));
	show(L("sendmmsg vlen0"), sendmmsg(fd, NULL, 0, f));
	show(L("sendmmsg vec bad"), sendmmsg(fd, bad, 1, f));
}

int main(void)
{
	common_init();
	bad = mmap(NULL, 4096, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	struct sockaddr_in la = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t len = sizeof la;
	int l = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
	bind(l, (struct sockaddr *)&la, sizeof la);
	listen(l, 4);
	getsockname(l, (struct sockaddr *)&la, &len);
	int c = socket(AF_INET, SOCK_STREAM, 0);
	connect(c, (struct sockaddr *)&la, sizeof la);
	struct pollfd p = {l, POLLIN, 0};
	poll(&p, 1, 5000);
	int a = accept(l, NULL, NULL);
	send(c, "tcpdata", 7, 0);
	p = (struct pollfd){a, POLLIN, 0};
	poll(&p, 1, 5000);
	int u = socket(AF_INET, SOCK_STREAM, 0);

	int d = socket(AF_INET, SOCK_DGRAM, 0);
	struct sockaddr_in da = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	bind(d, (struct sockaddr *)&da, sizeof da);
	len = sizeof da;
	getsockname(d, (struct sockaddr *)&da, &len);
	int e = socket(AF_INET, SOCK_DGRAM, 0);
	connect(e, (struct sockaddr *)&da, sizeof da);
	struct sockaddr_in ea;
	len = sizeof ea;
	getsockname(e, (struct sockaddr *)&ea, &len);
	send(e, "udpdata", 7, 0);
	sendto(d, "back", 4, 0, (struct sockaddr *)&ea, sizeof ea);
	int n = socket(AF_INET, SOCK_DGRAM, 0);
	int r = socket(AF_INET, SOCK_RAW, IPPROTO_ICMP);
	int nd = socket(AF_NETLINK, SOCK_RAW, NETLINK_SOCK_DIAG);
	usleep(100000);

	struct kind ks[] = {
		{"tcp-server", a}, {"tcp-client", c}, {"tcp-listener", l}, {"tcp-unconnected", u},
		{"udp-bound", d}, {"udp-connected", e}, {"udp-unbound", n}, {"raw", r}, {"diag", nd},
	};
	size_t nk = sizeof ks / sizeof ks[0];
	for (size_t i = 0; i < nk; i++)
		recv_cases(ks[i].name, ks[i].fd);
	for (size_t i = 0; i < nk; i++)
		send_cases(ks[i].name, ks[i].fd);
	for (size_t i = 0; i < nk; i++)
		name_cases(ks[i].name, ks[i].fd);
	{
		/* tcp_ioctl: a listener has no send queue to tell. */
		int v = -1;
		show("tcp-listener ioctl SIOCOUTQ", ioctl(l, SIOCOUTQ, &v));
		show("tcp-listener ioctl SIOCOUTQNSD", ioctl(l, SIOCOUTQNSD, &v));
	}

	/* The socket ioctls on files that are not sockets: their own
	 * answers (a pipe's FIONREAD is what it holds). */
	{
		int pp[2], v = -1;
		pipe(pp);
		write(pp[1], "pipe", 4);
		show("pipe FIONREAD", ioctl(pp[0], FIONREAD, &v));
		printf("pipe FIONREAD value: %d\n", v);
		show("pipe SIOCOUTQ", ioctl(pp[1], SIOCOUTQ, &v));
		show("pipe SIOCGIFCONF", ioctl(pp[0], SIOCGIFCONF, NULL));
		struct ifreq ifr = {0};
		strcpy(ifr.ifr_name, "lo");
		show("pipe SIOCGIFINDEX", ioctl(pp[0], SIOCGIFINDEX, &ifr));
		show("bad fd FIONREAD", ioctl(999, FIONREAD, &v));
		show("pipe connect", connect(pp[0], (struct sockaddr *)&la, sizeof la));
		show("pipe getsockopt", getsockopt(pp[0], SOL_SOCKET, SO_TYPE, &v, &len));
	}
	puts("done");
	return 0;
}
