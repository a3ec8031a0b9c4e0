/* unix_auth.c - a unix socket as an authentication channel: a root
 * "broker" decides per client by SO_PEERCRED (and by the SCM_CREDENTIALS
 * of each request) and hands an allowed client a file it opened itself,
 * as an fd (SCM_RIGHTS), which the client could not open.
 *
 * The broker listens on an abstract stream socket; the secret is a 0600
 * root file in a mkdtemp() directory. Two forked clients drop privileges:
 * uid 65534 (allowed) cannot open the file (EACCES), asks the broker, gets
 * the fd, reads the secret through it, sees its mode and owner with fstat
 * and that it is read-only (write: EBADF); uid 65533 (denied) gets a
 * refusal and no fd. A datagram request with SO_PASSCRED shows the
 * client's uid per message. Uids and pids are printed as names/relations.
 */
/* spec: UNIX-23 */
#include "common.h"
#include <grp.h>
#include <stddef.h>
#include <sys/stat.h>
#include <sys/wait.h>

static char dir[64], secret[128];
static struct sockaddr_un lname, dname;
static socklen_t llen, dlen;

static socklen_t mkabs(struct sockaddr_un *a, const char *tag)
{
	memset(a, 0, sizeof *a);
	a->sun_family = AF_UNIX;
	int n = snprintf(a->sun_path + 1, sizeof a->sun_path - 1, "ua-%d-%s", getpid(), tag);
	return offsetof(struct sockaddr_un, sun_path) + 1 + n;
}

static const char *uidname(uid_t u)
{
	static char b[32];
	if (u == 0)
		return "root";
	if (u == 65534)
		return "65534";
	if (u == 65533)
		return "65533";
	snprintf(b, sizeof b, "other");
	return b;
}

static int drop(uid_t u)
{
	if (setgroups(0, NULL) < 0 || setresgid(u, u, u) < 0 || setresuid(u, u, u) < 0)
		return -1;
	return 0;
}

/* send_fd sends msg with fd (or none when fd < 0). */
static ssize_t send_fd(int s, const char *msg, int fd)
{
	struct iovec iov = {(void *)msg, strlen(msg)};
	union {
		char b[CMSG_SPACE(sizeof(int))];
		struct cmsghdr align;
	} u;
	struct msghdr m = {.msg_iov = &iov, .msg_iovlen = 1};
	if (fd >= 0) {
		memset(&u, 0, sizeof u);
		m.msg_control = u.b;
		m.msg_controllen = sizeof u.b;
		struct cmsghdr *c = CMSG_FIRSTHDR(&m);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(c), &fd, sizeof fd);
	}
	return sendmsg(s, &m, 0);
}

/* recv_fd receives a message into buf and an fd (-1 when none). */
static ssize_t recv_fd(int s, char *buf, size_t n, int *fd)
{
	struct iovec iov = {buf, n - 1};
	union {
		char b[CMSG_SPACE(sizeof(int) * 4)];
		struct cmsghdr align;
	} u;
	struct msghdr m = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = u.b, .msg_controllen = sizeof u.b};
	*fd = -1;
	ssize_t r = recvmsg(s, &m, MSG_CMSG_CLOEXEC);
	if (r < 0)
		return r;
	buf[r] = 0;
	for (struct cmsghdr *c = CMSG_FIRSTHDR(&m); c; c = CMSG_NXTHDR(&m, c))
		if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS)
			memcpy(fd, CMSG_DATA(c), sizeof *fd);
	return r;
}

/* ---------- the client (a forked child) ---------- */

static void client(uid_t u, int report)
{
	char pfx[32], l[128];
	snprintf(pfx, sizeof pfx, "client %s", uidname(u));
	if (drop(u) < 0) {
		printf("%s drop: -1 %s\n", pfx, errname(errno));
		return;
	}
	snprintf(l, sizeof l, "%s open secret itself", pfx);
	showfd(l, open(secret, O_RDONLY));
	int s = socket(AF_UNIX, SOCK_STREAM, 0);
	snprintf(l, sizeof l, "%s connect", pfx);
	show(l, connect(s, (struct sockaddr *)&lname, llen));
	snprintf(l, sizeof l, "%s request", pfx);
	show(l, send(s, "open secret", 11, 0));
	char buf[64];
	int fd;
	set_rcvtimeo(s);
	ssize_t r = recv_fd(s, buf, sizeof buf, &fd);
	if (r < 0)
		printf("%s reply: -1 %s\n", pfx, errname(errno));
	else
		printf("%s reply: %s fd=%s\n", pfx, buf, fd >= 0 ? "yes" : "no");
	if (fd >= 0) {
		char data[64];
		ssize_t k = read(fd, data, sizeof data - 1);
		if (k >= 0)
			data[k] = 0;
		printf("%s read through fd: %zd %s\n", pfx, k, k >= 0 ? data : errname(errno));
		struct stat st;
		fstat(fd, &st);
		printf("%s fstat: mode=%04o owner=%s regular=%d\n", pfx, st.st_mode & 07777, uidname(st.st_uid),
		       S_ISREG(st.st_mode));
		printf("%s fd cloexec: %d accmode O_RDONLY: %d\n", pfx, fd_cloexec(fd),
		       (fcntl(fd, F_GETFL) & O_ACCMODE) == O_RDONLY);
		snprintf(l, sizeof l, "%s write through fd", pfx);
		show(l, write(fd, "x", 1));
		close(fd);
	}
	close(s);

	/* a datagram request carrying its credentials */
	int d = socket(AF_UNIX, SOCK_DGRAM, 0);
	snprintf(l, sizeof l, "%s datagram request", pfx);
	show(l, sendto(d, "who", 3, 0, (struct sockaddr *)&dname, dlen));
	close(d);
	(void)report;
}

