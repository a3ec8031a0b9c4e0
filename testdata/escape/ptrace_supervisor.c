/* ptrace_supervisor.c - find a netbox process outside the program's own
 * process tree and try to take hold of it: ptrace(PTRACE_SEIZE),
 * pidfd_getfd(pidfd_open(pid), fd) and process_vm_writev.
 *
 *   ptrace_supervisor PID
 *
 * PID (a netbox the caller knows of, as the host numbers it) is tried
 * first, then every process /proc shows whose comm is "netbox". When /proc
 * shows none, the program looks under its /proc as well: in a private
 * mount namespace of its own (the unmount must not reach the host's), it
 * unmounts /proc and tries the netbox processes found there by number too.
 * Every netbox process found outside the program's own tree is noted on
 * stderr as "visible: netbox pid N (where)".
 *
 * Nothing is changed in the target: the seized tracee is released when the
 * program exits; process_vm_writev writes one byte to address 8, which is
 * never mapped, so that EFAULT (not EPERM/ESRCH) proves access.
 */
#include "escape.h"
#include <dirent.h>
#include <fcntl.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/ptrace.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/uio.h>

static int last_err = ESRCH; /* the last failure, for BLOCKED */
static int argv_pid;         /* tried first, not again by scan */
static int tried;

/* comm reads /proc/PID/comm into buf; it returns 0 or -1. */
static int comm(int pid, char *buf, size_t n)
{
	char path[64];
	snprintf(path, sizeof path, "/proc/%d/comm", pid);
	FILE *f = fopen(path, "r");
	if (!f)
		return -1;
	if (!fgets(buf, n, f))
		buf[0] = 0;
	buf[strcspn(buf, "\n")] = 0;
	fclose(f);
	return 0;
}

static int ppid_of(int pid)
{
	char path[64], buf[512];
	snprintf(path, sizeof path, "/proc/%d/stat", pid);
	FILE *f = fopen(path, "r");
	if (!f)
		return 0;
	size_t n = fread(buf, 1, sizeof buf - 1, f);
	fclose(f);
	buf[n] = 0;
	char *p = strrchr(buf, ')');
	int ppid = 0;
	if (!p || sscanf(p + 1, " %*c %d", &ppid) != 1)
		return 0;
	return ppid;
}

/* self is this process's pid as /proc numbers it (the host's numbering
 * when /proc is the host's). */
static int self(void)
{
	char buf[32];
	ssize_t n = readlink("/proc/self", buf, sizeof buf - 1);
	if (n <= 0)
		return getpid();
	buf[n] = 0;
	return atoi(buf);
}

/* mine reports whether pid is this process or one of its ancestors in its
 * own pid namespace (the sandbox's init, inside netbox). An ancestor in
 * another pid namespace, or one whose namespace this process may not see
 * (a netbox supervisor), is not. */
static int mine(int pid)
{
	struct stat me, st;
	char path[64];
	snprintf(path, sizeof path, "/proc/%d/ns/pid", pid);
	if (stat("/proc/self/ns/pid", &me) < 0 || stat(path, &st) < 0 ||
	    st.st_dev != me.st_dev || st.st_ino != me.st_ino)
		return 0;
	int p = self();
	for (int i = 0; i < 4096 && p > 0; i++) {
		if (p == pid)
			return 1;
		p = ppid_of(p);
	}
	return 0;
}

static void grab(int pid, const char *why)
{
	tried++;
	note("visible: netbox pid %d (%s)", pid, why);
	if (syscall(SYS_ptrace, PTRACE_SEIZE, pid, 0, 0) == 0)
		reached("ptrace netbox pid %d (%s)", pid, why);
	note("ptrace(PTRACE_SEIZE, %d) (%s): %s", pid, why, ename(errno));
	last_err = errno;

	int pfd = syscall(SYS_pidfd_open, pid, 0);
	if (pfd >= 0) {
		for (int fd = 0; fd < 64; fd++) {
			int got = syscall(SYS_pidfd_getfd, pfd, fd, 0);
			if (got >= 0)
				reached("pidfd_getfd netbox pid %d fd %d (%s)", pid, fd, why);
			if (errno != EBADF) {
				last_err = errno;
				break;
			}
		}
		note("pidfd_getfd(%d): %s", pid, ename(last_err));
		close(pfd);
	} else {
		note("pidfd_open(%d): %s", pid, ename(errno));
		last_err = errno;
	}

	char b = 0;
	struct iovec local = {&b, 1}, remote = {(void *)8, 1};
	if (syscall(SYS_process_vm_writev, pid, &local, 1, &remote, 1, 0) >= 0 || errno == EFAULT)
		reached("process_vm_writev netbox pid %d (%s)", pid, why);
	note("process_vm_writev(%d): %s", pid, ename(errno));
	last_err = errno;
}

/* scan tries every netbox process of /proc outside this process's tree;
 * it returns how many it found. */
static int scan(const char *why)
{
	DIR *d = opendir("/proc");
	int found = 0;
	struct dirent *e;
	while (d && (e = readdir(d))) {
		int pid = atoi(e->d_name);
		char c[64];
		if (pid <= 0 || comm(pid, c, sizeof c) < 0 || strcmp(c, "netbox") != 0)
			continue;
		if (pid == argv_pid || mine(pid))
			continue;
		found++;
		grab(pid, why);
	}
	if (d)
		closedir(d);
	return found;
}

int main(int argc, char **argv)
{
	escape_init();
	if (argc != 2) {
		fprintf(stderr, "usage: ptrace_supervisor PID\n");
		return 2;
	}
	int pid = atoi(argv[1]);
	char c[64];
	if (pid > 0 && comm(pid, c, sizeof c) == 0 && strcmp(c, "netbox") == 0 && !mine(pid)) {
		argv_pid = pid;
		grab(pid, "argv");
	} else {
		note("argv pid %d: not a netbox process here", pid);
	}
	if (scan("/proc") > 0)
		blocked(last_err, "%d tried, netbox processes in /proc", tried);

	/* Nothing in this /proc: look under it, in a mount namespace of our own. */
	if (unshare(CLONE_NEWNS) < 0 && unshare(CLONE_NEWUSER | CLONE_NEWNS) < 0) {
		note("unshare: %s", ename(errno));
		blocked(last_err, "no netbox visible, %d tried", tried);
	}
	if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0 || umount2("/proc", MNT_DETACH) < 0) {
		note("private mounts, umount /proc: %s", ename(errno));
		blocked(last_err, "no netbox visible, %d tried", tried);
	}
	int n = scan("under /proc");
	blocked(last_err, "%d tried, %d netbox processes under /proc", tried, n);
}
