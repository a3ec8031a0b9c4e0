/* sysctl_effects.c - the network namespace's tunables and what they change.
 *
 * Every sysctl written here is one of the network namespace's own (the
 * program runs in a fresh one), and each is put back as it was.
 *
 * Checks: net.ipv4.ip_nonlocal_bind and net.ipv6.ip_nonlocal_bind (bind to
 * an address no interface has: EADDRNOTAVAIL at 0, allowed at 1, for UDP and
 * TCP); net.core.rmem_default/wmem_default (the SO_RCVBUF/SO_SNDBUF a new
 * UDP, raw and unix datagram socket starts with), rmem_max/wmem_max (the cap
 * of SO_RCVBUF/SO_SNDBUF, doubled; SO_RCVBUFFORCE/SO_SNDBUFFORCE as root go
 * past it); these four are read-only in a network namespace other than the
 * first (mode and an open for writing are shown, nothing is written);
 * net.ipv4.ping_group_range ("0 0": root may open ping sockets, a child with
 * gid 65534 may not; "65534 65534": the other way round; a range whose low
 * end is above its high end is taken as "1 0", nobody); net.ipv6.bindv6only (the default of
 * IPV6_V6ONLY for new AF_INET6 sockets, older ones keep theirs, and what
 * follows: the port's IPv4 side stays free, a v4-mapped destination is
 * unreachable); net.unix.max_dgram_qlen (how many datagrams an
 * unconnected sender can queue at an unix datagram socket: the limit + 1,
 * fixed when the receiver is created); net.ipv4.ip_no_pmtu_disc (the
 * default IP_MTU_DISCOVER of new UDP and TCP sockets).
 */
/* spec: SYSCTL-01 SYSCTL-02 SYSCTL-04 SYSCTL-07 */
#include "common.h"
#include <grp.h>
#include <netinet/ip_icmp.h>
#include <stddef.h>
#include <sys/stat.h>
#include <sys/wait.h>

/* Reads a sysctl into buf (without the newline); "" when it cannot. */
static const char *rd(const char *path, char *buf, size_t n)
{
	FILE *f = fopen(path, "r");
	buf[0] = 0;
	if (f) {
		if (!fgets(buf, n, f))
			buf[0] = 0;
		fclose(f);
	}
	buf[strcspn(buf, "\n")] = 0;
	return buf;
}

static long rdl(const char *path)
{
	char b[64];
	rd(path, b, sizeof b);
	return b[0] ? atol(b) : -1;
}

/* Writes v to a sysctl: prints "label: 0" or the errno. */
static int wr(const char *label, const char *path, const char *v)
{
	int fd = open(path, O_WRONLY);
	int r = -1;
	if (fd >= 0) {
		r = write(fd, v, strlen(v)) == (ssize_t)strlen(v) ? 0 : -1;
		int e = errno;
		close(fd);
		errno = e;
	}
	if (label)
		show(label, r);
	return r;
}

static void bind_to(const char *label, int family, int type, const char *addr)
{
	int fd = socket(family, type, 0);
	show(label, bind_port0(fd, family, addr));
	close(fd);
}

