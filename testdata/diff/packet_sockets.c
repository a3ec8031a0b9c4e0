/* packet_sockets.c - AF_PACKET sockets on lo and what they capture of the
 * program's own loopback traffic.
 *
 * Checks: socket() types (SOCK_RAW, SOCK_DGRAM ok, SOCK_STREAM refused),
 * getsockname before/after bind, connect/listen/shutdown (EOPNOTSUPP); a
 * SOCK_RAW ETH_P_ALL socket on lo capturing a UDP datagram over 127.0.0.1
 * (pkttype of each copy, hatype/halen, Ethernet header, IPv4 and UDP fields,
 * payload); the same with a cooked SOCK_DGRAM ETH_P_IP socket (no link
 * header); IPv6 UDP over ::1; a TCP connection seen by an ETH_P_IP socket
 * (handshake flags and directions, the data segment, FINs, no OUTGOING
 * copies); an ICMP echo sent with a raw socket (request and kernel reply,
 * and the raw socket still gets the reply); PACKET_ADD/DROP_MEMBERSHIP
 * PROMISC, PACKET_AUXDATA (cmsg, tp_status checksum bits), a classic BPF
 * filter (SO_ATTACH_FILTER) passing only UDP to port 6000,
 * PACKET_STATISTICS, mmap without a ring, PACKET_VERSION TPACKET_V3 +
 * PACKET_RX_RING + mmap; sending a hand-made IPv4/UDP packet through a
 * SOCK_DGRAM packet socket to a UDP socket on 127.0.0.1 (the stack adds the
 * Ethernet header and the frame is seen on lo, but IPv4 input drops it:
 * 127.0.0.0/8 arriving from a device is martian without route_localnet, and
 * a local source needs accept_local, so the UDP socket gets nothing).
 *
 * Only fixed ports are printed; IP ids, checksums and ephemeral ports never.
 */
/* spec: SOCK-02 OPS-04 OPS-05 PKT-01 PKT-02 PKT-03 PKT-04 PKT-05 PKT-06 PKT-07 PKT-08 */
/* spec: PKT-11 PO-17 PO-20 */
#include "common.h"
#include <linux/filter.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <net/if.h>
#include <poll.h>
#include <stdint.h>
#include <sys/mman.h>
#include <sys/uio.h>

static int lo_idx;

static const char *pkttype_name(int t)
{
	switch (t) {
	case PACKET_HOST: return "HOST";
	case PACKET_BROADCAST: return "BROADCAST";
	case PACKET_MULTICAST: return "MULTICAST";
	case PACKET_OTHERHOST: return "OTHERHOST";
	case PACKET_OUTGOING: return "OUTGOING";
	}
	return "?";
}

/* A packet socket of type for proto, bound to lo. */
static int pkt_sock(int type, int proto)
{
	int fd = socket(AF_PACKET, type, htons(proto));
	if (fd < 0) {
		printf("pkt_sock: -1 %s\n", errname(errno));
		return fd;
	}
	struct sockaddr_ll a;
	memset(&a, 0, sizeof a);
	a.sll_family = AF_PACKET;
	a.sll_protocol = htons(proto);
	a.sll_ifindex = lo_idx;
	if (bind(fd, (struct sockaddr *)&a, sizeof a) < 0)
		printf("pkt_sock bind: -1 %s\n", errname(errno));
	return fd;
}

static void drain(int fd)
{
	char b[4096];
	for (int i = 0; i < 200 && recv(fd, b, sizeof b, MSG_DONTWAIT) >= 0; i++)
		;
}

/* The next frame, waiting at most 500 ms of silence: length or -1. */
static ssize_t next_frame(int fd, uint8_t *buf, size_t n, struct sockaddr_ll *sll)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };
	if (poll(&p, 1, 500) <= 0)
		return -1;
	socklen_t l = sizeof *sll;
	memset(sll, 0, sizeof *sll);
	return recvfrom(fd, buf, n, MSG_DONTWAIT, (struct sockaddr *)sll, &l);
}

/* Decoded frame: network and transport parts. */
struct view {
	int ethertype, l4proto, l4len;
	const uint8_t *l3, *l4;
};

