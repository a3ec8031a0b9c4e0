/* vsock.c - AF_VSOCK sockets that reach nothing.
 *
 * The sandbox's vsock has no transport (no vhost, virtio or loopback), so
 * this program observes only what does not depend on one, and never
 * connects anywhere (natively a connect would reach the hypervisor):
 * socket() per type and protocol (DGRAM needs a datagram transport:
 * ENODEV), SO_DOMAIN/SO_TYPE/SO_PROTOCOL, the unbound and bound names,
 * getpeername, the AF_VSOCK options (buffer size, minimum and maximum with
 * their clamping, the connect timeout in both layouts, bad lengths and
 * ranges), SO_ZEROCOPY and SO_RCVLOWAT as vsock takes them, bind's checks
 * (length, family, flags, a CID that is not local, the port allocator, a
 * port in use, a reserved port without CAP_NET_BIND_SERVICE), listen and
 * accept with no connection coming, connect on a listener, shutdown, send
 * and receive on an unconnected socket, MSG_ERRQUEUE, FIONREAD and poll.
 */
#include "common.h"
#include <grp.h>
#include <linux/vm_sockets.h>
#include <stdint.h>
#include <sys/ioctl.h>
#include <sys/wait.h>

static struct sockaddr_vm svm(unsigned cid, unsigned port)
{
	struct sockaddr_vm a;
	memset(&a, 0, sizeof a);
	a.svm_family = AF_VSOCK;
	a.svm_cid = cid;
	a.svm_port = port;
	return a;
}

/* name prints getsockname or getpeername; an allocated port (above the
 * reserved range, chosen by the kernel) prints as "auto". */
static void name(const char *label, int fd, int peer)
{
	struct sockaddr_vm a;
	memset(&a, 0x55, sizeof a);
	socklen_t l = sizeof a + 4;
	int r = peer ? getpeername(fd, (struct sockaddr *)&a, &l) : getsockname(fd, (struct sockaddr *)&a, &l);
	if (r < 0) {
		printf("%s: -1 %s\n", label, errname(errno));
		return;
	}
	char port[16];
	if (a.svm_port == VMADDR_PORT_ANY || a.svm_port < 1024 || a.svm_port == 54321 || a.svm_port == 54322)
		snprintf(port, sizeof port, "%u", a.svm_port);
	else
		snprintf(port, sizeof port, "auto");
	printf("%s: family=%d cid=%u port=%s flags=%u len=%u\n", label, a.svm_family, a.svm_cid, port,
	       a.svm_flags, l);
}

static void get64(const char *label, int fd, int opt)
{
	uint64_t v = 0x5555;
	socklen_t l = sizeof v;
	if (getsockopt(fd, AF_VSOCK, opt, &v, &l) < 0)
		printf("%s: -1 %s\n", label, errname(errno));
	else
		printf("%s: %llu len=%u\n", label, (unsigned long long)v, l);
}

static void set64(const char *label, int fd, int opt, uint64_t v)
{
	show(label, setsockopt(fd, AF_VSOCK, opt, &v, sizeof v));
}

static void sizes(const char *label, int fd)
{
	uint64_t s = 0, mn = 0, mx = 0;
	socklen_t l = 8;
	getsockopt(fd, AF_VSOCK, SO_VM_SOCKETS_BUFFER_SIZE, &s, &l);
	getsockopt(fd, AF_VSOCK, SO_VM_SOCKETS_BUFFER_MIN_SIZE, &mn, &l);
	getsockopt(fd, AF_VSOCK, SO_VM_SOCKETS_BUFFER_MAX_SIZE, &mx, &l);
	printf("%s: size=%llu min=%llu max=%llu\n", label, (unsigned long long)s, (unsigned long long)mn,
	       (unsigned long long)mx);
}

static void timeout(const char *label, int fd, int opt)
{
	int64_t tv[3] = {-7, -7, -7};
	socklen_t l = sizeof tv;
	if (getsockopt(fd, AF_VSOCK, opt, tv, &l) < 0)
		printf("%s: -1 %s\n", label, errname(errno));
	else
		printf("%s: %lld.%06lld len=%u\n", label, (long long)tv[0], (long long)tv[1], l);
}

