/* pktinfo_send.c - choosing a datagram's source with IP_PKTINFO and
 * IPV6_PKTINFO on send.
 *
 * Checks: a sendmsg with IP_PKTINFO ipi_spec_dst 127.0.0.9 leaves from
 * 127.0.0.9 (the receiver sees it as the source) from a socket bound to
 * 0.0.0.0; ipi_ifindex 1 (lo) works, a non-existent index is ENODEV; a
 * spec_dst that is not local fails; a short control message is EINVAL;
 * IPV6_PKTINFO with ipi6_addr ::1 and ifindex 1 works, a non-local
 * address fails, a non-existent index is ENODEV.
 */
/* spec: CMSG-04 */
#include "common.h"
#include <poll.h>
#include <net/if.h>

static int recv_from(const char *label, int fd)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };
	poll(&p, 1, 2000);
	char b[64], a[64];
	struct sockaddr_storage ss;
	socklen_t sl = sizeof ss;
	ssize_t n = recvfrom(fd, b, sizeof b, MSG_DONTWAIT, (struct sockaddr *)&ss, &sl);
	if (n < 0) {
		printf("%s: -1 %s\n", label, errname(errno));
		return -1;
	}
	printf("%s: %zd from %s\n", label, n, fmt_addr(&ss, a, sizeof a));
	return 0;
}

static ssize_t send4(int fd, const struct sockaddr_in *d, const char *spec, int ifindex, int short_ctl)
{
	union {
		struct cmsghdr h;
		char b[CMSG_SPACE(sizeof(struct in_pktinfo))];
	} c;
	memset(&c, 0, sizeof c);
	struct iovec iov = { "pkt", 3 };
	struct msghdr m = { .msg_name = (void *)d, .msg_namelen = sizeof *d, .msg_iov = &iov, .msg_iovlen = 1,
			    .msg_control = c.b, .msg_controllen = sizeof c.b };
	struct cmsghdr *h = CMSG_FIRSTHDR(&m);
	h->cmsg_level = IPPROTO_IP;
	h->cmsg_type = IP_PKTINFO;
	h->cmsg_len = short_ctl ? CMSG_LEN(4) : CMSG_LEN(sizeof(struct in_pktinfo));
	struct in_pktinfo pi = { .ipi_ifindex = ifindex };
	inet_pton(AF_INET, spec, &pi.ipi_spec_dst);
	memcpy(CMSG_DATA(h), &pi, sizeof pi);
	return sendmsg(fd, &m, 0);
}

static ssize_t send6(int fd, const struct sockaddr_in6 *d, const char *src, int ifindex)
{
	union {
		struct cmsghdr h;
		char b[CMSG_SPACE(sizeof(struct in6_pktinfo))];
	} c;
	memset(&c, 0, sizeof c);
	struct iovec iov = { "pkt6", 4 };
	struct msghdr m = { .msg_name = (void *)d, .msg_namelen = sizeof *d, .msg_iov = &iov, .msg_iovlen = 1,
			    .msg_control = c.b, .msg_controllen = sizeof c.b };
	struct cmsghdr *h = CMSG_FIRSTHDR(&m);
	h->cmsg_level = IPPROTO_IPV6;
	h->cmsg_type = IPV6_PKTINFO;
	h->cmsg_len = CMSG_LEN(sizeof(struct in6_pktinfo));
	struct in6_pktinfo pi = { .ipi6_ifindex = ifindex };
	inet_pton(AF_INET6, src, &pi.ipi6_addr);
	memcpy(CMSG_DATA(h), &pi, sizeof pi);
	return sendmsg(fd, &m, 0);
}

int main(void)
{
	common_init();
	int lo = if_nametoindex("lo");
	{
		int r = socket(AF_INET, SOCK_DGRAM, 0);
		bind_port0(r, AF_INET, "0.0.0.0");
		struct sockaddr_in d = sin4("127.0.0.1", local_port(r));
		int s = socket(AF_INET, SOCK_DGRAM, 0);
		bind_port0(s, AF_INET, "0.0.0.0");
		show("v4 spec_dst 127.0.0.9", send4(s, &d, "127.0.0.9", 0, 0));
		recv_from("v4 recv", r);
		show("v4 spec_dst 127.0.0.1 ifindex lo", send4(s, &d, "127.0.0.1", lo, 0));
		recv_from("v4 recv", r);
		show("v4 spec_dst 0.0.0.0", send4(s, &d, "0.0.0.0", 0, 0));
		recv_from("v4 recv", r);
		show("v4 ifindex 999", send4(s, &d, "0.0.0.0", 999, 0));
		show("v4 spec_dst 10.99.0.1", send4(s, &d, "10.99.0.1", 0, 0));
		show("v4 short cmsg", send4(s, &d, "127.0.0.9", 0, 1));
		show("v4 nothing more", recv(r, (char[8]){0}, 8, MSG_DONTWAIT));
		close(s);
		close(r);
	}
	{
		int r = socket(AF_INET6, SOCK_DGRAM, 0);
		bind_port0(r, AF_INET6, "::");
		struct sockaddr_in6 d = sin6("::1", local_port(r));
		int s = socket(AF_INET6, SOCK_DGRAM, 0);
		show("v6 src ::1 ifindex lo", send6(s, &d, "::1", lo));
		recv_from("v6 recv", r);
		show("v6 src :: ", send6(s, &d, "::", 0));
		recv_from("v6 recv", r);
		show("v6 src fd00::9", send6(s, &d, "fd00::9", 0));
		show("v6 ifindex 999", send6(s, &d, "::", 999));
		show("v6 nothing more", recv(r, (char[8]){0}, 8, MSG_DONTWAIT));
		close(s);
		close(r);
	}
	printf("done\n");
	return 0;
}
