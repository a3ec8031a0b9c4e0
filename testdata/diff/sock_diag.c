/* sock_diag.c - NETLINK_SOCK_DIAG (what `ss` uses) over loopback sockets.
 *
 * Checks: SOCK_DIAG_BY_FAMILY dumps (NLM_F_DUMP) of TCP and UDP sockets for
 * AF_INET and AF_INET6 with all states, with only TCP_LISTEN, with only
 * TCP_CLOSE, with only the TCP_BOUND_INACTIVE pseudo-state (bound, not
 * listening sockets) and with the INET_DIAG_TOS extension; every
 * inet_diag_msg is collected, sorted and printed with family, state, ports
 * (fixed ones printed, ephemeral ones only compared to getsockname),
 * addresses, idiag_if, the owning fd found by inode, uid, timer, retrans,
 * queues (listener backlog) and the attribute types (values of
 * INET_DIAG_SHUTDOWN, INET_DIAG_SKV6ONLY and INET_DIAG_TOS); NLMSG_DONE,
 * NLM_F_MULTI, nlmsg_seq and nlmsg_pid of the replies; the netlink
 * socket's own address (autobind). Errors as NLMSG_ERROR/NLMSG_DONE
 * payloads: unknown message type, unknown protocol, family >= AF_MAX, a too
 * short request; an exact (non-dump) lookup of one connection and of a port
 * nobody uses. The send path with connect()+send()/recv() and write()/read();
 * bind() and sendmsg() address errors; SOCK_STREAM/SOCK_DGRAM netlink types.
 * unix_diag (ss -x): a dump finds the program's abstract listener with its
 * type, state, name and backlog, and its socketpair; an exact lookup by
 * inode answers it alone; an inode nobody has is ENOENT, inode 0 EINVAL.
 */
/* spec: NL-01 NL-02 NL-03 NL-04 NL-07 NL-09 NL-13 NL-18 OBS-08 UNIX-20 OBS-04 */
#include "common.h"
#include <sys/stat.h>
#include <netinet/tcp.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <linux/sock_diag.h>
#include <linux/inet_diag.h>
#include <linux/unix_diag.h>
#include "inetdiag.h"
#include <sys/un.h>
#include <stddef.h>

#define BUFSZ 32768

/* Sockets created by the program, found again by inode and local port. */
struct named {
	const char *name;
	int fd;
	ino_t ino;
	int lport;
};
static struct named socks[16];
static int nsocks;

static void track(const char *name, int fd)
{
	struct stat st;
	if (fd < 0 || fstat(fd, &st) < 0) {
		printf("track %s: failed\n", name);
		return;
	}
	socks[nsocks].name = name;
	socks[nsocks].fd = fd;
	socks[nsocks].ino = st.st_ino;
	socks[nsocks].lport = local_port(fd);
	nsocks++;
}

static int fixed_port(int p)
{
	return p == 0 || (p >= 5555 && p <= 5559);
}

/* Printable port: fixed ports and 0 as numbers, else "ephemeral" when it is
 * the getsockname port of one of our sockets, "unknown" otherwise. */
static const char *port_str(int p, char *b, size_t n)
{
	if (fixed_port(p)) {
		snprintf(b, n, "%d", p);
		return b;
	}
	for (int i = 0; i < nsocks; i++)
		if (socks[i].lport == p)
			return "ephemeral";
	return "unknown";
}

static int port_key(int p)
{
	return fixed_port(p) ? p : 100000;
}

static const char *state_name(int s)
{
	static const char *t[] = {
		"0", "TCP_ESTABLISHED", "TCP_SYN_SENT", "TCP_SYN_RECV",
		"TCP_FIN_WAIT1", "TCP_FIN_WAIT2", "TCP_TIME_WAIT", "TCP_CLOSE",
		"TCP_CLOSE_WAIT", "TCP_LAST_ACK", "TCP_LISTEN", "TCP_CLOSING",
		"TCP_NEW_SYN_RECV", "TCP_BOUND_INACTIVE",
	};
	static char b[16];
	if (s > 0 && s < (int)(sizeof t / sizeof t[0]))
		return t[s];
	snprintf(b, sizeof b, "%d", s);
	return b;
}

