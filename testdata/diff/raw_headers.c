/* raw_headers.c - the headers a UDP socket never reads and raw sockets do;
 * UDP checksums and SO_NO_CHECK; ping sizes; ICMP_FILTER by type.
 *
 * Checks: a 2-byte UDP datagram over 127.0.0.1 reads as 2 bytes at the UDP
 * socket, and as 30 (20-byte IP header, 8-byte UDP header, payload) at a
 * raw IPPROTO_UDP socket: the IP fields, the UDP ports, length field 10 and
 * payload; a raw IPPROTO_TCP socket sees a connection's SYN with its IP
 * header; SO_NO_CHECK (default 0, set 1/0, on TCP too): a datagram sent
 * with it carries checksum 0 and is still delivered, one sent without it
 * the checksum lo's offload leaves (CHECKSUM_PARTIAL: the folded
 * pseudo-header sum alone, which a raw socket sees before any completion); a raw ICMP echo request with 56 data
 * bytes (sendto returns 64) and what a raw ICMP socket receives: the
 * request and the reply, 84 bytes each; ICMP_FILTER with the bit of type 0
 * (echo reply) or 8 (echo) set: that type is no longer delivered; the
 * filter value with every Appendix D type bit set reads back unchanged;
 * UDP's poll and a datagram with a wrong checksum (sent whole through a raw
 * IPPROTO_UDP socket, 100 bytes of payload so that Linux checks it late):
 * a blocking socket's poll drops it and shows no POLLIN, a non-blocking
 * one's shows POLLIN and recv gives EAGAIN; a raw socket's poll shows it;
 * a datagram with the right checksum is delivered.
 *
 * IP ids and ephemeral ports are never printed; the echo id is fixed.
 */
/* spec: URECV-16 RAW-09 RAW-11 PO-16 USEND-17 SO-16 OPS-06 URECV-14 */
#include "common.h"
#include <netinet/ip.h>
#include <netinet/ip_icmp.h>
#include <poll.h>
#include <stdint.h>

#define ICMP_FILTER_OPT 1
#define ECHO_ID 0x4e42

/* Waits up to 300 ms (then 100 ms) for packets at raw socket fd and returns
 * the first IPv4/UDP one to dport in b (its length), or -1. */
static ssize_t raw_udp_to(int fd, int dport, uint8_t *b, size_t n, int *count)
{
	ssize_t first = -1;
	uint8_t t[2048];
	*count = 0;
	for (int i = 0; i < 8; i++) {
		struct pollfd p = { fd, POLLIN, 0 };
		if (poll(&p, 1, i ? 100 : 300) <= 0)
			break;
		ssize_t r = recv(fd, t, sizeof t, MSG_DONTWAIT);
		if (r < 28 || t[9] != IPPROTO_UDP)
			continue;
		const uint8_t *u = t + (t[0] & 15) * 4;
		if (((u[2] << 8) | u[3]) != dport)
			continue;
		if ((*count)++ == 0) {
			first = r;
			memcpy(b, t, (size_t)r < n ? (size_t)r : n);
		}
	}
	return first;
}

/* What the UDP checksum field of an IPv4 packet p (its IP header first)
 * holds: "zero", "full" (it verifies), "partial" (the folded pseudo-header
 * sum alone: what lo's checksum offload, CHECKSUM_PARTIAL, leaves), or
 * "other". */
static const char *udp_sum_kind(const uint8_t *p)
{
	int hl = (p[0] & 15) * 4;
	const uint8_t *u = p + hl;
	int ul = (u[4] << 8) | u[5];
	uint16_t field;
	memcpy(&field, u + 6, 2);
	if (!field)
		return "zero";
	unsigned long ps = ((p[12] << 8) | p[13]) + ((p[14] << 8) | p[15]) + ((p[16] << 8) | p[17]) +
			   ((p[18] << 8) | p[19]) + IPPROTO_UDP + ul;
	if (cksum(u, ul, ps) == 0)
		return "full";
	if (field == (uint16_t)~cksum(NULL, 0, ps))
		return "partial";
	return "other";
}

