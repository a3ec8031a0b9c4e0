/* spec: NL-06 NL-14 NL-15 NL-17 NL-05 NL-09 NL-10 */
/* netlink_notify.c - rtnetlink notifications of changes made on lo, by
 * rtnetlink and by the old interface ioctls.
 *
 * Checks: a NETLINK_ROUTE socket bound to RTMGRP_LINK|RTMGRP_IPV4_IFADDR|
 * RTMGRP_IPV4_ROUTE (its getsockname groups) receives, after each change
 * (read with a bounded poll), the notifications Linux sends: RTM_NEWLINK
 * for SIOCSIFMTU 1500 and back, for the same MTU change made with an
 * RTM_NEWLINK request, for SIOCSIFFLAGS down and up and for the same with
 * RTM_NEWLINK (ifi_change IFF_UP), with the route notifications that
 * bringing lo up brings; RTM_NEWADDR (and the local routes it adds) for
 * 10.77.0.1/24 added with NLM_F_ECHO, whose requester gets the echoed
 * notification before the ack; RTM_NEWROUTE/RTM_DELROUTE for a route with
 * a gateway added with NLM_F_ECHO and deleted, a route to an unreachable
 * gateway refused, and the same routes through SIOCADDRT/SIOCDELRT
 * (duplicate: EEXIST, deleting twice: ESRCH). Each notification shows its
 * type, nlmsg_flags, seq, whether nlmsg_pid is the requester's, and its
 * deterministic fields (ifindex, IFF_UP, IFLA_MTU, IFLA_IFNAME; address,
 * prefix, label; table, type, protocol, scope, dst, gateway, oif). A child
 * running as uid 65534 may still join RTMGRP_LINK, but every change (by
 * rtnetlink on its own socket and on one root opened, and by ioctl) fails
 * with EPERM and announces nothing. lo is restored (MTU 65536, up) and the
 * address removed (RTM_DELADDR with NLM_F_ECHO).
 */
#include "common.h"
#include <net/if.h>
#include <net/route.h>
#include <sys/ioctl.h>
#include <sys/wait.h>
#include <grp.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>

#define GROUPS (RTMGRP_LINK | RTMGRP_IPV4_IFADDR | RTMGRP_IPV4_ROUTE)

static unsigned seqno = 100;

/* ---------- describing messages ---------- */

static const char *msg_type(int t)
{
	static char b[16];
	switch (t) {
	case NLMSG_ERROR: return "NLMSG_ERROR";
	case NLMSG_DONE: return "NLMSG_DONE";
	case RTM_NEWLINK: return "RTM_NEWLINK";
	case RTM_DELLINK: return "RTM_DELLINK";
	case RTM_NEWADDR: return "RTM_NEWADDR";
	case RTM_DELADDR: return "RTM_DELADDR";
	case RTM_NEWROUTE: return "RTM_NEWROUTE";
	case RTM_DELROUTE: return "RTM_DELROUTE";
	}
	snprintf(b, sizeof b, "type%d", t);
	return b;
}

static const char *rtn_name(int t)
{
	static char b[16];
	switch (t) {
	case RTN_UNICAST: return "unicast";
	case RTN_LOCAL: return "local";
	case RTN_BROADCAST: return "broadcast";
	case RTN_UNREACHABLE: return "unreachable";
	}
	snprintf(b, sizeof b, "rtn%d", t);
	return b;
}

/* pid_name: nlmsg_pid as "0", "requester" (the port id of the socket
 * that made the request) or "other". */
static const char *pid_name(unsigned pid, unsigned self)
{
	if (pid == 0)
		return "0";
	return pid == self ? "requester" : "other";
}

static void ip_text(int family, const void *p, char *out, size_t n)
{
	if (!inet_ntop(family, p, out, n))
		snprintf(out, n, "?");
}

/* describe writes one line about message h into out; self is the port id
 * of the socket that made the request. */
