/* spec: OPS-09 IO-04 NL-05 NL-09 NL-11 NL-12 BIND-04 BIND-13 USEND-11 V6-05 TCP-18 */
/* if_config.c - interface configuration changed inside the namespace is
 * what sockets and the interface ioctls see.
 *
 * Checks: SIOCGIFCONF (NULL buffer = size probe, a 400-byte buffer, a buffer
 * of exactly one struct ifreq, ifc_len 0, a too short buffer), the read
 * ioctls on "lo" (FLAGS, ADDR, NETMASK, BRDADDR, MTU, INDEX, NAME, HWADDR,
 * TXQLEN, METRIC) and their errors (unknown name or index: ENODEV, bad
 * pointer: EFAULT), on AF_INET/AF_INET6 datagram and AF_INET stream sockets;
 * adding 10.1.1.1/24 and 2001:db8::1/64 to lo with rtnetlink RTM_NEWADDR
 * (ack error 0, a duplicate with NLM_F_EXCL: EEXIST, an unknown ifindex:
 * ENODEV; a bounded wait until a datagram to the new IPv6 address is
 * delivered, as Linux installs its local route asynchronously), then SIOCGIFCONF,
 * getifaddrs() and if_nametoindex() see them; the source address the kernel
 * picks for TCP and UDP to the new subnet, the address an accepted socket
 * has, bind() inside the new /24 (on lo the whole prefix is local) and
 * outside it (EADDRNOTAVAIL), the same for IPv6 (only the address itself);
 * RTM_DELADDR takes it away again (bind, connect to the still-listening
 * socket); SIOCSIFMTU/SIOCGIFMTU, SIOCSIFMTU without CAP_NET_ADMIN (EPERM)
 * while SIOCGIFMTU still works, SIOCSIFFLAGS with unchanged flags;
 * SIOCGIFCONF through an AF_UNIX socket.
 */
#include "common.h"
#include <ifaddrs.h>
#include <net/if.h>
#include <net/if_arp.h>
#include <poll.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <linux/capability.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include "rtnl.h"

/* ---------- SIOCGIFCONF ---------- */

static void print_ifreq_addr(const char *label, int i, const struct ifreq *r)
{
	char abuf[128];
	printf("%s [%d]: name=%.*s %s\n", label, i, IFNAMSIZ, r->ifr_name,
	       fmt_addr(&r->ifr_addr, abuf, sizeof abuf));
}

/* SIOCGIFCONF with a buffer of buflen bytes (buflen < 0: NULL buffer);
 * prints ifc_len and, if print_entries, each returned entry. */
static void ifconf(const char *label, int fd, int buflen, int print_entries)
{
	struct ifreq reqs[10];
	struct ifconf ifc;
	memset(reqs, 0, sizeof reqs);
	memset(&ifc, 0, sizeof ifc);
	ifc.ifc_len = buflen < 0 ? 0 : buflen;
	ifc.ifc_req = buflen < 0 ? NULL : reqs;
	if (ioctl(fd, SIOCGIFCONF, &ifc) < 0) {
		printf("%s: -1 %s\n", label, errname(errno));
		return;
	}
	printf("%s: ifc_len=%d\n", label, ifc.ifc_len);
	if (!print_entries || buflen < 0)
		return;
	int n = ifc.ifc_len / (int)sizeof(struct ifreq);
	for (int i = 0; i < n && i < 10; i++)
		print_ifreq_addr(label, i, &reqs[i]);
}

/* ---------- interface ioctls ---------- */

static int ifreq_ioctl(int fd, unsigned long req, const char *name, struct ifreq *r)
{
	memset(r, 0, sizeof *r);
	snprintf(r->ifr_name, IFNAMSIZ, "%s", name);
	return ioctl(fd, req, r);
}

static void show_flags(const char *label, int fd, const char *name)
{
	struct ifreq r;
	if (ifreq_ioctl(fd, SIOCGIFFLAGS, name, &r) < 0)
		printf("%s: -1 %s\n", label, errname(errno));
	else
		printf("%s: 0x%x\n", label, (unsigned)(unsigned short)r.ifr_flags);
}

static void show_addr_ioctl(const char *label, int fd, unsigned long req, const char *name)
{
	struct ifreq r;
	char abuf[128];
	if (ifreq_ioctl(fd, req, name, &r) < 0)
		printf("%s: -1 %s\n", label, errname(errno));
	else
		printf("%s: %s\n", label, fmt_addr(&r.ifr_addr, abuf, sizeof abuf));
}

