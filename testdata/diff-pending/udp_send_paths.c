/* udp_send_paths.c - how UDP sends are routed, corked, sized and
 * checksummed: SO_DONTROUTE/MSG_DONTROUTE, UDP_CORK, IP_MTU_DISCOVER with
 * local EMSGSIZE errors, ICMP fragmentation-needed, and SO_NO_CHECK.
 *
 * Checks: MSG_DONTROUTE and SO_DONTROUTE to 127.0.0.1 and [::1] (sent and
 * received), to an address with no route at all (ENETUNREACH with and
 * without the flag), to a link-scope route (dev lo scope link, added with
 * rtnetlink: allowed) and to a universe-scope route (dev lo scope global:
 * plain send allowed, DONTROUTE ENETUNREACH); UDP_CORK on IPv4 and IPv6
 * (getsockopt while corked, nothing delivered while corked, one datagram
 * of the total length on uncork, the first send's destination kept, a
 * connected socket, uncork with nothing pending, a corked total above
 * 65507: EMSGSIZE and the pending data dropped); IP_MTU_DISCOVER modes on
 * lo (MTU 65536): payloads of 65507 and 65508 bytes and 70000 bytes, the
 * IP_RECVERR error-queue entry a local EMSGSIZE leaves (origin LOCAL,
 * ee_info = MTU, msg_name), SO_ERROR and POLLERR next to it, no entry
 * without IP_RECVERR; IP_MTU on a connected socket; the same with lo's MTU
 * lowered to 1500 (DO: 1472 passes, 1473 fails; WANT and DONT fragment a
 * 2000-byte datagram, which arrives whole; IP_MTU 1500), and IPv6
 * (IPV6_MTU_DISCOVER, IPV6_RECVERR, IPV6_MTU); an ICMP fragmentation-needed
 * (MTU 1200) injected with a raw socket for a connected socket in DONT,
 * WANT and DO mode, each to its own 127.0.0.x (pending EMSGSIZE and POLLERR
 * except under DONT, IP_MTU 1200 in every mode, sends above 1172 bytes
 * failing only under DO); SO_NO_CHECK set/get and, when
 * run as root, what a raw IPPROTO_UDP socket sees (checksum zero or not, DF
 * bit); the BSD SO_NOSIGPIPE option number (0x1022) on Linux.
 *
 * Ports are never printed: error-queue addresses print port=same (the
 * receiver's), port=0 or port=other.
 */
/* spec: USEND-09 FLAG-03 SO-09 USEND-12 PO-01 USEND-16 PMTU-02 PMTU-03 PMTU-07 ERR-09 */
/* spec: USEND-17 SO-16 SO-24 */
#include "common.h"
#include <poll.h>
#include <net/if.h>
#include <netinet/ip.h>
#include <netinet/ip_icmp.h>
#include <netinet/udp.h>
#include <sys/ioctl.h>
#include <linux/errqueue.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>

#ifndef UDP_CORK
#define UDP_CORK 1
#endif
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
static char rbuf[70000];
static int rx4, rx6, port4, port6;
static int rawfd = -1;

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

static const char *origin_name(int o)
{
	switch (o) {
	case SO_EE_ORIGIN_NONE: return "NONE";
	case SO_EE_ORIGIN_LOCAL: return "LOCAL";
	case SO_EE_ORIGIN_ICMP: return "ICMP";
	case SO_EE_ORIGIN_ICMP6: return "ICMP6";
	}
	return "?";
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
			       ee.ee_errno ? errname(ee.ee_errno) : "0", origin_name(ee.ee_origin), ee.ee_type,
			       ee.ee_code, ee.ee_info, ee.ee_data,
			       off->sa_family == AF_UNSPEC ? "AF_UNSPEC" : fmt_addr(off, ab, sizeof ab));
		}
		printf("\n");
	}
	if (i == 0)
		printf("%s cmsgs: none\n", label);
}

/* ---------- raw IPPROTO_UDP observer (root only) ---------- */

/* raw_see waits up to 500 ms for the next datagram to dport on the raw
 * socket and prints its IP length, DF/MF bits and whether the UDP
 * checksum field is zero. */