static void show_udp(const char *label, const uint8_t *p, ssize_t n, int count)
{
	if (n < 0) {
		printf("%s: none\n%s udp: none\n", label, label);
		return;
	}
	int hl = (p[0] & 15) * 4;
	const uint8_t *u = p + hl;
	char s[32], d[32];
	inet_ntop(AF_INET, p + 12, s, sizeof s);
	inet_ntop(AF_INET, p + 16, d, sizeof d);
	printf("%s: count=%d len=%zd ver=%d ihl=%d tot_len=%d proto=%d %s->%s\n", label, count, n,
	       p[0] >> 4, p[0] & 15, (p[2] << 8) | p[3], p[9], s, d);
	printf("%s udp: sport=%d dport=%d len=%d payload=%.*s\n", label, (u[0] << 8) | u[1],
	       (u[2] << 8) | u[3], (u[4] << 8) | u[5], (int)(n - hl - 8), (const char *)u + 8);
}

static void show_sum(const char *label, const uint8_t *p, ssize_t n)
{
	if (n < 0)
		printf("%s: none\n", label);
	else
		printf("%s: %s\n", label, udp_sum_kind(p));
}

static void udp_headers(void)
{
	uint8_t b[2048];
	int count;
	int raw = socket(AF_INET, SOCK_RAW, IPPROTO_UDP);
	showfd("socket raw IPPROTO_UDP", raw);
	int rcv = socket(AF_INET, SOCK_DGRAM, 0);
	struct sockaddr_in ra = sin4("127.0.0.1", 6050), sa = sin4("127.0.0.1", 6051);
	show("bind udp 6050", bind(rcv, (struct sockaddr *)&ra, sizeof ra));
	set_rcvtimeo(rcv);
	int snd = socket(AF_INET, SOCK_DGRAM, 0);
	show("bind udp 6051", bind(snd, (struct sockaddr *)&sa, sizeof sa));

	/* URECV-16, RAW-09 */
	show("sendto 2 bytes", sendto(snd, "hi", 2, 0, (struct sockaddr *)&ra, sizeof ra));
	char r[64];
	ssize_t n = recv(rcv, r, sizeof r, 0);
	show("udp recv", n);
	printf("udp recv data: %.*s\n", n > 0 ? (int)n : 0, r);
	n = raw_udp_to(raw, 6050, b, sizeof b, &count);
	show_udp("raw udp", b, n, count);
	show_sum("raw udp checksum default", b, n);

	/* USEND-17, SO-16 */
	get_int("SO_NO_CHECK default", snd, SOL_SOCKET, SO_NO_CHECK);
	show("set SO_NO_CHECK 1", set_int(snd, SOL_SOCKET, SO_NO_CHECK, 1));
	get_int("SO_NO_CHECK after set 1", snd, SOL_SOCKET, SO_NO_CHECK);
	show("set SO_NO_CHECK 5", set_int(snd, SOL_SOCKET, SO_NO_CHECK, 5));
	get_int("SO_NO_CHECK after set 5", snd, SOL_SOCKET, SO_NO_CHECK);
	show("sendto no check", sendto(snd, "nc", 2, 0, (struct sockaddr *)&ra, sizeof ra));
	n = recv(rcv, r, sizeof r, 0);
	show("udp recv no check", n);
	n = raw_udp_to(raw, 6050, b, sizeof b, &count);
	printf("raw udp no check count: %d\n", count);
	show_sum("raw udp checksum no check", b, n);
	show("set SO_NO_CHECK 0", set_int(snd, SOL_SOCKET, SO_NO_CHECK, 0));
	get_int("SO_NO_CHECK after set 0", snd, SOL_SOCKET, SO_NO_CHECK);
	show("sendto check again", sendto(snd, "ck", 2, 0, (struct sockaddr *)&ra, sizeof ra));
	n = recv(rcv, r, sizeof r, 0);
	show("udp recv check again", n);
	n = raw_udp_to(raw, 6050, b, sizeof b, &count);
	show_sum("raw udp checksum again", b, n);
	int t = socket(AF_INET, SOCK_STREAM, 0);
	get_int("tcp SO_NO_CHECK default", t, SOL_SOCKET, SO_NO_CHECK);
	show("tcp set SO_NO_CHECK 1", set_int(t, SOL_SOCKET, SO_NO_CHECK, 1));
	get_int("tcp SO_NO_CHECK after set", t, SOL_SOCKET, SO_NO_CHECK);
	close(t);
	int u6 = socket(AF_INET6, SOCK_DGRAM, 0);
	show("udp6 set SO_NO_CHECK 1", set_int(u6, SOL_SOCKET, SO_NO_CHECK, 1));
	get_int("udp6 SO_NO_CHECK after set", u6, SOL_SOCKET, SO_NO_CHECK);
	close(u6);
	close(raw);
	close(rcv);
	close(snd);
}

