/* udp_pmtu.c - datagram sizes, IP_MTU_DISCOVER and local EMSGSIZE on lo.
 *
 * Checks: the IP_MTU_DISCOVER and IPV6_MTU_DISCOVER defaults; in each
 * mode, which payload sizes a UDP send on lo (MTU 65536) takes (IPv4:
 * 65507 passes, 65508 and 70000 fail; IPv6: 65527 passes unless DO holds
 * the datagram to the MTU); after a failure SO_ERROR (0), poll, and the
 * IP_RECVERR error-queue entry a local EMSGSIZE leaves (origin LOCAL,
 * ee_info the path MTU, the destination with port 0 for IPv4, the
 * destination's port for IPv6; none for the IPv4 send above 65535 bytes,
 * which udp_sendmsg refuses before building anything; none without
 * IP_RECVERR); IP_MTU and IPV6_MTU unconnected (ENOTCONN) and connected;
 * as root, the DF bit each mode gives an IPv4 packet (a raw socket's view),
 * and with lo's MTU lowered to 1500 (SIOCSIFMTU) the sizes each mode takes
 * (IPv4 DO: 1472 passes, 1473 fails; WANT and DONT fragment 2000; PROBE,
 * INTERFACE and OMIT hold to the device's MTU; IPv6 DO: 1452) and IP_MTU,
 * then 65507 again once it is back to 65536.
 * (From a helper's broader udp_send_paths.c, since reduced to
 * testdata/diff-pending/udp_icmp_peer.c.)
 */
/* spec: USEND-16 PMTU-02 PMTU-03 PMTU-07 ERR-09 */
#include "common.h"
#include <poll.h>
#include <netinet/ip.h>
#include <linux/errqueue.h>
#include <net/if.h>
#include <sys/ioctl.h>

#ifndef IP_PMTUDISC_PROBE
#define IP_PMTUDISC_PROBE 3
#endif
#ifndef IP_PMTUDISC_INTERFACE
#define IP_PMTUDISC_INTERFACE 4
#endif
#ifndef IP_PMTUDISC_OMIT
#define IP_PMTUDISC_OMIT 5
#endif

static char big[70000];
static int rx4, rx6, port4, port6;

static const char *portrel(int p, int same)
{
	return p == same ? "same" : p == 0 ? "0" : "other";
}


static void poll_now(const char *label, int fd)
{
	struct pollfd p = {fd, POLLIN | POLLOUT, 0};
	int r = poll(&p, 1, 0);
	printf("%s: %d%s%s%s\n", label, r, p.revents & POLLIN ? " POLLIN" : "",
	       p.revents & POLLOUT ? " POLLOUT" : "", p.revents & POLLERR ? " POLLERR" : "");
}

/* errq reads one error-queue entry of fd and prints it on two lines; port
 * is the destination port the entry's addresses are compared with. */
