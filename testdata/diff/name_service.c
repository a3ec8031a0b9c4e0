/* spec: V6-11 V6-12 NL-16 V6-02 */
/* name_service.c - the libc name service over netbox's sockets, and the
 * IPv4-to-IPv6 porting recipe.
 *
 * Checks: inet_pton/inet_ntop edge cases (leading zeros, short forms,
 * "::", v4-mapped and v4-compatible text, a too small buffer: ENOSPC, an
 * unknown family: EAFNOSUPPORT); getaddrinfo for NULL with and without
 * AI_PASSIVE, "localhost" (only its /etc/hosts lines), "127.0.0.1", "::1",
 * "::ffff:127.0.0.1", "fe80::1%lo" (the scope id comes from the interface
 * name), numeric services and "0", a non-numeric service with
 * AI_NUMERICSERV, a name with AI_NUMERICHOST, AI_V4MAPPED and AI_ALL,
 * AI_CANONNAME, bad flags, socket types and families; each result list is
 * printed in the order returned (glibc sorts it by RFC 3484, asking the
 * kernel for source addresses with connected datagram sockets and for the
 * interface addresses with an rtnetlink RTM_GETADDR dump). AI_ADDRCONFIG
 * (an RTM_GETADDR dump: loopback addresses do not count) with only lo's
 * addresses, after adding 10.7.0.1/24 to lo, after adding also
 * 2001:db8:7::1/64, and after removing both. getnameinfo with
 * NI_NUMERICHOST/NI_NUMERICSERV, the reverse lookup of 127.0.0.1 from
 * /etc/hosts, NI_NAMEREQD, a scoped link-local address (the interface name
 * of its scope id), too small buffers (EAI_OVERFLOW), a bad family or
 * length (EAI_FAMILY). The porting recipe: one AF_INET6 TCP server on
 * in6addr_any (copied with memcpy) accepts an IPv4 client (peer
 * ::ffff:127.0.0.1) and an IPv6 client on in6addr_loopback (peer ::1),
 * echoes to both, and an AF_INET6 UDP socket on in6addr_any receives from
 * both families; a client loop over getaddrinfo("localhost", port) results
 * connects to it. Ports are the kernel's: only compared, never printed.
 * Never uses DNS: every name is numeric or in /etc/hosts.
 */
#include "common.h"
#include <netdb.h>
#include <net/if.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include "rtnl.h"

static const char *gai_name(int rc)
{
	static char b[32];
	switch (rc) {
	case 0: return "0";
	case EAI_BADFLAGS: return "EAI_BADFLAGS";
	case EAI_NONAME: return "EAI_NONAME";
	case EAI_AGAIN: return "EAI_AGAIN";
	case EAI_FAIL: return "EAI_FAIL";
	case EAI_FAMILY: return "EAI_FAMILY";
	case EAI_SOCKTYPE: return "EAI_SOCKTYPE";
	case EAI_SERVICE: return "EAI_SERVICE";
	case EAI_MEMORY: return "EAI_MEMORY";
	case EAI_SYSTEM: return "EAI_SYSTEM";
	case EAI_OVERFLOW: return "EAI_OVERFLOW";
	case EAI_NODATA: return "EAI_NODATA";
	case EAI_ADDRFAMILY: return "EAI_ADDRFAMILY";
	}
	snprintf(b, sizeof b, "EAI_%d", rc);
	return b;
}

static const char *type_str(int t)
{
	static char b[16];
	switch (t) {
	case SOCK_STREAM: return "SOCK_STREAM";
	case SOCK_DGRAM: return "SOCK_DGRAM";
	case SOCK_RAW: return "SOCK_RAW";
	case SOCK_SEQPACKET: return "SOCK_SEQPACKET";
	}
	snprintf(b, sizeof b, "type%d", t);
	return b;
}

/* ---------- inet_pton / inet_ntop ---------- */

static void pton(int family, const char *text)
{
	unsigned char a[16];
	char out[INET6_ADDRSTRLEN];
	memset(a, 0, sizeof a);
	errno = 0;
	int r = inet_pton(family, text, a);
	if (r < 0) {
		printf("inet_pton %s \"%s\": -1 %s\n", family == AF_INET ? "AF_INET" : "AF_INET6",
		       text, errname(errno));
		return;
	}
	if (r == 0) {
		printf("inet_pton %s \"%s\": 0\n", family == AF_INET ? "AF_INET" : "AF_INET6", text);
		return;
	}
	printf("inet_pton %s \"%s\": 1 -> %s\n", family == AF_INET ? "AF_INET" : "AF_INET6", text,
	       inet_ntop(family, a, out, sizeof out));
}

