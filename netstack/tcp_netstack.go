package netstack

import (
	"bytes"
	"errors"
	"io"
	"net/netip"
	"os"
	"sync"

	"golang.org/x/sys/unix"
	"gvisor.dev/gvisor/pkg/tcpip"
	"gvisor.dev/gvisor/pkg/tcpip/transport/tcp"
	"gvisor.dev/gvisor/pkg/waiter"
)

// The netstack path for TCP (Options.LoopbackNetstack): connections go
// through gVisor's TCP over the loopback NIC, so that everything on the
// wire is netbox's stack's own (as capture and fault injection need),
// instead of a native unix connection between the two placeholders.
//
// The program's placeholder is connected natively to a unix socket netbox
// holds, and a pump copies between that socket and the gVisor endpoint in
// both directions, with back-pressure both ways: it reads no more from one
// side than the other side takes.

// pumpBuf is what one pump step moves.
const pumpBuf = 64 << 10

// netstackConnect is connect on the netstack path: gVisor's handshake,
// then the placeholder is joined to a pump. It returns a WaitError with
// Ready set while the handshake runs.
func (s *Socket) netstackConnect(f int, dst netip.AddrPort) error {
	if cw := s.sk.connecting; cw != nil && cw.background {
		return unix.EALREADY // __inet_stream_connect: SS_CONNECTING
	}
	if s.sk.connecting == nil {
		if _, err := s.startHandshake(dst, false); err != nil {
			return err
		}
	}
	cw := s.sk.connecting
	if !s.handshakeDone() {
		return &WaitError{Ready: cw.ch, Hold: true}
	}
	if err := s.endHandshake(cw); err != nil {
		return err
	}
	sup, perr := s.st.pumpEnd(f)
	if perr != nil {
		return perr
	}
	s.joinPump(sup, dst)
	return nil
}

// bindForConnect binds the endpoint, if the program did not, to the
// source address dst is reached from and an ephemeral port. s.mu is held.
func (s *Socket) bindForConnect(dst netip.AddrPort) error {
	if err := s.bindDeferred(); err != nil {
		return err
	}
	if s.sk.bound {
		return nil
	}
	return s.bindEP(forFamily(s.Family, netip.AddrPortFrom(s.st.sourceFor(dst.Addr()), 0)))
}

// startHandshake binds the endpoint (bindForConnect) and starts gVisor's
// handshake. s.mu is held.
func (s *Socket) startHandshake(dst netip.AddrPort, background bool) (*connectWait, error) {
	if err := s.bindForConnect(dst); err != nil {
		return nil, err
	}
	entry, ch := waiter.NewChannelEntry(waiter.WritableEvents | waiter.EventErr | waiter.EventHUp)
	s.sk.wq.EventRegister(&entry)
	err := s.sk.ep.Connect(fullAddress(forFamily(s.Family, dst)))
	if _, started := err.(*tcpip.ErrConnectStarted); err != nil && !started {
		s.sk.wq.EventUnregister(&entry)
		return nil, errnoOf(err)
	}
	s.sk.connecting = &connectWait{entry: entry, ch: ch, dst: dst, background: background}
	return s.sk.connecting, nil
}

// handshakeDone reports whether the handshake under way has ended.
// s.mu is held.
func (s *Socket) handshakeDone() bool {
	return s.sk.ep.Readiness(waiter.WritableEvents|waiter.EventErr|waiter.EventHUp) != 0
}

// endHandshake ends the connect cw stands for and says how the handshake
// went: nil, or its error — then, like tcp_done after a failed connect,
// the socket is closed and may connect again; gVisor's endpoint may not,
// so it is replaced. s.mu is held.
func (s *Socket) endHandshake(cw *connectWait) error {
	s.sk.wq.EventUnregister(&cw.entry)
	s.sk.connecting = nil
	err := s.sk.ep.LastError()
	if err == nil {
		if _, rerr := s.sk.ep.GetRemoteAddress(); rerr != nil {
			err = &tcpip.ErrConnectionRefused{}
		}
	}
	if err != nil {
		s.renewStreamEndpoint()
		return errnoOf(err)
	}
	return nil
}

