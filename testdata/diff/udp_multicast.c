/* udp_multicast.c - IPv4 multicast in a network that has only lo: joining
 * a group needs an interface (ENODEV without one: there is no multicast
 * route), lo's address works; a second join is EADDRINUSE, leaving twice
 * EADDRNOTAVAIL; sending needs IP_MULTICAST_IF (ENETUNREACH without);
 * delivery to the sockets bound to the port (also one that did not join:
 * IP_MULTICAST_ALL is on), with IP_MULTICAST_LOOP on and off;
 * IP_MULTICAST_IF forms and errors; TCP refuses memberships (EPROTO);
 * IPv6 groups joined on lo, IPV6_MULTICAST_IF, and no IPv6 multicast
 * route (ENETUNREACH).
 */
/* spec: URECV-03 */
#include "common.h"
#include <poll.h>

static int bound(int port)
{
	int s = socket(AF_INET, SOCK_DGRAM, 0);
	int one = 1;
	setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
	bind(s, (struct sockaddr *)&a, sizeof a);
	return s;
}

static void got(const char *label, int fd)
{
	struct pollfd p = {fd, POLLIN, 0};
	poll(&p, 1, 200);
	char b[16];
	ssize_t n = recv(fd, b, sizeof b, MSG_DONTWAIT);
	if (n < 0)
		printf("%s: -1 %s\n", label, errname(errno));
	else
		printf("%s: %zd %.*s\n", label, n, (int)n, b);
}

static int mreq(int fd, int opt, const char *group, const char *iface)
{
	struct ip_mreq m;
	inet_pton(AF_INET, group, &m.imr_multiaddr);
	inet_pton(AF_INET, iface, &m.imr_interface);
	return setsockopt(fd, IPPROTO_IP, opt, &m, sizeof m);
}

