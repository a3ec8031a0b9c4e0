/* udp_cork.c - UDP_CORK: sends held and joined into one datagram.
 *
 * Checks: UDP_CORK set and read back (2 reads 1), nothing delivered while
 * corked, one datagram of the total length when cleared, the first send's
 * destination kept (a later sendto elsewhere joins it), MSG_MORE inside a
 * corked datagram, clearing with nothing pending, a 0-byte send, a corked
 * total above 65507 bytes (EMSGSIZE, and what was pending is dropped), a
 * connected socket (send and write, which run natively), and IPv6.
 * (From a helper's broader udp_send_paths.c, since reduced to
 * testdata/diff-pending/udp_icmp_peer.c.)
 */
/* spec: USEND-12 PO-01 */
#include "common.h"
#include <netinet/udp.h>
#include <poll.h>

static int port4, port6;
static int rx4, rx6;
static char big[70000];


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
	cork();
	return 0;
}
