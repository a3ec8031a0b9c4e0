/* netlink_families.c - multicast groups and the other netlink families.
 *
 * NL-10: nl_groups is a bitmask of groups 1..32 (bit g-1) per protocol:
 * bind and getsockname, NETLINK_ADD_MEMBERSHIP/DROP_MEMBERSHIP (groups
 * above 32 only there; 0 and beyond the protocol's last: EINVAL) and
 * NETLINK_LIST_MEMBERSHIPS; a message sent to a group reaches its members
 * (rtnetlink: NLMSG_NOOP sent by root to RTMGRP_LINK); uid 65534 may join
 * rtnetlink groups but not send to them (EPERM); NETLINK_USERSOCK is the
 * other way round: uid 65534 may not join its groups but may send to them
 * (a root member gets the message; the send itself then fails with
 * ECONNREFUSED: no kernel socket takes the unicast to port 0); a port id
 * nobody holds: ECONNREFUSED; a message to another user socket's port id
 * arrives with the sender's. NETLINK_SOCK_DIAG (4 groups, but a kernel
 * socket has at least 32): binding all 32 bits keeps them, its groups
 * joined by bind or NETLINK_ADD_MEMBERSHIP read back.
 *
 * NL-19: generic netlink's controller (family 0x10) resolves "nlctrl" by
 * name and by id (id, version, header size, a multicast group "notify");
 * "nl80211" on a kernel without it and an unknown name: -ENOENT; a request
 * to an unknown family id: -ENOENT; a dump of the families includes nlctrl.
 *
 * NL-21: NETLINK_KOBJECT_UEVENT and NETLINK_AUDIT sockets: creation,
 * binding group 0 and 1 (uevent: any process may listen; audit's
 * AUDIT_NLGRP_READLOG needs CAP_AUDIT_READ), and an AUDIT_GET request
 * (the reply's type, or the error). Nothing is sent to uevent listeners and
 * nothing received from them is printed.
 */
/* spec: NL-10 NL-19 NL-21 */
#include "common.h"
#include <grp.h>
#include <linux/audit.h>
#include <linux/genetlink.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <linux/sock_diag.h>
#include <sys/mman.h>
#include <sys/wait.h>

#ifndef SOL_NETLINK
#define SOL_NETLINK 270
#endif

static char buf[65536];
static unsigned seqno = 500;

static int nl_open(int proto, int type)
{
	return socket(AF_NETLINK, type | SOCK_CLOEXEC, proto);
}

static int nl_bind(int fd, unsigned groups)
{
	struct sockaddr_nl a = {.nl_family = AF_NETLINK, .nl_groups = groups};
	return bind(fd, (struct sockaddr *)&a, sizeof a);
}

static unsigned port_of(int fd)
{
	struct sockaddr_nl a;
	socklen_t l = sizeof a;
	memset(&a, 0, sizeof a);
	getsockname(fd, (struct sockaddr *)&a, &l);
	return a.nl_pid;
}

static void show_groups(const char *label, int fd)
{
	struct sockaddr_nl a;
	socklen_t l = sizeof a;
	memset(&a, 0, sizeof a);
	if (getsockname(fd, (struct sockaddr *)&a, &l) < 0)
		printf("%s: -1 %s\n", label, errname(errno));
	else
		printf("%s: groups=0x%x\n", label, a.nl_groups);
}

static void list_memberships(const char *label, int fd)
{
	unsigned g[4] = {0, 0, 0, 0};
	socklen_t l = sizeof g;
	if (getsockopt(fd, SOL_NETLINK, NETLINK_LIST_MEMBERSHIPS, g, &l) < 0)
		printf("%s: -1 %s\n", label, errname(errno));
	else
		printf("%s: len=%u 0x%x 0x%x\n", label, l, g[0], l > 4 ? g[1] : 0);
}

static int membership(int fd, int opt, int group)
{
	return setsockopt(fd, SOL_NETLINK, opt, &group, sizeof group);
}

/* send_noop sends an NLMSG_NOOP header to port pid / groups. */
static long send_noop(int fd, unsigned pid, unsigned groups)
{
	struct nlmsghdr h = {.nlmsg_len = sizeof h, .nlmsg_type = NLMSG_NOOP, .nlmsg_seq = ++seqno};
	struct sockaddr_nl a = {.nl_family = AF_NETLINK, .nl_pid = pid, .nl_groups = groups};
	return sendto(fd, &h, sizeof h, 0, (struct sockaddr *)&a, sizeof a);
}