int main(void)
{
	common_init();
	int a = bound(0);
	int port = local_port(a);
	int b = bound(port);
	show("join via 0.0.0.0", mreq(a, IP_ADD_MEMBERSHIP, "239.1.1.1", "0.0.0.0"));
	show("join via 127.0.0.1", mreq(a, IP_ADD_MEMBERSHIP, "239.1.1.1", "127.0.0.1"));
	show("join again", mreq(a, IP_ADD_MEMBERSHIP, "239.1.1.1", "127.0.0.1"));
	show("join a unicast group", mreq(a, IP_ADD_MEMBERSHIP, "10.1.1.1", "127.0.0.1"));
	show("join short optlen", setsockopt(a, IPPROTO_IP, IP_ADD_MEMBERSHIP, "abcd", 4));
	struct ip_mreqn mn = {.imr_ifindex = 1};
	inet_pton(AF_INET, "239.2.2.2", &mn.imr_multiaddr);
	show("join ip_mreqn by index", setsockopt(a, IPPROTO_IP, IP_ADD_MEMBERSHIP, &mn, sizeof mn));
	mn.imr_ifindex = 77;
	show("join ip_mreqn bad index", setsockopt(a, IPPROTO_IP, IP_ADD_MEMBERSHIP, &mn, sizeof mn));

	int s = socket(AF_INET, SOCK_DGRAM, 0);
	struct sockaddr_in g = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
	inet_pton(AF_INET, "239.1.1.1", &g.sin_addr);
	show("send without IP_MULTICAST_IF", sendto(s, "m0", 2, 0, (struct sockaddr *)&g, sizeof g));
	struct in_addr lo = {htonl(INADDR_LOOPBACK)};
	show("IP_MULTICAST_IF 127.0.0.1", setsockopt(s, IPPROTO_IP, IP_MULTICAST_IF, &lo, sizeof lo));
	struct in_addr got_if = {0};
	socklen_t gl = sizeof got_if;
	getsockopt(s, IPPROTO_IP, IP_MULTICAST_IF, &got_if, &gl);
	char ip[32];
	printf("IP_MULTICAST_IF read back: %s len=%u\n", inet_ntop(AF_INET, &got_if, ip, sizeof ip), (unsigned)gl);
	show("send via lo", sendto(s, "m1", 2, 0, (struct sockaddr *)&g, sizeof g));
	got("joined socket", a);
	got("other socket on the port", b);
	int zero = 0;
	show("IP_MULTICAST_LOOP 0", setsockopt(s, IPPROTO_IP, IP_MULTICAST_LOOP, &zero, sizeof zero));
	show("send without loop", sendto(s, "m2", 2, 0, (struct sockaddr *)&g, sizeof g));
	got("joined socket without loop", a);
	got("other socket without loop", b);

	struct in_addr far;
	inet_pton(AF_INET, "10.1.2.3", &far);
	show("IP_MULTICAST_IF 10.1.2.3", setsockopt(s, IPPROTO_IP, IP_MULTICAST_IF, &far, sizeof far));
	show("IP_MULTICAST_IF short", setsockopt(s, IPPROTO_IP, IP_MULTICAST_IF, &far, 2));
	struct in_addr any = {0};
	show("IP_MULTICAST_IF any", setsockopt(s, IPPROTO_IP, IP_MULTICAST_IF, &any, sizeof any));

	show("leave", mreq(a, IP_DROP_MEMBERSHIP, "239.1.1.1", "127.0.0.1"));
	show("leave again", mreq(a, IP_DROP_MEMBERSHIP, "239.1.1.1", "127.0.0.1"));
	int t = socket(AF_INET, SOCK_STREAM, 0);
	show("tcp join", mreq(t, IP_ADD_MEMBERSHIP, "239.1.1.1", "127.0.0.1"));
	show("tcp IP_MULTICAST_IF", setsockopt(t, IPPROTO_IP, IP_MULTICAST_IF, &lo, sizeof lo));

	/* IPv6: groups can be joined on lo (index 1), but lo has no
	 * IFF_MULTICAST, so nothing can be sent to them. */
	int r6 = socket(AF_INET6, SOCK_DGRAM, 0);
	struct sockaddr_in6 b6 = {.sin6_family = AF_INET6, .sin6_addr = IN6ADDR_ANY_INIT};
	bind(r6, (struct sockaddr *)&b6, sizeof b6);
	struct ipv6_mreq m6 = {.ipv6mr_interface = 0};
	inet_pton(AF_INET6, "ff0e::1", &m6.ipv6mr_multiaddr);
	show("v6 join index 0", setsockopt(r6, IPPROTO_IPV6, IPV6_JOIN_GROUP, &m6, sizeof m6));
	m6.ipv6mr_interface = 1;
	show("v6 join lo", setsockopt(r6, IPPROTO_IPV6, IPV6_JOIN_GROUP, &m6, sizeof m6));
	show("v6 join again", setsockopt(r6, IPPROTO_IPV6, IPV6_JOIN_GROUP, &m6, sizeof m6));
	m6.ipv6mr_interface = 99;
	show("v6 join bad index", setsockopt(r6, IPPROTO_IPV6, IPV6_JOIN_GROUP, &m6, sizeof m6));
	struct ipv6_mreq u6 = {.ipv6mr_interface = 1};
	inet_pton(AF_INET6, "::1", &u6.ipv6mr_multiaddr);
	show("v6 join unicast", setsockopt(r6, IPPROTO_IPV6, IPV6_JOIN_GROUP, &u6, sizeof u6));
	show("v6 join short", setsockopt(r6, IPPROTO_IPV6, IPV6_JOIN_GROUP, &m6, 16));
	int s6 = socket(AF_INET6, SOCK_DGRAM, 0);
	show("v6 IPV6_MULTICAST_IF 1", set_int(s6, IPPROTO_IPV6, IPV6_MULTICAST_IF, 1));
	get_int("v6 IPV6_MULTICAST_IF", s6, IPPROTO_IPV6, IPV6_MULTICAST_IF);
	show("v6 IPV6_MULTICAST_IF 9", set_int(s6, IPPROTO_IPV6, IPV6_MULTICAST_IF, 9));
	struct sockaddr_in6 g6 = {.sin6_family = AF_INET6, .sin6_port = htons((uint16_t)port)};
	inet_pton(AF_INET6, "ff0e::1", &g6.sin6_addr);
	show("v6 send to the group", sendto(s6, "v6", 2, 0, (struct sockaddr *)&g6, sizeof g6));
	m6.ipv6mr_interface = 1;
	show("v6 leave", setsockopt(r6, IPPROTO_IPV6, IPV6_LEAVE_GROUP, &m6, sizeof m6));
	show("v6 leave again", setsockopt(r6, IPPROTO_IPV6, IPV6_LEAVE_GROUP, &m6, sizeof m6));
	int t6 = socket(AF_INET6, SOCK_STREAM, 0);
	show("v6 tcp join", setsockopt(t6, IPPROTO_IPV6, IPV6_JOIN_GROUP, &m6, sizeof m6));
	show("v6 tcp IPV6_MULTICAST_IF", set_int(t6, IPPROTO_IPV6, IPV6_MULTICAST_IF, 1));
	puts("done");
	return 0;
}