// joinPump makes the socket a connection to dst whose data netbox pumps
// between sup (its end of the placeholder's connection) and the
// endpoint. s.mu is held.
func (s *Socket) joinPump(sup *os.File, dst netip.AddrPort) {
	la, _ := s.sk.ep.GetLocalAddress()
	s.sk.local = forFamily(s.Family, addrPortOf(la))
	s.sk.remote = forFamily(s.Family, dst)
	s.State = SSConnected
	s.sk.pumped = true
	s.sk.netErr = &pumpLink{}
	s.syncAbortive()
	go pump(sup, s.sk.ep, &s.sk.wq, s.sk.netErr)
}

// renewStreamEndpoint replaces the TCP endpoint of a socket whose connect
// failed by a fresh one, bound again to the address the program chose.
func (s *Socket) renewStreamEndpoint() {
	ep, err := s.st.gs.NewEndpoint(tcp.ProtocolNumber, networkProtocol(s.Family), &s.sk.wq)
	if err != nil {
		return
	}
	old := s.sk.ep
	s.sk.ep = ep
	old.Close()
	local, chosen := s.sk.local, s.sk.portChosen
	s.sk.bound = false
	s.sk.local = netip.AddrPort{}
	if chosen {
		s.bindEP(local)
	}
}

// connectWait is a netstack connect in progress.
type connectWait struct {
	entry waiter.Entry
	ch    chan struct{}
	dst   netip.AddrPort
	// background: the program was told EINPROGRESS and the connect
	// finishes in connectInBackground's goroutine.
	background bool
}

// isNonblocking reports whether the placeholder f is O_NONBLOCK (the
// program's file description, which netbox's copy shares).
func isNonblocking(f int) bool {
	fl, err := unix.FcntlInt(uintptr(f), unix.F_GETFL, 0)
	return err == nil && fl&unix.O_NONBLOCK != 0
}

// connectInBackground is a non-blocking connect over eth0, as
// __inet_stream_connect's EINPROGRESS: gVisor's handshake starts, and the
// placeholder is connected to netbox at once but shows no POLLOUT until
// the handshake ends — netbox fills the placeholder's send buffer with
// filler (unix_writable wants it at most a quarter full), so that the
// program's writes meanwhile fail with EAGAIN as on a SYN_SENT socket.
// When the handshake succeeds netbox reads the filler back (POLLOUT) and
// pumps; when it fails, the error is the pending one (SO_ERROR, the next
// connect) and netbox closes its end: POLLERR|POLLHUP|POLLOUT. s.mu is
// held.
func (s *Socket) connectInBackground(f int, dst netip.AddrPort) error {
	// The bind's errors first, while the placeholder is still unconnected.
	if err := s.bindForConnect(dst); err != nil {
		return err
	}
	sup, err := s.st.pumpEnd(f)
	if err != nil {
		return err
	}
	filler, buf := 0, make([]byte, 64<<10)
	for range 1 << 10 {
		n, err := unix.Write(f, buf)
		if n > 0 {
			filler += n
		}
		if err != nil {
			break
		}
	}
	cw, err := s.startHandshake(dst, true)
	if err != nil {
		sup.Close()
		return err
	}
	s.State = SSConnecting
	go s.finishConnect(cw, sup, filler)
	return unix.EINPROGRESS
}

// finishConnect waits for a background connect's handshake and ends it.
func (s *Socket) finishConnect(cw *connectWait, sup *os.File, filler int) {
	for {
		s.mu.Lock()
		if s.sk.connecting != cw || s.sk.ep == nil {
			s.mu.Unlock()
			sup.Close() // released meanwhile
			return
		}
		if s.handshakeDone() {
			break
		}
		s.mu.Unlock()
		<-cw.ch
	}
	defer s.mu.Unlock()
	if err := s.endHandshake(cw); err != nil {
		// The error is pending (SO_ERROR); the placeholder sees its
		// peer go (POLLHUP, and POLLERR for the filler left unread).
		s.sk.err, s.sk.asyncFailed = err, true
		s.State = SSUnconnected
		sup.Close()
		return
	}
	if _, err := io.CopyN(io.Discard, sup, int64(filler)); err != nil {
		sup.Close()
		s.sk.ep.Abort()
		return
	}
	s.joinPump(sup, cw.dst)
}