/* What fd got (waiting up to 300 ms): "label: N [type from=...]". */
static void got(const char *label, int fd, unsigned sender)
{
	int n = 0;
	char out[256] = "";
	size_t o = 0;
	for (int i = 0; i < 4; i++) {
		struct pollfd p = {fd, POLLIN, 0};
		if (poll(&p, 1, i ? 50 : 300) <= 0)
			break;
		struct sockaddr_nl from;
		socklen_t fl = sizeof from;
		ssize_t k = recvfrom(fd, buf, sizeof buf, MSG_DONTWAIT, (struct sockaddr *)&from, &fl);
		if (k < 0) {
			o += snprintf(out + o, sizeof out - o, " [recv %s]", errname(errno));
			break;
		}
		struct nlmsghdr *h = (struct nlmsghdr *)buf;
		n++;
		if (o < sizeof out)
			o += snprintf(out + o, sizeof out - o, " [type %u from %s groups 0x%x]", h->nlmsg_type,
				      from.nl_pid == sender ? "sender" : from.nl_pid == 0 ? "kernel" : "other",
				      from.nl_groups);
	}
	printf("%s: %d%s\n", label, n, out);
}

/* ---------- NL-10 ---------- */

static void groups_root(void)
{
	int r = nl_open(NETLINK_ROUTE, SOCK_RAW);
	show("route bind 0x11", nl_bind(r, RTMGRP_LINK | RTMGRP_IPV4_IFADDR));
	show_groups("route getsockname", r);
	show("route add membership 7", membership(r, NETLINK_ADD_MEMBERSHIP, RTNLGRP_IPV4_ROUTE));
	show_groups("route getsockname after add 7", r);
	show("route add membership 33", membership(r, NETLINK_ADD_MEMBERSHIP, RTNLGRP_BRVLAN));
	show_groups("route getsockname after add 33", r);
	list_memberships("route list memberships", r);
	show("route add membership 0", membership(r, NETLINK_ADD_MEMBERSHIP, 0));
	show("route add membership 1000", membership(r, NETLINK_ADD_MEMBERSHIP, 1000));
	show("route drop membership 1", membership(r, NETLINK_DROP_MEMBERSHIP, RTNLGRP_LINK));
	show_groups("route getsockname after drop 1", r);
	show("route drop membership not joined", membership(r, NETLINK_DROP_MEMBERSHIP, 20));
	list_memberships("route list memberships after", r);
	close(r);

	r = nl_open(NETLINK_ROUTE, SOCK_RAW);
	show("route bind all 32", nl_bind(r, 0xffffffff));
	show_groups("route all 32 getsockname", r);
	close(r);

	int d = nl_open(NETLINK_SOCK_DIAG, SOCK_RAW);
	show("sock_diag bind all 32", nl_bind(d, 0xffffffff));
	show_groups("sock_diag getsockname", d);
	list_memberships("sock_diag list memberships", d);
	close(d);
	d = nl_open(NETLINK_SOCK_DIAG, SOCK_RAW);
	show("sock_diag add membership 1", membership(d, NETLINK_ADD_MEMBERSHIP, SKNLGRP_INET_TCP_DESTROY));
	show_groups("sock_diag getsockname after add 1", d);
	list_memberships("sock_diag list memberships after add 1", d);
	close(d);

	int u = nl_open(NETLINK_USERSOCK, SOCK_RAW);
	showfd("usersock socket", u);
	show("usersock bind 0x5", nl_bind(u, 0x5));
	show_groups("usersock getsockname", u);
	close(u);

	/* root sends to an rtnetlink group: members get the message */
	int member = nl_open(NETLINK_ROUTE, SOCK_RAW);
	nl_bind(member, RTMGRP_LINK);
	int other = nl_open(NETLINK_ROUTE, SOCK_RAW);
	nl_bind(other, RTMGRP_IPV4_ROUTE);
	int tx = nl_open(NETLINK_ROUTE, SOCK_RAW);
	nl_bind(tx, 0);
	show("root send NOOP to RTMGRP_LINK", send_noop(tx, 0, RTMGRP_LINK));
	got("RTMGRP_LINK member got", member, port_of(tx));
	got("RTMGRP_IPV4_ROUTE member got", other, port_of(tx));
	/* to a port id: the owner gets it, with the sender's port id */
	show("send NOOP to member's port id", send_noop(tx, port_of(member), 0));
	got("member got by port id", member, port_of(tx));
	show("send NOOP to port id nobody holds", send_noop(tx, 0x7ffffff0, 0));
	close(member);
	close(other);
	close(tx);
}

