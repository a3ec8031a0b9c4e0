/* async_sigqueue.c - the F_SETSIG signal when the realtime signal queue is
 * full (send_sigio_to_task: when do_send_sig_info cannot queue the signal
 * with its siginfo, the kernel sends plain SIGIO instead, whose si_code is
 * SI_KERNEL, telling the program to fall back to poll()).
 *
 * The queue is bounded by RLIMIT_SIGPENDING, counted per user. With the
 * soft limit 0 no realtime signal can be queued whatever else is pending:
 * sigqueue fails with EAGAIN, kill still delivers (without its siginfo);
 * an O_ASYNC UDP socket (and a TCP one) with F_SETSIG SIGRTMIN+1 gets
 * SIGIO SI_KERNEL for an arriving datagram; F_SETSIG SIGUSR1 or SIGIO (not
 * realtime: queued anyway) still carry POLL_IN. With a limit of 3, in a
 * child running as uid 65534 (so that no other process's pending signals
 * count), the realtime signal blocked and SIGIO blocked: 6 datagrams queue
 * 3 SIGRTMIN+1 and one SIGIO; unblocked, SIGIO comes first, then the
 * three in order; all 6 datagrams are readable.
 */
/* spec: ASYNC-05 */
#include "common.h"
#include "sigrec.h"
#include <grp.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>

static const char *signame(int s)
{
	static char b[4][32];
	static int k;
	char *p = b[k++ & 3];
	if (s == SIGIO)
		return "SIGIO";
	if (s == SIGUSR1)
		return "SIGUSR1";
	if (s >= SIGRTMIN && s <= SIGRTMAX) {
		snprintf(p, 32, "SIGRTMIN+%d", s - SIGRTMIN);
		return p;
	}
	snprintf(p, 32, "sig%d", s);
	return p;
}

/* Wait up to 1 s for want signals beyond the mark (then 50 ms more), or
 * 100 ms when none is expected; print them and move the mark. */
static void sigs(const char *label, int fd, int want)
{
	int n = sig_wait(want);
	printf("%s: %d", label, n - mark);
	for (int i = mark; i < n; i++) {
		printf(" [%s si_code=%s", signame(recs[i].signo), sig_codename(recs[i].code));
		if (recs[i].code == POLL_IN)
			printf(" si_band=0x%lx si_fd=%s", recs[i].band, recs[i].fd == fd ? "socket" : "other");
		if (recs[i].code == SI_QUEUE)
			printf(" value=%d", recs[i].val);
		printf("]");
	}
	printf("\n");
	mark = n;
}

static int udp_bound(int *port)
{
	int u = socket(AF_INET, SOCK_DGRAM, 0);
	bind_port0(u, AF_INET, "127.0.0.1");
	*port = local_port(u);
	return u;
}

static ssize_t send_to(int fd, const char *s, int port)
{
	struct sockaddr_in a = sin4("127.0.0.1", port);
	return sendto(fd, s, strlen(s), 0, (struct sockaddr *)&a, sizeof a);
}

static int set_sigpending(rlim_t soft)
{
	struct rlimit rl;
	if (getrlimit(RLIMIT_SIGPENDING, &rl) < 0)
		return -1;
	rl.rlim_cur = soft;
	return setrlimit(RLIMIT_SIGPENDING, &rl);
}

/* One UDP receiver with F_SETSIG sig under the current limit: send a
 * datagram, show the signals. */
static void udp_case(const char *pfx, int sig)
{
	char l[120];
	int p1, p2;
	int tx = udp_bound(&p1), rx = udp_bound(&p2);
	set_async(rx, sig);
	snprintf(l, sizeof l, "%s sendto", pfx);
	show(l, send_to(tx, "hello", p2));
	snprintf(l, sizeof l, "%s signals", pfx);
	sigs(l, rx, 1);
	char b[16];
	snprintf(l, sizeof l, "%s recv", pfx);
	show(l, recv(rx, b, sizeof b, MSG_DONTWAIT));
	close(tx);
	close(rx);
}