/* RAW-09 for TCP: a raw IPPROTO_TCP socket sees the SYN of a connection. */
static void tcp_headers(void)
{
	int raw = socket(AF_INET, SOCK_RAW, IPPROTO_TCP);
	showfd("socket raw IPPROTO_TCP", raw);
	int port;
	int l = tcp_listener(&port);
	int c, s;
	connect_pair(l, port, &c, &s);
	int syn = 0, total = 0;
	uint8_t t[2048];
	for (int i = 0; i < 16; i++) {
		struct pollfd p = { raw, POLLIN, 0 };
		if (poll(&p, 1, i ? 100 : 300) <= 0)
			break;
		ssize_t r = recv(raw, t, sizeof t, MSG_DONTWAIT);
		if (r < 40 || t[9] != IPPROTO_TCP)
			continue;
		const uint8_t *h = t + (t[0] & 15) * 4;
		if (((h[2] << 8) | h[3]) != port)
			continue;
		total++;
		if ((h[13] & 0x12) == 0x02 && !syn++)
			printf("raw tcp syn: ihl=%d proto=%d doff>=5=%d flags=0x%02x\n", t[0] & 15, t[9],
			       (h[12] >> 4) >= 5, h[13]);
	}
	if (!syn)
		printf("raw tcp syn: none\n");
	printf("raw tcp segments to listener: %d syn=%d\n", total > 0, syn);
	close(c);
	close(s);
	close(l);
	close(raw);
}

/* An echo request with nd data bytes: header + data, checksummed. */
static size_t mk_echo(uint8_t *b, int type, int seq, size_t nd)
{
	memset(b, 0, 8 + nd);
	b[0] = type;
	b[4] = ECHO_ID >> 8, b[5] = ECHO_ID & 0xff;
	b[6] = seq >> 8, b[7] = seq & 0xff;
	for (size_t i = 0; i < nd; i++)
		b[8 + i] = 'a' + i % 26;
	uint16_t c = cksum(b, 8 + nd, 0);
	memcpy(b + 2, &c, 2);
	return 8 + nd;
}

/* The ICMP messages carrying ECHO_ID and seq at raw socket fd, as
 * "type/len" items. */
static void echoes(const char *label, int fd, int seq)
{
	char out[256] = "";
	size_t o = 0;
	uint8_t t[2048];
	for (int i = 0; i < 8; i++) {
		struct pollfd p = { fd, POLLIN, 0 };
		if (poll(&p, 1, i ? 100 : 500) <= 0)
			break;
		ssize_t r = recv(fd, t, sizeof t, MSG_DONTWAIT);
		if (r < 28 || t[9] != IPPROTO_ICMP)
			continue;
		int hl = (t[0] & 15) * 4;
		const uint8_t *h = t + hl;
		if (((h[4] << 8) | h[5]) != ECHO_ID || ((h[6] << 8) | h[7]) != seq)
			continue;
		o += snprintf(out + o, sizeof out - o, " type=%d len=%zd ip_tot_len=%d", h[0], r,
			      (t[2] << 8) | t[3]);
	}
	printf("%s:%s\n", label, o ? out : " none");
}