static void set_timeout(const char *label, int fd, int opt, int64_t sec, int64_t usec, socklen_t len)
{
	int64_t tv[2] = {sec, usec};
	show(label, setsockopt(fd, AF_VSOCK, opt, tv, len));
}

static void options(void)
{
	int fd = socket(AF_VSOCK, SOCK_STREAM, 0);
	sizes("defaults", fd);
	get64("get BUFFER_SIZE", fd, SO_VM_SOCKETS_BUFFER_SIZE);
	uint64_t v = 0;
	socklen_t l = 4;
	show("get BUFFER_SIZE len 4", getsockopt(fd, AF_VSOCK, SO_VM_SOCKETS_BUFFER_SIZE, &v, &l));
	unsigned char big[12];
	memset(big, 0x55, sizeof big);
	l = sizeof big;
	show("get BUFFER_SIZE len 12", getsockopt(fd, AF_VSOCK, SO_VM_SOCKETS_BUFFER_SIZE, big, &l));
	printf("get BUFFER_SIZE len 12 returned: len=%u tail=%02x\n", l, big[8]);
	get64("get PEER_HOST_VM_ID", fd, SO_VM_SOCKETS_PEER_HOST_VM_ID);
	get64("get TRUSTED", fd, SO_VM_SOCKETS_TRUSTED);
	get64("get NONBLOCK_TXRX", fd, SO_VM_SOCKETS_NONBLOCK_TXRX);
	get64("get 99", fd, 99);
	int one = 1;
	l = sizeof one;
	show("getsockopt SOL_TCP TCP_NODELAY", getsockopt(fd, IPPROTO_TCP, 1, &one, &l));
	show("setsockopt SOL_TCP TCP_NODELAY", setsockopt(fd, IPPROTO_TCP, 1, &one, sizeof one));
	show("setsockopt SOL_VSOCK 0", setsockopt(fd, SOL_VSOCK, 0, &v, sizeof v));
	set64("set PEER_HOST_VM_ID", fd, SO_VM_SOCKETS_PEER_HOST_VM_ID, 1);
	set64("set TRUSTED", fd, SO_VM_SOCKETS_TRUSTED, 1);

	/* The buffer size is clamped to [min, max] whenever one of the
	 * three changes; min wins over max. */
	set64("set BUFFER_SIZE 1000", fd, SO_VM_SOCKETS_BUFFER_SIZE, 1000);
	sizes("after size 1000", fd);
	set64("set BUFFER_SIZE 100", fd, SO_VM_SOCKETS_BUFFER_SIZE, 100);
	sizes("after size 100", fd);
	set64("set BUFFER_SIZE 2^40", fd, SO_VM_SOCKETS_BUFFER_SIZE, 1ULL << 40);
	sizes("after size 2^40", fd);
	set64("set MAX 524288", fd, SO_VM_SOCKETS_BUFFER_MAX_SIZE, 524288);
	set64("set BUFFER_SIZE 524288", fd, SO_VM_SOCKETS_BUFFER_SIZE, 524288);
	set64("set MIN 256", fd, SO_VM_SOCKETS_BUFFER_MIN_SIZE, 256);
	sizes("after doubling (CPython's test)", fd);
	set64("set MAX 100", fd, SO_VM_SOCKETS_BUFFER_MAX_SIZE, 100);
	sizes("after max 100", fd);
	set64("set MIN 4096", fd, SO_VM_SOCKETS_BUFFER_MIN_SIZE, 4096);
	sizes("after min 4096 above max", fd);
	set64("set MIN 0", fd, SO_VM_SOCKETS_BUFFER_MIN_SIZE, 0);
	set64("set MAX 2^64-1", fd, SO_VM_SOCKETS_BUFFER_MAX_SIZE, ~0ULL);
	sizes("after min 0 max 2^64-1", fd);
	uint32_t small = 4096;
	show("set BUFFER_SIZE len 4", setsockopt(fd, AF_VSOCK, SO_VM_SOCKETS_BUFFER_SIZE, &small, sizeof small));
	show("set BUFFER_SIZE bad pointer", setsockopt(fd, AF_VSOCK, SO_VM_SOCKETS_BUFFER_SIZE, (void *)8, 8));
	close(fd);

	fd = socket(AF_VSOCK, SOCK_SEQPACKET, 0);
	timeout("timeout OLD default", fd, SO_VM_SOCKETS_CONNECT_TIMEOUT_OLD);
	timeout("timeout NEW default", fd, SO_VM_SOCKETS_CONNECT_TIMEOUT_NEW);
	int64_t tv[2];
	l = 8;
	show("get timeout len 8", getsockopt(fd, AF_VSOCK, SO_VM_SOCKETS_CONNECT_TIMEOUT_NEW, tv, &l));
	set_timeout("set timeout 1.5", fd, SO_VM_SOCKETS_CONNECT_TIMEOUT_NEW, 1, 500000, 16);
	timeout("timeout OLD after 1.5", fd, SO_VM_SOCKETS_CONNECT_TIMEOUT_OLD);
	set_timeout("set timeout OLD 0.02", fd, SO_VM_SOCKETS_CONNECT_TIMEOUT_OLD, 0, 20000, 16);
	timeout("timeout NEW after 0.02", fd, SO_VM_SOCKETS_CONNECT_TIMEOUT_NEW);
	set_timeout("set timeout 0", fd, SO_VM_SOCKETS_CONNECT_TIMEOUT_NEW, 0, 0, 16);
	timeout("timeout after 0", fd, SO_VM_SOCKETS_CONNECT_TIMEOUT_NEW);
	set_timeout("set timeout 3600", fd, SO_VM_SOCKETS_CONNECT_TIMEOUT_NEW, 3600, 0, 24);
	timeout("timeout after 3600", fd, SO_VM_SOCKETS_CONNECT_TIMEOUT_NEW);
	set_timeout("set timeout -1 s", fd, SO_VM_SOCKETS_CONNECT_TIMEOUT_NEW, -1, 0, 16);
	set_timeout("set timeout usec 10^6", fd, SO_VM_SOCKETS_CONNECT_TIMEOUT_NEW, 0, 1000000, 16);
	set_timeout("set timeout len 8", fd, SO_VM_SOCKETS_CONNECT_TIMEOUT_NEW, 1, 0, 8);
	set_timeout("set timeout OLD len 15", fd, SO_VM_SOCKETS_CONNECT_TIMEOUT_OLD, 1, 0, 15);
	timeout("timeout after refusals", fd, SO_VM_SOCKETS_CONNECT_TIMEOUT_NEW);
	close(fd);
}