/* Limit 3, as uid 65534, both signals blocked during a flood of 6. */
static void child_flood(void)
{
	if (setgroups(0, NULL) < 0 || setresgid(65534, 65534, 65534) < 0 || setresuid(65534, 65534, 65534) < 0) {
		printf("child drop to 65534: -1 %s\n", errname(errno));
		return;
	}
	show("child RLIMIT_SIGPENDING 3", set_sigpending(3));
	sigset_t set, old;
	sigemptyset(&set);
	sigaddset(&set, SIGRTMIN + 1);
	sigaddset(&set, SIGIO);
	sigprocmask(SIG_BLOCK, &set, &old);
	int p1, p2;
	int tx = udp_bound(&p1), rx = udp_bound(&p2);
	set_async(rx, SIGRTMIN + 1);
	int sent = 0;
	for (int i = 0; i < 6; i++)
		sent += send_to(tx, "d", p2) == 1;
	printf("child flood sent: %d\n", sent);
	/* wait (bounded) until all 6 are queued, then look at what is pending */
	for (int i = 0; i < 200; i++) {
		sigset_t pend;
		sigpending(&pend);
		if (sigismember(&pend, SIGRTMIN + 1) && sigismember(&pend, SIGIO))
			break;
		msleep(5);
	}
	msleep(100);
	sigset_t pend;
	sigpending(&pend);
	printf("child pending: SIGIO=%d SIGRTMIN+1=%d\n", sigismember(&pend, SIGIO), sigismember(&pend, SIGRTMIN + 1));
	/* a sigqueue of another realtime signal fails: the queue is full */
	union sigval v = {.sival_int = 7};
	sigset_t s2;
	sigemptyset(&s2);
	sigaddset(&s2, SIGRTMIN + 2);
	sigprocmask(SIG_BLOCK, &s2, NULL);
	show("child sigqueue SIGRTMIN+2 with queue full", sigqueue(getpid(), SIGRTMIN + 2, v));
	sigprocmask(SIG_SETMASK, &old, NULL);
	sigs("child signals after unblock", rx, 4);
	int n = 0;
	char b[16];
	while (recv(rx, b, sizeof b, MSG_DONTWAIT) > 0)
		n++;
	printf("child datagrams readable: %d\n", n);
	/* the queue drained: the next datagram brings the realtime signal */
	show("child sendto after drain", send_to(tx, "e", p2));
	sigs("child signals after drain", rx, 1);
	close(tx);
	close(rx);
}

int main(void)
{
	common_init();
	handle(SIGIO);
	handle(SIGUSR1);
	handle(SIGRTMIN + 1);
	handle(SIGRTMIN + 2);

	/* Reference: with the default limit, the realtime signal is queued. */
	udp_case("default limit F_SETSIG SIGRTMIN+1", SIGRTMIN + 1);

	struct rlimit rl;
	getrlimit(RLIMIT_SIGPENDING, &rl);
	rlim_t saved = rl.rlim_cur;
	show("RLIMIT_SIGPENDING 0", set_sigpending(0));
	{
		sigset_t s, old;
		sigemptyset(&s);
		sigaddset(&s, SIGRTMIN + 2);
		sigprocmask(SIG_BLOCK, &s, &old);
		union sigval v = {.sival_int = 5};
		show("limit 0 sigqueue SIGRTMIN+2", sigqueue(getpid(), SIGRTMIN + 2, v));
		show("limit 0 kill SIGRTMIN+2", kill(getpid(), SIGRTMIN + 2));
		sigprocmask(SIG_SETMASK, &old, NULL);
		sigs("limit 0 SIGRTMIN+2 delivered", -1, 1);
	}
	udp_case("limit 0 F_SETSIG SIGRTMIN+1", SIGRTMIN + 1);
	udp_case("limit 0 F_SETSIG SIGUSR1", SIGUSR1);
	udp_case("limit 0 F_SETSIG SIGIO", SIGIO);

	/* TCP: data arriving on an accepted socket. */
	{
		int port, c, a;
		int l = tcp_listener(&port);
		connect_pair(l, port, &c, &a);
		set_async(a, SIGRTMIN + 1);
		show("limit 0 tcp write", write(c, "abc", 3));
		sigs("limit 0 tcp F_SETSIG SIGRTMIN+1 signals", a, 1);
		close(a); /* first: the peer's close would signal it */
		close(c);
		close(l);
	}
	show("RLIMIT_SIGPENDING restored", set_sigpending(saved));
	udp_case("restored F_SETSIG SIGRTMIN+1", SIGRTMIN + 1);

	pid_t pid = fork();
	if (pid == 0) {
		child_flood();
		fflush(stdout);
		_exit(0);
	}
	int st = 0;
	waitpid(pid, &st, 0);
	printf("child exit: %d\n", WIFEXITED(st) ? WEXITSTATUS(st) : -1);
	sigs("stray signals at end", -1, 0);
	puts("done");
	return 0;
}