static const char *fam_name(int f)
{
	static char b[16];
	if (f == AF_INET)
		return "AF_INET";
	if (f == AF_INET6)
		return "AF_INET6";
	snprintf(b, sizeof b, "family=%d", f);
	return b;
}

struct rec {
	int family, state, k1, k2;
	char line[512];
};

/* Format one SOCK_DIAG_BY_FAMILY message into r. */
static void fmt_msg(const struct nlmsghdr *h, struct rec *r)
{
	const struct inet_diag_msg *m = NLMSG_DATA(h);
	char sp[16], dp[16], src[INET6_ADDRSTRLEN], dst[INET6_ADDRSTRLEN];
	char attrs[128] = "", inode[48] = "inode=unknown", extra[96] = "";
	int sport = ntohs(m->id.idiag_sport), dport = ntohs(m->id.idiag_dport);

	if ((size_t)NLMSG_PAYLOAD(h, 0) < sizeof *m) {
		snprintf(r->line, sizeof r->line, "short message len=%u", h->nlmsg_len);
		r->family = r->state = r->k1 = r->k2 = 0;
		return;
	}
	if (m->idiag_family == AF_INET6) {
		inet_ntop(AF_INET6, m->id.idiag_src, src, sizeof src);
		inet_ntop(AF_INET6, m->id.idiag_dst, dst, sizeof dst);
	} else {
		inet_ntop(AF_INET, m->id.idiag_src, src, sizeof src);
		inet_ntop(AF_INET, m->id.idiag_dst, dst, sizeof dst);
	}
	for (int i = 0; i < nsocks; i++)
		if (socks[i].ino == m->idiag_inode)
			snprintf(inode, sizeof inode, "inode=fd:%s", socks[i].name);

	int alen = NLMSG_PAYLOAD(h, sizeof *m);
	const struct rtattr *a = (const struct rtattr *)((const char *)m + NLMSG_ALIGN(sizeof *m));
	for (; RTA_OK(a, alen); a = RTA_NEXT(a, alen)) {
		int t = a->rta_type & NLA_TYPE_MASK;
		size_t l = strlen(attrs);
		snprintf(attrs + l, sizeof attrs - l, "%s%d", l ? "," : "", t);
		l = strlen(extra);
		const unsigned char *v = RTA_DATA(a);
		if (t == INET_DIAG_SHUTDOWN && RTA_PAYLOAD(a) >= 1)
			snprintf(extra + l, sizeof extra - l, " shutdown=%u", v[0]);
		else if (t == INET_DIAG_SKV6ONLY && RTA_PAYLOAD(a) >= 1)
			snprintf(extra + l, sizeof extra - l, " v6only=%u", v[0]);
		else if (t == INET_DIAG_TOS && RTA_PAYLOAD(a) >= 1)
			snprintf(extra + l, sizeof extra - l, " tos=%u", v[0]);
	}
	snprintf(r->line, sizeof r->line,
		 "%s %s sport=%s dport=%s src=%s dst=%s if=%u %s uid=%u timer=%u retrans=%u rq=%u wq=%u attrs=%s%s",
		 fam_name(m->idiag_family), state_name(m->idiag_state),
		 port_str(sport, sp, sizeof sp), port_str(dport, dp, sizeof dp),
		 src, dst, m->id.idiag_if, inode, m->idiag_uid, m->idiag_timer,
		 m->idiag_retrans, m->idiag_rqueue, m->idiag_wqueue,
		 attrs[0] ? attrs : "none", extra);
	r->family = m->idiag_family;
	r->state = m->idiag_state;
	r->k1 = port_key(sport);
	r->k2 = port_key(dport);
}

static int rec_cmp(const void *pa, const void *pb)
{
	const struct rec *a = pa, *b = pb;
	if (a->family != b->family)
		return a->family - b->family;
	if (a->state != b->state)
		return a->state - b->state;
	if (a->k1 != b->k1)
		return a->k1 - b->k1;
	if (a->k2 != b->k2)
		return a->k2 - b->k2;
	return strcmp(a->line, b->line);
}

static int nl_open(void)
{
	int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_SOCK_DIAG);
	if (fd >= 0)
		set_rcvtimeo(fd);
	return fd;
}