static void raw_see(const char *label, int dport)
{
	if (rawfd < 0)
		return;
	for (int i = 0; i < 32; i++) {
		struct pollfd p = {rawfd, POLLIN, 0};
		if (poll(&p, 1, 500) <= 0)
			break;
		ssize_t n = recv(rawfd, rbuf, sizeof rbuf, MSG_DONTWAIT);
		if (n < (ssize_t)(sizeof(struct iphdr) + sizeof(struct udphdr)))
			continue;
		struct iphdr ih;
		struct udphdr uh;
		memcpy(&ih, rbuf, sizeof ih);
		memcpy(&uh, rbuf + ih.ihl * 4, sizeof uh);
		if (ntohs(uh.dest) != dport)
			continue;
		unsigned fo = ntohs(ih.frag_off);
		printf("%s: len=%u df=%d mf=%d off=%u csum=%s\n", label, ntohs(ih.tot_len), !!(fo & IP_DF),
		       !!(fo & IP_MF), fo & IP_OFFMASK, uh.check ? "nonzero" : "zero");
		return;
	}
	printf("%s: none\n", label);
}

/* ---------- routes and MTU ---------- */

/* rt_add adds dst/plen dev ifindex with the given scope (RTM_NEWROUTE) and
 * prints the ack's error. */