static unsigned usersock_sender;

static void groups_child(void)
{
	if (setgroups(0, NULL) < 0 || setresgid(65534, 65534, 65534) < 0 || setresuid(65534, 65534, 65534) < 0) {
		printf("child drop to 65534: -1 %s\n", errname(errno));
		return;
	}
	int r = nl_open(NETLINK_ROUTE, SOCK_RAW);
	show("65534 route bind RTMGRP_LINK", nl_bind(r, RTMGRP_LINK));
	show_groups("65534 route getsockname", r);
	show("65534 route add membership 7", membership(r, NETLINK_ADD_MEMBERSHIP, RTNLGRP_IPV4_ROUTE));
	show("65534 route send NOOP to RTMGRP_LINK", send_noop(r, 0, RTMGRP_LINK));
	show("65534 route send NOOP to the kernel", send_noop(r, 0, 0));
	close(r);
	int u = nl_open(NETLINK_USERSOCK, SOCK_RAW);
	int m = nl_open(NETLINK_USERSOCK, SOCK_RAW);
	show("65534 usersock bind 0x1", nl_bind(m, 0x1));
	close(m);
	nl_bind(u, 0);
	usersock_sender = port_of(u);
	show("65534 usersock send to group 1", send_noop(u, 0, 0x1));
	close(u);
}

/* ---------- NL-19 ---------- */

struct genl_req {
	struct nlmsghdr nh;
	struct genlmsghdr g;
	char attrs[128];
};

static void genl_put_str(struct genl_req *r, int type, const char *s)
{
	struct nlattr *a = (struct nlattr *)((char *)r + NLMSG_ALIGN(r->nh.nlmsg_len));
	a->nla_type = type;
	a->nla_len = NLA_HDRLEN + strlen(s) + 1;
	memcpy((char *)a + NLA_HDRLEN, s, strlen(s) + 1);
	r->nh.nlmsg_len = NLMSG_ALIGN(r->nh.nlmsg_len) + NLA_ALIGN(a->nla_len);
}

static void genl_put_u16(struct genl_req *r, int type, unsigned short v)
{
	struct nlattr *a = (struct nlattr *)((char *)r + NLMSG_ALIGN(r->nh.nlmsg_len));
	a->nla_type = type;
	a->nla_len = NLA_HDRLEN + 2;
	memcpy((char *)a + NLA_HDRLEN, &v, 2);
	r->nh.nlmsg_len = NLMSG_ALIGN(r->nh.nlmsg_len) + NLA_ALIGN(a->nla_len);
}

static void genl_init(struct genl_req *r, int family, int cmd, int flags)
{
	memset(r, 0, sizeof *r);
	r->nh.nlmsg_len = NLMSG_LENGTH(GENL_HDRLEN);
	r->nh.nlmsg_type = family;
	r->nh.nlmsg_flags = NLM_F_REQUEST | flags;
	r->nh.nlmsg_seq = ++seqno;
	r->g.cmd = cmd;
	r->g.version = 1;
}

/* Describe a CTRL_CMD_NEWFAMILY message. */
static void describe_family(char *out, size_t n, struct nlmsghdr *h)
{
	struct genlmsghdr *g = NLMSG_DATA(h);
	int len = h->nlmsg_len - NLMSG_LENGTH(GENL_HDRLEN);
	struct nlattr *a = (struct nlattr *)((char *)g + GENL_HDRLEN);
	int id = -1, version = -1, hdrsize = -1, groups = 0;
	char name[32] = "?", group[32] = "";
	while (len >= NLA_HDRLEN && a->nla_len >= NLA_HDRLEN && a->nla_len <= len) {
		void *d = (char *)a + NLA_HDRLEN;
		switch (a->nla_type & NLA_TYPE_MASK) {
		case CTRL_ATTR_FAMILY_ID: id = *(unsigned short *)d; break;
		case CTRL_ATTR_FAMILY_NAME: snprintf(name, sizeof name, "%s", (char *)d); break;
		case CTRL_ATTR_VERSION: version = *(unsigned *)d; break;
		case CTRL_ATTR_HDRSIZE: hdrsize = *(unsigned *)d; break;
		case CTRL_ATTR_MCAST_GROUPS: {
			/* nested: each group a nest holding ID and NAME */
			int gl = a->nla_len - NLA_HDRLEN;
			struct nlattr *gn = d;
			while (gl >= NLA_HDRLEN && gn->nla_len >= NLA_HDRLEN && gn->nla_len <= gl) {
				groups++;
				int il = gn->nla_len - NLA_HDRLEN;
				struct nlattr *ia = (struct nlattr *)((char *)gn + NLA_HDRLEN);
				while (il >= NLA_HDRLEN && ia->nla_len >= NLA_HDRLEN && ia->nla_len <= il) {
					if ((ia->nla_type & NLA_TYPE_MASK) == CTRL_ATTR_MCAST_GRP_NAME && !group[0])
						snprintf(group, sizeof group, "%s", (char *)ia + NLA_HDRLEN);
					il -= NLA_ALIGN(ia->nla_len);
					ia = (struct nlattr *)((char *)ia + NLA_ALIGN(ia->nla_len));
				}
				gl -= NLA_ALIGN(gn->nla_len);
				gn = (struct nlattr *)((char *)gn + NLA_ALIGN(gn->nla_len));
			}
			break;
		}
		}
		len -= NLA_ALIGN(a->nla_len);
		a = (struct nlattr *)((char *)a + NLA_ALIGN(a->nla_len));
	}
	snprintf(out, n, "type=0x%x cmd=%d id=0x%x name=%s version=%d hdrsize=%d mcast groups=%d first=%s", h->nlmsg_type,
		 g->cmd, id, name, version, hdrsize, groups, group[0] ? group : "-");
}