static int get_mtu(const char *label, int fd)
{
	struct ifreq r;
	if (ifreq_ioctl(fd, SIOCGIFMTU, "lo", &r) < 0) {
		printf("%s: -1 %s\n", label, errname(errno));
		return -1;
	}
	printf("%s: %d\n", label, r.ifr_mtu);
	return r.ifr_mtu;
}

static void set_mtu(const char *label, int fd, int mtu)
{
	struct ifreq r;
	memset(&r, 0, sizeof r);
	snprintf(r.ifr_name, IFNAMSIZ, "lo");
	r.ifr_mtu = mtu;
	show(label, ioctl(fd, SIOCSIFMTU, &r));
}

static void show_ifname(const char *label, int fd, int index)
{
	struct ifreq r;
	memset(&r, 0, sizeof r);
	r.ifr_ifindex = index;
	if (ioctl(fd, SIOCGIFNAME, &r) < 0)
		printf("%s: -1 %s\n", label, errname(errno));
	else
		printf("%s: %.*s\n", label, IFNAMSIZ, r.ifr_name);
}


/* ---------- getifaddrs ---------- */

struct ent {
	char name[IFNAMSIZ];
	int family;
	unsigned char addr[16];
	char text[300];
};

static int ent_cmp(const void *x, const void *y)
{
	const struct ent *a = x, *b = y;
	if (a->family != b->family)
		return a->family - b->family;
	int c = memcmp(a->addr, b->addr, 16);
	return c ? c : strcmp(a->name, b->name);
}

static void list_getifaddrs(const char *label)
{
	struct ifaddrs *ifa;
	struct ent ents[32];
	int n = 0;
	if (getifaddrs(&ifa) < 0) {
		printf("%s: -1 %s\n", label, errname(errno));
		return;
	}
	for (struct ifaddrs *p = ifa; p && n < 32; p = p->ifa_next) {
		if (!p->ifa_addr)
			continue;
		int fam = p->ifa_addr->sa_family;
		if (fam != AF_INET && fam != AF_INET6)
			continue;
		struct ent *e = &ents[n++];
		char abuf[128], mbuf[128];
		memset(e, 0, sizeof *e);
		snprintf(e->name, sizeof e->name, "%s", p->ifa_name);
		e->family = fam;
		if (fam == AF_INET)
			memcpy(e->addr, &((struct sockaddr_in *)p->ifa_addr)->sin_addr, 4);
		else
			memcpy(e->addr, &((struct sockaddr_in6 *)p->ifa_addr)->sin6_addr, 16);
		snprintf(e->text, sizeof e->text, "name=%s %s netmask %s", p->ifa_name,
			 fmt_addr(p->ifa_addr, abuf, sizeof abuf),
			 p->ifa_netmask ? fmt_addr(p->ifa_netmask, mbuf, sizeof mbuf) : "none");
	}
	freeifaddrs(ifa);
	qsort(ents, n, sizeof ents[0], ent_cmp);
	printf("%s: %d entries\n", label, n);
	for (int i = 0; i < n; i++)
		printf("%s [%d]: %s\n", label, i, ents[i].text);
}

/* ---------- sockets ---------- */

static void print_name(const char *label, int fd, int peer)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof ss;
	char abuf[128];
	memset(&ss, 0, sizeof ss);
	int r = peer ? getpeername(fd, (struct sockaddr *)&ss, &len)
		     : getsockname(fd, (struct sockaddr *)&ss, &len);
	if (r < 0)
		printf("%s: -1 %s\n", label, errname(errno));
	else
		printf("%s: %s len=%u\n", label, fmt_addr(&ss, abuf, sizeof abuf), len);
}

static int listener4(const char *label, const char *ip, int port)
{
	int l = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in a = sin4(ip, port);
	set_int(l, SOL_SOCKET, SO_REUSEADDR, 1);
	set_rcvtimeo(l);
	char lb[128];
	snprintf(lb, sizeof lb, "%s bind", label);
	show(lb, bind(l, (struct sockaddr *)&a, sizeof a));
	snprintf(lb, sizeof lb, "%s listen", label);
	show(lb, listen(l, 8));
	return l;
}

static void try_bind4(const char *label, int type, const char *ip)
{
	int s = socket(AF_INET, type, 0);
	struct sockaddr_in a = sin4(ip, 0);
	show(label, bind(s, (struct sockaddr *)&a, sizeof a));
	close(s);
}

static void try_bind6(const char *label, const char *ip)
{
	int s = socket(AF_INET6, SOCK_DGRAM, 0);
	struct sockaddr_in6 a = sin6(ip, 0);
	show(label, bind(s, (struct sockaddr *)&a, sizeof a));
	close(s);
}

