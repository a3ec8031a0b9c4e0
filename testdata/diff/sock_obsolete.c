/* sock_obsolete.c - the obsolete SOCK_PACKET interface (type 10).
 *
 * Checks: socket(AF_INET, SOCK_PACKET, proto) and socket(AF_PACKET,
 * SOCK_PACKET, proto) make an AF_PACKET socket of type 10 (SO_DOMAIN,
 * SO_TYPE, SO_PROTOCOL); AF_INET6 and AF_UNIX refuse the type; getsockname
 * before and after a bind with struct sockaddr_pkt to "lo" (bind wants
 * exactly sizeof(struct sockaddr), 16, not sizeof(struct sockaddr_pkt));
 * bind with a wrong length or an unknown device; a UDP datagram over 127.0.0.1 seen by the bound socket (the frame
 * length, recvfrom's sockaddr_pkt: device and protocol); sendto with a
 * sockaddr_pkt naming lo (a 60-byte frame, seen by the capture) and
 * without an address; and a child without CAP_NET_RAW (uid 65534) refused
 * with EPERM.
 */
/* spec: SOCK-08 PKT-10 */
#include "common.h"
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <poll.h>
#include <stdint.h>
#include <grp.h>
#include <sys/wait.h>

static void name(const char *label, int fd)
{
	struct sockaddr_pkt a;
	socklen_t l = sizeof a;
	memset(&a, 0x55, sizeof a);
	if (getsockname(fd, (struct sockaddr *)&a, &l) < 0) {
		printf("%s: -1 %s\n", label, errname(errno));
		return;
	}
	printf("%s: family=%d device=\"%.*s\" len=%u\n", label, a.spkt_family,
	       (int)sizeof a.spkt_device, (char *)a.spkt_device, l);
}

static struct sockaddr_pkt spkt(const char *dev, int proto)
{
	struct sockaddr_pkt a;
	memset(&a, 0, sizeof a);
	a.spkt_family = AF_PACKET;
	strncpy((char *)a.spkt_device, dev, sizeof a.spkt_device);
	a.spkt_protocol = htons(proto);
	return a;
}

/* Frames on fd within 500 ms of silence (at most 16) that carry an IPv4
 * UDP datagram to port dport: how many, and the first one's length and
 * source address. */
static void capture(const char *label, int fd, int dport)
{
	uint8_t b[2048];
	int count = 0;
	for (int i = 0; i < 16; i++) {
		struct pollfd p = { fd, POLLIN, 0 };
		if (poll(&p, 1, 500) <= 0)
			break;
		struct sockaddr_pkt from;
		socklen_t fl = sizeof from;
		memset(&from, 0, sizeof from);
		ssize_t n = recvfrom(fd, b, sizeof b, MSG_DONTWAIT, (struct sockaddr *)&from, &fl);
		if (n < 14 + 20 + 8)
			continue;
		if (((b[12] << 8) | b[13]) != ETH_P_IP || b[14 + 9] != IPPROTO_UDP)
			continue;
		int ihl = (b[14] & 15) * 4;
		const uint8_t *u = b + 14 + ihl;
		if (((u[2] << 8) | u[3]) != dport)
			continue;
		if (count++ == 0)
			printf("%s first: len=%zd from family=%d device=\"%.*s\" protocol=0x%04x fromlen=%u\n",
			       label, n, from.spkt_family, (int)sizeof from.spkt_device,
			       (char *)from.spkt_device, ntohs(from.spkt_protocol), fl);
	}
	if (!count)
		printf("%s first: none\n", label);
	printf("%s: %d frames\n", label, count);
}

static void child_unpriv(void)
{
	fflush(stdout);
	pid_t pid = fork();
	if (pid == 0) {
		if (setgroups(0, NULL) < 0 || setresgid(65534, 65534, 65534) < 0 ||
		    setresuid(65534, 65534, 65534) < 0) {
			printf("child setresuid: -1 %s\n", errname(errno));
			_exit(0);
		}
		int fd = socket(AF_INET, SOCK_PACKET, htons(ETH_P_ALL));
		showfd("child uid 65534 socket AF_INET SOCK_PACKET", fd);
		fd = socket(AF_PACKET, SOCK_PACKET, htons(ETH_P_ALL));
		showfd("child uid 65534 socket AF_PACKET SOCK_PACKET", fd);
		_exit(0);
	}
	int st;
	waitpid(pid, &st, 0);
}

