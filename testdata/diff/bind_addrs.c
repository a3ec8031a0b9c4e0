/* bind_addrs.c - what bind() takes besides local addresses, and who may
 * take the low ports: a multicast or broadcast IPv4 address (UDP and TCP),
 * an IPv6 link-local multicast address without an interface (EINVAL), a
 * port below 1024 as root and as an unprivileged user (EACCES), 1024 and
 * an ephemeral port as that user, over IPv4 and IPv6.
 */
/* spec: BIND-04 BIND-05 BIND-07 */
#include "common.h"
#include <sys/wait.h>

static void try4(const char *label, int type, const char *ip, int port)
{
	int s = socket(AF_INET, type, 0);
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
	inet_pton(AF_INET, ip, &a.sin_addr);
	show(label, bind(s, (struct sockaddr *)&a, sizeof a));
	close(s);
}

static void try6(const char *label, int type, const char *ip, int port)
{
	int s = socket(AF_INET6, type, 0);
	struct sockaddr_in6 a = {.sin6_family = AF_INET6, .sin6_port = htons((uint16_t)port)};
	inet_pton(AF_INET6, ip, &a.sin6_addr);
	show(label, bind(s, (struct sockaddr *)&a, sizeof a));
	close(s);
}

int main(void)
{
	common_init();
	try4("udp 224.0.0.1", SOCK_DGRAM, "224.0.0.1", 0);
	try4("udp 239.1.2.3 port 5000", SOCK_DGRAM, "239.1.2.3", 5000);
	try4("udp 255.255.255.255", SOCK_DGRAM, "255.255.255.255", 0);
	try4("udp 127.255.255.255", SOCK_DGRAM, "127.255.255.255", 0);
	try4("tcp 224.0.0.1", SOCK_STREAM, "224.0.0.1", 0);
	try4("udp 10.1.2.3", SOCK_DGRAM, "10.1.2.3", 0);
	try6("udp6 ff02::1", SOCK_DGRAM, "ff02::1", 0);
	try6("udp6 fe80::1", SOCK_DGRAM, "fe80::1", 0);
	try6("udp6 ff0e::1", SOCK_DGRAM, "ff0e::1", 0);
	try4("root tcp 80", SOCK_STREAM, "127.0.0.1", 80);
	try6("root udp6 53", SOCK_DGRAM, "::1", 53);
	fflush(stdout);
	pid_t pid = fork();
	if (pid == 0) {
		if (setgid(65534) < 0 || setuid(65534) < 0) {
			printf("setuid: %s\n", errname(errno));
			_exit(1);
		}
		try4("user tcp 80", SOCK_STREAM, "127.0.0.1", 80);
		try4("user udp 1023", SOCK_DGRAM, "127.0.0.1", 1023);
		try6("user tcp6 443", SOCK_STREAM, "::1", 443);
		try4("user tcp 1024", SOCK_STREAM, "127.0.0.1", 1024);
		try4("user udp ephemeral", SOCK_DGRAM, "127.0.0.1", 0);
		try4("user tcp 80 on 10.1.2.3", SOCK_STREAM, "10.1.2.3", 80);
		fflush(stdout);
		_exit(0);
	}
	int st;
	waitpid(pid, &st, 0);
	printf("child exit: %d\n", WIFEXITED(st) ? WEXITSTATUS(st) : -1);
	puts("done");
	return 0;
}
