package netstack

import (
	"net/netip"
	"os"
	"sync"

	"golang.org/x/sys/unix"
	"gvisor.dev/gvisor/pkg/tcpip"
	"gvisor.dev/gvisor/pkg/waiter"
)

// A connected datagram socket whose peer is not one of the sandbox's
// sockets has a sink of its own: its placeholder is connected to it, and
// what the program sends natively arrives there and goes on through the
// socket's gVisor endpoint (as through the stack's shared sink).
//
// The sink is the socket's own so that netbox can raise the socket's
// pending error on the placeholder itself — POLLERR for poll, select and
// epoll, SIGIO with O_ASYNC, an error from the next native send or recv —
// as an ICMP error does on Linux (__udp4_lib_err: sk_err, then
// sk_error_report). A unix datagram socket's only writer of sk_err is
// unix_dgram_disconnected: when a socket whose receive queue is not empty
// dissolves its association with a peer that is connected to it, that
// peer gets ECONNRESET. So the sink queues a marker, connects to the
// placeholder, and disconnects.
//
// The placeholder's sk_err is then ECONNRESET where Linux's is the ICMP
// error's errno (ECONNREFUSED…): a trapped call (sendmsg, recvmsg,
// SO_ERROR…) reports the right errno and clears the placeholder's; a
// native one reports ECONNRESET (listed in the deviations) and clears it,
// and netbox then reports nothing more.

// ownSink is a connected datagram socket's own sink.
type ownSink struct {
	s    *Socket
	ep   tcpip.Endpoint // the socket's, for as long as the sink lives
	peer netip.Addr     // the socket's peer (it connects elsewhere through a new sink)
	name string         // abstract unix name, without "@"
	file *os.File
	fd   int // file's, valid until closed is set

	// mu serialises the reads of the sink (each datagram read and sent
	// on) with raising errors, which must drain the sink first: the
	// disconnect purges what is queued.
	mu     sync.Mutex
	closed bool

	// errMu guards the error netbox raised: the pending error a trapped
	// call reports while the placeholder's sk_err is still set (raised
	// is then true), or, before the raise has happened, the error itself.
	errMu   sync.Mutex
	err     error
	raised  bool
	errWait waiter.Entry
}

// newOwnSink makes s's own sink and starts sending on what arrives there.
// s.mu is held.
func (st *Stack) newOwnSink(s *Socket) (*ownSink, error) {
	fd, err := st.host.Socket(unix.AF_UNIX, unix.SOCK_DGRAM|unix.SOCK_CLOEXEC|unix.SOCK_NONBLOCK, 0)
	if err != nil {
		return nil, err
	}
	// (The endpoint is the socket's for as long as the sink is: only a
	// disconnect renews it, and that closes the sink first.)
	ps := &ownSink{s: s, ep: s.sk.ep, peer: s.sk.remote.Addr(), name: st.name("sink")}
	if err := unix.Bind(fd, &unix.SockaddrUnix{Name: "@" + ps.name}); err != nil {
		unix.Close(fd)
		return nil, err
	}
	ps.file, ps.fd = os.NewFile(uintptr(fd), "netbox-udp-own-sink"), fd
	st.mu.Lock()
	st.ownSinks[ps.name] = fd
	st.mu.Unlock()
	// An ICMP error gVisor hands the endpoint is the socket's pending
	// error: raise it on the placeholder.
	ps.errWait = waiter.NewFunctionEntry(waiter.EventErr, func(waiter.EventMask) {
		if err := ps.ep.LastError(); err != nil {
			ps.setError(errnoOf(err))
		}
	})
	s.sk.wq.EventRegister(&ps.errWait)
	go ps.serve()
	return ps, nil
}

// close stops the sink (the socket is disconnected, connected elsewhere or
// released). s.mu is held.
func (ps *ownSink) close() {
	ps.s.sk.wq.EventUnregister(&ps.errWait)
	ps.mu.Lock()
	ps.closed = true
	ps.mu.Unlock()
	st := ps.s.st
	st.mu.Lock()
	delete(st.ownSinks, ps.name)
	st.mu.Unlock()
	ps.file.Close()
}

// serve sends each datagram the placeholder sent through the socket's
// gVisor endpoint.
func (ps *ownSink) serve() {
	rc, err := ps.file.SyscallConn()
	if err != nil {
		return
	}
	buf := make([]byte, maxDatagram)
	for {
		var refused []byte
		err := rc.Read(func(fd uintptr) bool {
			ps.mu.Lock()
			var rerr error
			refused, rerr = ps.readLocked(int(fd), buf)
			ps.mu.Unlock()
			// Wait for readability only once the sink is empty.
			return rerr != unix.EAGAIN
		})
		if refused != nil {
			ps.refused(refused)
		}
		if err != nil {
			return // closed
		}
	}
}

