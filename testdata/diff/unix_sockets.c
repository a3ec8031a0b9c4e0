/* unix_sockets.c - AF_UNIX stream, datagram and seqpacket sockets.
 *
 * Checks: the three types (and SOCK_RAW becoming SOCK_DGRAM), socketpair for
 * each type and its error cases; bind to a path (socket node, mode, stale
 * node, EADDRINUSE/ENOENT/EINVAL cases, a 108-byte sun_path without NUL),
 * to an abstract name ("x" and "x\0" differ, rebind after close) and
 * autobind; getsockname/getpeername lengths on both ends of a connection;
 * connect errors (ENOENT, ECONNREFUSED for a stale node, a non-listening
 * socket and a regular file, EPROTOTYPE on a type mismatch, EINVAL, EISCONN),
 * listen/accept errors, the listen backlog with non-blocking connects;
 * message boundaries, MSG_TRUNC, MSG_PEEK, MSG_DONTWAIT, zero-length sends;
 * MSG_OOB; shutdown seen from the peer; EPIPE with SIGPIPE and MSG_NOSIGNAL;
 * a closed datagram peer (ECONNREFUSED then ENOTCONN); the datagram queue
 * limit (EAGAIN); SCM_RIGHTS (shared offset, several fds, MSG_CTRUNC with the
 * fds that did not fit closed, MSG_CMSG_CLOEXEC, MSG_PEEK, EBADF, 253/254
 * fds, zero-byte messages, fds splitting stream reads, a forked child using a
 * file and a pipe, and an AF_INET UDP socket passed to a forked child);
 * SCM_CREDENTIALS with SO_PASSCRED (kernel-filled, claimed by root, claimed
 * by an unprivileged child, errors, stream coalescing); SO_PEERCRED; the
 * SO_PASSCRED autobind of an unbound sender; unlink of a bound path while
 * connected; /proc/net/unix lines of listeners.
 *
 * Paths live in a mkdtemp() directory under /tmp (removed at the end) and are
 * never printed; abstract names contain getpid() but are never printed
 * either. Pids, uids and gids are printed as relations ("pid=self").
 * A forked child prints its lines, then tells the parent, which only prints
 * after that and releases the child at the end.
 */
/* spec: UNIX-01 UNIX-02 UNIX-03 UNIX-04 UNIX-05 UNIX-07 UNIX-08 UNIX-09 UNIX-10 UNIX-11 */
/* spec: UNIX-12 UNIX-13 UNIX-14 UNIX-15 UNIX-16 UNIX-17 UNIX-18 UNIX-19 UNIX-20 UNIX-21 */
/* spec: UNIX-22 UNIX-24 CMSG-10 CMSG-11 SO-21 BIND-11 */
#include "common.h"
#include <ctype.h>
#include <dirent.h>
#include <grp.h>
#include <poll.h>
#include <signal.h>
#include <stddef.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/uio.h>
#include <sys/wait.h>

#define SUNOFF offsetof(struct sockaddr_un, sun_path)

static char g_dir[64];
static volatile sig_atomic_t g_sigpipe;
static void on_sigpipe(int s) { (void)s; g_sigpipe++; }

/* ---------- addresses ---------- */

static socklen_t mkpath(struct sockaddr_un *a, const char *name)
{
	memset(a, 0, sizeof *a);
	a->sun_family = AF_UNIX;
	snprintf(a->sun_path, sizeof a->sun_path, "%s/%s", g_dir, name);
	return SUN_LEN(a);
}

static char g_pathbuf[160];
static const char *fpath(const char *name)
{
	snprintf(g_pathbuf, sizeof g_pathbuf, "%s/%s", g_dir, name);
	return g_pathbuf;
}

/* "\0nbux-PID-tag": unique per process, never printed. */
static socklen_t mkabs(struct sockaddr_un *a, const char *tag)
{
	memset(a, 0, sizeof *a);
	a->sun_family = AF_UNIX;
	int n = snprintf(a->sun_path + 1, sizeof a->sun_path - 1, "nbux-%d-%s", (int)getpid(), tag);
	return SUNOFF + 1 + n;
}

/* Describe an AF_UNIX address by relations only. */
static const char *descr(const void *sa, socklen_t len, const struct sockaddr_un *want, socklen_t wantlen)
{
	static char b[200];
	const struct sockaddr_un *a = sa;
	if (len == 0)
		return "none len=0";
	if (len < SUNOFF) {
		snprintf(b, sizeof b, "short len=%u", len);
		return b;
	}
	if (a->sun_family != AF_UNIX) {
		snprintf(b, sizeof b, "family=%d len=%u", a->sun_family, len);
		return b;
	}
	if (len == SUNOFF)
		return "unnamed len=2";
	if (a->sun_path[0] == 0) {
		size_t nl = len - SUNOFF - 1;
		if (want && wantlen == len && memcmp(a, want, len) == 0) {
			snprintf(b, sizeof b, "abstract same as bound len=3+namelen");
			return b;
		}
		int hex = nl == 5;
		for (size_t i = 0; hex && i < nl; i++) {
			unsigned char ch = a->sun_path[1 + i];
			hex = isxdigit(ch) && !isupper(ch);
		}
		if (hex) {
			snprintf(b, sizeof b, "abstract autobind NUL+5 hex len=%u", len);
			return b;
		}
		snprintf(b, sizeof b, "abstract other namelen=%zu", nl);
		return b;
	}
	size_t sl = strnlen(a->sun_path, len - SUNOFF);
	const char *same = "other";
	if (want && want->sun_path[0] && strncmp(a->sun_path, want->sun_path, sizeof a->sun_path) == 0)
		same = "same as bound";
	snprintf(b, sizeof b, "path %s len=2+strlen%+ld", same, (long)len - (long)(SUNOFF + sl));
	return b;
}

static void show_name(const char *label, int fd, int peer, const struct sockaddr_un *want, socklen_t wantlen)
{
	struct sockaddr_storage ss;
	memset(&ss, 0x55, sizeof ss);
	socklen_t l = sizeof ss;
	int r = peer ? getpeername(fd, (struct sockaddr *)&ss, &l) : getsockname(fd, (struct sockaddr *)&ss, &l);
	if (r < 0)
		printf("%s: -1 %s\n", label, errname(errno));
	else
		printf("%s: %s\n", label, descr(&ss, l, want, wantlen));
}

/* ---------- small helpers ---------- */

static void set_rcvtimeo_ms(int fd, int ms)
{
	struct timeval tv = { ms / 1000, (ms % 1000) * 1000 };
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
}

static void set_sndtimeo_ms(int fd, int ms)
{
	struct timeval tv = { ms / 1000, (ms % 1000) * 1000 };
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
}

/* accept() bounded by a 2 s SO_RCVTIMEO on the listener. */
static int accept_b(int fd, struct sockaddr *a, socklen_t *l)
{
	set_rcvtimeo_ms(fd, 2000);
	return accept(fd, a, l);
}

static int count_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	if (!d)
		return -1;
	int n = 0;
	struct dirent *e;
	while ((e = readdir(d)))
		if (e->d_name[0] != '.')
			n++;
	closedir(d);
	return n;
}

static const char *pollstr(short r)
{
	static char b[96];
	b[0] = 0;
	if (r & POLLIN) strcat(b, " IN");
	if (r & POLLPRI) strcat(b, " PRI");
	if (r & POLLOUT) strcat(b, " OUT");
	if (r & POLLERR) strcat(b, " ERR");
	if (r & POLLHUP) strcat(b, " HUP");
	if (r & POLLRDHUP) strcat(b, " RDHUP");
	if (r & POLLNVAL) strcat(b, " NVAL");
	if (!b[0])
		strcpy(b, " none");
	return b + 1;
}

static void show_poll(const char *label, int fd)
{
	struct pollfd p = { .fd = fd, .events = POLLIN | POLLOUT | POLLRDHUP | POLLPRI };
	int r = poll(&p, 1, 0);
	if (r < 0)
		printf("%s: -1 %s\n", label, errname(errno));
	else
		printf("%s: %d %s\n", label, r, pollstr(p.revents));
}

static const char *flagstr(int f)
{
	static char b[96];
	b[0] = 0;
	if (f & MSG_TRUNC) strcat(b, ",TRUNC");
	if (f & MSG_CTRUNC) strcat(b, ",CTRUNC");
	if (f & MSG_EOR) strcat(b, ",EOR");
	if (f & MSG_OOB) strcat(b, ",OOB");
	if (f & MSG_CMSG_CLOEXEC) strcat(b, ",CMSG_CLOEXEC");
	int rest = f & ~(MSG_TRUNC | MSG_CTRUNC | MSG_EOR | MSG_OOB | MSG_CMSG_CLOEXEC);
	if (rest)
		snprintf(b + strlen(b), sizeof b - strlen(b), ",0x%x", rest);
	if (!b[0])
		strcpy(b, ",none");
	return b + 1;
}

/* recv and print "N \"data\"" (data capped to the buffer). */
static ssize_t rcv(const char *label, int fd, size_t len, int flags)
{
	char b[256];
	if (len > sizeof b)
		len = sizeof b;
	ssize_t n = recv(fd, b, len, flags);
	if (n < 0)
		printf("%s: -1 %s\n", label, errname(errno));
	else
		printf("%s: %zd \"%.*s\"\n", label, n, (int)(n < (ssize_t)len ? n : (ssize_t)len), b);
	return n;
}

/* ---------- credentials ---------- */

static pid_t g_want_pid = -2;
static const char *g_want_name = "?";

static const char *cred_str(const struct ucred *u)
{
	static char b[160];
	char p[32], us[32], gs[32];
	if (u->pid == 0 && u->uid == 0 && u->gid == 0)
		return "pid=0 uid=0 gid=0 (all zero)";
	if (u->pid == g_want_pid)
		snprintf(p, sizeof p, "%s", g_want_name);
	else if (u->pid == getpid())
		snprintf(p, sizeof p, "self");
	else if (u->pid == 0 || u->pid == 1)
		snprintf(p, sizeof p, "%d", (int)u->pid);
	else
		snprintf(p, sizeof p, "other");
	if (u->uid == getuid())
		snprintf(us, sizeof us, "same as getuid()");
	else if (u->uid == (uid_t)-1 || u->uid == 65534)
		snprintf(us, sizeof us, "%d", (int)u->uid);
	else
		snprintf(us, sizeof us, "other");
	if (u->gid == getgid())
		snprintf(gs, sizeof gs, "same as getgid()");
	else if (u->gid == (gid_t)-1 || u->gid == 65534)
		snprintf(gs, sizeof gs, "%d", (int)u->gid);
	else
		snprintf(gs, sizeof gs, "other");
	snprintf(b, sizeof b, "pid=%s uid=%s gid=%s", p, us, gs);
	return b;
}

static void peercred(const char *label, int fd)
{
	struct ucred u;
	memset(&u, 0x5a, sizeof u);
	socklen_t l = sizeof u;
	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &u, &l) < 0)
		printf("%s: -1 %s\n", label, errname(errno));
	else
		printf("%s: %s len=%u\n", label, cred_str(&u), l);
}

