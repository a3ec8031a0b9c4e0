/* udp_gso.c - UDP_SEGMENT (UDP GSO): one send of many datagrams.
 *
 * Checks: the option's default, range (0..65535, EINVAL beyond) and
 * read-back; a send larger than the segment size arrives as segments of
 * that size and a shorter last one (IPv4 and IPv6); a send no larger than
 * it as one datagram; the 64 KiB limit of the whole (EMSGSIZE); at most
 * 128 segments (EINVAL for 129); the UDP_SEGMENT control message (a u16;
 * another length is EINVAL) overriding the option; SO_NO_CHECK with a
 * segment size set (EINVAL, whatever the length); a connected socket's
 * native send() and write() with the option set, also to a peer connected
 * to it; and, as root, a segment
 * that does not fit lo's MTU once lowered to 1500 (EINVAL).
 */
#include "common.h"
#include <net/if.h>
#include <netinet/udp.h>
#include <sys/ioctl.h>
#include <sys/uio.h>

#ifndef UDP_SEGMENT
#define UDP_SEGMENT 103
#endif

static char big[70000];

/* drain reads every datagram queued on r (waiting up to 300 ms for the
 * first, 50 ms for each next) and prints how many, their sizes in runs
 * ("3x1000 1x500"), and the bytes in all. */
static void drain(const char *label, int r)
{
	static char buf[70000];
	int n = 0, run = 0;
	long total = 0, last = -1;
	char out[512] = "";
	for (int i = 0; i < 1024; i++) {
		/* Wait a little for more: a native send's datagrams may still be
		 * on their way through netbox (on Linux they are all there). */
		struct pollfd p = {r, POLLIN, 0};
		if (poll(&p, 1, i == 0 ? 300 : 50) <= 0)
			break;
		long k = recv(r, buf, sizeof buf, MSG_DONTWAIT);
		if (k < 0)
			break;
		n++;
		total += k;
		if (k != last && run > 0) {
			snprintf(out + strlen(out), sizeof out - strlen(out), " %dx%ld", run, last);
			run = 0;
		}
		last = k;
		run++;
	}
	if (run > 0)
		snprintf(out + strlen(out), sizeof out - strlen(out), " %dx%ld", run, last);
	printf("%s: %d datagrams%s, %ld bytes\n", label, n, out, total);
}

static long send_cmsg(int s, const void *to, socklen_t tolen, size_t len, int clen, unsigned v)
{
	char cb[CMSG_SPACE(sizeof(uint32_t))];
	memset(cb, 0, sizeof cb);
	struct iovec io = {big, len};
	struct msghdr m = {.msg_name = (void *)to, .msg_namelen = tolen, .msg_iov = &io, .msg_iovlen = 1,
			   .msg_control = cb, .msg_controllen = CMSG_SPACE(clen)};
	struct cmsghdr *c = CMSG_FIRSTHDR(&m);
	c->cmsg_level = SOL_UDP;
	c->cmsg_type = UDP_SEGMENT;
	c->cmsg_len = CMSG_LEN(clen);
	if (clen == 2) {
		uint16_t v16 = v;
		memcpy(CMSG_DATA(c), &v16, 2);
	} else {
		memcpy(CMSG_DATA(c), &v, 4);
	}
	return sendmsg(s, &m, 0);
}

static void set_lo_mtu(const char *label, int mtu)
{
	int fd = socket(AF_INET, SOCK_DGRAM, 0);
	struct ifreq r;
	memset(&r, 0, sizeof r);
	strcpy(r.ifr_name, "lo");
	r.ifr_mtu = mtu;
	show(label, ioctl(fd, SIOCSIFMTU, &r));
	close(fd);
}