static void errq(const char *label, int fd, int port)
{
	struct sockaddr_storage name;
	char ctl[512];
	char data[64];
	struct iovec iov = {data, sizeof data};
	struct msghdr m = {.msg_name = &name, .msg_namelen = sizeof name, .msg_iov = &iov, .msg_iovlen = 1,
			   .msg_control = ctl, .msg_controllen = sizeof ctl};
	memset(&name, 0, sizeof name);
	ssize_t n = recvmsg(fd, &m, MSG_ERRQUEUE | MSG_DONTWAIT);
	if (n < 0) {
		printf("%s: -1 %s\n", label, errname(errno));
		return;
	}
	char ab[80];
	printf("%s: %zd flags=%s%s name=", label, n, m.msg_flags & MSG_ERRQUEUE ? "ERRQUEUE" : "0",
	       m.msg_flags & MSG_CTRUNC ? "|CTRUNC" : "");
	if (m.msg_namelen == 0)
		printf("none");
	else
		printf("%s port=%s", fmt_addr(&name, ab, sizeof ab), portrel(sa_port(&name), port));
	printf("\n");
	int i = 0;
	for (struct cmsghdr *c = CMSG_FIRSTHDR(&m); c; c = CMSG_NXTHDR(&m, c), i++) {
		printf("%s cmsg%d: %s %s", label, i, level_name(c->cmsg_level), type_name(c->cmsg_level, c->cmsg_type));
		if ((c->cmsg_level == SOL_IP && c->cmsg_type == IP_RECVERR) ||
		    (c->cmsg_level == SOL_IPV6 && c->cmsg_type == IPV6_RECVERR)) {
			struct sock_extended_err ee;
			memcpy(&ee, CMSG_DATA(c), sizeof ee);
			const struct sockaddr *off = SO_EE_OFFENDER((struct sock_extended_err *)CMSG_DATA(c));
			printf(" errno=%s origin=%s type=%u code=%u info=%u data=%u offender=%s",
			       ee.ee_errno ? errname(ee.ee_errno) : "0", ee_origin_name(ee.ee_origin), ee.ee_type,
			       ee.ee_code, ee.ee_info, ee.ee_data,
			       off->sa_family == AF_UNSPEC ? "AF_UNSPEC" : fmt_addr(off, ab, sizeof ab));
		}
		printf("\n");
	}
	if (i == 0)
		printf("%s cmsgs: none\n", label);
}

/* try_sizes sends each size from a fresh socket in mode to dst (v4 or v6)
 * and reports the result, the receiver's queue, and after a failure
 * SO_ERROR, poll and the error queue. */
static void try_sizes(const char *pfx, int family, int mode, int recverr, const int *sizes, int nsizes)
{
	char l[160];
	int v6 = family == AF_INET6;
	int s = socket(family, SOCK_DGRAM, 0);
	set_int(s, SOL_SOCKET, SO_SNDBUF, 1 << 20);
	snprintf(l, sizeof l, "%s set %s", pfx, pmtu_mode_name(mode));
	show(l, v6 ? set_int(s, SOL_IPV6, IPV6_MTU_DISCOVER, mode) : set_int(s, SOL_IP, IP_MTU_DISCOVER, mode));
	if (recverr)
		v6 ? set_int(s, SOL_IPV6, IPV6_RECVERR, 1) : set_int(s, SOL_IP, IP_RECVERR, 1);
	struct sockaddr_in d4 = sin4("127.0.0.1", port4);
	struct sockaddr_in6 d6 = sin6("::1", port6);
	for (int i = 0; i < nsizes; i++) {
		long r = v6 ? sendto(s, big, sizes[i], 0, (struct sockaddr *)&d6, sizeof d6)
			    : sendto(s, big, sizes[i], 0, (struct sockaddr *)&d4, sizeof d4);
		int e = errno;
		snprintf(l, sizeof l, "%s sendto %d", pfx, sizes[i]);
		errno = e;
		show(l, r);
		if (r >= 0) {
			snprintf(l, sizeof l, "%s rx %d", pfx, sizes[i]);
			show_datagrams(l, v6 ? rx6 : rx4);
			continue;
		}
		snprintf(l, sizeof l, "%s poll after %d", pfx, sizes[i]);
		poll_now(l, s);
		snprintf(l, sizeof l, "%s SO_ERROR after %d", pfx, sizes[i]);
		get_int(l, s, SOL_SOCKET, SO_ERROR);
		snprintf(l, sizeof l, "%s errqueue after %d", pfx, sizes[i]);
		errq(l, s, v6 ? port6 : port4);
		snprintf(l, sizeof l, "%s errqueue again after %d", pfx, sizes[i]);
		errq(l, s, v6 ? port6 : port4);
	}
	close(s);
}

