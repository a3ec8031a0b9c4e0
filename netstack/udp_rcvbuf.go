package netstack

import (
	"strconv"
	"strings"
	"time"

	"golang.org/x/sys/unix"
)

// The receive buffer of an unconnected UDP socket, as
// __udp_enqueue_schedule_skb accounts it: each queued datagram charges its
// skb's truesize to sk_rmem_alloc; a datagram that would take the charge
// beyond SO_RCVBUF is dropped (sk_drops, Udp RcvbufErrors and InErrors)
// unless the queue is empty; reading frees the charge.
//
// The datagrams wait on the program's placeholder, an AF_UNIX datagram
// socket that charges them to their sender, and the program reads most of
// them natively, unseen. So each socket is fed by source sockets of its
// own (one per datagram metadata, named after it: dgram_cmsg.go), each
// remembering what it sent, oldest first; a source's SIOCOUTQ is how much
// of that is still queued, so its oldest entries beyond it have been read.
// netbox counts a datagram's Linux truesize when it sends it and learns
// what was read (sync) only when the charge it believes in would refuse a
// datagram: a socket whose program keeps up costs nothing more.

// skbMaxAlloc is SKB_MAX_ALLOC on x86-64: the largest linear skb head
// (four pages less the struct skb_shared_info).
const skbMaxAlloc = 16064

// maxRxSources bounds one socket's source sockets: past it the idle ones
// (nothing queued) are closed, or, when none is, any one (whose queued
// datagrams are then no longer charged).
const maxRxSources = 256

// fullResync is how long a receive queue found full stays full without a
// new look at its sources: a socket whose program has stopped reading is
// not asked again for every datagram sent to it (each look is a
// SIOCOUTQ per source, inside the sender's write).
const fullResync = 250 * time.Microsecond

// sourceSndbuf is the send buffer netbox forces on a source socket: its
// queued datagrams are the receiver's, limited by the receiver's
// SO_RCVBUF, not by the source's own buffer.
const sourceSndbuf = 1 << 28

// rcvQueue is a UDP socket's receive-buffer accounting; Sock.rxMu guards
// it.
type rcvQueue struct {
	srcs    map[dgramMeta]*rxSource
	byName  map[string]*rxSource // the same, by unix name
	charged int64                // sk_rmem_alloc: the truesize of what is queued
	drops   uint32               // sk_drops
	fullAt  time.Time            // when a look at the sources last found no room
}

// rxSource is one of a socket's source sockets and what it sent that has
// not been seen read.
type rxSource struct {
	fd    int
	name  string
	fifo  []rxEntry
	bytes int64 // Σ fifo's unixSize: what SIOCOUTQ shows while all are queued
}

// rxEntry is one datagram on the placeholder.
type rxEntry struct {
	unixSize  int32  // its AF_UNIX skb's truesize (unixTruesize)
	size      int32  // the truesize Linux's UDP skb would have (udpTruesize)
	dropcount uint32 // sk_drops when it was queued, for SO_RXQ_OVFL (0: none)
	gso       int32  // the segment size of a UDP_SEGMENT send taken whole (UDP_GRO)
}

// enqueueUDP queues a datagram gVisor delivered to an unconnected UDP
// socket, if its receive buffer takes it (gso: the segment size of a
// UDP_SEGMENT send it takes whole, or 0). It reports that the placeholder
// is gone (the program closed it). rxMu is held.
func (s *Socket) enqueueUDP(m dgramMeta, data []byte, gso int) (dead bool) {
	st := s.st
	q := &s.sk.rq
	size := int64(udpTruesize(!m.src.Addr().Is4(), len(data)))
	rcvbuf := int64(s.sk.rcvbuf.Load())
	if rcvbuf == 0 {
		rcvbuf = int64(rmemDef) // net.core.rmem_default: SO_RCVBUF never set
	}
	if !q.admits(size, rcvbuf) {
		if time.Since(q.fullAt) > fullResync {
			q.sync()
		}
		if !q.admits(size, rcvbuf) {
			q.fullAt = time.Now()
			q.drops++
			st.stats.UDPDropped.Add(1)
			return false
		}
	}
	src := q.source(st, m)
	if src == nil {
		st.stats.UDPDropped.Add(1)
		return false
	}
	if err := unix.Sendto(src.fd, data, unix.MSG_DONTWAIT, &unix.SockaddrUnix{Name: "@" + s.sk.name}); err != nil {
		if err == unix.ECONNREFUSED {
			return true
		}
		st.stats.UDPDropped.Add(1)
		return false
	}
	e := rxEntry{unixSize: int32(unixTruesize(len(data))), size: int32(size), gso: int32(gso)}
	if s.sk.rxqOvfl.Load() {
		e.dropcount = q.drops // sock_skb_set_dropcount
	}
	src.fifo = append(src.fifo, e)
	src.bytes += int64(e.unixSize)
	q.charged += size
	return false
}

// admits is __udp_enqueue_schedule_skb's test: the charge stays within
// rcvbuf, or the queue is empty (and rcvbuf not absurdly large).
func (q *rcvQueue) admits(size, rcvbuf int64) bool {
	if q.charged+size <= rcvbuf {
		return true
	}
	return q.charged == 0 && rcvbuf <= 1<<30-1
}

// sync forgets what the program has read from every source.
func (q *rcvQueue) sync() {
	for _, src := range q.srcs {
		q.syncSource(src)
	}
}