static void ping_sizes(void)
{
	int r = socket(AF_INET, SOCK_RAW, IPPROTO_ICMP);
	showfd("socket raw IPPROTO_ICMP", r);
	struct sockaddr_in d = sin4("127.0.0.1", 0);
	uint8_t m[128];
	size_t ml = mk_echo(m, ICMP_ECHO, 1, 56);
	show("sendto echo 56 data bytes", sendto(r, m, ml, 0, (struct sockaddr *)&d, sizeof d));
	echoes("raw icmp seq 1", r, 1);

	/* PO-16: a set bit drops that type. */
	uint32_t f = 1u << ICMP_ECHOREPLY;
	show("set ICMP_FILTER echo reply", setsockopt(r, SOL_RAW, ICMP_FILTER_OPT, &f, sizeof f));
	ml = mk_echo(m, ICMP_ECHO, 2, 56);
	show("sendto echo seq 2", sendto(r, m, ml, 0, (struct sockaddr *)&d, sizeof d));
	echoes("raw icmp seq 2 reply filtered", r, 2);
	f = 1u << ICMP_ECHO;
	show("set ICMP_FILTER echo", setsockopt(r, SOL_RAW, ICMP_FILTER_OPT, &f, sizeof f));
	ml = mk_echo(m, ICMP_ECHO, 3, 56);
	show("sendto echo seq 3", sendto(r, m, ml, 0, (struct sockaddr *)&d, sizeof d));
	echoes("raw icmp seq 3 echo filtered", r, 3);
	f = (1u << ICMP_ECHOREPLY) | (1u << ICMP_ECHO);
	show("set ICMP_FILTER both", setsockopt(r, SOL_RAW, ICMP_FILTER_OPT, &f, sizeof f));
	ml = mk_echo(m, ICMP_ECHO, 4, 56);
	show("sendto echo seq 4", sendto(r, m, ml, 0, (struct sockaddr *)&d, sizeof d));
	echoes("raw icmp seq 4 both filtered", r, 4);
	f = 0;
	for (int ty = 0; ty <= 18; ty++)
		if (ty == 0 || (ty >= 3 && ty <= 5) || ty == 8 || ty >= 11)
			f |= 1u << ty;
	show("set ICMP_FILTER appendix D types", setsockopt(r, SOL_RAW, ICMP_FILTER_OPT, &f, sizeof f));
	uint32_t g = 0;
	socklen_t gl = sizeof g;
	show("get ICMP_FILTER", getsockopt(r, SOL_RAW, ICMP_FILTER_OPT, &g, &gl));
	printf("ICMP_FILTER value: 0x%05x len=%u\n", g, gl);
	f = 0;
	show("clear ICMP_FILTER", setsockopt(r, SOL_RAW, ICMP_FILTER_OPT, &f, sizeof f));
	ml = mk_echo(m, ICMP_ECHO, 5, 56);
	show("sendto echo seq 5", sendto(r, m, ml, 0, (struct sockaddr *)&d, sizeof d));
	echoes("raw icmp seq 5 unfiltered", r, 5);
	close(r);
}

/* OPS-06: a UDP datagram with a wrong checksum, written whole through a
 * raw IPPROTO_UDP socket, to a UDP socket: udp_poll drops it and reports
 * no POLLIN on a blocking socket; on a non-blocking one POLLIN shows and
 * recv finds nothing (EAGAIN); a raw socket (datagram_poll) reports it. */
