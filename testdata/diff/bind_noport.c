/* bind_noport.c - IP_BIND_ADDRESS_NO_PORT: a bind to port 0 keeps the
 * address and takes the port only when the socket needs one.
 *
 * Checks, for TCP and UDP over IPv4 and IPv6: after the bind getsockname
 * shows the address with port 0 and the socket is not in /proc/net's
 * tables' sense bound (a second bind to another address succeeds, and
 * IPV6_V6ONLY may still be set); connect then gives it an ephemeral port on
 * that address (the peer sees it as the source; TCP: accepted peer, UDP:
 * recvfrom); listen does too; a UDP sendto from a socket with a deferred
 * bind goes out from the bound address; the option without a bind changes
 * nothing; a bind with a port takes it at once.
 */
/* spec: BIND-03 */
#include "common.h"

#ifndef IP_BIND_ADDRESS_NO_PORT
#define IP_BIND_ADDRESS_NO_PORT 24
#endif

static void show_name(const char *label, int fd, int want_port)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof ss;
	char a[80];
	if (getsockname(fd, (struct sockaddr *)&ss, &len) < 0) {
		printf("%s: -1 %s\n", label, errname(errno));
		return;
	}
	int p = sa_port(&ss);
	printf("%s: %s port=%s\n", label, fmt_addr(&ss, a, sizeof a),
	       p == 0 ? "0" : want_port && p == want_port ? "same" : "ephemeral");
}

static socklen_t addr_of(int family, const char *ip, int port, struct sockaddr_storage *ss)
{
	memset(ss, 0, sizeof *ss);
	if (family == AF_INET) {
		*(struct sockaddr_in *)ss = sin4(ip, port);
		return sizeof(struct sockaddr_in);
	}
	*(struct sockaddr_in6 *)ss = sin6(ip, port);
	return sizeof(struct sockaddr_in6);
}

static void tcp_case(int family, const char *src, const char *src2)
{
	char pfx[64], l[128];
	struct sockaddr_storage ss;
	snprintf(pfx, sizeof pfx, "tcp%s", family == AF_INET6 ? "6" : "4");
	int port;
	int lfd = tcp_listener(&port);
	if (family == AF_INET6) {
		close(lfd);
		lfd = socket(AF_INET6, SOCK_STREAM, 0);
		set_int(lfd, SOL_SOCKET, SO_REUSEADDR, 1);
		socklen_t al = addr_of(AF_INET6, "::", 0, &ss);
		bind(lfd, (struct sockaddr *)&ss, al);
		listen(lfd, 8);
		port = local_port(lfd);
	}
	int s = socket(family, SOCK_STREAM, 0);
	snprintf(l, sizeof l, "%s set option", pfx);
	show(l, set_int(s, SOL_IP, IP_BIND_ADDRESS_NO_PORT, 1));
	socklen_t al = addr_of(family, src, 0, &ss);
	snprintf(l, sizeof l, "%s bind %s:0", pfx, src);
	show(l, bind(s, (struct sockaddr *)&ss, al));
	snprintf(l, sizeof l, "%s name after bind", pfx);
	show_name(l, s, 0);
	al = addr_of(family, src2, 0, &ss);
	snprintf(l, sizeof l, "%s bind again %s:0", pfx, src2);
	show(l, bind(s, (struct sockaddr *)&ss, al));
	snprintf(l, sizeof l, "%s name after second bind", pfx);
	show_name(l, s, 0);
	if (family == AF_INET6) {
		snprintf(l, sizeof l, "%s IPV6_V6ONLY after bind", pfx);
		show(l, set_int(s, SOL_IPV6, IPV6_V6ONLY, 1));
	}
	al = addr_of(family, family == AF_INET ? "127.0.0.1" : "::1", port, &ss);
	snprintf(l, sizeof l, "%s connect", pfx);
	show(l, connect(s, (struct sockaddr *)&ss, al));
	snprintf(l, sizeof l, "%s name after connect", pfx);
	show_name(l, s, 0);
	int a = accept(lfd, NULL, NULL);
	struct sockaddr_storage peer;
	socklen_t pl = sizeof peer;
	getpeername(a, (struct sockaddr *)&peer, &pl);
	char buf[80];
	snprintf(l, sizeof l, "%s server sees", pfx);
	printf("%s: %s port=%s\n", l, fmt_addr(&peer, buf, sizeof buf), sa_port(&peer) == local_port(s) ? "same" : "other");
	close(a);
	close(s);

	/* listen after a deferred bind takes a port on the address. */
	s = socket(family, SOCK_STREAM, 0);
	set_int(s, SOL_IP, IP_BIND_ADDRESS_NO_PORT, 1);
	al = addr_of(family, src, 0, &ss);
	bind(s, (struct sockaddr *)&ss, al);
	snprintf(l, sizeof l, "%s listen after deferred bind", pfx);
	show(l, listen(s, 4));
	snprintf(l, sizeof l, "%s name after listen", pfx);
	show_name(l, s, 0);
	close(s);

	/* A port in the bind is taken at once, option or not. */
	int q = socket(family, SOCK_STREAM, 0);
	set_int(q, SOL_SOCKET, SO_REUSEADDR, 1);
	al = addr_of(family, src, 0, &ss);
	bind(q, (struct sockaddr *)&ss, al);
	int qport = local_port(q);
	close(q);
	s = socket(family, SOCK_STREAM, 0);
	set_int(s, SOL_IP, IP_BIND_ADDRESS_NO_PORT, 1);
	al = addr_of(family, src, qport, &ss);
	snprintf(l, sizeof l, "%s bind with a port", pfx);
	show(l, bind(s, (struct sockaddr *)&ss, al));
	snprintf(l, sizeof l, "%s name after bind with a port", pfx);
	show_name(l, s, qport);
	close(s);
	close(lfd);
}