static void pton_ntop(void)
{
	pton(AF_INET, "127.0.0.1");
	pton(AF_INET, "0.0.0.0");
	pton(AF_INET, "255.255.255.255");
	pton(AF_INET, "256.0.0.1");
	pton(AF_INET, "127.1");
	pton(AF_INET, "010.0.0.1");
	pton(AF_INET, "0x7f.0.0.1");
	pton(AF_INET, " 127.0.0.1");
	pton(AF_INET, "127.0.0.1 ");
	pton(AF_INET, "1.2.3.4.5");
	pton(AF_INET, "");
	pton(AF_INET6, "::");
	pton(AF_INET6, "::1");
	pton(AF_INET6, "0:0:0:0:0:0:0:1");
	pton(AF_INET6, "2001:DB8:0:0:1:0:0:1");
	pton(AF_INET6, "2001:db8::1:0:0:1");
	pton(AF_INET6, "2001:0db8:0000:0000:0000:0000:0000:0001");
	pton(AF_INET6, "::ffff:127.0.0.1");
	pton(AF_INET6, "::ffff:7f00:1");
	pton(AF_INET6, "::127.0.0.1");
	pton(AF_INET6, "::ffff:0:127.0.0.1");
	pton(AF_INET6, "1::2::3");
	pton(AF_INET6, "12345::1");
	pton(AF_INET6, "fe80::1%lo");
	pton(AF_INET6, "1:2:3:4:5:6:7:8:9");
	pton(AF_INET6, "127.0.0.1");
	pton(AF_INET, "::1");
	{
		unsigned char a[16];
		errno = 0;
		printf("inet_pton family 99: %d %s\n", inet_pton(99, "1.2.3.4", a),
		       errno ? errname(errno) : "0");
	}
	{
		struct in_addr a4;
		struct in6_addr a6;
		char small[8], exact4[INET_ADDRSTRLEN], exact6[46];
		inet_pton(AF_INET, "255.255.255.255", &a4);
		inet_pton(AF_INET6, "ffff:ffff:ffff:ffff:ffff:ffff:255.255.255.255", &a6);
		errno = 0;
		const char *r = inet_ntop(AF_INET, &a4, small, sizeof small);
		printf("inet_ntop AF_INET 8-byte buffer: %s %s\n", r ? r : "NULL", errno ? errname(errno) : "0");
		errno = 0;
		r = inet_ntop(AF_INET, &a4, exact4, 15);
		printf("inet_ntop AF_INET 15-byte buffer: %s %s\n", r ? r : "NULL", errno ? errname(errno) : "0");
		errno = 0;
		r = inet_ntop(AF_INET, &a4, exact4, 16);
		printf("inet_ntop AF_INET 16-byte buffer: %s %s\n", r ? r : "NULL", errno ? errname(errno) : "0");
		errno = 0;
		r = inet_ntop(AF_INET6, &a6, exact6, sizeof exact6);
		printf("inet_ntop AF_INET6 longest: %s %s\n", r ? r : "NULL", errno ? errname(errno) : "0");
		errno = 0;
		r = inet_ntop(AF_INET6, &a6, exact6, 20);
		printf("inet_ntop AF_INET6 20-byte buffer: %s %s\n", r ? r : "NULL", errno ? errname(errno) : "0");
		errno = 0;
		r = inet_ntop(99, &a4, exact4, sizeof exact4);
		printf("inet_ntop family 99: %s %s\n", r ? r : "NULL", errno ? errname(errno) : "0");
	}
}

/* ---------- getaddrinfo ---------- */

