/* inetdiag.h - sock_diag requests the differential programs make. Include
 * after common.h, <linux/netlink.h>, <linux/sock_diag.h> and
 * <linux/inet_diag.h>. */
#ifndef NETBOX_DIFF_INETDIAG_H
#define NETBOX_DIFF_INETDIAG_H

/* The key of an exact lookup (no dump) of the TCP connection
 * 127.0.0.1:sport -> 127.0.0.1:dport, without a cookie. */
static inline void inet_diag_exact_loopback(struct inet_diag_req_v2 *r, int sport, int dport)
{
	r->sdiag_family = AF_INET;
	r->sdiag_protocol = IPPROTO_TCP;
	r->idiag_states = ~0U;
	r->id.idiag_sport = htons(sport);
	r->id.idiag_dport = htons(dport);
	inet_pton(AF_INET, "127.0.0.1", r->id.idiag_src);
	inet_pton(AF_INET, "127.0.0.1", r->id.idiag_dst);
	r->id.idiag_cookie[0] = r->id.idiag_cookie[1] = INET_DIAG_NOCOOKIE;
}

#endif
