/* mcast_group.c - the protocol-independent multicast API (RFC 3678):
 * MCAST_JOIN_GROUP and MCAST_LEAVE_GROUP with a struct group_req, at
 * SOL_IP and SOL_IPV6, and IP_MULTICAST_ALL / IPV6_MULTICAST_ALL.
 *
 * Checks, IPv4 and IPv6: joining on lo's index, twice (EADDRINUSE),
 * leaving twice (EADDRNOTAVAIL), index 0 (no multicast route: ENODEV), an
 * unknown index, the other family's sockaddr, a group that is not
 * multicast, a short optlen, an unreadable one, on TCP; a datagram to the
 * group reaching the socket that joined it, and another socket bound to
 * the same port that did not join only while its *_MULTICAST_ALL is on
 * (the default); reading the options back, and their short optlen.
 */
#include "common.h"
#include <net/if.h>
#include <poll.h>

static long join(int fd, int level, int opt, int family, const char *group, unsigned ifindex, socklen_t len)
{
	struct group_req g;
	memset(&g, 0, sizeof g);
	g.gr_interface = ifindex;
	if (family == AF_INET) {
		struct sockaddr_in *a = (struct sockaddr_in *)&g.gr_group;
		a->sin_family = AF_INET;
		inet_pton(AF_INET, group, &a->sin_addr);
	} else {
		struct sockaddr_in6 *a = (struct sockaddr_in6 *)&g.gr_group;
		a->sin6_family = (sa_family_t)family;
		inet_pton(AF_INET6, group, &a->sin6_addr);
	}
	return setsockopt(fd, level, opt, &g, len);
}

static int bound(int family, int port)
{
	int s = socket(family, SOCK_DGRAM, 0);
	int one = 1;
	setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
	if (family == AF_INET) {
		struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
		bind(s, (struct sockaddr *)&a, sizeof a);
	} else {
		struct sockaddr_in6 a = {.sin6_family = AF_INET6, .sin6_port = htons((uint16_t)port)};
		bind(s, (struct sockaddr *)&a, sizeof a);
	}
	return s;
}

static void got(const char *label, int fd)
{
	char b[64];
	struct pollfd p = {fd, POLLIN, 0};
	poll(&p, 1, 300);
	long n = recv(fd, b, sizeof b, MSG_DONTWAIT);
	if (n < 0)
		printf("%s: -1 %s\n", label, errname(errno));
	else
		printf("%s: %ld [%.*s]\n", label, n, (int)n, b);
}

