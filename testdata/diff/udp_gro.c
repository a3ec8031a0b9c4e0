/* udp_gro.c - UDP_GRO: a receiver that takes a UDP_SEGMENT send whole.
 *
 * Checks, over IPv4 and IPv6: the option's default, read-back (any
 * non-zero value reads 1) and short optlen (EINVAL); a send of many
 * segments (the option, or the UDP_SEGMENT control message) reaching a
 * socket with UDP_GRO as one datagram, with a SOL_UDP UDP_GRO control
 * message giving the segment size (after SO_RXQ_OVFL-level messages,
 * before IP_PKTINFO), a last segment shorter, a send no larger than the
 * segment size arriving plain; a short read (MSG_TRUNC, the control
 * message still there) and MSG_TRUNC's full length; MSG_PEEK; a native
 * recv of the whole; a receiver without UDP_GRO getting the segments; and
 * a connected sender's native send() with the option set.
 */
#include "common.h"
#include <netinet/udp.h>

#ifndef UDP_SEGMENT
#define UDP_SEGMENT 103
#endif
#ifndef UDP_GRO
#define UDP_GRO 104
#endif

static char big[70000];

/* rx receives one datagram into a buffer of len bytes with flags, and
 * prints its length, msg_flags' MSG_TRUNC and every control message
 * (level, type, and an int value where there is one). */
static void rx(const char *label, int r, size_t len, int flags)
{
	static char buf[70000];
	char ctl[512];
	struct iovec iov = {buf, len};
	struct msghdr m = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctl, .msg_controllen = sizeof ctl};
	struct pollfd p = {r, POLLIN, 0};
	poll(&p, 1, 1000);
	ssize_t n = recvmsg(r, &m, flags | MSG_DONTWAIT);
	if (n < 0) {
		printf("%s: -1 %s\n", label, errname(errno));
		return;
	}
	printf("%s: %zd trunc=%d", label, n, !!(m.msg_flags & MSG_TRUNC));
	for (struct cmsghdr *c = CMSG_FIRSTHDR(&m); c; c = CMSG_NXTHDR(&m, c)) {
		printf(" [%s/%s", level_name(c->cmsg_level), type_name(c->cmsg_level, c->cmsg_type));
		if (c->cmsg_level == SOL_UDP && c->cmsg_len == CMSG_LEN(sizeof(int))) {
			int v;
			memcpy(&v, CMSG_DATA(c), sizeof v);
			printf(" %d", v);
		}
		printf("]");
	}
	printf("\n");
}

/* nothing checks that no datagram is left on r. */
static void nothing(const char *label, int r)
{
	char b[1];
	struct pollfd p = {r, POLLIN, 0};
	poll(&p, 1, 100);
	show(label, recv(r, b, 1, MSG_DONTWAIT));
}

static long send_gso_cmsg(int s, const void *to, socklen_t tolen, size_t len, unsigned short gso)
{
	char ctl[CMSG_SPACE(sizeof gso)];
	memset(ctl, 0, sizeof ctl);
	struct iovec iov = {big, len};
	struct msghdr m = {.msg_name = (void *)to, .msg_namelen = tolen, .msg_iov = &iov, .msg_iovlen = 1,
			   .msg_control = ctl, .msg_controllen = sizeof ctl};
	struct cmsghdr *c = CMSG_FIRSTHDR(&m);
	c->cmsg_level = SOL_UDP;
	c->cmsg_type = UDP_SEGMENT;
	c->cmsg_len = CMSG_LEN(sizeof gso);
	memcpy(CMSG_DATA(c), &gso, sizeof gso);
	return sendmsg(s, &m, 0);
}