static int view_of(const uint8_t *b, ssize_t n, int cooked, const struct sockaddr_ll *sll,
		   struct view *v)
{
	int l3len;
	if (cooked) {
		v->ethertype = ntohs(sll->sll_protocol);
		v->l3 = b;
		l3len = n;
	} else {
		if (n < 14)
			return -1;
		v->ethertype = b[12] << 8 | b[13];
		v->l3 = b + 14;
		l3len = n - 14;
	}
	if (v->ethertype == ETH_P_IP && l3len >= 20 && (v->l3[0] >> 4) == 4) {
		int ihl = (v->l3[0] & 15) * 4, tot = v->l3[2] << 8 | v->l3[3];
		if (tot > l3len || tot < ihl)
			return -1;
		v->l4proto = v->l3[9];
		v->l4 = v->l3 + ihl;
		v->l4len = tot - ihl;
	} else if (v->ethertype == ETH_P_IPV6 && l3len >= 40 && (v->l3[0] >> 4) == 6) {
		v->l4proto = v->l3[6];
		v->l4 = v->l3 + 40;
		v->l4len = v->l3[4] << 8 | v->l3[5];
		if (v->l4len > l3len - 40)
			return -1;
	} else {
		return -1;
	}
	return 0;
}

static int port_at(const struct view *v, int off)
{
	return v->l4len >= off + 2 ? (v->l4[off] << 8 | v->l4[off + 1]) : -1;
}

static void print_link(const char *label, const struct sockaddr_ll *s, ssize_t n,
		       const uint8_t *frame, const struct view *v, int cooked)
{
	printf("%s: pkttype=%s hatype=%d halen=%d protocol=0x%04x len=%zd", label,
	       pkttype_name(s->sll_pkttype), s->sll_hatype, s->sll_halen,
	       ntohs(s->sll_protocol), n);
	if (!cooked) {
		int zero = 1;
		for (int i = 0; i < 12; i++)
			zero &= frame[i] == 0;
		printf(" ethertype=0x%04x macs-zero=%d", v->ethertype, zero);
	}
	printf("\n");
}

static void print_net(const char *label, const struct view *v)
{
	char s[INET6_ADDRSTRLEN], d[INET6_ADDRSTRLEN];
	const uint8_t *ip = v->l3;
	if (v->ethertype == ETH_P_IP) {
		inet_ntop(AF_INET, ip + 12, s, sizeof s);
		inet_ntop(AF_INET, ip + 16, d, sizeof d);
		printf("%s: ver=%d ihl=%d totlen=%d df=%d proto=%d ttl=%d src=%s dst=%s", label,
		       ip[0] >> 4, ip[0] & 15, ip[2] << 8 | ip[3], !!(ip[6] & 0x40), ip[9], ip[8], s, d);
	} else {
		inet_ntop(AF_INET6, ip + 8, s, sizeof s);
		inet_ntop(AF_INET6, ip + 24, d, sizeof d);
		printf("%s: ver=%d plen=%d nexthdr=%d hoplimit=%d src=%s dst=%s", label, ip[0] >> 4,
		       v->l4len, ip[6], ip[7], s, d);
	}
	if (v->l4proto == IPPROTO_UDP && v->l4len >= 8)
		printf(" sport=%d dport=%d ulen=%d payload=\"%.*s\"", port_at(v, 0), port_at(v, 2),
		       port_at(v, 4), v->l4len - 8 > 40 ? 40 : v->l4len - 8, (const char *)v->l4 + 8);
	printf("\n");
}

/* Capture UDP frames to dport on fd; print each kept frame and the count. */
static void capture_udp(const char *label, int fd, int cooked, int dport)
{
	uint8_t buf[4096];
	struct sockaddr_ll sll;
	char l[96];
	int kept = 0;
	for (int i = 0; i < 30 && kept < 10; i++) {
		ssize_t n = next_frame(fd, buf, sizeof buf, &sll);
		if (n < 0)
			break;
		struct view v;
		if (view_of(buf, n, cooked, &sll, &v) < 0 || v.l4proto != IPPROTO_UDP ||
		    port_at(&v, 2) != dport)
			continue;
		kept++;
		snprintf(l, sizeof l, "%s frame %d link", label, kept);
		print_link(l, &sll, n, buf, &v, cooked);
		snprintf(l, sizeof l, "%s frame %d net", label, kept);
		print_net(l, &v);
	}
	printf("%s frames: %d\n", label, kept);
}