// pumpEnd connects the placeholder f natively to netbox and returns
// netbox's end: f connects to the stack's pump listener, whose queue netbox
// takes the new connection off at once (under pumpMu, so that it is this
// connection).
func (st *Stack) pumpEnd(f int) (*os.File, error) {
	st.pumpMu.Lock()
	defer st.pumpMu.Unlock()
	if err := unix.Connect(f, &unix.SockaddrUnix{Name: "@" + st.pumpName}); err != nil {
		return nil, err
	}
	nfd, _, err := unix.Accept4(st.pumpFD, unix.SOCK_CLOEXEC|unix.SOCK_NONBLOCK)
	if err != nil {
		return nil, err
	}
	return os.NewFile(uintptr(nfd), "netbox-tcp-pump"), nil
}

// startPumpListener creates the listener placeholders connect to.
func (st *Stack) startPumpListener() error {
	fd, err := st.host.Socket(unix.AF_UNIX, unix.SOCK_STREAM|unix.SOCK_CLOEXEC|unix.SOCK_NONBLOCK, 0)
	if err != nil {
		return err
	}
	st.pumpName = st.name("P")
	if err := unix.Bind(fd, &unix.SockaddrUnix{Name: "@" + st.pumpName}); err != nil {
		unix.Close(fd)
		return err
	}
	if err := unix.Listen(fd, hostBacklog); err != nil {
		unix.Close(fd)
		return err
	}
	st.pumpFD = fd
	return nil
}

// serveListener is the netstack path's accept side: it takes each
// connection gVisor's listener completes, hands it to the program's
// listening placeholder as a unix connection from netbox (named, so that
// accept knows its addresses), and pumps it. It ends when the listener is
// released.
func (s *Socket) serveListener(ep tcpip.Endpoint, wq *waiter.Queue, stop <-chan struct{}) {
	entry, ch := waiter.NewChannelEntry(waiter.ReadableEvents)
	wq.EventRegister(&entry)
	defer wq.EventUnregister(&entry)
	for {
		var peer tcpip.FullAddress
		nep, nwq, err := ep.Accept(&peer)
		if err != nil {
			if _, wait := err.(*tcpip.ErrWouldBlock); !wait {
				return
			}
			select {
			case <-ch:
				continue
			case <-stop:
				return
			}
		}
		s.handOver(nep, nwq, addrPortOf(peer))
	}
}

// handOver queues one accepted gVisor connection on the listening
// placeholder.
func (s *Socket) handOver(nep tcpip.Endpoint, nwq *waiter.Queue, peer netip.AddrPort) {
	la, _ := nep.GetLocalAddress()
	s.mu.Lock()
	lname, family := s.sk.listenName, s.Family
	s.mu.Unlock()
	fd, err := s.st.host.Socket(unix.AF_UNIX, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		nep.Abort()
		return
	}
	name := s.st.name("C")
	if err := unix.Bind(fd, &unix.SockaddrUnix{Name: "@" + name}); err != nil {
		unix.Close(fd)
		nep.Abort()
		return
	}
	netErr := &pumpLink{}
	s.st.mu.Lock()
	s.st.clients[name] = connInfo{peer: forFamily(family, peer), self: forFamily(family, addrPortOf(la)), netErr: netErr}
	s.st.mu.Unlock()
	if err := unix.Connect(fd, &unix.SockaddrUnix{Name: "@" + lname}); err != nil {
		s.st.forgetClient(name)
		unix.Close(fd)
		nep.Abort()
		return
	}
	unix.SetNonblock(fd, true)
	go pump(os.NewFile(uintptr(fd), "netbox-tcp-pump"), nep, nwq, netErr)
}

