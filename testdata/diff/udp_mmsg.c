/* udp_mmsg.c - sendmmsg/recvmmsg over 127.0.0.1 UDP.
 *
 * Checks: sendmmsg of 5 datagrams (return value), recvmmsg with vlen 8 and
 * MSG_DONTWAIT (count and each msg_len, per-message msg_name and MSG_TRUNC
 * in msg_flags), recvmmsg with a timeout and MSG_WAITFORONE, recvmmsg on an
 * empty socket with MSG_DONTWAIT (EAGAIN), sendmmsg on a connected socket
 * without msg_name, vlen 0, sendmmsg where a later message has a bad iovec
 * pointer (Linux returns the number sent before the failing message) or the
 * first one does (-1 EFAULT), and recvmmsg where a later message has a bad
 * iovec pointer (partial count, the error is kept for the next call).
 */
/* spec: USEND-02 URECV-04 URECV-06 URECV-08 FLAG-06 FLAG-07 FLAG-15 ERR-01 NB-08 MMSG-01 MMSG-02 */
#include "common.h"
#include <poll.h>
#include <sys/uio.h>
#include <time.h>

static short wait_in(int fd, int ms)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };
	if (poll(&p, 1, ms) <= 0)
		return 0;
	return p.revents;
}

static int bound_sock(void)
{
	int fd = socket(AF_INET, SOCK_DGRAM, 0);
	struct sockaddr_in a = sin4("127.0.0.1", 0);
	if (bind(fd, (struct sockaddr *)&a, sizeof a) < 0)
		printf("bind: -1 %s\n", errname(errno));
	return fd;
}

#define NMAX 8

static char rbufs[NMAX][64];
static struct iovec riov[NMAX];
static struct sockaddr_in rnames[NMAX];
static struct mmsghdr rmsgs[NMAX];

static void reset_rx(void)
{
	memset(rbufs, 0, sizeof rbufs);
	memset(rnames, 0, sizeof rnames);
	memset(rmsgs, 0, sizeof rmsgs);
	for (int i = 0; i < NMAX; i++) {
		riov[i].iov_base = rbufs[i];
		riov[i].iov_len = sizeof rbufs[i];
		rmsgs[i].msg_hdr.msg_iov = &riov[i];
		rmsgs[i].msg_hdr.msg_iovlen = 1;
		rmsgs[i].msg_hdr.msg_name = &rnames[i];
		rmsgs[i].msg_hdr.msg_namelen = sizeof rnames[i];
		rmsgs[i].msg_len = 12345;
	}
}

/* Print each received message: length, payload, source, flags. */
static void show_rx(const char *label, int n, int sender_port)
{
	char abuf[128];
	for (int i = 0; i < n; i++) {
		struct msghdr *h = &rmsgs[i].msg_hdr;
		printf("%s[%d]: msg_len=%u \"%.*s\" from %s port=%s namelen=%u MSG_TRUNC=%d\n",
		       label, i, rmsgs[i].msg_len, (int)(rmsgs[i].msg_len > 64 ? 64 : rmsgs[i].msg_len),
		       rbufs[i], fmt_addr(&rnames[i], abuf, sizeof abuf),
		       sa_port(&rnames[i]) == sender_port ? "sender" : "other",
		       h->msg_namelen, !!(h->msg_flags & MSG_TRUNC));
	}
}

/* Drain fd without blocking, print the number of datagrams left. */
static void drain(const char *label, int fd)
{
	char b[128];
	int n = 0;
	while (recv(fd, b, sizeof b, MSG_DONTWAIT) >= 0)
		n++;
	printf("%s: %d left (%s)\n", label, n, errname(errno));
}