static int udp_bound(int family, const char *ip, int port)
{
	int fd = socket(family, SOCK_DGRAM, 0);
	struct sockaddr_in a4 = sin4(ip, port);
	struct sockaddr_in6 a6 = sin6(ip, port);
	int r = family == AF_INET ? bind(fd, (struct sockaddr *)&a4, sizeof a4)
				  : bind(fd, (struct sockaddr *)&a6, sizeof a6);
	if (r < 0)
		printf("udp_bound %s:%d: -1 %s\n", ip, port, errname(errno));
	set_rcvtimeo(fd);
	return fd;
}

static ssize_t udp_send(int fd, const char *msg, const char *ip, int port)
{
	struct sockaddr_in a4 = sin4(ip, port);
	struct sockaddr_in6 a6 = sin6(ip, port);
	if (strchr(ip, ':'))
		return sendto(fd, msg, strlen(msg), 0, (struct sockaddr *)&a6, sizeof a6);
	return sendto(fd, msg, strlen(msg), 0, (struct sockaddr *)&a4, sizeof a4);
}

/* Receive on a UDP socket within 500 ms and print the payload. */
static void udp_recv_show(const char *label, int fd)
{
	char b[128];
	struct pollfd p = { .fd = fd, .events = POLLIN };
	ssize_t n = poll(&p, 1, 500) > 0 ? recv(fd, b, sizeof b, MSG_DONTWAIT) : -1;
	if (n < 0)
		printf("%s: none\n", label);
	else
		printf("%s: %zd \"%.*s\"\n", label, n, (int)n, b);
}

static void print_ll_name(const char *label, int fd)
{
	struct sockaddr_ll a;
	socklen_t len = sizeof a;
	memset(&a, 0, sizeof a);
	if (getsockname(fd, (struct sockaddr *)&a, &len) < 0) {
		printf("%s: -1 %s\n", label, errname(errno));
		return;
	}
	printf("%s: family=%d protocol=0x%04x ifindex=%s hatype=%d halen=%d len=%u\n", label,
	       a.sll_family, ntohs(a.sll_protocol),
	       a.sll_ifindex == 0 ? "0" : a.sll_ifindex == lo_idx ? "lo" : "other",
	       a.sll_hatype, a.sll_halen, len);
}

static void tcp_flags(const uint8_t *t, char *out)
{
	static const char names[] = "FSRPUEW";
	int f = t[13], k = 0;
	static const int bits[] = { 0x01, 0x02, 0x04, 0x08, 0x20, 0x40, 0x80 };
	for (int i = 0; i < 7; i++)
		if (f & bits[i])
			out[k++] = names[i];
	if (f & 0x10)
		out[k++] = '.';
	out[k] = 0;
}

static void step_tcp(void)
{
	int ps = pkt_sock(SOCK_RAW, ETH_P_IP);
	drain(ps);
	int l = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in la = sin4("127.0.0.1", 6010);
	set_int(l, SOL_SOCKET, SO_REUSEADDR, 1);
	show("tcp bind 6010", bind(l, (struct sockaddr *)&la, sizeof la));
	show("tcp listen", listen(l, 4));
	int c = socket(AF_INET, SOCK_STREAM, 0);
	show("tcp connect", connect(c, (struct sockaddr *)&la, sizeof la));
	show("tcp send hello", send(c, "hello", 5, 0));
	show("tcp client close", close(c));
	int a = accept(l, NULL, NULL);
	showfd("tcp accept", a);
	set_rcvtimeo(a);
	char b[64];
	show("tcp server recv", recv(a, b, sizeof b, 0));
	show("tcp server recv eof", recv(a, b, sizeof b, 0));
	close(a);
	close(l);

	uint8_t buf[4096];
	struct sockaddr_ll sll;
	int host = 0, out_syn = 0, hello = 0, cfin = 0, sfin = 0, rst = 0;
	for (int i = 0; i < 40; i++) {
		ssize_t n = next_frame(ps, buf, sizeof buf, &sll);
		if (n < 0)
			break;
		struct view v;
		if (view_of(buf, n, 0, &sll, &v) < 0 || v.l4proto != IPPROTO_TCP || v.l4len < 20)
			continue;
		int sp = port_at(&v, 0), dp = port_at(&v, 2);
		if (sp != 6010 && dp != 6010)
			continue;
		int f = v.l4[13], cs = dp == 6010;
		if (sll.sll_pkttype == PACKET_OUTGOING) {
			if (cs && (f & 0x12) == 0x02)
				out_syn++;
			continue;
		}
		if (sll.sll_pkttype != PACKET_HOST)
			continue;
		int plen = v.l4len - (v.l4[12] >> 4) * 4;
		char fl[16];
		tcp_flags(v.l4, fl);
		if (++host <= 3)
			printf("tcp segment %d: %s %s len=%d\n", host, cs ? "c->s" : "s->c", fl, plen);
		if (cs && plen == 5 && !memcmp(v.l4 + (v.l4[12] >> 4) * 4, "hello", 5))
			hello = 1;
		if (f & 0x01)
			*(cs ? &cfin : &sfin) = 1;
		if (f & 0x04)
			rst = 1;
	}
	printf("tcp hello segment seen: %d\n", hello);
	printf("tcp client FIN seen: %d\n", cfin);
	printf("tcp server FIN seen: %d\n", sfin);
	printf("tcp RST seen: %d\n", rst);
	printf("tcp OUTGOING copies of first SYN: %d\n", out_syn);
	close(ps);
}

