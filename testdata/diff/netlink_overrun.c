/* netlink_overrun.c - a netlink listener whose receive buffer overflows,
 * and the kernel's non-blocking sending.
 *
 * Checks: a NETLINK_ROUTE socket with a tiny SO_RCVBUF bound to
 * RTMGRP_IPV4_IFADDR while 50 addresses are added to lo (each request
 * acked: the kernel never waits for the full listener): the messages that
 * fit are queued, then recv fails once with ENOBUFS (netlink_overrun's
 * sk_err), then reading continues and later changes arrive; with
 * NETLINK_NO_ENOBUFS nothing is reported, the messages are just lost; a
 * socket with room loses none. A dump of 200 addresses read with a 4096
 * byte buffer, also by a socket whose SO_RCVBUF is tiny, arrives complete
 * over many recv() calls (the kernel makes the next part as the reader
 * consumes), without MSG_TRUNC, ended by NLMSG_DONE (a fresh socket: the
 * kernel sizes a dump's parts by the largest buffer the socket has read
 * with). Addresses are
 * 10.88.x.y/32 on lo, removed at the end; counts are printed, not the
 * kernel's message sizes.
 */
/* spec: NL-08 NL-22 BUF-09 */
#include "common.h"
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <net/if.h>

static unsigned seqno = 1000;
static char buf[65536];

static int nl_socket(unsigned groups, int rcvbuf)
{
	int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
	if (fd < 0) {
		printf("netlink socket: -1 %s\n", errname(errno));
		return -1;
	}
	if (rcvbuf)
		set_int(fd, SOL_SOCKET, SO_RCVBUF, rcvbuf);
	struct sockaddr_nl a = {.nl_family = AF_NETLINK, .nl_groups = groups};
	if (bind(fd, (struct sockaddr *)&a, sizeof a) < 0)
		printf("netlink bind: -1 %s\n", errname(errno));
	return fd;
}

/* addr_req adds (RTM_NEWADDR) or removes 10.88.hi.lo/32 on lo and waits
 * for the ack: 0 or the negative errno. */
static int addr_req(int fd, int type, int hi, int lo)
{
	struct {
		struct nlmsghdr nh;
		struct ifaddrmsg ifa;
		char attrs[64];
	} r;
	memset(&r, 0, sizeof r);
	r.nh.nlmsg_type = type;
	r.nh.nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK | (type == RTM_NEWADDR ? NLM_F_CREATE | NLM_F_EXCL : 0);
	r.nh.nlmsg_seq = ++seqno;
	r.ifa.ifa_family = AF_INET;
	r.ifa.ifa_prefixlen = 32;
	r.ifa.ifa_index = if_nametoindex("lo");
	r.nh.nlmsg_len = NLMSG_LENGTH(sizeof r.ifa);
	unsigned char ip[4] = {10, 88, (unsigned char)hi, (unsigned char)lo};
	for (int t = 0; t < 2; t++) {
		struct rtattr *a = (struct rtattr *)((char *)&r + NLMSG_ALIGN(r.nh.nlmsg_len));
		a->rta_type = t ? IFA_ADDRESS : IFA_LOCAL;
		a->rta_len = RTA_LENGTH(4);
		memcpy(RTA_DATA(a), ip, 4);
		r.nh.nlmsg_len = NLMSG_ALIGN(r.nh.nlmsg_len) + RTA_ALIGN(a->rta_len);
	}
	struct sockaddr_nl k = {.nl_family = AF_NETLINK};
	if (sendto(fd, &r, r.nh.nlmsg_len, 0, (struct sockaddr *)&k, sizeof k) < 0)
		return -errno;
	for (int i = 0; i < 8; i++) {
		struct pollfd p = {fd, POLLIN, 0};
		if (poll(&p, 1, 2000) <= 0)
			return -ETIMEDOUT;
		ssize_t n = recv(fd, buf, sizeof buf, 0);
		if (n < 0)
			return -errno;
		for (struct nlmsghdr *h = (struct nlmsghdr *)buf; NLMSG_OK(h, (unsigned)n); h = NLMSG_NEXT(h, n))
			if (h->nlmsg_type == NLMSG_ERROR && h->nlmsg_seq == seqno)
				return ((struct nlmsgerr *)NLMSG_DATA(h))->error;
	}
	return -EPROTO;
}