/* ---------- sendmsg / recvmsg with control data ---------- */

#define MAXFDS 300

static long send_fds(int fd, const void *data, size_t len, const int *fds, int n, int flags)
{
	union {
		struct cmsghdr h;
		char b[CMSG_SPACE(sizeof(int) * MAXFDS)];
	} ctl;
	struct iovec iov = { (void *)data, len };
	struct msghdr m;
	memset(&ctl, 0, sizeof ctl);
	memset(&m, 0, sizeof m);
	m.msg_iov = &iov;
	m.msg_iovlen = 1;
	if (n > 0) {
		m.msg_control = ctl.b;
		m.msg_controllen = CMSG_SPACE(sizeof(int) * n);
		struct cmsghdr *c = CMSG_FIRSTHDR(&m);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(sizeof(int) * n);
		memcpy(CMSG_DATA(c), fds, sizeof(int) * n);
	}
	return sendmsg(fd, &m, flags);
}

/* sendmsg with an SCM_CREDENTIALS cmsg of credlen bytes; to may be NULL. */
static long send_creds(int fd, const struct sockaddr_un *to, socklen_t tolen, const char *data,
		       pid_t pid, uid_t uid, gid_t gid, size_t credlen)
{
	union {
		struct cmsghdr h;
		char b[CMSG_SPACE(sizeof(struct ucred))];
	} ctl;
	struct ucred u = { pid, uid, gid };
	struct iovec iov = { (void *)data, strlen(data) };
	struct msghdr m;
	memset(&ctl, 0, sizeof ctl);
	memset(&m, 0, sizeof m);
	m.msg_name = (void *)to;
	m.msg_namelen = to ? tolen : 0;
	m.msg_iov = &iov;
	m.msg_iovlen = 1;
	m.msg_control = ctl.b;
	m.msg_controllen = CMSG_SPACE(credlen);
	struct cmsghdr *c = CMSG_FIRSTHDR(&m);
	c->cmsg_level = SOL_SOCKET;
	c->cmsg_type = SCM_CREDENTIALS;
	c->cmsg_len = CMSG_LEN(credlen);
	memcpy(CMSG_DATA(c), &u, credlen < sizeof u ? credlen : sizeof u);
	return sendmsg(fd, &m, 0);
}

static int g_rfds[MAXFDS];
static int g_nrfds;

/* recvmsg with dlen data bytes and ctllen control bytes (ctllen < 0: no
 * control buffer); prints result, data, flags, controllen and the cmsgs;
 * the fds received are left in g_rfds. */
static ssize_t rmsg(const char *label, int fd, size_t dlen, long ctllen, int flags)
{
	char data[256];
	union {
		struct cmsghdr h;
		char b[CMSG_SPACE(sizeof(int) * MAXFDS)];
	} ctl;
	if (dlen > sizeof data)
		dlen = sizeof data;
	struct iovec iov = { data, dlen };
	struct msghdr m;
	memset(&m, 0, sizeof m);
	memset(&ctl, 0, sizeof ctl);
	m.msg_iov = &iov;
	m.msg_iovlen = 1;
	if (ctllen >= 0) {
		m.msg_control = ctl.b;
		m.msg_controllen = ctllen;
	}
	g_nrfds = 0;
	ssize_t n = recvmsg(fd, &m, flags);
	if (n < 0) {
		printf("%s: -1 %s\n", label, errname(errno));
		return n;
	}
	printf("%s: %zd \"%.*s\" flags=%s controllen=%zu", label, n, (int)(n < (ssize_t)dlen ? n : (ssize_t)dlen),
	       data, flagstr(m.msg_flags), (size_t)m.msg_controllen);
	int nc = 0;
	for (struct cmsghdr *c = CMSG_FIRSTHDR(&m); c; c = CMSG_NXTHDR(&m, c), nc++) {
		size_t cl = c->cmsg_len >= CMSG_LEN(0) ? c->cmsg_len - CMSG_LEN(0) : 0;
		if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS) {
			int k = cl / sizeof(int);
			for (int i = 0; i < k && g_nrfds < MAXFDS; i++)
				memcpy(&g_rfds[g_nrfds++], CMSG_DATA(c) + i * sizeof(int), sizeof(int));
			printf(" RIGHTS nfds=%d", k);
		} else if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_CREDENTIALS &&
			   cl >= sizeof(struct ucred)) {
			struct ucred u;
			memcpy(&u, CMSG_DATA(c), sizeof u);
			printf(" CREDS %s", cred_str(&u));
		} else {
			printf(" cmsg level=%d type=%d len=%zu", c->cmsg_level, c->cmsg_type, (size_t)c->cmsg_len);
		}
	}
	printf(" ncmsg=%d\n", nc);
	return n;
}

static void close_rfds(void)
{
	for (int i = 0; i < g_nrfds; i++)
		close(g_rfds[i]);
	g_nrfds = 0;
}

static const char *ftype(int fd)
{
	struct stat st;
	if (fstat(fd, &st) < 0)
		return "bad";
	if (S_ISREG(st.st_mode)) return "regular";
	if (S_ISFIFO(st.st_mode)) return "fifo";
	if (S_ISSOCK(st.st_mode)) return "socket";
	if (S_ISCHR(st.st_mode)) return "chr";
	return "other";
}

/* ---------- child synchronisation ---------- */

struct xsync {
	int done[2];
	int go[2];
};

static void xs_init(struct xsync *x)
{
	if (pipe(x->done) < 0 || pipe(x->go) < 0)
		printf("xsync pipe: -1 %s\n", errname(errno));
	fflush(stdout);
}

/* Child: tell the parent we printed everything, wait to be released. */
static void xs_child_done(struct xsync *x, int code)
{
	fflush(stdout);
	close(x->done[0]);
	close(x->go[1]);
	if (write(x->done[1], "d", 1) < 0)
		_exit(99);
	struct pollfd p = { .fd = x->go[0], .events = POLLIN };
	poll(&p, 1, 5000);
	_exit(code);
}

static void xs_parent_wait(struct xsync *x)
{
	close(x->done[1]);
	close(x->go[0]);
	struct pollfd p = { .fd = x->done[0], .events = POLLIN };
	char c;
	if (poll(&p, 1, 5000) != 1 || read(x->done[0], &c, 1) != 1)
		printf("xsync wait: child did not report\n");
}

static int xs_release(struct xsync *x, pid_t pid)
{
	int st = 0;
	close(x->go[1]);
	close(x->done[0]);
	waitpid(pid, &st, 0);
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

/* ---------- sections ---------- */

static const struct {
	const char *n;
	int t;
} g_types[] = {
	{ "STREAM", SOCK_STREAM },
	{ "DGRAM", SOCK_DGRAM },
	{ "SEQPACKET", SOCK_SEQPACKET },
};

static void sec_types(void)
{
	char lab[96];
	const struct {
		const char *n;
		int t;
	} t[] = { { "STREAM", SOCK_STREAM }, { "DGRAM", SOCK_DGRAM }, { "SEQPACKET", SOCK_SEQPACKET },
		  { "RAW", SOCK_RAW } };
	printf("AF_LOCAL PF_UNIX PF_LOCAL equal AF_UNIX: %d value %d\n",
	       AF_LOCAL == AF_UNIX && PF_UNIX == AF_UNIX && PF_LOCAL == AF_UNIX, AF_UNIX);
	for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
		int fd = socket(AF_UNIX, t[i].t, 0);
		snprintf(lab, sizeof lab, "type %s socket", t[i].n);
		showfd(lab, fd);
		snprintf(lab, sizeof lab, "type %s SO_TYPE", t[i].n);
		get_int(lab, fd, SOL_SOCKET, SO_TYPE);
		snprintf(lab, sizeof lab, "type %s SO_DOMAIN", t[i].n);
		get_int(lab, fd, SOL_SOCKET, SO_DOMAIN);
		snprintf(lab, sizeof lab, "type %s SO_PROTOCOL", t[i].n);
		get_int(lab, fd, SOL_SOCKET, SO_PROTOCOL);
		close(fd);
	}
	int fd = socket(AF_LOCAL, SOCK_STREAM, PF_UNIX);
	showfd("type AF_LOCAL protocol 1 socket", fd);
	close(fd);
	showfd("type RDM socket", socket(AF_UNIX, SOCK_RDM, 0));
	showfd("type STREAM protocol 2 socket", socket(AF_UNIX, SOCK_STREAM, 2));
	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	printf("type DGRAM nonblock cloexec flags: nonblock=%d cloexec=%d\n", fd_nonblock(fd), fd_cloexec(fd));
	close(fd);
}

static void sec_socketpair(void)
{
	char lab[96];
	for (size_t i = 0; i < 3; i++) {
		int sp[2] = { -1, -1 };
		const char *n = g_types[i].n;
		snprintf(lab, sizeof lab, "pair %s socketpair", n);
		show(lab, socketpair(AF_UNIX, g_types[i].t, 0, sp));
		set_rcvtimeo_ms(sp[0], 2000);
		set_rcvtimeo_ms(sp[1], 2000);
		snprintf(lab, sizeof lab, "pair %s send 0 to 1", n);
		show(lab, send(sp[0], "ping", 4, 0));
		snprintf(lab, sizeof lab, "pair %s recv on 1", n);
		rcv(lab, sp[1], 64, 0);
		snprintf(lab, sizeof lab, "pair %s send 1 to 0", n);
		show(lab, send(sp[1], "pong!", 5, 0));
		snprintf(lab, sizeof lab, "pair %s recv on 0", n);
		rcv(lab, sp[0], 64, 0);
		snprintf(lab, sizeof lab, "pair %s getsockname", n);
		show_name(lab, sp[0], 0, NULL, 0);
		snprintf(lab, sizeof lab, "pair %s getpeername", n);
		show_name(lab, sp[0], 1, NULL, 0);
		snprintf(lab, sizeof lab, "pair %s SO_PEERCRED 0", n);
		peercred(lab, sp[0]);
		snprintf(lab, sizeof lab, "pair %s SO_PEERCRED 1", n);
		peercred(lab, sp[1]);
		snprintf(lab, sizeof lab, "pair %s SO_TYPE", n);
		get_int(lab, sp[1], SOL_SOCKET, SO_TYPE);
		close(sp[0]);
		close(sp[1]);
	}
	int sp[2];
	show("pair RAW socketpair", socketpair(AF_UNIX, SOCK_RAW, 0, sp));
	get_int("pair RAW SO_TYPE", sp[0], SOL_SOCKET, SO_TYPE);
	close(sp[0]);
	close(sp[1]);
	show("pair RDM socketpair", socketpair(AF_UNIX, SOCK_RDM, 0, sp));
	show("pair protocol 2 socketpair", socketpair(AF_UNIX, SOCK_STREAM, 2, sp));
	show("pair protocol 1 socketpair", socketpair(AF_UNIX, SOCK_STREAM, 1, sp));
	close(sp[0]);
	close(sp[1]);
	show("pair flags socketpair", socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, sp));
	printf("pair flags end 0: nonblock=%d cloexec=%d\n", fd_nonblock(sp[0]), fd_cloexec(sp[0]));
	printf("pair flags end 1: nonblock=%d cloexec=%d\n", fd_nonblock(sp[1]), fd_cloexec(sp[1]));
	close(sp[0]);
	close(sp[1]);
}

