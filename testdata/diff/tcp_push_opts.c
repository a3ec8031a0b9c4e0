/* tcp_push_opts.c - TCP_CORK, TCP_NODELAY, TCP_DEFER_ACCEPT and
 * TCP_SYNCNT beyond the option table (sockopt_table.c): what they do.
 *
 * Checks: TCP_CORK and TCP_NODELAY are separate bits of tp->nonagle
 * (setting one leaves the other's reading alone), both are copied to an
 * accepted socket from its listener; corked small writes all arrive once
 * uncorked (in any segmentation), as do small writes under TCP_NODELAY,
 * and a 20-round request/response exchange completes with and without
 * Nagle. TCP_DEFER_ACCEPT: seconds rounded up to the SYN-ACK retransmit
 * schedule (1, 3, 7, 15, … capped at TCP_RTO_MAX 120 s per step: 1000 ->
 * 1087), negative -> 0, not inherited by the accepted socket; a listener
 * with it is not readable while its client has connected but sent
 * nothing, and is once data arrives, the data being there at accept.
 * TCP_SYNCNT 1: a connect whose SYNs are dropped (the listener's accept
 * queue, backlog 1, holds two connections) fails with ETIMEDOUT after its
 * one retry (about 3 s); a listener with backlog 0 still takes one
 * connection. These two run in children with an alarm of their own.
 */
/* spec: PO-04 PO-05 PO-10 PO-12 */
#include "common.h"
#include <limits.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>

static char buf[4096];

static int geti(int fd, int opt)
{
	int v = -12345;
	socklen_t len = sizeof v;
	if (getsockopt(fd, IPPROTO_TCP, opt, &v, &len) < 0)
		return -1000 - errno;
	return v;
}

static int seti(int fd, int opt, int v)
{
	return setsockopt(fd, IPPROTO_TCP, opt, &v, sizeof v);
}

/* Read until n bytes arrived (each wait at most 2 s): total. */
static long read_n(int fd, long n)
{
	long got = 0;
	while (got < n) {
		struct pollfd p = {.fd = fd, .events = POLLIN};
		if (poll(&p, 1, 2000) <= 0)
			break;
		ssize_t r = recv(fd, buf, sizeof buf, MSG_DONTWAIT);
		if (r <= 0)
			break;
		got += r;
	}
	return got;
}

static void cork_nodelay(void)
{
	int port, c, a;
	int l = tcp_listener(&port);
	int s = socket(AF_INET, SOCK_STREAM, 0);
	printf("fresh TCP_CORK: %d TCP_NODELAY: %d\n", geti(s, TCP_CORK), geti(s, TCP_NODELAY));
	show("set TCP_CORK 1", seti(s, TCP_CORK, 1));
	printf("after cork TCP_CORK: %d TCP_NODELAY: %d\n", geti(s, TCP_CORK), geti(s, TCP_NODELAY));
	show("set TCP_NODELAY 1 while corked", seti(s, TCP_NODELAY, 1));
	printf("corked+nodelay TCP_CORK: %d TCP_NODELAY: %d\n", geti(s, TCP_CORK), geti(s, TCP_NODELAY));
	show("set TCP_CORK 0", seti(s, TCP_CORK, 0));
	printf("uncorked TCP_CORK: %d TCP_NODELAY: %d\n", geti(s, TCP_CORK), geti(s, TCP_NODELAY));
	show("set TCP_NODELAY 0", seti(s, TCP_NODELAY, 0));
	show("set TCP_CORK 2", seti(s, TCP_CORK, 2));
	printf("cork 2 reads: %d\n", geti(s, TCP_CORK));
	show("set TCP_CORK -1", seti(s, TCP_CORK, -1));
	printf("cork -1 reads: %d\n", geti(s, TCP_CORK));
	close(s);

	/* inherited from the listener */
	show("listener TCP_CORK 1", seti(l, TCP_CORK, 1));
	printf("listener TCP_CORK: %d\n", geti(l, TCP_CORK));
	connect_pair(l, port, &c, &a);
	printf("accepted from corked listener TCP_CORK: %d TCP_NODELAY: %d\n", geti(a, TCP_CORK), geti(a, TCP_NODELAY));
	close(c);
	close(a);
	seti(l, TCP_CORK, 0);

	/* corked writes arrive when uncorked */
	connect_pair(l, port, &c, &a);
	printf("connected TCP_CORK: %d\n", geti(c, TCP_CORK));
	show("corked set", seti(c, TCP_CORK, 1));
	for (int i = 0; i < 3; i++)
		show("corked write 10", write(c, "0123456789", 10));
	show("uncork", seti(c, TCP_CORK, 0));
	printf("peer read after uncork: %ld\n", read_n(a, 30));
	/* setting TCP_NODELAY while corked does not uncork the reading */
	show("corked again", seti(c, TCP_CORK, 1));
	show("corked write 5", write(c, "abcde", 5));
	show("nodelay while corked", seti(c, TCP_NODELAY, 1));
	printf("corked+nodelay TCP_CORK: %d\n", geti(c, TCP_CORK));
	show("uncork again", seti(c, TCP_CORK, 0));
	printf("peer read after second uncork: %ld\n", read_n(a, 5));

	/* small writes under TCP_NODELAY */
	printf("TCP_NODELAY now: %d\n", geti(c, TCP_NODELAY));
	int okw = 1;
	for (int i = 0; i < 5; i++)
		okw &= write(c, "z", 1) == 1;
	printf("nodelay 5 small writes: %d\n", okw);
	printf("peer read small writes: %ld\n", read_n(a, 5));

	/* request/response, with and without Nagle */
	for (int nd = 1; nd >= 0; nd--) {
		seti(c, TCP_NODELAY, nd);
		int rounds = 0;
		for (; rounds < 20; rounds++) {
			if (write(c, "q", 1) != 1 || read_n(a, 1) != 1)
				break;
			if (write(a, "r", 1) != 1 || read_n(c, 1) != 1)
				break;
		}
		printf("ping-pong TCP_NODELAY=%d rounds: %d\n", nd, rounds);
	}
	close(c);
	close(a);

	/* TCP_NODELAY from the listener */
	show("listener TCP_NODELAY 1", seti(l, TCP_NODELAY, 1));
	connect_pair(l, port, &c, &a);
	printf("accepted from nodelay listener TCP_NODELAY: %d TCP_CORK: %d\n", geti(a, TCP_NODELAY), geti(a, TCP_CORK));
	printf("client TCP_NODELAY: %d\n", geti(c, TCP_NODELAY));
	close(c);
	close(a);
	close(l);
}