/* ---------- the broker ---------- */

static void serve_one(int l)
{
	int c = accept(l, NULL, NULL);
	if (c < 0) {
		printf("broker accept: -1 %s\n", errname(errno));
		return;
	}
	struct ucred cr;
	socklen_t len = sizeof cr;
	if (getsockopt(c, SOL_SOCKET, SO_PEERCRED, &cr, &len) < 0) {
		printf("broker SO_PEERCRED: -1 %s\n", errname(errno));
		close(c);
		return;
	}
	char req[64];
	set_rcvtimeo(c);
	ssize_t r = recv(c, req, sizeof req - 1, 0);
	if (r < 0)
		r = 0;
	req[r] = 0;
	int allow = cr.uid == 65534 && strcmp(req, "open secret") == 0;
	printf("broker peer: uid=%s gid=%s pid=%s request=\"%s\" decision=%s\n", uidname(cr.uid), uidname(cr.gid),
	       cr.pid > 0 && cr.pid != getpid() ? "child" : "other", req, allow ? "allow" : "deny");
	if (allow) {
		int fd = open(secret, O_RDONLY);
		show("broker send fd", send_fd(c, "granted", fd));
		close(fd); /* the client's copy stays open */
	} else {
		show("broker send refusal", send_fd(c, "denied", -1));
	}
	close(c);
}

static void serve_dgram(int d)
{
	char b[64];
	union {
		char c[CMSG_SPACE(sizeof(struct ucred))];
		struct cmsghdr align;
	} u;
	struct iovec iov = {b, sizeof b};
	struct msghdr m = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = u.c, .msg_controllen = sizeof u.c};
	ssize_t r = recvmsg(d, &m, 0);
	if (r < 0) {
		printf("broker datagram: -1 %s\n", errname(errno));
		return;
	}
	struct cmsghdr *c = CMSG_FIRSTHDR(&m);
	if (c && c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_CREDENTIALS) {
		struct ucred cr;
		memcpy(&cr, CMSG_DATA(c), sizeof cr);
		printf("broker datagram: %zd creds uid=%s pid=%s\n", r, uidname(cr.uid), cr.pid != getpid() ? "child" : "self");
	} else {
		printf("broker datagram: %zd no creds\n", r);
	}
}

int main(void)
{
	common_init();
	strcpy(dir, "/tmp/unix_auth.XXXXXX");
	if (!mkdtemp(dir)) {
		printf("mkdtemp: -1 %s\n", errname(errno));
		return 1;
	}
	chmod(dir, 0711);
	snprintf(secret, sizeof secret, "%s/secret", dir);
	int f = open(secret, O_CREAT | O_WRONLY | O_TRUNC, 0600);
	if (f < 0 || write(f, "s3cret", 6) != 6)
		printf("secret: -1 %s\n", errname(errno));
	close(f);
	chmod(secret, 0600);

	llen = mkabs(&lname, "broker");
	dlen = mkabs(&dname, "dgram");
	int l = socket(AF_UNIX, SOCK_STREAM, 0);
	show("broker bind", bind(l, (struct sockaddr *)&lname, llen));
	show("broker listen", listen(l, 4));
	int d = socket(AF_UNIX, SOCK_DGRAM, 0);
	show("broker dgram bind", bind(d, (struct sockaddr *)&dname, dlen));
	show("broker SO_PASSCRED", set_int(d, SOL_SOCKET, SO_PASSCRED, 1));
	set_rcvtimeo(d);

	static const uid_t uids[] = {65534, 65533};
	for (int i = 0; i < 2; i++) {
		fflush(stdout);
		int pp[2];
		if (pipe(pp) < 0)
			return 1;
		pid_t pid = fork();
		if (pid == 0) {
			close(pp[0]);
			/* print after the broker's lines: the child buffers its
			 * output and writes it to the pipe at the end */
			char *out = NULL;
			size_t outn = 0;
			FILE *mem = open_memstream(&out, &outn);
			FILE *keep = stdout;
			stdout = mem;
			client(uids[i], 1);
			fflush(mem);
			stdout = keep;
			fclose(mem);
			if (write(pp[1], out, outn) < 0)
				_exit(2);
			_exit(0);
		}
		close(pp[1]);
		serve_one(l);
		serve_dgram(d);
		char buf[4096];
		ssize_t k;
		size_t tot = 0;
		while ((k = read(pp[0], buf + tot, sizeof buf - 1 - tot)) > 0)
			tot += k;
		buf[tot] = 0;
		close(pp[0]);
		int st = 0;
		waitpid(pid, &st, 0);
		fputs(buf, stdout);
		printf("client %s exit: %d\n", uidname(uids[i]), WIFEXITED(st) ? WEXITSTATUS(st) : -1);
	}
	close(l);
	close(d);
	unlink(secret);
	rmdir(dir);
	puts("done");
	return 0;
}