static void socket_options(void)
{
	int fd = socket(AF_VSOCK, SOCK_STREAM, 0);
	get_int("SO_ZEROCOPY", fd, SOL_SOCKET, SO_ZEROCOPY);
	show("set SO_ZEROCOPY 1", set_int(fd, SOL_SOCKET, SO_ZEROCOPY, 1));
	get_int("SO_ZEROCOPY after 1", fd, SOL_SOCKET, SO_ZEROCOPY);
	show("set SO_ZEROCOPY 2", set_int(fd, SOL_SOCKET, SO_ZEROCOPY, 2));
	short s16 = 1;
	show("set SO_ZEROCOPY len 2", setsockopt(fd, SOL_SOCKET, SO_ZEROCOPY, &s16, sizeof s16));
	show("set SO_ZEROCOPY 0", set_int(fd, SOL_SOCKET, SO_ZEROCOPY, 0));
	get_int("SO_ZEROCOPY after 0", fd, SOL_SOCKET, SO_ZEROCOPY);

	get_int("SO_RCVLOWAT", fd, SOL_SOCKET, SO_RCVLOWAT);
	show("set SO_RCVLOWAT 300000", set_int(fd, SOL_SOCKET, SO_RCVLOWAT, 300000));
	show("set SO_RCVLOWAT 262144", set_int(fd, SOL_SOCKET, SO_RCVLOWAT, 262144));
	get_int("SO_RCVLOWAT after 262144", fd, SOL_SOCKET, SO_RCVLOWAT);
	show("set SO_RCVLOWAT 0", set_int(fd, SOL_SOCKET, SO_RCVLOWAT, 0));
	get_int("SO_RCVLOWAT after 0", fd, SOL_SOCKET, SO_RCVLOWAT);
	show("set SO_RCVLOWAT -1", set_int(fd, SOL_SOCKET, SO_RCVLOWAT, -1));
	uint64_t v = 1000;
	setsockopt(fd, AF_VSOCK, SO_VM_SOCKETS_BUFFER_SIZE, &v, sizeof v);
	show("set SO_RCVLOWAT 2000 over buffer 1000", set_int(fd, SOL_SOCKET, SO_RCVLOWAT, 2000));
	get_int("SO_RCVBUF", fd, SOL_SOCKET, SO_RCVBUF);
	get_int("SO_SNDBUF", fd, SOL_SOCKET, SO_SNDBUF);
	get_int("SO_ERROR", fd, SOL_SOCKET, SO_ERROR);
	get_int("SO_ACCEPTCONN", fd, SOL_SOCKET, SO_ACCEPTCONN);
	show("set SO_PASSCRED", set_int(fd, SOL_SOCKET, SO_PASSCRED, 1));
	get_int("SO_PASSCRED", fd, SOL_SOCKET, SO_PASSCRED);
	show("set SO_PASSRIGHTS", set_int(fd, SOL_SOCKET, 83 /* SO_PASSRIGHTS */, 0));
	get_int("SO_PASSRIGHTS", fd, SOL_SOCKET, 83);
	show("set SO_PASSPIDFD", set_int(fd, SOL_SOCKET, 76 /* SO_PASSPIDFD */, 1));
	struct ucred uc;
	socklen_t l = sizeof uc;
	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &uc, &l) == 0)
		printf("SO_PEERCRED: pid=%d uid=%d gid=%d\n", uc.pid, (int)uc.uid, (int)uc.gid);
	else
		printf("SO_PEERCRED: -1 %s\n", errname(errno));
	show("set SO_TYPE", set_int(fd, SOL_SOCKET, SO_TYPE, 1));
	close(fd);

	fd = socket(AF_VSOCK, SOCK_SEQPACKET, 0);
	show("seqpacket set SO_RCVLOWAT 300000", set_int(fd, SOL_SOCKET, SO_RCVLOWAT, 300000));
	get_int("seqpacket SO_RCVLOWAT", fd, SOL_SOCKET, SO_RCVLOWAT);
	close(fd);
}