static void describe(const struct nlmsghdr *h, unsigned self, char *out, size_t n)
{
	size_t o = (size_t)snprintf(out, n, "%s flags=0x%x seq=%u pid=%s", msg_type(h->nlmsg_type),
				    h->nlmsg_flags, h->nlmsg_seq, pid_name(h->nlmsg_pid, self));
#define ADD(...) (o += o < n ? (size_t)snprintf(out + o, n - o, __VA_ARGS__) : 0)
	if (h->nlmsg_type == NLMSG_ERROR) {
		const struct nlmsgerr *e = NLMSG_DATA(h);
		ADD(" error=%s", e->error ? errname(-e->error) : "0");
		return;
	}
	if (h->nlmsg_type == RTM_NEWLINK || h->nlmsg_type == RTM_DELLINK) {
		const struct ifinfomsg *i = NLMSG_DATA(h);
		ADD(" ifindex=%d up=%d", i->ifi_index, !!(i->ifi_flags & IFF_UP));
		int len = (int)h->nlmsg_len - (int)NLMSG_LENGTH(sizeof *i);
		for (const struct rtattr *a = IFLA_RTA(i); RTA_OK(a, len); a = RTA_NEXT(a, len)) {
			if (a->rta_type == IFLA_MTU)
				ADD(" mtu=%u", *(const unsigned *)RTA_DATA(a));
			else if (a->rta_type == IFLA_IFNAME)
				ADD(" name=%s", (const char *)RTA_DATA(a));
		}
		return;
	}
	if (h->nlmsg_type == RTM_NEWADDR || h->nlmsg_type == RTM_DELADDR) {
		const struct ifaddrmsg *i = NLMSG_DATA(h);
		char ip[INET6_ADDRSTRLEN];
		ADD(" family=%d plen=%d ifindex=%u scope=%d", i->ifa_family, i->ifa_prefixlen, i->ifa_index,
		    i->ifa_scope);
		int len = (int)h->nlmsg_len - (int)NLMSG_LENGTH(sizeof *i);
		for (const struct rtattr *a = IFA_RTA(i); RTA_OK(a, len); a = RTA_NEXT(a, len)) {
			if (a->rta_type == IFA_LOCAL || a->rta_type == IFA_ADDRESS ||
			    a->rta_type == IFA_BROADCAST) {
				ip_text(i->ifa_family, RTA_DATA(a), ip, sizeof ip);
				ADD(" %s=%s", a->rta_type == IFA_LOCAL ? "local" :
					      a->rta_type == IFA_ADDRESS ? "address" : "brd", ip);
			} else if (a->rta_type == IFA_LABEL) {
				ADD(" label=%s", (const char *)RTA_DATA(a));
			}
		}
		return;
	}
	if (h->nlmsg_type == RTM_NEWROUTE || h->nlmsg_type == RTM_DELROUTE) {
		const struct rtmsg *r = NLMSG_DATA(h);
		char ip[INET6_ADDRSTRLEN];
		int table = r->rtm_table;
		char dst[64] = "default", gw[64] = "-";
		int oif = 0;
		int len = (int)h->nlmsg_len - (int)NLMSG_LENGTH(sizeof *r);
		for (const struct rtattr *a = RTM_RTA(r); RTA_OK(a, len); a = RTA_NEXT(a, len)) {
			if (a->rta_type == RTA_TABLE) {
				table = (int)*(const unsigned *)RTA_DATA(a);
			} else if (a->rta_type == RTA_DST) {
				ip_text(r->rtm_family, RTA_DATA(a), ip, sizeof ip);
				snprintf(dst, sizeof dst, "%s/%d", ip, r->rtm_dst_len);
			} else if (a->rta_type == RTA_GATEWAY) {
				ip_text(r->rtm_family, RTA_DATA(a), ip, sizeof ip);
				snprintf(gw, sizeof gw, "%s", ip);
			} else if (a->rta_type == RTA_OIF) {
				oif = *(const int *)RTA_DATA(a);
			}
		}
		ADD(" family=%d table=%d type=%s proto=%d scope=%d dst=%s gw=%s oif=%d", r->rtm_family, table,
		    rtn_name(r->rtm_type), r->rtm_protocol, r->rtm_scope, dst, gw, oif);
		return;
	}
#undef ADD
}