static void nonlocal_bind(void)
{
	const char *v4 = "/proc/sys/net/ipv4/ip_nonlocal_bind";
	const char *v6 = "/proc/sys/net/ipv6/ip_nonlocal_bind";
	char s4[32], s6[32];
	printf("ipv4 ip_nonlocal_bind: %s\n", rd(v4, s4, sizeof s4));
	printf("ipv6 ip_nonlocal_bind: %s\n", rd(v6, s6, sizeof s6));
	bind_to("nonlocal 0 udp bind 10.99.0.1", AF_INET, SOCK_DGRAM, "10.99.0.1");
	bind_to("nonlocal 0 tcp bind 10.99.0.1", AF_INET, SOCK_STREAM, "10.99.0.1");
	bind_to("nonlocal 0 udp6 bind 2001:db8::1", AF_INET6, SOCK_DGRAM, "2001:db8::1");
	bind_to("nonlocal 0 tcp6 bind 2001:db8::1", AF_INET6, SOCK_STREAM, "2001:db8::1");
	wr("write ipv4 ip_nonlocal_bind 1", v4, "1");
	wr("write ipv6 ip_nonlocal_bind 1", v6, "1");
	bind_to("nonlocal 1 udp bind 10.99.0.1", AF_INET, SOCK_DGRAM, "10.99.0.1");
	bind_to("nonlocal 1 tcp bind 10.99.0.1", AF_INET, SOCK_STREAM, "10.99.0.1");
	bind_to("nonlocal 1 udp6 bind 2001:db8::1", AF_INET6, SOCK_DGRAM, "2001:db8::1");
	bind_to("nonlocal 1 tcp6 bind 2001:db8::1", AF_INET6, SOCK_STREAM, "2001:db8::1");
	{
		int fd = socket(AF_INET, SOCK_DGRAM, 0);
		struct sockaddr_in a = sin4("10.99.0.1", 0);
		bind(fd, (struct sockaddr *)&a, sizeof a);
		struct sockaddr_storage ss;
		socklen_t l = sizeof ss;
		char b[64];
		getsockname(fd, (struct sockaddr *)&ss, &l);
		printf("nonlocal 1 getsockname: %s port>0=%d\n", fmt_addr(&ss, b, sizeof b), sa_port(&ss) > 0);
		close(fd);
	}
	wr("restore ipv4 ip_nonlocal_bind", v4, s4);
	wr("restore ipv6 ip_nonlocal_bind", v6, s6);
	bind_to("restored udp bind 10.99.0.1", AF_INET, SOCK_DGRAM, "10.99.0.1");
}

static int geti(int fd, int level, int opt)
{
	int v = -1;
	socklen_t l = sizeof v;
	if (getsockopt(fd, level, opt, &v, &l) < 0)
		return -errno;
	return v;
}

static void buffers(void)
{
	static const char *const f[4] = { "rmem_default", "wmem_default", "rmem_max", "wmem_max" };
	long v[4];
	char path[128];
	for (int i = 0; i < 4; i++) {
		snprintf(path, sizeof path, "/proc/sys/net/core/%s", f[i]);
		v[i] = rdl(path);
		struct stat st;
		int sr = stat(path, &st);
		/* Opened for writing but never written. */
		int fd = open(path, O_WRONLY);
		int e = errno;
		printf("%s: readable=%d mode=%o open for write=%s\n", f[i], v[i] > 0,
		       sr == 0 ? st.st_mode & 0777 : 0, fd >= 0 ? "ok" : errname(e));
		if (fd >= 0)
			close(fd);
	}
	static const struct { const char *name; int family, type, proto; } k[] = {
		{ "udp", AF_INET, SOCK_DGRAM, 0 },
		{ "udp6", AF_INET6, SOCK_DGRAM, 0 },
		{ "raw", AF_INET, SOCK_RAW, IPPROTO_ICMP },
		{ "unix dgram", AF_UNIX, SOCK_DGRAM, 0 },
		{ "tcp", AF_INET, SOCK_STREAM, 0 },
	};
	for (size_t i = 0; i < sizeof k / sizeof k[0]; i++) {
		int fd = socket(k[i].family, k[i].type, k[i].proto);
		int tcp = k[i].type == SOCK_STREAM;
		if (!tcp)
			printf("%s default SO_RCVBUF == rmem_default: %d SO_SNDBUF == wmem_default: %d\n",
			       k[i].name, geti(fd, SOL_SOCKET, SO_RCVBUF) == v[0],
			       geti(fd, SOL_SOCKET, SO_SNDBUF) == v[1]);
		set_int(fd, SOL_SOCKET, SO_RCVBUF, 1 << 30);
		set_int(fd, SOL_SOCKET, SO_SNDBUF, 1 << 30);
		printf("%s SO_RCVBUF 1<<30 == 2*rmem_max: %d SO_SNDBUF 1<<30 == 2*wmem_max: %d\n", k[i].name,
		       geti(fd, SOL_SOCKET, SO_RCVBUF) == 2 * v[2], geti(fd, SOL_SOCKET, SO_SNDBUF) == 2 * v[3]);
		set_int(fd, SOL_SOCKET, SO_RCVBUF, v[2] + 1);
		set_int(fd, SOL_SOCKET, SO_SNDBUF, v[3] - 1);
		printf("%s SO_RCVBUF rmem_max+1 == 2*rmem_max: %d SO_SNDBUF wmem_max-1 == 2*(wmem_max-1): %d\n",
		       k[i].name, geti(fd, SOL_SOCKET, SO_RCVBUF) == 2 * v[2],
		       geti(fd, SOL_SOCKET, SO_SNDBUF) == 2 * (v[3] - 1));
		char l[96];
		snprintf(l, sizeof l, "%s set SO_RCVBUFFORCE 2*rmem_max", k[i].name);
		show(l, set_int(fd, SOL_SOCKET, SO_RCVBUFFORCE, (int)(v[2] * 2)));
		snprintf(l, sizeof l, "%s set SO_SNDBUFFORCE 2*wmem_max", k[i].name);
		show(l, set_int(fd, SOL_SOCKET, SO_SNDBUFFORCE, (int)(v[3] * 2)));
		printf("%s FORCE past the cap: SO_RCVBUF == 4*rmem_max: %d SO_SNDBUF == 4*wmem_max: %d\n",
		       k[i].name, geti(fd, SOL_SOCKET, SO_RCVBUF) == 4 * v[2],
		       geti(fd, SOL_SOCKET, SO_SNDBUF) == 4 * v[3]);
		close(fd);
	}
}