static void family_case(int family)
{
	const char *v = family == AF_INET ? "v4" : "v6";
	int level = family == AF_INET ? SOL_IP : SOL_IPV6;
	int all = family == AF_INET ? IP_MULTICAST_ALL : IPV6_MULTICAST_ALL;
	const char *group = family == AF_INET ? "224.1.2.3" : "ff15::1:3";
	const char *unicast = family == AF_INET ? "10.0.0.1" : "2001:db8::1";
	unsigned lo = if_nametoindex("lo");
	int other = family == AF_INET ? AF_INET6 : AF_INET;
	char l[96];
	int port = 0;
	{
		int t = socket(family, SOCK_DGRAM, 0);
		bind_port0(t, family, family == AF_INET ? "127.0.0.1" : "::1");
		port = local_port(t);
		close(t);
	}
	int r = bound(family, port);
#define TRY(what, expr) do { snprintf(l, sizeof l, "%s %s", v, what); show(l, (expr)); } while (0)
	TRY("join index 0 first", join(r, level, MCAST_JOIN_GROUP, family, group, 0, sizeof(struct group_req)));
	TRY("join lo", join(r, level, MCAST_JOIN_GROUP, family, group, lo, sizeof(struct group_req)));
	TRY("join lo again", join(r, level, MCAST_JOIN_GROUP, family, group, lo, sizeof(struct group_req)));
	TRY("join index 0", join(r, level, MCAST_JOIN_GROUP, family, group, 0, sizeof(struct group_req)));
	TRY("join index 99", join(r, level, MCAST_JOIN_GROUP, family, group, 99, sizeof(struct group_req)));
	TRY("join other family", join(r, level, MCAST_JOIN_GROUP, other, group, lo, sizeof(struct group_req)));
	TRY("join unicast", join(r, level, MCAST_JOIN_GROUP, family, unicast, lo, sizeof(struct group_req)));
	TRY("join short", join(r, level, MCAST_JOIN_GROUP, family, group, lo, sizeof(struct group_req) - 1));
	TRY("join bad pointer", setsockopt(r, level, MCAST_JOIN_GROUP, (void *)8, sizeof(struct group_req)));
	TRY("leave other family", join(r, level, MCAST_LEAVE_GROUP, other, group, lo, sizeof(struct group_req)));
	TRY("leave short", join(r, level, MCAST_LEAVE_GROUP, family, group, lo, 8));
	snprintf(l, sizeof l, "%s MULTICAST_ALL default", v);
	get_int(l, r, level, all);

	/* A second socket on the port, not a member. */
	int r2 = bound(family, port);
	int s = socket(family, SOCK_DGRAM, 0);
	if (family == AF_INET) {
		struct in_addr lo4 = {htonl(INADDR_LOOPBACK)};
		setsockopt(s, SOL_IP, IP_MULTICAST_IF, &lo4, sizeof lo4);
	} else {
		setsockopt(s, SOL_IPV6, IPV6_MULTICAST_IF, &lo, sizeof lo);
	}
	struct sockaddr_storage d;
	socklen_t dl;
	memset(&d, 0, sizeof d);
	if (family == AF_INET) {
		struct sockaddr_in *a = (struct sockaddr_in *)&d;
		a->sin_family = AF_INET;
		a->sin_port = htons((uint16_t)port);
		inet_pton(AF_INET, group, &a->sin_addr);
		dl = sizeof *a;
	} else {
		struct sockaddr_in6 *a = (struct sockaddr_in6 *)&d;
		a->sin6_family = AF_INET6;
		a->sin6_port = htons((uint16_t)port);
		inet_pton(AF_INET6, group, &a->sin6_addr);
		dl = sizeof *a;
	}
	TRY("send all on", sendto(s, "one", 3, 0, (struct sockaddr *)&d, dl));
	snprintf(l, sizeof l, "%s member rx all on", v);
	got(l, r);
	snprintf(l, sizeof l, "%s non-member rx all on", v);
	got(l, r2);
	TRY("set MULTICAST_ALL 0", set_int(r2, level, all, 0));
	snprintf(l, sizeof l, "%s MULTICAST_ALL after 0", v);
	get_int(l, r2, level, all);
	TRY("send all off", sendto(s, "two", 3, 0, (struct sockaddr *)&d, dl));
	snprintf(l, sizeof l, "%s member rx all off", v);
	got(l, r);
	snprintf(l, sizeof l, "%s non-member rx all off", v);
	got(l, r2);
	TRY("set MULTICAST_ALL 7", set_int(r2, level, all, 7));
	snprintf(l, sizeof l, "%s MULTICAST_ALL after 7", v);
	get_int(l, r2, level, all);
	char one = 1;
	TRY("set MULTICAST_ALL len 1", setsockopt(r2, level, all, &one, 1));

	TRY("leave index 0", join(r, level, MCAST_LEAVE_GROUP, family, group, 0, sizeof(struct group_req)));
	TRY("join lo again after leave", join(r, level, MCAST_JOIN_GROUP, family, group, lo, sizeof(struct group_req)));
	TRY("leave lo", join(r, level, MCAST_LEAVE_GROUP, family, group, lo, sizeof(struct group_req)));
	TRY("leave lo again", join(r, level, MCAST_LEAVE_GROUP, family, group, lo, sizeof(struct group_req)));
	TRY("send after leave", sendto(s, "three", 5, 0, (struct sockaddr *)&d, dl));
	snprintf(l, sizeof l, "%s former member rx", v);
	got(l, r);
	snprintf(l, sizeof l, "%s all-on socket rx", v);
	got(l, r2);

	int t = socket(family, SOCK_STREAM, 0);
	TRY("tcp join", join(t, level, MCAST_JOIN_GROUP, family, group, lo, sizeof(struct group_req)));
	TRY("tcp leave", join(t, level, MCAST_LEAVE_GROUP, family, group, lo, sizeof(struct group_req)));
	snprintf(l, sizeof l, "%s tcp MULTICAST_ALL", v);
	get_int(l, t, level, all);
	close(t);
	close(s);
	close(r2);
	close(r);
#undef TRY
}

int main(void)
{
	common_init();
	family_case(AF_INET);
	family_case(AF_INET6);
	return 0;
}
