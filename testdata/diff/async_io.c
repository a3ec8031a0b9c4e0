/* async_io.c - signal-driven I/O, non-blocking sockets and readiness over 127.0.0.1.
 *
 * Checks: O_ASYNC + F_SETOWN on TCP and UDP sockets (F_GETOWN, F_GETOWN_EX,
 * F_GETFL read back; owner and O_ASYNC set before bind or connect survive it);
 * plain SIGIO (si_code SI_KERNEL) once per arrival, also while earlier data is
 * unread; no signal without an owner or after the owner thread exited;
 * F_SETSIG with a realtime signal and SA_SIGINFO: si_signo, si_code, si_band
 * and si_fd for data (POLL_IN), peer SHUT_WR, peer close, close after own
 * SHUT_WR (POLL_HUP), reset and ICMP port unreachable (POLL_ERR), send space
 * after a full buffer drained (POLL_OUT), a completed connect and a listener's
 * new connection; sigtimedwait on a blocked F_SETSIG signal; F_SETOWN_EX with
 * F_OWNER_TID (only the owner thread is signalled); the owner after fork;
 * SIGPIPE on TCP after own SHUT_WR (not with MSG_NOSIGNAL, never for UDP);
 * O_NONBLOCK via SOCK_NONBLOCK, fcntl and accept4 (not inherited by accept);
 * EAGAIN on empty recv/recvfrom/recvmsg/read and MSG_ERRQUEUE; poll bit tables
 * for TCP and UDP; select; epoll level- and edge-triggered; non-blocking
 * recv + poll loops; SO_RCVLOWAT on TCP (poll, MSG_DONTWAIT, blocking recv);
 * SO_RCVTIMEO and SO_SNDTIMEO (EAGAIN after about the timeout, read back,
 * bad values).
 */
/* spec: ASYNC-01 ASYNC-02 ASYNC-03 ASYNC-04 ASYNC-06 ASYNC-07 ASYNC-08 ASYNC-09 ASYNC-10 */
/* spec: ASYNC-11 NB-01 NB-02 NB-03 NB-04 NB-05 NB-06 NB-08 NB-09 SO-01 SO-02 IO-06 */
#include "common.h"
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/select.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>

static char buf[65536];
static char big[65536];

/* ---------- time ---------- */

static double now(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec + t.tv_nsec / 1e9;
}

static void msleep(int ms)
{
	struct timespec t = {ms / 1000, (ms % 1000) * 1000000L};
	nanosleep(&t, NULL); /* a signal may end it early; callers loop */
}

/* "timeout ok" when dt is between 0.8 and 3 times the timeout. */
static const char *timing(double dt, double tmo)
{
	if (dt < 0.8 * tmo)
		return "too early";
	if (dt > 3 * tmo)
		return "too late";
	return "timeout ok";
}

/* ---------- signal recording ---------- */

#define MAXREC 512
struct rec {
	int signo, code, fd;
	long band;
	pid_t tid;
};
static struct rec recs[MAXREC];
static int rec_valid[MAXREC];
static int rec_next;
static int mark;	  /* records before this were already printed */
static pid_t owner_tid;	  /* when set, records also show which thread ran the handler */
static pid_t main_tid;
static volatile sig_atomic_t sigpipes;

static void on_sig(int sig, siginfo_t *si, void *uc)
{
	(void)uc;
	int i = __atomic_fetch_add(&rec_next, 1, __ATOMIC_SEQ_CST);
	if (i >= MAXREC)
		return;
	recs[i].signo = sig;
	recs[i].code = si->si_code;
	recs[i].band = si->si_band;
	recs[i].fd = si->si_fd;
	recs[i].tid = gettid();
	__atomic_store_n(&rec_valid[i], 1, __ATOMIC_RELEASE);
}

static void on_pipe(int sig)
{
	(void)sig;
	sigpipes++;
}

static int rec_count(void)
{
	int n = 0;
	while (n < MAXREC && __atomic_load_n(&rec_valid[n], __ATOMIC_ACQUIRE))
		n++;
	return n;
}

static const char *signame(int s)
{
	static char b[4][32];
	static int k;
	char *p = b[k++ & 3];
	if (s == 0)
		return "0";
	if (s == SIGIO)
		return "SIGIO";
	if (s >= SIGRTMIN && s <= SIGRTMAX) {
		snprintf(p, 32, "SIGRTMIN+%d", s - SIGRTMIN);
		return p;
	}
	const char *a = sigabbrev_np(s);
	if (a) {
		snprintf(p, 32, "SIG%s", a);
		return p;
	}
	snprintf(p, 32, "sig%d", s);
	return p;
}

static const char *codename(int c)
{
	static char b[32];
	switch (c) {
	case POLL_IN: return "POLL_IN";
	case POLL_OUT: return "POLL_OUT";
	case POLL_MSG: return "POLL_MSG";
	case POLL_ERR: return "POLL_ERR";
	case POLL_PRI: return "POLL_PRI";
	case POLL_HUP: return "POLL_HUP";
	case SI_KERNEL: return "SI_KERNEL";
	case SI_USER: return "SI_USER";
	case SI_QUEUE: return "SI_QUEUE";
	}
	snprintf(b, sizeof b, "code%d", c);
	return b;
}

/* Names of poll bits, joined by sep ("0" when none). */
static const char *pollnames(long re, const char *sep)
{
	static char b[4][256];
	static int k;
	char *p = b[k++ & 3];
	static const struct {
		long bit;
		const char *name;
	} t[] = {
		{POLLIN, "POLLIN"}, {POLLPRI, "POLLPRI"}, {POLLOUT, "POLLOUT"},
		{POLLERR, "POLLERR"}, {POLLHUP, "POLLHUP"}, {POLLNVAL, "POLLNVAL"},
		{POLLRDNORM, "POLLRDNORM"}, {POLLRDBAND, "POLLRDBAND"},
		{POLLWRNORM, "POLLWRNORM"}, {POLLWRBAND, "POLLWRBAND"},
		{POLLMSG, "POLLMSG"}, {POLLRDHUP, "POLLRDHUP"},
	};
	p[0] = 0;
	for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
		if (re & t[i].bit) {
			if (p[0])
				strcat(p, sep);
			strcat(p, t[i].name);
			re &= ~t[i].bit;
		}
	}
	if (re)
		snprintf(p + strlen(p), 64, "%s0x%lx", p[0] ? sep : "", re);
	if (!p[0])
		strcpy(p, "0");
	return p;
}

static void print_rec(const struct rec *r, int fd)
{
	printf(" [%s si_code=%s", signame(r->signo), codename(r->code));
	if (r->code >= POLL_IN && r->code <= POLL_HUP)
		printf(" si_band=%s si_fd=%s", pollnames(r->band, "|"), r->fd == fd ? "socket" : "other");
	if (owner_tid)
		printf(" tid=%s", r->tid == owner_tid ? "owner" : r->tid == main_tid ? "main" : "other");
	printf("]");
}

/* Wait until `want` signals beyond the mark are recorded (at most 500 ms,
 * then 20 ms more for stragglers), or 60 ms when none is expected; print
 * "label: N [record]..." and move the mark. */
static void step(const char *label, int fd, int want)
{
	double t0 = now();
	if (want > 0) {
		while (rec_count() < mark + want && now() - t0 < 0.5)
			msleep(1);
		msleep(20);
	} else {
		while (now() - t0 < 0.06)
			msleep(5);
	}
	int n = rec_count();
	printf("%s: %d", label, n - mark);
	for (int i = mark; i < n; i++)
		print_rec(&recs[i], fd);
	printf("\n");
	mark = n;
}

