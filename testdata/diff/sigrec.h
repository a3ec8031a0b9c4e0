/* sigrec.h - recording the signals a differential program receives
 * (SIGIO, F_SETSIG's realtime signals) with their siginfo, for the
 * programs that watch asynchronous wake-ups. Include after common.h; one
 * recorder per program. */
#ifndef NETBOX_DIFF_SIGREC_H
#define NETBOX_DIFF_SIGREC_H

#include <signal.h>
#include <time.h>

#define MAXREC 64

/* rec is one received signal. */
struct rec {
	int signo, code, fd, val;
	long band;
};

static struct rec recs[MAXREC];
static int rec_valid[MAXREC];
static int rec_next;
static int mark; /* the first record not shown yet */

static void on_sig(int sig, siginfo_t *si, void *uc)
{
	(void)uc;
	int i = __atomic_fetch_add(&rec_next, 1, __ATOMIC_SEQ_CST);
	if (i >= MAXREC)
		return;
	recs[i] = (struct rec){sig, si->si_code, si->si_fd, si->si_value.sival_int, si->si_band};
	__atomic_store_n(&rec_valid[i], 1, __ATOMIC_RELEASE);
}

/* rec_count is how many signals are recorded so far. */
static inline int rec_count(void)
{
	int n = 0;
	while (n < MAXREC && __atomic_load_n(&rec_valid[n], __ATOMIC_ACQUIRE))
		n++;
	return n;
}

static inline void msleep(int ms)
{
	struct timespec t = {ms / 1000, (ms % 1000) * 1000000L};
	nanosleep(&t, NULL);
}

/* sig_wait waits up to 1 s for want signals beyond the mark (then 50 ms
 * for more), or 100 ms when none is expected, and returns the count. */
static inline int sig_wait(int want)
{
	int waited = 0;
	if (want > 0) {
		while (rec_count() < mark + want && waited < 1000) {
			msleep(5);
			waited += 5;
		}
		msleep(50);
	} else {
		msleep(100);
	}
	return rec_count();
}

/* sig_codename names a signal's si_code. */
static inline const char *sig_codename(int c)
{
	static char b[32];
	switch (c) {
	case POLL_IN: return "POLL_IN";
	case POLL_OUT: return "POLL_OUT";
	case POLL_ERR: return "POLL_ERR";
	case POLL_HUP: return "POLL_HUP";
	case SI_KERNEL: return "SI_KERNEL";
	case SI_USER: return "SI_USER";
	case SI_QUEUE: return "SI_QUEUE";
	}
	snprintf(b, sizeof b, "code%d", c);
	return b;
}

/* handle records sig, every signal blocked while one is recorded. */
static inline void handle(int sig)
{
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sigfillset(&sa.sa_mask);
	sa.sa_flags = SA_RESTART | SA_SIGINFO;
	sa.sa_sigaction = on_sig;
	sigaction(sig, &sa, NULL);
}

/* set_async makes fd O_ASYNC (and non-blocking) with this process as its
 * owner; sig for F_SETSIG (0: plain SIGIO). */
static inline void set_async(int fd, int sig)
{
	if (fcntl(fd, F_SETOWN, getpid()) < 0)
		printf("F_SETOWN: -1 %s\n", errname(errno));
	if (sig && fcntl(fd, F_SETSIG, sig) < 0)
		printf("F_SETSIG: -1 %s\n", errname(errno));
	if (fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_ASYNC | O_NONBLOCK) < 0)
		printf("O_ASYNC: -1 %s\n", errname(errno));
}

#endif
