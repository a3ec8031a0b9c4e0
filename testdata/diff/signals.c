/* signals.c - blocking socket calls interrupted by signals.
 *
 * A thread blocks in accept(), recvfrom() and connect-then-read while
 * another thread sends it signals: with an SA_RESTART handler the calls go
 * on and every connection and datagram arrives exactly once; with a
 * handler without SA_RESTART the blocked call fails with EINTR. netbox must
 * lose nothing and do nothing twice when a trapped call is interrupted. */
/* spec: URECV-08 FLAG-07 NB-01 NB-02 NB-08 NB-10 TCP-02 */
#include "common.h"
#include <pthread.h>
#include <signal.h>
#include <poll.h>

static volatile sig_atomic_t hits;
static void on_sig(int s) { (void)s; hits++; }

static void set_handler(int restart)
{
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_sig;
	sa.sa_flags = restart ? SA_RESTART : 0;
	sigaction(SIGUSR1, &sa, NULL);
}

static pthread_t target;
static volatile int stop_storm;

static void *storm(void *arg)
{
	(void)arg;
	for (int i = 0; i < 20000 && !stop_storm; i++) {
		pthread_kill(target, SIGUSR1);
		usleep(200);
	}
	return NULL;
}

static int listener(int *port)
{
	int l = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	bind(l, (struct sockaddr *)&a, sizeof a);
	listen(l, 64);
	socklen_t len = sizeof a;
	getsockname(l, (struct sockaddr *)&a, &len);
	*port = ntohs(a.sin_port);
	return l;
}

struct clients {
	int port, n;
};

static void *connect_clients(void *arg)
{
	struct clients *c = arg;
	for (int i = 0; i < c->n; i++) {
		usleep(3000);
		int s = socket(AF_INET, SOCK_STREAM, 0);
		struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(c->port), .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
		if (connect(s, (struct sockaddr *)&a, sizeof a) == 0) {
			char b = (char)i;
			write(s, &b, 1);
		}
		close(s);
	}
	return NULL;
}

int main(void)
{
	common_init();
	alarm(60);
	target = pthread_self();

	/* accept() under a storm of SA_RESTART signals: 50 connections, each
	 * accepted once, in order. */
	set_handler(1);
	int port;
	int l = listener(&port);
	struct clients c = {port, 50};
	pthread_t st, ct;
	pthread_create(&ct, NULL, connect_clients, &c);
	pthread_create(&st, NULL, storm, NULL);
	int got = 0, inorder = 1;
	for (int i = 0; i < 50; i++) {
		int a = accept(l, NULL, NULL);
		if (a < 0) {
			printf("accept under SA_RESTART storm: -1 %s\n", errname(errno));
			break;
		}
		char b = -1;
		if (read(a, &b, 1) == 1 && b != (char)i)
			inorder = 0;
		got++;
		close(a);
	}
	pthread_join(ct, NULL);
	stop_storm = 1;
	pthread_join(st, NULL);
	printf("accepted under SA_RESTART storm: %d of 50, in order=%d, signals seen=%d\n", got, inorder, hits > 0);
	fcntl(l, F_SETFL, O_NONBLOCK);
	show("accept after: nothing left", accept(l, NULL, NULL));
	close(l);

	/* recvfrom() with address under the storm: 50 datagrams, once each. */
	stop_storm = 0;
	hits = 0;
	int u = socket(AF_INET, SOCK_DGRAM, 0);
	struct sockaddr_in ua = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	bind(u, (struct sockaddr *)&ua, sizeof ua);
	socklen_t ulen = sizeof ua;
	getsockname(u, (struct sockaddr *)&ua, &ulen);
	pthread_create(&st, NULL, storm, NULL);
	int v = socket(AF_INET, SOCK_DGRAM, 0);
	int rgot = 0, rorder = 1;
	for (int i = 0; i < 50; i++) {
		char b = (char)i;
		sendto(v, &b, 1, 0, (struct sockaddr *)&ua, sizeof ua);
		struct sockaddr_in from;
		socklen_t fl = sizeof from;
		char r = -1;
		if (recvfrom(u, &r, 1, 0, (struct sockaddr *)&from, &fl) != 1)
			break;
		if (r != (char)i)
			rorder = 0;
		rgot++;
	}
	stop_storm = 1;
	pthread_join(st, NULL);
	printf("recvfrom under SA_RESTART storm: %d of 50, in order=%d\n", rgot, rorder);
	show("recvfrom after: nothing left", recvfrom(u, &(char){0}, 1, MSG_DONTWAIT, NULL, NULL));
	close(v);

	/* Without SA_RESTART a blocked accept and recvfrom end with EINTR. */
	set_handler(0);
	l = listener(&port);
	stop_storm = 0;
	pthread_create(&st, NULL, storm, NULL);
	show("accept without SA_RESTART", accept(l, NULL, NULL));
	struct sockaddr_in from;
	socklen_t fl = sizeof from;
	show("recvfrom without SA_RESTART", recvfrom(u, &(char){0}, 1, 0, (struct sockaddr *)&from, &fl));
	stop_storm = 1;
	pthread_join(st, NULL);

	/* With a receive timeout (2 s), even an SA_RESTART signal ends the call
	 * with EINTR (sock_intr_errno). */
	set_handler(1);
	set_rcvtimeo(u);
	stop_storm = 0;
	pthread_create(&st, NULL, storm, NULL);
	show("recvfrom with SO_RCVTIMEO under SA_RESTART", recvfrom(u, &(char){0}, 1, 0, (struct sockaddr *)&from, &fl));
	stop_storm = 1;
	pthread_join(st, NULL);
	close(l);
	close(u);
	printf("done\n");
	return 0;
}