static void family_case(int family)
{
	const char *v = family == AF_INET ? "v4" : "v6";
	const char *lo = family == AF_INET ? "127.0.0.1" : "::1";
	char l[128];
	int r = socket(family, SOCK_DGRAM, 0);
	bind_port0(r, family, lo);
	struct sockaddr_storage d;
	socklen_t dl = sizeof d;
	getsockname(r, (struct sockaddr *)&d, &dl);

	snprintf(l, sizeof l, "%s UDP_GRO default", v);
	get_int(l, r, SOL_UDP, UDP_GRO);
	snprintf(l, sizeof l, "%s set UDP_GRO 5", v);
	show(l, set_int(r, SOL_UDP, UDP_GRO, 5));
	snprintf(l, sizeof l, "%s UDP_GRO after 5", v);
	get_int(l, r, SOL_UDP, UDP_GRO);
	short s16 = 1;
	snprintf(l, sizeof l, "%s set UDP_GRO len 2", v);
	show(l, setsockopt(r, SOL_UDP, UDP_GRO, &s16, sizeof s16));

	int s = socket(family, SOCK_DGRAM, 0);
	set_int(s, SOL_UDP, UDP_SEGMENT, 1000);
	snprintf(l, sizeof l, "%s sendto 10000 gso 1000", v);
	show(l, sendto(s, big, 10000, 0, (struct sockaddr *)&d, dl));
	snprintf(l, sizeof l, "%s rx 10000", v);
	rx(l, r, sizeof big, 0);
	snprintf(l, sizeof l, "%s sendto 2500 gso 1000", v);
	show(l, sendto(s, big, 2500, 0, (struct sockaddr *)&d, dl));
	snprintf(l, sizeof l, "%s sendto 800 gso 1000", v);
	show(l, sendto(s, big, 800, 0, (struct sockaddr *)&d, dl));
	snprintf(l, sizeof l, "%s rx 2500", v);
	rx(l, r, sizeof big, 0);
	snprintf(l, sizeof l, "%s rx 800", v);
	rx(l, r, sizeof big, 0);
	snprintf(l, sizeof l, "%s sendmsg 1200 cmsg gso 500", v);
	show(l, send_gso_cmsg(s, &d, dl, 1200, 500));
	snprintf(l, sizeof l, "%s rx cmsg gso", v);
	rx(l, r, sizeof big, 0);

	/* Reads of a whole send: short, MSG_TRUNC, MSG_PEEK, native. */
	sendto(s, big, 3000, 0, (struct sockaddr *)&d, dl);
	snprintf(l, sizeof l, "%s peek 3000", v);
	rx(l, r, sizeof big, MSG_PEEK);
	snprintf(l, sizeof l, "%s short read 3000", v);
	rx(l, r, 100, 0);
	sendto(s, big, 3000, 0, (struct sockaddr *)&d, dl);
	snprintf(l, sizeof l, "%s MSG_TRUNC read 3000", v);
	rx(l, r, 10, MSG_TRUNC);
	sendto(s, big, 3000, 0, (struct sockaddr *)&d, dl);
	{
		static char buf[70000];
		struct pollfd p = {r, POLLIN, 0};
		poll(&p, 1, 1000);
		snprintf(l, sizeof l, "%s native recv 3000", v);
		show(l, recv(r, buf, sizeof buf, MSG_DONTWAIT));
	}

	/* With IP_PKTINFO / IPV6_RECVPKTINFO: the order of the messages. */
	if (family == AF_INET)
		set_int(r, SOL_IP, IP_PKTINFO, 1);
	else
		set_int(r, SOL_IPV6, IPV6_RECVPKTINFO, 1);
	sendto(s, big, 2000, 0, (struct sockaddr *)&d, dl);
	snprintf(l, sizeof l, "%s rx with pktinfo", v);
	rx(l, r, sizeof big, 0);

	/* A connected sender's native send() with the option set. */
	int c = socket(family, SOCK_DGRAM, 0);
	connect(c, (struct sockaddr *)&d, dl);
	set_int(c, SOL_UDP, UDP_SEGMENT, 700);
	snprintf(l, sizeof l, "%s connected send 2000 gso 700", v);
	show(l, send(c, big, 2000, 0));
	snprintf(l, sizeof l, "%s rx connected", v);
	rx(l, r, sizeof big, 0);
	close(c);

	/* UDP_GRO off again: the segments. */
	snprintf(l, sizeof l, "%s set UDP_GRO 0", v);
	show(l, set_int(r, SOL_UDP, UDP_GRO, 0));
	snprintf(l, sizeof l, "%s UDP_GRO after 0", v);
	get_int(l, r, SOL_UDP, UDP_GRO);
	snprintf(l, sizeof l, "%s sendto 2500 gso 1000 to no GRO", v);
	show(l, sendto(s, big, 2500, 0, (struct sockaddr *)&d, dl));
	for (int i = 0; i < 3; i++) {
		snprintf(l, sizeof l, "%s rx segment %d", v, i);
		rx(l, r, sizeof big, 0);
	}
	snprintf(l, sizeof l, "%s nothing left", v);
	nothing(l, r);
	close(s);
	close(r);
}

int main(void)
{
	common_init();
	memset(big, 'g', sizeof big);
	family_case(AF_INET);
	family_case(AF_INET6);
	int t = socket(AF_INET, SOCK_STREAM, 0);
	show("tcp set UDP_GRO", set_int(t, SOL_UDP, UDP_GRO, 1));
	close(t);
	return 0;
}
