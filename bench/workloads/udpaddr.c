/* udpaddr: an unconnected UDP socket sendto()s a 64-byte datagram to a
 * bound one, which recvfrom()s it with its source address, N times on one
 * thread: the pattern of a DNS server or any datagram service. Inside
 * netbox both calls are trapped (they carry an address); the result is the
 * cost of one sendto+recvfrom pair, and with IP_PKTINFO on (the receiver
 * asks for control messages through recvmsg) of one sendto+recvmsg pair.
 * usage: udpaddr [N=20000] */
#define BENCH_NET
#include "common.h"

#define MSG 64

int main(int argc, char **argv)
{
	long n = arg(argc, argv, 1, 20000);
	int port;
	int r = bound_lo(SOCK_DGRAM, &port);
	int s = socket(AF_INET, SOCK_DGRAM, 0);
	if (s < 0)
		die("socket");
	struct sockaddr_in to = lo_addr(port);
	char buf[MSG] = {0};
	struct sockaddr_in from;
	socklen_t fl;

	uint64_t t0 = 0;
	for (long i = -100; i < n; i++) { /* 100 warm-up rounds */
		if (i == 0)
			t0 = now_ns();
		if (sendto(s, buf, MSG, 0, (struct sockaddr *)&to, sizeof to) != MSG)
			die("sendto");
		fl = sizeof from;
		if (recvfrom(r, buf, sizeof buf, 0, (struct sockaddr *)&from, &fl) != MSG)
			die("recvfrom");
	}
	printf("udp_sendto_recvfrom_ns %.1f ns\n", (double)(now_ns() - t0) / (double)n);

	int one = 1;
	if (setsockopt(r, IPPROTO_IP, IP_PKTINFO, &one, sizeof one) < 0) {
		perror("udpaddr: setsockopt(IP_PKTINFO), no second measure");
		return 0;
	}
	char ctl[256];
	struct iovec iov = {buf, sizeof buf};
	for (long i = -100; i < n; i++) {
		if (i == 0)
			t0 = now_ns();
		if (sendto(s, buf, MSG, 0, (struct sockaddr *)&to, sizeof to) != MSG)
			die("sendto");
		struct msghdr m = {.msg_name = &from, .msg_namelen = sizeof from, .msg_iov = &iov,
				   .msg_iovlen = 1, .msg_control = ctl, .msg_controllen = sizeof ctl};
		if (recvmsg(r, &m, 0) != MSG)
			die("recvmsg");
		if (m.msg_controllen == 0) {
			errno = 0;
			die("recvmsg: no IP_PKTINFO");
		}
	}
	printf("udp_sendto_recvmsg_pktinfo_ns %.1f ns\n", (double)(now_ns() - t0) / (double)n);
	return 0;
}