static void sec_bind_path(void)
{
	struct sockaddr_un a, b;
	socklen_t al = mkpath(&a, "srv");
	int s = socket(AF_UNIX, SOCK_STREAM, 0);
	show_name("bind path unbound getsockname", s, 0, NULL, 0);
	show_name("bind path unbound getpeername", s, 1, NULL, 0);
	show("bind path SUN_LEN", bind(s, (struct sockaddr *)&a, al));
	struct stat st;
	if (stat(a.sun_path, &st) < 0)
		printf("bind path stat: -1 %s\n", errname(errno));
	else
		printf("bind path stat: S_ISSOCK=%d mode=%04o\n", S_ISSOCK(st.st_mode), st.st_mode & 07777);
	show_name("bind path getsockname", s, 0, &a, al);
	{
		struct sockaddr_un small;
		socklen_t l = 4;
		memset(&small, 0, sizeof small);
		show("bind path getsockname short buffer", getsockname(s, (struct sockaddr *)&small, &l));
		printf("bind path getsockname short buffer len: %s\n",
		       l == SUNOFF + strlen(a.sun_path) + 1 ? "2+strlen+1" : "other");
	}
	int s2 = socket(AF_UNIX, SOCK_STREAM, 0);
	show("bind path same path again", bind(s2, (struct sockaddr *)&a, al));
	int s3 = socket(AF_UNIX, SOCK_DGRAM, 0);
	show("bind path same path from DGRAM", bind(s3, (struct sockaddr *)&a, al));
	close(s3);
	socklen_t bl = mkpath(&b, "srv-other");
	show("bind path bound socket again", bind(s, (struct sockaddr *)&b, bl));
	bl = mkpath(&b, "nodir/x");
	show("bind path missing dir", bind(s2, (struct sockaddr *)&b, bl));
	bl = mkpath(&b, "srv-b");
	show("bind path addrlen too long", bind(s2, (struct sockaddr *)&b, sizeof b + 1));
	show("bind path addrlen 1", bind(s2, (struct sockaddr *)&b, 1));
	b.sun_family = AF_INET;
	show("bind path family AF_INET", bind(s2, (struct sockaddr *)&b, bl));
	b.sun_family = AF_UNIX;
	show("bind path sizeof addrlen", bind(s2, (struct sockaddr *)&b, sizeof b));
	show_name("bind path sizeof getsockname", s2, 0, &b, bl);
	close(s2);

	/* a 108-byte sun_path without NUL, relative to the directory */
	{
		char cwd[256];
		if (!getcwd(cwd, sizeof cwd))
			strcpy(cwd, "/");
		show("bind path chdir", chdir(g_dir));
		struct sockaddr_un l;
		memset(&l, 0, sizeof l);
		l.sun_family = AF_UNIX;
		memset(l.sun_path, 'L', sizeof l.sun_path);
		int s4 = socket(AF_UNIX, SOCK_DGRAM, 0);
		show("bind path 108 bytes no NUL", bind(s4, (struct sockaddr *)&l, sizeof l));
		show_name("bind path 108 getsockname", s4, 0, &l, sizeof l);
		char name[sizeof l.sun_path + 1];
		memcpy(name, l.sun_path, sizeof l.sun_path);
		name[sizeof l.sun_path] = 0;
		printf("bind path 108 node in cwd: %d\n", stat(name, &st) == 0 && S_ISSOCK(st.st_mode));
		int c4 = socket(AF_UNIX, SOCK_DGRAM, 0);
		show("bind path 108 sendto", sendto(c4, "long", 4, 0, (struct sockaddr *)&l, sizeof l));
		set_rcvtimeo_ms(s4, 2000);
		rcv("bind path 108 recv", s4, 64, 0);
		close(c4);
		close(s4);
		show("bind path 108 unlink", unlink(name));
		show("bind path chdir back", chdir(cwd));
	}

	close(s);
	printf("bind path node after close: %d\n", stat(a.sun_path, &st) == 0 && S_ISSOCK(st.st_mode));
	s = socket(AF_UNIX, SOCK_STREAM, 0);
	show("bind path stale node", bind(s, (struct sockaddr *)&a, al));
	close(s);
	/* the node "srv" stays: used below as a stale node */
}

static void sec_abstract(void)
{
	struct sockaddr_un a, b;
	socklen_t al = mkabs(&a, "abs");
	int s = socket(AF_UNIX, SOCK_DGRAM, 0);
	show("abstract bind", bind(s, (struct sockaddr *)&a, al));
	show_name("abstract getsockname", s, 0, &a, al);
	{
		struct sockaddr_storage ss;
		socklen_t l = sizeof ss;
		getsockname(s, (struct sockaddr *)&ss, &l);
		printf("abstract getsockname len: %s\n", l == al ? "same as bind addrlen" : "other");
	}
	int s2 = socket(AF_UNIX, SOCK_DGRAM, 0);
	show("abstract bind again", bind(s2, (struct sockaddr *)&a, al));
	int s3 = socket(AF_UNIX, SOCK_STREAM, 0);
	show("abstract bind again from STREAM", bind(s3, (struct sockaddr *)&a, al));
	close(s3);
	/* "name" and "name\0\0" are different names */
	b = a;
	show("abstract bind name plus two NULs", bind(s2, (struct sockaddr *)&b, al + 2));
	show_name("abstract getsockname name plus two NULs", s2, 0, &b, al + 2);
	int c = socket(AF_UNIX, SOCK_DGRAM, 0);
	show("abstract sendto name", sendto(c, "plain", 5, 0, (struct sockaddr *)&a, al));
	show("abstract sendto name plus NULs", sendto(c, "nuls", 4, 0, (struct sockaddr *)&b, al + 2));
	rcv("abstract recv name", s, 64, MSG_DONTWAIT);
	rcv("abstract recv name plus NULs", s2, 64, MSG_DONTWAIT);
	close(s2);
	close(s);
	s = socket(AF_UNIX, SOCK_DGRAM, 0);
	show("abstract rebind after close", bind(s, (struct sockaddr *)&a, al));
	close(s);
	socklen_t ml = mkabs(&b, "missing");
	show("abstract sendto missing", sendto(c, "x", 1, 0, (struct sockaddr *)&b, ml));
	int cs = socket(AF_UNIX, SOCK_STREAM, 0);
	show("abstract connect missing", connect(cs, (struct sockaddr *)&b, ml));
	close(cs);
	close(c);
	/* abstract name of the empty string: addrlen 3 */
	s = socket(AF_UNIX, SOCK_DGRAM, 0);
	memset(&b, 0, sizeof b);
	b.sun_family = AF_UNIX;
	/* not bound: it would collide across runs in one namespace; just check
	 * that a sun_path of only NUL with addrlen 3 sends to nobody */
	show("abstract sendto empty name", sendto(s, "x", 1, 0, (struct sockaddr *)&b, SUNOFF + 1));
	close(s);
}

static void sec_autobind(void)
{
	struct sockaddr_un a;
	int s = socket(AF_UNIX, SOCK_STREAM, 0);
	memset(&a, 0, sizeof a);
	a.sun_family = AF_UNIX;
	show("autobind bind", bind(s, (struct sockaddr *)&a, sizeof(sa_family_t)));
	show_name("autobind getsockname", s, 0, NULL, 0);
	show("autobind bind again", bind(s, (struct sockaddr *)&a, sizeof(sa_family_t)));
	show("autobind listen", listen(s, 4));
	struct sockaddr_storage ss;
	socklen_t l = sizeof ss;
	getsockname(s, (struct sockaddr *)&ss, &l);
	int c = socket(AF_UNIX, SOCK_STREAM, 0);
	show("autobind connect to autobound name", connect(c, (struct sockaddr *)&ss, l));
	show_name("autobind client getpeername", c, 1, (struct sockaddr_un *)&ss, l);
	int x = accept_b(s, NULL, NULL);
	showfd("autobind accept", x);
	close(x);
	close(c);
	int s2 = socket(AF_UNIX, SOCK_DGRAM, 0);
	show("autobind DGRAM bind", bind(s2, (struct sockaddr *)&a, sizeof(sa_family_t)));
	struct sockaddr_storage s2n;
	socklen_t s2l = sizeof s2n;
	getsockname(s2, (struct sockaddr *)&s2n, &s2l);
	printf("autobind two names differ: %d\n", !(s2l == l && memcmp(&s2n, &ss, l) == 0));
	close(s2);
	close(s);

	/* unbound DGRAM sender: not autobound; the receiver cannot answer */
	struct sockaddr_un r;
	socklen_t rl = mkabs(&r, "ab-recv");
	int rs = socket(AF_UNIX, SOCK_DGRAM, 0);
	show("autobind receiver bind", bind(rs, (struct sockaddr *)&r, rl));
	set_rcvtimeo_ms(rs, 2000);
	int u = socket(AF_UNIX, SOCK_DGRAM, 0);
	show("autobind unbound sendto", sendto(u, "anon", 4, 0, (struct sockaddr *)&r, rl));
	{
		char b[64];
		struct sockaddr_storage from;
		memset(&from, 0x55, sizeof from);
		socklen_t fl = sizeof from;
		ssize_t n = recvfrom(rs, b, sizeof b, 0, (struct sockaddr *)&from, &fl);
		printf("autobind unbound recvfrom: %zd from %s\n", n,
		       n < 0 ? errname(errno) : descr(&from, fl, NULL, 0));
		show("autobind reply to empty address", sendto(rs, "re", 2, 0, (struct sockaddr *)&from, fl));
	}
	show_name("autobind unbound sender getsockname", u, 0, NULL, 0);
	close(u);

	/* SO_PASSCRED on the sender autobinds it */
	u = socket(AF_UNIX, SOCK_DGRAM, 0);
	show("autobind passcred set", set_int(u, SOL_SOCKET, SO_PASSCRED, 1));
	show_name("autobind passcred getsockname before", u, 0, NULL, 0);
	show("autobind passcred sendto", sendto(u, "cred", 4, 0, (struct sockaddr *)&r, rl));
	show_name("autobind passcred getsockname after", u, 0, NULL, 0);
	{
		char b[64];
		struct sockaddr_storage from;
		socklen_t fl = sizeof from;
		ssize_t n = recvfrom(rs, b, sizeof b, 0, (struct sockaddr *)&from, &fl);
		printf("autobind passcred recvfrom: %zd from %s\n", n,
		       n < 0 ? errname(errno) : descr(&from, fl, NULL, 0));
		show("autobind passcred reply", sendto(rs, "re", 2, 0, (struct sockaddr *)&from, fl));
		set_rcvtimeo_ms(u, 2000);
		rcv("autobind passcred reply recv", u, 64, 0);
	}
	close(u);

	/* SO_PASSCRED on a stream client autobinds it at connect */
	struct sockaddr_un la;
	socklen_t ll = mkabs(&la, "ab-listen");
	int L = socket(AF_UNIX, SOCK_STREAM, 0);
	bind(L, (struct sockaddr *)&la, ll);
	listen(L, 4);
	c = socket(AF_UNIX, SOCK_STREAM, 0);
	set_int(c, SOL_SOCKET, SO_PASSCRED, 1);
	show("autobind passcred stream connect", connect(c, (struct sockaddr *)&la, ll));
	show_name("autobind passcred stream getsockname", c, 0, NULL, 0);
	x = accept_b(L, NULL, NULL);
	show_name("autobind passcred stream server getpeername", x, 1, NULL, 0);
	close(x);
	close(c);
	c = socket(AF_UNIX, SOCK_STREAM, 0);
	show("autobind plain stream connect", connect(c, (struct sockaddr *)&la, ll));
	show_name("autobind plain stream getsockname", c, 0, NULL, 0);
	close(c);
	close(L);
	close(rs);
}