static void show_ai(const char *label, const struct addrinfo *res)
{
	int i = 0;
	for (const struct addrinfo *p = res; p; p = p->ai_next, i++) {
		char abuf[128], scope[32] = "";
		if (p->ai_family == AF_INET6 && p->ai_addr) {
			unsigned id = ((struct sockaddr_in6 *)p->ai_addr)->sin6_scope_id;
			if (id)
				snprintf(scope, sizeof scope, " scope_id=%u", id);
		}
		printf("%s [%d]: %s %s proto=%d addrlen=%u %s port=%d%s%s%s\n", label, i,
		       p->ai_family == AF_INET ? "AF_INET" : p->ai_family == AF_INET6 ? "AF_INET6" : "AF_?",
		       type_str(p->ai_socktype), p->ai_protocol, p->ai_addrlen,
		       p->ai_addr ? fmt_addr(p->ai_addr, abuf, sizeof abuf) : "noaddr",
		       p->ai_addr ? sa_port(p->ai_addr) : -1, scope,
		       p->ai_canonname ? " canon=" : "", p->ai_canonname ? p->ai_canonname : "");
	}
}

static void gai(const char *label, const char *node, const char *service, int family, int socktype,
		int flags)
{
	struct addrinfo hints, *res = NULL;
	memset(&hints, 0, sizeof hints);
	hints.ai_family = family;
	hints.ai_socktype = socktype;
	hints.ai_flags = flags;
	errno = 0;
	int rc = getaddrinfo(node, service, &hints, &res);
	if (rc != 0) {
		if (rc == EAI_SYSTEM)
			printf("%s: %s %s\n", label, gai_name(rc), errname(errno));
		else
			printf("%s: %s\n", label, gai_name(rc));
		return;
	}
	int n = 0;
	for (struct addrinfo *p = res; p; p = p->ai_next)
		n++;
	printf("%s: 0 n=%d\n", label, n);
	show_ai(label, res);
	freeaddrinfo(res);
}

static void addrconfig_set(const char *when)
{
	char l[160];
	snprintf(l, sizeof l, "ADDRCONFIG %s: 127.0.0.1 AF_INET", when);
	gai(l, "127.0.0.1", "80", AF_INET, SOCK_STREAM, AI_ADDRCONFIG);
	snprintf(l, sizeof l, "ADDRCONFIG %s: ::1 AF_INET6", when);
	gai(l, "::1", "80", AF_INET6, SOCK_STREAM, AI_ADDRCONFIG);
	snprintf(l, sizeof l, "ADDRCONFIG %s: ::1 AF_UNSPEC", when);
	gai(l, "::1", "80", AF_UNSPEC, SOCK_STREAM, AI_ADDRCONFIG);
	snprintf(l, sizeof l, "ADDRCONFIG %s: 127.0.0.1 AF_UNSPEC", when);
	gai(l, "127.0.0.1", "80", AF_UNSPEC, SOCK_STREAM, AI_ADDRCONFIG);
	snprintf(l, sizeof l, "ADDRCONFIG %s: localhost AF_UNSPEC", when);
	gai(l, "localhost", "80", AF_UNSPEC, SOCK_STREAM, AI_ADDRCONFIG);
	snprintf(l, sizeof l, "ADDRCONFIG %s: localhost AF_INET", when);
	gai(l, "localhost", "80", AF_INET, SOCK_STREAM, AI_ADDRCONFIG);
	snprintf(l, sizeof l, "ADDRCONFIG %s: NULL passive AF_UNSPEC", when);
	gai(l, NULL, "80", AF_UNSPEC, SOCK_STREAM, AI_ADDRCONFIG | AI_PASSIVE);
	snprintf(l, sizeof l, "ADDRCONFIG %s: NULL AF_UNSPEC", when);
	gai(l, NULL, "80", AF_UNSPEC, SOCK_STREAM, AI_ADDRCONFIG);
	snprintf(l, sizeof l, "ADDRCONFIG %s: 10.7.0.1 AF_INET", when);
	gai(l, "10.7.0.1", "80", AF_INET, SOCK_DGRAM, AI_ADDRCONFIG | AI_NUMERICHOST);
	snprintf(l, sizeof l, "ADDRCONFIG %s: ::ffff:10.7.0.1 AF_INET6 V4MAPPED", when);
	gai(l, "10.7.0.1", "80", AF_INET6, SOCK_DGRAM, AI_ADDRCONFIG | AI_V4MAPPED);
}

