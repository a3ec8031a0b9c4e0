/* setns_host.c - try to enter the host's network namespace and report
 * whether any interface other than lo is then visible.
 *
 *   setns_host
 *
 * 1. setns(open("/proc/1/ns/net"), CLONE_NEWNET). Inside netbox, /proc is
 *    the sandbox's own and pid 1 is netbox's init, in the sandbox's
 *    namespace.
 * 2. setns into the network namespace of every process /proc shows.
 * 3. Look under the sandbox's /proc: in a private mount namespace of its
 *    own (never the host's: the unmount must not propagate), unmount
 *    /proc, and try setns on the network namespace of every process the
 *    /proc below shows.
 *
 * REACHED names an interface other than lo visible after an attempt (run
 * natively on the host, that is at once), or a network namespace joined
 * other than the one the program started in: inside netbox that would be
 * the host's, the supervisor's private one or another sandbox's, even
 * when it shows only lo. Each namespace joined is noted on stderr with the
 * process it came from.
 */
#include "escape.h"
#include <dirent.h>
#include <fcntl.h>
#include <net/if.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/stat.h>

/* other_iface returns the name of an interface other than lo, or NULL. */
static const char *other_iface(void)
{
	static char name[IF_NAMESIZE + 1];
	struct if_nameindex *ifs = if_nameindex();
	if (!ifs)
		return NULL;
	const char *found = NULL;
	for (struct if_nameindex *i = ifs; i->if_index; i++) {
		if (strcmp(i->if_name, "lo") != 0) {
			snprintf(name, sizeof name, "%s", i->if_name);
			found = name;
			break;
		}
	}
	if_freenameindex(ifs);
	return found;
}

static struct stat start_ns; /* the network namespace the program began in */
static int last_err;          /* the last setns-route failure, for BLOCKED */
static int entered;  /* setns calls that succeeded */

static void try(const char *path);

/* scan tries the network namespace of every process in /proc. */
static int scan(void)
{
	DIR *d = opendir("/proc");
	int n = 0;
	struct dirent *e;
	while (d && (e = readdir(d))) {
		if (e->d_name[0] < '1' || e->d_name[0] > '9')
			continue;
		char path[300];
		snprintf(path, sizeof path, "/proc/%s/ns/net", e->d_name);
		n++;
		try(path);
	}
	if (d)
		closedir(d);
	return n;
}

/* try opens path, joins its network namespace and reports REACHED if the
 * namespace shows an interface other than lo. */
static void try(const char *path)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		last_err = errno;
		return;
	}
	struct stat st;
	if (fstat(fd, &st) < 0) {
		last_err = errno;
		close(fd);
		return;
	}
	if (setns(fd, CLONE_NEWNET) < 0) {
		last_err = errno;
		close(fd);
		return;
	}
	close(fd);
	entered++;
	char ns[64] = "?", comm[64] = "?", cpath[300];
	ssize_t n = readlink("/proc/thread-self/ns/net", ns, sizeof ns - 1);
	ns[n > 0 ? n : 0] = 0;
	snprintf(cpath, sizeof cpath, "%.*s/comm", (int)(strlen(path) - strlen("/ns/net")), path);
	FILE *f = fopen(cpath, "r");
	if (f) {
		if (!fgets(comm, sizeof comm, f))
			comm[0] = 0;
		comm[strcspn(comm, "\n")] = 0;
		fclose(f);
	}
	note("joined %s of %s: %s", path, comm, ns);
	const char *ifn = other_iface();
	if (ifn)
		reached("interface %s after setns(%s)", ifn, path);
	if (st.st_dev != start_ns.st_dev || st.st_ino != start_ns.st_ino)
		reached("another network namespace, %s of %s, after setns(%s)", ns, comm, path);
}

int main(void)
{
	escape_init();
	if (stat("/proc/thread-self/ns/net", &start_ns) < 0) {
		fprintf(stderr, "stat /proc/thread-self/ns/net: %s\n", strerror(errno));
		return 2;
	}
	const char *before = other_iface();
	note("before setns: %s", before ? before : "only lo");

	try("/proc/1/ns/net");
	note("setns /proc/1/ns/net: %s (%d joined)", ename(last_err), entered);
	int first_err = last_err;
	const char *ifn = other_iface();
	if (ifn)
		reached("interface %s after setns(/proc/1/ns/net): %s", ifn, ename(first_err));
	int n = scan();
	note("/proc: %d processes, %d setns joined, last error %s", n, entered, ename(last_err));

	/* A private mount namespace, so that the unmount stays ours. */
	if (unshare(CLONE_NEWNS) < 0) {
		note("unshare(CLONE_NEWNS): %s; trying with a user namespace", ename(errno));
		if (unshare(CLONE_NEWUSER | CLONE_NEWNS) < 0) {
			note("unshare(CLONE_NEWUSER|CLONE_NEWNS): %s", ename(errno));
			blocked(first_err, "/proc/1/ns/net: setns %s, %d joined, only lo",
				ename(first_err), entered);
		}
	}
	if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0) {
		note("make / private: %s", ename(errno));
		blocked(first_err, "/proc/1/ns/net: setns %s, %d joined, only lo", ename(first_err), entered);
	}
	if (umount2("/proc", MNT_DETACH) < 0) {
		note("umount /proc: %s", ename(errno));
		blocked(first_err, "/proc/1/ns/net: setns %s, %d joined, only lo; umount /proc %s",
			ename(first_err), entered, ename(errno));
	}
	note("umount /proc: OK");
	n = scan();
	note("below /proc: %d processes, %d setns joined, last error %s", n, entered, ename(last_err));
	blocked(last_err ? last_err : first_err,
		"/proc/1/ns/net: setns %s; below /proc %d processes, %d joined, only lo",
		ename(first_err), n, entered);
}