/* ---------- netlink sockets ---------- */

static unsigned port_of(int fd)
{
	struct sockaddr_nl a;
	socklen_t l = sizeof a;
	memset(&a, 0, sizeof a);
	if (getsockname(fd, (struct sockaddr *)&a, &l) < 0)
		return 0;
	return a.nl_pid;
}

static int nl_open(const char *label, unsigned groups)
{
	int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
	if (fd < 0) {
		printf("%s socket: -1 %s\n", label, errname(errno));
		return -1;
	}
	struct sockaddr_nl a = {.nl_family = AF_NETLINK, .nl_groups = groups};
	char l[128];
	snprintf(l, sizeof l, "%s bind groups 0x%x", label, groups);
	show(l, bind(fd, (struct sockaddr *)&a, sizeof a));
	return fd;
}

/* drain prints what the listener has received, on one line: the first
 * message is waited for up to 150 ms, the next ones 30 ms (Linux queues
 * them before the call that made the change returns); at most 16.
 * requester is the port id of the socket that made the requests. */
static void drain(const char *label, int fd, unsigned requester)
{
	static char buf[65536];
	char out[4096] = "", line[256];
	size_t o = 0;
	int count = 0;
	for (int i = 0; i < 16 && count < 16; i++) {
		struct pollfd p = {fd, POLLIN, 0};
		if (poll(&p, 1, i ? 30 : 150) <= 0)
			break;
		ssize_t n = recv(fd, buf, sizeof buf, MSG_DONTWAIT);
		if (n < 0) {
			snprintf(line, sizeof line, "recv -1 %s", errname(errno));
			o += o < sizeof out ? (size_t)snprintf(out + o, sizeof out - o, " | %s", line) : 0;
			break;
		}
		for (struct nlmsghdr *h = (struct nlmsghdr *)buf; NLMSG_OK(h, (unsigned)n) && count < 16;
		     h = NLMSG_NEXT(h, n), count++) {
			describe(h, requester, line, sizeof line);
			o += o < sizeof out ? (size_t)snprintf(out + o, sizeof out - o, " | %s", line) : 0;
		}
	}
	printf("%s: %d notifications%s\n", label, count, out);
}

/* A request under construction. */
struct req {
	struct nlmsghdr nh;
	char body[512];
};

static void *req_init(struct req *r, int type, int flags, size_t hdrlen)
{
	memset(r, 0, sizeof *r);
	r->nh.nlmsg_len = NLMSG_LENGTH(hdrlen);
	r->nh.nlmsg_type = type;
	r->nh.nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK | flags;
	r->nh.nlmsg_seq = ++seqno;
	return NLMSG_DATA(&r->nh);
}

static void req_attr(struct req *r, int type, const void *data, int len)
{
	struct rtattr *a = (struct rtattr *)((char *)r + NLMSG_ALIGN(r->nh.nlmsg_len));
	a->rta_type = type;
	a->rta_len = RTA_LENGTH(len);
	memcpy(RTA_DATA(a), data, len);
	r->nh.nlmsg_len = NLMSG_ALIGN(r->nh.nlmsg_len) + RTA_ALIGN(a->rta_len);
}

/* transact sends r on fd and prints, on one line, every reply up to and
 * including the ack (at most 8, each waited for up to 1 s). */