/* Send r and print the reply (one message, or the error). */
static void genl_ask(const char *label, int fd, struct genl_req *r)
{
	struct sockaddr_nl k = {.nl_family = AF_NETLINK};
	if (sendto(fd, r, r->nh.nlmsg_len, 0, (struct sockaddr *)&k, sizeof k) < 0) {
		printf("%s: sendto -1 %s\n", label, errname(errno));
		return;
	}
	struct pollfd p = {fd, POLLIN, 0};
	if (poll(&p, 1, 2000) <= 0) {
		printf("%s: no reply\n", label);
		return;
	}
	ssize_t n = recv(fd, buf, sizeof buf, 0);
	if (n < 0) {
		printf("%s: recv -1 %s\n", label, errname(errno));
		return;
	}
	struct nlmsghdr *h = (struct nlmsghdr *)buf;
	if (h->nlmsg_type == NLMSG_ERROR) {
		int e = ((struct nlmsgerr *)NLMSG_DATA(h))->error;
		printf("%s: NLMSG_ERROR %d%s%s seq=%s\n", label, e, e ? " " : "", e ? errname(-e) : "",
		       h->nlmsg_seq == r->nh.nlmsg_seq ? "same" : "other");
		return;
	}
	char d[256];
	describe_family(d, sizeof d, h);
	printf("%s: %s seq=%s\n", label, d, h->nlmsg_seq == r->nh.nlmsg_seq ? "same" : "other");
}

static void generic(void)
{
	int g = nl_open(NETLINK_GENERIC, SOCK_RAW);
	showfd("generic socket", g);
	show("generic bind", nl_bind(g, 0));
	struct genl_req r;
	genl_init(&r, GENL_ID_CTRL, CTRL_CMD_GETFAMILY, 0);
	genl_put_str(&r, CTRL_ATTR_FAMILY_NAME, "nlctrl");
	genl_ask("getfamily nlctrl", g, &r);
	genl_init(&r, GENL_ID_CTRL, CTRL_CMD_GETFAMILY, 0);
	genl_put_u16(&r, CTRL_ATTR_FAMILY_ID, GENL_ID_CTRL);
	genl_ask("getfamily id 0x10", g, &r);
	genl_init(&r, GENL_ID_CTRL, CTRL_CMD_GETFAMILY, NLM_F_ACK);
	genl_put_str(&r, CTRL_ATTR_FAMILY_NAME, "nl80211");
	genl_ask("getfamily nl80211", g, &r);
	genl_init(&r, GENL_ID_CTRL, CTRL_CMD_GETFAMILY, NLM_F_ACK);
	genl_put_str(&r, CTRL_ATTR_FAMILY_NAME, "no-such-family");
	genl_ask("getfamily no-such-family", g, &r);
	genl_init(&r, GENL_ID_CTRL, CTRL_CMD_GETFAMILY, NLM_F_ACK);
	genl_ask("getfamily without attributes", g, &r);
	genl_init(&r, 0x7777, 1, NLM_F_ACK);
	genl_ask("request to family 0x7777", g, &r);

	/* the dump lists nlctrl */
	genl_init(&r, GENL_ID_CTRL, CTRL_CMD_GETFAMILY, NLM_F_DUMP);
	struct sockaddr_nl k = {.nl_family = AF_NETLINK};
	sendto(g, &r, r.nh.nlmsg_len, 0, (struct sockaddr *)&k, sizeof k);
	int found = 0, done = 0, families = 0;
	for (int i = 0; i < 1000 && !done; i++) {
		struct pollfd p = {g, POLLIN, 0};
		if (poll(&p, 1, 2000) <= 0)
			break;
		ssize_t n = recv(g, buf, sizeof buf, 0);
		if (n < 0)
			break;
		for (struct nlmsghdr *h = (struct nlmsghdr *)buf; NLMSG_OK(h, (unsigned)n); h = NLMSG_NEXT(h, n)) {
			if (h->nlmsg_type == NLMSG_DONE) {
				done = 1;
				break;
			}
			char d[256];
			describe_family(d, sizeof d, h);
			families++;
			if (strstr(d, " name=nlctrl "))
				found = 1;
		}
	}
	printf("getfamily dump: nlctrl listed %d, several families %d, DONE %d\n", found, families > 1, done);
	close(g);
}

