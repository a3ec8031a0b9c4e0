/* proc_protocols.c - /proc/net/protocols: which protocol implementations
 * are registered, and their per-namespace "sockets" counters.
 *
 * Checks: the header's first columns; which of the expected protocol names
 * are listed (TCP, UDP, RAW, PING, UDP-Lite, UNIX, UNIX-STREAM, NETLINK,
 * PACKET and the v6 ones) and how many rows there are; then, for sockets
 * of each kind (three at a time), which rows' "sockets" column changes and
 * by how much: after socket() and, for TCP/UDP/UDP-Lite, after bind and
 * listen (TCP, UDP and ping count a socket once it is hashed: listen, bind;
 * raw, unix, netlink and packet sockets from creation), and back after
 * close; ping sockets with ping_group_range opened to group 0 (restored). Object
 * sizes and the memory column are the host kernel's and never printed.
 */
/* spec: OPS-07 OBS-05 */
#include "common.h"
#include <linux/if_ether.h>
#include <linux/netlink.h>
#include <netinet/ip_icmp.h>

#ifndef IPPROTO_UDPLITE
#define IPPROTO_UDPLITE 136
#endif

#define MAXP 64
struct row {
	char name[32];
	long sockets;
};

static int snap(struct row *r)
{
	FILE *f = fopen("/proc/net/protocols", "r");
	char line[512];
	int n = 0;
	if (!f)
		return -1;
	if (!fgets(line, sizeof line, f)) {
		fclose(f);
		return -1;
	}
	while (n < MAXP && fgets(line, sizeof line, f)) {
		long size;
		if (sscanf(line, "%31s %ld %ld", r[n].name, &size, &r[n].sockets) == 3)
			n++;
	}
	fclose(f);
	return n;
}

/* Prints the rows whose sockets column differs between a and b. */
static void delta(const char *label, const struct row *a, int na, const struct row *b, int nb)
{
	char out[512] = "";
	size_t o = 0;
	for (int i = 0; i < nb; i++)
		for (int j = 0; j < na; j++)
			if (!strcmp(a[j].name, b[i].name) && a[j].sockets != b[i].sockets)
				o += snprintf(out + o, sizeof out - o, " %s%+ld", b[i].name,
					      b[i].sockets - a[j].sockets);
	printf("%s:%s\n", label, o ? out : " none");
}

static void kind(const char *label, int domain, int type, int proto, int how)
{
	struct row before[MAXP], after[MAXP];
	int nb = snap(before), fds[3], na;
	char l[128];
	for (int i = 0; i < 3; i++) {
		fds[i] = socket(domain, type, proto);
		if (fds[i] < 0) {
			printf("%s socket: -1 %s\n", label, errname(errno));
			for (int j = 0; j < i; j++)
				close(fds[j]);
			return;
		}
	}
	na = snap(after);
	snprintf(l, sizeof l, "%s after socket", label);
	delta(l, before, nb, after, na);
	if (how) {
		for (int i = 0; i < 3; i++)
			if (bind_port0(fds[i], domain, domain == AF_INET ? "127.0.0.1" : "::1") < 0)
				printf("%s bind: -1 %s\n", label, errname(errno));
		na = snap(after);
		snprintf(l, sizeof l, "%s after bind", label);
		delta(l, before, nb, after, na);
		if (how == 2) {
			for (int i = 0; i < 3; i++)
				listen(fds[i], 1);
			na = snap(after);
			snprintf(l, sizeof l, "%s after listen", label);
			delta(l, before, nb, after, na);
		}
	}
	for (int i = 0; i < 3; i++)
		close(fds[i]);
	na = snap(after);
	snprintf(l, sizeof l, "%s after close", label);
	delta(l, before, nb, after, na);
}

static void write_file(const char *path, const char *v)
{
	FILE *f = fopen(path, "w");
	if (f) {
		fputs(v, f);
		fclose(f);
	}
}

int main(void)
{
	common_init();
	FILE *f = fopen("/proc/net/protocols", "r");
	char line[512];
	if (!f) {
		printf("open /proc/net/protocols: -1 %s\n", errname(errno));
		return 0;
	}
	if (fgets(line, sizeof line, f)) {
		char c[4][32];
		if (sscanf(line, "%31s %31s %31s %31s", c[0], c[1], c[2], c[3]) == 4)
			printf("header: %s %s %s %s\n", c[0], c[1], c[2], c[3]);
	}
	fclose(f);
	struct row r[MAXP];
	int n = snap(r);
	printf("rows > 10: %d\n", n > 10);
	static const char *const want[] = { "TCP", "UDP", "RAW", "PING", "UDP-Lite", "UNIX",
					     "UNIX-STREAM", "NETLINK", "PACKET", "TCPv6", "UDPv6",
					     "RAWv6", "PINGv6", "UDPLITEv6" };
	for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) {
		int found = 0;
		for (int j = 0; j < n; j++)
			found |= !strcmp(r[j].name, want[i]);
		printf("listed %s: %d\n", want[i], found);
	}
	/* The program's own stdio are no sockets; the unix rows may count
	 * the runner's, so only the others are shown. */
	printf("non-unix rows with sockets at start:");
	int any = 0;
	for (int j = 0; j < n; j++)
		if (strcmp(r[j].name, "UNIX") && strcmp(r[j].name, "UNIX-STREAM") && r[j].sockets) {
			printf(" %s=%ld", r[j].name, r[j].sockets);
			any = 1;
		}
	printf("%s\n", any ? "" : " none");

	char saved[64] = "";
	FILE *g = fopen("/proc/sys/net/ipv4/ping_group_range", "r");
	if (g) {
		if (!fgets(saved, sizeof saved, g))
			saved[0] = 0;
		fclose(g);
	}
	write_file("/proc/sys/net/ipv4/ping_group_range", "0 0");

	kind("tcp4", AF_INET, SOCK_STREAM, 0, 2);
	kind("udp4", AF_INET, SOCK_DGRAM, 0, 1);
	kind("udplite4", AF_INET, SOCK_DGRAM, IPPROTO_UDPLITE, 1);
	kind("raw4 icmp", AF_INET, SOCK_RAW, IPPROTO_ICMP, 0);
	kind("ping4", AF_INET, SOCK_DGRAM, IPPROTO_ICMP, 1);
	kind("tcp6", AF_INET6, SOCK_STREAM, 0, 2);
	kind("udp6", AF_INET6, SOCK_DGRAM, 0, 1);
	kind("udplite6", AF_INET6, SOCK_DGRAM, IPPROTO_UDPLITE, 1);
	kind("raw6 icmp", AF_INET6, SOCK_RAW, IPPROTO_ICMPV6, 0);
	kind("ping6", AF_INET6, SOCK_DGRAM, IPPROTO_ICMPV6, 1);
	kind("unix stream", AF_UNIX, SOCK_STREAM, 0, 0);
	kind("unix dgram", AF_UNIX, SOCK_DGRAM, 0, 0);
	kind("netlink route", AF_NETLINK, SOCK_RAW, NETLINK_ROUTE, 0);
	kind("packet", AF_PACKET, SOCK_RAW, htons(ETH_P_ALL), 0);

	if (saved[0])
		write_file("/proc/sys/net/ipv4/ping_group_range", saved);
	printf("done\n");
	return 0;
}