/* A listening STREAM socket on path name; returns fd. */
static int listener_path(int type, const char *name, struct sockaddr_un *a, socklen_t *al, int backlog)
{
	*al = mkpath(a, name);
	int s = socket(AF_UNIX, type, 0);
	if (bind(s, (struct sockaddr *)a, *al) < 0)
		printf("listener %s bind: -1 %s\n", name, errname(errno));
	if (listen(s, backlog) < 0)
		printf("listener %s listen: -1 %s\n", name, errname(errno));
	return s;
}

static void sec_connect(void)
{
	struct sockaddr_un la, x;
	socklen_t ll, xl;
	int L = listener_path(SOCK_STREAM, "lis", &la, &ll, 8);
	int c = socket(AF_UNIX, SOCK_STREAM, 0);

	xl = mkpath(&x, "missing");
	show("connect missing path", connect(c, (struct sockaddr *)&x, xl));
	xl = mkpath(&x, "srv");
	show("connect stale node", connect(c, (struct sockaddr *)&x, xl));
	{
		struct sockaddr_un n;
		socklen_t nl = mkpath(&n, "nolisten");
		int nls = socket(AF_UNIX, SOCK_STREAM, 0);
		bind(nls, (struct sockaddr *)&n, nl);
		show("connect bound not listening", connect(c, (struct sockaddr *)&n, nl));
		show("connect accept on not listening", accept_b(nls, NULL, NULL));
		close(nls);
	}
	{
		int f = open(fpath("regular"), O_CREAT | O_WRONLY | O_TRUNC, 0644);
		close(f);
		xl = mkpath(&x, "regular");
		show("connect regular file", connect(c, (struct sockaddr *)&x, xl));
	}
	{
		int d = socket(AF_UNIX, SOCK_DGRAM, 0);
		show("connect DGRAM to STREAM listener", connect(d, (struct sockaddr *)&la, ll));
		show("connect DGRAM sendto STREAM listener", sendto(d, "x", 1, 0, (struct sockaddr *)&la, ll));
		close(d);
		int q = socket(AF_UNIX, SOCK_SEQPACKET, 0);
		show("connect SEQPACKET to STREAM listener", connect(q, (struct sockaddr *)&la, ll));
		close(q);
		struct sockaddr_un dn;
		socklen_t dnl = mkpath(&dn, "dgsrv");
		d = socket(AF_UNIX, SOCK_DGRAM, 0);
		bind(d, (struct sockaddr *)&dn, dnl);
		int s2 = socket(AF_UNIX, SOCK_STREAM, 0);
		show("connect STREAM to DGRAM socket", connect(s2, (struct sockaddr *)&dn, dnl));
		close(s2);
		close(d);
	}
	show("connect addrlen 1", connect(c, (struct sockaddr *)&la, 1));
	show("connect addrlen too long", connect(c, (struct sockaddr *)&la, sizeof la + 1));
	la.sun_family = AF_INET;
	show("connect family AF_INET", connect(c, (struct sockaddr *)&la, ll));
	la.sun_family = AF_UNSPEC;
	show("connect STREAM family AF_UNSPEC", connect(c, (struct sockaddr *)&la, ll));
	la.sun_family = AF_UNIX;

	g_sigpipe = 0;
	show("connect send unconnected", send(c, "x", 1, MSG_NOSIGNAL));
	show("connect sendto unconnected STREAM", sendto(c, "x", 1, MSG_NOSIGNAL, (struct sockaddr *)&la, ll));
	printf("connect sigpipe with MSG_NOSIGNAL: %d\n", (int)g_sigpipe);
	show("connect recv unconnected", recv(c, (char[4]){ 0 }, 4, MSG_DONTWAIT));
	show("connect listen unbound", listen(c, 1));
	show("connect shutdown unconnected", shutdown(c, SHUT_RDWR));

	c = socket(AF_UNIX, SOCK_STREAM, 0);
	show("connect to listener", connect(c, (struct sockaddr *)&la, ll));
	show("connect again", connect(c, (struct sockaddr *)&la, ll));
	show("connect sendto connected STREAM", sendto(c, "x", 1, MSG_NOSIGNAL, (struct sockaddr *)&la, ll));
	show("connect listen connected", listen(c, 1));
	show("connect from listener", connect(L, (struct sockaddr *)&la, ll));
	show_name("connect client getsockname", c, 0, NULL, 0);
	show_name("connect client getpeername", c, 1, &la, ll);
	struct sockaddr_storage pa;
	memset(&pa, 0x55, sizeof pa);
	socklen_t pl = sizeof pa;
	int a = accept_b(L, (struct sockaddr *)&pa, &pl);
	showfd("connect accept", a);
	printf("connect accept address: %s\n", descr(&pa, pl, NULL, 0));
	show_name("connect accepted getsockname", a, 0, &la, ll);
	show_name("connect accepted getpeername", a, 1, NULL, 0);
	show_name("connect listener getpeername", L, 1, NULL, 0);
	get_int("connect listener SO_ACCEPTCONN", L, SOL_SOCKET, SO_ACCEPTCONN);
	get_int("connect accepted SO_ACCEPTCONN", a, SOL_SOCKET, SO_ACCEPTCONN);
	set_rcvtimeo_ms(a, 2000);
	show("connect stream send", send(c, "hello", 5, 0));
	rcv("connect stream recv", a, 64, 0);

	/* client bound to a path: the server sees it */
	struct sockaddr_un cn;
	socklen_t cnl = mkpath(&cn, "client");
	int c2 = socket(AF_UNIX, SOCK_STREAM, 0);
	show("connect bound client bind", bind(c2, (struct sockaddr *)&cn, cnl));
	show("connect bound client connect", connect(c2, (struct sockaddr *)&la, ll));
	pl = sizeof pa;
	int a2 = accept_b(L, (struct sockaddr *)&pa, &pl);
	printf("connect bound client accept address: %s\n", descr(&pa, pl, &cn, cnl));
	show_name("connect bound client server getpeername", a2, 1, &cn, cnl);
	close(a2);
	close(c2);

	/* DGRAM: listen/accept, connect, AF_UNSPEC disconnect */
	{
		int d = socket(AF_UNIX, SOCK_DGRAM, 0);
		struct sockaddr_un dn;
		socklen_t dnl = mkpath(&dn, "dgsrv2");
		bind(d, (struct sockaddr *)&dn, dnl);
		show("connect DGRAM listen", listen(d, 1));
		show("connect DGRAM accept", accept_b(d, NULL, NULL));
		int e = socket(AF_UNIX, SOCK_DGRAM, 0);
		show("connect DGRAM connect", connect(e, (struct sockaddr *)&dn, dnl));
		show_name("connect DGRAM getpeername", e, 1, &dn, dnl);
		show("connect DGRAM connect again", connect(e, (struct sockaddr *)&dn, dnl));
		show("connect DGRAM send", send(e, "dg", 2, 0));
		rcv("connect DGRAM recv", d, 64, MSG_DONTWAIT);
		struct sockaddr_un un;
		memset(&un, 0, sizeof un);
		un.sun_family = AF_UNSPEC;
		show("connect DGRAM AF_UNSPEC", connect(e, (struct sockaddr *)&un, sizeof un));
		show_name("connect DGRAM getpeername after AF_UNSPEC", e, 1, NULL, 0);
		show("connect DGRAM send after AF_UNSPEC", send(e, "dg", 2, 0));
		xl = mkpath(&x, "missing");
		show("connect DGRAM sendto missing path", sendto(e, "dg", 2, 0, (struct sockaddr *)&x, xl));
		close(e);
		close(d);
	}

	/* SEQPACKET listener */
	{
		struct sockaddr_un qn;
		socklen_t qnl;
		int Q = listener_path(SOCK_SEQPACKET, "seq", &qn, &qnl, 4);
		int q = socket(AF_UNIX, SOCK_SEQPACKET, 0);
		show("connect SEQPACKET connect", connect(q, (struct sockaddr *)&qn, qnl));
		int qa = accept_b(Q, NULL, NULL);
		showfd("connect SEQPACKET accept", qa);
		show_name("connect SEQPACKET getpeername", q, 1, &qn, qnl);
		show("connect SEQPACKET send 1", send(q, "rec1", 4, 0));
		show("connect SEQPACKET send 2", send(q, "record2", 7, 0));
		set_rcvtimeo_ms(qa, 2000);
		rcv("connect SEQPACKET recv 1", qa, 64, 0);
		rcv("connect SEQPACKET recv 2", qa, 64, 0);
		int st = socket(AF_UNIX, SOCK_STREAM, 0);
		show("connect STREAM to SEQPACKET listener", connect(st, (struct sockaddr *)&qn, qnl));
		close(st);
		close(qa);
		close(q);
		close(Q);
	}

	/* SO_PEERCRED */
	peercred("peercred client", c);
	peercred("peercred accepted", a);
	peercred("peercred listener", L);
	{
		int u = socket(AF_UNIX, SOCK_STREAM, 0);
		peercred("peercred unconnected", u);
		close(u);
		u = socket(AF_UNIX, SOCK_DGRAM, 0);
		peercred("peercred DGRAM unconnected", u);
		close(u);
	}
	close(a);
	close(c);
	close(L);
}