static struct sockaddr_nl kernel_addr(void)
{
	struct sockaddr_nl k;
	memset(&k, 0, sizeof k);
	k.nl_family = AF_NETLINK;
	return k;
}

/* getsockname of a netlink socket; prints family, pid != 0, groups when
 * label is set. Returns nl_pid (0 on failure). */
static unsigned nl_name(const char *label, int fd)
{
	struct sockaddr_nl a;
	socklen_t l = sizeof a;
	memset(&a, 0xff, sizeof a);
	if (getsockname(fd, (struct sockaddr *)&a, &l) < 0) {
		if (label)
			printf("%s: -1 %s\n", label, errname(errno));
		return 0;
	}
	if (label)
		printf("%s: family=%d len=%u pid_nonzero=%d groups=%u\n", label,
		       a.nl_family, l, a.nl_pid != 0, a.nl_groups);
	return a.nl_pid;
}

struct req {
	struct nlmsghdr h;
	struct inet_diag_req_v2 r;
};

static struct req make_req(unsigned seq, int flags, int family, int proto,
			   unsigned states, unsigned ext)
{
	struct req q;
	memset(&q, 0, sizeof q);
	q.h.nlmsg_len = sizeof q;
	q.h.nlmsg_type = SOCK_DIAG_BY_FAMILY;
	q.h.nlmsg_flags = flags;
	q.h.nlmsg_seq = seq;
	q.r.sdiag_family = family;
	q.r.sdiag_protocol = proto;
	q.r.idiag_ext = ext;
	q.r.idiag_states = states;
	return q;
}

/* how: 0 sendmsg to the kernel address / recvmsg, 1 send/recv, 2 write/read. */
static ssize_t nl_send(int fd, const void *buf, size_t len, int how)
{
	if (how == 1)
		return send(fd, buf, len, 0);
	if (how == 2)
		return write(fd, buf, len);
	struct sockaddr_nl k = kernel_addr();
	struct iovec iov = { (void *)buf, len };
	struct msghdr mh = { .msg_name = &k, .msg_namelen = sizeof k,
			     .msg_iov = &iov, .msg_iovlen = 1 };
	return sendmsg(fd, &mh, 0);
}

static ssize_t nl_recv(int fd, void *buf, int how, int flags, int *from_kernel)
{
	if (how == 1)
		return recv(fd, buf, BUFSZ, flags);
	if (how == 2)
		return read(fd, buf, BUFSZ);
	struct sockaddr_nl from;
	memset(&from, 0xff, sizeof from);
	struct iovec iov = { buf, BUFSZ };
	struct msghdr mh = { .msg_name = &from, .msg_namelen = sizeof from,
			     .msg_iov = &iov, .msg_iovlen = 1 };
	ssize_t n = recvmsg(fd, &mh, flags);
	if (n >= 0 && !(mh.msg_namelen == sizeof from && from.nl_family == AF_NETLINK &&
			from.nl_pid == 0 && from.nl_groups == 0))
		*from_kernel = 0;
	if (n >= 0 && (mh.msg_flags & MSG_TRUNC))
		printf("recvmsg: MSG_TRUNC\n");
	return n;
}

static struct rec recs[64];
static char rbuf[BUFSZ] __attribute__((aligned(8)));

/* Read a dump until NLMSG_DONE or NLMSG_ERROR, then print the sorted
 * entries and the checks on the headers. */