static void defer_accept(void)
{
	static const int vals[] = {0, 1, 2, 3, 4, 5, 7, 8, 30, 31, 32, 60, 64, 120, 127, 128, 247, 248, 1000, 29887, 29888,
				   100000, INT_MAX, -1, -100};
	int s = socket(AF_INET, SOCK_STREAM, 0);
	printf("TCP_DEFER_ACCEPT default: %d\n", geti(s, TCP_DEFER_ACCEPT));
	for (size_t i = 0; i < sizeof vals / sizeof vals[0]; i++) {
		int r = seti(s, TCP_DEFER_ACCEPT, vals[i]);
		if (r < 0)
			printf("TCP_DEFER_ACCEPT %d: -1 %s\n", vals[i], errname(errno));
		else
			printf("TCP_DEFER_ACCEPT %d: reads %d\n", vals[i], geti(s, TCP_DEFER_ACCEPT));
	}
	close(s);

	int port;
	int l = tcp_listener(&port);
	show("listener TCP_DEFER_ACCEPT 5", seti(l, TCP_DEFER_ACCEPT, 5));
	printf("listener TCP_DEFER_ACCEPT: %d\n", geti(l, TCP_DEFER_ACCEPT));
	fcntl(l, F_SETFL, O_NONBLOCK);
	int c = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in a = sin4("127.0.0.1", port);
	show("deferred connect", connect(c, (struct sockaddr *)&a, sizeof a));
	struct pollfd p = {.fd = l, .events = POLLIN};
	int r = poll(&p, 1, 300);
	printf("listener readable before data: %d\n", r);
	show("client write", write(c, "hi", 2));
	p.revents = 0;
	r = poll(&p, 1, 3000);
	printf("listener readable after data: %d%s\n", r, p.revents & POLLIN ? " POLLIN" : "");
	int s2 = accept(l, NULL, NULL);
	showfd("accept after data", s2);
	if (s2 >= 0) {
		show("data at accept", recv(s2, buf, sizeof buf, MSG_DONTWAIT));
		printf("accepted TCP_DEFER_ACCEPT: %d\n", geti(s2, TCP_DEFER_ACCEPT));
		close(s2);
	}
	close(c);
	close(l);
}

/* What the children below saw; the parent prints it (every line, also
 * when a child was killed before it got there). */
struct syn_res {
	int stage0; /* how far the backlog 0 child got */
	int first, has_one;
	int stage; /* how far the TCP_SYNCNT child got */
	int def, filled, set_r, set_e, reads, conn_r, conn_e, poll_r, revents, so_err;
};

/* Connect (non-blocking, then poll up to 3 s) to 127.0.0.1:port: 0 when
 * connected, -2 when not within 3 s, else an errno. */
static int connect3(int port)
{
	struct sockaddr_in a = sin4("127.0.0.1", port);
	int c = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
	int r = connect(c, (struct sockaddr *)&a, sizeof a);
	if (r < 0 && errno == EINPROGRESS) {
		struct pollfd p = {.fd = c, .events = POLLOUT};
		return poll(&p, 1, 3000) == 1 && (p.revents & POLLOUT) && !(p.revents & POLLERR) ? 0 : -2;
	}
	return r < 0 ? errno : 0;
}

static int listener_backlog(int backlog, int *port)
{
	int l = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in la = sin4("127.0.0.1", 0);
	bind(l, (struct sockaddr *)&la, sizeof la);
	listen(l, backlog);
	*port = local_port(l);
	return l;
}

