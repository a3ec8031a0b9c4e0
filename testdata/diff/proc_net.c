/* proc_net.c - the sandbox's sockets and counters in /proc/net.
 *
 * Checks: /proc/net/tcp, tcp6, udp, udp6 (and as root raw, raw6, icmp,
 * icmp6: raw sockets, ping sockets with an identifier) list this program's sockets
 * under the inodes its fds have (fstat), with their addresses, states and
 * receive queues, headers and line widths as Linux prints them, and no
 * other socket; a bound-only TCP socket is not listed; the same rows
 * through /proc/self/net, /proc/thread-self/net, /proc/PID/net, a path
 * relative to /proc and openat on a /proc/self directory fd; the file is
 * read-only (write gives EBADF) and rereads after lseek. /proc/net/snmp:
 * its layout, and the counters a scripted exchange moves (Udp
 * OutDatagrams, InDatagrams, NoPorts; Icmp port unreachables; Tcp opens
 * and CurrEstab); /proc/net/sockstat and sockstat6 in-use counts.
 */
/* spec: OBS-01 OBS-02 OBS-03 BUF-04 BUF-05 URECV-15 */
#include "common.h"
#include <sys/stat.h>
#include <poll.h>

#define MAXSOCK 24

/* The program's sockets, by inode, with a name for the output. */
static struct {
	const char *name;
	unsigned long ino;
	int port;
} socks[MAXSOCK];
static int nsocks;

static void track(const char *name, int fd)
{
	struct stat st;
	fstat(fd, &st);
	socks[nsocks].name = name;
	socks[nsocks].ino = st.st_ino;
	socks[nsocks].port = local_port(fd);
	nsocks++;
}

/* portname names a port: one of the program's sockets' ports, 0, or
 * "other" (kernel-chosen ports are never printed). */
static const char *portname(int port, char *buf, size_t n)
{
	if (port == 0)
		return "0";
	for (int i = 0; i < nsocks; i++)
		if (socks[i].port == port) {
			snprintf(buf, n, "port(%s)", socks[i].name);
			return buf;
		}
	return "other";
}

/* addrport prints a "HEX:PORT" column with the port named. */
static void addrport(const char *col, char *out, size_t n)
{
	char hex[64], pb[64];
	unsigned port;
	const char *c = strrchr(col, ':');
	if (!c) {
		snprintf(out, n, "?%s", col);
		return;
	}
	snprintf(hex, sizeof hex, "%.*s", (int)(c - col), col);
	sscanf(c + 1, "%x", &port);
	snprintf(out, n, "%s:%s", hex, portname(port, pb, sizeof pb));
}

/* dump prints the header of /proc/net file path (and its width), then the
 * rows of the program's sockets: addresses, state, rx_queue non-zero,
 * uid, the line's width; and how many rows are of no socket of the
 * program. */
static void dump(const char *label, const char *path)
{
	FILE *f = fopen(path, "r");
	if (!f) {
		printf("%s: open -1 %s\n", label, errname(errno));
		return;
	}
	char line[512];
	char out[MAXSOCK][400];
	int others = 0;
	memset(out, 0, sizeof out);
	if (fgets(line, sizeof line, f))
		printf("%s header: %zu [%.*s]\n", label, strlen(line), (int)strcspn(line, "\n"), line);
	while (fgets(line, sizeof line, f)) {
		char local[80], remote[80], queues[40];
		unsigned st, uid;
		unsigned long ino;
		if (sscanf(line, "%*s %79s %79s %x %39s %*s %*s %u %*s %lu", local, remote, &st, queues, &uid, &ino) != 6) {
			printf("%s: unparsed [%s]\n", label, line);
			continue;
		}
		int i;
		for (i = 0; i < nsocks; i++)
			if (socks[i].ino == ino)
				break;
		if (i == nsocks) {
			others++;
			continue;
		}
		char l[128], r[128];
		addrport(local, l, sizeof l);
		addrport(remote, r, sizeof r);
		unsigned tx, rx;
		sscanf(queues, "%x:%x", &tx, &rx);
		snprintf(out[i], sizeof out[i], "%s %s: %s %s st=%02X tx=%u rx>0=%d uid_is_mine=%d width=%zu", label,
			 socks[i].name, l, r, st, tx, rx > 0, uid == getuid(), strlen(line));
	}
	/* In the order the program made its sockets: the kernel's order
	 * follows hash slots. */
	for (int i = 0; i < nsocks; i++)
		if (out[i][0])
			printf("%s\n", out[i]);
	printf("%s other rows: %d\n", label, others);
	fclose(f);
}

