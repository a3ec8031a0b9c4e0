/* udp_rcvbuf.c - the UDP receive queue, its buffer limit and its drop
 * counters.
 *
 * Checks: the receive queue is FIFO and MSG_PEEK reads its head without
 * unlinking it (a short peek truncates, MSG_TRUNC set, the datagram stays
 * whole); Udp InDatagrams does not count datagrams queued but not yet
 * read; SO_RCVBUF's small values read back (doubled, at least 2304);
 * how many datagrams of a given size a small receive buffer keeps before
 * it drops (Linux charges each datagram's truesize, not its payload; the
 * sender sees no error), the bytes /proc/net/udp's rx_queue shows for
 * them, and the drops: Udp RcvbufErrors and InErrors each grow by the
 * number dropped, InDatagrams only by those read, the socket's drops
 * column in /proc/net/udp counts them; SO_RXQ_OVFL: no cmsg on datagrams
 * queued before the first drop, a cmsg with the socket's drop count on
 * one queued after. As root: a datagram injected with a raw IPPROTO_UDP
 * socket (sendto's sin_port 0, which raw sockets ignore, or the port) with
 * a correct checksum or checksum 0 is received, one with a bad checksum is
 * not, and counts as Udp InCsumErrors and InErrors.
 * Counters are printed as deltas, never as absolute values. SO_RXQ_OVFL's
 * read back is udp_timestamping.c's; this program checks its cmsg.
 */
/* spec: BUF-01 BUF-02 BUF-03 BUF-05 URECV-05 URECV-14 URECV-15 SO-12 OBS-02 OBS-03 */
#include "common.h"
#include <netinet/ip.h>
#include <netinet/udp.h>
#include <sys/stat.h>

#ifndef SO_RXQ_OVFL
#define SO_RXQ_OVFL 40
#endif

/* The Udp counters this program watches. */
static const char *names[] = {"InDatagrams", "InErrors", "RcvbufErrors", "InCsumErrors", "NoPorts"};
#define NCOUNT (sizeof names / sizeof names[0])

static void snap(long *v)
{
	for (size_t i = 0; i < NCOUNT; i++)
		v[i] = snmp_counter("Udp", names[i], 0);
}

/* deltas prints "label Udp NAME delta: D" for each watched counter. */
static void deltas(const char *label, const long *before)
{
	long now[NCOUNT];
	snap(now);
	for (size_t i = 0; i < NCOUNT; i++)
		printf("%s Udp %s delta: %ld\n", label, names[i], now[i] - before[i]);
}

/* udp_row finds fd's row in /proc/net/udp (by inode) and gives its
 * rx_queue and drops columns; returns 0, or -1 when there is no row. */
static int udp_row(int fd, unsigned *rx, unsigned long *drops)
{
	struct stat st;
	fstat(fd, &st);
	FILE *f = fopen("/proc/net/udp", "r");
	if (!f)
		return -1;
	char line[512];
	int found = -1;
	while (fgets(line, sizeof line, f)) {
		unsigned tx, r;
		unsigned long ino, d;
		if (sscanf(line, "%*s %*s %*s %*s %x:%x %*s %*s %*s %*s %lu %*s %*s %lu", &tx, &r, &ino, &d) != 4)
			continue;
		if (ino == st.st_ino) {
			*rx = r;
			*drops = d;
			found = 0;
		}
	}
	fclose(f);
	return found;
}

/* settle waits until fd has a datagram (up to 1 s) and then a little
 * more, so that everything sent on the loopback has arrived. */
static void settle(int fd)
{
	struct pollfd p = {fd, POLLIN, 0};
	poll(&p, 1, 1000);
	usleep(100000);
}

/* rx_ovfl receives one datagram with recvmsg (MSG_DONTWAIT) and returns
 * its length; *ovfl gets its SO_RXQ_OVFL value, or -1 without one. */
static ssize_t rx_ovfl(int fd, void *buf, size_t len, long *ovfl)
{
	char ctl[256];
	struct iovec iov = {buf, len};
	struct msghdr m = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctl, .msg_controllen = sizeof ctl};
	ssize_t n = recvmsg(fd, &m, MSG_DONTWAIT);
	*ovfl = -1;
	if (n < 0)
		return n;
	for (struct cmsghdr *c = CMSG_FIRSTHDR(&m); c; c = CMSG_NXTHDR(&m, c))
		if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SO_RXQ_OVFL) {
			unsigned v;
			memcpy(&v, CMSG_DATA(c), sizeof v);
			*ovfl = v;
		}
	return n;
}

static int bound_receiver(void)
{
	int r = socket(AF_INET, SOCK_DGRAM, 0);
	bind_port0(r, AF_INET, "127.0.0.1");
	return r;
}

/* fill sends count datagrams of size bytes to a fresh receiver whose
 * SO_RCVBUF is set to rcvbuf, and prints what was kept, dropped and
 * counted. */