static void getaddrinfo_table(void)
{
	gai("gai NULL 80 stream", NULL, "80", AF_UNSPEC, SOCK_STREAM, 0);
	gai("gai NULL 80 stream passive", NULL, "80", AF_UNSPEC, SOCK_STREAM, AI_PASSIVE);
	gai("gai NULL 80 AF_INET passive", NULL, "80", AF_INET, SOCK_STREAM, AI_PASSIVE);
	gai("gai NULL 80 AF_INET6 passive", NULL, "80", AF_INET6, SOCK_STREAM, AI_PASSIVE);
	gai("gai NULL 0 dgram passive", NULL, "0", AF_UNSPEC, SOCK_DGRAM, AI_PASSIVE);
	gai("gai NULL NULL", NULL, NULL, AF_UNSPEC, 0, 0);
	gai("gai NULL 80 any socktype", NULL, "80", AF_INET, 0, 0);
	gai("gai 127.0.0.1 8080 any", "127.0.0.1", "8080", AF_UNSPEC, 0, 0);
	gai("gai 127.0.0.1 8080 stream", "127.0.0.1", "8080", AF_UNSPEC, SOCK_STREAM, 0);
	gai("gai 127.0.0.1 NULL dgram", "127.0.0.1", NULL, AF_UNSPEC, SOCK_DGRAM, 0);
	gai("gai 127.0.0.1 AF_INET6", "127.0.0.1", "1", AF_INET6, SOCK_STREAM, 0);
	gai("gai 127.0.0.1 AF_INET6 V4MAPPED", "127.0.0.1", "1", AF_INET6, SOCK_STREAM, AI_V4MAPPED);
	gai("gai 127.0.0.1 NUMERICHOST", "127.0.0.1", "1", AF_UNSPEC, SOCK_STREAM, AI_NUMERICHOST);
	gai("gai 127.1 inet_aton form", "127.1", "1", AF_INET, SOCK_STREAM, AI_NUMERICHOST);
	gai("gai ::1 any", "::1", "65535", AF_UNSPEC, 0, 0);
	gai("gai ::1 AF_INET", "::1", "1", AF_INET, SOCK_STREAM, 0);
	gai("gai ::1 NUMERICHOST", "::1", "1", AF_INET6, SOCK_DGRAM, AI_NUMERICHOST);
	gai("gai ::ffff:127.0.0.1", "::ffff:127.0.0.1", "1", AF_UNSPEC, SOCK_STREAM, 0);
	gai("gai fe80::1%lo", "fe80::1%lo", "1", AF_INET6, SOCK_DGRAM, AI_NUMERICHOST);
	gai("gai fe80::1%1", "fe80::1%1", "1", AF_INET6, SOCK_DGRAM, AI_NUMERICHOST);
	gai("gai fe80::1%nosuch0", "fe80::1%nosuch0", "1", AF_INET6, SOCK_DGRAM, AI_NUMERICHOST);
	gai("gai localhost stream", "localhost", "80", AF_UNSPEC, SOCK_STREAM, 0);
	gai("gai localhost AF_INET any", "localhost", "9", AF_INET, 0, 0);
	gai("gai localhost AF_INET CANONNAME", "localhost", "9", AF_INET, SOCK_DGRAM, AI_CANONNAME);
	gai("gai localhost NUMERICHOST", "localhost", "80", AF_UNSPEC, SOCK_STREAM, AI_NUMERICHOST);
	gai("gai 127.0.0.1 CANONNAME", "127.0.0.1", "9", AF_INET, SOCK_DGRAM, AI_CANONNAME);
	gai("gai 127.0.0.1 http", "127.0.0.1", "http", AF_INET, SOCK_STREAM, 0);
	gai("gai 127.0.0.1 http NUMERICSERV", "127.0.0.1", "http", AF_INET, SOCK_STREAM, AI_NUMERICSERV);
	gai("gai 127.0.0.1 65536", "127.0.0.1", "65536", AF_INET, SOCK_STREAM, 0);
	gai("gai 127.0.0.1 -1", "127.0.0.1", "-1", AF_INET, SOCK_STREAM, AI_NUMERICSERV);
	gai("gai 127.0.0.1 80 raw", "127.0.0.1", "80", AF_INET, SOCK_RAW, 0);
	gai("gai 127.0.0.1 NULL raw", "127.0.0.1", NULL, AF_INET, SOCK_RAW, 0);
	gai("gai 127.0.0.1 seqpacket", "127.0.0.1", "80", AF_INET, SOCK_SEQPACKET, 0);
	gai("gai AF_UNIX", "127.0.0.1", "80", AF_UNIX, SOCK_STREAM, 0);
	gai("gai bad flags", "127.0.0.1", "80", AF_INET, SOCK_STREAM, 0x10000);
	gai("gai CANONNAME NULL node", NULL, "80", AF_INET, SOCK_STREAM, AI_CANONNAME);
	gai("gai V4MAPPED ALL ::ffff:127.0.0.1", "::ffff:127.0.0.1", "7", AF_INET6, SOCK_STREAM,
	    AI_V4MAPPED | AI_ALL);
	gai("gai localhost AF_INET6 V4MAPPED", "localhost", "7", AF_INET6, SOCK_STREAM,
	    AI_V4MAPPED | AI_NUMERICSERV);
}