static void transact(const char *label, int fd, struct req *r)
{
	static char buf[65536];
	char out[2048] = "", line[256];
	size_t o = 0;
	struct sockaddr_nl k = {.nl_family = AF_NETLINK};
	if (sendto(fd, r, r->nh.nlmsg_len, 0, (struct sockaddr *)&k, sizeof k) < 0) {
		printf("%s: sendto -1 %s\n", label, errname(errno));
		return;
	}
	unsigned self = port_of(fd);
	int i = 0, done = 0;
	while (i < 8 && !done) {
		struct pollfd p = {fd, POLLIN, 0};
		if (poll(&p, 1, 1000) <= 0) {
			o += o < sizeof out ? (size_t)snprintf(out + o, sizeof out - o, " | no reply") : 0;
			break;
		}
		ssize_t n = recv(fd, buf, sizeof buf, MSG_DONTWAIT);
		if (n < 0) {
			o += o < sizeof out ? (size_t)snprintf(out + o, sizeof out - o, " | recv -1 %s",
							       errname(errno)) : 0;
			break;
		}
		for (struct nlmsghdr *h = (struct nlmsghdr *)buf; NLMSG_OK(h, (unsigned)n) && i < 8;
		     h = NLMSG_NEXT(h, n), i++) {
			describe(h, self, line, sizeof line);
			o += o < sizeof out ? (size_t)snprintf(out + o, sizeof out - o, " | %s", line) : 0;
			if (h->nlmsg_type == NLMSG_ERROR)
				done = 1;
		}
	}
	printf("%s: sent seq=%u, %d replies%s\n", label, r->nh.nlmsg_seq, i, out);
}

/* ---------- requests ---------- */

static void nl_link(const char *label, int fd, int flags, int mtu, int up)
{
	struct req r;
	struct ifinfomsg *i = req_init(&r, RTM_NEWLINK, flags, sizeof *i);
	i->ifi_family = AF_UNSPEC;
	i->ifi_index = if_nametoindex("lo");
	if (up >= 0) {
		i->ifi_change = IFF_UP;
		i->ifi_flags = up ? IFF_UP : 0;
	}
	if (mtu > 0)
		req_attr(&r, IFLA_MTU, &mtu, sizeof mtu);
	transact(label, fd, &r);
}

static void nl_addr(const char *label, int fd, int type, int flags, const char *ip, int plen)
{
	struct req r;
	struct ifaddrmsg *i = req_init(&r, type, flags, sizeof *i);
	struct in_addr a;
	inet_pton(AF_INET, ip, &a);
	i->ifa_family = AF_INET;
	i->ifa_prefixlen = plen;
	i->ifa_scope = RT_SCOPE_UNIVERSE;
	i->ifa_index = if_nametoindex("lo");
	req_attr(&r, IFA_LOCAL, &a, 4);
	req_attr(&r, IFA_ADDRESS, &a, 4);
	transact(label, fd, &r);
}

static void nl_route(const char *label, int fd, int type, int flags, const char *dst, int plen,
		     const char *gw)
{
	struct req r;
	struct rtmsg *m = req_init(&r, type, flags, sizeof *m);
	struct in_addr a;
	m->rtm_family = AF_INET;
	m->rtm_dst_len = plen;
	m->rtm_table = RT_TABLE_MAIN;
	m->rtm_protocol = RTPROT_BOOT;
	m->rtm_scope = gw ? RT_SCOPE_UNIVERSE : RT_SCOPE_LINK;
	m->rtm_type = RTN_UNICAST;
	if (type == RTM_DELROUTE) {
		m->rtm_protocol = 0;
		m->rtm_scope = RT_SCOPE_NOWHERE;
	}
	inet_pton(AF_INET, dst, &a);
	req_attr(&r, RTA_DST, &a, 4);
	if (gw) {
		inet_pton(AF_INET, gw, &a);
		req_attr(&r, RTA_GATEWAY, &a, 4);
	} else {
		int oif = if_nametoindex("lo");
		req_attr(&r, RTA_OIF, &oif, sizeof oif);
	}
	transact(label, fd, &r);
}

