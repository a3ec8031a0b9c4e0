/* udp_reuse.c - several UDP sockets on one port: with SO_REUSEADDR a
 * unicast datagram reaches only the socket bound last; with SO_REUSEPORT
 * datagrams from many sources are spread over the group (each source's
 * to one socket); a socket without the option cannot join (EADDRINUSE);
 * a socket bound to the destination address is preferred to a wildcard
 * one on the same port.
 */
/* spec: BIND-08 URECV-02 URECV-03 SO-06 */
#include "common.h"

static int mk(int opt, int port)
{
	int s = socket(AF_INET, SOCK_DGRAM, 0);
	int one = 1;
	if (opt)
		setsockopt(s, SOL_SOCKET, opt, &one, sizeof one);
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port), .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	if (bind(s, (struct sockaddr *)&a, sizeof a) < 0) {
		close(s);
		return -errno;
	}
	return s;
}

static int port_of(int s)
{
	struct sockaddr_in a;
	socklen_t l = sizeof a;
	getsockname(s, (struct sockaddr *)&a, &l);
	return ntohs(a.sin_port);
}

static int drain(int s)
{
	char b[8];
	int n = 0;
	while (recv(s, b, sizeof b, MSG_DONTWAIT) > 0)
		n++;
	return n;
}

static void group(const char *name, int opt)
{
	int s[3];
	s[0] = mk(opt, 0);
	int port = port_of(s[0]);
	s[1] = mk(opt, port);
	s[2] = mk(opt, port);
	int plain = mk(0, port);
	printf("%s plain bind same port: %s\n", name, plain < 0 ? errname(-plain) : "ok");
	struct sockaddr_in to = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port), .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	for (int i = 0; i < 60; i++) {
		int c = mk(0, 0);
		sendto(c, "x", 1, 0, (struct sockaddr *)&to, sizeof to);
		close(c);
	}
	usleep(20000);
	int n[3], total = 0, used = 0;
	for (int i = 0; i < 3; i++) {
		n[i] = drain(s[i]);
		total += n[i];
		used += n[i] > 0;
	}
	printf("%s total: %d\n", name, total);
	printf("%s sockets used: %s\n", name, used == 1 ? "one" : "several");
	printf("%s last bound got all: %d\n", name, n[2] == 60);
	/* One source always reaches the same socket. */
	int c = mk(0, 0);
	for (int i = 0; i < 10; i++)
		sendto(c, "y", 1, 0, (struct sockaddr *)&to, sizeof to);
	usleep(20000);
	int max = 0;
	for (int i = 0; i < 3; i++) {
		int k = drain(s[i]);
		if (k > max)
			max = k;
	}
	printf("%s one source to one socket: %d\n", name, max == 10);
	close(c);
	for (int i = 0; i < 3; i++)
		close(s[i]);
}

int main(void)
{
	common_init();
	group("SO_REUSEADDR", SO_REUSEADDR);
	group("SO_REUSEPORT", SO_REUSEPORT);
	puts("done");
	/* URECV-02: by destination port and the best address match: a
	 * socket bound to 127.0.0.1:P takes what is sent to 127.0.0.1, one
	 * bound to 0.0.0.0:P (same port, both with SO_REUSEADDR) what is
	 * sent to 127.0.0.2, whichever was bound first. */
	for (int order = 0; order < 2; order++) {
		int one = 1;
		int w = socket(AF_INET, SOCK_DGRAM, 0), sp = socket(AF_INET, SOCK_DGRAM, 0);
		setsockopt(w, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
		setsockopt(sp, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
		int first = order ? sp : w, second = order ? w : sp;
		struct sockaddr_in a = sin4(order ? "127.0.0.1" : "0.0.0.0", 0);
		bind(first, (struct sockaddr *)&a, sizeof a);
		int port = local_port(first);
		a = sin4(order ? "0.0.0.0" : "127.0.0.1", port);
		char l[80];
		snprintf(l, sizeof l, "best match %s bind second", order ? "specific first" : "wildcard first");
		show(l, bind(second, (struct sockaddr *)&a, sizeof a));
		int c = socket(AF_INET, SOCK_DGRAM, 0);
		struct sockaddr_in d1 = sin4("127.0.0.1", port), d2 = sin4("127.0.0.2", port);
		sendto(c, "to1", 3, 0, (struct sockaddr *)&d1, sizeof d1);
		sendto(c, "to2", 3, 0, (struct sockaddr *)&d2, sizeof d2);
		snprintf(l, sizeof l, "best match %s specific got", order ? "specific first" : "wildcard first");
		show_datagrams(l, sp);
		snprintf(l, sizeof l, "best match %s wildcard got", order ? "specific first" : "wildcard first");
		show_datagrams(l, w);
		close(c);
		close(w);
		close(sp);
	}
	return 0;
}