/* sockstat prints the in-use count of PROTO in /proc/net/FILE. */
static void sockstat(const char *file, const char *proto)
{
	char path[64], line[256];
	snprintf(path, sizeof path, "/proc/net/%s", file);
	FILE *f = fopen(path, "r");
	if (!f) {
		printf("%s: open -1 %s\n", file, errname(errno));
		return;
	}
	size_t pl = strlen(proto);
	while (fgets(line, sizeof line, f)) {
		int n;
		if (strncmp(line, proto, pl) == 0 && line[pl] == ':' && sscanf(line + pl + 1, " inuse %d", &n) == 1)
			printf("%s %s inuse: %d\n", file, proto, n);
	}
	fclose(f);
}

/* rows prints how many rows of file list the program's socket name. */
static void rows(const char *label, int fd)
{
	char line[512];
	int n = 0, lines = 0;
	FILE *f = fdopen(fd, "r");
	if (!f) {
		printf("%s: -1 %s\n", label, errname(errno));
		return;
	}
	while (fgets(line, sizeof line, f)) {
		unsigned long ino;
		lines++;
		if (sscanf(line, "%*s %*s %*s %*s %*s %*s %*s %*s %*s %lu", &ino) == 1)
			for (int i = 0; i < nsocks; i++)
				if (socks[i].ino == ino)
					n++;
	}
	printf("%s: %d of mine\n", label, n);
	fclose(f);
}