/* ---------- ioctls ---------- */

static int lo_mtu(int s)
{
	struct ifreq r;
	memset(&r, 0, sizeof r);
	snprintf(r.ifr_name, IFNAMSIZ, "lo");
	if (ioctl(s, SIOCGIFMTU, &r) < 0)
		return -errno;
	return r.ifr_mtu;
}

static int lo_flags(int s)
{
	struct ifreq r;
	memset(&r, 0, sizeof r);
	snprintf(r.ifr_name, IFNAMSIZ, "lo");
	if (ioctl(s, SIOCGIFFLAGS, &r) < 0)
		return -errno;
	return (unsigned short)r.ifr_flags;
}

static void show_lo(const char *label, int s)
{
	int mtu = lo_mtu(s), fl = lo_flags(s);
	printf("%s: mtu=%d up=%d\n", label, mtu, fl < 0 ? fl : !!(fl & IFF_UP));
}

static long set_mtu(int s, int mtu)
{
	struct ifreq r;
	memset(&r, 0, sizeof r);
	snprintf(r.ifr_name, IFNAMSIZ, "lo");
	r.ifr_mtu = mtu;
	return ioctl(s, SIOCSIFMTU, &r);
}

static long set_up(int s, int up)
{
	struct ifreq r;
	memset(&r, 0, sizeof r);
	snprintf(r.ifr_name, IFNAMSIZ, "lo");
	if (ioctl(s, SIOCGIFFLAGS, &r) < 0)
		return -1;
	if (up)
		r.ifr_flags |= IFF_UP;
	else
		r.ifr_flags &= ~IFF_UP;
	return ioctl(s, SIOCSIFFLAGS, &r);
}

static long rt_ioctl(int s, unsigned long req, const char *dst, const char *mask, const char *gw)
{
	struct rtentry rt;
	char dev[] = "lo";
	memset(&rt, 0, sizeof rt);
	struct sockaddr_in d = sin4(dst, 0), m = sin4(mask, 0), g = sin4(gw ? gw : "0.0.0.0", 0);
	memcpy(&rt.rt_dst, &d, sizeof d);
	memcpy(&rt.rt_genmask, &m, sizeof m);
	memcpy(&rt.rt_gateway, &g, sizeof g);
	rt.rt_flags = RTF_UP | (gw ? RTF_GATEWAY : 0);
	if (!gw)
		rt.rt_dev = dev;
	return ioctl(s, req, &rt);
}

/* ---------- without CAP_NET_ADMIN ---------- */

static void unprivileged_child(int rootfd)
{
	if (setgroups(0, NULL) < 0 || setresgid(65534, 65534, 65534) < 0 ||
	    setresuid(65534, 65534, 65534) < 0) {
		printf("child drop to 65534: -1 %s\n", errname(errno));
		return;
	}
	printf("child uid: %d\n", (int)geteuid());
	int l = nl_open("child listener", RTMGRP_LINK);
	int fd = nl_open("child requester", 0);
	nl_route("child RTM_NEWROUTE 10.82.0.0/24 dev lo", fd, RTM_NEWROUTE, NLM_F_CREATE | NLM_F_EXCL,
		 "10.82.0.0", 24, NULL);
	nl_addr("child RTM_NEWADDR 10.83.0.1/24", fd, RTM_NEWADDR, NLM_F_CREATE | NLM_F_EXCL, "10.83.0.1",
		24);
	nl_link("child RTM_NEWLINK lo mtu 1500", fd, 0, 1500, -1);
	nl_link("child RTM_NEWLINK lo mtu 1500 on root's socket", rootfd, 0, 1500, -1);
	int s = socket(AF_INET, SOCK_DGRAM, 0);
	show("child SIOCSIFMTU lo 1500", set_mtu(s, 1500));
	show("child SIOCSIFFLAGS lo down", set_up(s, 0));
	show("child SIOCADDRT 10.82.0.0/24 dev lo",
	     rt_ioctl(s, SIOCADDRT, "10.82.0.0", "255.255.255.0", NULL));
	show_lo("child lo", s);
	drain("child listener after refused changes", l, port_of(fd));
	close(s);
	close(fd);
	close(l);
}

