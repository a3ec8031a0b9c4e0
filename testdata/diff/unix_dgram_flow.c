/* unix_dgram_flow.c - back-pressure on AF_UNIX datagram sockets: a
 * receiver queues up to net.unix.max_dgram_qlen datagrams plus one (the
 * limit is the receiver's sk_max_ack_backlog, taken from the sysctl when
 * the receiver is created), then a non-blocking sender gets EAGAIN and a
 * blocking one waits until the receiver reads (or SO_SNDTIMEO: EAGAIN);
 * nothing is dropped.
 *
 * Checks: the sysctl's default 10 (11 datagrams, then EAGAIN); the sysctl
 * set to 3 and 0 in the program's own network namespace (new receivers
 * take 4 and 1, an existing one keeps 11), restored to 10; a connected
 * sender polls without POLLOUT while its peer is full, and a thread asleep
 * in poll(POLLOUT) wakes when the receiver reads; a blocking send waits
 * for a reader to make room and then succeeds; every datagram sent is
 * received, in order; a socketpair (the receiver's peer is the sender) is
 * not held to the queue limit, only to the send buffer.
 */
/* spec: BUF-10 UNIX-12 */
#include "common.h"
#include <pthread.h>
#include <stddef.h>
#include <time.h>

static const char *qlen_path = "/proc/sys/net/unix/max_dgram_qlen";

static void msleep(int ms)
{
	struct timespec t = {ms / 1000, (ms % 1000) * 1000000L};
	nanosleep(&t, NULL);
}

static int read_qlen(void)
{
	FILE *f = fopen(qlen_path, "r");
	if (!f)
		return -errno;
	int v = -1;
	if (fscanf(f, "%d", &v) != 1)
		v = -1;
	fclose(f);
	return v;
}

static int write_qlen(int v)
{
	int fd = open(qlen_path, O_WRONLY);
	if (fd < 0)
		return -1;
	char b[16];
	int n = snprintf(b, sizeof b, "%d\n", v);
	int r = write(fd, b, n) == n ? 0 : -1;
	close(fd);
	return r;
}

static int uniq;

/* An abstract name unique to this process. */
static socklen_t mkabs(struct sockaddr_un *a, const char *tag)
{
	memset(a, 0, sizeof *a);
	a->sun_family = AF_UNIX;
	int n = snprintf(a->sun_path + 1, sizeof a->sun_path - 1, "udf-%d-%s-%d", getpid(), tag, uniq++);
	return offsetof(struct sockaddr_un, sun_path) + 1 + n;
}

static int receiver(struct sockaddr_un *a, socklen_t *al, const char *tag)
{
	*al = mkabs(a, tag);
	int r = socket(AF_UNIX, SOCK_DGRAM, 0);
	if (bind(r, (struct sockaddr *)a, *al) < 0)
		printf("bind %s: -1 %s\n", tag, errname(errno));
	return r;
}

/* Non-blocking sends of numbered datagrams until EAGAIN (at most max):
 * "label: N then ERR". Returns N. */
static int fill(const char *label, int s, struct sockaddr_un *a, socklen_t al, int max)
{
	int n = 0, err = 0;
	for (; n < max; n++) {
		char b[16];
		int len = snprintf(b, sizeof b, "d%d", n);
		ssize_t r = a ? sendto(s, b, len, MSG_DONTWAIT, (struct sockaddr *)a, al) : send(s, b, len, MSG_DONTWAIT);
		if (r < 0) {
			err = errno;
			break;
		}
	}
	printf("%s: %d then %s\n", label, n, err ? errname(err) : "none");
	return n;
}

/* Read everything queued: "label: N in order=1". */
static void drain(const char *label, int r)
{
	int n = 0, order = 1;
	char b[64];
	for (int i = 0; i < 100000; i++) {
		ssize_t k = recv(r, b, sizeof b - 1, MSG_DONTWAIT);
		if (k < 0)
			break;
		b[k] = 0;
		char want[16];
		snprintf(want, sizeof want, "d%d", n);
		if (strcmp(b, want) != 0)
			order = 0;
		n++;
	}
	printf("%s: %d in order=%d\n", label, n, order);
}

static void poll_out(const char *label, int fd)
{
	struct pollfd p = {.fd = fd, .events = POLLOUT};
	int r = poll(&p, 1, 0);
	printf("%s: %d%s%s%s\n", label, r, p.revents & POLLOUT ? " POLLOUT" : "", p.revents & POLLERR ? " POLLERR" : "",
	       p.revents & POLLHUP ? " POLLHUP" : "");
}

/* ---------- helper threads ---------- */

struct helper {
	int fd;
	int r;
	short revents;
	char got[16];
	volatile int started;
	pthread_t th;
};

/* Reads one datagram after 200 ms. */
static void *late_reader(void *arg)
{
	struct helper *h = arg;
	h->started = 1;
	msleep(200);
	ssize_t k = recv(h->fd, h->got, sizeof h->got - 1, MSG_DONTWAIT);
	h->r = (int)k;
	if (k >= 0)
		h->got[k] = 0;
	return NULL;
}