/* Records since the mark whose si_fd is fd (without moving the mark). */
static int count_fd(int fd)
{
	int n = rec_count(), k = 0;
	for (int i = mark; i < n; i++)
		k += recs[i].fd == fd;
	return k;
}

static void print_fd(const char *label, int fd)
{
	int n = rec_count();
	printf("%s: %d", label, count_fd(fd));
	for (int i = mark; i < n; i++)
		if (recs[i].fd == fd)
			print_rec(&recs[i], fd);
	printf("\n");
}

static void handle(int sig, int info)
{
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sigfillset(&sa.sa_mask);
	sa.sa_flags = SA_RESTART;
	if (info) {
		sa.sa_flags |= SA_SIGINFO;
		sa.sa_sigaction = on_sig;
	} else {
		sa.sa_handler = on_pipe;
	}
	sigaction(sig, &sa, NULL);
}

/* Q(call): run a call with SIGIO and SIGRTMIN+1 blocked, so that a signal
 * the call itself causes is handled after it returned, not in the middle
 * of it (the count and order of signals stay the same). */
static sigset_t qset;
static void qblock(void)
{
	pthread_sigmask(SIG_BLOCK, &qset, NULL);
}
static void qunblock(void)
{
	int e = errno;
	pthread_sigmask(SIG_UNBLOCK, &qset, NULL);
	errno = e;
}
#define Q(call) ({ qblock(); __typeof__(call) q_r = (call); qunblock(); q_r; })

/* ---------- fd flags ---------- */

static int fd_async(int fd)
{
	int f = fcntl(fd, F_GETFL);
	return f < 0 ? -1 : !!(f & O_ASYNC);
}

/* Owner = this process, F_SETSIG sig, O_NONBLOCK|O_ASYNC. */
static int set_async(int fd, int sig)
{
	int r = 0;
	r |= fcntl(fd, F_SETOWN, getpid());
	r |= fcntl(fd, F_SETSIG, sig);
	r |= fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK | O_ASYNC);
	return r;
}

/* ---------- sockets ---------- */


/* A UDP socket bound to 127.0.0.1:0; its port in *port. */
static int udp_bound(int flags, int *port)
{
	int u = socket(AF_INET, SOCK_DGRAM | flags, 0);
	struct sockaddr_in a = sin4("127.0.0.1", 0);
	struct sockaddr_storage ss;
	socklen_t len = sizeof ss;
	bind(u, (struct sockaddr *)&a, sizeof a);
	getsockname(u, (struct sockaddr *)&ss, &len);
	*port = sa_port(&ss);
	return u;
}

static ssize_t send_to(int fd, const char *s, int port)
{
	struct sockaddr_in a = sin4("127.0.0.1", port);
	return sendto(fd, s, strlen(s), 0, (struct sockaddr *)&a, sizeof a);
}

static int so_error(int fd)
{
	int err = -1;
	socklen_t len = sizeof err;
	if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0)
		return -errno;
	return err;
}

static int inq(int fd)
{
	int n = -1;
	if (ioctl(fd, FIONREAD, &n) < 0)
		return -1;
	return n;
}

/* Wait (at most 500 ms) until FIONREAD reports at least n bytes. */
static int wait_inq(int fd, int n)
{
	double t0 = now();
	int q;
	while ((q = inq(fd)) < n && now() - t0 < 0.5)
		msleep(1);
	return q;
}

/* Drain a non-blocking or blocking socket with MSG_DONTWAIT; returns bytes. */
static long drain_now(int fd)
{
	long total = 0;
	for (;;) {
		ssize_t r = recv(fd, buf, sizeof buf, MSG_DONTWAIT);
		if (r <= 0)
			return total;
		total += r;
	}
}

/* ---------- poll / select / epoll (EINTR-safe) ---------- */

static int xpoll(struct pollfd *p, int n, int ms)
{
	double end = now() + ms / 1000.0;
	for (;;) {
		int r = poll(p, n, ms);
		if (r >= 0 || errno != EINTR)
			return r;
		ms = (int)((end - now()) * 1000);
		if (ms < 0)
			ms = 0;
	}
}

/* Wait (bounded) for any of events on fd; returns revents. */
static short wait_ev(int fd, short events, int ms)
{
	struct pollfd p = {.fd = fd, .events = events};
	if (xpoll(&p, 1, ms) <= 0)
		return 0;
	return p.revents;
}

#define ALLPOLL (POLLIN | POLLPRI | POLLOUT | POLLRDNORM | POLLRDBAND | POLLWRNORM | POLLWRBAND | \
		 POLLRDHUP)

static void poll_show(const char *label, int fd, short events, int ms)
{
	struct pollfd p = {.fd = fd, .events = events};
	int r = xpoll(&p, 1, ms);
	if (r < 0)
		printf("%s: -1 %s\n", label, errname(errno));
	else
		printf("%s: %d %s\n", label, r, pollnames(r ? p.revents : 0, " "));
}

static void select_show(const char *label, int fd, int ms)
{
	fd_set r, w, x;
	struct timeval tv;
	int n;
	double end = now() + ms / 1000.0;
	for (;;) {
		FD_ZERO(&r);
		FD_ZERO(&w);
		FD_ZERO(&x);
		FD_SET(fd, &r);
		FD_SET(fd, &w);
		FD_SET(fd, &x);
		double left = end - now();
		if (left < 0)
			left = 0;
		tv.tv_sec = (long)left;
		tv.tv_usec = (long)((left - (long)left) * 1e6);
		n = select(fd + 1, &r, &w, &x, &tv);
		if (n >= 0 || errno != EINTR)
			break;
	}
	if (n < 0)
		printf("%s: -1 %s\n", label, errname(errno));
	else
		printf("%s: %d read=%d write=%d except=%d\n", label, n, FD_ISSET(fd, &r) ? 1 : 0,
		       FD_ISSET(fd, &w) ? 1 : 0, FD_ISSET(fd, &x) ? 1 : 0);
}

static int epoll_for(int fd, unsigned events)
{
	int ep = epoll_create1(EPOLL_CLOEXEC);
	struct epoll_event ev = {.events = events};
	ev.data.fd = fd;
	if (epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev) < 0)
		printf("epoll_ctl: -1 %s\n", errname(errno));
	return ep;
}

static void epoll_show(const char *label, int ep, int ms)
{
	struct epoll_event ev[4];
	double end = now() + ms / 1000.0;
	int r;
	for (;;) {
		r = epoll_wait(ep, ev, 4, ms);
		if (r >= 0 || errno != EINTR)
			break;
		ms = (int)((end - now()) * 1000);
		if (ms < 0)
			ms = 0;
	}
	if (r < 0) {
		printf("%s: -1 %s\n", label, errname(errno));
		return;
	}
	printf("%s: %d", label, r);
	for (int i = 0; i < r; i++) {
		unsigned e = ev[i].events;
		printf(" [%s%s%s%s%s%s ]", e & EPOLLIN ? " EPOLLIN" : "", e & EPOLLPRI ? " EPOLLPRI" : "",
		       e & EPOLLOUT ? " EPOLLOUT" : "", e & EPOLLERR ? " EPOLLERR" : "",
		       e & EPOLLHUP ? " EPOLLHUP" : "", e & EPOLLRDHUP ? " EPOLLRDHUP" : "");
	}
	printf("\n");
}

/* ---------- a helper thread that unblocks a stuck call after 3 s ---------- */

enum { R_WRITE = 1, R_DRAIN, R_SENDTO };
struct rescue {
	int pipe[2];
	int fd, action, port;
	int fired;
	pthread_t th;
};

