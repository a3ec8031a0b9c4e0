/* packet_send.c - sending whole frames through AF_PACKET SOCK_RAW, and the
 * membership requests a packet socket refuses or accepts silently.
 *
 * Checks: an unbound SOCK_RAW packet socket: send and write without an
 * address (ENXIO), sendto with a sockaddr_ll naming lo (a 60-byte frame
 * carrying IPv4/UDP to port 6060 is sent as given: 60; a capture socket
 * bound to lo sees it, outgoing then incoming, 60 bytes each), sendto with
 * ifindex 0 or an unknown ifindex (ENXIO both), a short address (EINVAL),
 * a frame shorter than the link header (EINVAL), one of just the header
 * (14); once bound to lo, send without an address works (60). PACKET_ADD_MEMBERSHIP on ifindex
 * 0 (ENODEV) and on an unknown ifindex (ENODEV), PACKET_DROP_MEMBERSHIP of
 * a membership never added (0), an unknown mr_type (0), and the known
 * types on lo (PROMISC, ALLMULTI, MULTICAST with an address) added and
 * dropped.
 */
/* spec: PKT-09 PO-18 PO-19 */
#include "common.h"
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <net/if.h>
#include <poll.h>
#include <stdint.h>

static int lo_idx;

static const char *pkttype_name(int t)
{
	switch (t) {
	case PACKET_HOST: return "HOST";
	case PACKET_OUTGOING: return "OUTGOING";
	case PACKET_OTHERHOST: return "OTHERHOST";
	}
	return "?";
}

static struct sockaddr_ll ll(int ifindex, int proto)
{
	struct sockaddr_ll a;
	memset(&a, 0, sizeof a);
	a.sll_family = AF_PACKET;
	a.sll_protocol = htons(proto);
	a.sll_ifindex = ifindex;
	return a;
}

/* The frames at fd with an IPv4/UDP datagram to dport, within 500 ms of
 * silence: pkttype and length of each. */
static void capture(const char *label, int fd, int dport)
{
	char out[256] = "";
	size_t o = 0;
	uint8_t b[2048];
	for (int i = 0; i < 16; i++) {
		struct pollfd p = { fd, POLLIN, 0 };
		if (poll(&p, 1, 500) <= 0)
			break;
		struct sockaddr_ll from;
		socklen_t fl = sizeof from;
		ssize_t n = recvfrom(fd, b, sizeof b, MSG_DONTWAIT, (struct sockaddr *)&from, &fl);
		if (n < 14 + 28 || ((b[12] << 8) | b[13]) != ETH_P_IP || b[14 + 9] != IPPROTO_UDP)
			continue;
		const uint8_t *u = b + 14 + (b[14] & 15) * 4;
		if (((u[2] << 8) | u[3]) != dport)
			continue;
		o += snprintf(out + o, sizeof out - o, " %s/%zd", pkttype_name(from.sll_pkttype), n);
	}
	printf("%s:%s\n", label, o ? out : " none");
}

static void membership(const char *label, int fd, int op, int ifindex, int type, int alen)
{
	struct packet_mreq mr;
	memset(&mr, 0, sizeof mr);
	mr.mr_ifindex = ifindex;
	mr.mr_type = type;
	mr.mr_alen = alen;
	if (alen)
		memcpy(mr.mr_address, "\x01\x00\x5e\x00\x00\x42", 6);
	show(label, setsockopt(fd, SOL_PACKET, op, &mr, sizeof mr));
}

