/* udp_icmp_peer.c - an ICMP fragmentation-needed for a UDP socket that is
 * connected to another socket of the same network (here on lo), as root.
 *
 * Checks, for a connected socket in DONT, WANT and DO mode (each to its
 * own 127.0.0.x, as the learned MTU is kept per destination): a 1400-byte
 * send() arrives; after a fragmentation-needed (MTU 1200) injected with a
 * raw socket: poll (POLLERR except under DONT), SO_ERROR (EMSGSIZE except
 * under DONT), IP_MTU (1200 in every mode), and native send() of 1400,
 * 1172 and 1173 bytes (refused above 1172 only under DO).
 * (What remains of a helper's broader udp_send_paths.c; its other parts
 * pass as udp_cork.c, udp_pmtu.c, udp_dontroute.c, udp_icmp_errors.c and
 * raw_headers.c.)
 */
#include "common.h"

static char big[2000];
static int rx4, port4, raw4 = -1;

static void poll_now(const char *label, int fd)
{
	struct pollfd p = {fd, POLLIN | POLLOUT, 0};
	int r = poll(&p, 1, 0);
	printf("%s: %d%s%s%s\n", label, r, p.revents & POLLIN ? " POLLIN" : "",
	       p.revents & POLLOUT ? " POLLOUT" : "", p.revents & POLLERR ? " POLLERR" : "");
}

static void icmp_pmtu(const char *pfx, int mode, const char *dst)
{
	char l[160];
	struct sockaddr_in d4 = sin4(dst, port4);
	int s = socket(AF_INET, SOCK_DGRAM, 0);
	set_int(s, SOL_IP, IP_MTU_DISCOVER, mode);
	snprintf(l, sizeof l, "%s connect", pfx);
	show(l, connect(s, (struct sockaddr *)&d4, sizeof d4));
	snprintf(l, sizeof l, "%s send 1400", pfx);
	show(l, send(s, big, 1400, 0));
	snprintf(l, sizeof l, "%s rx 1400", pfx);
	show_datagrams(l, rx4);
	snprintf(l, sizeof l, "%s inject frag needed 1200", pfx);
	show(l, inject_icmp4(raw4, "127.0.0.1", local_port(s), dst, port4, 3, 4, 1200));
	usleep(200000);
	snprintf(l, sizeof l, "%s poll after icmp", pfx);
	poll_now(l, s);
	snprintf(l, sizeof l, "%s SO_ERROR after icmp", pfx);
	get_int(l, s, SOL_SOCKET, SO_ERROR);
	snprintf(l, sizeof l, "%s IP_MTU after icmp", pfx);
	get_int(l, s, SOL_IP, IP_MTU);
	static const int sizes[] = {1400, 1172, 1173};
	for (int i = 0; i < 3; i++) {
		snprintf(l, sizeof l, "%s send %d after icmp", pfx, sizes[i]);
		show(l, send(s, big, sizes[i], 0));
	}
	snprintf(l, sizeof l, "%s rx after icmp", pfx);
	show_datagrams(l, rx4);
	close(s);
}

int main(void)
{
	common_init();
	memset(big, 'z', sizeof big);
	if (geteuid() != 0) {
		printf("not root: raw sockets unavailable, nothing to show\n");
		return 0;
	}
	rx4 = socket(AF_INET, SOCK_DGRAM, 0);
	bind_port0(rx4, AF_INET, "0.0.0.0");
	port4 = local_port(rx4);
	raw4 = socket(AF_INET, SOCK_RAW, IPPROTO_ICMP);
	set_int(raw4, SOL_IP, IP_HDRINCL, 1);
	icmp_pmtu("icmp DONT", IP_PMTUDISC_DONT, "127.0.0.3");
	icmp_pmtu("icmp WANT", IP_PMTUDISC_WANT, "127.0.0.4");
	icmp_pmtu("icmp DO", IP_PMTUDISC_DO, "127.0.0.5");
	puts("done");
	return 0;
}