int main(void)
{
	common_init();
	int r = bound_sock();
	int rport = local_port(r);
	int s = bound_sock();
	int sport = local_port(s);
	struct sockaddr_in dst = sin4("127.0.0.1", rport);

	/* --- sendmmsg of 5 datagrams, each with msg_name --- */
	static const char *payload[5] = { "one", "two22", "three3", "four4444", "five55555" };
	struct iovec siov[5];
	struct mmsghdr smsgs[5];
	memset(smsgs, 0, sizeof smsgs);
	for (int i = 0; i < 5; i++) {
		siov[i].iov_base = (void *)payload[i];
		siov[i].iov_len = strlen(payload[i]);
		smsgs[i].msg_hdr.msg_iov = &siov[i];
		smsgs[i].msg_hdr.msg_iovlen = 1;
		smsgs[i].msg_hdr.msg_name = &dst;
		smsgs[i].msg_hdr.msg_namelen = sizeof dst;
		smsgs[i].msg_len = 999;
	}
	show("sendmmsg 5", sendmmsg(s, smsgs, 5, 0));
	for (int i = 0; i < 5; i++)
		printf("sendmmsg msg_len[%d]: %u\n", i, smsgs[i].msg_len);

	/* --- recvmmsg vlen 8 MSG_DONTWAIT --- */
	reset_rx();
	wait_in(r, 2000);
	int n = recvmmsg(r, rmsgs, NMAX, MSG_DONTWAIT, NULL);
	show("recvmmsg vlen 8 MSG_DONTWAIT", n);
	show_rx("recvmmsg", n, sport);
	printf("recvmmsg unused msg_len[%d]: %u\n", n < 0 ? 0 : n, rmsgs[n < 0 ? 0 : n].msg_len);

	/* --- recvmmsg on an empty socket --- */
	reset_rx();
	show("recvmmsg empty MSG_DONTWAIT", recvmmsg(r, rmsgs, NMAX, MSG_DONTWAIT, NULL));

	/* --- recvmmsg with timeout and MSG_WAITFORONE --- */
	show("sendmmsg 3", sendmmsg(s, smsgs, 3, 0));
	reset_rx();
	struct timespec ts = { 1, 0 };
	n = recvmmsg(r, rmsgs, NMAX, MSG_WAITFORONE, &ts);
	show("recvmmsg MSG_WAITFORONE timeout 1s", n);
	show_rx("waitforone", n, sport);

	/* --- truncation inside recvmmsg --- */
	show("sendmmsg 2", sendmmsg(s, smsgs + 3, 2, 0));
	reset_rx();
	riov[0].iov_len = 4;
	riov[1].iov_len = 4;
	wait_in(r, 2000);
	n = recvmmsg(r, rmsgs, 2, MSG_WAITFORONE, NULL);
	show("recvmmsg 4-byte buffers", n);
	show_rx("trunc", n, sport);

	/* --- vlen 0 --- */
	show("sendmmsg vlen 0", sendmmsg(s, smsgs, 0, 0));
	reset_rx();
	show("recvmmsg vlen 0 MSG_DONTWAIT", recvmmsg(r, rmsgs, 0, MSG_DONTWAIT, NULL));

	/* --- connected sender without msg_name --- */
	{
		int c = socket(AF_INET, SOCK_DGRAM, 0);
		show("connect", connect(c, (struct sockaddr *)&dst, sizeof dst));
		int cport = local_port(c);
		struct mmsghdr cm[2];
		memset(cm, 0, sizeof cm);
		cm[0].msg_hdr.msg_iov = &siov[0];
		cm[0].msg_hdr.msg_iovlen = 1;
		cm[1].msg_hdr.msg_iov = &siov[1];
		cm[1].msg_hdr.msg_iovlen = 1;
		show("sendmmsg connected no msg_name", sendmmsg(c, cm, 2, 0));
		reset_rx();
		wait_in(r, 2000);
		n = recvmmsg(r, rmsgs, NMAX, MSG_WAITFORONE, NULL);
		show("recvmmsg from connected", n);
		show_rx("connected", n, cport);
		close(c);

		int u = socket(AF_INET, SOCK_DGRAM, 0);
		show("sendmmsg unconnected no msg_name", sendmmsg(u, cm, 2, 0));
		close(u);
	}

	/* --- sendmmsg with a bad iovec pointer in message 3 --- */
	smsgs[2].msg_hdr.msg_iov = (struct iovec *)8;
	for (int i = 0; i < 5; i++)
		smsgs[i].msg_len = 999;
	errno = 0;
	show("sendmmsg bad iov in 3rd", sendmmsg(s, smsgs, 5, 0));
	for (int i = 0; i < 5; i++)
		printf("sendmmsg bad msg_len[%d]: %u\n", i, smsgs[i].msg_len);
	reset_rx();
	wait_in(r, 2000);
	n = recvmmsg(r, rmsgs, NMAX, MSG_WAITFORONE, NULL);
	show("recvmmsg after partial sendmmsg", n);
	show_rx("partial", n, sport);
	int err = -1;
	socklen_t el = sizeof err;
	getsockopt(s, SOL_SOCKET, SO_ERROR, &err, &el);
	printf("sender SO_ERROR after partial sendmmsg: %s\n", err ? errname(err) : "0");

	/* bad iov_base (valid iovec array) in the 2nd message */
	{
		struct iovec bad = { (void *)8, 4 };
		smsgs[2].msg_hdr.msg_iov = &siov[2];
		smsgs[1].msg_hdr.msg_iov = &bad;
		show("sendmmsg bad iov_base in 2nd", sendmmsg(s, smsgs, 5, 0));
		smsgs[1].msg_hdr.msg_iov = &siov[1];
		wait_in(r, 2000);
		drain("after bad iov_base", r);
	}

	/* bad iovec pointer in the first message */
	smsgs[0].msg_hdr.msg_iov = (struct iovec *)8;
	show("sendmmsg bad iov in 1st", sendmmsg(s, smsgs, 5, 0));
	smsgs[0].msg_hdr.msg_iov = &siov[0];
	show("sendmmsg bad mmsghdr pointer", sendmmsg(s, (struct mmsghdr *)8, 5, 0));
	drain("after bad 1st", r);

	/* --- recvmmsg with a bad iovec pointer in message 2 --- */
	show("sendmmsg 3 again", sendmmsg(s, smsgs, 3, 0));
	reset_rx();
	rmsgs[1].msg_hdr.msg_iov = (struct iovec *)8;
	wait_in(r, 2000);
	n = recvmmsg(r, rmsgs, NMAX, MSG_DONTWAIT, NULL);
	show("recvmmsg bad iov in 2nd", n);
	show_rx("badrecv", n > 1 ? 1 : n, sport);
	reset_rx();
	n = recvmmsg(r, rmsgs, NMAX, MSG_DONTWAIT, NULL);
	show("recvmmsg next call", n);
	show_rx("next", n, sport);
	reset_rx();
	n = recvmmsg(r, rmsgs, NMAX, MSG_DONTWAIT, NULL);
	show("recvmmsg third call", n);
	el = sizeof err;
	getsockopt(r, SOL_SOCKET, SO_ERROR, &err, &el);
	printf("receiver SO_ERROR: %s\n", err ? errname(err) : "0");

	close(s);
	close(r);
	printf("done\n");
	return 0;
}