static void sec_backlog(void)
{
	char lab[96];
	int backlogs[] = { 0, 2 };
	for (size_t i = 0; i < 2; i++) {
		struct sockaddr_un a;
		char tag[16];
		snprintf(tag, sizeof tag, "bl%d", backlogs[i]);
		socklen_t al = mkabs(&a, tag);
		int L = socket(AF_UNIX, SOCK_STREAM, 0);
		bind(L, (struct sockaddr *)&a, al);
		snprintf(lab, sizeof lab, "backlog %d listen", backlogs[i]);
		show(lab, listen(L, backlogs[i]));
		int cs[16], n = 0, err = 0;
		for (; n < 12; n++) {
			cs[n] = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0);
			if (connect(cs[n], (struct sockaddr *)&a, al) < 0) {
				err = errno;
				close(cs[n]);
				break;
			}
		}
		snprintf(lab, sizeof lab, "backlog %d nonblocking connects", backlogs[i]);
		printf("%s: %d then %s\n", lab, n, err ? errname(err) : "none");
		int b = socket(AF_UNIX, SOCK_STREAM, 0);
		set_sndtimeo_ms(b, 100);
		snprintf(lab, sizeof lab, "backlog %d blocking connect with SO_SNDTIMEO", backlogs[i]);
		show(lab, connect(b, (struct sockaddr *)&a, al));
		close(b);
		int x = accept_b(L, NULL, NULL);
		snprintf(lab, sizeof lab, "backlog %d accept", backlogs[i]);
		showfd(lab, x);
		close(x);
		b = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0);
		snprintf(lab, sizeof lab, "backlog %d connect after accept", backlogs[i]);
		show(lab, connect(b, (struct sockaddr *)&a, al));
		close(b);
		for (int k = 0; k < n; k++)
			close(cs[k]);
		close(L);
	}
}

static void sec_messages(void)
{
	char lab[96];
	for (size_t i = 0; i < 3; i++) {
		const char *n = g_types[i].n;
		int sp[2];
		socketpair(AF_UNIX, g_types[i].t, 0, sp);
		set_rcvtimeo_ms(sp[1], 2000);
		send(sp[0], "ab", 2, 0);
		send(sp[0], "cd", 2, 0);
		snprintf(lab, sizeof lab, "msg %s two sends one recv", n);
		rcv(lab, sp[1], 64, 0);
		snprintf(lab, sizeof lab, "msg %s rest", n);
		rcv(lab, sp[1], 64, MSG_DONTWAIT);

		send(sp[0], "0123456789", 10, 0);
		send(sp[0], "xy", 2, 0);
		snprintf(lab, sizeof lab, "msg %s recvmsg 4 of 10", n);
		rmsg(lab, sp[1], 4, -1, 0);
		snprintf(lab, sizeof lab, "msg %s recvmsg after short read", n);
		rmsg(lab, sp[1], 64, -1, MSG_DONTWAIT);
		snprintf(lab, sizeof lab, "msg %s drain", n);
		rcv(lab, sp[1], 64, MSG_DONTWAIT);

		send(sp[0], "0123456789", 10, 0);
		snprintf(lab, sizeof lab, "msg %s recv MSG_TRUNC 4 of 10", n);
		rcv(lab, sp[1], 4, MSG_TRUNC);
		snprintf(lab, sizeof lab, "msg %s after MSG_TRUNC", n);
		rcv(lab, sp[1], 64, MSG_DONTWAIT);

		send(sp[0], "peek01", 6, 0);
		snprintf(lab, sizeof lab, "msg %s MSG_PEEK 3", n);
		rmsg(lab, sp[1], 3, -1, MSG_PEEK);
		snprintf(lab, sizeof lab, "msg %s MSG_PEEK all", n);
		rcv(lab, sp[1], 64, MSG_PEEK);
		snprintf(lab, sizeof lab, "msg %s read after peek", n);
		rcv(lab, sp[1], 64, 0);

		snprintf(lab, sizeof lab, "msg %s MSG_DONTWAIT empty", n);
		rcv(lab, sp[1], 64, MSG_DONTWAIT);
		set_rcvtimeo_ms(sp[1], 100);
		snprintf(lab, sizeof lab, "msg %s blocking recv timeout", n);
		rcv(lab, sp[1], 64, 0);
		set_rcvtimeo_ms(sp[1], 2000);

		snprintf(lab, sizeof lab, "msg %s send 0 bytes", n);
		show(lab, send(sp[0], "", 0, 0));
		snprintf(lab, sizeof lab, "msg %s recv after 0 bytes", n);
		rcv(lab, sp[1], 64, MSG_DONTWAIT);

		snprintf(lab, sizeof lab, "msg %s send MSG_OOB", n);
		show(lab, send(sp[0], "!", 1, MSG_OOB | MSG_NOSIGNAL));
		snprintf(lab, sizeof lab, "msg %s recv MSG_OOB", n);
		rcv(lab, sp[1], 4, MSG_OOB | MSG_DONTWAIT);
		snprintf(lab, sizeof lab, "msg %s recv after OOB", n);
		rcv(lab, sp[1], 64, MSG_DONTWAIT);
		close(sp[0]);
		close(sp[1]);
	}
	/* a large stream write arrives complete */
	{
		int sp[2];
		socketpair(AF_UNIX, SOCK_STREAM, 0, sp);
		static char big[50000];
		memset(big, 'b', sizeof big);
		show("msg STREAM write 50000", write(sp[0], big, sizeof big));
		size_t got = 0;
		ssize_t r;
		static char rb[65536];
		while (got < sizeof big && (r = recv(sp[1], rb, sizeof rb, MSG_DONTWAIT)) > 0)
			got += r;
		printf("msg STREAM read 50000 total: %zu\n", got);
		close(sp[0]);
		close(sp[1]);
	}
}

static void sec_shutdown(void)
{
	char lab[96];
	for (size_t i = 0; i < 3; i++) {
		const char *n = g_types[i].n;
		int sp[2];
		socketpair(AF_UNIX, g_types[i].t, 0, sp);
		set_rcvtimeo_ms(sp[0], 2000);
		set_rcvtimeo_ms(sp[1], 2000);
		send(sp[0], "before", 6, 0);
		snprintf(lab, sizeof lab, "shut %s SHUT_WR", n);
		show(lab, shutdown(sp[0], SHUT_WR));
		snprintf(lab, sizeof lab, "shut %s poll peer after SHUT_WR", n);
		show_poll(lab, sp[1]);
		snprintf(lab, sizeof lab, "shut %s peer recv queued", n);
		rcv(lab, sp[1], 64, MSG_DONTWAIT);
		snprintf(lab, sizeof lab, "shut %s peer recv after", n);
		rcv(lab, sp[1], 64, MSG_DONTWAIT);
		snprintf(lab, sizeof lab, "shut %s send on shut side", n);
		show(lab, send(sp[0], "x", 1, MSG_NOSIGNAL));
		snprintf(lab, sizeof lab, "shut %s peer sends back", n);
		show(lab, send(sp[1], "back", 4, MSG_NOSIGNAL));
		snprintf(lab, sizeof lab, "shut %s shut side recv", n);
		rcv(lab, sp[0], 64, MSG_DONTWAIT);
		close(sp[0]);
		close(sp[1]);

		socketpair(AF_UNIX, g_types[i].t, 0, sp);
		snprintf(lab, sizeof lab, "shut %s SHUT_RD", n);
		show(lab, shutdown(sp[0], SHUT_RD));
		snprintf(lab, sizeof lab, "shut %s poll peer after SHUT_RD", n);
		show_poll(lab, sp[1]);
		snprintf(lab, sizeof lab, "shut %s peer send after SHUT_RD", n);
		show(lab, send(sp[1], "x", 1, MSG_NOSIGNAL | MSG_DONTWAIT));
		snprintf(lab, sizeof lab, "shut %s recv on SHUT_RD side", n);
		rcv(lab, sp[0], 64, MSG_DONTWAIT);
		snprintf(lab, sizeof lab, "shut %s SHUT_RD side sends", n);
		show(lab, send(sp[0], "y", 1, MSG_NOSIGNAL));
		snprintf(lab, sizeof lab, "shut %s peer recv from SHUT_RD side", n);
		rcv(lab, sp[1], 64, MSG_DONTWAIT);
		close(sp[0]);
		close(sp[1]);

		socketpair(AF_UNIX, g_types[i].t, 0, sp);
		snprintf(lab, sizeof lab, "shut %s SHUT_RDWR", n);
		show(lab, shutdown(sp[0], SHUT_RDWR));
		snprintf(lab, sizeof lab, "shut %s poll peer after SHUT_RDWR", n);
		show_poll(lab, sp[1]);
		snprintf(lab, sizeof lab, "shut %s poll self after SHUT_RDWR", n);
		show_poll(lab, sp[0]);
		snprintf(lab, sizeof lab, "shut %s bad how", n);
		show(lab, shutdown(sp[0], 3));
		close(sp[0]);
		close(sp[1]);
	}
}

static void sec_peer_closed(void)
{
	char lab[96];
	for (size_t i = 0; i < 3; i++) {
		const char *n = g_types[i].n;
		int sp[2];
		socketpair(AF_UNIX, g_types[i].t, 0, sp);
		send(sp[1], "last", 4, 0);
		close(sp[1]);
		g_sigpipe = 0;
		snprintf(lab, sizeof lab, "closed %s peek before send", n);
		rcv(lab, sp[0], 64, MSG_PEEK | MSG_DONTWAIT);
		snprintf(lab, sizeof lab, "closed %s poll", n);
		show_poll(lab, sp[0]);
		snprintf(lab, sizeof lab, "closed %s send", n);
		show(lab, send(sp[0], "x", 1, 0));
		snprintf(lab, sizeof lab, "closed %s sigpipe after send", n);
		printf("%s: %d\n", lab, (int)g_sigpipe);
		snprintf(lab, sizeof lab, "closed %s send MSG_NOSIGNAL", n);
		show(lab, send(sp[0], "x", 1, MSG_NOSIGNAL));
		snprintf(lab, sizeof lab, "closed %s sigpipe after MSG_NOSIGNAL", n);
		printf("%s: %d\n", lab, (int)g_sigpipe);
		snprintf(lab, sizeof lab, "closed %s write", n);
		show(lab, write(sp[0], "x", 1));
		snprintf(lab, sizeof lab, "closed %s sigpipe after write", n);
		printf("%s: %d\n", lab, (int)g_sigpipe);
		snprintf(lab, sizeof lab, "closed %s recv queued", n);
		rcv(lab, sp[0], 64, MSG_DONTWAIT);
		snprintf(lab, sizeof lab, "closed %s recv after", n);
		rcv(lab, sp[0], 64, MSG_DONTWAIT);
		snprintf(lab, sizeof lab, "closed %s SO_ERROR", n);
		get_int(lab, sp[0], SOL_SOCKET, SO_ERROR);
		close(sp[0]);
	}
	/* DGRAM connected to a bound path whose socket closed */
	{
		struct sockaddr_un r;
		socklen_t rl = mkpath(&r, "dgclosed");
		int R = socket(AF_UNIX, SOCK_DGRAM, 0);
		bind(R, (struct sockaddr *)&r, rl);
		int S = socket(AF_UNIX, SOCK_DGRAM, 0);
		show("closed DGRAM path connect", connect(S, (struct sockaddr *)&r, rl));
		show("closed DGRAM path send", send(S, "a", 1, 0));
		close(R);
		g_sigpipe = 0;
		show("closed DGRAM path send after close 1", send(S, "b", 1, 0));
		show("closed DGRAM path send after close 2", send(S, "c", 1, 0));
		show_name("closed DGRAM path getpeername", S, 1, NULL, 0);
		int U = socket(AF_UNIX, SOCK_DGRAM, 0);
		show("closed DGRAM path sendto stale node", sendto(U, "d", 1, 0, (struct sockaddr *)&r, rl));
		printf("closed DGRAM path sigpipe: %d\n", (int)g_sigpipe);
		close(U);
		close(S);
	}
}