int main(void)
{
	common_init();
	char buf[64];

	/* TCP: a listener, a connection (data queued at the server), and a
	 * socket that is only bound. */
	int lport;
	int l = tcp_listener(&lport);
	track("listener", l);
	int cli, srv;
	long opens0 = snmp_counter("Tcp", "ActiveOpens", 0), popens0 = snmp_counter("Tcp", "PassiveOpens", 0);
	connect_pair(l, lport, &cli, &srv);
	track("client", cli);
	track("server", srv);
	printf("Tcp ActiveOpens delta: %ld\n", snmp_counter("Tcp", "ActiveOpens", 0) - opens0);
	printf("Tcp PassiveOpens delta: %ld\n", snmp_counter("Tcp", "PassiveOpens", 0) - popens0);
	printf("Tcp CurrEstab: %ld\n", snmp_counter("Tcp", "CurrEstab", 0));
	send(cli, "hello", 5, 0);
	int bound = socket(AF_INET, SOCK_STREAM, 0);
	bind_port0(bound, AF_INET, "127.0.0.1");
	track("bound-only", bound);
	int l6 = socket(AF_INET6, SOCK_STREAM, 0);
	bind_port0(l6, AF_INET6, "::1");
	listen(l6, 4);
	track("listener6", l6);

	/* UDP: a receiver with two datagrams queued, a connected sender, an
	 * IPv6 socket. */
	int ur = socket(AF_INET, SOCK_DGRAM, 0);
	bind_port0(ur, AF_INET, "127.0.0.1");
	track("udp-receiver", ur);
	int us = socket(AF_INET, SOCK_DGRAM, 0);
	struct sockaddr_in to = sin4("127.0.0.1", local_port(ur));
	connect(us, (struct sockaddr *)&to, sizeof to);
	track("udp-sender", us);
	int u6 = socket(AF_INET6, SOCK_DGRAM, 0);
	bind_port0(u6, AF_INET6, "::");
	track("udp6", u6);
	long out0 = snmp_counter("Udp", "OutDatagrams", 0), in0 = snmp_counter("Udp", "InDatagrams", 0);
	send(us, "a", 1, 0);
	send(us, "bb", 2, 0);
	struct pollfd p = {.fd = ur, .events = POLLIN};
	poll(&p, 1, 2000);
	usleep(100000);
	printf("Udp OutDatagrams delta: %ld\n", snmp_counter("Udp", "OutDatagrams", 0) - out0);

	/* As root: raw sockets (their protocol is their port) and ping
	 * sockets once they have an identifier (ping_group_range opened). */
	if (geteuid() == 0) {
		FILE *g = fopen("/proc/sys/net/ipv4/ping_group_range", "w");
		if (g) {
			fputs("0 2147483647", g);
			fclose(g);
		}
		track("raw-icmp", socket(AF_INET, SOCK_RAW, IPPROTO_ICMP));
		track("raw6-icmp6", socket(AF_INET6, SOCK_RAW, IPPROTO_ICMPV6));
		int p4 = socket(AF_INET, SOCK_DGRAM, IPPROTO_ICMP);
		struct sockaddr_in pa = sin4("127.0.0.1", 0);
		bind(p4, (struct sockaddr *)&pa, sizeof pa);
		track("ping", p4);
		int p6 = socket(AF_INET6, SOCK_DGRAM, IPPROTO_ICMPV6);
		struct sockaddr_in6 pa6 = sin6("::1", 0);
		connect(p6, (struct sockaddr *)&pa6, sizeof pa6);
		track("ping6", p6);
		track("ping-unbound", socket(AF_INET, SOCK_DGRAM, IPPROTO_ICMP));
	}

	dump("tcp", "/proc/net/tcp");
	dump("tcp6", "/proc/net/tcp6");
	dump("udp", "/proc/net/udp");
	dump("udp6", "/proc/net/udp6");
	dump("raw", "/proc/net/raw");
	dump("raw6", "/proc/net/raw6");
	dump("icmp", "/proc/net/icmp");
	dump("icmp6", "/proc/net/icmp6");

	/* Read both datagrams: InDatagrams counts them. */
	recv(ur, buf, sizeof buf, 0);
	recv(ur, buf, sizeof buf, 0);
	printf("Udp InDatagrams delta: %ld\n", snmp_counter("Udp", "InDatagrams", 0) - in0);

	/* The same with sendto on an unconnected socket. */
	int un = socket(AF_INET, SOCK_DGRAM, 0);
	out0 = snmp_counter("Udp", "OutDatagrams", 0), in0 = snmp_counter("Udp", "InDatagrams", 0);
	for (int i = 0; i < 3; i++)
		sendto(un, "ccc", 3, 0, (struct sockaddr *)&to, sizeof to);
	printf("Udp OutDatagrams delta (sendto): %ld\n", snmp_counter("Udp", "OutDatagrams", 0) - out0);
	for (int i = 0; i < 3; i++) {
		poll(&p, 1, 2000);
		recv(ur, buf, sizeof buf, MSG_DONTWAIT);
	}
	printf("Udp InDatagrams delta (sendto): %ld\n", snmp_counter("Udp", "InDatagrams", 0) - in0);
	close(un);

	/* A datagram to a closed port: NoPorts, and an ICMP port
	 * unreachable sent and received. */
	long noports0 = snmp_counter("Udp", "NoPorts", 0);
	long icmpout0 = snmp_counter("Icmp", "OutDestUnreachs", 0), icmpin0 = snmp_counter("Icmp", "InDestUnreachs", 0);
	int closed = socket(AF_INET, SOCK_DGRAM, 0);
	bind_port0(closed, AF_INET, "127.0.0.1");
	struct sockaddr_in dead = sin4("127.0.0.1", local_port(closed));
	close(closed);
	int x = socket(AF_INET, SOCK_DGRAM, 0);
	sendto(x, "z", 1, 0, (struct sockaddr *)&dead, sizeof dead);
	usleep(200000);
	printf("Udp NoPorts delta: %ld\n", snmp_counter("Udp", "NoPorts", 0) - noports0);
	printf("Icmp OutDestUnreachs delta: %ld\n", snmp_counter("Icmp", "OutDestUnreachs", 0) - icmpout0);
	printf("Icmp InDestUnreachs delta: %ld\n", snmp_counter("Icmp", "InDestUnreachs", 0) - icmpin0);
	close(x);

	const char *secs[] = {"Ip", "Icmp", "Tcp", "Udp", "UdpLite"};
	for (size_t i = 0; i < sizeof secs / sizeof secs[0]; i++)
		snmp_counter(secs[i], "", 1);
	printf("Ip Forwarding: %ld\n", snmp_counter("Ip", "Forwarding", 0));
	printf("Ip DefaultTTL: %ld\n", snmp_counter("Ip", "DefaultTTL", 0));
	printf("Tcp MaxConn: %ld\n", snmp_counter("Tcp", "MaxConn", 0));

	sockstat("sockstat", "TCP");
	sockstat("sockstat", "UDP");
	sockstat("sockstat", "RAW");
	sockstat("sockstat6", "TCP6");
	sockstat("sockstat6", "UDP6");

	/* Other spellings of the path. */
	char path[64];
	snprintf(path, sizeof path, "/proc/%d/net/udp", getpid());
	rows("/proc/PID/net/udp", open(path, O_RDONLY));
	rows("/proc/self/net/udp", open("/proc/self/net/udp", O_RDONLY | O_CLOEXEC));
	rows("/proc/thread-self/net/udp", open("/proc/thread-self/net/udp", O_RDONLY));
	rows("/proc/./net/../net//udp", open("/proc/./net/../net//udp", O_RDONLY));
	int self = open("/proc/self", O_RDONLY | O_DIRECTORY);
	rows("openat(/proc/self, net/udp)", openat(self, "net/udp", O_RDONLY));
	close(self);
	if (chdir("/proc") == 0)
		rows("chdir /proc, net/udp", open("net/udp", O_RDONLY));

	/* Read-only, rereadable. */
	int fd = open("/proc/net/tcp", O_RDONLY);
	show("write /proc/net/tcp", write(fd, "x", 1));
	char a[64], b[64];
	ssize_t n1 = read(fd, a, sizeof a);
	show("lseek", lseek(fd, 0, SEEK_SET));
	ssize_t n2 = read(fd, b, sizeof b);
	printf("reread same: %d\n", n1 == n2 && n1 > 0 && memcmp(a, b, n1) == 0);
	close(fd);
	showfd("open O_RDONLY|O_NONBLOCK", fd = open("/proc/net/udp", O_RDONLY | O_NONBLOCK));
	close(fd);
	return 0;
}