// pump copies between netbox's end of a placeholder connection and a
// gVisor TCP endpoint until both directions are done, then closes both.
// A FIN from either side becomes a shutdown of the other; the program's
// close with data unread (ECONNRESET on netbox's end), or with SO_LINGER
// {1, 0} (link.abortive), aborts the endpoint, which sends an RST as
// Linux does. An RST from the network closes netbox's end, so the
// program's sends fail with EPIPE, and sets the socket's pending error in
// link: ECONNRESET, or EPIPE after the peer's FIN (tcp_reset in
// CLOSE_WAIT).
func pump(sup *os.File, ep tcpip.Endpoint, wq *waiter.Queue, link *pumpLink) {
	var wg sync.WaitGroup
	wg.Add(2)
	sent := make(chan struct{}) // the program → network direction is over
	aborted := make(chan struct{})
	var abortOnce sync.Once
	abort := func() { abortOnce.Do(func() { close(aborted); ep.Abort() }) }
	go func() { // program → network
		defer wg.Done()
		defer close(sent)
		buf := make([]byte, pumpBuf)
		for {
			n, err := sup.Read(buf)
			if n > 0 {
				if werr := writeAll(ep, wq, buf[:n], aborted); werr != nil {
					return
				}
			}
			if err != nil {
				if errors.Is(err, unix.ECONNRESET) || link.abortive.Load() {
					abort()
					return
				}
				// EOF: the program shut its side or closed.
				ep.Shutdown(tcpip.ShutdownWrite)
				return
			}
		}
	}()
	go func() { // network → program
		defer wg.Done()
		entry, ch := waiter.NewChannelEntry(waiter.ReadableEvents | waiter.EventHUp | waiter.EventErr)
		wq.EventRegister(&entry)
		defer wq.EventUnregister(&entry)
		var buf bytes.Buffer
		finSeen := false
		for {
			// Read into netbox's buffer, not straight into the program's
			// connection: gVisor holds the endpoint's lock while it
			// copies, and the program may not be reading.
			buf.Reset()
			_, err := ep.Read(&tcpip.LimitedWriter{W: &buf, N: pumpBuf}, tcpip.ReadOptions{})
			if buf.Len() > 0 {
				if _, werr := sup.Write(buf.Bytes()); werr != nil {
					abort() // the program is gone: reset
					return
				}
			}
			if err == nil {
				continue
			}
			if _, fin := err.(*tcpip.ErrClosedForReceive); fin {
				if !finSeen {
					// The peer's FIN: the program reads EOF (and, as
					// on Linux, may go on writing).
					finSeen = true
					rc, _ := sup.SyscallConn()
					rc.Control(func(fd uintptr) { unix.Shutdown(int(fd), unix.SHUT_WR) })
				}
				// Watch on for a reset until the program is done.
				err = ep.LastError()
			}
			if _, wait := err.(*tcpip.ErrWouldBlock); err != nil && !wait {
				// Reset or aborted: the connection is over for the
				// program too.
				if isReset(err) {
					if finSeen {
						link.set(unix.EPIPE)
					} else {
						link.set(unix.ECONNRESET)
					}
				}
				sup.Close()
				return
			}
			select {
			case <-ch:
			case <-aborted:
				return
			case <-sent:
				if finSeen {
					return
				}
				sent = nil // keep pumping the peer's data to the program
			}
		}
	}()
	wg.Wait()
	sup.Close()
	ep.Close()
}

// isReset reports whether a read error means the peer reset the
// connection (gVisor reports a reset after the peer's FIN as aborted).
func isReset(err tcpip.Error) bool {
	switch err.(type) {
	case *tcpip.ErrConnectionReset, *tcpip.ErrAborted:
		return true
	}
	return false
}

// writeAll writes b to the endpoint, waiting for send space.
func writeAll(ep tcpip.Endpoint, wq *waiter.Queue, b []byte, aborted <-chan struct{}) error {
	entry, ch := waiter.NewChannelEntry(waiter.WritableEvents | waiter.EventHUp | waiter.EventErr)
	wq.EventRegister(&entry)
	defer wq.EventUnregister(&entry)
	for len(b) > 0 {
		n, err := ep.Write(bytes.NewReader(b), tcpip.WriteOptions{})
		b = b[n:]
		switch err.(type) {
		case nil:
		case *tcpip.ErrWouldBlock:
			select {
			case <-ch:
			case <-aborted:
				return io.ErrClosedPipe
			}
		default:
			return io.ErrClosedPipe
		}
	}
	return nil
}
