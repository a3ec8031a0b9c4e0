/* sysctl_ports.c - the port sysctls of a fresh network namespace and
 * what they decide.
 *
 * Checks: net.ipv4.ip_local_port_range and ip_unprivileged_port_start
 * read as a fresh namespace has them; every port the kernel chooses —
 * bind to port 0 (UDP, TCP, IPv4 and IPv6), connect of an unbound UDP
 * socket, listen and connect of an unbound TCP socket — lies in
 * ip_local_port_range (200 of each); a port below
 * ip_unprivileged_port_start binds as root (CAP_NET_BIND_SERVICE).
 */
/* spec: SYSCTL-03 SYSCTL-06 BIND-03 */
#include "common.h"

static int lo_port = 0, hi_port = 0;

static void sysctl(const char *name, const char *path)
{
	char buf[64] = "";
	FILE *f = fopen(path, "r");
	if (!f) {
		printf("%s: -1 %s\n", name, errname(errno));
		return;
	}
	if (fgets(buf, sizeof buf, f))
		buf[strcspn(buf, "\n")] = 0;
	fclose(f);
	printf("%s: %s\n", name, buf);
	sscanf(buf, "%d %d", &lo_port, &hi_port);
}

static void check(const char *label, int family, int type, int how)
{
	int out = 0, n = 200;
	for (int i = 0; i < n; i++) {
		int s = socket(family, type, 0);
		if (how == 0) {
			bind_port0(s, family, family == AF_INET ? "127.0.0.1" : "::1");
		} else if (how == 1 && type == SOCK_DGRAM) {
			struct sockaddr_in a = sin4("127.0.0.1", 9);
			connect(s, (struct sockaddr *)&a, sizeof a);
		} else if (how == 1) {
			listen(s, 1);
		}
		int p = local_port(s);
		if (p < lo_port || p > hi_port)
			out++;
		close(s);
	}
	printf("%s: %d of %d outside the range\n", label, out, n);
}

int main(void)
{
	common_init();
	sysctl("ip_unprivileged_port_start", "/proc/sys/net/ipv4/ip_unprivileged_port_start");
	sysctl("ip_local_port_range", "/proc/sys/net/ipv4/ip_local_port_range");
	check("udp bind 0", AF_INET, SOCK_DGRAM, 0);
	check("udp6 bind 0", AF_INET6, SOCK_DGRAM, 0);
	check("tcp bind 0", AF_INET, SOCK_STREAM, 0);
	check("tcp6 bind 0", AF_INET6, SOCK_STREAM, 0);
	check("udp connect", AF_INET, SOCK_DGRAM, 1);
	check("tcp listen", AF_INET, SOCK_STREAM, 1);

	int l = socket(AF_INET, SOCK_STREAM, 0), lport;
	struct sockaddr_in a = sin4("127.0.0.1", 0);
	bind(l, (struct sockaddr *)&a, sizeof a);
	listen(l, 64);
	lport = local_port(l);
	int out = 0;
	for (int i = 0; i < 50; i++) {
		int c = socket(AF_INET, SOCK_STREAM, 0);
		struct sockaddr_in d = sin4("127.0.0.1", lport);
		connect(c, (struct sockaddr *)&d, sizeof d);
		int p = local_port(c);
		if (p < lo_port || p > hi_port)
			out++;
		int s = accept(l, NULL, NULL);
		close(s);
		close(c);
	}
	printf("tcp connect: %d of 50 outside the range\n", out);
	close(l);

	if (geteuid() == 0) {
		int s = socket(AF_INET, SOCK_STREAM, 0);
		struct sockaddr_in p = sin4("127.0.0.1", 1000);
		show("root bind port 1000", bind(s, (struct sockaddr *)&p, sizeof p));
		close(s);
	}
	return 0;
}