int main(void)
{
	common_init();
	if (geteuid() != 0) {
		printf("not root\n");
		return 0;
	}
	show_socket("inet packet all", AF_INET, SOCK_PACKET, htons(ETH_P_ALL));
	show_socket("inet packet ip", AF_INET, SOCK_PACKET, htons(ETH_P_IP));
	show_socket("inet packet 0", AF_INET, SOCK_PACKET, 0);
	show_socket("packet packet all", AF_PACKET, SOCK_PACKET, htons(ETH_P_ALL));
	show_socket("inet6 packet all", AF_INET6, SOCK_PACKET, htons(ETH_P_ALL));
	show_socket("unix packet", AF_UNIX, SOCK_PACKET, 0);

	/* The rest uses AF_PACKET's spelling of the same socket. */
	int fd = socket(AF_PACKET, SOCK_PACKET, htons(ETH_P_ALL));
	showfd("socket AF_PACKET SOCK_PACKET ETH_P_ALL", fd);
	name("getsockname unbound", fd);
	struct sockaddr_pkt a = spkt("lo", ETH_P_ALL);
	show("bind sockaddr_pkt len 8", bind(fd, (struct sockaddr *)&a, 8));
	struct sockaddr_pkt bad = spkt("nosuchdev0", ETH_P_ALL);
	show("bind sockaddr_pkt len 18", bind(fd, (struct sockaddr *)&a, sizeof a));
	show("bind unknown device", bind(fd, (struct sockaddr *)&bad, sizeof(struct sockaddr)));
	struct sockaddr_ll ll;
	memset(&ll, 0, sizeof ll);
	ll.sll_family = AF_PACKET;
	ll.sll_protocol = htons(ETH_P_ALL);
	ll.sll_ifindex = 1;
	show("bind sockaddr_ll", bind(fd, (struct sockaddr *)&ll, sizeof ll));
	show("bind sockaddr_pkt lo", bind(fd, (struct sockaddr *)&a, sizeof(struct sockaddr)));
	name("getsockname bound", fd);

	/* A UDP datagram over loopback, seen by the bound socket. */
	int rcv = socket(AF_INET, SOCK_DGRAM, 0);
	struct sockaddr_in ra = sin4("127.0.0.1", 6040);
	show("bind udp 6040", bind(rcv, (struct sockaddr *)&ra, sizeof ra));
	int snd = socket(AF_INET, SOCK_DGRAM, 0);
	show("udp sendto 6040", sendto(snd, "obsolete", 8, 0, (struct sockaddr *)&ra, sizeof ra));
	capture("capture udp 6040", fd, 6040);
	char b[64];
	show("udp recv", recv(rcv, b, sizeof b, MSG_DONTWAIT));

	/* Sending a frame: a 60-byte Ethernet frame carrying IPv4/UDP to 6041. */
	int cap = socket(AF_PACKET, SOCK_PACKET, htons(ETH_P_ALL));
	show("bind capture lo", bind(cap, (struct sockaddr *)&a, sizeof(struct sockaddr)));
	uint8_t f[60];
	udp_frame(f, 6042, 6041);
	show("sendto sockaddr_pkt lo 60 bytes", sendto(fd, f, sizeof f, 0, (struct sockaddr *)&a, sizeof a));
	show("send without address", send(fd, f, sizeof f, 0));
	struct sockaddr_pkt none = spkt("nosuchdev0", ETH_P_IP);
	show("sendto unknown device", sendto(fd, f, sizeof f, 0, (struct sockaddr *)&none, sizeof none));
	capture("capture sent frame 6041", cap, 6041);
	close(cap);
	close(fd);
	close(rcv);
	close(snd);

	child_unpriv();
	printf("done\n");
	return 0;
}