static void sec_dgram_full(void)
{
	struct sockaddr_un r;
	socklen_t rl = mkabs(&r, "full");
	int R = socket(AF_UNIX, SOCK_DGRAM, 0);
	bind(R, (struct sockaddr *)&r, rl);
	int S = socket(AF_UNIX, SOCK_DGRAM, 0);
	int n = 0, err = 0;
	for (; n < 64; n++)
		if (sendto(S, "q", 1, MSG_DONTWAIT, (struct sockaddr *)&r, rl) < 0) {
			err = errno;
			break;
		}
	printf("full unconnected sends: %d then %s\n", n, err ? errname(err) : "none");
	set_sndtimeo_ms(S, 100);
	show("full blocking sendto with SO_SNDTIMEO", sendto(S, "q", 1, 0, (struct sockaddr *)&r, rl));
	show_poll("full poll sender", S);
	rcv("full recv one", R, 8, MSG_DONTWAIT);
	show("full sendto after one recv", sendto(S, "q", 1, MSG_DONTWAIT, (struct sockaddr *)&r, rl));
	show("full sendto again", sendto(S, "q", 1, MSG_DONTWAIT, (struct sockaddr *)&r, rl));
	int d = 0;
	char b[8];
	while (recv(R, b, sizeof b, MSG_DONTWAIT) > 0)
		d++;
	printf("full drained: %d\n", d);
	show("full connect", connect(S, (struct sockaddr *)&r, rl));
	show_poll("full poll connected sender empty", S);
	n = 0;
	err = 0;
	for (; n < 64; n++)
		if (send(S, "q", 1, MSG_DONTWAIT) < 0) {
			err = errno;
			break;
		}
	printf("full connected sends: %d then %s\n", n, err ? errname(err) : "none");
	show_poll("full poll connected sender full", S);
	close(S);
	close(R);
}

static void sec_unlink(void)
{
	struct sockaddr_un a;
	socklen_t al;
	int L = listener_path(SOCK_STREAM, "ul", &a, &al, 4);
	int c = socket(AF_UNIX, SOCK_STREAM, 0);
	show("unlink connect", connect(c, (struct sockaddr *)&a, al));
	int x = accept_b(L, NULL, NULL);
	set_rcvtimeo_ms(x, 2000);
	set_rcvtimeo_ms(c, 2000);
	show("unlink path", unlink(a.sun_path));
	show("unlink send after", send(c, "still", 5, 0));
	rcv("unlink recv after", x, 64, 0);
	show("unlink reply", send(x, "yes", 3, 0));
	rcv("unlink reply recv", c, 64, 0);
	show_name("unlink listener getsockname", L, 0, &a, al);
	show_name("unlink client getpeername", c, 1, &a, al);
	int c2 = socket(AF_UNIX, SOCK_STREAM, 0);
	show("unlink new connect", connect(c2, (struct sockaddr *)&a, al));
	close(c2);
	int L2 = socket(AF_UNIX, SOCK_STREAM, 0);
	show("unlink rebind path", bind(L2, (struct sockaddr *)&a, al));
	listen(L2, 4);
	c2 = socket(AF_UNIX, SOCK_STREAM, 0);
	show("unlink connect reaches new listener", connect(c2, (struct sockaddr *)&a, al));
	int x2 = accept_b(L2, NULL, NULL);
	showfd("unlink new listener accept", x2);
	struct pollfd p = { .fd = L, .events = POLLIN };
	printf("unlink old listener pending: %d\n", poll(&p, 1, 0));
	close(x2);
	close(c2);
	close(L2);
	unlink(a.sun_path);
	close(x);
	close(c);
	close(L);

	/* DGRAM */
	socklen_t rl = mkpath(&a, "uld");
	int R = socket(AF_UNIX, SOCK_DGRAM, 0);
	bind(R, (struct sockaddr *)&a, rl);
	int S = socket(AF_UNIX, SOCK_DGRAM, 0);
	show("unlink DGRAM connect", connect(S, (struct sockaddr *)&a, rl));
	show("unlink DGRAM unlink", unlink(a.sun_path));
	show("unlink DGRAM send connected", send(S, "conn", 4, 0));
	rcv("unlink DGRAM recv", R, 64, MSG_DONTWAIT);
	int U = socket(AF_UNIX, SOCK_DGRAM, 0);
	show("unlink DGRAM sendto path", sendto(U, "x", 1, 0, (struct sockaddr *)&a, rl));
	close(U);
	close(S);
	close(R);
}

static void sec_rights(void)
{
	int base = count_fds();
	int f = open(fpath("data"), O_RDWR | O_CREAT | O_TRUNC, 0600);
	if (write(f, "0123456789", 10) != 10)
		printf("rights write file: failed\n");
	lseek(f, 0, SEEK_SET);
	int sp[2];
	socketpair(AF_UNIX, SOCK_STREAM, 0, sp);
	set_rcvtimeo_ms(sp[1], 2000);
	base = count_fds();

	/* one fd, used through the copy */
	show("rights one send", send_fds(sp[0], "F", 1, &f, 1, 0));
	rmsg("rights one recv", sp[1], 16, 256, 0);
	if (g_nrfds == 1) {
		int nf = g_rfds[0];
		struct stat s1, s2;
		fstat(f, &s1);
		fstat(nf, &s2);
		printf("rights one fd: new number=%d same file=%d cloexec=%d\n", nf != f,
		       s1.st_ino == s2.st_ino && s1.st_dev == s2.st_dev, fd_cloexec(nf));
		char b[4] = { 0 };
		printf("rights one read via copy: %zd \"%.2s\"\n", read(nf, b, 2), b);
		printf("rights one original offset: %ld\n", (long)lseek(f, 0, SEEK_CUR));
		close(nf);
	}
	printf("rights one fd delta: %d\n", count_fds() - base);

	/* several fds: file, pipe write end and the sending socket itself */
	int pp[2];
	if (pipe(pp) < 0)
		printf("rights pipe: -1 %s\n", errname(errno));
	base = count_fds();
	int three[3] = { f, pp[1], sp[0] };
	show("rights three send", send_fds(sp[0], "T", 1, three, 3, 0));
	rmsg("rights three recv", sp[1], 16, 256, 0);
	if (g_nrfds == 3) {
		printf("rights three types: %s %s", ftype(g_rfds[0]), ftype(g_rfds[1]));
		printf(" %s\n", ftype(g_rfds[2]));
		show("rights three write to pipe copy", write(g_rfds[1], "zz", 2));
		char b[8] = { 0 };
		printf("rights three pipe read: %zd \"%.2s\"\n", read(pp[0], b, sizeof b), b);
		show("rights three send via socket copy", send(g_rfds[2], "self", 4, 0));
		rcv("rights three recv via socket copy", sp[1], 16, 0);
	}
	close_rfds();
	printf("rights three fd delta: %d\n", count_fds() - base);

	/* MSG_CTRUNC: the fds that do not fit are closed */
	{
		struct {
			const char *name;
			long ctl;
		} cases[] = {
			{ "rights ctrunc CMSG_SPACE(1 int)", CMSG_SPACE(sizeof(int)) },
			{ "rights ctrunc CMSG_LEN(1 int)", CMSG_LEN(sizeof(int)) },
			{ "rights ctrunc 16", 16 },
			{ "rights ctrunc no buffer", -1 },
			{ "rights ctrunc CMSG_SPACE(3 int)", CMSG_SPACE(3 * sizeof(int)) },
		};
		char lab[96];
		for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
			int fds[3];
			for (int k = 0; k < 3; k++)
				fds[k] = open("/dev/null", O_RDONLY);
			base = count_fds() - 3;
			snprintf(lab, sizeof lab, "%s send", cases[i].name);
			show(lab, send_fds(sp[0], "C", 1, fds, 3, 0));
			for (int k = 0; k < 3; k++)
				close(fds[k]);
			snprintf(lab, sizeof lab, "%s recv", cases[i].name);
			rmsg(lab, sp[1], 16, cases[i].ctl, 0);
			snprintf(lab, sizeof lab, "%s fd delta", cases[i].name);
			printf("%s: %d\n", lab, count_fds() - base);
			close_rfds();
			snprintf(lab, sizeof lab, "%s fd delta after close", cases[i].name);
			printf("%s: %d\n", lab, count_fds() - base);
		}
	}

	/* MSG_CMSG_CLOEXEC */
	send_fds(sp[0], "X", 1, &f, 1, 0);
	rmsg("rights cloexec recv", sp[1], 16, 256, MSG_CMSG_CLOEXEC);
	if (g_nrfds == 1)
		printf("rights cloexec flag: %d\n", fd_cloexec(g_rfds[0]));
	close_rfds();

	/* MSG_PEEK installs a copy, the read another */
	base = count_fds();
	send_fds(sp[0], "P", 1, &f, 1, 0);
	rmsg("rights peek recv", sp[1], 16, 256, MSG_PEEK);
	int peeked = g_nrfds == 1 ? g_rfds[0] : -1;
	printf("rights peek fd delta: %d\n", count_fds() - base);
	rmsg("rights peek real recv", sp[1], 16, 256, 0);
	printf("rights peek real fd delta: %d distinct=%d\n", count_fds() - base,
	       g_nrfds == 1 && g_rfds[0] != peeked);
	close_rfds();
	if (peeked >= 0)
		close(peeked);

	/* invalid fd */
	{
		int bad = dup(f);
		close(bad);
		show("rights bad fd send", send_fds(sp[0], "B", 1, &bad, 1, 0));
		rcv("rights bad fd arrived", sp[1], 16, MSG_DONTWAIT);
	}

	/* 253 and 254 fds (the same fd repeated) */
	{
		int many[254];
		int nul = open("/dev/null", O_RDONLY);
		for (int i = 0; i < 254; i++)
			many[i] = nul;
		base = count_fds();
		show("rights 253 send", send_fds(sp[0], "M", 1, many, 253, 0));
		rmsg("rights 253 recv", sp[1], 16, CMSG_SPACE(sizeof(int) * MAXFDS), 0);
		printf("rights 253 fd delta: %d\n", count_fds() - base);
		close_rfds();
		show("rights 254 send", send_fds(sp[0], "N", 1, many, 254, 0));
		rcv("rights 254 arrived", sp[1], 16, MSG_DONTWAIT);
		close(nul);
	}

	/* zero-byte messages with fds */
	{
		base = count_fds();
		show("rights STREAM 0 bytes send", send_fds(sp[0], "", 0, &f, 1, 0));
		rmsg("rights STREAM 0 bytes recv", sp[1], 16, 256, MSG_DONTWAIT);
		close_rfds();
		printf("rights STREAM 0 bytes fd delta: %d\n", count_fds() - base);
		int dp[2];
		socketpair(AF_UNIX, SOCK_DGRAM, 0, dp);
		base = count_fds();
		show("rights DGRAM 0 bytes send", send_fds(dp[0], "", 0, &f, 1, 0));
		rmsg("rights DGRAM 0 bytes recv", dp[1], 16, 256, MSG_DONTWAIT);
		close_rfds();
		printf("rights DGRAM 0 bytes fd delta: %d\n", count_fds() - base);
		close(dp[0]);
		close(dp[1]);
		socketpair(AF_UNIX, SOCK_SEQPACKET, 0, dp);
		show("rights SEQPACKET send", send_fds(dp[0], "seq", 3, &f, 1, 0));
		rmsg("rights SEQPACKET recv", dp[1], 16, 256, MSG_DONTWAIT);
		close_rfds();
		close(dp[0]);
		close(dp[1]);
	}

	/* on STREAM, fds split the reads */
	{
		send(sp[0], "ab", 2, 0);
		send_fds(sp[0], "cd", 2, &f, 1, 0);
		send(sp[0], "ef", 2, 0);
		send(sp[0], "gh", 2, 0);
		rmsg("rights split recv 1", sp[1], 16, 256, MSG_DONTWAIT);
		rmsg("rights split recv 2", sp[1], 16, 256, MSG_DONTWAIT);
		rmsg("rights split recv 3", sp[1], 16, 256, MSG_DONTWAIT);
		rmsg("rights split recv 4", sp[1], 16, 256, MSG_DONTWAIT);
		close_rfds();
	}

	close(pp[0]);
	close(pp[1]);
	close(sp[0]);
	close(sp[1]);
	close(f);
}

