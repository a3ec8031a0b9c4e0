/* udp_dontroute.c - SO_DONTROUTE and MSG_DONTROUTE: only directly
 * connected destinations.
 *
 * Checks: MSG_DONTROUTE and SO_DONTROUTE to 127.0.0.1 and [::1] (sent and
 * received); to an address with no route (ENETUNREACH with and without
 * the flag); SO_DONTROUTE's default and read-back; connect under
 * SO_DONTROUTE; as root, routes added with rtnetlink: a link-scope route
 * (dev lo scope link) is directly connected, a universe-scope one (dev lo
 * scope global) is not (plain sends pass, DONTROUTE ones give
 * ENETUNREACH), and clearing SO_DONTROUTE lets them pass again.
 * (From a helper's broader udp_send_paths.c, since reduced to
 * testdata/diff-pending/udp_icmp_peer.c.)
 */
/* spec: USEND-09 FLAG-03 SO-09 */
#include "common.h"
#include <net/if.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>

static int rx4, rx6, port4, port6;

/* rt_add adds dst/plen dev ifindex with the given scope (RTM_NEWROUTE) and
 * prints the ack's error. */
static void rt_add(const char *label, const char *dst, int plen, int scope, int ifindex)
{
	struct {
		struct nlmsghdr nh;
		struct rtmsg rt;
		char attrs[64];
	} req;
	memset(&req, 0, sizeof req);
	req.nh.nlmsg_len = NLMSG_LENGTH(sizeof(struct rtmsg));
	req.nh.nlmsg_type = RTM_NEWROUTE;
	req.nh.nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK | NLM_F_CREATE | NLM_F_EXCL;
	req.nh.nlmsg_seq = 1;
	req.rt.rtm_family = AF_INET;
	req.rt.rtm_dst_len = plen;
	req.rt.rtm_table = RT_TABLE_MAIN;
	req.rt.rtm_protocol = RTPROT_BOOT;
	req.rt.rtm_scope = scope;
	req.rt.rtm_type = RTN_UNICAST;
	struct rtattr *rta = (struct rtattr *)((char *)&req + NLMSG_ALIGN(req.nh.nlmsg_len));
	rta->rta_type = RTA_DST;
	rta->rta_len = RTA_LENGTH(4);
	inet_pton(AF_INET, dst, RTA_DATA(rta));
	req.nh.nlmsg_len = NLMSG_ALIGN(req.nh.nlmsg_len) + RTA_ALIGN(rta->rta_len);
	rta = (struct rtattr *)((char *)&req + NLMSG_ALIGN(req.nh.nlmsg_len));
	rta->rta_type = RTA_OIF;
	rta->rta_len = RTA_LENGTH(4);
	memcpy(RTA_DATA(rta), &ifindex, 4);
	req.nh.nlmsg_len = NLMSG_ALIGN(req.nh.nlmsg_len) + RTA_ALIGN(rta->rta_len);

	int s = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
	if (s < 0) {
		printf("%s: socket -1 %s\n", label, errname(errno));
		return;
	}
	struct timeval tv = {2, 0};
	setsockopt(s, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
	struct sockaddr_nl k = {.nl_family = AF_NETLINK};
	if (sendto(s, &req, req.nh.nlmsg_len, 0, (struct sockaddr *)&k, sizeof k) < 0) {
		printf("%s: sendto -1 %s\n", label, errname(errno));
		close(s);
		return;
	}
	char buf[1024];
	ssize_t n = recv(s, buf, sizeof buf, 0);
	struct nlmsghdr *h = (struct nlmsghdr *)buf;
	if (n < (ssize_t)NLMSG_LENGTH(sizeof(struct nlmsgerr)) || h->nlmsg_type != NLMSG_ERROR) {
		printf("%s: no ack (%zd)\n", label, n);
	} else {
		struct nlmsgerr *e = NLMSG_DATA(h);
		printf("%s: %s\n", label, e->error ? errname(-e->error) : "0");
	}
	close(s);
}

static void dontroute(void)
{
	struct sockaddr_in lo4 = sin4("127.0.0.1", port4);
	struct sockaddr_in6 lo6 = sin6("::1", port6);
	struct sockaddr_in none = sin4("192.0.2.1", 9);
	struct sockaddr_in link = sin4("198.51.100.1", 9);
	struct sockaddr_in univ = sin4("203.0.113.1", 9);
	struct sockaddr_in6 none6 = sin6("2001:db8::1", 9);
	int lo = if_nametoindex("lo");

	int s = socket(AF_INET, SOCK_DGRAM, 0);
	show("dr MSG_DONTROUTE to 127.0.0.1", sendto(s, "dr1", 3, MSG_DONTROUTE, (struct sockaddr *)&lo4, sizeof lo4));
	show_datagrams("dr rx after MSG_DONTROUTE", rx4);
	show("dr MSG_DONTROUTE no route", sendto(s, "x", 1, MSG_DONTROUTE, (struct sockaddr *)&none, sizeof none));
	show("dr plain no route", sendto(s, "x", 1, 0, (struct sockaddr *)&none, sizeof none));
	get_int("dr SO_DONTROUTE default", s, SOL_SOCKET, SO_DONTROUTE);
	show("dr set SO_DONTROUTE 1", set_int(s, SOL_SOCKET, SO_DONTROUTE, 1));
	get_int("dr SO_DONTROUTE", s, SOL_SOCKET, SO_DONTROUTE);
	show("dr SO_DONTROUTE to 127.0.0.1", sendto(s, "dr2", 3, 0, (struct sockaddr *)&lo4, sizeof lo4));
	show_datagrams("dr rx after SO_DONTROUTE", rx4);
	show("dr SO_DONTROUTE no route", sendto(s, "x", 1, 0, (struct sockaddr *)&none, sizeof none));

	int c = socket(AF_INET, SOCK_DGRAM, 0);
	set_int(c, SOL_SOCKET, SO_DONTROUTE, 1);
	show("dr SO_DONTROUTE connect no route", connect(c, (struct sockaddr *)&none, sizeof none));
	show("dr SO_DONTROUTE connect 127.0.0.1", connect(c, (struct sockaddr *)&lo4, sizeof lo4));
	show("dr SO_DONTROUTE connected send", send(c, "dr3", 3, 0));
	show_datagrams("dr rx after connected send", rx4);
	close(c);

	int s6 = socket(AF_INET6, SOCK_DGRAM, 0);
	show("dr v6 MSG_DONTROUTE to ::1", sendto(s6, "dr6", 3, MSG_DONTROUTE, (struct sockaddr *)&lo6, sizeof lo6));
	show("dr v6 MSG_DONTROUTE no route",
	     sendto(s6, "x", 1, MSG_DONTROUTE, (struct sockaddr *)&none6, sizeof none6));
	show("dr v6 set SO_DONTROUTE 1", set_int(s6, SOL_SOCKET, SO_DONTROUTE, 1));
	show("dr v6 SO_DONTROUTE to ::1", sendto(s6, "dr7", 3, 0, (struct sockaddr *)&lo6, sizeof lo6));
	show_datagrams("dr rx6 after v6 sends", rx6);
	close(s6);

	/* Routes through lo that are not local: a link-scope one is "directly
	 * connected", a universe-scope one is not. */
	rt_add("dr route add 198.51.100.0/24 dev lo scope link", "198.51.100.0", 24, RT_SCOPE_LINK, lo);
	rt_add("dr route add 203.0.113.0/24 dev lo scope global", "203.0.113.0", 24, RT_SCOPE_UNIVERSE, lo);
	int p = socket(AF_INET, SOCK_DGRAM, 0);
	show("dr plain to link route", sendto(p, "x", 1, 0, (struct sockaddr *)&link, sizeof link));
	show("dr MSG_DONTROUTE to link route", sendto(p, "x", 1, MSG_DONTROUTE, (struct sockaddr *)&link, sizeof link));
	show("dr plain to global route", sendto(p, "x", 1, 0, (struct sockaddr *)&univ, sizeof univ));
	show("dr MSG_DONTROUTE to global route",
	     sendto(p, "x", 1, MSG_DONTROUTE, (struct sockaddr *)&univ, sizeof univ));
	show("dr SO_DONTROUTE to link route", sendto(s, "x", 1, 0, (struct sockaddr *)&link, sizeof link));
	show("dr SO_DONTROUTE to global route", sendto(s, "x", 1, 0, (struct sockaddr *)&univ, sizeof univ));
	int c2 = socket(AF_INET, SOCK_DGRAM, 0);
	set_int(c2, SOL_SOCKET, SO_DONTROUTE, 1);
	show("dr SO_DONTROUTE connect global route", connect(c2, (struct sockaddr *)&univ, sizeof univ));
	show("dr SO_DONTROUTE connect link route", connect(c2, (struct sockaddr *)&link, sizeof link));
	show("dr set SO_DONTROUTE 0", set_int(s, SOL_SOCKET, SO_DONTROUTE, 0));
	show("dr SO_DONTROUTE off to global route", sendto(s, "x", 1, 0, (struct sockaddr *)&univ, sizeof univ));
	close(c2);
	close(p);
	close(s);
}

int main(void)
{
	common_init();
	rx4 = socket(AF_INET, SOCK_DGRAM, 0);
	bind_port0(rx4, AF_INET, "127.0.0.1");
	port4 = local_port(rx4);
	rx6 = socket(AF_INET6, SOCK_DGRAM, 0);
	bind_port0(rx6, AF_INET6, "::1");
	port6 = local_port(rx6);
	dontroute();
	return 0;
}