/* many runs addr_req for 10.88.hi.1..n: "label: ok N of n [first error]". */
static void many(const char *label, int fd, int type, int hi, int from, int n)
{
	int ok = 0, err = 0;
	for (int i = from; i < from + n; i++) {
		int r = addr_req(fd, type, hi, i);
		if (r == 0)
			ok++;
		else if (!err)
			err = -r;
	}
	printf("%s: ok %d of %d%s%s\n", label, ok, n, err ? " first error " : "", err ? errname(err) : "");
}

/* Read what fd holds (MSG_DONTWAIT, waiting up to 300 ms for the first
 * datagram): "label: N messages (types), errors [E...]" with each error
 * in the order it came. */
static void read_all(const char *label, int fd)
{
	int msgs = 0, newaddr = 0, deladdr = 0, other = 0;
	char errs[256] = "";
	size_t eo = 0;
	struct pollfd p = {fd, POLLIN, 0};
	poll(&p, 1, 300);
	for (int i = 0; i < 10000; i++) {
		ssize_t n = recv(fd, buf, sizeof buf, MSG_DONTWAIT);
		if (n < 0) {
			if (errno == EAGAIN) {
				/* a straggler? */
				if (poll(&p, 1, 50) > 0)
					continue;
				break;
			}
			if (eo < sizeof errs)
				eo += snprintf(errs + eo, sizeof errs - eo, " %s@%d", errname(errno), msgs);
			continue;
		}
		for (struct nlmsghdr *h = (struct nlmsghdr *)buf; NLMSG_OK(h, (unsigned)n); h = NLMSG_NEXT(h, n)) {
			msgs++;
			if (h->nlmsg_type == RTM_NEWADDR)
				newaddr++;
			else if (h->nlmsg_type == RTM_DELADDR)
				deladdr++;
			else
				other++;
		}
	}
	printf("%s: NEWADDR %d DELADDR %d other %d errors [%s ]\n", label, newaddr, deladdr, other, errs);
}

/* Dump IPv4 addresses reading with a bufsize buffer: how many 10.88.*
 * addresses, over how many recv calls (more than one or not), truncation,
 * and the end. */
static void dump(const char *label, int fd, size_t bufsize)
{
	struct {
		struct nlmsghdr nh;
		struct ifaddrmsg ifa;
	} r;
	memset(&r, 0, sizeof r);
	r.nh.nlmsg_len = sizeof r;
	r.nh.nlmsg_type = RTM_GETADDR;
	r.nh.nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
	r.nh.nlmsg_seq = ++seqno;
	r.ifa.ifa_family = AF_INET;
	struct sockaddr_nl k = {.nl_family = AF_NETLINK};
	if (sendto(fd, &r, sizeof r, 0, (struct sockaddr *)&k, sizeof k) < 0) {
		printf("%s: sendto -1 %s\n", label, errname(errno));
		return;
	}
	int calls = 0, ours = 0, trunc = 0, done = 0, errors = 0, multi = 1;
	while (!done && calls < 10000) {
		struct pollfd p = {fd, POLLIN, 0};
		if (poll(&p, 1, 2000) <= 0)
			break;
		struct iovec iov = {buf, bufsize};
		struct msghdr m = {.msg_iov = &iov, .msg_iovlen = 1};
		ssize_t n = recvmsg(fd, &m, 0);
		if (n < 0) {
			errors++;
			continue;
		}
		calls++;
		if (m.msg_flags & MSG_TRUNC)
			trunc++;
		for (struct nlmsghdr *h = (struct nlmsghdr *)buf; NLMSG_OK(h, (unsigned)n); h = NLMSG_NEXT(h, n)) {
			if (h->nlmsg_type == NLMSG_DONE) {
				done = 1;
				break;
			}
			if (h->nlmsg_type != RTM_NEWADDR)
				continue;
			if (!(h->nlmsg_flags & NLM_F_MULTI))
				multi = 0;
			struct ifaddrmsg *ifa = NLMSG_DATA(h);
			int len = IFA_PAYLOAD(h);
			for (struct rtattr *a = IFA_RTA(ifa); RTA_OK(a, len); a = RTA_NEXT(a, len))
				if (a->rta_type == IFA_LOCAL && ((unsigned char *)RTA_DATA(a))[0] == 10 &&
				    ((unsigned char *)RTA_DATA(a))[1] == 88)
					ours++;
		}
	}
	printf("%s: 10.88 addresses %d, several recv calls %d, MSG_TRUNC %d, NLM_F_MULTI %d, errors %d, DONE %d\n",
	       label, ours, calls > 1, trunc, multi, errors, done);
}