static void read_dump(const char *label, int fd, int how, unsigned seq, unsigned pid)
{
	int n = 0, seq_ok = 1, pid_ok = 1, multi_ok = 1, from_kernel = 1, done = 0;
	int recvs = 0;
	char fin[96] = "none";

	while (!done && recvs < 200) {
		ssize_t r = nl_recv(fd, rbuf, how, 0, &from_kernel);
		recvs++;
		if (r < 0) {
			printf("%s recv: -1 %s\n", label, errname(errno));
			break;
		}
		if (r == 0) {
			printf("%s recv: 0\n", label);
			break;
		}
		int len = r;
		for (struct nlmsghdr *h = (struct nlmsghdr *)rbuf; NLMSG_OK(h, len);
		     h = NLMSG_NEXT(h, len)) {
			if (h->nlmsg_seq != seq)
				seq_ok = 0;
			if (h->nlmsg_pid != pid)
				pid_ok = 0;
			if (!(h->nlmsg_flags & NLM_F_MULTI))
				multi_ok = 0;
			if (h->nlmsg_type == NLMSG_DONE || h->nlmsg_type == NLMSG_ERROR) {
				int e = h->nlmsg_len >= NLMSG_LENGTH(sizeof(int)) ?
					*(int *)NLMSG_DATA(h) : 12345;
				snprintf(fin, sizeof fin, "type=%u len=%u flags=0x%x error=%s",
					 h->nlmsg_type, h->nlmsg_len, h->nlmsg_flags,
					 e == 0 ? "0" : e < 0 ? errname(-e) : "positive");
				done = 1;
				break;
			}
			if (h->nlmsg_type != SOCK_DIAG_BY_FAMILY) {
				printf("%s: unexpected type %u\n", label, h->nlmsg_type);
				continue;
			}
			if (n < (int)(sizeof recs / sizeof recs[0]))
				fmt_msg(h, &recs[n++]);
		}
	}
	qsort(recs, n, sizeof recs[0], rec_cmp);
	for (int i = 0; i < n; i++)
		printf("%s entry: %s\n", label, recs[i].line);
	printf("%s count: %d\n", label, n);
	printf("%s final: %s\n", label, fin);
	printf("%s seq match: %d\n", label, seq_ok);
	printf("%s pid match: %d\n", label, pid_ok);
	printf("%s NLM_F_MULTI on all: %d\n", label, multi_ok);
	if (how == 0)
		printf("%s from kernel: %d\n", label, from_kernel);
}

static unsigned seqno = 1000;

/* An exact request (no dump) for the TCP connection 127.0.0.1:sport ->
 * 127.0.0.1:dport, without a cookie. */
static struct req exact_req(int sport, int dport)
{
	struct req q = make_req(++seqno, NLM_F_REQUEST, AF_INET, IPPROTO_TCP, ~0U, 0);
	inet_diag_exact_loopback(&q.r, sport, dport);
	return q;
}

/* One dump on a fresh netlink socket with sendmsg/recvmsg. */
static void dump(const char *label, int family, int proto, unsigned states, unsigned ext)
{
	static int first = 1;
	int fd = nl_open();
	if (first) {
		showfd("netlink socket", fd);
		if (fd >= 0)
			nl_name("netlink sockname before send", fd);
	}
	if (fd < 0) {
		if (!first)
			printf("%s socket: -1 %s\n", label, errname(errno));
		first = 0;
		return;
	}
	first = 0;
	unsigned seq = ++seqno;
	struct req q = make_req(seq, NLM_F_REQUEST | NLM_F_DUMP, family, proto, states, ext);
	char l[96];
	snprintf(l, sizeof l, "%s sendmsg", label);
	show(l, nl_send(fd, &q, sizeof q, 0));
	snprintf(l, sizeof l, "%s sockname", label);
	unsigned pid = nl_name(l, fd);
	read_dump(label, fd, 0, seq, pid);
	close(fd);
}

/* Send buf on a fresh socket and print every message of one reply, then
 * whether anything more is queued. */