/* ---------- NL-21 ---------- */

static void host_facilities(void)
{
	int u = nl_open(NETLINK_KOBJECT_UEVENT, SOCK_DGRAM);
	showfd("uevent socket", u);
	if (u >= 0) {
		show("uevent bind 0", nl_bind(u, 0));
		close(u);
		u = nl_open(NETLINK_KOBJECT_UEVENT, SOCK_DGRAM);
		show("uevent bind group 1", nl_bind(u, 1));
		show_groups("uevent getsockname", u);
		close(u);
	}
	int a = nl_open(NETLINK_AUDIT, SOCK_RAW);
	showfd("audit socket", a);
	if (a < 0)
		return;
	show("audit bind 0", nl_bind(a, 0));
	int a1 = nl_open(NETLINK_AUDIT, SOCK_RAW);
	show("audit bind AUDIT_NLGRP_READLOG", nl_bind(a1, 1 << (AUDIT_NLGRP_READLOG - 1)));
	close(a1);
	struct nlmsghdr h = {.nlmsg_len = NLMSG_LENGTH(0), .nlmsg_type = AUDIT_GET,
			     .nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK, .nlmsg_seq = ++seqno};
	struct sockaddr_nl k = {.nl_family = AF_NETLINK};
	if (sendto(a, &h, h.nlmsg_len, 0, (struct sockaddr *)&k, sizeof k) < 0) {
		printf("AUDIT_GET: sendto -1 %s\n", errname(errno));
	} else {
		/* the status reply comes from another kernel thread: it may
		 * follow the ack */
		int status = 0, acks = 0, err = 0;
		for (int i = 0; i < 4 && !(status && acks) && !err; i++) {
			struct pollfd p = {a, POLLIN, 0};
			if (poll(&p, 1, 1000) <= 0)
				break;
			ssize_t n = recv(a, buf, sizeof buf, MSG_DONTWAIT);
			if (n < 0)
				break;
			struct nlmsghdr *r = (struct nlmsghdr *)buf;
			if (r->nlmsg_type == NLMSG_ERROR) {
				int e = ((struct nlmsgerr *)NLMSG_DATA(r))->error;
				if (e)
					err = -e;
				else
					acks++;
			} else if (r->nlmsg_type == AUDIT_GET) {
				status++;
			}
		}
		char out[128];
		snprintf(out, sizeof out, " status %d ack %d error %s", status, acks, err ? errname(err) : "0");
		printf("AUDIT_GET replies:%s\n", out[0] ? out : " none");
	}
	close(a);
}

int main(void)
{
	common_init();
	groups_root();
	/* a root member of USERSOCK group 1, for the child's message */
	int um = nl_open(NETLINK_USERSOCK, SOCK_RAW);
	show("root usersock member bind 0x1", nl_bind(um, 0x1));
	unsigned *shared = mmap(NULL, sizeof(unsigned), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	fflush(stdout);
	pid_t pid = fork();
	if (pid == 0) {
		close(um);
		groups_child();
		*shared = usersock_sender;
		fflush(stdout);
		_exit(0);
	}
	int st = 0;
	waitpid(pid, &st, 0);
	printf("child exit: %d\n", WIFEXITED(st) ? WEXITSTATUS(st) : -1);
	got("root usersock member got from 65534", um, *shared);
	close(um);
	generic();
	host_facilities();
	puts("done");
	return 0;
}