static void binds(void)
{
	int fd = socket(AF_VSOCK, SOCK_STREAM, 0);
	name("unbound name", fd, 0);
	name("unbound peer", fd, 1);
	struct sockaddr_vm a = svm(VMADDR_CID_ANY, VMADDR_PORT_ANY);
	show("bind len 8", bind(fd, (struct sockaddr *)&a, 8));
	show("bind len 15", bind(fd, (struct sockaddr *)&a, 15));
	show("bind len 129", bind(fd, (struct sockaddr *)&a, 129));
	show("bind bad pointer", bind(fd, (struct sockaddr *)8, sizeof a));
	a.svm_family = AF_INET;
	show("bind AF_INET", bind(fd, (struct sockaddr *)&a, sizeof a));
	a = svm(VMADDR_CID_ANY, VMADDR_PORT_ANY);
	a.svm_flags = 2;
	show("bind flags 2", bind(fd, (struct sockaddr *)&a, sizeof a));
	a = svm(VMADDR_CID_LOCAL, VMADDR_PORT_ANY);
	show("bind cid LOCAL", bind(fd, (struct sockaddr *)&a, sizeof a));
	a = svm(VMADDR_CID_HOST, VMADDR_PORT_ANY);
	show("bind cid HOST", bind(fd, (struct sockaddr *)&a, sizeof a));
	a = svm(0, VMADDR_PORT_ANY);
	show("bind cid 0", bind(fd, (struct sockaddr *)&a, sizeof a));
	a = svm(123456, VMADDR_PORT_ANY);
	show("bind cid 123456", bind(fd, (struct sockaddr *)&a, sizeof a));
	name("name after refusals", fd, 0);
	a = svm(VMADDR_CID_ANY, VMADDR_PORT_ANY);
	a.svm_flags = VMADDR_FLAG_TO_HOST;
	a.svm_zero[0] = 7;
	show("bind any:any TO_HOST", bind(fd, (struct sockaddr *)&a, sizeof a));
	name("name after bind any", fd, 0);
	show("bind again", bind(fd, (struct sockaddr *)&a, sizeof a));
	close(fd);

	int f1 = socket(AF_VSOCK, SOCK_STREAM, 0), f2 = socket(AF_VSOCK, SOCK_SEQPACKET, 0);
	a = svm(VMADDR_CID_ANY, 54321);
	show("bind 54321", bind(f1, (struct sockaddr *)&a, sizeof a));
	name("name 54321", f1, 0);
	show("bind 54321 again (other type)", bind(f2, (struct sockaddr *)&a, sizeof a));
	a = svm(VMADDR_CID_ANY, 54322);
	show("bind 54322", bind(f2, (struct sockaddr *)&a, sizeof a));
	close(f1);
	f1 = socket(AF_VSOCK, SOCK_STREAM, 0);
	a = svm(VMADDR_CID_ANY, 54321);
	show("bind 54321 after close", bind(f1, (struct sockaddr *)&a, sizeof a));
	close(f1);
	close(f2);

	a = svm(VMADDR_CID_ANY, 1000);
	fd = socket(AF_VSOCK, SOCK_STREAM, 0);
	show("root bind 1000", bind(fd, (struct sockaddr *)&a, sizeof a));
	close(fd);
	fflush(stdout);
	pid_t pid = fork();
	if (pid == 0) {
		setgroups(0, NULL);
		if (setgid(65534) < 0 || setuid(65534) < 0)
			_exit(3);
		fd = socket(AF_VSOCK, SOCK_STREAM, 0);
		a = svm(VMADDR_CID_ANY, 1001);
		show("nobody bind 1001", bind(fd, (struct sockaddr *)&a, sizeof a));
		a = svm(VMADDR_CID_ANY, 1024);
		show("nobody bind 1024", bind(fd, (struct sockaddr *)&a, sizeof a));
		fflush(stdout);
		_exit(0);
	}
	int st;
	waitpid(pid, &st, 0);
}