// syncSource forgets what the program has read of src's datagrams: all
// but the newest SIOCOUTQ bytes' worth. It returns the last entry it
// forgot.
func (q *rcvQueue) syncSource(src *rxSource) (last rxEntry, forgot bool) {
	outq, err := unix.IoctlGetInt(src.fd, unix.SIOCOUTQ)
	if err != nil {
		return rxEntry{}, false
	}
	for len(src.fifo) > 0 && src.bytes > int64(outq) {
		last, forgot = src.fifo[0], true
		src.fifo = src.fifo[1:]
		src.bytes -= int64(last.unixSize)
		q.charged -= int64(last.size)
	}
	if len(src.fifo) == 0 {
		src.fifo = nil // let the backing array go
	}
	return last, forgot
}

// source returns the socket's source socket for m, making it.
func (q *rcvQueue) source(st *Stack, m dgramMeta) *rxSource {
	if src, ok := q.srcs[m]; ok {
		return src
	}
	if q.srcs == nil {
		q.srcs = make(map[dgramMeta]*rxSource)
		q.byName = make(map[string]*rxSource)
	}
	if len(q.srcs) >= maxRxSources {
		q.evict()
	}
	fd, err := st.host.Socket(unix.AF_UNIX, unix.SOCK_DGRAM|unix.SOCK_CLOEXEC|unix.SOCK_NONBLOCK, 0)
	if err != nil {
		return nil
	}
	name := st.sourcePrefix() + m.encode() + "/" + strconv.FormatUint(st.seq.Add(1), 10)
	if err := unix.Bind(fd, &unix.SockaddrUnix{Name: "@" + name}); err != nil {
		unix.Close(fd)
		return nil
	}
	if unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_SNDBUFFORCE, sourceSndbuf) != nil {
		unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_SNDBUF, sourceSndbuf) // up to wmem_max
	}
	src := &rxSource{fd: fd, name: name}
	q.srcs[m] = src
	q.byName[name] = src
	return src
}

// evict closes the idle source sockets, or one busy one when none is
// idle. A closed source's datagrams stay queued, and are read with their
// metadata (the name stays with them), but are no longer charged.
func (q *rcvQueue) evict() {
	q.sync()
	var busy dgramMeta
	closed := false
	for m, src := range q.srcs {
		if len(src.fifo) == 0 {
			q.drop(m, src)
			closed = true
		} else {
			busy = m
		}
	}
	if !closed {
		q.drop(busy, q.srcs[busy])
	}
}

// drop closes src and forgets its datagrams.
func (q *rcvQueue) drop(m dgramMeta, src *rxSource) {
	for _, e := range src.fifo {
		q.charged -= int64(e.size)
	}
	unix.Close(src.fd)
	delete(q.srcs, m)
	delete(q.byName, src.name)
}

// close closes every source socket (the socket is released).
func (q *rcvQueue) close() {
	for m, src := range q.srcs {
		q.drop(m, src)
	}
}

// received is what the accounting knows of a datagram a trapped receive
// just read (or peeked at) from the placeholder, sent by the unix socket
// called from: its entry, when from is one of the socket's sources.
// Reading freed its charge.
func (s *Socket) received(from string, peek bool) (rxEntry, bool) {
	s.sk.rxMu.Lock()
	defer s.sk.rxMu.Unlock()
	q := &s.sk.rq
	src, ok := q.byName[strings.TrimPrefix(from, "@")]
	if !ok {
		return rxEntry{}, false
	}
	last, forgot := q.syncSource(src)
	if peek {
		if len(src.fifo) == 0 {
			return rxEntry{}, false
		}
		return src.fifo[0], true
	}
	return last, forgot
}

// rcvQueueState is what /proc/net/udp and the Udp counters show of a UDP
// socket's receive queue, brought up to date: the charge (rx_queue), the
// drops, and how many datagrams wait.
func (s *Socket) rcvQueueState() (charged int64, drops uint32, queued int) {
	s.sk.rxMu.Lock()
	defer s.sk.rxMu.Unlock()
	q := &s.sk.rq
	q.sync()
	for _, src := range q.srcs {
		queued += len(src.fifo)
	}
	return q.charged, q.drops, queued
}

// udpTruesize is the truesize of the skb Linux's UDP receives a datagram
// of n bytes in over the loopback, which its receive buffer is charged
// with (measured on Linux 6.18, x86-64, as SO_MEMINFO's rmem_alloc): the
// head __ip_append_data or __ip6_append_data allocates holds the payload,
// the UDP and IP headers and the link layer's reserve (59 bytes over IPv4,
// 72 over IPv6), and comes from the smallest head cache or kmalloc size
// that holds it with its struct skb_shared_info (320 bytes), plus the
// struct sk_buff's 256 (SKB_TRUESIZE); a head beyond SKB_MAX_ALLOC
// (16064) keeps only the headers and takes the payload in page fragments.
// An IPv6 datagram beyond lo's 65536-byte MTU arrives in fragments,
// reassembled.
func udpTruesize(v6 bool, n int) int {
	head := n + 59
	if v6 {
		head = n + 72
		if n+48 > 65536 {
			return 67144
		}
	}
	if head >= skbMaxAlloc {
		return n + 832
	}
	for _, size := range [...]int{576, 1024, 2048, 4096, 8192} {
		if head+320 <= size {
			return size + 256
		}
	}
	return 16384 + 256
}

// unixTruesize is the truesize of the skb an AF_UNIX datagram socket
// sends n bytes in (unix_dgram_sendmsg, measured on Linux 6.18, x86-64,
// as the sender's SIOCOUTQ): the data beyond SKB_MAX_ALLOC goes to whole
// pages, the rest to a kmalloc'd head with its struct skb_shared_info,
// plus the struct sk_buff.
func unixTruesize(n int) int {
	paged := 0
	if n > skbMaxAlloc {
		paged = (n - skbMaxAlloc + 4095) &^ 4095
	}
	head := n - paged
	for _, size := range [...]int{512, 1024, 2048, 4096, 8192} {
		if head+320 <= size {
			return size + 256 + paged
		}
	}
	return 16384 + 256 + paged
}