static void drop_net_admin_child(void)
{
	struct __user_cap_header_struct h = {_LINUX_CAPABILITY_VERSION_3, 0};
	struct __user_cap_data_struct d[2];
	memset(d, 0, sizeof d);
	if (syscall(SYS_capget, &h, d) < 0)
		printf("child capget: -1 %s\n", errname(errno));
	d[0].effective &= ~(1u << CAP_NET_ADMIN);
	show("child capset drop CAP_NET_ADMIN", syscall(SYS_capset, &h, d));
	int s = socket(AF_INET, SOCK_DGRAM, 0);
	set_mtu("child SIOCSIFMTU lo 1500", s, 1500);
	get_mtu("child SIOCGIFMTU lo", s);
	close(s);
}

int main(void)
{
	struct ifreq r;
	common_init();

	/* --- 1. before any change --- */
	int s = socket(AF_INET, SOCK_DGRAM, 0);
	showfd("socket AF_INET SOCK_DGRAM", s);
	ifconf("SIOCGIFCONF NULL", s, -1, 0);
	ifconf("SIOCGIFCONF 400", s, 400, 1);
	ifconf("SIOCGIFCONF one ifreq", s, (int)sizeof(struct ifreq), 1);
	ifconf("SIOCGIFCONF ifc_len 0", s, 0, 1);
	ifconf("SIOCGIFCONF ifc_len 39", s, (int)sizeof(struct ifreq) - 1, 1);
	show_flags("SIOCGIFFLAGS lo", s, "lo");
	show_addr_ioctl("SIOCGIFADDR lo", s, SIOCGIFADDR, "lo");
	show_addr_ioctl("SIOCGIFNETMASK lo", s, SIOCGIFNETMASK, "lo");
	show_addr_ioctl("SIOCGIFBRDADDR lo", s, SIOCGIFBRDADDR, "lo");
	get_mtu("SIOCGIFMTU lo", s);
	if (ifreq_ioctl(s, SIOCGIFINDEX, "lo", &r) < 0)
		printf("SIOCGIFINDEX lo: -1 %s\n", errname(errno));
	else
		printf("SIOCGIFINDEX lo: %d\n", r.ifr_ifindex);
	show_ifname("SIOCGIFNAME 1", s, 1);
	if (ifreq_ioctl(s, SIOCGIFHWADDR, "lo", &r) < 0) {
		printf("SIOCGIFHWADDR lo: -1 %s\n", errname(errno));
	} else {
		unsigned char *m = (unsigned char *)r.ifr_hwaddr.sa_data;
		printf("SIOCGIFHWADDR lo: sa_family=%d (ARPHRD_LOOPBACK=%d) %02x:%02x:%02x:%02x:%02x:%02x\n",
		       r.ifr_hwaddr.sa_family, r.ifr_hwaddr.sa_family == ARPHRD_LOOPBACK,
		       m[0], m[1], m[2], m[3], m[4], m[5]);
	}
	if (ifreq_ioctl(s, SIOCGIFTXQLEN, "lo", &r) < 0)
		printf("SIOCGIFTXQLEN lo: -1 %s\n", errname(errno));
	else
		printf("SIOCGIFTXQLEN lo: %d\n", r.ifr_qlen);
	if (ifreq_ioctl(s, SIOCGIFMETRIC, "lo", &r) < 0)
		printf("SIOCGIFMETRIC lo: -1 %s\n", errname(errno));
	else
		printf("SIOCGIFMETRIC lo: %d\n", r.ifr_metric);
	show_flags("SIOCGIFFLAGS nosuch0", s, "nosuch0");
	show_ifname("SIOCGIFNAME 99", s, 99);
	show("SIOCGIFADDR bad pointer", ioctl(s, SIOCGIFADDR, (void *)8));
	{
		int s6 = socket(AF_INET6, SOCK_DGRAM, 0);
		show_flags("SIOCGIFFLAGS lo on AF_INET6 SOCK_DGRAM", s6, "lo");
		close(s6);
		int st = socket(AF_INET, SOCK_STREAM, 0);
		show_flags("SIOCGIFFLAGS lo on AF_INET SOCK_STREAM", st, "lo");
		close(st);
	}

	/* --- 2. add addresses with rtnetlink --- */
	int excl = NLM_F_CREATE | NLM_F_EXCL;
	nl_addr("RTM_NEWADDR 10.1.1.1/24 lo", RTM_NEWADDR, excl, AF_INET, 1, "10.1.1.1", 24);
	nl_addr("RTM_NEWADDR 2001:db8::1/64 lo", RTM_NEWADDR, excl, AF_INET6, 1, "2001:db8::1", 64);
	nl_addr("RTM_NEWADDR 10.1.1.1/24 lo again", RTM_NEWADDR, excl, AF_INET, 1, "10.1.1.1", 24);
	nl_addr("RTM_NEWADDR 10.3.0.1/24 ifindex 99", RTM_NEWADDR, excl, AF_INET, 99, "10.3.0.1", 24);
	ifconf("SIOCGIFCONF NULL after add", s, -1, 0);
	ifconf("SIOCGIFCONF after add", s, 400, 1);
	ifconf("SIOCGIFCONF one ifreq after add", s, (int)sizeof(struct ifreq), 1);
	list_getifaddrs("getifaddrs");
	printf("if_nametoindex lo: %u\n", if_nametoindex("lo"));

	/* --- 3. sockets with the new addresses --- */
	{
		int l1 = listener4("listener 10.1.1.1:7000", "10.1.1.1", 7000);
		int c = socket(AF_INET, SOCK_STREAM, 0);
		struct sockaddr_in d = sin4("10.1.1.1", 7000);
		show("connect 10.1.1.1:7000", connect(c, (struct sockaddr *)&d, sizeof d));
		print_name("  client getsockname", c, 0);
		print_name("  client getpeername", c, 1);
		int a = accept(l1, NULL, NULL);
		showfd("  accept", a);
		print_name("  accepted getsockname", a, 0);
		close(a);
		close(c);

		int l2 = listener4("listener 0.0.0.0:7001", "0.0.0.0", 7001);
		c = socket(AF_INET, SOCK_STREAM, 0);
		d = sin4("10.1.1.7", 7001);
		show("connect 10.1.1.7:7001", connect(c, (struct sockaddr *)&d, sizeof d));
		print_name("  client getsockname", c, 0);
		print_name("  client getpeername", c, 1);
		a = accept(l2, NULL, NULL);
		showfd("  accept", a);
		print_name("  accepted getsockname", a, 0);
		print_name("  accepted getpeername", a, 1);
		close(a);
		close(c);
		close(l2);

		try_bind4("bind tcp 10.1.1.9", SOCK_STREAM, "10.1.1.9");
		try_bind4("bind udp 10.1.1.255", SOCK_DGRAM, "10.1.1.255");
		try_bind4("bind tcp 10.2.0.1", SOCK_STREAM, "10.2.0.1");

		int u = socket(AF_INET, SOCK_DGRAM, 0);
		set_rcvtimeo(u);
		struct sockaddr_in ua = sin4("10.1.1.1", 7002);
		show("udp bind 10.1.1.1:7002", bind(u, (struct sockaddr *)&ua, sizeof ua));
		int us = socket(AF_INET, SOCK_DGRAM, 0);
		show("udp sendto 10.1.1.1:7002", sendto(us, "hi", 2, 0, (struct sockaddr *)&ua, sizeof ua));
		{
			char buf[16], abuf[128];
			struct sockaddr_storage ss;
			socklen_t len = sizeof ss;
			memset(&ss, 0, sizeof ss);
			ssize_t n = recvfrom(u, buf, sizeof buf, 0, (struct sockaddr *)&ss, &len);
			if (n < 0)
				printf("udp recvfrom: -1 %s\n", errname(errno));
			else
				printf("udp recvfrom: %zd from %s sender_port_match=%d\n", n,
				       fmt_addr(&ss, abuf, sizeof abuf), sa_port(&ss) == local_port(us));
		}
		print_name("udp sender getsockname", us, 0);
		close(us);
		close(u);
		int uc = socket(AF_INET, SOCK_DGRAM, 0);
		struct sockaddr_in ud = sin4("10.1.1.200", 9);
		show("udp connect 10.1.1.200:9", connect(uc, (struct sockaddr *)&ud, sizeof ud));
		print_name("  udp connected getsockname", uc, 0);
		close(uc);

		/* Linux inserts the local route of a new IPv6 address from a
		 * workqueue (even with IFA_F_NODAD), a moment after the ack; until
		 * then packets to it are sent but not delivered (a TCP connect
		 * then fails after a retransmit with ENETUNREACH). Wait, bounded,
		 * until a datagram sent to the address arrives. */
		{
			int p = socket(AF_INET6, SOCK_DGRAM, 0);
			struct sockaddr_in6 pa = sin6("2001:db8::1", 0);
			int ok = 0, tries = 0;
			if (bind(p, (struct sockaddr *)&pa, sizeof pa) < 0)
				printf("probe bind: -1 %s\n", errname(errno));
			socklen_t pl = sizeof pa;
			getsockname(p, (struct sockaddr *)&pa, &pl);
			for (; tries < 200 && !ok; tries++) {
				char b[4];
				struct pollfd pf = {.fd = p, .events = POLLIN};
				sendto(p, "p", 1, 0, (struct sockaddr *)&pa, sizeof pa);
				ok = poll(&pf, 1, 10) == 1 && recv(p, b, sizeof b, MSG_DONTWAIT) == 1;
			}
			printf("udp6 datagram to [2001:db8::1] delivered: %d\n", ok);
			close(p);
		}
		try_bind6("bind udp6 [2001:db8::1]", "2001:db8::1");
		try_bind6("bind udp6 [2001:db8::2]", "2001:db8::2");
		int l6 = socket(AF_INET6, SOCK_STREAM, 0);
		set_rcvtimeo(l6);
		struct sockaddr_in6 a6 = sin6("2001:db8::1", 7003);
		show("listener [2001:db8::1]:7003 bind", bind(l6, (struct sockaddr *)&a6, sizeof a6));
		show("listener [2001:db8::1]:7003 listen", listen(l6, 8));
		int c6 = socket(AF_INET6, SOCK_STREAM, 0);
		show("connect [2001:db8::1]:7003", connect(c6, (struct sockaddr *)&a6, sizeof a6));
		print_name("  client getsockname", c6, 0);
		a = accept(l6, NULL, NULL);
		showfd("  accept", a);
		print_name("  accepted getpeername", a, 1);
		close(a);
		close(c6);
		close(l6);

		/* --- 4. remove 10.1.1.1/24 --- */
		nl_addr("RTM_DELADDR 10.1.1.1/24 lo", RTM_DELADDR, 0, AF_INET, 1, "10.1.1.1", 24);
		nl_addr("RTM_DELADDR 10.1.1.1/24 lo again", RTM_DELADDR, 0, AF_INET, 1, "10.1.1.1", 24);
		try_bind4("bind tcp 10.1.1.9 after delete", SOCK_STREAM, "10.1.1.9");
		try_bind4("bind tcp 10.1.1.1 after delete", SOCK_STREAM, "10.1.1.1");
		c = socket(AF_INET, SOCK_STREAM, 0);
		d = sin4("10.1.1.1", 7000);
		show("connect 10.1.1.1:7000 after delete", connect(c, (struct sockaddr *)&d, sizeof d));
		close(c);
		print_name("listener 10.1.1.1:7000 getsockname after delete", l1, 0);
		ifconf("SIOCGIFCONF after delete", s, 400, 1);
		close(l1);
	}

	/* --- 5. set ioctls --- */
	set_mtu("SIOCSIFMTU lo 1500", s, 1500);
	get_mtu("SIOCGIFMTU lo after set", s);
	set_mtu("SIOCSIFMTU lo 65536", s, 65536);
	get_mtu("SIOCGIFMTU lo after restore", s);
	fflush(stdout);
	pid_t pid = fork();
	if (pid == 0) {
		drop_net_admin_child();
		fflush(stdout);
		_exit(0);
	}
	int st = -1;
	waitpid(pid, &st, 0);
	printf("child exited: %d status %d\n", WIFEXITED(st), WIFEXITED(st) ? WEXITSTATUS(st) : -1);
	get_mtu("SIOCGIFMTU lo after child", s);
	if (ifreq_ioctl(s, SIOCGIFFLAGS, "lo", &r) < 0) {
		printf("SIOCGIFFLAGS lo: -1 %s\n", errname(errno));
	} else {
		show("SIOCSIFFLAGS lo unchanged", ioctl(s, SIOCSIFFLAGS, &r));
		show_flags("SIOCGIFFLAGS lo after set", s, "lo");
	}
	close(s);

	/* --- 6. SIOCGIFCONF on an AF_UNIX socket --- */
	int us = socket(AF_UNIX, SOCK_DGRAM, 0);
	showfd("socket AF_UNIX SOCK_DGRAM", us);
	ifconf("SIOCGIFCONF AF_UNIX NULL", us, -1, 0);
	ifconf("SIOCGIFCONF AF_UNIX", us, 400, 1);
	show_flags("SIOCGIFFLAGS lo on AF_UNIX", us, "lo");
	close(us);

	printf("done\n");
	return 0;
}