/* ---------- getnameinfo ---------- */

static void gni(const char *label, const void *sa, socklen_t len, int flags, size_t hostlen,
		size_t servlen)
{
	char host[NI_MAXHOST], serv[NI_MAXSERV];
	strcpy(host, "-");
	strcpy(serv, "-");
	errno = 0;
	int rc = getnameinfo(sa, len, hostlen ? host : NULL, hostlen, servlen ? serv : NULL, servlen,
			     flags);
	if (rc == EAI_SYSTEM)
		printf("%s: %s %s\n", label, gai_name(rc), errname(errno));
	else if (rc != 0)
		printf("%s: %s\n", label, gai_name(rc));
	else
		printf("%s: 0 host=%s serv=%s\n", label, hostlen ? host : "NULL", servlen ? serv : "NULL");
}

static void getnameinfo_table(void)
{
	struct sockaddr_in a4 = sin4("127.0.0.1", 80);
	struct sockaddr_in6 a6 = sin6("::1", 443);
	struct sockaddr_in6 m6 = sin6("::ffff:127.0.0.1", 53);
	struct sockaddr_in6 ll = sin6("fe80::1", 7);
	struct sockaddr_in z4 = sin4("0.0.0.0", 0);
	ll.sin6_scope_id = if_nametoindex("lo");
	gni("gni 127.0.0.1:80 NUMERICHOST|NUMERICSERV", &a4, sizeof a4, NI_NUMERICHOST | NI_NUMERICSERV,
	    NI_MAXHOST, NI_MAXSERV);
	gni("gni 127.0.0.1:80 NUMERICHOST", &a4, sizeof a4, NI_NUMERICHOST, NI_MAXHOST, NI_MAXSERV);
	gni("gni 127.0.0.1:80 names", &a4, sizeof a4, 0, NI_MAXHOST, NI_MAXSERV);
	gni("gni 127.0.0.1:80 NAMEREQD", &a4, sizeof a4, NI_NAMEREQD | NI_NUMERICSERV, NI_MAXHOST,
	    NI_MAXSERV);
	gni("gni 127.0.0.1:80 NOFQDN", &a4, sizeof a4, NI_NOFQDN | NI_NUMERICSERV, NI_MAXHOST, NI_MAXSERV);
	gni("gni 127.0.0.1:53 DGRAM", &m6, sizeof m6, NI_NUMERICHOST | NI_DGRAM, NI_MAXHOST, NI_MAXSERV);
	gni("gni ::1:443 NUMERICHOST|NUMERICSERV", &a6, sizeof a6, NI_NUMERICHOST | NI_NUMERICSERV,
	    NI_MAXHOST, NI_MAXSERV);
	gni("gni ::ffff:127.0.0.1:53 NUMERICHOST", &m6, sizeof m6, NI_NUMERICHOST | NI_NUMERICSERV,
	    NI_MAXHOST, NI_MAXSERV);
	gni("gni fe80::1%lo NUMERICHOST", &ll, sizeof ll, NI_NUMERICHOST | NI_NUMERICSERV, NI_MAXHOST,
	    NI_MAXSERV);
	ll.sin6_scope_id = 77;
	gni("gni fe80::1%77 NUMERICHOST", &ll, sizeof ll, NI_NUMERICHOST | NI_NUMERICSERV, NI_MAXHOST,
	    NI_MAXSERV);
	gni("gni 0.0.0.0:0 NUMERICHOST", &z4, sizeof z4, NI_NUMERICHOST | NI_NUMERICSERV, NI_MAXHOST,
	    NI_MAXSERV);
	gni("gni host only", &a4, sizeof a4, NI_NUMERICHOST, NI_MAXHOST, 0);
	gni("gni serv only", &a4, sizeof a4, NI_NUMERICSERV, 0, NI_MAXSERV);
	gni("gni neither", &a4, sizeof a4, 0, 0, 0);
	gni("gni host buffer 9", &a4, sizeof a4, NI_NUMERICHOST | NI_NUMERICSERV, 9, NI_MAXSERV);
	gni("gni host buffer 10", &a4, sizeof a4, NI_NUMERICHOST | NI_NUMERICSERV, 10, NI_MAXSERV);
	gni("gni serv buffer 2", &a4, sizeof a4, NI_NUMERICHOST | NI_NUMERICSERV, NI_MAXHOST, 2);
	gni("gni serv buffer 3", &a4, sizeof a4, NI_NUMERICHOST | NI_NUMERICSERV, NI_MAXHOST, 3);
	gni("gni short salen", &a4, sizeof a4 - 1, NI_NUMERICHOST, NI_MAXHOST, NI_MAXSERV);
	gni("gni AF_INET6 with sockaddr_in length", &a6, sizeof a4, NI_NUMERICHOST, NI_MAXHOST, NI_MAXSERV);
	{
		/* glibc answers with the host's name: print only the result. */
		struct sockaddr_un u = {.sun_family = AF_UNIX};
		char host[NI_MAXHOST], serv[NI_MAXSERV];
		int rc = getnameinfo((struct sockaddr *)&u, sizeof u, host, sizeof host, serv,
				     sizeof serv, 0);
		printf("gni AF_UNIX: %s\n", gai_name(rc));
	}
}