/* socket(ping) in a child with gid/uid 65534. */
static void child_ping(const char *label)
{
	fflush(stdout);
	pid_t pid = fork();
	if (pid == 0) {
		if (setgroups(0, NULL) < 0 || setresgid(65534, 65534, 65534) < 0 ||
		    setresuid(65534, 65534, 65534) < 0) {
			printf("%s setresuid: -1 %s\n", label, errname(errno));
			_exit(0);
		}
		char l[128];
		snprintf(l, sizeof l, "%s child 65534 ping4", label);
		int fd = showfd(l, socket(AF_INET, SOCK_DGRAM, IPPROTO_ICMP));
		snprintf(l, sizeof l, "%s child 65534 ping4 sendto", label);
		if (fd >= 0) {
			struct sockaddr_in d = sin4("127.0.0.1", 0);
			unsigned char m[8] = { ICMP_ECHO, 0, 0, 0, 0, 0, 0, 1 };
			show(l, sendto(fd, m, sizeof m, 0, (struct sockaddr *)&d, sizeof d));
		} else {
			printf("%s: no socket\n", l);
		}
		snprintf(l, sizeof l, "%s child 65534 ping6", label);
		showfd(l, socket(AF_INET6, SOCK_DGRAM, IPPROTO_ICMPV6));
		_exit(0);
	}
	int st;
	waitpid(pid, &st, 0);
}

static void root_ping(const char *label)
{
	char l[128];
	int fd;
	snprintf(l, sizeof l, "%s root ping4", label);
	fd = showfd(l, socket(AF_INET, SOCK_DGRAM, IPPROTO_ICMP));
	if (fd >= 0)
		close(fd);
	snprintf(l, sizeof l, "%s root ping6", label);
	fd = showfd(l, socket(AF_INET6, SOCK_DGRAM, IPPROTO_ICMPV6));
	if (fd >= 0)
		close(fd);
}