static void sec_rights_fork(void)
{
	int f = open(fpath("data2"), O_RDWR | O_CREAT | O_TRUNC, 0600);
	if (write(f, "abcdefghij", 10) != 10)
		printf("fork rights write file: failed\n");
	lseek(f, 0, SEEK_SET);
	int pp[2], sp[2];
	if (pipe(pp) < 0 || socketpair(AF_UNIX, SOCK_STREAM, 0, sp) < 0)
		printf("fork rights setup: -1 %s\n", errname(errno));
	struct xsync xs;
	xs_init(&xs);
	pid_t pid = fork();
	if (pid == 0) {
		close(sp[0]);
		close(pp[0]);
		close(pp[1]);
		close(f);
		set_rcvtimeo_ms(sp[1], 2000);
		rmsg("child rights recv", sp[1], 16, 256, 0);
		if (g_nrfds == 2) {
			char b[8] = { 0 };
			printf("child rights types: %s %s\n", ftype(g_rfds[0]), ftype(g_rfds[1]));
			printf("child rights read file: %zd \"%.3s\"\n", read(g_rfds[0], b, 3), b);
			show("child rights write pipe", write(g_rfds[1], "from-child", 10));
		}
		close_rfds();
		xs_child_done(&xs, 0);
	}
	close(sp[1]);
	int two[2] = { f, pp[1] };
	long r = send_fds(sp[0], "G", 1, two, 2, 0);
	int e = errno;
	close(pp[1]);
	xs_parent_wait(&xs);
	if (r < 0)
		printf("fork rights parent send: -1 %s\n", errname(e));
	else
		printf("fork rights parent send: %ld\n", r);
	printf("fork rights parent file offset: %ld\n", (long)lseek(f, 0, SEEK_CUR));
	int code = xs_release(&xs, pid);
	char b[32] = { 0 };
	size_t got = 0;
	ssize_t n;
	while (got < sizeof b - 1 && (n = read(pp[0], b + got, sizeof b - 1 - got)) > 0)
		got += n;
	printf("fork rights parent pipe until EOF: %zu \"%s\"\n", got, b);
	printf("fork rights child exit: %d\n", code);
	close(pp[0]);
	close(sp[0]);
	close(f);
}

static void sec_rights_udp(void)
{
	int u = socket(AF_INET, SOCK_DGRAM, 0);
	struct sockaddr_in a = sin4("127.0.0.1", 0);
	show("udp pass bind", bind(u, (struct sockaddr *)&a, sizeof a));
	int r = socket(AF_INET, SOCK_DGRAM, 0);
	show("udp pass peer bind", bind(r, (struct sockaddr *)&a, sizeof a));
	set_rcvtimeo_ms(r, 2000);
	struct sockaddr_storage ss;
	socklen_t sl = sizeof ss;
	getsockname(u, (struct sockaddr *)&ss, &sl);
	int pu = sa_port(&ss);
	sl = sizeof ss;
	getsockname(r, (struct sockaddr *)&ss, &sl);
	int pr = sa_port(&ss);
	struct sockaddr_in du = sin4("127.0.0.1", pu), dr = sin4("127.0.0.1", pr);
	show("udp pass queue datagram", sendto(r, "queued", 6, 0, (struct sockaddr *)&du, sizeof du));

	/* in-process: pass it, close the original, use the copy */
	{
		int sp[2];
		socketpair(AF_UNIX, SOCK_DGRAM, 0, sp);
		int t = socket(AF_INET, SOCK_DGRAM, 0);
		struct sockaddr_in ta = sin4("127.0.0.1", 0);
		bind(t, (struct sockaddr *)&ta, sizeof ta);
		sl = sizeof ss;
		getsockname(t, (struct sockaddr *)&ss, &sl);
		int pt = sa_port(&ss);
		show("udp pass local send", send_fds(sp[0], "u", 1, &t, 1, 0));
		close(t);
		rmsg("udp pass local recv", sp[1], 16, 256, MSG_DONTWAIT);
		if (g_nrfds == 1) {
			int t2 = g_rfds[0];
			sl = sizeof ss;
			getsockname(t2, (struct sockaddr *)&ss, &sl);
			printf("udp pass local getsockname: %s port=%s\n", fmt_addr(&ss, (char[80]){ 0 }, 80),
			       sa_port(&ss) == pt ? "same" : "other");
			show("udp pass local sendto", sendto(t2, "copy", 4, 0, (struct sockaddr *)&dr, sizeof dr));
			char b[32];
			struct sockaddr_storage from;
			socklen_t fl = sizeof from;
			ssize_t n = recvfrom(r, b, sizeof b, 0, (struct sockaddr *)&from, &fl);
			printf("udp pass local peer recvfrom: %zd \"%.*s\" source port=%s\n", n, n > 0 ? (int)n : 0, b,
			       sa_port(&from) == pt ? "same" : "other");
		}
		close_rfds();
		close(sp[0]);
		close(sp[1]);
	}

	/* to a forked child */
	int sp[2];
	socketpair(AF_UNIX, SOCK_STREAM, 0, sp);
	struct xsync xs;
	xs_init(&xs);
	pid_t pid = fork();
	if (pid == 0) {
		close(sp[0]);
		close(u);
		close(r);
		set_rcvtimeo_ms(sp[1], 2000);
		rmsg("child udp recv", sp[1], 16, 256, 0);
		if (g_nrfds == 1) {
			int c = g_rfds[0];
			int v = -1;
			socklen_t l = sizeof v;
			getsockopt(c, SOL_SOCKET, SO_TYPE, &v, &l);
			printf("child udp SO_TYPE is SOCK_DGRAM: %d\n", v == SOCK_DGRAM);
			l = sizeof v;
			getsockopt(c, SOL_SOCKET, SO_DOMAIN, &v, &l);
			printf("child udp SO_DOMAIN is AF_INET: %d\n", v == AF_INET);
			struct sockaddr_storage cs;
			socklen_t cl = sizeof cs;
			show("child udp getsockname", getsockname(c, (struct sockaddr *)&cs, &cl));
			printf("child udp address: %s port=%s\n", fmt_addr(&cs, (char[80]){ 0 }, 80),
			       sa_port(&cs) == pu ? "same as parent's" : "other");
			set_rcvtimeo_ms(c, 2000);
			char b[32];
			struct sockaddr_storage from;
			socklen_t fl = sizeof from;
			ssize_t n = recvfrom(c, b, sizeof b, 0, (struct sockaddr *)&from, &fl);
			printf("child udp recvfrom queued: %zd \"%.*s\" source port=%s\n", n, n > 0 ? (int)n : 0, b,
			       sa_port(&from) == pr ? "peer's" : "other");
			show("child udp sendto", sendto(c, "udp-from-child", 14, 0, (struct sockaddr *)&dr, sizeof dr));
			close(c);
		}
		xs_child_done(&xs, 0);
	}
	close(sp[1]);
	long sr = send_fds(sp[0], "U", 1, &u, 1, 0);
	int e = errno;
	xs_parent_wait(&xs);
	if (sr < 0)
		printf("udp pass parent send: -1 %s\n", errname(e));
	else
		printf("udp pass parent send: %ld\n", sr);
	{
		char b[32];
		struct sockaddr_storage from;
		socklen_t fl = sizeof from;
		ssize_t n = recvfrom(r, b, sizeof b, 0, (struct sockaddr *)&from, &fl);
		printf("udp pass parent peer recvfrom: %zd \"%.*s\" source port=%s\n", n, n > 0 ? (int)n : 0, b,
		       sa_port(&from) == pu ? "passed socket's" : "other");
	}
	printf("udp pass child exit: %d\n", xs_release(&xs, pid));
	sl = sizeof ss;
	getsockname(u, (struct sockaddr *)&ss, &sl);
	printf("udp pass parent getsockname port: %s\n", sa_port(&ss) == pu ? "same" : "other");
	show("udp pass parent sendto", sendto(u, "parent", 6, 0, (struct sockaddr *)&dr, sizeof dr));
	{
		char b[32];
		ssize_t n = recv(r, b, sizeof b, 0);
		printf("udp pass parent peer recv: %zd \"%.*s\"\n", n, n > 0 ? (int)n : 0, b);
	}
	close(sp[0]);
	close(u);
	close(r);
}