/* ---------- porting recipe ---------- */

static void print_name(const char *label, int fd, int peer)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof ss;
	char abuf[128];
	memset(&ss, 0, sizeof ss);
	int r = peer ? getpeername(fd, (struct sockaddr *)&ss, &len)
		     : getsockname(fd, (struct sockaddr *)&ss, &len);
	if (r < 0) {
		printf("%s: -1 %s\n", label, errname(errno));
		return;
	}
	char host[NI_MAXHOST];
	int rc = getnameinfo((struct sockaddr *)&ss, len, host, sizeof host, NULL, 0, NI_NUMERICHOST);
	printf("%s: %s len=%u ntop=%s\n", label, fmt_addr(&ss, abuf, sizeof abuf), len,
	       rc ? gai_name(rc) : host);
}

/* echo_once: the client sends "ping", the server echoes it back. */
static void echo_once(const char *label, int cli, int srv)
{
	char b[16];
	char l[128];
	snprintf(l, sizeof l, "%s send", label);
	show(l, send(cli, "ping", 4, 0));
	ssize_t n = recv(srv, b, sizeof b, 0);
	snprintf(l, sizeof l, "%s server recv", label);
	if (n < 0)
		printf("%s: -1 %s\n", l, errname(errno));
	else
		printf("%s: %zd %.*s\n", l, n, (int)n, b);
	if (n > 0)
		send(srv, b, n, 0);
	n = recv(cli, b, sizeof b, 0);
	snprintf(l, sizeof l, "%s client recv", label);
	if (n < 0)
		printf("%s: -1 %s\n", l, errname(errno));
	else
		printf("%s: %zd %.*s\n", l, n, (int)n, b);
}

