/* tcp_teardown.c - connections that end early or are taken apart:
 * accept() of a connection whose client already sent data and closed
 * (the data, then EOF), connect(AF_UNSPEC) on a connected TCP socket (0;
 * then getpeername ENOTCONN and send EPIPE), getpeername once the
 * connection has ended (reset, FINs both ways, SO_LINGER 0) or half
 * ended, and the largest UDP
 * datagrams over IPv4 and IPv6 (65507 / 65527 bytes; one more is
 * EMSGSIZE).
 */
/* spec: OPS-10 TCP-12 TCP-15 V6-14 */
#include "common.h"
#include <linux/inet_diag.h>
#include <linux/netlink.h>
#include <linux/sock_diag.h>
#include <poll.h>
#include <signal.h>

#include "inetdiag.h"

static int listener(struct sockaddr_in *sa)
{
	int l = socket(AF_INET, SOCK_STREAM, 0);
	sa->sin_family = AF_INET;
	sa->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	sa->sin_port = 0;
	bind(l, (struct sockaddr *)sa, sizeof *sa);
	listen(l, 4);
	socklen_t len = sizeof *sa;
	getsockname(l, (struct sockaddr *)sa, &len);
	return l;
}

/* Is the TCP connection 127.0.0.1:sport -> 127.0.0.1:dport in the
 * kernel's tables? An exact sock_diag lookup, as `ss` makes. */
static int diag_found(int sport, int dport)
{
	struct {
		struct nlmsghdr h;
		struct inet_diag_req_v2 r;
	} q;
	memset(&q, 0, sizeof q);
	q.h.nlmsg_len = sizeof q;
	q.h.nlmsg_type = SOCK_DIAG_BY_FAMILY;
	q.h.nlmsg_flags = NLM_F_REQUEST;
	inet_diag_exact_loopback(&q.r, sport, dport);
	int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_SOCK_DIAG);
	struct sockaddr_nl k = {.nl_family = AF_NETLINK};
	sendto(fd, &q, sizeof q, 0, (struct sockaddr *)&k, sizeof k);
	static char buf[8192] __attribute__((aligned(8)));
	ssize_t n = recv(fd, buf, sizeof buf, 0);
	close(fd);
	return n >= (ssize_t)sizeof(struct nlmsghdr) && ((struct nlmsghdr *)buf)->nlmsg_type == SOCK_DIAG_BY_FAMILY;
}

static void rd(const char *label, int fd)
{
	char b[64];
	struct pollfd p = {fd, POLLIN, 0};
	poll(&p, 1, 1000);
	ssize_t n = recv(fd, b, sizeof b, MSG_DONTWAIT);
	if (n < 0)
		printf("%s: -1 %s\n", label, errname(errno));
	else
		printf("%s: %zd %.*s\n", label, n, (int)n, b);
}

int main(void)
{
	common_init();
	signal(SIGPIPE, SIG_IGN);
	struct sockaddr_in sa;
	int l = listener(&sa);
	int c = socket(AF_INET, SOCK_STREAM, 0);
	show("connect", connect(c, (struct sockaddr *)&sa, sizeof sa));
	show("send before accept", send(c, "early", 5, 0));
	show("close before accept", close(c));
	usleep(50000);
	int a = accept(l, NULL, NULL);
	showfd("accept closed connection", a);
	rd("read queued data", a);
	rd("read after data", a);

	int c2 = socket(AF_INET, SOCK_STREAM, 0);
	show("connect 2", connect(c2, (struct sockaddr *)&sa, sizeof sa));
	int a2 = accept(l, NULL, NULL);
	struct sockaddr un = {.sa_family = AF_UNSPEC};
	show("connect AF_UNSPEC", connect(c2, &un, sizeof un));
	struct sockaddr_in peer;
	socklen_t pl = sizeof peer;
	show("getpeername after AF_UNSPEC", getpeername(c2, (struct sockaddr *)&peer, &pl));
	show("send after AF_UNSPEC", send(c2, "x", 1, MSG_NOSIGNAL));
	rd("peer read after AF_UNSPEC", a2);
	close(a2);
	close(c2);

	/* The peer's address lives as long as the connection: gone once it
	 * is reset or FINs went both ways (TCP_CLOSE), kept after one FIN. */
	{
		const char *names[] = {"peer FIN", "peer reset", "own FIN then peer's", "peer's FIN then own",
				       "peer linger 0", "FINs both ways"};
		for (int i = 0; i < 6; i++) {
			int pc = socket(AF_INET, SOCK_STREAM, 0);
			connect(pc, (struct sockaddr *)&sa, sizeof sa);
			int pa = accept(l, NULL, NULL);
			if (i == 1)
				send(pc, "unread", 6, 0);
			if (i == 2 || i == 5)
				shutdown(pc, SHUT_WR);
			if (i == 4)
				setsockopt(pa, SOL_SOCKET, SO_LINGER, &(struct linger){1, 0}, sizeof(struct linger));
			usleep(20000);
			if (i == 5)
				shutdown(pa, SHUT_WR);
			else
				close(pa);
			usleep(20000);
			if (i == 3)
				shutdown(pc, SHUT_WR);
			usleep(20000);
			char lbl[80];
			pl = sizeof peer;
			snprintf(lbl, sizeof lbl, "getpeername after %s", names[i]);
			show(lbl, getpeername(pc, (struct sockaddr *)&peer, &pl));
			if (i <= 1) {
				/* In the tables in CLOSE_WAIT, out once reset. */
				struct sockaddr_in me;
				socklen_t ml = sizeof me;
				getsockname(pc, (struct sockaddr *)&me, &ml);
				printf("sock_diag finds it after %s: %d\n", names[i], diag_found(ntohs(me.sin_port), ntohs(sa.sin_port)));
			}
			if (i == 5) {
				pl = sizeof peer;
				show("getpeername of the other end after FINs both ways", getpeername(pa, (struct sockaddr *)&peer, &pl));
				close(pa);
			}
			if (i == 4)
				rd("read after peer linger 0", pc);
			close(pc);
		}
	}

	int u4 = socket(AF_INET, SOCK_DGRAM, 0);
	struct sockaddr_in d4 = {.sin_family = AF_INET, .sin_port = htons(9), .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	static char big[70000];
	show("udp4 65507", sendto(u4, big, 65507, 0, (struct sockaddr *)&d4, sizeof d4));
	show("udp4 65508", sendto(u4, big, 65508, 0, (struct sockaddr *)&d4, sizeof d4));
	int u6 = socket(AF_INET6, SOCK_DGRAM, 0);
	struct sockaddr_in6 d6 = {.sin6_family = AF_INET6, .sin6_port = htons(9), .sin6_addr = IN6ADDR_LOOPBACK_INIT};
	show("udp6 65527", sendto(u6, big, 65527, 0, (struct sockaddr *)&d6, sizeof d6));
	show("udp6 65528", sendto(u6, big, 65528, 0, (struct sockaddr *)&d6, sizeof d6));
	puts("done");
	return 0;
}