static void fill(int rcvbuf, int size, int count)
{
	static char data[65536], buf[65536];
	char label[64];
	snprintf(label, sizeof label, "fill rcvbuf=%d size=%d count=%d", rcvbuf, size, count);
	int r = bound_receiver();
	int one = 1;
	set_int(r, SOL_SOCKET, SO_RCVBUF, rcvbuf);
	setsockopt(r, SOL_SOCKET, SO_RXQ_OVFL, &one, sizeof one);
	int eff = -1;
	socklen_t l = sizeof eff;
	getsockopt(r, SOL_SOCKET, SO_RCVBUF, &eff, &l);
	printf("%s: effective %d\n", label, eff);
	struct sockaddr_in to = sin4("127.0.0.1", local_port(r));
	int s = socket(AF_INET, SOCK_DGRAM, 0);
	long before[NCOUNT];
	snap(before);
	int errs = 0;
	for (int i = 0; i < count; i++) {
		memset(data, 'a' + i % 26, size);
		if (sendto(s, data, size, MSG_DONTWAIT, (struct sockaddr *)&to, sizeof to) != size)
			errs++;
	}
	printf("%s: send errors %d\n", label, errs);
	settle(r);
	unsigned rx = 0;
	unsigned long drops = 0;
	if (udp_row(r, &rx, &drops) == 0)
		printf("%s: /proc/net/udp rx_queue %u drops %lu\n", label, rx, drops);
	else
		printf("%s: /proc/net/udp no row\n", label);
	int n = 0, inorder = 1, withovfl = 0;
	long ovfl;
	ssize_t got;
	char first = 0;
	while ((got = rx_ovfl(r, buf, sizeof buf, &ovfl)) >= 0) {
		if (n == 0)
			first = buf[0];
		else if (got != size || buf[0] != 'a' + n % 26)
			inorder = 0;
		if (ovfl >= 0)
			withovfl++;
		n++;
	}
	printf("%s: kept %d first=%c in order %d with SO_RXQ_OVFL %d\n", label, n, first ? first : '-', inorder, withovfl);
	deltas(label, before);
	/* One more after the drops: its SO_RXQ_OVFL is the socket's drop
	 * count. */
	sendto(s, "late", 4, 0, (struct sockaddr *)&to, sizeof to);
	settle(r);
	got = rx_ovfl(r, buf, sizeof buf, &ovfl);
	printf("%s: late datagram %zd SO_RXQ_OVFL %ld (dropped %d)\n", label, got, ovfl, count - n);
	if (udp_row(r, &rx, &drops) == 0)
		printf("%s: /proc/net/udp drops after drain %lu\n", label, drops);
	close(s);
	close(r);
}

/* rcvbuf_value sets SO_RCVBUF to v on a fresh socket and prints what
 * getsockopt reads back. */
static void rcvbuf_value(int v)
{
	char label[64];
	int t = socket(AF_INET, SOCK_DGRAM, 0);
	snprintf(label, sizeof label, "set SO_RCVBUF %d", v);
	show(label, set_int(t, SOL_SOCKET, SO_RCVBUF, v));
	snprintf(label, sizeof label, "SO_RCVBUF after %d", v);
	get_int(label, t, SOL_SOCKET, SO_RCVBUF);
	close(t);
}

/* udp_inject sends a UDP datagram from port sport to 127.0.0.1:dport
 * through raw socket raw, with the right checksum (mode 0), a wrong one
 * (1) or none (2: checksum 0); the destination's sin_port is toport
 * (which a raw socket ignores). Returns sendto's result. */
static long udp_inject(int raw, int sport, int dport, int toport, const char *payload, int mode)
{
	unsigned char pkt[64];
	size_t plen = strlen(payload);
	struct udphdr *u = (struct udphdr *)pkt;
	u->source = htons(sport);
	u->dest = htons(dport);
	u->len = htons(sizeof *u + plen);
	u->check = 0;
	memcpy(pkt + sizeof *u, payload, plen);
	/* Pseudo-header: source and destination 127.0.0.1, protocol, length. */
	unsigned long sum = 0x7f00 + 0x0001 + 0x7f00 + 0x0001 + IPPROTO_UDP + sizeof *u + plen;
	unsigned short c = cksum(pkt, sizeof *u + plen, sum);
	if (c == 0)
		c = 0xffff;
	if (mode == 1)
		c = htons(ntohs(c) == 0x1234 ? 0x4321 : 0x1234);
	else if (mode == 2)
		c = 0;
	u->check = c;
	struct sockaddr_in to = sin4("127.0.0.1", toport);
	return sendto(raw, pkt, sizeof *u + plen, 0, (struct sockaddr *)&to, sizeof to);
}