static void listener(void)
{
	int fd = socket(AF_VSOCK, SOCK_STREAM | SOCK_NONBLOCK, 0);
	show("listen unbound", listen(fd, 5));
	struct sockaddr_vm a = svm(VMADDR_CID_ANY, VMADDR_PORT_ANY);
	show("bind", bind(fd, (struct sockaddr *)&a, sizeof a));
	show("listen", listen(fd, 5));
	show("listen again", listen(fd, 10));
	get_int("SO_ACCEPTCONN listening", fd, SOL_SOCKET, SO_ACCEPTCONN);
	name("listener name", fd, 0);
	name("listener peer", fd, 1);
	struct sockaddr_vm p;
	socklen_t l = sizeof p;
	show("accept nonblocking", accept(fd, (struct sockaddr *)&p, &l));
	show("accept4 bad flags", accept4(fd, NULL, NULL, 0x40));
	int fl = fcntl(fd, F_GETFL);
	fcntl(fd, F_SETFL, fl & ~O_NONBLOCK);
	struct timeval tv = {0, 100000};
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
	show("accept blocking with 100ms timeout", accept(fd, NULL, NULL));
	struct pollfd pfd = {fd, POLLIN | POLLOUT, 0};
	show("poll listener", poll(&pfd, 1, 0));
	printf("poll listener revents: 0x%x\n", pfd.revents);
	a = svm(VMADDR_CID_HOST, 1234);
	show("connect on listener", connect(fd, (struct sockaddr *)&a, sizeof a));
	show("shutdown listener", shutdown(fd, SHUT_RDWR));
	close(fd);

	fd = socket(AF_VSOCK, SOCK_DGRAM, 0);
	if (fd >= 0)
		close(fd);
	fd = socket(AF_VSOCK, SOCK_STREAM, 0);
	show("accept unbound", accept(fd, NULL, NULL));
	a = svm(VMADDR_CID_ANY, VMADDR_PORT_ANY);
	bind(fd, (struct sockaddr *)&a, sizeof a);
	show("accept bound not listening", accept(fd, NULL, NULL));
	show("connect len 8", connect(fd, (struct sockaddr *)&a, 8));
	struct sockaddr_in sin = sin4("127.0.0.1", 80);
	show("connect AF_INET", connect(fd, (struct sockaddr *)&sin, sizeof sin));
	struct sockaddr un = {.sa_family = AF_UNSPEC};
	show("connect AF_UNSPEC", connect(fd, &un, sizeof un));
	name("peer after refused connects", fd, 1);
	close(fd);
}