static void bad_checksums(void)
{
	int tx = socket(AF_INET, SOCK_RAW, IPPROTO_UDP);
	int watch = socket(AF_INET, SOCK_RAW, IPPROTO_UDP);
	int u = socket(AF_INET, SOCK_DGRAM, 0);
	struct sockaddr_in ua = sin4("127.0.0.1", 6055);
	show("bind udp 6055", bind(u, (struct sockaddr *)&ua, sizeof ua));
	/* 108 bytes: longer than CHECKSUM_BREAK (76), so that Linux does not
	 * verify it on arrival but when it is read (or polled). */
	uint8_t d[108];
	memset(d, 'x', sizeof d);
	d[0] = 6056 >> 8, d[1] = 6056 & 0xff, d[2] = 6055 >> 8, d[3] = 6055 & 0xff;
	d[4] = 0, d[5] = sizeof d, d[6] = 0x12, d[7] = 0x34;
	struct pollfd p = { u, POLLIN, 0 };
	char b[256];

	/* URECV-14: a short one (not above CHECKSUM_BREAK) is checked as
	 * it arrives: dropped and counted. */
	long csum0 = snmp_counter("Udp", "InCsumErrors", 0), inerr0 = snmp_counter("Udp", "InErrors", 0);
	uint8_t sd[40];
	memcpy(sd, d, sizeof sd);
	sd[5] = sizeof sd;
	show("raw sendto short bad checksum", sendto(tx, sd, sizeof sd, 0, (struct sockaddr *)&ua, sizeof ua));
	usleep(50000);
	show("poll blocking udp short bad", poll(&p, 1, 200));
	show("recv short bad dontwait", recv(u, b, sizeof b, MSG_DONTWAIT));
	printf("short bad Udp InCsumErrors delta: %ld\n", snmp_counter("Udp", "InCsumErrors", 0) - csum0);
	printf("short bad Udp InErrors delta: %ld\n", snmp_counter("Udp", "InErrors", 0) - inerr0);
	{
		int k = 0;
		while (k < 8 && recv(watch, b, sizeof b, MSG_DONTWAIT) > 0)
			k++;
	}
	p.revents = 0;

	fcntl(u, F_SETFL, O_NONBLOCK);
	show("raw sendto bad checksum 1", sendto(tx, d, sizeof d, 0, (struct sockaddr *)&ua, sizeof ua));
	usleep(50000);
	show("poll nonblocking udp", poll(&p, 1, 200));
	printf("poll nonblocking udp revents: 0x%x\n", p.revents);
	show("recv nonblocking udp", recv(u, b, sizeof b, MSG_DONTWAIT));
	p.revents = 0;
	show("poll nonblocking udp after recv", poll(&p, 1, 0));
	fcntl(u, F_SETFL, 0);
	show("raw sendto bad checksum 2", sendto(tx, d, sizeof d, 0, (struct sockaddr *)&ua, sizeof ua));
	usleep(50000);
	p.revents = 0;
	show("poll blocking udp", poll(&p, 1, 200));
	show("recv blocking udp dontwait", recv(u, b, sizeof b, MSG_DONTWAIT));
	struct pollfd w = { watch, POLLIN, 0 };
	show("poll raw watcher", poll(&w, 1, 200));
	int n = 0;
	while (n < 8 && recv(watch, b, sizeof b, MSG_DONTWAIT) > 0)
		n++;
	printf("raw watcher copies of bad: %d\n", n);

	/* The right checksum: delivered. */
	unsigned long ps = 0x7f00 + 0x0001 + 0x7f00 + 0x0001 + IPPROTO_UDP + sizeof d;
	d[6] = d[7] = 0;
	uint16_t c = cksum(d, sizeof d, ps);
	memcpy(d + 6, &c, 2);
	show("raw sendto good checksum", sendto(tx, d, sizeof d, 0, (struct sockaddr *)&ua, sizeof ua));
	p.revents = 0;
	show("poll blocking udp good", poll(&p, 1, 500));
	show("recv good", recv(u, b, sizeof b, MSG_DONTWAIT));
	w.revents = 0;
	show("poll raw watcher good", poll(&w, 1, 200));
	n = 0;
	while (n < 8 && recv(watch, b, sizeof b, MSG_DONTWAIT) > 0)
		n++;
	printf("raw watcher copies of good: %d\n", n);
	close(tx);
	close(watch);
	close(u);
}

int main(void)
{
	common_init();
	if (geteuid() != 0) {
		printf("not root\n");
		return 0;
	}
	udp_headers();
	tcp_headers();
	ping_sizes();
	bad_checksums();
	printf("done\n");
	return 0;
}
