/* tcp_fork_accept.c - TCP sockets crossing fork, exec and SCM_RIGHTS.
 *
 * Checks: a listening socket inherited across fork+exec (the child re-execs
 * this program as "argv[0] child FD CLOEXECFD") can still accept and echo,
 * while a socket marked FD_CLOEXEC is gone in the exec'd child; a connected
 * TCP socket passed with SCM_RIGHTS over an AF_UNIX socketpair to a forked
 * child keeps working after the parent closed its copy, and the peer sees
 * EOF only once the last reference is closed.
 * To keep the output ordered, a child prints its lines while the parent is
 * silent and the parent prints only after reaping the child.
 */
/* spec: SOCK-03 SOCK-05 SOCK-16 OPS-11 STATE-05 CMSG-10 SO-22 NB-01 NB-02 NB-10 UNIX-15 UNIX-16 */
/* spec: UNIX-24 TCP-02 TCP-18 IO-07 */
#include "common.h"
#include <sys/wait.h>

static char abuf[128];

static int child_main(int lfd, int cefd)
{
	/* Exec'd child: lfd is the inherited listener. */
	int type = -1, acc = -1;
	socklen_t len = sizeof type;
	show("child: getsockopt SO_TYPE", getsockopt(lfd, SOL_SOCKET, SO_TYPE, &type, &len));
	printf("child: SO_TYPE is SOCK_STREAM: %d\n", type == SOCK_STREAM);
	len = sizeof acc;
	getsockopt(lfd, SOL_SOCKET, SO_ACCEPTCONN, &acc, &len);
	printf("child: SO_ACCEPTCONN: %d\n", acc);
	printf("child: listener cloexec=%d\n", fd_cloexec(lfd));
	show("child: cloexec socket F_GETFD", fcntl(cefd, F_GETFD));

	struct sockaddr_storage p;
	socklen_t pl = sizeof p;
	int a = accept(lfd, (struct sockaddr *)&p, &pl);
	showfd("child: accept", a);
	printf("child: peer %s len=%u\n", fmt_addr(&p, abuf, sizeof abuf), pl);
	char buf[64] = "echo:";
	ssize_t n = read(a, buf + 5, sizeof buf - 5);
	printf("child: read %zd \"%.*s\"\n", n, n > 0 ? (int)n : 0, buf + 5);
	if (n > 0)
		show("child: write echo", write(a, buf, 5 + n));
	close(a);
	close(lfd);
	printf("child: exit\n");
	return 0;
}