static void family_case(int family)
{
	const char *v = family == AF_INET ? "v4" : "v6";
	char l[128];
	int r = socket(family, SOCK_DGRAM, 0);
	bind_port0(r, family, family == AF_INET ? "127.0.0.1" : "::1");
	set_int(r, SOL_SOCKET, SO_RCVBUF, 1 << 22);
	struct sockaddr_storage d;
	socklen_t dl;
	if (family == AF_INET) {
		*(struct sockaddr_in *)&d = sin4("127.0.0.1", local_port(r));
		dl = sizeof(struct sockaddr_in);
	} else {
		*(struct sockaddr_in6 *)&d = sin6("::1", local_port(r));
		dl = sizeof(struct sockaddr_in6);
	}
	int s = socket(family, SOCK_DGRAM, 0);
	snprintf(l, sizeof l, "%s gso default", v);
	get_int(l, s, SOL_UDP, UDP_SEGMENT);
	static const int sets[] = {1000, -1, 65536, 65535, 1000};
	for (int i = 0; i < 5; i++) {
		snprintf(l, sizeof l, "%s set gso %d", v, sets[i]);
		show(l, set_int(s, SOL_UDP, UDP_SEGMENT, sets[i]));
	}
	snprintf(l, sizeof l, "%s gso get", v);
	get_int(l, s, SOL_UDP, UDP_SEGMENT);
	static const int sizes[] = {3500, 1000, 500, 64000, 65507, 65508, 65527, 65528};
	for (int i = 0; i < 8; i++) {
		snprintf(l, sizeof l, "%s sendto %d", v, sizes[i]);
		show(l, sendto(s, big, sizes[i], 0, (struct sockaddr *)&d, dl));
		snprintf(l, sizeof l, "%s rx %d", v, sizes[i]);
		drain(l, r);
	}
	snprintf(l, sizeof l, "%s set gso 100", v);
	show(l, set_int(s, SOL_UDP, UDP_SEGMENT, 100));
	snprintf(l, sizeof l, "%s sendto 12800 (128 segments)", v);
	show(l, sendto(s, big, 12800, 0, (struct sockaddr *)&d, dl));
	snprintf(l, sizeof l, "%s rx 12800", v);
	drain(l, r);
	snprintf(l, sizeof l, "%s sendto 12801 (129 segments)", v);
	show(l, sendto(s, big, 12801, 0, (struct sockaddr *)&d, dl));
	snprintf(l, sizeof l, "%s rx 12801", v);
	drain(l, r);
	snprintf(l, sizeof l, "%s sendmsg cmsg 1200 of 2500", v);
	show(l, send_cmsg(s, &d, dl, 2500, 2, 1200));
	snprintf(l, sizeof l, "%s rx cmsg", v);
	drain(l, r);
	snprintf(l, sizeof l, "%s sendmsg cmsg 0 of 2500", v);
	show(l, send_cmsg(s, &d, dl, 2500, 2, 0));
	snprintf(l, sizeof l, "%s rx cmsg 0", v);
	drain(l, r);
	snprintf(l, sizeof l, "%s sendmsg cmsg of 4 bytes", v);
	show(l, send_cmsg(s, &d, dl, 2500, 4, 1200));
	snprintf(l, sizeof l, "%s rx cmsg 4 bytes", v);
	drain(l, r);
	if (family == AF_INET) {
		show("v4 set SO_NO_CHECK", set_int(s, SOL_SOCKET, SO_NO_CHECK, 1));
		show("v4 sendto 2000 nocheck", sendto(s, big, 2000, 0, (struct sockaddr *)&d, dl));
		show("v4 sendto 50 nocheck", sendto(s, big, 50, 0, (struct sockaddr *)&d, dl));
		drain("v4 rx nocheck", r);
	}
	close(s);

	/* A connected socket: native send() and write() with the option. */
	s = socket(family, SOCK_DGRAM, 0);
	connect(s, (struct sockaddr *)&d, dl);
	snprintf(l, sizeof l, "%s conn set gso 700", v);
	show(l, set_int(s, SOL_UDP, UDP_SEGMENT, 700));
	snprintf(l, sizeof l, "%s conn send 2000", v);
	show(l, send(s, big, 2000, 0));
	snprintf(l, sizeof l, "%s rx conn send", v);
	drain(l, r);
	snprintf(l, sizeof l, "%s conn write 1500", v);
	show(l, write(s, big, 1500));
	snprintf(l, sizeof l, "%s rx conn write", v);
	drain(l, r);
	close(s);

	/* A connected socket that sets the option before connecting. */
	s = socket(family, SOCK_DGRAM, 0);
	set_int(s, SOL_UDP, UDP_SEGMENT, 400);
	connect(s, (struct sockaddr *)&d, dl);
	snprintf(l, sizeof l, "%s conn2 send 1000", v);
	show(l, send(s, big, 1000, 0));
	snprintf(l, sizeof l, "%s rx conn2", v);
	drain(l, r);
	close(s);

	if (geteuid() == 0) {
		/* A segment must fit the path MTU. */
		snprintf(l, sizeof l, "%s lo mtu 1500", v);
		set_lo_mtu(l, 1500);
		int hdr = family == AF_INET ? 28 : 48;
		s = socket(family, SOCK_DGRAM, 0);
		set_int(s, SOL_UDP, UDP_SEGMENT, 1500 - hdr);
		snprintf(l, sizeof l, "%s gso mtu-hdr sendto 3000", v);
		show(l, sendto(s, big, 3000, 0, (struct sockaddr *)&d, dl));
		snprintf(l, sizeof l, "%s rx mtu-hdr", v);
		drain(l, r);
		set_int(s, SOL_UDP, UDP_SEGMENT, 1500 - hdr + 1);
		snprintf(l, sizeof l, "%s gso mtu-hdr+1 sendto 3000", v);
		show(l, sendto(s, big, 3000, 0, (struct sockaddr *)&d, dl));
		snprintf(l, sizeof l, "%s gso mtu-hdr+1 sendto 1000", v);
		show(l, sendto(s, big, 1000, 0, (struct sockaddr *)&d, dl));
		snprintf(l, sizeof l, "%s rx mtu-hdr+1", v);
		drain(l, r);
		close(s);
		snprintf(l, sizeof l, "%s lo mtu 65536", v);
		set_lo_mtu(l, 65536);
	}
	close(r);
}