static void one_reply(const char *label, const void *buf, size_t len)
{
	int fd = nl_open();
	char l[96];
	if (fd < 0) {
		printf("%s socket: -1 %s\n", label, errname(errno));
		return;
	}
	snprintf(l, sizeof l, "%s sendmsg", label);
	if (show(l, nl_send(fd, buf, len, 0)) < 0) {
		close(fd);
		return;
	}
	unsigned pid = nl_name(NULL, fd);
	unsigned seq = ((const struct nlmsghdr *)buf)->nlmsg_seq;
	int from_kernel = 1;
	ssize_t r = nl_recv(fd, rbuf, 0, 0, &from_kernel);
	if (r < 0) {
		printf("%s: -1 %s\n", label, errname(errno));
		close(fd);
		return;
	}
	int rl = r;
	for (struct nlmsghdr *h = (struct nlmsghdr *)rbuf; NLMSG_OK(h, rl); h = NLMSG_NEXT(h, rl)) {
		printf("%s header: type=%u flags=0x%x seq_ok=%d pid_ok=%d\n", label,
		       h->nlmsg_type, h->nlmsg_flags, h->nlmsg_seq == seq, h->nlmsg_pid == pid);
		if (h->nlmsg_type == SOCK_DIAG_BY_FAMILY) {
			struct rec x;
			fmt_msg(h, &x);
			printf("%s entry: %s\n", label, x.line);
		} else if (h->nlmsg_type == NLMSG_ERROR || h->nlmsg_type == NLMSG_DONE) {
			int e = h->nlmsg_len >= NLMSG_LENGTH(sizeof(int)) ? *(int *)NLMSG_DATA(h) : 12345;
			printf("%s error: %s len=%u\n", label,
			       e == 0 ? "0" : e < 0 ? errname(-e) : "positive", h->nlmsg_len);
			if (h->nlmsg_type == NLMSG_ERROR &&
			    h->nlmsg_len >= NLMSG_LENGTH(sizeof(struct nlmsgerr))) {
				const struct nlmsgerr *me = NLMSG_DATA(h);
				printf("%s echo: type=%u len=%u seq_ok=%d\n", label,
				       me->msg.nlmsg_type, me->msg.nlmsg_len, me->msg.nlmsg_seq == seq);
			}
		}
	}
	printf("%s from kernel: %d\n", label, from_kernel);
	snprintf(l, sizeof l, "%s more", label);
	show(l, nl_recv(fd, rbuf, 0, MSG_DONTWAIT, &from_kernel));
	close(fd);
}

/* Dump of AF_INET TCP with send()/recv() on a connected socket (how 1) or
 * write()/read() on an unconnected one (how 2). */
static void dump_plain(const char *label, int how)
{
	int fd = nl_open();
	char l[96];
	if (fd < 0) {
		printf("%s socket: -1 %s\n", label, errname(errno));
		return;
	}
	if (how == 1) {
		struct sockaddr_nl k = kernel_addr();
		snprintf(l, sizeof l, "%s connect", label);
		show(l, connect(fd, (struct sockaddr *)&k, sizeof k));
	}
	unsigned seq = ++seqno;
	struct req q = make_req(seq, NLM_F_REQUEST | NLM_F_DUMP, AF_INET, IPPROTO_TCP, ~0U, 0);
	snprintf(l, sizeof l, "%s send", label);
	show(l, nl_send(fd, &q, sizeof q, how));
	unsigned pid = nl_name(NULL, fd);
	printf("%s pid nonzero: %d\n", label, pid != 0);
	read_dump(label, fd, how, seq, pid);
	close(fd);
}

static int tcp_listener4(int port, int backlog)
{
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in a = sin4("127.0.0.1", port);
	set_int(fd, SOL_SOCKET, SO_REUSEADDR, 1);
	if (bind(fd, (struct sockaddr *)&a, sizeof a) < 0 || listen(fd, backlog) < 0)
		printf("listener %d: -1 %s\n", port, errname(errno));
	return fd;
}

/* unix_diag: what a dump or an exact lookup says of the program's own
 * unix sockets (lis: an abstract listener; pair: a socketpair). */