// readLocked reads one datagram and sends it on; it returns the read's
// error (EAGAIN when the sink is empty) and, when the datagram found its
// receiver closed, a copy of it for refused. ps.mu is held (and s.mu must
// not be: close takes ps.mu under it).
func (ps *ownSink) readLocked(fd int, buf []byte) (refused []byte, err error) {
	if ps.closed {
		return nil, unix.EBADF
	}
	n, _, _, from, err := unix.Recvmsg(fd, buf, nil, unix.MSG_DONTWAIT)
	if err != nil {
		return nil, err
	}
	// Only the placeholder's datagrams count: a raise's marker left
	// behind (its disconnect failed) is dropped.
	if u, ok := from.(*unix.SockaddrUnix); !ok || trimAt(u.Name) != ps.s.sk.name {
		return nil, nil
	}
	if ps.s.sk.corked.Load() {
		// UDP_CORK: the datagram joins the pending one. (One too big
		// for it drops what was pending, as Linux does; the native
		// send that carried it has already succeeded.)
		ps.s.cork(append([]byte(nil), buf[:n]...), &tcpip.WriteOptions{}, maxPayload(ps.peer), true)
		return nil, nil
	}
	if ps.s.sendNative(ps.ep, buf[:n]) {
		return append([]byte(nil), buf[:n]...), nil
	}
	return nil, nil
}

// drainCorked adds the datagrams waiting in the sink to the socket's
// corked datagram (UDP_CORK is being cleared: they were sent before).
func (ps *ownSink) drainCorked() {
	ps.mu.Lock()
	defer ps.mu.Unlock()
	buf := make([]byte, maxDatagram)
	for range 1 << 16 {
		if _, err := ps.readLocked(ps.fd, buf); err != nil {
			return
		}
	}
}

// refused is the port unreachable of a datagram whose receiver the
// program had closed.
func (ps *ownSink) refused(data []byte) {
	s := ps.s
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.sk.sink == ps {
		s.portUnreachable(s.sk.remote, data)
	}
}

// setError makes err the socket's pending error and raises it on the
// placeholder, in the background: it may run inside gVisor's delivery of
// an ICMP error, or under s.mu.
func (ps *ownSink) setError(err error) {
	ps.errMu.Lock()
	ps.err, ps.raised = err, false
	ps.errMu.Unlock()
	go ps.raise()
}

// raise sets the placeholder's sk_err (see above), if the pending error is
// still there to raise.
func (ps *ownSink) raise() {
	var refused [][]byte
	defer func() {
		for _, d := range refused {
			ps.refused(d)
		}
	}()
	ps.mu.Lock()
	defer ps.mu.Unlock()
	// drain sends on what the placeholder sent so far.
	buf := make([]byte, maxDatagram)
	drain := func() {
		for range 1 << 16 {
			d, err := ps.readLocked(ps.fd, buf)
			if d != nil {
				refused = append(refused, d)
			}
			if err != nil {
				return
			}
		}
	}
	if ps.closed {
		return
	}
	// First, as the disconnect purges the queue. (A datagram sent between
	// this and the purge is lost; on Linux it would have failed with the
	// error.)
	drain()
	ps.errMu.Lock()
	if ps.err != nil && !ps.raised {
		name := &unix.SockaddrUnix{Name: "@" + ps.name}
		if unix.Sendto(ps.s.st.sinkFD, []byte{0}, unix.MSG_DONTWAIT, name) == nil &&
			unix.Connect(ps.fd, &unix.SockaddrUnix{Name: "@" + ps.s.sk.name}) == nil &&
			unixDisconnect(ps.fd) == nil {
			ps.raised = true
		}
	}
	ps.errMu.Unlock()
	// Whatever the outcome, the marker must not stay queued.
	drain()
}

// take is sock_error for the error netbox raised: a trapped call on the
// placeholder f reports it and clears the placeholder's sk_err; if a
// native call took the placeholder's already, there is nothing left to
// report.
func (ps *ownSink) take(f int) error {
	ps.errMu.Lock()
	defer ps.errMu.Unlock()
	err := ps.err
	if err == nil {
		return nil
	}
	ps.err = nil
	if !ps.raised || f < 0 {
		return err // not raised yet: the raise finds nothing to do
	}
	ps.raised = false
	if pe, gerr := unix.GetsockoptInt(f, unix.SOL_SOCKET, unix.SO_ERROR); gerr == nil && pe == 0 {
		return nil // a native call reported it (as ECONNRESET)
	}
	return err
}