static void step_icmp(void)
{
	int ps = pkt_sock(SOCK_RAW, ETH_P_IP);
	drain(ps);
	int r = socket(AF_INET, SOCK_RAW, IPPROTO_ICMP);
	showfd("icmp raw socket", r);
	uint8_t m[16] = { 8, 0, 0, 0, 0x12, 0x34, 0, 1, 'p', 'k', 't', '-', 'p', 'i', 'n', 'g' };
	uint16_t ck = cksum(m, sizeof m, 0);
	memcpy(m + 2, &ck, 2);
	struct sockaddr_in d = sin4("127.0.0.1", 0);
	show("icmp sendto", sendto(r, m, sizeof m, 0, (struct sockaddr *)&d, sizeof d));

	uint8_t buf[4096];
	struct sockaddr_ll sll;
	int seen = 0, other = 0;
	for (int i = 0; i < 20; i++) {
		ssize_t n = next_frame(ps, buf, sizeof buf, &sll);
		if (n < 0)
			break;
		struct view v;
		if (view_of(buf, n, 0, &sll, &v) < 0 || v.l4proto != IPPROTO_ICMP || v.l4len < 8 ||
		    port_at(&v, 4) != 0x1234)
			continue;
		if (sll.sll_pkttype != PACKET_HOST) {
			other++;
			continue;
		}
		printf("icmp frame %d: pkttype=%s len=%zd type=%d code=%d id=0x%04x seq=%d payload=\"%.*s\"\n",
		       ++seen, pkttype_name(sll.sll_pkttype), n, v.l4[0], v.l4[1], port_at(&v, 4),
		       port_at(&v, 6), v.l4len - 8, (const char *)v.l4 + 8);
	}
	printf("icmp HOST frames: %d non-HOST: %d\n", seen, other);
	int reply = 0;
	for (int i = 0; i < 4 && !reply; i++) {
		struct pollfd p = { .fd = r, .events = POLLIN };
		if (poll(&p, 1, 500) <= 0)
			break;
		ssize_t n = recv(r, buf, sizeof buf, MSG_DONTWAIT);
		if (n >= 28 && buf[20] == 0 && buf[24] == 0x12 && buf[25] == 0x34)
			reply = 1;
	}
	printf("icmp raw socket got echo reply: %d\n", reply);
	close(r);
	close(ps);
}