static void *rescue_main(void *arg)
{
	struct rescue *r = arg;
	for (int i = 0; i < 6; i++) {
		struct pollfd p = {.fd = r->pipe[0], .events = POLLIN};
		if (poll(&p, 1, 500) > 0)
			return NULL;
	}
	r->fired = 1;
	if (r->action == R_WRITE) {
		send(r->fd, "!", 1, MSG_NOSIGNAL);
	} else if (r->action == R_SENDTO) {
		send_to(r->fd, "!", r->port);
	} else {
		for (int i = 0; i < 40; i++) {
			char b[65536];
			while (recv(r->fd, b, sizeof b, MSG_DONTWAIT) > 0)
				;
			struct pollfd p = {.fd = r->pipe[0], .events = POLLIN};
			if (poll(&p, 1, 25) > 0)
				break;
		}
	}
	return NULL;
}

static void rescue_start(struct rescue *r, int fd, int action, int port)
{
	memset(r, 0, sizeof *r);
	r->fd = fd;
	r->action = action;
	r->port = port;
	if (pipe(r->pipe) < 0)
		printf("pipe: -1 %s\n", errname(errno));
	pthread_create(&r->th, NULL, rescue_main, r);
}

static int rescue_stop(struct rescue *r)
{
	if (write(r->pipe[1], "x", 1) < 0)
		printf("pipe write: -1 %s\n", errname(errno));
	pthread_join(r->th, NULL);
	close(r->pipe[0]);
	close(r->pipe[1]);
	return r->fired;
}

/* ---------- helpers for the tests ---------- */

/* Fill a TCP socket's send path until it stays full: MSG_DONTWAIT sends
 * until EAGAIN, repeated while poll still finds room within 100 ms.
 * Returns 1 when EAGAIN was seen. */
static int fill(int fd)
{
	int eagain = 0;
	for (int round = 0; round < 200; round++) {
		for (int i = 0; i < 100000; i++) {
			ssize_t r = send(fd, big, sizeof big, MSG_DONTWAIT | MSG_NOSIGNAL);
			if (r < 0) {
				if (errno == EAGAIN)
					eagain = 1;
				else
					printf("fill send: -1 %s\n", errname(errno));
				break;
			}
		}
		if (!(wait_ev(fd, POLLOUT, 100) & POLLOUT))
			break;
	}
	/* absorb any room below the poll threshold */
	while (send(fd, big, sizeof big, MSG_DONTWAIT | MSG_NOSIGNAL) > 0)
		;
	return eagain;
}

/* Read everything the peer sends until nothing came for 100 ms. */
static long drain_quiet(int fd)
{
	long total = 0;
	for (int i = 0; i < 10000; i++) {
		total += drain_now(fd);
		if (!(wait_ev(fd, POLLIN, 100) & POLLIN))
			break;
	}
	return total;
}

static void print_tv(const char *label, int fd, int opt)
{
	struct timeval tv = {-1, -1};
	socklen_t len = sizeof tv;
	if (getsockopt(fd, SOL_SOCKET, opt, &tv, &len) < 0)
		printf("%s: -1 %s\n", label, errname(errno));
	else
		printf("%s: %ld.%06ld\n", label, (long)tv.tv_sec, (long)tv.tv_usec);
}

static int set_tv(int fd, int opt, long sec, long usec)
{
	struct timeval tv = {sec, usec};
	return setsockopt(fd, SOL_SOCKET, opt, &tv, sizeof tv);
}

static int geti(int fd, int opt)
{
	int v = -12345;
	socklen_t len = sizeof v;
	if (getsockopt(fd, SOL_SOCKET, opt, &v, &len) < 0)
		return -errno * 1000;
	return v;
}

static int seti(int fd, int opt, int v)
{
	return setsockopt(fd, SOL_SOCKET, opt, &v, sizeof v);
}

/* ---------- F_SETOWN_EX worker ---------- */

static int worker_fd, worker_ready, worker_stop;
static int worker_r, worker_e;

static void *worker(void *arg)
{
	(void)arg;
	struct f_owner_ex o = {.type = F_OWNER_TID, .pid = gettid()};
	__atomic_store_n(&owner_tid, o.pid, __ATOMIC_SEQ_CST);
	worker_r = fcntl(worker_fd, F_SETOWN_EX, &o);
	worker_e = errno;
	__atomic_store_n(&worker_ready, 1, __ATOMIC_SEQ_CST);
	double t0 = now();
	while (!__atomic_load_n(&worker_stop, __ATOMIC_SEQ_CST) && now() - t0 < 5)
		msleep(2);
	return NULL;
}

/* ---------- SO_RCVLOWAT helper: writes after a delay ---------- */

struct later {
	int fd;
	pthread_t th;
};

/* 4 bytes after 50 ms, 6 more after another 50 ms. */
static void *later_main(void *arg)
{
	struct later *w = arg;
	msleep(50);
	if (send(w->fd, "abcd", 4, MSG_NOSIGNAL) < 0)
		printf("later send: -1 %s\n", errname(errno));
	msleep(50);
	if (send(w->fd, "efghij", 6, MSG_NOSIGNAL) < 0)
		printf("later send: -1 %s\n", errname(errno));
	return NULL;
}

struct feeder {
	int fd, port, count, size;
	pthread_t th;
};

static void *tcp_feeder(void *arg)
{
	struct feeder *f = arg;
	for (int i = 0; i < f->count; i++)
		if (send(f->fd, big, f->size, MSG_NOSIGNAL) != f->size)
			break;
	return NULL;
}

static void *udp_feeder(void *arg)
{
	struct feeder *f = arg;
	struct sockaddr_in a = sin4("127.0.0.1", f->port);
	for (int i = 0; i < f->count; i++) {
		sendto(f->fd, big, f->size, 0, (struct sockaddr *)&a, sizeof a);
		if (i % 10 == 9)
			msleep(1);
	}
	return NULL;
}