static void rt_add(const char *label, const char *dst, int plen, int scope, int ifindex)
{
	struct {
		struct nlmsghdr nh;
		struct rtmsg rt;
		char attrs[64];
	} req;
	memset(&req, 0, sizeof req);
	req.nh.nlmsg_len = NLMSG_LENGTH(sizeof(struct rtmsg));
	req.nh.nlmsg_type = RTM_NEWROUTE;
	req.nh.nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK | NLM_F_CREATE | NLM_F_EXCL;
	req.nh.nlmsg_seq = 1;
	req.rt.rtm_family = AF_INET;
	req.rt.rtm_dst_len = plen;
	req.rt.rtm_table = RT_TABLE_MAIN;
	req.rt.rtm_protocol = RTPROT_BOOT;
	req.rt.rtm_scope = scope;
	req.rt.rtm_type = RTN_UNICAST;
	struct rtattr *rta = (struct rtattr *)((char *)&req + NLMSG_ALIGN(req.nh.nlmsg_len));
	rta->rta_type = RTA_DST;
	rta->rta_len = RTA_LENGTH(4);
	inet_pton(AF_INET, dst, RTA_DATA(rta));
	req.nh.nlmsg_len = NLMSG_ALIGN(req.nh.nlmsg_len) + RTA_ALIGN(rta->rta_len);
	rta = (struct rtattr *)((char *)&req + NLMSG_ALIGN(req.nh.nlmsg_len));
	rta->rta_type = RTA_OIF;
	rta->rta_len = RTA_LENGTH(4);
	memcpy(RTA_DATA(rta), &ifindex, 4);
	req.nh.nlmsg_len = NLMSG_ALIGN(req.nh.nlmsg_len) + RTA_ALIGN(rta->rta_len);

	int s = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
	if (s < 0) {
		printf("%s: socket -1 %s\n", label, errname(errno));
		return;
	}
	struct timeval tv = {2, 0};
	setsockopt(s, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
	struct sockaddr_nl k = {.nl_family = AF_NETLINK};
	if (sendto(s, &req, req.nh.nlmsg_len, 0, (struct sockaddr *)&k, sizeof k) < 0) {
		printf("%s: sendto -1 %s\n", label, errname(errno));
		close(s);
		return;
	}
	char buf[1024];
	ssize_t n = recv(s, buf, sizeof buf, 0);
	struct nlmsghdr *h = (struct nlmsghdr *)buf;
	if (n < (ssize_t)NLMSG_LENGTH(sizeof(struct nlmsgerr)) || h->nlmsg_type != NLMSG_ERROR) {
		printf("%s: no ack (%zd)\n", label, n);
	} else {
		struct nlmsgerr *e = NLMSG_DATA(h);
		printf("%s: %s\n", label, e->error ? errname(-e->error) : "0");
	}
	close(s);
}

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

/* ---------- SO_DONTROUTE / MSG_DONTROUTE ---------- */

static void dontroute(void)
{
	struct sockaddr_in lo4 = sin4("127.0.0.1", port4);
	struct sockaddr_in6 lo6 = sin6("::1", port6);
	struct sockaddr_in none = sin4("192.0.2.1", 9);
	struct sockaddr_in link = sin4("198.51.100.1", 9);
	struct sockaddr_in univ = sin4("203.0.113.1", 9);
	struct sockaddr_in6 none6 = sin6("2001:db8::1", 9);
	int lo = if_nametoindex("lo");

	int s = socket(AF_INET, SOCK_DGRAM, 0);
	show("dr MSG_DONTROUTE to 127.0.0.1", sendto(s, "dr1", 3, MSG_DONTROUTE, (struct sockaddr *)&lo4, sizeof lo4));
	show_datagrams("dr rx after MSG_DONTROUTE", rx4);
	show("dr MSG_DONTROUTE no route", sendto(s, "x", 1, MSG_DONTROUTE, (struct sockaddr *)&none, sizeof none));
	show("dr plain no route", sendto(s, "x", 1, 0, (struct sockaddr *)&none, sizeof none));
	get_int("dr SO_DONTROUTE default", s, SOL_SOCKET, SO_DONTROUTE);
	show("dr set SO_DONTROUTE 1", set_int(s, SOL_SOCKET, SO_DONTROUTE, 1));
	get_int("dr SO_DONTROUTE", s, SOL_SOCKET, SO_DONTROUTE);
	show("dr SO_DONTROUTE to 127.0.0.1", sendto(s, "dr2", 3, 0, (struct sockaddr *)&lo4, sizeof lo4));
	show_datagrams("dr rx after SO_DONTROUTE", rx4);
	show("dr SO_DONTROUTE no route", sendto(s, "x", 1, 0, (struct sockaddr *)&none, sizeof none));

	int c = socket(AF_INET, SOCK_DGRAM, 0);
	set_int(c, SOL_SOCKET, SO_DONTROUTE, 1);
	show("dr SO_DONTROUTE connect no route", connect(c, (struct sockaddr *)&none, sizeof none));
	show("dr SO_DONTROUTE connect 127.0.0.1", connect(c, (struct sockaddr *)&lo4, sizeof lo4));
	show("dr SO_DONTROUTE connected send", send(c, "dr3", 3, 0));
	show_datagrams("dr rx after connected send", rx4);
	close(c);

	int s6 = socket(AF_INET6, SOCK_DGRAM, 0);
	show("dr v6 MSG_DONTROUTE to ::1", sendto(s6, "dr6", 3, MSG_DONTROUTE, (struct sockaddr *)&lo6, sizeof lo6));
	show("dr v6 MSG_DONTROUTE no route",
	     sendto(s6, "x", 1, MSG_DONTROUTE, (struct sockaddr *)&none6, sizeof none6));
	show("dr v6 set SO_DONTROUTE 1", set_int(s6, SOL_SOCKET, SO_DONTROUTE, 1));
	show("dr v6 SO_DONTROUTE to ::1", sendto(s6, "dr7", 3, 0, (struct sockaddr *)&lo6, sizeof lo6));
	show_datagrams("dr rx6 after v6 sends", rx6);
	close(s6);

	/* Routes through lo that are not local: a link-scope one is "directly
	 * connected", a universe-scope one is not. */
	rt_add("dr route add 198.51.100.0/24 dev lo scope link", "198.51.100.0", 24, RT_SCOPE_LINK, lo);
	rt_add("dr route add 203.0.113.0/24 dev lo scope global", "203.0.113.0", 24, RT_SCOPE_UNIVERSE, lo);
	int p = socket(AF_INET, SOCK_DGRAM, 0);
	show("dr plain to link route", sendto(p, "x", 1, 0, (struct sockaddr *)&link, sizeof link));
	show("dr MSG_DONTROUTE to link route", sendto(p, "x", 1, MSG_DONTROUTE, (struct sockaddr *)&link, sizeof link));
	show("dr plain to global route", sendto(p, "x", 1, 0, (struct sockaddr *)&univ, sizeof univ));
	show("dr MSG_DONTROUTE to global route",
	     sendto(p, "x", 1, MSG_DONTROUTE, (struct sockaddr *)&univ, sizeof univ));
	show("dr SO_DONTROUTE to link route", sendto(s, "x", 1, 0, (struct sockaddr *)&link, sizeof link));
	show("dr SO_DONTROUTE to global route", sendto(s, "x", 1, 0, (struct sockaddr *)&univ, sizeof univ));
	int c2 = socket(AF_INET, SOCK_DGRAM, 0);
	set_int(c2, SOL_SOCKET, SO_DONTROUTE, 1);
	show("dr SO_DONTROUTE connect global route", connect(c2, (struct sockaddr *)&univ, sizeof univ));
	show("dr SO_DONTROUTE connect link route", connect(c2, (struct sockaddr *)&link, sizeof link));
	show("dr set SO_DONTROUTE 0", set_int(s, SOL_SOCKET, SO_DONTROUTE, 0));
	show("dr SO_DONTROUTE off to global route", sendto(s, "x", 1, 0, (struct sockaddr *)&univ, sizeof univ));
	close(c2);
	close(p);
	close(s);
}

/* ---------- UDP_CORK ---------- */

static void cork(void)
{
	struct sockaddr_in d4 = sin4("127.0.0.1", port4);
	struct sockaddr_in6 d6 = sin6("::1", port6);
	int other = socket(AF_INET, SOCK_DGRAM, 0);
	bind_port0(other, AF_INET, "127.0.0.1");
	struct sockaddr_in d4b = sin4("127.0.0.1", local_port(other));

	int s = socket(AF_INET, SOCK_DGRAM, 0);
	show("cork set 1", set_int(s, SOL_UDP, UDP_CORK, 1));
	get_int("cork get while corked", s, SOL_UDP, UDP_CORK);
	show("cork sendto abc", sendto(s, "abc", 3, 0, (struct sockaddr *)&d4, sizeof d4));
	show("cork sendto def", sendto(s, "def", 3, 0, (struct sockaddr *)&d4, sizeof d4));
	show("cork sendto ghi other dest", sendto(s, "ghi", 3, 0, (struct sockaddr *)&d4b, sizeof d4b));
	show("cork sendto MSG_MORE jk", sendto(s, "jk", 2, MSG_MORE, (struct sockaddr *)&d4, sizeof d4));
	show_datagrams("cork rx while corked", rx4);
	show("cork set 0", set_int(s, SOL_UDP, UDP_CORK, 0));
	get_int("cork get after uncork", s, SOL_UDP, UDP_CORK);
	show_datagrams("cork rx after uncork", rx4);
	show_datagrams("cork other dest rx", other);

	show("cork set 1 again", set_int(s, SOL_UDP, UDP_CORK, 1));
	show("cork set 0 with nothing pending", set_int(s, SOL_UDP, UDP_CORK, 0));
	show_datagrams("cork rx after empty uncork", rx4);

	show("cork set 2", set_int(s, SOL_UDP, UDP_CORK, 2));
	get_int("cork get after set 2", s, SOL_UDP, UDP_CORK);
	show("cork sendto lm", sendto(s, "lm", 2, 0, (struct sockaddr *)&d4, sizeof d4));
	show("cork sendto 0 bytes", sendto(s, "", 0, 0, (struct sockaddr *)&d4, sizeof d4));
	show_datagrams("cork rx after 0-byte send", rx4);
	show("cork set 0 again", set_int(s, SOL_UDP, UDP_CORK, 0));
	show_datagrams("cork rx after uncork 2", rx4);

	/* Corked total above the datagram limit. */
	set_int(s, SOL_SOCKET, SO_SNDBUF, 1 << 20);
	show("cork big set 1", set_int(s, SOL_UDP, UDP_CORK, 1));
	show("cork big sendto 40000", sendto(s, big, 40000, 0, (struct sockaddr *)&d4, sizeof d4));
	show("cork big sendto 30000", sendto(s, big, 30000, 0, (struct sockaddr *)&d4, sizeof d4));
	show("cork big sendto no", sendto(s, "no", 2, 0, (struct sockaddr *)&d4, sizeof d4));
	show("cork big set 0", set_int(s, SOL_UDP, UDP_CORK, 0));
	show_datagrams("cork rx after too big", rx4);
	close(s);

	int c = socket(AF_INET, SOCK_DGRAM, 0);
	show("cork conn connect", connect(c, (struct sockaddr *)&d4, sizeof d4));
	show("cork conn set 1", set_int(c, SOL_UDP, UDP_CORK, 1));
	show("cork conn send pq", send(c, "pq", 2, 0));
	show("cork conn write rs", write(c, "rs", 2));
	show_datagrams("cork conn rx while corked", rx4);
	show("cork conn set 0", set_int(c, SOL_UDP, UDP_CORK, 0));
	show_datagrams("cork conn rx after uncork", rx4);
	close(c);

	int s6 = socket(AF_INET6, SOCK_DGRAM, 0);
	show("cork v6 set 1", set_int(s6, SOL_UDP, UDP_CORK, 1));
	get_int("cork v6 get", s6, SOL_UDP, UDP_CORK);
	show("cork v6 sendto tu", sendto(s6, "tu", 2, 0, (struct sockaddr *)&d6, sizeof d6));
	show("cork v6 sendto vw", sendto(s6, "vw", 2, 0, (struct sockaddr *)&d6, sizeof d6));
	show_datagrams("cork v6 rx while corked", rx6);
	show("cork v6 set 0", set_int(s6, SOL_UDP, UDP_CORK, 0));
	show_datagrams("cork v6 rx after uncork", rx6);
	close(s6);
	close(other);
}

/* ---------- IP_MTU_DISCOVER and local EMSGSIZE ---------- */

static const char *mode_name(int m)
{
	static const char *n[] = {"DONT", "WANT", "DO", "PROBE", "INTERFACE", "OMIT"};
	return m >= 0 && m <= 5 ? n[m] : "?";
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
	snprintf(l, sizeof l, "%s set %s", pfx, mode_name(mode));
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

static void pmtu(void)
{
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
	try_sizes("pmtu lo DO norecverr", AF_INET, IP_PMTUDISC_DO, 0, lo4 + 1, 1);
	conn_mtu("pmtu lo v4", AF_INET);
	static const int lo6[] = {65527, 65528, 70000};
	try_sizes("pmtu lo v6 WANT", AF_INET6, IP_PMTUDISC_WANT, 1, lo6, 3);
	try_sizes("pmtu lo v6 DO", AF_INET6, IP_PMTUDISC_DO, 1, lo6, 2);
	conn_mtu("pmtu lo v6", AF_INET6);

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
}

/* ---------- injected ICMP fragmentation needed ---------- */

/* frag_needed sends an ICMP 3/4 (next-hop MTU mtu) to 127.0.0.1 that
 * quotes a UDP datagram from 127.0.0.1:sport to dst:dport. */
static long frag_needed(const char *dst, int sport, int dport, int mtu)
{
	int r = socket(AF_INET, SOCK_RAW, IPPROTO_ICMP);
	if (r < 0)
		return -1;
	unsigned char b[8 + 20 + 8];
	memset(b, 0, sizeof b);
	struct icmphdr *ic = (struct icmphdr *)b;
	ic->type = ICMP_DEST_UNREACH;
	ic->code = ICMP_FRAG_NEEDED;
	ic->un.frag.mtu = htons(mtu);
	struct iphdr ih = {.ihl = 5, .version = 4, .tot_len = htons(2000), .frag_off = htons(IP_DF), .ttl = 64,
			   .protocol = IPPROTO_UDP};
	ih.saddr = htonl(INADDR_LOOPBACK);
	inet_pton(AF_INET, dst, &ih.daddr);
	ih.check = cksum(&ih, sizeof ih, 0);
	memcpy(b + 8, &ih, sizeof ih);
	struct udphdr uh = {.source = htons(sport), .dest = htons(dport), .len = htons(1980)};
	memcpy(b + 28, &uh, sizeof uh);
	ic->checksum = cksum(b, sizeof b, 0);
	struct sockaddr_in to = sin4("127.0.0.1", 0);
	long n = sendto(r, b, sizeof b, 0, (struct sockaddr *)&to, sizeof to);
	int e = errno;
	close(r);
	errno = e;
	return n;
}

/* icmp_pmtu connects a socket in mode to dst (each test its own, as the
 * learned MTU is kept per destination), sends 1400 bytes, injects a
 * fragmentation-needed with MTU 1200 for it and shows what changed. */
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
	show(l, frag_needed(dst, local_port(s), port4, 1200));
	usleep(200000);
	snprintf(l, sizeof l, "%s poll after icmp", pfx);
	poll_now(l, s);
	snprintf(l, sizeof l, "%s SO_ERROR after icmp", pfx);
	get_int(l, s, SOL_SOCKET, SO_ERROR);
	snprintf(l, sizeof l, "%s IP_MTU after icmp", pfx);
	get_int(l, s, SOL_IP, IP_MTU);
	snprintf(l, sizeof l, "%s send 1400 after icmp", pfx);
	show(l, send(s, big, 1400, 0));
	snprintf(l, sizeof l, "%s send 1172 after icmp", pfx);
	show(l, send(s, big, 1172, 0));
	snprintf(l, sizeof l, "%s send 1173 after icmp", pfx);
	show(l, send(s, big, 1173, 0));
	snprintf(l, sizeof l, "%s rx after icmp", pfx);
	show_datagrams(l, rx4);
	close(s);
}

/* ---------- SO_NO_CHECK and the raw view ---------- */

static void nocheck(void)
{
	struct sockaddr_in d4 = sin4("127.0.0.1", port4);
	int s = socket(AF_INET, SOCK_DGRAM, 0);
	get_int("nocheck default", s, SOL_SOCKET, SO_NO_CHECK);
	show("nocheck sendto plain", sendto(s, "ck0", 3, 0, (struct sockaddr *)&d4, sizeof d4));
	raw_see("nocheck raw plain", port4);
	show_datagrams("nocheck rx plain", rx4);
	show("nocheck set 1", set_int(s, SOL_SOCKET, SO_NO_CHECK, 1));
	get_int("nocheck get", s, SOL_SOCKET, SO_NO_CHECK);
	show("nocheck sendto", sendto(s, "ck1", 3, 0, (struct sockaddr *)&d4, sizeof d4));
	raw_see("nocheck raw", port4);
	show_datagrams("nocheck rx", rx4);
	show("nocheck set 0", set_int(s, SOL_SOCKET, SO_NO_CHECK, 0));
	get_int("nocheck get after 0", s, SOL_SOCKET, SO_NO_CHECK);
	close(s);

	/* The DF bit per IP_MTU_DISCOVER mode. */
	for (int m = 0; m <= 5; m++) {
		char l[80];
		s = socket(AF_INET, SOCK_DGRAM, 0);
		set_int(s, SOL_IP, IP_MTU_DISCOVER, m);
		snprintf(l, sizeof l, "df %s sendto", mode_name(m));
		show(l, sendto(s, "df", 2, 0, (struct sockaddr *)&d4, sizeof d4));
		snprintf(l, sizeof l, "df %s raw", mode_name(m));
		raw_see(l, port4);
		snprintf(l, sizeof l, "df %s rx", mode_name(m));
		show_datagrams(l, rx4);
		close(s);
	}

	int s6 = socket(AF_INET6, SOCK_DGRAM, 0);
	show("nocheck v6 set 1", set_int(s6, SOL_SOCKET, SO_NO_CHECK, 1));
	get_int("nocheck v6 get", s6, SOL_SOCKET, SO_NO_CHECK);
	close(s6);

	/* SO_NOSIGPIPE is BSD's (0x1022 there); Linux has no such option. */
	s = socket(AF_INET, SOCK_DGRAM, 0);
	show("setsockopt SOL_SOCKET 0x1022 (BSD SO_NOSIGPIPE)", set_int(s, SOL_SOCKET, 0x1022, 1));
	int v;
	socklen_t vl = sizeof v;
	show("getsockopt SOL_SOCKET 0x1022 (BSD SO_NOSIGPIPE)", getsockopt(s, SOL_SOCKET, 0x1022, &v, &vl));
	close(s);
}

int main(void)
{
	common_init();
	memset(big, 'z', sizeof big);
	rx4 = socket(AF_INET, SOCK_DGRAM, 0);
	bind_port0(rx4, AF_INET, "0.0.0.0");
	port4 = local_port(rx4);
	rx6 = socket(AF_INET6, SOCK_DGRAM, 0);
	set_int(rx6, SOL_IPV6, IPV6_V6ONLY, 1);
	bind_port0(rx6, AF_INET6, "::");
	port6 = local_port(rx6);
	set_int(rx4, SOL_SOCKET, SO_RCVBUF, 1 << 20);
	set_int(rx6, SOL_SOCKET, SO_RCVBUF, 1 << 20);

	int root = geteuid() == 0;
	printf("running as root: %s\n", root ? "yes" : "no");
	if (root) {
		rawfd = socket(AF_INET, SOCK_RAW, IPPROTO_UDP);
		showfd("raw IPPROTO_UDP socket", rawfd);
		set_int(rawfd, SOL_SOCKET, SO_RCVBUF, 1 << 20);
	}

	dontroute();
	cork();
	pmtu();
	/* Drain what the raw socket saw so far; only the next sends count. */
	if (rawfd >= 0)
		while (recv(rawfd, rbuf, sizeof rbuf, MSG_DONTWAIT) >= 0)
			;
	nocheck();
	if (root) {
		icmp_pmtu("icmp DONT", IP_PMTUDISC_DONT, "127.0.0.3");
		icmp_pmtu("icmp WANT", IP_PMTUDISC_WANT, "127.0.0.4");
		icmp_pmtu("icmp DO", IP_PMTUDISC_DO, "127.0.0.5");
	}
	puts("done");
	return 0;
}