static void ping_range(void)
{
	const char *p = "/proc/sys/net/ipv4/ping_group_range";
	char saved[64], now[64];
	rd(p, saved, sizeof saved);
	printf("ping_group_range at start: %s\n", saved);
	root_ping("range 1 0");
	wr("write ping_group_range 0 0", p, "0 0");
	printf("ping_group_range now: %s\n", rd(p, now, sizeof now));
	root_ping("range 0 0");
	child_ping("range 0 0");
	wr("write ping_group_range 65534 65534", p, "65534 65534");
	root_ping("range 65534");
	child_ping("range 65534");
	wr("write ping_group_range 100 50", p, "100 50");
	printf("ping_group_range after 100 50: %s\n", rd(p, now, sizeof now));
	wr("restore ping_group_range", p, saved);
}

static void v6only(void)
{
	const char *p = "/proc/sys/net/ipv6/bindv6only";
	char saved[32];
	printf("bindv6only: %s\n", rd(p, saved, sizeof saved));
	int old_u = socket(AF_INET6, SOCK_DGRAM, 0), old_t = socket(AF_INET6, SOCK_STREAM, 0);
	printf("bindv6only 0 udp6 IPV6_V6ONLY: %d\n", geti(old_u, SOL_IPV6, IPV6_V6ONLY));
	printf("bindv6only 0 tcp6 IPV6_V6ONLY: %d\n", geti(old_t, SOL_IPV6, IPV6_V6ONLY));
	wr("write bindv6only 1", p, "1");
	int u = socket(AF_INET6, SOCK_DGRAM, 0), t = socket(AF_INET6, SOCK_STREAM, 0);
	printf("bindv6only 1 new udp6 IPV6_V6ONLY: %d\n", geti(u, SOL_IPV6, IPV6_V6ONLY));
	printf("bindv6only 1 new tcp6 IPV6_V6ONLY: %d\n", geti(t, SOL_IPV6, IPV6_V6ONLY));
	printf("bindv6only 1 old udp6 IPV6_V6ONLY: %d\n", geti(old_u, SOL_IPV6, IPV6_V6ONLY));
	/* A v6-only wildcard leaves the port's IPv4 side free. */
	show("bindv6only 1 udp6 bind [::]:0", bind_port0(u, AF_INET6, "::"));
	int port = local_port(u);
	int u4 = socket(AF_INET, SOCK_DGRAM, 0);
	struct sockaddr_in a4 = sin4("127.0.0.1", port);
	show("bindv6only 1 udp4 bind same port", bind(u4, (struct sockaddr *)&a4, sizeof a4));
	close(u4);
	struct sockaddr_in6 m = sin6("::ffff:127.0.0.1", port);
	show("bindv6only 1 udp6 sendto v4-mapped", sendto(u, "x", 1, 0, (struct sockaddr *)&m, sizeof m));
	show("bindv6only 1 set IPV6_V6ONLY 0 before bind", set_int(t, SOL_IPV6, IPV6_V6ONLY, 0));
	printf("bindv6only 1 tcp6 IPV6_V6ONLY after set 0: %d\n", geti(t, SOL_IPV6, IPV6_V6ONLY));
	close(u);
	close(t);
	/* The old socket (made at 0) still shares nothing. */
	show("bindv6only 1 old udp6 bind [::]:0", bind_port0(old_u, AF_INET6, "::"));
	port = local_port(old_u);
	u4 = socket(AF_INET, SOCK_DGRAM, 0);
	a4 = sin4("127.0.0.1", port);
	show("bindv6only 1 udp4 bind old socket's port", bind(u4, (struct sockaddr *)&a4, sizeof a4));
	close(u4);
	close(old_u);
	close(old_t);
	wr("restore bindv6only", p, saved);
	u = socket(AF_INET6, SOCK_DGRAM, 0);
	printf("restored udp6 IPV6_V6ONLY: %d\n", geti(u, SOL_IPV6, IPV6_V6ONLY));
	close(u);
}

