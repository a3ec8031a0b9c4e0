/* udplite.c - UDP-Lite sockets (IPPROTO_UDPLITE): a port space of their
 * own beside UDP's, datagrams between UDP-Lite sockets over IPv4 and IPv6,
 * none from UDP, SO_PROTOCOL, and the checksum coverage options at
 * SOL_UDPLITE and SOL_UDP (Linux's clamping; ENOPROTOOPT on UDP).
 */
/* spec: SOCK-04 SOCK-05 SOCK-12 */
#include "common.h"

#ifndef IPPROTO_UDPLITE
#define IPPROTO_UDPLITE 136
#endif
#define SOL_UDPLITE 136
#ifndef SOL_UDP
#define SOL_UDP 17
#endif
#define UDPLITE_SEND_CSCOV 10
#define UDPLITE_RECV_CSCOV 11

static void opt(const char *label, int fd, int level, int name, int val)
{
	char l[128];
	snprintf(l, sizeof l, "%s set %d", label, val);
	show(l, setsockopt(fd, level, name, &val, sizeof val));
	int got = -1;
	socklen_t len = sizeof got;
	snprintf(l, sizeof l, "%s get", label);
	if (getsockopt(fd, level, name, &got, &len) < 0)
		show(l, -1);
	else
		printf("%s: %d\n", l, got);
}

static void pair(const char *fam, int family, const void *any, socklen_t alen)
{
	char l[128];
	int lite = socket(family, SOCK_DGRAM, IPPROTO_UDPLITE);
	snprintf(l, sizeof l, "%s socket", fam);
	showfd(l, lite);
	struct timeval tv = {2, 0};
	setsockopt(lite, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
	struct sockaddr_storage a;
	memcpy(&a, any, alen);
	snprintf(l, sizeof l, "%s bind", fam);
	show(l, bind(lite, (struct sockaddr *)&a, alen));
	socklen_t len = sizeof a;
	getsockname(lite, (struct sockaddr *)&a, &len);

	/* UDP may take the same port: another port space. */
	int udp = socket(family, SOCK_DGRAM, 0);
	snprintf(l, sizeof l, "%s udp bind same port", fam);
	show(l, bind(udp, (struct sockaddr *)&a, len));
	int lite2 = socket(family, SOCK_DGRAM, IPPROTO_UDPLITE);
	snprintf(l, sizeof l, "%s udplite bind same port", fam);
	show(l, bind(lite2, (struct sockaddr *)&a, len));

	int p = -1;
	socklen_t pl = sizeof p;
	getsockopt(lite, SOL_SOCKET, SO_PROTOCOL, &p, &pl);
	printf("%s SO_PROTOCOL: %d\n", fam, p);

	int c = socket(family, SOCK_DGRAM, IPPROTO_UDPLITE);
	snprintf(l, sizeof l, "%s sendto", fam);
	show(l, sendto(c, "lite", 4, 0, (struct sockaddr *)&a, len));
	char b[16];
	snprintf(l, sizeof l, "%s recv", fam);
	show(l, recv(lite, b, sizeof b, 0));
	int u = socket(family, SOCK_DGRAM, 0);
	snprintf(l, sizeof l, "%s udp sendto", fam);
	show(l, sendto(u, "udp", 3, 0, (struct sockaddr *)&a, len));
	snprintf(l, sizeof l, "%s udp datagram at the udp socket", fam);
	show(l, recv(udp, b, sizeof b, MSG_DONTWAIT));
	snprintf(l, sizeof l, "%s udp datagram at the udplite socket", fam);
	show(l, recv(lite, b, sizeof b, MSG_DONTWAIT));
	close(c);
	close(u);
	close(udp);
	close(lite2);

	snprintf(l, sizeof l, "%s SOL_UDPLITE SEND_CSCOV", fam);
	opt(l, lite, SOL_UDPLITE, UDPLITE_SEND_CSCOV, 3);
	opt(l, lite, SOL_UDPLITE, UDPLITE_SEND_CSCOV, 20);
	opt(l, lite, SOL_UDPLITE, UDPLITE_SEND_CSCOV, 70000);
	opt(l, lite, SOL_UDPLITE, UDPLITE_SEND_CSCOV, 0);
	snprintf(l, sizeof l, "%s SOL_UDP RECV_CSCOV", fam);
	opt(l, lite, SOL_UDP, UDPLITE_RECV_CSCOV, 5);
	int plain = socket(family, SOCK_DGRAM, IPPROTO_UDP);
	snprintf(l, sizeof l, "%s udp SEND_CSCOV", fam);
	opt(l, plain, SOL_UDPLITE, UDPLITE_SEND_CSCOV, 20);
	close(plain);
	close(lite);
}

int main(void)
{
	common_init();
	struct sockaddr_in a4 = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	pair("v4", AF_INET, &a4, sizeof a4);
	struct sockaddr_in6 a6 = {.sin6_family = AF_INET6, .sin6_addr = IN6ADDR_LOOPBACK_INIT};
	pair("v6", AF_INET6, &a6, sizeof a6);
	showfd("stream udplite", socket(AF_INET, SOCK_STREAM, IPPROTO_UDPLITE));
	puts("done");
	return 0;
}