static void porting_recipe(void)
{
	/* The server, ported: sockaddr_in6, AF_INET6, in6addr_any. */
	struct sockaddr_in6 sa;
	memset(&sa, 0, sizeof sa);
	sa.sin6_family = AF_INET6;
	memcpy(&sa.sin6_addr, &in6addr_any, sizeof in6addr_any);
	sa.sin6_port = htons(0);
	int l = socket(AF_INET6, SOCK_STREAM, 0);
	showfd("recipe socket AF_INET6", l);
	set_rcvtimeo(l);
	get_int("recipe IPV6_V6ONLY", l, IPPROTO_IPV6, IPV6_V6ONLY);
	show("recipe SO_REUSEADDR", set_int(l, SOL_SOCKET, SO_REUSEADDR, 1));
	show("recipe bind in6addr_any", bind(l, (struct sockaddr *)&sa, sizeof sa));
	show("recipe listen", listen(l, 8));
	print_name("recipe listener getsockname", l, 0);
	int port = local_port(l);
	char pstr[16];
	snprintf(pstr, sizeof pstr, "%d", port);

	/* An IPv4 client. */
	int c4 = socket(AF_INET, SOCK_STREAM, 0);
	set_rcvtimeo(c4);
	struct sockaddr_in d4 = sin4("127.0.0.1", port);
	show("recipe v4 client connect 127.0.0.1", connect(c4, (struct sockaddr *)&d4, sizeof d4));
	struct sockaddr_storage peer;
	socklen_t plen = sizeof peer;
	int a4 = accept(l, (struct sockaddr *)&peer, &plen);
	showfd("recipe accept v4", a4);
	if (a4 >= 0) {
		char abuf[128], host[NI_MAXHOST], serv[NI_MAXSERV];
		set_rcvtimeo(a4);
		printf("recipe accept v4 peer: %s len=%u port_match=%d\n", fmt_addr(&peer, abuf, sizeof abuf),
		       plen, sa_port(&peer) == local_port(c4));
		printf("recipe accept v4 peer IN6_IS_ADDR_V4MAPPED: %d\n",
		       peer.ss_family == AF_INET6 &&
			       IN6_IS_ADDR_V4MAPPED(&((struct sockaddr_in6 *)&peer)->sin6_addr));
		int rc = getnameinfo((struct sockaddr *)&peer, plen, host, sizeof host, serv, sizeof serv,
				     NI_NUMERICHOST | NI_NUMERICSERV);
		printf("recipe accept v4 peer getnameinfo: %s host=%s serv_match=%d\n", gai_name(rc),
		       rc ? "-" : host, rc ? 0 : atoi(serv) == local_port(c4));
		print_name("recipe accepted v4 getsockname", a4, 0);
		print_name("recipe v4 client getsockname", c4, 0);
		print_name("recipe v4 client getpeername", c4, 1);
		echo_once("recipe v4", c4, a4);
		close(a4);
	}
	close(c4);

	/* An IPv6 client on in6addr_loopback. */
	int c6 = socket(AF_INET6, SOCK_STREAM, 0);
	set_rcvtimeo(c6);
	struct sockaddr_in6 d6;
	memset(&d6, 0, sizeof d6);
	d6.sin6_family = AF_INET6;
	d6.sin6_addr = in6addr_loopback;
	d6.sin6_port = htons(port);
	show("recipe v6 client connect in6addr_loopback", connect(c6, (struct sockaddr *)&d6, sizeof d6));
	plen = sizeof peer;
	int a6 = accept(l, (struct sockaddr *)&peer, &plen);
	showfd("recipe accept v6", a6);
	if (a6 >= 0) {
		char abuf[128];
		set_rcvtimeo(a6);
		printf("recipe accept v6 peer: %s len=%u port_match=%d\n", fmt_addr(&peer, abuf, sizeof abuf),
		       plen, sa_port(&peer) == local_port(c6));
		print_name("recipe accepted v6 getsockname", a6, 0);
		echo_once("recipe v6", c6, a6);
		close(a6);
	}
	close(c6);

	/* The classic client loop over getaddrinfo results. */
	struct addrinfo hints, *res = NULL;
	memset(&hints, 0, sizeof hints);
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_NUMERICSERV;
	int rc = getaddrinfo("localhost", pstr, &hints, &res);
	printf("recipe getaddrinfo localhost port: %s\n", gai_name(rc));
	int i = 0;
	for (struct addrinfo *p = res; p && i < 8; p = p->ai_next, i++) {
		char lb[200], abuf[128];
		int c = socket(p->ai_family, p->ai_socktype, p->ai_protocol);
		snprintf(lb, sizeof lb, "recipe loop [%d] %s connect", i, fmt_addr(p->ai_addr, abuf, sizeof abuf));
		show(lb, connect(c, p->ai_addr, p->ai_addrlen));
		plen = sizeof peer;
		int a = accept(l, (struct sockaddr *)&peer, &plen);
		snprintf(lb, sizeof lb, "recipe loop [%d] accepted peer", i);
		if (a < 0)
			printf("%s: -1 %s\n", lb, errname(errno));
		else
			printf("%s: %s\n", lb, fmt_addr(&peer, abuf, sizeof abuf));
		if (a >= 0)
			close(a);
		close(c);
	}
	if (res)
		freeaddrinfo(res);
	close(l);

	/* UDP, ported the same way. */
	int u = socket(AF_INET6, SOCK_DGRAM, 0);
	set_rcvtimeo(u);
	memset(&sa, 0, sizeof sa);
	sa.sin6_family = AF_INET6;
	memcpy(&sa.sin6_addr, &in6addr_any, sizeof in6addr_any);
	show("recipe udp bind in6addr_any", bind(u, (struct sockaddr *)&sa, sizeof sa));
	port = local_port(u);
	int u4 = socket(AF_INET, SOCK_DGRAM, 0);
	int u6 = socket(AF_INET6, SOCK_DGRAM, 0);
	struct sockaddr_in t4 = sin4("127.0.0.1", port);
	struct sockaddr_in6 t6 = sin6("::1", port);
	show("recipe udp v4 sendto", sendto(u4, "four", 4, 0, (struct sockaddr *)&t4, sizeof t4));
	show("recipe udp v6 sendto", sendto(u6, "six", 3, 0, (struct sockaddr *)&t6, sizeof t6));
	for (int k = 0; k < 2; k++) {
		char b[16], abuf[128], lb[64];
		plen = sizeof peer;
		memset(&peer, 0, sizeof peer);
		ssize_t n = recvfrom(u, b, sizeof b, 0, (struct sockaddr *)&peer, &plen);
		snprintf(lb, sizeof lb, "recipe udp recvfrom %d", k);
		if (n < 0)
			printf("%s: -1 %s\n", lb, errname(errno));
		else
			printf("%s: %zd %.*s from %s len=%u port_match=%d\n", lb, n, (int)n, b,
			       fmt_addr(&peer, abuf, sizeof abuf), plen,
			       sa_port(&peer) == local_port(n == 4 ? u4 : u6));
		if (n >= 0) {
			/* Reply to whoever sent it, with the address as received. */
			char lb2[64];
			snprintf(lb2, sizeof lb2, "recipe udp reply %d", k);
			show(lb2, sendto(u, b, n, 0, (struct sockaddr *)&peer, plen));
		}
	}
	{
		struct pollfd pf[2] = {{u4, POLLIN, 0}, {u6, POLLIN, 0}};
		char b[16];
		poll(pf, 2, 1000);
		show("recipe udp v4 client got reply", recv(u4, b, sizeof b, MSG_DONTWAIT));
		poll(pf + 1, 1, 1000);
		show("recipe udp v6 client got reply", recv(u6, b, sizeof b, MSG_DONTWAIT));
	}
	close(u4);
	close(u6);
	close(u);
}