static void unix_diag(void)
{
	char name[64];
	snprintf(name, sizeof name, "nbdiag-%d", getpid());
	int lis = socket(AF_UNIX, SOCK_STREAM, 0);
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	memcpy(a.sun_path + 1, name, strlen(name));
	socklen_t al = offsetof(struct sockaddr_un, sun_path) + 1 + strlen(name);
	show("unix bind", bind(lis, (struct sockaddr *)&a, al));
	show("unix listen", listen(lis, 3));
	int pair[2];
	show("unix socketpair", socketpair(AF_UNIX, SOCK_DGRAM, 0, pair));
	struct stat ls, ps;
	fstat(lis, &ls);
	fstat(pair[0], &ps);

	struct {
		struct nlmsghdr h;
		struct unix_diag_req r;
	} q;
	for (int round = 0; round < 4; round++) {
		memset(&q, 0, sizeof q);
		q.h.nlmsg_len = sizeof q;
		q.h.nlmsg_type = SOCK_DIAG_BY_FAMILY;
		q.h.nlmsg_flags = NLM_F_REQUEST | (round == 0 ? NLM_F_DUMP : 0);
		q.h.nlmsg_seq = ++seqno;
		q.r.sdiag_family = AF_UNIX;
		q.r.udiag_states = ~0U;
		q.r.udiag_show = UDIAG_SHOW_NAME | UDIAG_SHOW_RQLEN | UDIAG_SHOW_PEER;
		q.r.udiag_cookie[0] = q.r.udiag_cookie[1] = ~0U;
		const char *label = "unix dump";
		if (round == 1) {
			label = "unix exact";
			q.r.udiag_ino = ls.st_ino;
		} else if (round == 2) {
			label = "unix exact nobody";
			q.r.udiag_ino = 0x7ffffff0;
		} else if (round == 3) {
			label = "unix exact inode 0";
		}
		int fd = nl_open();
		if (nl_send(fd, &q, sizeof q, 0) < 0) {
			printf("%s send: -1 %s\n", label, errname(errno));
			close(fd);
			continue;
		}
		unsigned pid = nl_name(NULL, fd); /* autobound by the send */
		int found_lis = 0, found_pair = 0, msgs = 0, ok_hdr = 1, done = 0;
		char fin[64] = "none";
		for (int i = 0; i < 1000 && !done; i++) {
			int from_kernel = 1;
			ssize_t r = nl_recv(fd, rbuf, 0, 0, &from_kernel);
			if (r <= 0) {
				printf("%s recv: %zd %s\n", label, r, r < 0 ? errname(errno) : "");
				break;
			}
			int rl = r;
			for (struct nlmsghdr *h = (struct nlmsghdr *)rbuf; NLMSG_OK(h, rl); h = NLMSG_NEXT(h, rl)) {
				ok_hdr &= h->nlmsg_seq == q.h.nlmsg_seq && h->nlmsg_pid == pid;
				if (h->nlmsg_type == NLMSG_DONE || h->nlmsg_type == NLMSG_ERROR) {
					int e = *(int *)NLMSG_DATA(h);
					snprintf(fin, sizeof fin, "%s %s", h->nlmsg_type == NLMSG_DONE ? "DONE" : "ERROR",
						 e == 0 ? "0" : e < 0 ? errname(-e) : "positive");
					done = 1;
					break;
				}
				if (h->nlmsg_type != SOCK_DIAG_BY_FAMILY)
					continue;
				msgs++;
				struct unix_diag_msg *m = NLMSG_DATA(h);
				if (m->udiag_ino == ls.st_ino) {
					found_lis++;
					int name_ok = 0;
					unsigned rq = 99, wq = 99;
					int alen = h->nlmsg_len - NLMSG_LENGTH(sizeof *m);
					for (struct rtattr *at = (struct rtattr *)(m + 1); RTA_OK(at, alen); at = RTA_NEXT(at, alen)) {
						if (at->rta_type == UNIX_DIAG_NAME)
							name_ok = RTA_PAYLOAD(at) == 1 + strlen(name) &&
								  memcmp((char *)RTA_DATA(at) + 1, name, strlen(name)) == 0;
						if (at->rta_type == UNIX_DIAG_RQLEN) {
							struct unix_diag_rqlen *ql = RTA_DATA(at);
							rq = ql->udiag_rqueue;
							wq = ql->udiag_wqueue;
						}
					}
					printf("%s listener: family=%d type=%d state=%d name_ok=%d rqueue=%u wqueue=%u flags=0x%x\n",
					       label, m->udiag_family, m->udiag_type, m->udiag_state, name_ok, rq, wq, h->nlmsg_flags);
				}
				if (m->udiag_ino == ps.st_ino)
					found_pair++;
			}
			if (round != 0)
				break; /* an exact lookup answers once */
		}
		printf("%s: listener=%d pair=%d some=%d final=%s hdr_ok=%d\n", label, found_lis, found_pair,
		       msgs > 0, fin, ok_hdr);
		close(fd);
	}
	close(lis);
	close(pair[0]);
	close(pair[1]);
}