static void step_options(void)
{
	int ps = pkt_sock(SOCK_RAW, ETH_P_ALL);
	struct packet_mreq mr;
	memset(&mr, 0, sizeof mr);
	mr.mr_ifindex = lo_idx;
	mr.mr_type = PACKET_MR_PROMISC;
	show("PACKET_ADD_MEMBERSHIP PROMISC lo",
	     setsockopt(ps, SOL_PACKET, PACKET_ADD_MEMBERSHIP, &mr, sizeof mr));
	show("PACKET_DROP_MEMBERSHIP PROMISC lo",
	     setsockopt(ps, SOL_PACKET, PACKET_DROP_MEMBERSHIP, &mr, sizeof mr));
	show("PACKET_AUXDATA on", set_int(ps, SOL_PACKET, PACKET_AUXDATA, 1));
	drain(ps);
	int r0 = udp_bound(AF_INET, "127.0.0.1", 6000), r1 = udp_bound(AF_INET, "127.0.0.1", 6001);
	int s = udp_bound(AF_INET, "127.0.0.1", 6005);
	show("aux sendto 6000", udp_send(s, "aux", "127.0.0.1", 6000));
	int kept = 0;
	for (int i = 0; i < 20 && kept < 2; i++) {
		uint8_t buf[4096];
		union { struct cmsghdr h; char b[256]; } cb;
		struct sockaddr_ll sll;
		struct iovec iov = { buf, sizeof buf };
		struct msghdr mh;
		memset(&mh, 0, sizeof mh);
		memset(&sll, 0, sizeof sll);
		mh.msg_name = &sll;
		mh.msg_namelen = sizeof sll;
		mh.msg_iov = &iov;
		mh.msg_iovlen = 1;
		mh.msg_control = cb.b;
		mh.msg_controllen = sizeof cb.b;
		struct pollfd p = { .fd = ps, .events = POLLIN };
		if (poll(&p, 1, 500) <= 0)
			break;
		ssize_t n = recvmsg(ps, &mh, MSG_DONTWAIT);
		struct view v;
		if (n < 0 || view_of(buf, n, 0, &sll, &v) < 0 || v.l4proto != IPPROTO_UDP ||
		    port_at(&v, 2) != 6000)
			continue;
		kept++;
		int got = 0;
		struct tpacket_auxdata aux;
		memset(&aux, 0, sizeof aux);
		for (struct cmsghdr *c = CMSG_FIRSTHDR(&mh); c; c = CMSG_NXTHDR(&mh, c))
			if (c->cmsg_level == SOL_PACKET && c->cmsg_type == PACKET_AUXDATA) {
				got = 1;
				memcpy(&aux, CMSG_DATA(c), sizeof aux);
			}
		printf("auxdata frame %d: pkttype=%s cmsg=%d csumnotready=%d csum_valid=%d "
		       "tp_len=len:%d tp_snaplen=len:%d tp_mac=%d tp_net=%d\n", kept,
		       pkttype_name(sll.sll_pkttype), got,
		       !!(aux.tp_status & TP_STATUS_CSUMNOTREADY), !!(aux.tp_status & TP_STATUS_CSUM_VALID),
		       aux.tp_len == n, aux.tp_snaplen == n, aux.tp_mac, aux.tp_net);
	}
	printf("auxdata frames: %d\n", kept);
	close(ps);
	udp_recv_show("aux udp receiver 6000", r0);

	/* classic BPF: IPv4, UDP, dst port 6000 -> whole frame, else drop */
	struct sock_filter code[] = {
		BPF_STMT(BPF_LD | BPF_H | BPF_ABS, 12),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, ETH_P_IP, 0, 5),
		BPF_STMT(BPF_LD | BPF_B | BPF_ABS, 23),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, IPPROTO_UDP, 0, 3),
		BPF_STMT(BPF_LD | BPF_H | BPF_ABS, 36),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 6000, 0, 1),
		BPF_STMT(BPF_RET | BPF_K, 0x40000),
		BPF_STMT(BPF_RET | BPF_K, 0),
	};
	struct sock_fprog prog = { sizeof code / sizeof code[0], code };
	int pf = pkt_sock(SOCK_RAW, ETH_P_ALL);
	show("SO_ATTACH_FILTER", setsockopt(pf, SOL_SOCKET, SO_ATTACH_FILTER, &prog, sizeof prog));
	drain(pf);
	struct tpacket_stats st;
	socklen_t sl = sizeof st;
	getsockopt(pf, SOL_PACKET, PACKET_STATISTICS, &st, &sl); /* reset the counters */
	show("filter sendto 6000", udp_send(s, "to-6000", "127.0.0.1", 6000));
	show("filter sendto 6001", udp_send(s, "to-6001", "127.0.0.1", 6001));
	int p6000 = 0, p6001 = 0, other = 0;
	for (int i = 0; i < 20; i++) {
		uint8_t buf[4096];
		struct sockaddr_ll sll;
		ssize_t n = next_frame(pf, buf, sizeof buf, &sll);
		if (n < 0)
			break;
		struct view v;
		int dp = view_of(buf, n, 0, &sll, &v) < 0 || v.l4proto != IPPROTO_UDP ? -1 : port_at(&v, 2);
		if (dp == 6000)
			printf("filtered frame %d: pkttype=%s dport=6000\n", ++p6000, pkttype_name(sll.sll_pkttype));
		else if (dp == 6001)
			p6001++;
		else
			other++;
	}
	printf("filtered socket saw: port6000=%d port6001=%d other=%d\n", p6000, p6001, other);
	udp_recv_show("filter udp receiver 6000", r0);
	udp_recv_show("filter udp receiver 6001", r1);
	memset(&st, 0, sizeof st);
	sl = sizeof st;
	long sr = getsockopt(pf, SOL_PACKET, PACKET_STATISTICS, &st, &sl);
	show("PACKET_STATISTICS", sr);
	printf("PACKET_STATISTICS len=%u tp_packets>0: %d tp_drops: %u\n", sl, st.tp_packets > 0, st.tp_drops);
	sl = sizeof st;
	getsockopt(pf, SOL_PACKET, PACKET_STATISTICS, &st, &sl);
	printf("PACKET_STATISTICS again tp_packets: %u\n", st.tp_packets);
	close(pf);
	close(r0);
	close(r1);
	close(s);

	/* TPACKET_V3 ring */
	int rs = socket(AF_PACKET, SOCK_RAW, htons(ETH_P_ALL));
	void *m = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, rs, 0);
	if (m == MAP_FAILED)
		printf("mmap without ring: -1 %s\n", errname(errno));
	else
		printf("mmap without ring: ok\n");
	show("PACKET_VERSION TPACKET_V3", set_int(rs, SOL_PACKET, PACKET_VERSION, TPACKET_V3));
	get_int("PACKET_VERSION get", rs, SOL_PACKET, PACKET_VERSION);
	struct tpacket_req3 req;
	memset(&req, 0, sizeof req);
	req.tp_block_size = 4096 * 4;
	req.tp_block_nr = 4;
	req.tp_frame_size = 2048;
	req.tp_frame_nr = req.tp_block_size / req.tp_frame_size * req.tp_block_nr;
	req.tp_retire_blk_tov = 60;
	show("PACKET_RX_RING", setsockopt(rs, SOL_PACKET, PACKET_RX_RING, &req, sizeof req));
	size_t rlen = (size_t)req.tp_block_size * req.tp_block_nr;
	m = mmap(NULL, rlen, PROT_READ | PROT_WRITE, MAP_SHARED, rs, 0);
	if (m == MAP_FAILED) {
		printf("mmap ring: -1 %s\n", errname(errno));
	} else {
		printf("mmap ring: ok\n");
		show("munmap ring", munmap(m, rlen));
	}
	show("PACKET_VERSION after ring", set_int(rs, SOL_PACKET, PACKET_VERSION, TPACKET_V2));
	show("close ring socket", close(rs));
}