int main(void)
{
	common_init();
	pton_ntop();
	getaddrinfo_table();
	getnameinfo_table();

	addrconfig_set("lo only");
	if (geteuid() == 0) {
		nl_addr("RTM_NEWADDR 10.7.0.1/24 lo", RTM_NEWADDR, NLM_F_CREATE | NLM_F_EXCL, AF_INET,
			if_nametoindex("lo"), "10.7.0.1", 24);
		addrconfig_set("with 10.7.0.1");
		nl_addr("RTM_NEWADDR 2001:db8:7::1/64 lo", RTM_NEWADDR, NLM_F_CREATE | NLM_F_EXCL, AF_INET6,
			if_nametoindex("lo"), "2001:db8:7::1", 64);
		addrconfig_set("with both");
		nl_addr("RTM_DELADDR 10.7.0.1/24 lo", RTM_DELADDR, 0, AF_INET, if_nametoindex("lo"), "10.7.0.1", 24);
		nl_addr("RTM_DELADDR 2001:db8:7::1/64 lo", RTM_DELADDR, 0, AF_INET6,
			if_nametoindex("lo"), "2001:db8:7::1", 64);
		addrconfig_set("after removal");
	} else {
		printf("not root: address changes skipped\n");
	}

	porting_recipe();
	printf("done\n");
	return 0;
}