/* How many datagrams an unconnected sender queues at a new receiver. */
static int qlen_fill(const char *name, int *recv_fd)
{
	struct sockaddr_un a;
	memset(&a, 0, sizeof a);
	a.sun_family = AF_UNIX;
	memcpy(a.sun_path + 1, name, strlen(name));
	socklen_t al = offsetof(struct sockaddr_un, sun_path) + 1 + strlen(name);
	int r = *recv_fd >= 0 ? *recv_fd : socket(AF_UNIX, SOCK_DGRAM, 0);
	if (*recv_fd < 0 && bind(r, (struct sockaddr *)&a, al) < 0)
		printf("qlen bind: -1 %s\n", errname(errno));
	*recv_fd = r;
	int s = socket(AF_UNIX, SOCK_DGRAM, 0), n = 0;
	while (n < 100 && sendto(s, "q", 1, MSG_DONTWAIT, (struct sockaddr *)&a, al) == 1)
		n++;
	int e = errno;
	close(s);
	char b[8];
	while (recv(r, b, sizeof b, MSG_DONTWAIT) > 0)
		;
	errno = e;
	return n;
}

static void dgram_qlen(void)
{
	const char *p = "/proc/sys/net/unix/max_dgram_qlen";
	char saved[32];
	printf("max_dgram_qlen: %s\n", rd(p, saved, sizeof saved));
	int old = -1;
	int n = qlen_fill("nbx-qlen-old", &old);
	printf("qlen default queued: %d then %s\n", n, errname(errno));
	wr("write max_dgram_qlen 3", p, "3");
	int fresh = -1;
	n = qlen_fill("nbx-qlen-new", &fresh);
	printf("qlen 3 new receiver queued: %d then %s\n", n, errname(errno));
	n = qlen_fill("nbx-qlen-old", &old);
	printf("qlen 3 old receiver queued: %d\n", n);
	int sp[2];
	socketpair(AF_UNIX, SOCK_DGRAM, 0, sp);
	n = 0;
	while (n < 100 && send(sp[0], "q", 1, MSG_DONTWAIT) == 1)
		n++;
	printf("qlen 3 socketpair queued more than 4: %d\n", n > 4);
	close(sp[0]);
	close(sp[1]);
	close(fresh);
	close(old);
	wr("restore max_dgram_qlen", p, saved);
}

static void no_pmtu_disc(void)
{
	const char *p = "/proc/sys/net/ipv4/ip_no_pmtu_disc";
	char saved[32];
	printf("ip_no_pmtu_disc: %s\n", rd(p, saved, sizeof saved));
	int u = socket(AF_INET, SOCK_DGRAM, 0), t = socket(AF_INET, SOCK_STREAM, 0);
	printf("no_pmtu_disc 0 udp IP_MTU_DISCOVER: %d tcp: %d\n", geti(u, SOL_IP, IP_MTU_DISCOVER),
	       geti(t, SOL_IP, IP_MTU_DISCOVER));
	close(u);
	close(t);
	wr("write ip_no_pmtu_disc 1", p, "1");
	u = socket(AF_INET, SOCK_DGRAM, 0), t = socket(AF_INET, SOCK_STREAM, 0);
	int r = socket(AF_INET, SOCK_RAW, IPPROTO_ICMP);
	printf("no_pmtu_disc 1 udp IP_MTU_DISCOVER: %d tcp: %d raw: %d\n", geti(u, SOL_IP, IP_MTU_DISCOVER),
	       geti(t, SOL_IP, IP_MTU_DISCOVER), geti(r, SOL_IP, IP_MTU_DISCOVER));
	close(u);
	close(t);
	close(r);
	wr("restore ip_no_pmtu_disc", p, saved);
	u = socket(AF_INET, SOCK_DGRAM, 0);
	printf("restored udp IP_MTU_DISCOVER: %d\n", geti(u, SOL_IP, IP_MTU_DISCOVER));
	close(u);
}

int main(void)
{
	common_init();
	if (geteuid() != 0) {
		printf("not root\n");
		return 0;
	}
	nonlocal_bind();
	buffers();
	ping_range();
	v6only();
	dgram_qlen();
	no_pmtu_disc();
	printf("done\n");
	return 0;
}