static void sec_creds(void)
{
	int dp[2];
	socketpair(AF_UNIX, SOCK_DGRAM, 0, dp);
	get_int("creds SO_PASSCRED default", dp[1], SOL_SOCKET, SO_PASSCRED);
	show("creds SO_PASSCRED set", set_int(dp[1], SOL_SOCKET, SO_PASSCRED, 1));
	get_int("creds SO_PASSCRED after set", dp[1], SOL_SOCKET, SO_PASSCRED);
	show("creds SO_PASSCRED set 5", set_int(dp[1], SOL_SOCKET, SO_PASSCRED, 5));
	get_int("creds SO_PASSCRED after set 5", dp[1], SOL_SOCKET, SO_PASSCRED);

	g_want_pid = getpid();
	g_want_name = "self";
	show("creds kernel filled send", send(dp[0], "k", 1, 0));
	rmsg("creds kernel filled recv", dp[1], 16, 256, MSG_DONTWAIT);
	show("creds own values send",
	     send_creds(dp[0], NULL, 0, "o", getpid(), getuid(), getgid(), sizeof(struct ucred)));
	rmsg("creds own values recv", dp[1], 16, 256, MSG_DONTWAIT);
	show("creds root claims 65534 send",
	     send_creds(dp[0], NULL, 0, "n", getpid(), 65534, 65534, sizeof(struct ucred)));
	rmsg("creds root claims 65534 recv", dp[1], 16, 256, MSG_DONTWAIT);
	show("creds root claims pid 1 send",
	     send_creds(dp[0], NULL, 0, "1", 1, getuid(), getgid(), sizeof(struct ucred)));
	rmsg("creds root claims pid 1 recv", dp[1], 16, 256, MSG_DONTWAIT);
	show("creds nonexistent pid send",
	     send_creds(dp[0], NULL, 0, "e", 4194303, getuid(), getgid(), sizeof(struct ucred)));
	show("creds short cmsg send", send_creds(dp[0], NULL, 0, "s", getpid(), getuid(), getgid(), 8));
	rcv("creds after errors arrived", dp[1], 16, MSG_DONTWAIT);
	show("creds small control buffer send", send(dp[0], "c", 1, 0));
	rmsg("creds small control buffer recv", dp[1], 16, CMSG_LEN(4), MSG_DONTWAIT);
	show("creds no control buffer send", send(dp[0], "c", 1, 0));
	rmsg("creds no control buffer recv", dp[1], 16, -1, MSG_DONTWAIT);
	/* receiver without SO_PASSCRED: nothing, even if the sender sends creds */
	show("creds to receiver without SO_PASSCRED send",
	     send_creds(dp[1], NULL, 0, "w", getpid(), getuid(), getgid(), sizeof(struct ucred)));
	rmsg("creds to receiver without SO_PASSCRED recv", dp[0], 16, 256, MSG_DONTWAIT);
	show("creds plain to receiver without SO_PASSCRED send", send(dp[1], "p", 1, 0));
	rmsg("creds plain to receiver without SO_PASSCRED recv", dp[0], 16, 256, MSG_DONTWAIT);
	/* both SCM_RIGHTS and credentials */
	{
		int nul = open("/dev/null", O_RDONLY);
		show("creds with rights send", send_fds(dp[0], "r", 1, &nul, 1, 0));
		rmsg("creds with rights recv", dp[1], 16, 256, MSG_DONTWAIT);
		close_rfds();
		close(nul);
	}
	show("creds SO_PASSCRED clear", set_int(dp[1], SOL_SOCKET, SO_PASSCRED, 0));
	send(dp[0], "z", 1, 0);
	rmsg("creds after clear recv", dp[1], 16, 256, MSG_DONTWAIT);
	close(dp[0]);
	close(dp[1]);

	/* STREAM: same credentials coalesce, different ones split the reads */
	int sp[2];
	socketpair(AF_UNIX, SOCK_STREAM, 0, sp);
	set_int(sp[1], SOL_SOCKET, SO_PASSCRED, 1);
	send(sp[0], "aa", 2, 0);
	send(sp[0], "bb", 2, 0);
	rmsg("creds STREAM coalesced recv", sp[1], 16, 256, MSG_DONTWAIT);
	send(sp[0], "cc", 2, 0);
	send_creds(sp[0], NULL, 0, "dd", getpid(), 65534, 65534, sizeof(struct ucred));
	send(sp[0], "ee", 2, 0);
	rmsg("creds STREAM split recv 1", sp[1], 16, 256, MSG_DONTWAIT);
	rmsg("creds STREAM split recv 2", sp[1], 16, 256, MSG_DONTWAIT);
	rmsg("creds STREAM split recv 3", sp[1], 16, 256, MSG_DONTWAIT);
	close(sp[0]);
	close(sp[1]);
	socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sp);
	set_int(sp[1], SOL_SOCKET, SO_PASSCRED, 1);
	send(sp[0], "sq", 2, 0);
	rmsg("creds SEQPACKET recv", sp[1], 16, 256, MSG_DONTWAIT);
	close(sp[0]);
	close(sp[1]);
}

/* A forked child connects to the parent's abstract listener and sends with
 * and without credentials; then drops privileges and tries to claim others. */
static void sec_creds_fork(void)
{
	struct sockaddr_un la, da;
	socklen_t ll = mkabs(&la, "xlisten"), dl = mkabs(&da, "xdgram");
	int L = socket(AF_UNIX, SOCK_STREAM, 0);
	show("xproc listener bind", bind(L, (struct sockaddr *)&la, ll));
	show("xproc listener SO_PASSCRED", set_int(L, SOL_SOCKET, SO_PASSCRED, 1));
	show("xproc listen", listen(L, 4));
	int D = socket(AF_UNIX, SOCK_DGRAM, 0);
	show("xproc dgram bind", bind(D, (struct sockaddr *)&da, dl));
	show("xproc dgram SO_PASSCRED", set_int(D, SOL_SOCKET, SO_PASSCRED, 1));
	set_rcvtimeo_ms(D, 2000);
	pid_t parent = getpid();
	struct xsync xs;
	xs_init(&xs);
	pid_t pid = fork();
	if (pid == 0) {
		g_want_pid = getppid();
		g_want_name = "parent";
		printf("child xproc getppid is parent: %d\n", getppid() == parent);
		int c = socket(AF_UNIX, SOCK_STREAM, 0);
		show("child xproc connect abstract", connect(c, (struct sockaddr *)&la, ll));
		show_name("child xproc getpeername", c, 1, &la, ll);
		peercred("child xproc SO_PEERCRED", c);
		show("child xproc send", send(c, "hello", 5, 0));
		int d = socket(AF_UNIX, SOCK_DGRAM, 0);
		show("child xproc dgram sendto", sendto(d, "dg", 2, 0, (struct sockaddr *)&da, dl));
		/* unprivileged */
		show("child xproc setgroups", setgroups(0, NULL));
		show("child xproc setresgid 65534", setresgid(65534, 65534, 65534));
		show("child xproc setresuid 65534", setresuid(65534, 65534, 65534));
		int d2 = socket(AF_UNIX, SOCK_DGRAM, 0);
		show("child xproc unpriv plain sendto", sendto(d2, "up", 2, 0, (struct sockaddr *)&da, dl));
		show("child xproc unpriv own creds",
		     send_creds(d2, &da, dl, "uo", getpid(), getuid(), getgid(), sizeof(struct ucred)));
		show("child xproc unpriv claims uid 0",
		     send_creds(d2, &da, dl, "u0", getpid(), 0, getgid(), sizeof(struct ucred)));
		show("child xproc unpriv claims gid 0",
		     send_creds(d2, &da, dl, "g0", getpid(), getuid(), 0, sizeof(struct ucred)));
		show("child xproc unpriv claims parent pid",
		     send_creds(d2, &da, dl, "pp", getppid(), getuid(), getgid(), sizeof(struct ucred)));
		/* the old connection keeps the root credentials of connect time */
		show("child xproc send after setuid", send(c, "later", 5, 0));
		close(d2);
		close(d);
		close(c);
		xs_child_done(&xs, 0);
	}
	xs_parent_wait(&xs);
	g_want_pid = pid;
	g_want_name = "child";
	int a = accept_b(L, NULL, NULL);
	showfd("xproc accept", a);
	get_int("xproc accepted SO_PASSCRED inherited", a, SOL_SOCKET, SO_PASSCRED);
	peercred("xproc accepted SO_PEERCRED", a);
	show_name("xproc accepted getpeername", a, 1, NULL, 0);
	set_rcvtimeo_ms(a, 2000);
	rmsg("xproc stream recv 1", a, 5, 256, 0);
	rmsg("xproc stream recv 2", a, 16, 256, 0);
	rmsg("xproc stream recv 3", a, 16, 256, MSG_DONTWAIT);
	rmsg("xproc dgram recv root", D, 16, 256, 0);
	rmsg("xproc dgram recv unpriv plain", D, 16, 256, 0);
	rmsg("xproc dgram recv unpriv own", D, 16, 256, 0);
	rmsg("xproc dgram recv more", D, 16, 256, MSG_DONTWAIT);
	printf("xproc child exit: %d\n", xs_release(&xs, pid));
	close(a);
	close(D);
	close(L);
}

/* /proc/net/unix lines of a path and an abstract listener. */
static void sec_procnet(void)
{
	struct sockaddr_un pa, aa;
	socklen_t pl;
	int P = listener_path(SOCK_STREAM, "pn", &pa, &pl, 4);
	socklen_t al = mkabs(&aa, "pnabs");
	int A = socket(AF_UNIX, SOCK_SEQPACKET, 0);
	bind(A, (struct sockaddr *)&aa, al);
	listen(A, 4);
	int D = socket(AF_UNIX, SOCK_DGRAM, 0);
	struct sockaddr_un da;
	socklen_t dl = mkpath(&da, "pnd");
	bind(D, (struct sockaddr *)&da, dl);
	char want_abs[120];
	snprintf(want_abs, sizeof want_abs, "@%s", aa.sun_path + 1);
	const char *wants[3] = { pa.sun_path, want_abs, da.sun_path };
	const char *names[3] = { "path STREAM listener", "abstract SEQPACKET listener", "path DGRAM" };
	int found[3] = { 0, 0, 0 };
	char fl[3][32], ty[3][32], st[3][32];
	FILE *fp = fopen("/proc/net/unix", "r");
	char line[512];
	while (fp && fgets(line, sizeof line, fp)) {
		char f1[32], t1[32], s1[32], path[300];
		path[0] = 0;
		if (sscanf(line, "%*s %*s %*s %31s %31s %31s %*s %299s", f1, t1, s1, path) < 4)
			continue;
		for (int i = 0; i < 3; i++)
			if (strcmp(path, wants[i]) == 0) {
				found[i]++;
				strcpy(fl[i], f1);
				strcpy(ty[i], t1);
				strcpy(st[i], s1);
			}
	}
	if (fp)
		fclose(fp);
	else
		printf("procnet open: -1 %s\n", errname(errno));
	for (int i = 0; i < 3; i++) {
		if (found[i])
			printf("procnet %s: found=%d flags=%s type=%s st=%s\n", names[i], found[i], fl[i],
			       ty[i], st[i]);
		else
			printf("procnet %s: not found\n", names[i]);
	}
	close(D);
	close(A);
	close(P);
}

static void cleanup(void)
{
	DIR *d = opendir(g_dir);
	struct dirent *e;
	while (d && (e = readdir(d))) {
		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		char p[400];
		snprintf(p, sizeof p, "%s/%s", g_dir, e->d_name);
		unlink(p);
	}
	if (d)
		closedir(d);
	show("cleanup rmdir", rmdir(g_dir));
}

int main(void)
{
	common_init();
	umask(022);
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_sigpipe;
	sigaction(SIGPIPE, &sa, NULL);
	strcpy(g_dir, "/tmp/nbux-XXXXXX");
	if (!mkdtemp(g_dir)) {
		printf("mkdtemp: -1 %s\n", errname(errno));
		return 1;
	}

	sec_types();
	sec_socketpair();
	sec_bind_path();
	sec_abstract();
	sec_autobind();
	sec_connect();
	sec_backlog();
	sec_messages();
	sec_shutdown();
	sec_peer_closed();
	sec_dgram_full();
	sec_unlink();
	sec_rights();
	sec_rights_fork();
	sec_rights_udp();
	sec_creds();
	sec_creds_fork();
	sec_procnet();

	cleanup();
	printf("done\n");
	return 0;
}
