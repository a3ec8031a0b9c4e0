/* udp_flags.c - send flags on UDP sockets: MSG_OOB (EOPNOTSUPP on IPv4,
 * ignored on IPv6), the flags UDP accepts and ignores, MSG_PROBE (nothing
 * sent), MSG_CONFIRM, MSG_MORE (one datagram from several sends, on
 * sendto with an address and on send of a connected socket), broadcast
 * without SO_BROADCAST (EACCES) and with it, and destinations without a
 * route (ENETUNREACH).
 */
/* spec: USEND-04 USEND-05 USEND-08 USEND-10 USEND-13 USEND-14 USEND-15 FLAG-05 FLAG-10 */
/* spec: FLAG-11 FLAG-14 FLAG-18 */
#include "common.h"
#include <poll.h>

#ifndef MSG_PROBE
#define MSG_PROBE 0x10
#endif

static int rx;

/* got prints on one line what the receiver has: the number of datagrams
 * queued, then each one's length and bytes. */
static void got(const char *label)
{
	char out[1024] = "";
	size_t o = 0;
	int count = 0;
	for (int i = 0; i < 16; i++) {
		struct pollfd p = {rx, POLLIN, 0};
		if (poll(&p, 1, 100) <= 0)
			break;
		char b[256];
		ssize_t n = recv(rx, b, sizeof b, MSG_DONTWAIT);
		if (n < 0)
			break;
		count++;
		o += (size_t)snprintf(out + o, sizeof out - o, " [%zd %.*s]", n, (int)n, b);
		if (o >= sizeof out)
			break;
	}
	printf("%s: %d datagrams%s\n", label, count, out);
}

int main(void)
{
	common_init();
	rx = socket(AF_INET6, SOCK_DGRAM, 0);
	struct sockaddr_in6 a6 = {.sin6_family = AF_INET6, .sin6_addr = IN6ADDR_ANY_INIT};
	bind(rx, (struct sockaddr *)&a6, sizeof a6);
	socklen_t len = sizeof a6;
	getsockname(rx, (struct sockaddr *)&a6, &len);
	int port = ntohs(a6.sin6_port);
	struct sockaddr_in to4 = {.sin_family = AF_INET, .sin_port = htons(port), .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	struct sockaddr_in6 to6 = {.sin6_family = AF_INET6, .sin6_port = htons(port), .sin6_addr = IN6ADDR_LOOPBACK_INIT};

	int s4 = socket(AF_INET, SOCK_DGRAM, 0);
	int s6 = socket(AF_INET6, SOCK_DGRAM, 0);
	show("v4 MSG_OOB", sendto(s4, "oob", 3, MSG_OOB, (struct sockaddr *)&to4, sizeof to4));
	show("v6 MSG_OOB", sendto(s6, "oob6", 4, MSG_OOB, (struct sockaddr *)&to6, sizeof to6));
	got("after OOB");

	static const struct {
		const char *name;
		int flag;
	} ignored[] = {
		{"MSG_DONTWAIT", MSG_DONTWAIT}, {"MSG_NOSIGNAL", MSG_NOSIGNAL}, {"MSG_CONFIRM", MSG_CONFIRM},
		{"MSG_EOR", MSG_EOR},           {"MSG_FIN", MSG_FIN},           {"MSG_SYN", MSG_SYN},
		{"MSG_RST", MSG_RST},           {"MSG_TRUNC", MSG_TRUNC},       {"MSG_PEEK", MSG_PEEK},
		{"MSG_WAITALL", MSG_WAITALL},   {"MSG_DONTROUTE", MSG_DONTROUTE}, {"high bit", 0x40000000},
	};
	char l[128];
	for (size_t i = 0; i < sizeof ignored / sizeof ignored[0]; i++) {
		snprintf(l, sizeof l, "sendto %s", ignored[i].name);
		show(l, sendto(s4, ignored[i].name, 3, ignored[i].flag, (struct sockaddr *)&to4, sizeof to4));
	}
	got("after accepted flags");

	show("MSG_PROBE sendto", sendto(s4, "hello", 5, MSG_PROBE, (struct sockaddr *)&to4, sizeof to4));
	show("MSG_PROBE sendto 0 bytes", sendto(s4, "", 0, MSG_PROBE, (struct sockaddr *)&to4, sizeof to4));
	got("after MSG_PROBE");

	show("MORE ab", sendto(s4, "ab", 2, MSG_MORE, (struct sockaddr *)&to4, sizeof to4));
	show("MORE cd", sendto(s4, "cd", 2, MSG_MORE, (struct sockaddr *)&to4, sizeof to4));
	got("while MORE");
	show("MORE ef", sendto(s4, "ef", 2, 0, (struct sockaddr *)&to4, sizeof to4));
	got("after MORE flush");
	show("MORE v6 gh", sendto(s6, "gh", 2, MSG_MORE, (struct sockaddr *)&to6, sizeof to6));
	show("MORE v6 empty", sendto(s6, "", 0, 0, (struct sockaddr *)&to6, sizeof to6));
	got("after MORE empty flush");

	int c = socket(AF_INET, SOCK_DGRAM, 0);
	show("connect", connect(c, (struct sockaddr *)&to4, sizeof to4));
	show("conn MORE ij", send(c, "ij", 2, MSG_MORE));
	show("conn MORE kl", send(c, "kl", 2, MSG_MORE));
	got("conn while MORE");
	show("conn send mn", send(c, "mn", 2, 0));
	got("conn after MORE flush");
	show("conn MSG_PROBE", send(c, "probe", 5, MSG_PROBE));
	show("conn MSG_OOB", send(c, "oob", 3, MSG_OOB));
	got("conn after probe");

	struct sockaddr_in bc = {.sin_family = AF_INET, .sin_port = htons(port), .sin_addr.s_addr = inet_addr("127.255.255.255")};
	show("broadcast without SO_BROADCAST", sendto(s4, "bc", 2, 0, (struct sockaddr *)&bc, sizeof bc));
	int b4 = socket(AF_INET, SOCK_DGRAM, 0);
	show("connect broadcast without SO_BROADCAST", connect(b4, (struct sockaddr *)&bc, sizeof bc));
	int one = 1;
	show("set SO_BROADCAST", setsockopt(s4, SOL_SOCKET, SO_BROADCAST, &one, sizeof one));
	show("broadcast with SO_BROADCAST", sendto(s4, "bc", 2, 0, (struct sockaddr *)&bc, sizeof bc));
	got("after broadcast");
	struct sockaddr_in all = {.sin_family = AF_INET, .sin_port = htons(port), .sin_addr.s_addr = htonl(INADDR_BROADCAST)};
	show("255.255.255.255 with SO_BROADCAST", sendto(s4, "all", 3, 0, (struct sockaddr *)&all, sizeof all));

	struct sockaddr_in far = {.sin_family = AF_INET, .sin_port = htons(9), .sin_addr.s_addr = inet_addr("192.0.2.1")};
	show("sendto no route", sendto(s4, "x", 1, 0, (struct sockaddr *)&far, sizeof far));
	show("connect no route", connect(b4, (struct sockaddr *)&far, sizeof far));
	int t = socket(AF_INET, SOCK_STREAM, 0);
	show("tcp connect no route", connect(t, (struct sockaddr *)&far, sizeof far));
	struct sockaddr_in6 far6 = {.sin6_family = AF_INET6, .sin6_port = htons(9)};
	inet_pton(AF_INET6, "2001:db8::1", &far6.sin6_addr);
	show("v6 sendto no route", sendto(s6, "x", 1, 0, (struct sockaddr *)&far6, sizeof far6));
	puts("done");
	return 0;
}