int main(void)
{
	common_init();
	char buf[64];
	int r = bound_receiver();
	int s = socket(AF_INET, SOCK_DGRAM, 0);
	struct sockaddr_in to = sin4("127.0.0.1", local_port(r));

	/* --- BUF-01: FIFO, MSG_PEEK at the head --- */
	const char *msgs[] = {"first", "second", "third"};
	long before[NCOUNT];
	snap(before);
	for (int i = 0; i < 3; i++)
		sendto(s, msgs[i], strlen(msgs[i]), 0, (struct sockaddr *)&to, sizeof to);
	settle(r);
	/* Queued, not read yet: InDatagrams counts reads only. */
	printf("queued 3, InDatagrams delta: %ld\n", snmp_counter("Udp", "InDatagrams", 0) - before[0]);
	for (int i = 0; i < 2; i++) {
		ssize_t n = recv(r, buf, sizeof buf, MSG_PEEK | MSG_DONTWAIT);
		printf("peek %d: %zd [%.*s]\n", i, n, (int)(n > 0 ? n : 0), buf);
	}
	{
		struct iovec iov = {buf, 3};
		struct msghdr m = {.msg_iov = &iov, .msg_iovlen = 1};
		ssize_t n = recvmsg(r, &m, MSG_PEEK | MSG_DONTWAIT);
		printf("short peek: %zd [%.*s] MSG_TRUNC=%d\n", n, (int)(n > 0 ? n : 0), buf, !!(m.msg_flags & MSG_TRUNC));
		n = recvmsg(r, &m, MSG_PEEK | MSG_TRUNC | MSG_DONTWAIT);
		printf("short peek MSG_TRUNC: %zd MSG_TRUNC=%d\n", n, !!(m.msg_flags & MSG_TRUNC));
	}
	for (int i = 0; i < 4; i++) {
		ssize_t n = recv(r, buf, sizeof buf, MSG_DONTWAIT);
		if (n < 0)
			printf("recv %d: -1 %s\n", i, errname(errno));
		else
			printf("recv %d: %zd [%.*s]\n", i, n, (int)n, buf);
	}
	printf("read 3, InDatagrams delta: %ld\n", snmp_counter("Udp", "InDatagrams", 0) - before[0]);
	/* A peek, then more arrives: the peek still sees the same head. */
	sendto(s, "x1", 2, 0, (struct sockaddr *)&to, sizeof to);
	settle(r);
	ssize_t n = recv(r, buf, sizeof buf, MSG_PEEK | MSG_DONTWAIT);
	printf("peek before more: %zd [%.*s]\n", n, (int)(n > 0 ? n : 0), buf);
	sendto(s, "y22", 3, 0, (struct sockaddr *)&to, sizeof to);
	usleep(100000);
	n = recv(r, buf, sizeof buf, MSG_PEEK | MSG_DONTWAIT);
	printf("peek after more: %zd [%.*s]\n", n, (int)(n > 0 ? n : 0), buf);
	show_datagrams("queue after peeks", r);

	/* --- SO_RCVBUF small values --- */
	int small[] = {0, 1, 1151, 1152, 1153, 2048, 4096};
	for (size_t i = 0; i < sizeof small / sizeof small[0]; i++)
		rcvbuf_value(small[i]);

	/* --- the drop point, drops counted --- */
	fill(1, 1, 10);
	fill(1, 100, 10);
	fill(4096, 1, 20);
	fill(4096, 100, 20);
	fill(4096, 1000, 20);
	fill(4096, 3000, 5);
	fill(16384, 1000, 40);
	fill(100000, 1000, 100);
	/* More than a unix socket's default send buffer holds (212992 bytes,
	 * 92 of these datagrams): the receiver's buffer is the limit. */
	fill(1 << 20, 1000, 200);

	/* --- URECV-14: a bad checksum, as root --- */
	if (geteuid() == 0) {
		int raw = socket(AF_INET, SOCK_RAW, IPPROTO_UDP);
		showfd("raw IPPROTO_UDP socket", raw);
		int rr = bound_receiver();
		int port = local_port(rr);
		snap(before);
		show("inject sin_port 0", udp_inject(raw, 40000, port, 0, "port0", 0));
		settle(rr);
		show_datagrams("after sin_port 0", rr);
		deltas("sin_port 0", before);
		/* The others name the port in sin_port too. */
		snap(before);
		show("inject good checksum", udp_inject(raw, 40000, port, port, "good", 0));
		settle(rr);
		show_datagrams("after good checksum", rr);
		deltas("good checksum", before);
		snap(before);
		show("inject bad checksum", udp_inject(raw, 40000, port, port, "bad", 1));
		usleep(300000);
		show_datagrams("after bad checksum", rr);
		deltas("bad checksum", before);
		snap(before);
		show("inject checksum 0", udp_inject(raw, 40000, port, port, "zero", 2));
		settle(rr);
		show_datagrams("after checksum 0", rr);
		deltas("checksum 0", before);
		close(raw);
		close(rr);
	}
	puts("done");
	return 0;
}