int main(void)
{
	common_init();
	int req = nl_socket(0, 0);
	int tiny = nl_socket(RTMGRP_IPV4_IFADDR, 1);
	int roomy = nl_socket(RTMGRP_IPV4_IFADDR, 0);
	set_int(roomy, SOL_SOCKET, SO_RCVBUFFORCE, 4 << 20);
	int quiet = nl_socket(RTMGRP_IPV4_IFADDR, 1);
	show("NETLINK_NO_ENOBUFS 1", set_int(quiet, SOL_NETLINK, NETLINK_NO_ENOBUFS, 1));
	get_int("NETLINK_NO_ENOBUFS", quiet, SOL_NETLINK, NETLINK_NO_ENOBUFS);
	get_int("tiny SO_RCVBUF", tiny, SOL_SOCKET, SO_RCVBUF);

	many("add 50 addresses", req, RTM_NEWADDR, 0, 1, 50);
	read_all("tiny listener after 50 adds", tiny);
	read_all("tiny listener again", tiny);
	read_all("NO_ENOBUFS listener after 50 adds", quiet);
	read_all("roomy listener after 50 adds", roomy);
	get_int("tiny SO_ERROR after reading", tiny, SOL_SOCKET, SO_ERROR);

	/* reading continues: one change, one notification */
	many("remove 1 address", req, RTM_DELADDR, 0, 1, 1);
	read_all("tiny listener after one removal", tiny);

	/* an overrun left unread: SO_ERROR reports (and clears) it */
	many("remove 49 addresses", req, RTM_DELADDR, 0, 2, 49);
	get_int("tiny SO_ERROR after overrun", tiny, SOL_SOCKET, SO_ERROR);
	get_int("tiny SO_ERROR again", tiny, SOL_SOCKET, SO_ERROR);
	read_all("tiny listener after SO_ERROR", tiny);
	read_all("NO_ENOBUFS listener after 49 removals", quiet);
	read_all("roomy listener after 49 removals", roomy);
	close(tiny);
	close(quiet);
	close(roomy);

	/* dumps in parts */
	many("add 200 addresses", req, RTM_NEWADDR, 1, 1, 200);
	int d4 = nl_socket(0, 0);
	dump("dump with 4096-byte reads", d4, 4096);
	close(d4);
	int d = nl_socket(0, 1);
	get_int("dumper SO_RCVBUF", d, SOL_SOCKET, SO_RCVBUF);
	dump("dump with tiny SO_RCVBUF", d, 4096);
	dump("dump with 64 KiB reads", d, sizeof buf);
	close(d);
	many("remove 200 addresses", req, RTM_DELADDR, 1, 1, 200);
	dump("dump after cleanup", req, sizeof buf);
	close(req);
	puts("done");
	return 0;
}