int main(int argc, char **argv)
{
	common_init();
	if (argc >= 4 && strcmp(argv[1], "child") == 0)
		return child_main(atoi(argv[2]), atoi(argv[3]));

	/* --- listener inherited across fork + exec --- */
	{
		int l = socket(AF_INET, SOCK_STREAM, 0);
		struct sockaddr_in a0 = sin4("127.0.0.1", 0);
		show("bind", bind(l, (struct sockaddr *)&a0, sizeof a0));
		show("listen", listen(l, 8));
		struct sockaddr_storage ss;
		socklen_t len = sizeof ss;
		getsockname(l, (struct sockaddr *)&ss, &len);
		struct sockaddr_in la = sin4("127.0.0.1", sa_port(&ss));
		int ce = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
		printf("listener cloexec=%d, other socket cloexec=%d\n", fd_cloexec(l), fd_cloexec(ce));

		char fdstr[16], cestr[16];
		snprintf(fdstr, sizeof fdstr, "%d", l);
		snprintf(cestr, sizeof cestr, "%d", ce);
		fflush(stdout);
		pid_t pid = fork();
		if (pid == 0) {
			char *args[] = {argv[0], "child", fdstr, cestr, NULL};
			execvp(argv[0], args);
			printf("execvp: -1 %s\n", errname(errno));
			_exit(127);
		}
		/* Parent: stays silent until the child is reaped. */
		int c = socket(AF_INET, SOCK_STREAM, 0);
		int rc = connect(c, (struct sockaddr *)&la, sizeof la);
		int ec = errno;
		ssize_t ws = write(c, "hello", 5);
		char buf[64];
		size_t got = 0;
		ssize_t n;
		while (got < sizeof buf && (n = read(c, buf + got, sizeof buf - got)) > 0)
			got += n;
		int st;
		waitpid(pid, &st, 0);
		if (rc < 0)
			printf("parent: connect: -1 %s\n", errname(ec));
		else
			printf("parent: connect: 0\n");
		printf("parent: write: %zd\n", ws);
		printf("parent: echo until EOF: %zu \"%.*s\"\n", got, (int)got, buf);
		printf("parent: child exit: %d\n", WIFEXITED(st) ? WEXITSTATUS(st) : -1);
		fcntl(l, F_SETFL, O_NONBLOCK);
		showfd("parent: accept nonblock, nothing pending", accept(l, NULL, NULL));
		close(c);
		close(ce);
		close(l);
	}

	/* --- connected socket passed with SCM_RIGHTS --- */
	{
		int l = socket(AF_INET, SOCK_STREAM, 0);
		struct sockaddr_in a0 = sin4("127.0.0.1", 0);
		bind(l, (struct sockaddr *)&a0, sizeof a0);
		listen(l, 8);
		struct sockaddr_storage ss;
		socklen_t len = sizeof ss;
		getsockname(l, (struct sockaddr *)&ss, &len);
		struct sockaddr_in la = sin4("127.0.0.1", sa_port(&ss));
		int c = socket(AF_INET, SOCK_STREAM, 0);
		show("scm: connect", connect(c, (struct sockaddr *)&la, sizeof la));
		int a = accept(l, NULL, NULL);
		showfd("scm: accept", a);
		int sp[2];
		show("scm: socketpair", socketpair(AF_UNIX, SOCK_STREAM, 0, sp));

		fflush(stdout);
		pid_t pid = fork();
		if (pid == 0) {
			close(sp[0]);
			close(c);
			close(a);
			close(l);
			char data[8];
			union {
				struct cmsghdr h;
				char b[CMSG_SPACE(sizeof(int))];
			} u;
			struct iovec iov = {.iov_base = data, .iov_len = sizeof data};
			struct msghdr m = {.msg_iov = &iov, .msg_iovlen = 1,
					   .msg_control = u.b, .msg_controllen = sizeof u.b};
			ssize_t n = recvmsg(sp[1], &m, 0);
			printf("scm child: recvmsg: %zd\n", n);
			struct cmsghdr *cm = CMSG_FIRSTHDR(&m);
			int fd = -1;
			if (cm && cm->cmsg_level == SOL_SOCKET && cm->cmsg_type == SCM_RIGHTS) {
				memcpy(&fd, CMSG_DATA(cm), sizeof fd);
				printf("scm child: got SCM_RIGHTS, nfds=%zu\n",
				       (size_t)((cm->cmsg_len - CMSG_LEN(0)) / sizeof(int)));
			} else {
				printf("scm child: no SCM_RIGHTS\n");
				_exit(1);
			}
			int type = -1;
			socklen_t tl = sizeof type;
			getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &tl);
			printf("scm child: SO_TYPE is SOCK_STREAM: %d\n", type == SOCK_STREAM);
			struct sockaddr_storage p;
			socklen_t pl = sizeof p;
			show("scm child: getpeername", getpeername(fd, (struct sockaddr *)&p, &pl));
			printf("scm child: peer %s len=%u\n", fmt_addr(&p, abuf, sizeof abuf), pl);
			show("scm child: send", send(fd, "via-scm", 7, 0));
			char rb[16];
			ssize_t r = recv(fd, rb, sizeof rb, 0);
			printf("scm child: recv %zd \"%.*s\"\n", r, r > 0 ? (int)r : 0, rb);
			printf("scm child: exit\n");
			_exit(0);
		}
		close(sp[1]);
		union {
			struct cmsghdr h;
			char b[CMSG_SPACE(sizeof(int))];
		} u;
		memset(&u, 0, sizeof u);
		struct iovec iov = {.iov_base = "F", .iov_len = 1};
		struct msghdr m = {.msg_iov = &iov, .msg_iovlen = 1,
				   .msg_control = u.b, .msg_controllen = sizeof u.b};
		struct cmsghdr *cm = CMSG_FIRSTHDR(&m);
		cm->cmsg_level = SOL_SOCKET;
		cm->cmsg_type = SCM_RIGHTS;
		cm->cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(cm), &c, sizeof c);
		ssize_t sr = sendmsg(sp[0], &m, 0);
		int se = errno;
		close(c); /* the child now holds the only reference */
		/* Tell the child's socket something; it reads it before exiting. */
		ssize_t ar = send(a, "to-child", 8, 0);
		int st;
		waitpid(pid, &st, 0);
		if (sr < 0)
			printf("scm parent: sendmsg: -1 %s\n", errname(se));
		else
			printf("scm parent: sendmsg: %zd\n", sr);
		printf("scm parent: send to child: %zd\n", ar);
		printf("scm parent: child exit: %d\n", WIFEXITED(st) ? WEXITSTATUS(st) : -1);
		char buf[64];
		ssize_t n = recv(a, buf, sizeof buf, 0);
		printf("scm parent: recv from passed socket: %zd \"%.*s\"\n", n, n > 0 ? (int)n : 0, buf);
		show("scm parent: recv EOF after last close", recv(a, buf, sizeof buf, 0));
		close(a);
		close(sp[0]);
		close(l);
	}
	printf("done\n");
	return 0;
}
