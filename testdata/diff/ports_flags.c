/* ports_flags.c - port tables per protocol, and a few message flags.
 *
 * Checks: a TCP listener and a UDP socket bound to the same address and
 * port coexist, both work, and a second of either kind conflicts
 * (EADDRINUSE); the same for IPv6; MSG_EOR is accepted on UDP and on unix
 * SEQPACKET, and a SEQPACKET record comes back with msg_flags 0;
 * MSG_CMSG_CLOEXEC gives received SCM_RIGHTS fds FD_CLOEXEC (and shows in
 * msg_flags), without it they have none.
 */
/* spec: BIND-09 FLAG-08 FLAG-16 */
#include "common.h"
#include <poll.h>

static void same_port(const char *fam, int family, const char *addr)
{
	char l[64];
	int t = socket(family, SOCK_STREAM, 0);
	int one = 1;
	setsockopt(t, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
	bind_port0(t, family, addr);
	int port = local_port(t);
	snprintf(l, sizeof l, "%s tcp listen", fam);
	show(l, listen(t, 4));
	int u = socket(family, SOCK_DGRAM, 0);
	struct sockaddr_storage ss;
	socklen_t sl;
	if (family == AF_INET) {
		struct sockaddr_in a = sin4(addr, port);
		memcpy(&ss, &a, sizeof a);
		sl = sizeof a;
	} else {
		struct sockaddr_in6 a = sin6(addr, port);
		memcpy(&ss, &a, sizeof a);
		sl = sizeof a;
	}
	snprintf(l, sizeof l, "%s udp bind same port", fam);
	show(l, bind(u, (struct sockaddr *)&ss, sl));
	int u2 = socket(family, SOCK_DGRAM, 0);
	snprintf(l, sizeof l, "%s second udp same port", fam);
	show(l, bind(u2, (struct sockaddr *)&ss, sl));
	int t2 = socket(family, SOCK_STREAM, 0);
	snprintf(l, sizeof l, "%s second tcp same port", fam);
	show(l, bind(t2, (struct sockaddr *)&ss, sl));
	/* Both work: a datagram to the port reaches the UDP socket, a
	 * connection the listener. */
	int s = socket(family, SOCK_DGRAM, 0);
	snprintf(l, sizeof l, "%s udp sendto", fam);
	show(l, sendto(s, "dgram", 5, 0, (struct sockaddr *)&ss, sl));
	struct pollfd p = { .fd = u, .events = POLLIN };
	poll(&p, 1, 2000);
	char b[16];
	snprintf(l, sizeof l, "%s udp recv", fam);
	show(l, recv(u, b, sizeof b, MSG_DONTWAIT));
	int c = socket(family, SOCK_STREAM, 0);
	snprintf(l, sizeof l, "%s tcp connect", fam);
	show(l, connect(c, (struct sockaddr *)&ss, sl));
	int a = accept(t, NULL, NULL);
	snprintf(l, sizeof l, "%s tcp accept", fam);
	showfd(l, a);
	close(a);
	close(c);
	close(s);
	close(t2);
	close(u2);
	close(u);
	close(t);
}

int main(void)
{
	common_init();
	/* BIND-09 */
	same_port("v4", AF_INET, "127.0.0.1");
	same_port("v6", AF_INET6, "::1");

	/* FLAG-08: MSG_EOR */
	{
		int r = socket(AF_INET, SOCK_DGRAM, 0);
		bind_port0(r, AF_INET, "127.0.0.1");
		struct sockaddr_in d = sin4("127.0.0.1", local_port(r));
		int u = socket(AF_INET, SOCK_DGRAM, 0);
		show("udp sendto MSG_EOR", sendto(u, "eor", 3, MSG_EOR, (struct sockaddr *)&d, sizeof d));
		struct pollfd p = { .fd = r, .events = POLLIN };
		poll(&p, 1, 2000);
		char b[16];
		show("udp recv", recv(r, b, sizeof b, MSG_DONTWAIT));
		close(u);
		close(r);

		int sp[2];
		show("seqpacket pair", socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sp));
		show("seqpacket send MSG_EOR", send(sp[0], "record", 6, MSG_EOR));
		struct iovec iov = { b, sizeof b };
		struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1 };
		show("seqpacket recvmsg", recvmsg(sp[1], &m, 0));
		printf("seqpacket msg_flags: 0x%x\n", m.msg_flags);
		close(sp[0]);
		close(sp[1]);
	}

	/* FLAG-16: MSG_CMSG_CLOEXEC */
	for (int cloexec = 0; cloexec < 2; cloexec++) {
		int sp[2];
		socketpair(AF_UNIX, SOCK_DGRAM, 0, sp);
		int pass = socket(AF_INET, SOCK_DGRAM, 0); /* one of netbox's */
		union {
			struct cmsghdr h;
			char buf[CMSG_SPACE(sizeof(int))];
		} c;
		memset(&c, 0, sizeof c);
		struct iovec iov = { "f", 1 };
		struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = c.buf, .msg_controllen = sizeof c.buf };
		struct cmsghdr *h = CMSG_FIRSTHDR(&m);
		h->cmsg_level = SOL_SOCKET;
		h->cmsg_type = SCM_RIGHTS;
		h->cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(h), &pass, sizeof pass);
		show(cloexec ? "rights send (cloexec)" : "rights send", sendmsg(sp[0], &m, 0));
		char b[4];
		struct iovec riov = { b, sizeof b };
		memset(&c, 0, sizeof c);
		struct msghdr rm = { .msg_iov = &riov, .msg_iovlen = 1, .msg_control = c.buf, .msg_controllen = sizeof c.buf };
		show(cloexec ? "rights recv (cloexec)" : "rights recv", recvmsg(sp[1], &rm, cloexec ? MSG_CMSG_CLOEXEC : 0));
		int got = -1;
		struct cmsghdr *rh = CMSG_FIRSTHDR(&rm);
		if (rh && rh->cmsg_type == SCM_RIGHTS)
			memcpy(&got, CMSG_DATA(rh), sizeof got);
		int dom = -1;
		socklen_t dl = sizeof dom;
		getsockopt(got, SOL_SOCKET, SO_DOMAIN, &dom, &dl);
		printf("%s: fd ok=%d FD_CLOEXEC=%d msg_flags MSG_CMSG_CLOEXEC=%d domain=%d\n",
		       cloexec ? "received (cloexec)" : "received", got >= 0, fd_cloexec(got),
		       !!(rm.msg_flags & MSG_CMSG_CLOEXEC), dom);
		close(got);
		close(pass);
		close(sp[0]);
		close(sp[1]);
	}
	printf("done\n");
	return 0;
}