int main(void)
{
	common_init();
	if (geteuid() != 0) {
		printf("not root\n");
		return 0;
	}
	lo_idx = if_nametoindex("lo");
	printf("lo index > 0: %d\n", lo_idx > 0);

	int cap = socket(AF_PACKET, SOCK_RAW, htons(ETH_P_ALL));
	struct sockaddr_ll a = ll(lo_idx, ETH_P_ALL);
	show("bind capture lo", bind(cap, (struct sockaddr *)&a, sizeof a));

	uint8_t f[60];
	udp_frame(f, 6061, 6060);
	int s = socket(AF_PACKET, SOCK_RAW, 0);
	showfd("socket SOCK_RAW proto 0", s);
	show("unbound send", send(s, f, sizeof f, 0));
	show("unbound write", write(s, f, sizeof f));
	show("unbound sendto NULL", sendto(s, f, sizeof f, 0, NULL, 0));
	struct sockaddr_ll to = ll(lo_idx, ETH_P_IP);
	show("sendto lo 60", sendto(s, f, sizeof f, 0, (struct sockaddr *)&to, sizeof to));
	capture("capture after sendto lo", cap, 6060);
	struct sockaddr_ll z = ll(0, ETH_P_IP);
	show("sendto ifindex 0", sendto(s, f, sizeof f, 0, (struct sockaddr *)&z, sizeof z));
	struct sockaddr_ll unk = ll(9999, ETH_P_IP);
	show("sendto ifindex 9999", sendto(s, f, sizeof f, 0, (struct sockaddr *)&unk, sizeof unk));
	show("sendto short address", sendto(s, f, sizeof f, 0, (struct sockaddr *)&to, 8));
	show("sendto 10-byte frame", sendto(s, f, 10, 0, (struct sockaddr *)&to, sizeof to));
	show("sendto 14-byte frame", sendto(s, f, 14, 0, (struct sockaddr *)&to, sizeof to));
	capture("capture after the others", cap, 6060);
	struct sockaddr_ll b = ll(lo_idx, ETH_P_IP);
	show("bind lo", bind(s, (struct sockaddr *)&b, sizeof b));
	udp_frame(f, 6061, 6062);
	show("bound send", send(s, f, sizeof f, 0));
	capture("capture after bound send", cap, 6062);

	/* PO-18, PO-19 */
	membership("ADD PROMISC ifindex 0", cap, PACKET_ADD_MEMBERSHIP, 0, PACKET_MR_PROMISC, 0);
	membership("ADD ALLMULTI ifindex 0", cap, PACKET_ADD_MEMBERSHIP, 0, PACKET_MR_ALLMULTI, 0);
	membership("ADD PROMISC ifindex 9999", cap, PACKET_ADD_MEMBERSHIP, 9999, PACKET_MR_PROMISC, 0);
	membership("DROP PROMISC not held", cap, PACKET_DROP_MEMBERSHIP, lo_idx, PACKET_MR_PROMISC, 0);
	membership("DROP PROMISC ifindex 0", cap, PACKET_DROP_MEMBERSHIP, 0, PACKET_MR_PROMISC, 0);
	membership("ADD type 77 lo", cap, PACKET_ADD_MEMBERSHIP, lo_idx, 77, 0);
	membership("DROP type 77 lo", cap, PACKET_DROP_MEMBERSHIP, lo_idx, 77, 0);
	membership("ADD ALLMULTI lo", cap, PACKET_ADD_MEMBERSHIP, lo_idx, PACKET_MR_ALLMULTI, 0);
	membership("DROP ALLMULTI lo", cap, PACKET_DROP_MEMBERSHIP, lo_idx, PACKET_MR_ALLMULTI, 0);
	membership("ADD MULTICAST lo", cap, PACKET_ADD_MEMBERSHIP, lo_idx, PACKET_MR_MULTICAST, 6);
	membership("DROP MULTICAST lo", cap, PACKET_DROP_MEMBERSHIP, lo_idx, PACKET_MR_MULTICAST, 6);
	membership("ADD MULTICAST alen 9", cap, PACKET_ADD_MEMBERSHIP, lo_idx, PACKET_MR_MULTICAST, 9);
	membership("ADD PROMISC lo", cap, PACKET_ADD_MEMBERSHIP, lo_idx, PACKET_MR_PROMISC, 0);
	membership("DROP PROMISC lo", cap, PACKET_DROP_MEMBERSHIP, lo_idx, PACKET_MR_PROMISC, 0);
	membership("DROP PROMISC lo again", cap, PACKET_DROP_MEMBERSHIP, lo_idx, PACKET_MR_PROMISC, 0);
	struct packet_mreq mr;
	memset(&mr, 0, sizeof mr);
	mr.mr_ifindex = lo_idx;
	show("ADD optlen 4", setsockopt(cap, SOL_PACKET, PACKET_ADD_MEMBERSHIP, &mr, 4));
	close(s);
	close(cap);
	printf("done\n");
	return 0;
}