static void step_send(void)
{
	int rcv = udp_bound(AF_INET, "127.0.0.1", 6020);
	int cap = pkt_sock(SOCK_RAW, ETH_P_ALL);
	drain(cap);
	int ds = socket(AF_PACKET, SOCK_DGRAM, 0);
	showfd("send socket SOCK_DGRAM proto 0", ds);
	const char *msg = "via-packet";
	size_t ml = strlen(msg), ul = 8 + ml, tl = 20 + ul;
	uint8_t p[64];
	memset(p, 0, sizeof p);
	p[0] = 0x45;
	p[2] = tl >> 8, p[3] = tl & 0xff;
	p[6] = 0x40; /* DF */
	p[8] = 64, p[9] = IPPROTO_UDP;
	inet_pton(AF_INET, "127.0.0.1", p + 12);
	inet_pton(AF_INET, "127.0.0.1", p + 16);
	uint16_t ck = cksum(p, 20, 0);
	memcpy(p + 10, &ck, 2);
	uint8_t *u = p + 20;
	u[0] = 6021 >> 8, u[1] = 6021 & 0xff, u[2] = 6020 >> 8, u[3] = 6020 & 0xff;
	u[4] = ul >> 8, u[5] = ul & 0xff;
	memcpy(u + 8, msg, ml);
	unsigned long ps = 0x7f00 + 0x0001 + 0x7f00 + 0x0001 + IPPROTO_UDP + ul; /* pseudo header */
	ck = cksum(u, ul, ps);
	memcpy(u + 6, &ck, 2);
	struct sockaddr_ll to;
	memset(&to, 0, sizeof to);
	to.sll_family = AF_PACKET;
	to.sll_protocol = htons(ETH_P_IP);
	to.sll_ifindex = lo_idx;
	to.sll_halen = 6;
	show("packet sendto ETH_P_IP lo", sendto(ds, p, tl, 0, (struct sockaddr *)&to, sizeof to));
	char b[128];
	struct sockaddr_in src;
	socklen_t sl = sizeof src;
	struct pollfd pf = { .fd = rcv, .events = POLLIN };
	ssize_t n = poll(&pf, 1, 500) > 0 ? recvfrom(rcv, b, sizeof b, MSG_DONTWAIT, (struct sockaddr *)&src, &sl) : -1;
	printf("udp 6020 received: %d\n", n >= 0);
	if (n >= 0)
		printf("udp 6020 datagram: %zd \"%.*s\" from port %d\n", n, (int)n, b, sa_port(&src));
	capture_udp("injected", cap, 0, 6020);
	close(cap);
	close(ds);
	close(rcv);
}