/* Sleeps in poll(POLLOUT) for up to 5 s. */
static void *out_sleeper(void *arg)
{
	struct helper *h = arg;
	struct pollfd p = {.fd = h->fd, .events = POLLOUT};
	h->started = 1;
	h->r = poll(&p, 1, 5000);
	h->revents = p.revents;
	return NULL;
}

static void set_sndtimeo(int fd, int ms)
{
	struct timeval tv = {ms / 1000, (ms % 1000) * 1000};
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
}

int main(void)
{
	common_init();
	int orig = read_qlen();
	printf("max_dgram_qlen: %d\n", orig);

	/* default limit, unconnected sender */
	struct sockaddr_un ra;
	socklen_t ral;
	int R = receiver(&ra, &ral, "r10");
	int S = socket(AF_UNIX, SOCK_DGRAM, 0);
	fill("qlen 10 unconnected sends", S, &ra, ral, 64);
	set_sndtimeo(S, 100);
	show("qlen 10 blocking sendto SO_SNDTIMEO", sendto(S, "x", 1, 0, (struct sockaddr *)&ra, ral));
	drain("qlen 10 received", R);

	/* a blocking sender waits for the reader */
	fill("qlen 10 refill", S, &ra, ral, 64);
	set_sndtimeo(S, 5000);
	struct helper h;
	memset(&h, 0, sizeof h);
	h.fd = R;
	pthread_create(&h.th, NULL, late_reader, &h);
	ssize_t k = sendto(S, "d11", 3, 0, (struct sockaddr *)&ra, ral);
	pthread_join(h.th, NULL);
	show("blocking sendto after reader made room", k);
	printf("reader took: %d %s\n", h.r, h.r > 0 ? h.got : "");
	{
		/* the rest: d1..d11 */
		int n = 0, order = 1;
		char b[16];
		for (int i = 0; i < 64; i++) {
			ssize_t r = recv(R, b, sizeof b - 1, MSG_DONTWAIT);
			if (r < 0)
				break;
			b[r] = 0;
			char want[16];
			snprintf(want, sizeof want, "d%d", n + 1);
			if (strcmp(b, want) != 0)
				order = 0;
			n++;
		}
		printf("after blocking send received: %d in order=%d\n", n, order);
	}

	/* connected sender: poll shows the peer's full queue */
	show("connect to receiver", connect(S, (struct sockaddr *)&ra, ral));
	poll_out("poll connected sender empty", S);
	fill("connected sends", S, NULL, 0, 64);
	poll_out("poll connected sender full", S);
	memset(&h, 0, sizeof h);
	h.fd = S;
	pthread_create(&h.th, NULL, out_sleeper, &h);
	for (int i = 0; i < 200 && !h.started; i++)
		msleep(5);
	msleep(100);
	char b[16];
	show("receiver reads one", recv(R, b, sizeof b, MSG_DONTWAIT));
	pthread_join(h.th, NULL);
	printf("poll(POLLOUT) sleeper woke: %d%s\n", h.r, h.revents & POLLOUT ? " POLLOUT" : "");
	show("connected send after read", send(S, "x", 1, MSG_DONTWAIT));
	show("connected send again", send(S, "x", 1, MSG_DONTWAIT));
	close(S);

	/* the sysctl, per network namespace; read when a receiver is made */
	show("set max_dgram_qlen 3", write_qlen(3));
	printf("max_dgram_qlen now: %d\n", read_qlen());
	struct sockaddr_un r3a;
	socklen_t r3l;
	int R3 = receiver(&r3a, &r3l, "r3");
	S = socket(AF_UNIX, SOCK_DGRAM, 0);
	fill("qlen 3 new receiver sends", S, &r3a, r3l, 64);
	drain("qlen 3 received", R3);
	drain("old receiver leftover (connected sends)", R);
	fill("qlen 3 old receiver sends", S, &ra, ral, 64);
	drain("old receiver received", R);
	show("set max_dgram_qlen 0", write_qlen(0));
	struct sockaddr_un r0a;
	socklen_t r0l;
	int R0 = receiver(&r0a, &r0l, "r0");
	fill("qlen 0 sends", S, &r0a, r0l, 64);
	drain("qlen 0 received", R0);
	show("set max_dgram_qlen -1", write_qlen(-1));
	printf("max_dgram_qlen after -1: %d\n", read_qlen());
	show("restore max_dgram_qlen", write_qlen(orig > 0 ? orig : 10));
	printf("max_dgram_qlen restored: %d\n", read_qlen());
	close(S);
	close(R);
	close(R3);
	close(R0);

	/* socketpair: the receiver's peer is the sender, no queue limit */
	int sp[2];
	socketpair(AF_UNIX, SOCK_DGRAM, 0, sp);
	set_int(sp[0], SOL_SOCKET, SO_SNDBUF, 65536);
	int n = 0, err = 0;
	for (; n < 100000; n++)
		if (send(sp[0], "y", 1, MSG_DONTWAIT) < 0) {
			err = errno;
			break;
		}
	printf("socketpair sends beyond qlen+1: %d then %s\n", n > 11, err ? errname(err) : "none");
	int got = 0;
	while (recv(sp[1], b, sizeof b, MSG_DONTWAIT) > 0)
		got++;
	printf("socketpair all received: %d\n", got == n);
	close(sp[0]);
	close(sp[1]);
	puts("done");
	return 0;
}
