/* rtnl.h - rtnetlink requests the differential programs make of the
 * namespace they run in. Include after common.h, <linux/netlink.h> and
 * <linux/rtnetlink.h>. */
#ifndef NETBOX_DIFF_RTNL_H
#define NETBOX_DIFF_RTNL_H

/* RTM_NEWADDR/RTM_DELADDR of ip/plen on ifindex; prints the ack's error. */
static inline void nl_addr(const char *label, int type, int flags, int family, int ifindex,
			   const char *ip, int plen)
{
	struct {
		struct nlmsghdr nh;
		struct ifaddrmsg ifa;
		char attrs[64];
	} req;
	unsigned char a[16];
	int alen = family == AF_INET ? 4 : 16;
	memset(&req, 0, sizeof req);
	inet_pton(family, ip, a);
	req.nh.nlmsg_len = NLMSG_LENGTH(sizeof(struct ifaddrmsg));
	req.nh.nlmsg_type = type;
	req.nh.nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK | flags;
	req.nh.nlmsg_seq = 1;
	req.ifa.ifa_family = family;
	req.ifa.ifa_prefixlen = plen;
	req.ifa.ifa_flags = family == AF_INET6 ? IFA_F_NODAD : 0;
	req.ifa.ifa_scope = RT_SCOPE_UNIVERSE;
	req.ifa.ifa_index = ifindex;
	int atypes[2] = {IFA_LOCAL, IFA_ADDRESS};
	for (int i = 0; i < 2; i++) {
		struct rtattr *rta = (struct rtattr *)((char *)&req + NLMSG_ALIGN(req.nh.nlmsg_len));
		rta->rta_type = atypes[i];
		rta->rta_len = RTA_LENGTH(alen);
		memcpy(RTA_DATA(rta), a, alen);
		req.nh.nlmsg_len = NLMSG_ALIGN(req.nh.nlmsg_len) + RTA_ALIGN(rta->rta_len);
	}

	int s = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
	if (s < 0) {
		printf("%s: socket -1 %s\n", label, errname(errno));
		return;
	}
	set_rcvtimeo(s);
	struct sockaddr_nl k = {.nl_family = AF_NETLINK};
	if (sendto(s, &req, req.nh.nlmsg_len, 0, (struct sockaddr *)&k, sizeof k) < 0) {
		printf("%s: sendto -1 %s\n", label, errname(errno));
		close(s);
		return;
	}
	char buf[8192];
	ssize_t n = recv(s, buf, sizeof buf, 0);
	if (n < 0) {
		printf("%s: recv -1 %s\n", label, errname(errno));
		close(s);
		return;
	}
	struct nlmsghdr *h = (struct nlmsghdr *)buf;
	if (!NLMSG_OK(h, (unsigned)n) || h->nlmsg_type != NLMSG_ERROR) {
		printf("%s: unexpected reply type %d\n", label, NLMSG_OK(h, (unsigned)n) ? h->nlmsg_type : -1);
	} else {
		struct nlmsgerr *e = NLMSG_DATA(h);
		printf("%s: ack error=%s seq=%u\n", label, e->error ? errname(-e->error) : "0",
		       h->nlmsg_seq);
	}
	close(s);
}

#endif