int main(void)
{
	common_init();

	/* 1. Sockets to be reported. */
	int lis4 = tcp_listener4(5555, 7);
	showfd("tcp listener 127.0.0.1:5555", lis4);

	int lis6 = socket(AF_INET6, SOCK_STREAM, 0);
	struct sockaddr_in6 a6 = sin6("::", 5556);
	set_int(lis6, SOL_SOCKET, SO_REUSEADDR, 1);
	set_int(lis6, IPPROTO_IPV6, IPV6_V6ONLY, 0);
	show("tcp6 bind [::]:5556", bind(lis6, (struct sockaddr *)&a6, sizeof a6));
	show("tcp6 listen", listen(lis6, 3));

	int cli = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in a4 = sin4("127.0.0.1", 5555);
	show("tcp connect", connect(cli, (struct sockaddr *)&a4, sizeof a4));
	int srv = accept(lis4, NULL, NULL);
	showfd("tcp accept", srv);

	int bnd = socket(AF_INET, SOCK_STREAM, 0);
	a4 = sin4("127.0.0.1", 5557);
	show("tcp bind 127.0.0.1:5557", bind(bnd, (struct sockaddr *)&a4, sizeof a4));

	int udp = socket(AF_INET, SOCK_DGRAM, 0);
	a4 = sin4("127.0.0.1", 5558);
	show("udp bind 127.0.0.1:5558", bind(udp, (struct sockaddr *)&a4, sizeof a4));

	int udpc = socket(AF_INET, SOCK_DGRAM, 0);
	show("udp connect 127.0.0.1:5558", connect(udpc, (struct sockaddr *)&a4, sizeof a4));

	int udp6 = socket(AF_INET6, SOCK_DGRAM, 0);
	a6 = sin6("::1", 5559);
	show("udp6 bind [::1]:5559", bind(udp6, (struct sockaddr *)&a6, sizeof a6));

	track("lis4", lis4);
	track("lis6", lis6);
	track("cli", cli);
	track("srv", srv);
	track("bound", bnd);
	track("udp", udp);
	track("udpconn", udpc);
	track("udp6", udp6);
	printf("client port ephemeral: %d\n", !fixed_port(local_port(cli)));
	printf("udpconn port ephemeral: %d\n", !fixed_port(local_port(udpc)));

	/* 2. Dumps. */
	dump("tcp4 all", AF_INET, IPPROTO_TCP, ~0U, 0);
	dump("tcp6 all", AF_INET6, IPPROTO_TCP, ~0U, 0);
	dump("tcp4 listen", AF_INET, IPPROTO_TCP, 1U << TCP_LISTEN, 0);
	/* Bound-only TCP sockets are dumped (as TCP_CLOSE) only when the state
	 * mask has the pseudo-state TCP_BOUND_INACTIVE (13, kernel-internal). */
	dump("tcp4 close", AF_INET, IPPROTO_TCP, 1U << TCP_CLOSE, 0);
	dump("tcp4 bound-inactive", AF_INET, IPPROTO_TCP, 1U << 13, 0);
	dump("udp4 all", AF_INET, IPPROTO_UDP, ~0U, 0);
	dump("udp6 all", AF_INET6, IPPROTO_UDP, ~0U, 0);
	dump("tcp4 tos", AF_INET, IPPROTO_TCP, ~0U, 1U << (INET_DIAG_TOS - 1));

	/* 3. Errors and exact requests. */
	struct req q = make_req(++seqno, NLM_F_REQUEST | NLM_F_ACK, AF_INET, IPPROTO_TCP, ~0U, 0);
	q.h.nlmsg_type = 99;
	one_reply("unknown type", &q, sizeof q);

	q = make_req(++seqno, NLM_F_REQUEST | NLM_F_DUMP, AF_INET, 200, ~0U, 0);
	one_reply("protocol 200", &q, sizeof q);

	q = make_req(++seqno, NLM_F_REQUEST | NLM_F_DUMP, 250, IPPROTO_TCP, ~0U, 0);
	one_reply("family 250", &q, sizeof q);

	q = make_req(++seqno, NLM_F_REQUEST | NLM_F_DUMP, AF_INET, IPPROTO_TCP, ~0U, 0);
	q.h.nlmsg_len = 16 + 4;
	one_reply("short request", &q, 16 + 4);

	q = exact_req(local_port(cli), 5555);
	one_reply("exact client", &q, sizeof q);

	q.h.nlmsg_seq = ++seqno;
	q.r.id.idiag_sport = htons(5990);
	q.r.id.idiag_dport = htons(5991);
	one_reply("exact unused", &q, sizeof q);

	/* A message without NLM_F_REQUEST is not a request: no answer
	 * (netlink_rcv_skb), so the read times out. */
	q = make_req(++seqno, NLM_F_DUMP, AF_INET, IPPROTO_TCP, ~0U, 0);
	one_reply("no NLM_F_REQUEST", &q, sizeof q);
	q = make_req(++seqno, NLM_F_ACK, AF_INET, IPPROTO_TCP, ~0U, 0);
	one_reply("no NLM_F_REQUEST with ACK", &q, sizeof q);

	/* 4. Plain send paths. */
	dump_plain("connected send/recv", 1);
	dump_plain("unconnected write/read", 2);

	/* 5. Addresses. */
	int nl = nl_open();
	struct sockaddr_nl na = kernel_addr();
	show("bind nl_pid 0", bind(nl, (struct sockaddr *)&na, sizeof na));
	nl_name("sockname after bind", nl);
	close(nl);
	nl = nl_open();
	show("bind addrlen 4", bind(nl, (struct sockaddr *)&na, 4));
	close(nl);

	nl = nl_open();
	q = make_req(++seqno, NLM_F_REQUEST | NLM_F_DUMP, AF_INET, IPPROTO_TCP, ~0U, 0);
	struct iovec iov = { &q, sizeof q };
	na.nl_pid = getpid() == 12345 ? 12346 : 12345;
	struct msghdr mh = { .msg_name = &na, .msg_namelen = sizeof na,
			     .msg_iov = &iov, .msg_iovlen = 1 };
	show("sendmsg to user port", sendmsg(nl, &mh, 0));
	struct sockaddr_in bad = sin4("127.0.0.1", 0);
	mh.msg_name = &bad;
	mh.msg_namelen = sizeof bad;
	show("sendmsg AF_INET name", sendmsg(nl, &mh, 0));
	show("recv after failed sends", recv(nl, rbuf, BUFSZ, MSG_DONTWAIT));
	close(nl);

	/* 6. Socket types. */
	int s = socket(AF_NETLINK, SOCK_STREAM, NETLINK_SOCK_DIAG);
	showfd("socket SOCK_STREAM", s);
	if (s >= 0)
		close(s);
	s = socket(AF_NETLINK, SOCK_DGRAM, NETLINK_SOCK_DIAG);
	showfd("socket SOCK_DGRAM", s);
	if (s >= 0) {
		/* Credentials pass on netlink; descriptors and pidfds only on
		 * AF_UNIX. */
		show("set SO_PASSCRED", set_int(s, SOL_SOCKET, SO_PASSCRED, 1));
		get_int("SO_PASSCRED", s, SOL_SOCKET, SO_PASSCRED);
		show("set SO_PASSPIDFD", set_int(s, SOL_SOCKET, 76 /* SO_PASSPIDFD */, 1));
		get_int("SO_PASSPIDFD", s, SOL_SOCKET, 76);
		show("set SO_PASSRIGHTS", set_int(s, SOL_SOCKET, 83 /* SO_PASSRIGHTS */, 0));
		get_int("SO_PASSRIGHTS", s, SOL_SOCKET, 83);
		close(s);
	}

	/* 7. unix_diag. */
	unix_diag();

	/* 8. A half-closed connection: FIN_WAIT2 on the side that shut its
	 * sending, CLOSE_WAIT on the side that got the FIN (tcp_teardown.c
	 * looks up a reset one). */
	{
		int hc = socket(AF_INET, SOCK_STREAM, 0);
		a4 = sin4("127.0.0.1", 5555);
		connect(hc, (struct sockaddr *)&a4, sizeof a4);
		int hs = accept(lis4, NULL, NULL);
		track("halfcli", hc);
		track("halfsrv", hs);
		show("half shutdown SHUT_WR", shutdown(hc, SHUT_WR));
		usleep(50000);
		dump("tcp4 half closed", AF_INET, IPPROTO_TCP, (1U << TCP_FIN_WAIT2) | (1U << TCP_CLOSE_WAIT), 0);
		dump("tcp4 established", AF_INET, IPPROTO_TCP, 1U << TCP_ESTABLISHED, 0);
		close(hc);
		close(hs);
	}

	close(cli);
	close(srv);
	close(lis4);
	close(lis6);
	close(bnd);
	close(udp);
	close(udpc);
	close(udp6);
	printf("done\n");
	return 0;
}