static void udp_case(int family, const char *src)
{
	char pfx[64], l[128], buf[80];
	struct sockaddr_storage ss, from;
	snprintf(pfx, sizeof pfx, "udp%s", family == AF_INET6 ? "6" : "4");
	int r = socket(family, SOCK_DGRAM, 0);
	bind_port0(r, family, family == AF_INET ? "0.0.0.0" : "::");
	set_rcvtimeo(r);
	int rport = local_port(r);
	int s = socket(family, SOCK_DGRAM, 0);
	set_int(s, SOL_IP, IP_BIND_ADDRESS_NO_PORT, 1);
	socklen_t al = addr_of(family, src, 0, &ss);
	snprintf(l, sizeof l, "%s bind %s:0", pfx, src);
	show(l, bind(s, (struct sockaddr *)&ss, al));
	snprintf(l, sizeof l, "%s name after bind", pfx);
	show_name(l, s, 0);
	al = addr_of(family, family == AF_INET ? "127.0.0.1" : "::1", rport, &ss);
	snprintf(l, sizeof l, "%s sendto", pfx);
	show(l, sendto(s, "hi", 2, 0, (struct sockaddr *)&ss, al));
	snprintf(l, sizeof l, "%s name after sendto", pfx);
	show_name(l, s, 0);
	socklen_t fl = sizeof from;
	snprintf(l, sizeof l, "%s receiver got", pfx);
	long n = recvfrom(r, buf, sizeof buf, 0, (struct sockaddr *)&from, &fl);
	if (n < 0)
		printf("%s: -1 %s\n", l, errname(errno));
	else {
		char a[80];
		printf("%s: %ld from %s port=%s\n", l, n, fmt_addr(&from, a, sizeof a),
		       sa_port(&from) == local_port(s) ? "same" : "other");
	}
	close(s);

	s = socket(family, SOCK_DGRAM, 0);
	set_int(s, SOL_IP, IP_BIND_ADDRESS_NO_PORT, 1);
	al = addr_of(family, src, 0, &ss);
	bind(s, (struct sockaddr *)&ss, al);
	al = addr_of(family, family == AF_INET ? "127.0.0.1" : "::1", rport, &ss);
	snprintf(l, sizeof l, "%s connect after deferred bind", pfx);
	show(l, connect(s, (struct sockaddr *)&ss, al));
	snprintf(l, sizeof l, "%s name after connect", pfx);
	show_name(l, s, 0);
	close(s);
	close(r);
}

int main(void)
{
	common_init();
	int s = socket(AF_INET, SOCK_STREAM, 0);
	get_int("option default", s, SOL_IP, IP_BIND_ADDRESS_NO_PORT);
	set_int(s, SOL_IP, IP_BIND_ADDRESS_NO_PORT, 5);
	get_int("option after 5", s, SOL_IP, IP_BIND_ADDRESS_NO_PORT);
	close(s);
	tcp_case(AF_INET, "127.0.0.2", "127.0.0.3");
	tcp_case(AF_INET6, "::1", "::1");
	udp_case(AF_INET, "127.0.0.2");
	udp_case(AF_INET6, "::1");
	return 0;
}
