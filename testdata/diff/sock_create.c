/* sock_create.c - what socket() makes, and what it refuses, per family.
 *
 * Checks: the fd socket() returns is the lowest free one, an ordinary
 * socket file (S_ISSOCK, /proc/self/fd/N reads socket:[st_ino], F_GETFL
 * O_RDWR, with O_NONBLOCK for SOCK_NONBLOCK, FD_CLOEXEC for SOCK_CLOEXEC),
 * for UDP, TCP (v4, v6) and unix; AF_UNIX types (SOCK_RAW becomes DGRAM,
 * RDM refused, protocol 2 refused); AF_PACKET types as root; AF_NETLINK
 * types and an unused protocol; families the kernel lacks; SCTP without
 * the module; SO_DOMAIN, SO_TYPE and SO_PROTOCOL of what was made.
 */
/* spec: SOCK-01 SOCK-07 SOCK-09 SOCK-10 SOCK-13 SOCK-14 SCTP-03 SCTP-05 */
#include "common.h"
#include <sys/stat.h>
#include <linux/netlink.h>
#include <linux/if_ether.h>

/* Prints what the fd socket() returned is: its number against the lowest
 * free one, its file type, its /proc link, its flags. */
static void describe(const char *label, int domain, int type)
{
	int lowest = dup(0);
	close(lowest);
	int fd = socket(domain, type, 0);
	if (fd < 0) {
		printf("%s: -1 %s\n", label, errname(errno));
		return;
	}
	struct stat st;
	fstat(fd, &st);
	char path[64], link[64], want[64];
	snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
	ssize_t n = readlink(path, link, sizeof link - 1);
	link[n > 0 ? n : 0] = 0;
	snprintf(want, sizeof want, "socket:[%lu]", (unsigned long)st.st_ino);
	int fl = fcntl(fd, F_GETFL);
	int fdfl = fcntl(fd, F_GETFD);
	printf("%s: lowest=%d sock=%d link_ok=%d accmode_rdwr=%d nonblock=%d cloexec=%d\n", label,
	       fd == lowest, S_ISSOCK(st.st_mode), strcmp(link, want) == 0,
	       (fl & O_ACCMODE) == O_RDWR, !!(fl & O_NONBLOCK), !!(fdfl & FD_CLOEXEC));
	close(fd);
}

int main(void)
{
	common_init();
	/* SOCK-01 */
	describe("udp4", AF_INET, SOCK_DGRAM);
	describe("tcp4", AF_INET, SOCK_STREAM);
	describe("udp6 nonblock", AF_INET6, SOCK_DGRAM | SOCK_NONBLOCK);
	describe("tcp6 cloexec", AF_INET6, SOCK_STREAM | SOCK_CLOEXEC);
	describe("tcp4 both", AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC);
	describe("unix stream", AF_UNIX, SOCK_STREAM);

	/* What each family makes. */
	show_socket("inet stream", AF_INET, SOCK_STREAM, 0);
	show_socket("inet dgram", AF_INET, SOCK_DGRAM, 0);
	show_socket("inet stream tcp", AF_INET, SOCK_STREAM, IPPROTO_TCP);
	show_socket("inet6 dgram udp", AF_INET6, SOCK_DGRAM, IPPROTO_UDP);
	show_socket("inet stream udp", AF_INET, SOCK_STREAM, IPPROTO_UDP);
	show_socket("inet dgram tcp", AF_INET, SOCK_DGRAM, IPPROTO_TCP);
	show_socket("inet seqpacket", AF_INET, SOCK_SEQPACKET, 0);
	show_socket("inet rdm", AF_INET, SOCK_RDM, 0);
	show_socket("inet type 11", AF_INET, 11, 0);

	/* SOCK-09 */
	show_socket("unix stream", AF_UNIX, SOCK_STREAM, 0);
	show_socket("unix dgram", AF_UNIX, SOCK_DGRAM, 0);
	show_socket("unix seqpacket", AF_UNIX, SOCK_SEQPACKET, 0);
	show_socket("unix raw", AF_UNIX, SOCK_RAW, 0);
	show_socket("unix rdm", AF_UNIX, SOCK_RDM, 0);
	show_socket("unix proto 1", AF_UNIX, SOCK_STREAM, 1);
	show_socket("unix proto 2", AF_UNIX, SOCK_STREAM, 2);

	/* SOCK-07 (as root) */
	show_socket("packet raw", AF_PACKET, SOCK_RAW, htons(ETH_P_ALL));
	show_socket("packet dgram", AF_PACKET, SOCK_DGRAM, htons(ETH_P_IP));
	show_socket("packet stream", AF_PACKET, SOCK_STREAM, 0);

	/* SOCK-10 */
	show_socket("netlink route raw", AF_NETLINK, SOCK_RAW, NETLINK_ROUTE);
	show_socket("netlink route dgram", AF_NETLINK, SOCK_DGRAM, NETLINK_ROUTE);
	show_socket("netlink route stream", AF_NETLINK, SOCK_STREAM, NETLINK_ROUTE);
	show_socket("netlink diag raw", AF_NETLINK, SOCK_RAW, NETLINK_SOCK_DIAG);
	show_socket("netlink diag stream", AF_NETLINK, SOCK_STREAM, NETLINK_SOCK_DIAG);
	show_socket("netlink proto 31", AF_NETLINK, SOCK_RAW, 31);
	show_socket("netlink proto 32", AF_NETLINK, SOCK_RAW, 32);

	/* SOCK-13, SOCK-14, SCTP-03, SCTP-05 */
	show_socket("family 46", 46, SOCK_STREAM, 0);
	show_socket("family 255", 255, SOCK_STREAM, 0);
	show_socket("family -1", -1, SOCK_STREAM, 0);
	show_socket("sctp stream", AF_INET, SOCK_STREAM, IPPROTO_SCTP);
	show_socket("sctp seqpacket", AF_INET, SOCK_SEQPACKET, IPPROTO_SCTP);
	show_socket("sctp6 stream", AF_INET6, SOCK_STREAM, IPPROTO_SCTP);
	show_socket("sctp6 seqpacket", AF_INET6, SOCK_SEQPACKET, IPPROTO_SCTP);
	printf("done\n");
	return 0;
}