int main(void)
{
	int port;

	common_init();
	main_tid = gettid();
	memset(big, 'b', sizeof big);
	handle(SIGIO, 1);
	handle(SIGRTMIN + 1, 1);
	handle(SIGRTMIN + 2, 1);
	handle(SIGPIPE, 0);
	sigemptyset(&qset);
	sigaddset(&qset, SIGIO);
	sigaddset(&qset, SIGRTMIN + 1);
	int l = tcp_listener(&port);

	/* --- ASYNC-01/02/03/06: O_ASYNC + F_SETOWN on TCP, plain SIGIO --- */
	{
		int c, a;
		connect_pair(l, port, &c, &a);
		show("F_GETOWN fresh", fcntl(a, F_GETOWN));
		printf("F_GETSIG fresh: %s\n", signame(fcntl(a, F_GETSIG)));
		printf("O_ASYNC fresh: %d\n", fd_async(a));
		show("F_SETOWN getpid", fcntl(a, F_SETOWN, getpid()));
		printf("F_GETOWN is pid: %d\n", fcntl(a, F_GETOWN) == getpid());
		struct f_owner_ex o = {-1, -1};
		int r = fcntl(a, F_GETOWN_EX, &o);
		printf("F_GETOWN_EX after F_SETOWN: %d type=%s pid=%s\n", r,
		       o.type == F_OWNER_PID ? "F_OWNER_PID" : o.type == F_OWNER_TID ? "F_OWNER_TID" : "other",
		       o.pid == getpid() ? "self" : "other");
		show("F_SETFL O_NONBLOCK|O_ASYNC", fcntl(a, F_SETFL, fcntl(a, F_GETFL) | O_NONBLOCK | O_ASYNC));
		printf("F_GETFL after: O_ASYNC=%d O_NONBLOCK=%d\n", fd_async(a), fd_nonblock(a));
		step("tcp sigio idle", a, 0);
		show("tcp peer write 1", Q(write(c, "a", 1)));
		step("tcp sigio after write 1", a, 1);
		show("tcp peer write 2", Q(write(c, "bc", 2)));
		step("tcp sigio after write 2 unread", a, 1);
		show("tcp recv all", recv(a, buf, sizeof buf, 0));
		show("tcp recv empty nonblocking", recv(a, buf, sizeof buf, 0));
		show("tcp read empty nonblocking", read(a, buf, sizeof buf));
		step("tcp sigio after reads", a, 0);

		/* no owner: no signal */
		show("F_SETOWN 0", fcntl(a, F_SETOWN, 0));
		show("F_GETOWN after F_SETOWN 0", fcntl(a, F_GETOWN));
		show("tcp peer write 3", Q(write(c, "d", 1)));
		printf("tcp poll after write 3: %s\n", pollnames(wait_ev(a, POLLIN, 500), " "));
		step("tcp sigio without owner", a, 0);
		show("tcp recv without owner", recv(a, buf, sizeof buf, 0));

		/* F_SETSIG: a realtime signal with siginfo */
		fcntl(a, F_SETOWN, getpid());
		show("F_SETSIG SIGRTMIN+1", fcntl(a, F_SETSIG, SIGRTMIN + 1));
		printf("F_GETSIG after set: %s\n", signame(fcntl(a, F_GETSIG)));
		show("F_SETSIG 1000", fcntl(a, F_SETSIG, 1000));
		printf("F_GETSIG after bad set: %s\n", signame(fcntl(a, F_GETSIG)));
		show("rt tcp peer write 1", Q(write(c, "x", 1)));
		step("rt tcp data", a, 1);
		show("rt tcp peer write 2", Q(write(c, "yz", 2)));
		step("rt tcp data unread", a, 1);
		show("rt tcp recv", recv(a, buf, sizeof buf, 0));
		show("rt tcp peer SHUT_WR", Q(shutdown(c, SHUT_WR)));
		step("rt tcp after peer SHUT_WR", a, 1);
		show("rt tcp recv EOF", recv(a, buf, sizeof buf, 0));
		Q(close(c));
		step("rt tcp after peer close that followed SHUT_WR", a, 0);
		close(a);
	}

	/* --- ASYNC-04/10: POLL_HUP, close, reset, POLL_OUT --- */
	{
		int c, a;
		connect_pair(l, port, &c, &a);
		show("hup setup", set_async(a, SIGRTMIN + 1));
		show("hup own SHUT_WR", shutdown(a, SHUT_WR));
		step("rt tcp after own SHUT_WR", a, 0);
		Q(close(c));
		step("rt tcp after peer close, own SHUT_WR", a, 1);
		show("hup recv EOF", recv(a, buf, sizeof buf, 0));
		close(a);

		connect_pair(l, port, &c, &a);
		show("close setup", set_async(a, SIGRTMIN + 1));
		Q(close(c));
		step("rt tcp after peer close", a, 1);
		show("close recv EOF", recv(a, buf, sizeof buf, 0));
		close(a);

		connect_pair(l, port, &c, &a);
		show("reset setup", set_async(a, SIGRTMIN + 1));
		show("reset send to peer", send(a, "xyz", 3, 0));
		printf("reset peer readable: %s\n", pollnames(wait_ev(c, POLLIN, 500), " "));
		step("rt tcp after own send", a, 0);
		Q(close(c)); /* unread data: RST */
		step("rt tcp after peer reset", a, 1);
		close(a);

		connect_pair(l, port, &c, &a);
		show("space SO_SNDBUF", seti(a, SO_SNDBUF, 32768));
		show("space SO_RCVBUF", seti(c, SO_RCVBUF, 32768));
		show("space setup", set_async(a, SIGRTMIN + 1));
		printf("space fill until EAGAIN: %d\n", fill(a));
		show("space send when full", send(a, big, sizeof big, 0));
		mark = rec_count(); /* space may come and go while filling */
		printf("space peer drained > 0: %d\n", Q(drain_quiet(c)) > 0);
		step("rt tcp writable after drain", a, 1);
		poll_show("space poll after drain", a, POLLOUT, 0);
		close(a); /* the async end first: no signals after its step */
		Q(close(c));
	}

	/* --- ASYNC-10 + NB-03/05: connect completion and a listener's new connection --- */
	{
		int lp;
		int l2 = tcp_listener(&lp);
		struct sockaddr_in la = sin4("127.0.0.1", lp);
		show("listener setup", set_async(l2, SIGRTMIN + 1));
		int c = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
		show("client setup before connect", set_async(c, SIGRTMIN + 1));
		int r = Q(connect(c, (struct sockaddr *)&la, sizeof la));
		if (r == 0 || errno == EINPROGRESS)
			printf("client connect: ok-or-inprogress\n");
		else
			printf("client connect: -1 %s\n", errname(errno));
		poll_show("poll client after connect", c, POLLIN | POLLOUT, 500);
		int e = so_error(c);
		printf("client SO_ERROR: %s\n", e ? errname(e < 0 ? -e : e) : "0");
		poll_show("poll listener after connect", l2, POLLIN | POLLOUT, 500);
		double t0 = now();
		while ((count_fd(l2) < 1 || count_fd(c) < 1) && now() - t0 < 0.5)
			msleep(1);
		msleep(20);
		print_fd("rt listener on connect", l2);
		print_fd("rt client on connect", c);
		printf("rt connect other signals: %d\n", rec_count() - mark - count_fd(l2) - count_fd(c));
		mark = rec_count();
		printf("client after connect: owner is pid=%d F_GETSIG=%s O_ASYNC=%d O_NONBLOCK=%d\n",
		       fcntl(c, F_GETOWN) == getpid(), signame(fcntl(c, F_GETSIG)), fd_async(c), fd_nonblock(c));
		int a = accept(l2, NULL, NULL);
		printf("accepted: F_GETOWN=%d F_GETSIG=%s O_ASYNC=%d O_NONBLOCK=%d\n", fcntl(a, F_GETOWN),
		       signame(fcntl(a, F_GETSIG)), fd_async(a), fd_nonblock(a));
		step("rt after accept", c, 0);
		Q(close(c));
		close(l2);
		close(a);
	}

	/* --- ASYNC-01/02/03/06 on UDP: O_ASYNC set before bind --- */
	{
		int rp, sp;
		int r = socket(AF_INET, SOCK_DGRAM, 0);
		show("udp F_SETOWN before bind", fcntl(r, F_SETOWN, getpid()));
		show("udp F_SETFL before bind", fcntl(r, F_SETFL, fcntl(r, F_GETFL) | O_NONBLOCK | O_ASYNC));
		struct sockaddr_in a = sin4("127.0.0.1", 0);
		struct sockaddr_storage ss;
		socklen_t len = sizeof ss;
		show("udp bind after O_ASYNC", bind(r, (struct sockaddr *)&a, sizeof a));
		getsockname(r, (struct sockaddr *)&ss, &len);
		rp = sa_port(&ss);
		printf("udp after bind: owner is pid=%d O_ASYNC=%d O_NONBLOCK=%d\n",
		       fcntl(r, F_GETOWN) == getpid(), fd_async(r), fd_nonblock(r));
		int s = udp_bound(0, &sp);
		step("udp sigio idle", r, 0);
		show("udp sendto 1", Q(send_to(s, "d1", rp)));
		step("udp sigio datagram 1", r, 1);
		show("udp sendto 2", Q(send_to(s, "d22", rp)));
		step("udp sigio datagram 2 unread", r, 1);
		len = sizeof ss;
		show("udp recvfrom 1", recvfrom(r, buf, sizeof buf, 0, (struct sockaddr *)&ss, &len));
		show("udp recv 2", recv(r, buf, sizeof buf, 0));
		len = sizeof ss;
		show("udp recvfrom empty", recvfrom(r, buf, sizeof buf, 0, (struct sockaddr *)&ss, &len));
		show("udp recv empty", recv(r, buf, sizeof buf, 0));
		show("udp read empty", read(r, buf, sizeof buf));
		struct iovec iov = {buf, sizeof buf};
		struct msghdr mh = {.msg_iov = &iov, .msg_iovlen = 1};
		show("udp recvmsg empty", recvmsg(r, &mh, 0));
		char cbuf[256];
		mh.msg_control = cbuf;
		mh.msg_controllen = sizeof cbuf;
		show("udp recvmsg MSG_ERRQUEUE empty", recvmsg(r, &mh, MSG_ERRQUEUE));
		step("udp sigio after reads", r, 0);
		show("udp F_SETOWN 0", fcntl(r, F_SETOWN, 0));
		show("udp sendto 3", Q(send_to(s, "d3", rp)));
		printf("udp poll after sendto 3: %s\n", pollnames(wait_ev(r, POLLIN, 500), " "));
		step("udp sigio without owner", r, 0);
		show("udp recv 3", recv(r, buf, sizeof buf, 0));

		/* --- ASYNC-07: the owner after fork --- */
		fcntl(r, F_SETOWN, getpid());
		int pp[2];
		if (pipe(pp) < 0)
			printf("pipe: -1 %s\n", errname(errno));
		fflush(stdout);
		pid_t ch = fork();
		if (ch == 0) {
			int base = rec_count();
			int ok = fcntl(r, F_SETOWN, getpid()) == 0;
			if (write(pp[1], ok ? "y" : "n", 1) < 0)
				_exit(100);
			double t0 = now();
			while (rec_count() < base + 1 && now() - t0 < 1.0)
				msleep(2);
			msleep(20);
			_exit(rec_count() - base);
		}
		char ok = '?';
		if (wait_ev(pp[0], POLLIN, 500) & POLLIN) {
			if (read(pp[0], &ok, 1) < 0)
				ok = '?';
		} else if (wait_ev(pp[0], POLLIN, 500) & POLLIN) {
			if (read(pp[0], &ok, 1) < 0)
				ok = '?';
		}
		printf("fork child F_SETOWN: %c\n", ok);
		printf("F_GETOWN in parent is child: %d\n", fcntl(r, F_GETOWN) == ch);
		show("fork sendto", Q(send_to(s, "f", rp)));
		printf("fork poll: %s\n", pollnames(wait_ev(r, POLLIN, 500), " "));
		int st = 0;
		waitpid(ch, &st, 0);
		printf("fork child signals: %d\n", WIFEXITED(st) ? WEXITSTATUS(st) : -1);
		step("fork parent signals", r, 0);
		show("fork recv", recv(r, buf, sizeof buf, 0));
		close(pp[0]);
		close(pp[1]);
		close(s);
		close(r);
	}

	/* --- ASYNC-04/08/09 on a connected UDP pair --- */
	{
		int p3, p4;
		int u3 = udp_bound(0, &p3);
		int u4 = udp_bound(0, &p4);
		struct sockaddr_in a3 = sin4("127.0.0.1", p3), a4 = sin4("127.0.0.1", p4);
		connect(u3, (struct sockaddr *)&a4, sizeof a4);
		connect(u4, (struct sockaddr *)&a3, sizeof a3);
		show("udp rt setup", set_async(u4, SIGRTMIN + 1));
		show("rt udp send 1", Q(send(u3, "x", 1, 0)));
		step("rt udp data", u4, 1);
		show("rt udp send 2", Q(send(u3, "yy", 2, 0)));
		step("rt udp data unread", u4, 1);
		show("rt udp recv 1", recv(u4, buf, sizeof buf, 0));
		show("rt udp recv 2", recv(u4, buf, sizeof buf, 0));

		/* sigtimedwait on a blocked F_SETSIG signal */
		sigset_t set, old;
		sigemptyset(&set);
		sigaddset(&set, SIGRTMIN + 2);
		pthread_sigmask(SIG_BLOCK, &set, &old);
		show("F_SETSIG SIGRTMIN+2", fcntl(u4, F_SETSIG, SIGRTMIN + 2));
		show("sigtimedwait send", Q(send(u3, "w", 1, 0)));
		siginfo_t si;
		memset(&si, 0, sizeof si);
		struct timespec ts = {0, 500000000};
		int s = sigtimedwait(&set, &si, &ts);
		if (s < 0)
			printf("sigtimedwait: -1 %s\n", errname(errno));
		else
			printf("sigtimedwait: %s si_code=%s si_band=%s si_fd=%s\n", signame(s), codename(si.si_code),
			       pollnames(si.si_band, "|"), si.si_fd == u4 ? "socket" : "other");
		pthread_sigmask(SIG_SETMASK, &old, NULL);
		step("after sigtimedwait", u4, 0);
		show("sigtimedwait recv", recv(u4, buf, sizeof buf, 0));

		/* F_SETOWN_EX with F_OWNER_TID: only that thread gets the signal */
		fcntl(u4, F_SETSIG, 0);
		worker_fd = u4;
		pthread_t th;
		pthread_create(&th, NULL, worker, NULL);
		double t0 = now();
		while (!__atomic_load_n(&worker_ready, __ATOMIC_SEQ_CST) && now() - t0 < 1)
			msleep(1);
		if (worker_r < 0)
			printf("F_SETOWN_EX F_OWNER_TID: -1 %s\n", errname(worker_e));
		else
			printf("F_SETOWN_EX F_OWNER_TID: %d\n", worker_r);
		struct f_owner_ex o = {-1, -1};
		int r = fcntl(u4, F_GETOWN_EX, &o);
		printf("F_GETOWN_EX with thread owner: %d type=%s pid=%s\n", r,
		       o.type == F_OWNER_TID ? "F_OWNER_TID" : o.type == F_OWNER_PID ? "F_OWNER_PID" : "other",
		       o.pid == owner_tid ? "owner thread" : o.pid == getpid() ? "process" : "other");
		printf("F_GETOWN with thread owner is tid: %d\n", fcntl(u4, F_GETOWN) == owner_tid);
		show("thread send 1", Q(send(u3, "t", 1, 0)));
		step("thread sigio", u4, 1);
		show("thread F_SETSIG SIGRTMIN+1", fcntl(u4, F_SETSIG, SIGRTMIN + 1));
		show("thread send 2", Q(send(u3, "tt", 2, 0)));
		step("thread rt", u4, 1);
		__atomic_store_n(&worker_stop, 1, __ATOMIC_SEQ_CST);
		pthread_join(th, NULL);
		show("thread send after exit", Q(send(u3, "ttt", 3, 0)));
		printf("thread poll after exit: %s\n", pollnames(wait_ev(u4, POLLIN, 500), " "));
		step("sigio after owner thread exit", u4, 0);
		owner_tid = 0;
		show("thread recv 1", recv(u4, buf, sizeof buf, 0));
		show("thread recv 2", recv(u4, buf, sizeof buf, 0));
		show("thread recv 3", recv(u4, buf, sizeof buf, 0));
		close(u3);
		close(u4);

		/* POLL_ERR: ICMP port unreachable on a connected async UDP socket */
		int dp;
		int dead = udp_bound(0, &dp);
		close(dead);
		int u5 = socket(AF_INET, SOCK_DGRAM, 0);
		struct sockaddr_in ad = sin4("127.0.0.1", dp);
		show("err connect", connect(u5, (struct sockaddr *)&ad, sizeof ad));
		show("err setup", set_async(u5, SIGRTMIN + 1));
		show("err send to closed port", Q(send(u5, "?", 1, 0)));
		step("rt udp port unreachable", u5, 1);
		close(u5);
	}

	/* --- ASYNC-11: SIGPIPE --- */
	{
		int c, a;
		connect_pair(l, port, &c, &a);
		show("pipe own SHUT_WR", shutdown(a, SHUT_WR));
		sigpipes = 0;
		show("tcp send after own SHUT_WR", send(a, "x", 1, 0));
		printf("sigpipe after send: %d\n", (int)sigpipes);
		show("tcp send MSG_NOSIGNAL after own SHUT_WR", send(a, "x", 1, MSG_NOSIGNAL));
		printf("sigpipe after MSG_NOSIGNAL: %d\n", (int)sigpipes);
		show("tcp write after own SHUT_WR", write(a, "x", 1));
		printf("sigpipe after write: %d\n", (int)sigpipes);
		close(c);
		close(a);
		int p1, p2;
		int u1 = udp_bound(0, &p1);
		int u2 = udp_bound(0, &p2);
		struct sockaddr_in a2 = sin4("127.0.0.1", p2);
		connect(u1, (struct sockaddr *)&a2, sizeof a2);
		show("udp SHUT_WR", shutdown(u1, SHUT_WR));
		show("udp send after SHUT_WR", send(u1, "x", 1, 0));
		printf("sigpipe after udp send: %d\n", (int)sigpipes);
		close(u1);
		close(u2);
	}

	/* --- NB-01/02/08: O_NONBLOCK, SOCK_NONBLOCK, accept4, EAGAIN --- */
	{
		struct sockaddr_in la = sin4("127.0.0.1", port);
		int t = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
		printf("SOCK_NONBLOCK tcp: nonblock=%d\n", fd_nonblock(t));
		int p;
		int u = udp_bound(SOCK_NONBLOCK, &p);
		printf("SOCK_NONBLOCK udp after bind: nonblock=%d\n", fd_nonblock(u));
		int q = socket(AF_INET, SOCK_DGRAM, 0);
		printf("plain udp: nonblock=%d\n", fd_nonblock(q));
		show("fcntl set O_NONBLOCK", fcntl(q, F_SETFL, fcntl(q, F_GETFL) | O_NONBLOCK));
		printf("after set: nonblock=%d\n", fd_nonblock(q));
		show("fcntl clear O_NONBLOCK", fcntl(q, F_SETFL, fcntl(q, F_GETFL) & ~O_NONBLOCK));
		printf("after clear: nonblock=%d\n", fd_nonblock(q));
		close(q);
		int r = connect(t, (struct sockaddr *)&la, sizeof la);
		printf("nb connect: %s\n", r == 0 || errno == EINPROGRESS ? "ok-or-inprogress" : errname(errno));
		printf("nb connect poll: %s\n", pollnames(wait_ev(t, POLLOUT, 500), " "));
		printf("SOCK_NONBLOCK tcp after connect: nonblock=%d\n", fd_nonblock(t));
		int a = accept4(l, NULL, NULL, SOCK_NONBLOCK);
		printf("accept4 SOCK_NONBLOCK: nonblock=%d\n", fd_nonblock(a));
		show("nb recv empty tcp", recv(t, buf, sizeof buf, 0));
		show("nb read empty tcp", read(t, buf, sizeof buf));
		show("nb recv empty accepted", recv(a, buf, sizeof buf, 0));
		struct sockaddr_storage ss;
		socklen_t len = sizeof ss;
		show("nb recvfrom empty udp", recvfrom(u, buf, sizeof buf, 0, (struct sockaddr *)&ss, &len));
		close(a);
		close(t);
		close(u);

		fcntl(l, F_SETFL, fcntl(l, F_GETFL) | O_NONBLOCK);
		int c = socket(AF_INET, SOCK_STREAM, 0);
		show("blocking connect", connect(c, (struct sockaddr *)&la, sizeof la));
		printf("listener poll: %s\n", pollnames(wait_ev(l, POLLIN, 500), " "));
		a = accept(l, NULL, NULL);
		printf("accept from nonblocking listener: nonblock=%d\n", fd_nonblock(a));
		showfd("accept empty nonblocking listener", accept(l, NULL, NULL));
		fcntl(l, F_SETFL, fcntl(l, F_GETFL) & ~O_NONBLOCK);
		show("MSG_DONTWAIT empty blocking tcp", recv(a, buf, sizeof buf, MSG_DONTWAIT));
		printf("blocking tcp still blocking: nonblock=%d\n", fd_nonblock(a));
		int b = udp_bound(0, &p);
		show("MSG_DONTWAIT empty blocking udp", recv(b, buf, sizeof buf, MSG_DONTWAIT));
		close(b);
		close(a);
		close(c);
	}

	/* --- NB-04: poll bit tables --- */
	{
		int c, a;
		connect_pair(l, port, &c, &a);
		poll_show("poll tcp fresh", a, ALLPOLL, 0);
		show("table peer write", write(c, "abcdef", 6));
		wait_ev(a, POLLIN, 500);
		poll_show("poll tcp data", a, ALLPOLL, 0);
		show("table read part", recv(a, buf, 2, 0));
		poll_show("poll tcp after partial read", a, ALLPOLL, 0);
		show("table read rest", recv(a, buf, sizeof buf, 0));
		poll_show("poll tcp after read all", a, ALLPOLL, 0);
		show("table peer SHUT_WR", shutdown(c, SHUT_WR));
		wait_ev(a, POLLRDHUP, 500);
		poll_show("poll tcp after peer SHUT_WR", a, ALLPOLL, 0);
		poll_show("poll tcp peer SHUT_WR basic", a, POLLIN | POLLOUT | POLLRDHUP, 0);
		show("table recv EOF", recv(a, buf, sizeof buf, 0));
		show("table own SHUT_WR", shutdown(a, SHUT_WR));
		poll_show("poll tcp after both SHUT_WR", a, ALLPOLL, 0);
		close(c);
		close(a);

		connect_pair(l, port, &c, &a);
		close(c);
		wait_ev(a, POLLRDHUP, 500);
		msleep(30);
		poll_show("poll tcp after peer close", a, ALLPOLL, 0);
		close(a);

		int p1, p2;
		int u1 = udp_bound(0, &p1);
		int u2 = udp_bound(0, &p2);
		poll_show("poll udp fresh", u2, ALLPOLL, 0);
		show("table udp sendto", send_to(u1, "abc", p2));
		wait_ev(u2, POLLIN, 500);
		poll_show("poll udp data", u2, ALLPOLL, 0);
		show("table udp recv", recv(u2, buf, sizeof buf, 0));
		poll_show("poll udp after read", u2, ALLPOLL, 0);
		close(u1);
		close(u2);
	}

	/* --- NB-06: select --- */
	{
		int c, a;
		connect_pair(l, port, &c, &a);
		select_show("select tcp empty", a, 0);
		show("select peer write", write(c, "abc", 3));
		wait_ev(a, POLLIN, 500);
		select_show("select tcp data", a, 0);
		show("select recv", recv(a, buf, sizeof buf, 0));
		select_show("select tcp after read", a, 0);
		show("select peer SHUT_WR", shutdown(c, SHUT_WR));
		wait_ev(a, POLLRDHUP, 500);
		select_show("select tcp after peer SHUT_WR", a, 0);
		close(c);
		close(a);
		int p1, p2;
		int u1 = udp_bound(0, &p1);
		int u2 = udp_bound(0, &p2);
		select_show("select udp empty", u2, 0);
		show("select udp sendto", send_to(u1, "abc", p2));
		wait_ev(u2, POLLIN, 500);
		select_show("select udp data", u2, 0);
		close(u1);
		close(u2);
	}

	/* --- NB-06: epoll level-triggered --- */
	{
		int c, a;
		connect_pair(l, port, &c, &a);
		int ep = epoll_for(a, EPOLLIN | EPOLLOUT | EPOLLRDHUP);
		epoll_show("epoll LT tcp fresh", ep, 0);
		show("LT peer write", write(c, "abcdef", 6));
		wait_ev(a, POLLIN, 500);
		epoll_show("epoll LT tcp data", ep, 0);
		epoll_show("epoll LT tcp data again", ep, 0);
		show("LT read part", recv(a, buf, 2, 0));
		epoll_show("epoll LT tcp after partial read", ep, 0);
		show("LT read rest", recv(a, buf, sizeof buf, 0));
		epoll_show("epoll LT tcp after read all", ep, 0);
		show("LT peer SHUT_WR", shutdown(c, SHUT_WR));
		wait_ev(a, POLLRDHUP, 500);
		epoll_show("epoll LT tcp after peer SHUT_WR", ep, 0);
		close(c);
		msleep(30);
		epoll_show("epoll LT tcp after peer close", ep, 0);
		close(ep);
		close(a);

		int p1, p2;
		int u1 = udp_bound(0, &p1);
		int u2 = udp_bound(0, &p2);
		struct sockaddr_in a2 = sin4("127.0.0.1", p2);
		connect(u1, (struct sockaddr *)&a2, sizeof a2);
		ep = epoll_for(u1, EPOLLIN | EPOLLOUT);
		epoll_show("epoll LT udp connected fresh", ep, 0);
		close(ep);
		ep = epoll_for(u2, EPOLLIN | EPOLLOUT);
		show("LT udp send 1", send(u1, "one", 3, 0));
		show("LT udp send 2", send(u1, "two", 3, 0));
		wait_ev(u2, POLLIN, 500);
		epoll_show("epoll LT udp two datagrams", ep, 0);
		show("LT udp recv 1", recv(u2, buf, sizeof buf, 0));
		epoll_show("epoll LT udp one left", ep, 0);
		show("LT udp recv 2", recv(u2, buf, sizeof buf, 0));
		epoll_show("epoll LT udp empty", ep, 0);
		close(ep);
		close(u1);
		close(u2);
	}

	/* --- NB-06: epoll edge-triggered --- */
	{
		int c, a;
		connect_pair(l, port, &c, &a);
		int ep = epoll_for(a, EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET);
		epoll_show("epoll ET tcp fresh", ep, 0);
		epoll_show("epoll ET tcp fresh again", ep, 0);
		show("ET peer write 1", write(c, "abcdef", 6));
		epoll_show("epoll ET tcp data", ep, 500);
		epoll_show("epoll ET tcp data again", ep, 0);
		show("ET read part", recv(a, buf, 2, 0));
		epoll_show("epoll ET tcp after partial read", ep, 0);
		show("ET peer write 2", write(c, "gh", 2));
		epoll_show("epoll ET tcp more data", ep, 500);
		show("ET read rest", recv(a, buf, sizeof buf, 0));
		epoll_show("epoll ET tcp after read all", ep, 0);
		show("ET peer SHUT_WR", shutdown(c, SHUT_WR));
		epoll_show("epoll ET tcp after peer SHUT_WR", ep, 500);
		epoll_show("epoll ET tcp after peer SHUT_WR again", ep, 0);
		close(c);
		epoll_show("epoll ET tcp after peer close", ep, 100);
		close(ep);
		close(a);

		int p1, p2;
		int u1 = udp_bound(0, &p1);
		int u2 = udp_bound(0, &p2);
		ep = epoll_for(u2, EPOLLIN | EPOLLET);
		epoll_show("epoll ET udp fresh", ep, 0);
		show("ET udp sendto 1", send_to(u1, "one", p2));
		epoll_show("epoll ET udp datagram 1", ep, 500);
		epoll_show("epoll ET udp again", ep, 0);
		show("ET udp sendto 2", send_to(u1, "two", p2));
		epoll_show("epoll ET udp datagram 2 unread", ep, 500);
		show("ET udp recv 1", recv(u2, buf, sizeof buf, 0));
		epoll_show("epoll ET udp after recv 1", ep, 0);
		show("ET udp recv 2", recv(u2, buf, sizeof buf, 0));
		epoll_show("epoll ET udp after recv 2", ep, 0);
		close(ep);
		close(u1);
		close(u2);
	}

	/* --- NB-09: non-blocking recv + poll loops --- */
	{
		int c, a;
		connect_pair(l, port, &c, &a);
		fcntl(a, F_SETFL, fcntl(a, F_GETFL) | O_NONBLOCK);
		struct feeder f = {.fd = c, .count = 200, .size = 500};
		pthread_create(&f.th, NULL, tcp_feeder, &f);
		long total = 0;
		int stalled = 0;
		while (total < 100000) {
			ssize_t r = recv(a, buf, sizeof buf, 0);
			if (r > 0) {
				total += r;
				continue;
			}
			if (r == 0 || errno != EAGAIN)
				break;
			if (!(wait_ev(a, POLLIN, 500) & POLLIN)) {
				stalled = 1;
				break;
			}
		}
		pthread_join(f.th, NULL);
		printf("nb loop tcp bytes: %ld stalled=%d\n", total, stalled);
		close(c);
		close(a);

		int p1, p2;
		int u1 = udp_bound(0, &p1);
		int u2 = udp_bound(SOCK_NONBLOCK, &p2);
		struct feeder g = {.fd = u1, .port = p2, .count = 100, .size = 100};
		pthread_create(&g.th, NULL, udp_feeder, &g);
		int n = 0;
		stalled = 0;
		while (n < 100) {
			ssize_t r = recv(u2, buf, sizeof buf, 0);
			if (r > 0) {
				n++;
				continue;
			}
			if (r < 0 && errno != EAGAIN)
				break;
			if (!(wait_ev(u2, POLLIN, 500) & POLLIN)) {
				stalled = 1;
				break;
			}
		}
		pthread_join(g.th, NULL);
		printf("nb loop udp datagrams: %d stalled=%d\n", n, stalled);
		close(u1);
		close(u2);
	}

	/* --- SO_RCVLOWAT on TCP --- */
	{
		int c, a;
		connect_pair(l, port, &c, &a);
		printf("SO_RCVLOWAT default: %d\n", geti(a, SO_RCVLOWAT));
		show("SO_RCVLOWAT set 10", seti(a, SO_RCVLOWAT, 10));
		printf("SO_RCVLOWAT read back: %d\n", geti(a, SO_RCVLOWAT));
		char one = 1;
		show("SO_RCVLOWAT optlen 1", setsockopt(a, SOL_SOCKET, SO_RCVLOWAT, &one, 1));
		show("lowat peer write 4", write(c, "abcd", 4));
		printf("lowat FIONREAD 4: %d\n", wait_inq(a, 4));
		poll_show("poll lowat 10 with 4 bytes", a, POLLIN | POLLRDNORM, 0);
		select_show("select lowat 10 with 4 bytes", a, 0);
		int ep = epoll_for(a, EPOLLIN);
		epoll_show("epoll lowat 10 with 4 bytes", ep, 0);
		show("lowat peer write 6", write(c, "efghij", 6));
		printf("lowat FIONREAD 10: %d\n", wait_inq(a, 10));
		poll_show("poll lowat 10 with 10 bytes", a, POLLIN | POLLRDNORM, 0);
		epoll_show("epoll lowat 10 with 10 bytes", ep, 0);
		close(ep);
		show("recv lowat 10 bytes", recv(a, buf, sizeof buf, 0));
		show("lowat peer write 4 again", write(c, "klmn", 4));
		printf("lowat FIONREAD 4 again: %d\n", wait_inq(a, 4));
		show("recv MSG_DONTWAIT below lowat", recv(a, buf, sizeof buf, MSG_DONTWAIT));
		show("lowat peer write 4 more", write(c, "opqr", 4));
		printf("lowat FIONREAD 4 more: %d\n", wait_inq(a, 4));
		show("recv len 3 below lowat", recv(a, buf, 3, 0));
		show("recv last byte", recv(a, buf, sizeof buf, MSG_DONTWAIT));
		/* a blocking recv waits until lowat bytes are there: 4, then 6 */
		show("lowat SO_RCVTIMEO 2s", set_tv(a, SO_RCVTIMEO, 2, 0));
		struct later w = {.fd = c};
		pthread_create(&w.th, NULL, later_main, &w);
		ssize_t got = recv(a, buf, sizeof buf, 0);
		show("blocking recv lowat 10, 4 then 6", got);
		pthread_join(w.th, NULL);
		/* take the rest of the 10 bytes (a recv that ignored the low mark
		 * left some) so that later lines see the same queue */
		double t1 = now();
		while (got >= 0 && got < 10 && now() - t1 < 0.5) {
			wait_ev(a, POLLIN, 100);
			got += drain_now(a);
		}
		/* blocking recv below lowat times out with what it has */
		show("lowat SO_RCVTIMEO 0.3s", set_tv(a, SO_RCVTIMEO, 0, 300000));
		show("lowat peer write 4 for timeout", write(c, "2345", 4));
		printf("lowat FIONREAD for timeout: %d\n", wait_inq(a, 4));
		double t0 = now();
		show("blocking recv below lowat until timeout", recv(a, buf, sizeof buf, 0));
		printf("blocking recv below lowat wait: %s\n", timing(now() - t0, 0.3));
		show("SO_RCVLOWAT set 0", seti(a, SO_RCVLOWAT, 0));
		printf("SO_RCVLOWAT after 0: %d\n", geti(a, SO_RCVLOWAT));
		close(c);
		close(a);
	}

	/* --- SO_RCVTIMEO / SO_SNDTIMEO --- */
	{
		struct rescue rs;
		int c, a;
		connect_pair(l, port, &c, &a);
		print_tv("SO_RCVTIMEO default", a, SO_RCVTIMEO);
		print_tv("SO_SNDTIMEO default", a, SO_SNDTIMEO);
		show("SO_RCVTIMEO set 0.3s", set_tv(a, SO_RCVTIMEO, 0, 300000));
		print_tv("SO_RCVTIMEO read back", a, SO_RCVTIMEO);
		rescue_start(&rs, c, R_WRITE, 0);
		double t0 = now();
		show("tcp recv SO_RCVTIMEO", recv(a, buf, sizeof buf, 0));
		printf("tcp recv SO_RCVTIMEO wait: %s\n", timing(now() - t0, 0.3));
		printf("tcp recv SO_RCVTIMEO rescued: %d\n", rescue_stop(&rs));
		drain_now(a);
		rescue_start(&rs, c, R_WRITE, 0);
		t0 = now();
		show("tcp read SO_RCVTIMEO", read(a, buf, sizeof buf));
		printf("tcp read SO_RCVTIMEO wait: %s\n", timing(now() - t0, 0.3));
		printf("tcp read SO_RCVTIMEO rescued: %d\n", rescue_stop(&rs));
		drain_now(a);
		show("SO_RCVTIMEO usec 1000000", set_tv(a, SO_RCVTIMEO, 0, 1000000));
		struct timeval tv = {1, 0};
		show("SO_RCVTIMEO optlen 4", setsockopt(a, SOL_SOCKET, SO_RCVTIMEO, &tv, 4));
		show("SO_RCVTIMEO negative", set_tv(a, SO_RCVTIMEO, -1, 0));
		print_tv("SO_RCVTIMEO after negative", a, SO_RCVTIMEO);

		show("SO_SNDTIMEO set 0.3s", set_tv(a, SO_SNDTIMEO, 0, 300000));
		print_tv("SO_SNDTIMEO read back", a, SO_SNDTIMEO);
		show("sndtimeo SO_SNDBUF", seti(a, SO_SNDBUF, 32768));
		show("sndtimeo SO_RCVBUF", seti(c, SO_RCVBUF, 32768));
		printf("sndtimeo fill until EAGAIN: %d\n", fill(a));
		rescue_start(&rs, c, R_DRAIN, 0);
		t0 = now();
		ssize_t r = send(a, big, sizeof big, 0);
		double dt = now() - t0;
		if (r < 0)
			printf("tcp send SO_SNDTIMEO: -1 %s\n", errname(errno));
		else
			printf("tcp send SO_SNDTIMEO: %s\n", r == sizeof big ? "all" : "partial");
		printf("tcp send SO_SNDTIMEO wait: %s\n", timing(dt, 0.3));
		printf("tcp send SO_SNDTIMEO rescued: %d\n", rescue_stop(&rs));
		close(c);
		close(a);

		int p1, p2;
		int u1 = udp_bound(0, &p1);
		int u2 = udp_bound(0, &p2);
		show("udp SO_RCVTIMEO set 0.3s", set_tv(u2, SO_RCVTIMEO, 0, 300000));
		print_tv("udp SO_RCVTIMEO read back", u2, SO_RCVTIMEO);
		struct sockaddr_storage ss;
		socklen_t len = sizeof ss;
		rescue_start(&rs, u1, R_SENDTO, p2);
		t0 = now();
		show("udp recvfrom SO_RCVTIMEO", recvfrom(u2, buf, sizeof buf, 0, (struct sockaddr *)&ss, &len));
		printf("udp recvfrom SO_RCVTIMEO wait: %s\n", timing(now() - t0, 0.3));
		printf("udp recvfrom SO_RCVTIMEO rescued: %d\n", rescue_stop(&rs));
		drain_now(u2);
		rescue_start(&rs, u1, R_SENDTO, p2);
		t0 = now();
		show("udp recv SO_RCVTIMEO", recv(u2, buf, sizeof buf, 0));
		printf("udp recv SO_RCVTIMEO wait: %s\n", timing(now() - t0, 0.3));
		printf("udp recv SO_RCVTIMEO rescued: %d\n", rescue_stop(&rs));
		drain_now(u2);
		struct iovec iov = {buf, sizeof buf};
		struct msghdr mh = {.msg_iov = &iov, .msg_iovlen = 1};
		rescue_start(&rs, u1, R_SENDTO, p2);
		t0 = now();
		show("udp recvmsg SO_RCVTIMEO", recvmsg(u2, &mh, 0));
		printf("udp recvmsg SO_RCVTIMEO wait: %s\n", timing(now() - t0, 0.3));
		printf("udp recvmsg SO_RCVTIMEO rescued: %d\n", rescue_stop(&rs));
		close(u1);
		close(u2);
	}

	step("stray signals at end", -1, 0);
	close(l);
	printf("done\n");
	return 0;
}