int main(void)
{
	common_init();
	lo_idx = if_nametoindex("lo");
	printf("if_nametoindex lo > 0: %d\n", lo_idx > 0);

	/* --- 1. socket types, names, unsupported ops --- */
	int raw = socket(AF_PACKET, SOCK_RAW, htons(ETH_P_ALL));
	showfd("socket AF_PACKET SOCK_RAW ETH_P_ALL", raw);
	int dg = socket(AF_PACKET, SOCK_DGRAM, htons(ETH_P_ALL));
	showfd("socket AF_PACKET SOCK_DGRAM ETH_P_ALL", dg);
	int st = socket(AF_PACKET, SOCK_STREAM, htons(ETH_P_ALL));
	showfd("socket AF_PACKET SOCK_STREAM ETH_P_ALL", st);
	if (st >= 0)
		close(st);
	print_ll_name("getsockname before bind", raw);
	struct sockaddr_ll ll;
	memset(&ll, 0, sizeof ll);
	ll.sll_family = AF_PACKET;
	ll.sll_protocol = htons(ETH_P_ALL);
	ll.sll_ifindex = lo_idx;
	show("connect", connect(dg, (struct sockaddr *)&ll, sizeof ll));
	show("listen", listen(dg, 1));
	show("shutdown", shutdown(dg, SHUT_RDWR));
	close(dg);

	/* --- 2. SOCK_RAW ETH_P_ALL on lo, IPv4 UDP --- */
	show("bind SOCK_RAW lo ETH_P_ALL", bind(raw, (struct sockaddr *)&ll, sizeof ll));
	print_ll_name("getsockname after bind", raw);
	drain(raw);
	int r6000 = udp_bound(AF_INET, "127.0.0.1", 6000);
	int s6001 = udp_bound(AF_INET, "127.0.0.1", 6001);
	show("udp sendto 6000", udp_send(s6001, "pkt-test-1", "127.0.0.1", 6000));
	udp_recv_show("udp 6000 recv", r6000);
	capture_udp("raw", raw, 0, 6000);
	close(raw);

	/* --- 3. cooked SOCK_DGRAM ETH_P_IP --- */
	int ck = pkt_sock(SOCK_DGRAM, ETH_P_IP);
	print_ll_name("cooked getsockname", ck);
	drain(ck);
	show("udp sendto 6000 (cooked)", udp_send(s6001, "pkt-test-2", "127.0.0.1", 6000));
	udp_recv_show("udp 6000 recv (cooked)", r6000);
	capture_udp("cooked", ck, 1, 6000);
	close(ck);
	close(r6000);
	close(s6001);

	/* --- 4. IPv6 UDP over ::1 --- */
	int r6 = pkt_sock(SOCK_RAW, ETH_P_ALL);
	drain(r6);
	int u6002 = udp_bound(AF_INET6, "::1", 6002), u6003 = udp_bound(AF_INET6, "::1", 6003);
	show("udp6 sendto 6002", udp_send(u6003, "pkt-test-6", "::1", 6002));
	udp_recv_show("udp6 6002 recv", u6002);
	capture_udp("raw6", r6, 0, 6002);
	close(r6);
	close(u6002);
	close(u6003);

	/* --- 5..8 --- */
	step_tcp();
	step_icmp();
	step_options();
	step_send();
	printf("done\n");
	return 0;
}