int main(void)
{
	common_init();
	int s = socket(AF_INET, SOCK_DGRAM, 0);
	showfd("socket AF_INET SOCK_DGRAM", s);
	show_lo("lo at start", s);

	int l = nl_open("listener", GROUPS);
	{
		struct sockaddr_nl a;
		socklen_t len = sizeof a;
		memset(&a, 0, sizeof a);
		show("listener getsockname", getsockname(l, (struct sockaddr *)&a, &len));
		printf("listener groups: 0x%x len=%u pid_nonzero=%d\n", a.nl_groups, len, a.nl_pid != 0);
	}
	int rq = nl_open("requester", 0);
	unsigned rqp = port_of(rq);
	drain("listener before any change", l, rqp);

	/* --- MTU: ioctl, then rtnetlink --- */
	show("SIOCSIFMTU lo 1500", set_mtu(s, 1500));
	drain("after SIOCSIFMTU 1500", l, rqp);
	show_lo("lo", s);
	show("SIOCSIFMTU lo 1500 again", set_mtu(s, 1500));
	drain("after SIOCSIFMTU 1500 again", l, rqp);
	show("SIOCSIFMTU lo 65536", set_mtu(s, 65536));
	drain("after SIOCSIFMTU 65536", l, rqp);
	nl_link("RTM_NEWLINK lo mtu 1500 ECHO", rq, NLM_F_ECHO, 1500, -1);
	drain("after RTM_NEWLINK mtu 1500", l, rqp);
	show_lo("lo", s);
	nl_link("RTM_NEWLINK lo mtu 65536", rq, 0, 65536, -1);
	drain("after RTM_NEWLINK mtu 65536", l, rqp);
	show("SIOCSIFMTU lo -1", set_mtu(s, -1));
	drain("after SIOCSIFMTU -1", l, rqp);

	/* --- up/down: ioctl, then rtnetlink --- */
	show("SIOCSIFFLAGS lo down", set_up(s, 0));
	drain("after SIOCSIFFLAGS down", l, rqp);
	show_lo("lo", s);
	show("SIOCSIFFLAGS lo down again", set_up(s, 0));
	drain("after SIOCSIFFLAGS down again", l, rqp);
	show("SIOCSIFFLAGS lo up", set_up(s, 1));
	drain("after SIOCSIFFLAGS up", l, rqp);
	show_lo("lo", s);
	nl_link("RTM_NEWLINK lo down", rq, 0, 0, 0);
	drain("after RTM_NEWLINK down", l, rqp);
	show_lo("lo", s);
	nl_link("RTM_NEWLINK lo up", rq, 0, 0, 1);
	drain("after RTM_NEWLINK up", l, rqp);
	show_lo("lo", s);

	/* --- an address, echoed --- */
	nl_addr("RTM_NEWADDR 10.77.0.1/24 ECHO", rq, RTM_NEWADDR, NLM_F_CREATE | NLM_F_EXCL | NLM_F_ECHO,
		"10.77.0.1", 24);
	drain("after RTM_NEWADDR", l, rqp);
	nl_addr("RTM_NEWADDR 10.77.0.1/24 ECHO again", rq, RTM_NEWADDR,
		NLM_F_CREATE | NLM_F_EXCL | NLM_F_ECHO, "10.77.0.1", 24);
	drain("after RTM_NEWADDR again", l, rqp);

	/* --- routes by rtnetlink --- */
	nl_route("RTM_NEWROUTE 10.78.0.0/24 via 10.77.0.2 ECHO", rq, RTM_NEWROUTE,
		 NLM_F_CREATE | NLM_F_EXCL | NLM_F_ECHO, "10.78.0.0", 24, "10.77.0.2");
	drain("after RTM_NEWROUTE via 10.77.0.2", l, rqp);
	nl_route("RTM_NEWROUTE 10.80.0.0/24 via 10.9.0.11", rq, RTM_NEWROUTE, NLM_F_CREATE | NLM_F_EXCL,
		 "10.80.0.0", 24, "10.9.0.11");
	drain("after RTM_NEWROUTE via 10.9.0.11", l, rqp);
	nl_route("RTM_NEWROUTE 10.78.0.0/24 dev lo EXCL", rq, RTM_NEWROUTE, NLM_F_CREATE | NLM_F_EXCL,
		 "10.78.0.0", 24, NULL);
	drain("after RTM_NEWROUTE duplicate", l, rqp);
	nl_route("RTM_DELROUTE 10.78.0.0/24", rq, RTM_DELROUTE, 0, "10.78.0.0", 24, NULL);
	drain("after RTM_DELROUTE", l, rqp);
	nl_route("RTM_DELROUTE 10.78.0.0/24 again", rq, RTM_DELROUTE, 0, "10.78.0.0", 24, NULL);

	/* --- routes by ioctl --- */
	show("SIOCADDRT 10.79.0.0/24 dev lo", rt_ioctl(s, SIOCADDRT, "10.79.0.0", "255.255.255.0", NULL));
	drain("after SIOCADDRT dev lo", l, rqp);
	show("SIOCADDRT 10.81.0.0/24 gw 10.77.0.2",
	     rt_ioctl(s, SIOCADDRT, "10.81.0.0", "255.255.255.0", "10.77.0.2"));
	drain("after SIOCADDRT gw 10.77.0.2", l, rqp);
	show("SIOCADDRT 10.84.0.0/24 gw 10.9.0.11",
	     rt_ioctl(s, SIOCADDRT, "10.84.0.0", "255.255.255.0", "10.9.0.11"));
	show("SIOCADDRT 10.79.0.0/24 dev lo again",
	     rt_ioctl(s, SIOCADDRT, "10.79.0.0", "255.255.255.0", NULL));
	drain("after failed SIOCADDRTs", l, rqp);
	show("SIOCDELRT 10.79.0.0/24", rt_ioctl(s, SIOCDELRT, "10.79.0.0", "255.255.255.0", NULL));
	show("SIOCDELRT 10.81.0.0/24", rt_ioctl(s, SIOCDELRT, "10.81.0.0", "255.255.255.0", "10.77.0.2"));
	drain("after SIOCDELRTs", l, rqp);
	show("SIOCDELRT 10.79.0.0/24 again", rt_ioctl(s, SIOCDELRT, "10.79.0.0", "255.255.255.0", NULL));

	/* --- without CAP_NET_ADMIN --- */
	fflush(stdout);
	pid_t pid = fork();
	if (pid == 0) {
		unprivileged_child(rq);
		fflush(stdout);
		_exit(0);
	}
	int st = -1;
	waitpid(pid, &st, 0);
	printf("child exited: %d status %d\n", WIFEXITED(st), WIFEXITED(st) ? WEXITSTATUS(st) : -1);
	drain("after the child", l, rqp);
	show_lo("lo after the child", s);

	/* --- restore --- */
	nl_addr("RTM_DELADDR 10.77.0.1/24 ECHO", rq, RTM_DELADDR, NLM_F_ECHO, "10.77.0.1", 24);
	drain("after RTM_DELADDR", l, rqp);
	if (lo_mtu(s) != 65536)
		show("restore mtu", set_mtu(s, 65536));
	if (lo_flags(s) >= 0 && !(lo_flags(s) & IFF_UP))
		show("restore up", set_up(s, 1));
	show_lo("lo at end", s);
	close(rq);
	close(l);
	close(s);
	printf("done\n");
	return 0;
}