/* mutual: two sockets connected to each other, one with the option: its
 * native send(), then sendmsg(). */
static void mutual(void)
{
	int a = socket(AF_INET, SOCK_DGRAM, 0), b = socket(AF_INET, SOCK_DGRAM, 0);
	bind_port0(a, AF_INET, "127.0.0.1");
	bind_port0(b, AF_INET, "127.0.0.1");
	struct sockaddr_in aa = sin4("127.0.0.1", local_port(a)), ba = sin4("127.0.0.1", local_port(b));
	connect(a, (struct sockaddr *)&ba, sizeof ba);
	connect(b, (struct sockaddr *)&aa, sizeof aa);
	set_int(a, SOL_UDP, UDP_SEGMENT, 700);
	show("mutual send 2000", send(a, big, 2000, 0));
	drain("mutual rx send", b);
	struct iovec iov = {big, 2000};
	struct msghdr m = {.msg_iov = &iov, .msg_iovlen = 1};
	show("mutual sendmsg 2000", sendmsg(a, &m, 0));
	drain("mutual rx sendmsg", b);
	close(a);
	close(b);
}

int main(void)
{
	common_init();
	memset(big, 'g', sizeof big);
	family_case(AF_INET);
	family_case(AF_INET6);
	mutual();
	int lite = socket(AF_INET, SOCK_DGRAM, IPPROTO_UDPLITE);
	if (lite >= 0) {
		show("udplite set gso 100", set_int(lite, SOL_UDP, UDP_SEGMENT, 100));
		struct sockaddr_in d = sin4("127.0.0.1", 9);
		show("udplite sendto 300", sendto(lite, big, 300, 0, (struct sockaddr *)&d, sizeof d));
		close(lite);
	}
	return 0;
}