/* Backlog 0 still takes one connection: the accept queue is full when it
 * holds more than the backlog. */
static void backlog0(struct syn_res *res)
{
	int port;
	int l = listener_backlog(0, &port);
	res->first = connect3(port);
	res->stage0 = 1;
	struct pollfd lp = {.fd = l, .events = POLLIN};
	res->has_one = poll(&lp, 1, 2000);
	res->stage0 = 2;
}

/* TCP_SYNCNT 1 against a listener (backlog 1) whose queue is full. */
static void syncnt(struct syn_res *res)
{
	int s = socket(AF_INET, SOCK_STREAM, 0);
	res->def = geti(s, TCP_SYNCNT);
	close(s);
	res->stage = 1;
	int port;
	int l = listener_backlog(1, &port);
	res->filled = (connect3(port) == 0) + (connect3(port) == 0);
	res->stage = 2;
	int c = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
	res->set_r = seti(c, TCP_SYNCNT, 1);
	res->set_e = errno;
	res->reads = geti(c, TCP_SYNCNT);
	res->stage = 3;
	struct sockaddr_in a = sin4("127.0.0.1", port);
	res->conn_r = connect(c, (struct sockaddr *)&a, sizeof a);
	res->conn_e = errno;
	res->stage = 4;
	struct pollfd p = {.fd = c, .events = POLLOUT};
	res->poll_r = poll(&p, 1, 8000);
	res->revents = p.revents;
	int e = -1;
	socklen_t len = sizeof e;
	getsockopt(c, SOL_SOCKET, SO_ERROR, &e, &len);
	res->so_err = e;
	res->stage = 5;
	close(c);
	close(l);
}

static const char *nr = "not reached";

static void print_backlog0(const struct syn_res *r)
{
	if (r->stage0 >= 1)
		printf("connect to backlog 0 listener: %s\n",
		       r->first == 0 ? "connected" : r->first == -2 ? "not within 3 s" : errname(r->first));
	else
		printf("connect to backlog 0 listener: %s\n", nr);
	if (r->stage0 >= 2)
		printf("backlog 0 listener has one: %d\n", r->has_one);
	else
		printf("backlog 0 listener has one: %s\n", nr);
}

static void print_syncnt(const struct syn_res *r)
{
	if (r->stage >= 1)
		printf("TCP_SYNCNT default: %d\n", r->def);
	else
		printf("TCP_SYNCNT default: %s\n", nr);
	if (r->stage >= 2)
		printf("backlog 1 connections queued: %d\n", r->filled);
	else
		printf("backlog 1 connections queued: %s\n", nr);
	if (r->stage >= 3) {
		if (r->set_r < 0)
			printf("TCP_SYNCNT 1: -1 %s\n", errname(r->set_e));
		else
			printf("TCP_SYNCNT 1: 0\n");
		printf("TCP_SYNCNT reads: %d\n", r->reads);
	} else {
		printf("TCP_SYNCNT 1: %s\n", nr);
		printf("TCP_SYNCNT reads: %s\n", nr);
	}
	if (r->stage >= 4) {
		if (r->conn_r < 0)
			printf("connect with queue full: -1 %s\n", errname(r->conn_e));
		else
			printf("connect with queue full: 0\n");
	} else {
		printf("connect with queue full: %s\n", nr);
	}
	if (r->stage >= 5) {
		printf("connect outcome poll: %d%s%s%s\n", r->poll_r, r->revents & POLLOUT ? " POLLOUT" : "",
		       r->revents & POLLERR ? " POLLERR" : "", r->revents & POLLHUP ? " POLLHUP" : "");
		printf("connect SO_ERROR: %s\n", r->so_err ? errname(r->so_err) : "0");
	} else {
		printf("connect outcome poll: %s\n", nr);
		printf("connect SO_ERROR: %s\n", nr);
	}
}

/* Run fn in a child with an alarm of secs; print how it ended. */
static void in_child(const char *label, void (*fn)(struct syn_res *), struct syn_res *res, int secs)
{
	fflush(stdout);
	pid_t pid = fork();
	if (pid == 0) {
		alarm(secs);
		fn(res);
		_exit(0);
	}
	int st = 0;
	waitpid(pid, &st, 0);
	if (WIFEXITED(st))
		printf("%s: exit %d\n", label, WEXITSTATUS(st));
	else
		printf("%s: killed by %s\n", label, WTERMSIG(st) == SIGALRM ? "SIGALRM" : "a signal");
}

int main(void)
{
	common_init();
	cork_nodelay();
	defer_accept();
	/* in children with an alarm of their own, so that a connect that
	 * never ends cannot take the rest of the program with it */
	struct syn_res *res = mmap(NULL, sizeof *res, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	memset(res, 0, sizeof *res);
	in_child("backlog 0 child", backlog0, res, 6);
	print_backlog0(res);
	in_child("syncnt child", syncnt, res, 12);
	print_syncnt(res);
	puts("done");
	return 0;
}