static void conn_mtu(const char *pfx, int family)
{
	char l[160];
	int s = socket(family, SOCK_DGRAM, 0);
	struct sockaddr_in d4 = sin4("127.0.0.1", port4);
	struct sockaddr_in6 d6 = sin6("::1", port6);
	snprintf(l, sizeof l, "%s IP_MTU unconnected", pfx);
	get_int(l, s, SOL_IP, IP_MTU);
	snprintf(l, sizeof l, "%s connect", pfx);
	show(l, family == AF_INET6 ? connect(s, (struct sockaddr *)&d6, sizeof d6)
				   : connect(s, (struct sockaddr *)&d4, sizeof d4));
	if (family == AF_INET6) {
		snprintf(l, sizeof l, "%s IPV6_MTU", pfx);
		get_int(l, s, SOL_IPV6, IPV6_MTU);
	} else {
		snprintf(l, sizeof l, "%s IP_MTU", pfx);
		get_int(l, s, SOL_IP, IP_MTU);
	}
	close(s);
}

/* df_bits sends a 2-byte datagram in each IP_MTU_DISCOVER mode and shows
 * the DF and MF bits of the IPv4 packet a raw IPPROTO_UDP socket sees
 * (ip_dont_fragment: DF under WANT, DO and PROBE). Root only. */
static void df_bits(void)
{
	int raw = socket(AF_INET, SOCK_RAW, IPPROTO_UDP);
	if (raw < 0) {
		printf("df raw socket: -1 %s\n", errname(errno));
		return;
	}
	struct sockaddr_in d4 = sin4("127.0.0.1", port4);
	for (int m = -1; m <= 5; m++) {
		char l[80];
		int s = socket(AF_INET, SOCK_DGRAM, 0);
		if (m >= 0)
			set_int(s, SOL_IP, IP_MTU_DISCOVER, m);
		else
			set_int(s, SOL_IP, IP_TTL, 64); /* the default mode (WANT) stays */
		snprintf(l, sizeof l, "df %s sendto", pmtu_mode_name(m));
		show(l, sendto(s, "df", 2, 0, (struct sockaddr *)&d4, sizeof d4));
		int seen = 0;
		for (int i = 0; i < 32 && !seen; i++) {
			struct pollfd p = {raw, POLLIN, 0};
			if (poll(&p, 1, 500) <= 0)
				break;
			char b[256];
			ssize_t n = recv(raw, b, sizeof b, MSG_DONTWAIT);
			struct iphdr ih;
			if (n < (ssize_t)sizeof ih + 8)
				continue;
			memcpy(&ih, b, sizeof ih);
			unsigned short dport;
			memcpy(&dport, b + ih.ihl * 4 + 2, 2);
			if (ntohs(dport) != port4)
				continue;
			unsigned fo = ntohs(ih.frag_off);
			printf("df %s raw: len=%u df=%d mf=%d\n", pmtu_mode_name(m), ntohs(ih.tot_len), !!(fo & IP_DF), !!(fo & IP_MF));
			seen = 1;
		}
		if (!seen)
			printf("df %s raw: none\n", pmtu_mode_name(m));
		snprintf(l, sizeof l, "df %s rx", pmtu_mode_name(m));
		show_datagrams(l, rx4);
		close(s);
	}
	close(raw);
}

/* set_lo_mtu sets lo's MTU with SIOCSIFMTU (root) and shows it. */
static void set_lo_mtu(const char *label, int mtu)
{
	int fd = socket(AF_INET, SOCK_DGRAM, 0);
	struct ifreq r;
	memset(&r, 0, sizeof r);
	strcpy(r.ifr_name, "lo");
	r.ifr_mtu = mtu;
	show(label, ioctl(fd, SIOCSIFMTU, &r));
	memset(&r, 0, sizeof r);
	strcpy(r.ifr_name, "lo");
	if (ioctl(fd, SIOCGIFMTU, &r) < 0)
		printf("%s read back: -1 %s\n", label, errname(errno));
	else
		printf("%s read back: %d\n", label, r.ifr_mtu);
	close(fd);
}