static void unconnected(void)
{
	int fd = socket(AF_VSOCK, SOCK_STREAM, 0);
	show("shutdown SHUT_RD", shutdown(fd, SHUT_RD));
	show("shutdown SHUT_RDWR", shutdown(fd, SHUT_RDWR));
	show("shutdown 3", shutdown(fd, 3));
	show("shutdown -1", shutdown(fd, -1));
	char b[8] = "x";
	show("send", send(fd, b, 1, MSG_NOSIGNAL));
	show("write", write(fd, b, 1));
	struct sockaddr_vm a = svm(VMADDR_CID_HOST, 1234);
	show("sendto", sendto(fd, b, 1, 0, (struct sockaddr *)&a, sizeof a));
	show("sendto garbage name", sendto(fd, b, 1, 0, (struct sockaddr *)&a, 3));
	struct iovec iov = {b, 1};
	struct msghdr m = {.msg_iov = &iov, .msg_iovlen = 1};
	show("sendmsg", sendmsg(fd, &m, 0));
	show("sendmsg MSG_OOB", sendmsg(fd, &m, MSG_OOB));
	m.msg_name = &a;
	m.msg_namelen = sizeof a;
	show("sendmsg with name", sendmsg(fd, &m, 0));
	m.msg_name = NULL;
	m.msg_namelen = 0;
	show("recvmsg", recvmsg(fd, &m, 0));
	show("recvmsg MSG_OOB", recvmsg(fd, &m, MSG_OOB));
	show("recvmsg MSG_ERRQUEUE", recvmsg(fd, &m, MSG_ERRQUEUE));
	struct sockaddr_vm from;
	socklen_t l = sizeof from;
	show("recvfrom with name", recvfrom(fd, b, 1, MSG_DONTWAIT, (struct sockaddr *)&from, &l));
	show("recv unconnected", recv(fd, b, 1, MSG_DONTWAIT));
	int n = -7;
	show("FIONREAD", ioctl(fd, FIONREAD, &n));
	struct pollfd pfd = {fd, POLLIN | POLLOUT | POLLRDHUP | POLLWRBAND, 0};
	show("poll unconnected", poll(&pfd, 1, 0));
	printf("poll unconnected revents: 0x%x\n", pfd.revents);
	close(fd);
}

int main(void)
{
	common_init();
	show_socket("stream", AF_VSOCK, SOCK_STREAM, 0);
	show_socket("seqpacket", AF_VSOCK, SOCK_SEQPACKET, 0);
	show_socket("stream protocol AF_VSOCK", AF_VSOCK, SOCK_STREAM, AF_VSOCK);
	show_socket("stream nonblock cloexec", AF_VSOCK, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	{
		int fd = socket(AF_VSOCK, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
		printf("stream nonblock cloexec flags: cloexec=%d nonblock=%d\n", fd_cloexec(fd), fd_nonblock(fd));
		close(fd);
	}
	show_socket("dgram", AF_VSOCK, SOCK_DGRAM, 0);
	show_socket("raw", AF_VSOCK, SOCK_RAW, 0);
	show_socket("rdm", AF_VSOCK, SOCK_RDM, 0);
	show_socket("type 0", AF_VSOCK, 0, 0);
	show_socket("type 11", AF_VSOCK, 11, 0);
	show_socket("stream protocol 1", AF_VSOCK, SOCK_STREAM, 1);
	show_socket("dgram protocol 1", AF_VSOCK, SOCK_DGRAM, 1);
	show_socket("raw protocol 1", AF_VSOCK, SOCK_RAW, 1);
	show_socket("stream protocol 300", AF_VSOCK, SOCK_STREAM, 300);
	show_socket("stream protocol -1", AF_VSOCK, SOCK_STREAM, -1);
	show_socket("stream bad flag", AF_VSOCK, SOCK_STREAM | 0x1000, 0);
	options();
	socket_options();
	binds();
	listener();
	unconnected();
	return 0;
}