/* lo_mtu lowers lo's MTU to 1500: sizes and IP_MTU follow it. */
static void lo_mtu(void)
{
	set_lo_mtu("pmtu SIOCSIFMTU lo 1500", 1500);
	static const int m4[] = {1472, 1473, 2000};
	try_sizes("pmtu 1500 DO", AF_INET, IP_PMTUDISC_DO, 1, m4, 3);
	try_sizes("pmtu 1500 WANT", AF_INET, IP_PMTUDISC_WANT, 1, m4 + 2, 1);
	try_sizes("pmtu 1500 DONT", AF_INET, IP_PMTUDISC_DONT, 1, m4 + 2, 1);
	try_sizes("pmtu 1500 PROBE", AF_INET, IP_PMTUDISC_PROBE, 1, m4 + 1, 1);
	try_sizes("pmtu 1500 INTERFACE", AF_INET, IP_PMTUDISC_INTERFACE, 1, m4 + 1, 1);
	try_sizes("pmtu 1500 OMIT", AF_INET, IP_PMTUDISC_OMIT, 1, m4 + 1, 1);
	conn_mtu("pmtu 1500 v4", AF_INET);
	static const int m6[] = {1452, 1453, 2000};
	try_sizes("pmtu 1500 v6 DO", AF_INET6, IP_PMTUDISC_DO, 1, m6, 3);
	try_sizes("pmtu 1500 v6 WANT", AF_INET6, IP_PMTUDISC_WANT, 1, m6 + 2, 1);
	conn_mtu("pmtu 1500 v6", AF_INET6);
	set_lo_mtu("pmtu SIOCSIFMTU lo 65536", 65536);
	static const int back[] = {65507};
	try_sizes("pmtu back to 65536 DO", AF_INET, IP_PMTUDISC_DO, 1, back, 1);
}

int main(void)
{
	common_init();
	rx4 = socket(AF_INET, SOCK_DGRAM, 0);
	bind_port0(rx4, AF_INET, "127.0.0.1");
	port4 = local_port(rx4);
	set_int(rx4, SOL_SOCKET, SO_RCVBUF, 1 << 20);
	rx6 = socket(AF_INET6, SOCK_DGRAM, 0);
	bind_port0(rx6, AF_INET6, "::1");
	port6 = local_port(rx6);
	set_int(rx6, SOL_SOCKET, SO_RCVBUF, 1 << 20);

	int s = socket(AF_INET, SOCK_DGRAM, 0);
	get_int("pmtu IP_MTU_DISCOVER default", s, SOL_IP, IP_MTU_DISCOVER);
	close(s);
	s = socket(AF_INET6, SOCK_DGRAM, 0);
	get_int("pmtu IPV6_MTU_DISCOVER default", s, SOL_IPV6, IPV6_MTU_DISCOVER);
	close(s);

	static const int lo4[] = {65507, 65508, 70000};
	try_sizes("pmtu lo WANT", AF_INET, IP_PMTUDISC_WANT, 1, lo4, 3);
	try_sizes("pmtu lo DO", AF_INET, IP_PMTUDISC_DO, 1, lo4, 3);
	try_sizes("pmtu lo DONT", AF_INET, IP_PMTUDISC_DONT, 1, lo4, 2);
	try_sizes("pmtu lo OMIT", AF_INET, IP_PMTUDISC_OMIT, 1, lo4 + 1, 1);
	try_sizes("pmtu lo DO norecverr", AF_INET, IP_PMTUDISC_DO, 0, lo4 + 1, 1);
	conn_mtu("pmtu lo v4", AF_INET);
	static const int lo6[] = {65488, 65489, 65527, 65528, 70000};
	try_sizes("pmtu lo v6 WANT", AF_INET6, IP_PMTUDISC_WANT, 1, lo6 + 2, 3);
	try_sizes("pmtu lo v6 DO", AF_INET6, IP_PMTUDISC_DO, 1, lo6, 4);
	try_sizes("pmtu lo v6 DONT", AF_INET6, IP_PMTUDISC_DONT, 1, lo6 + 2, 2);
	conn_mtu("pmtu lo v6", AF_INET6);
	if (geteuid() == 0) {
		df_bits();
		lo_mtu();
	}
	return 0;
}
