package nat

import (
	"io"
	"net"
	"sync"

	"gvisor.dev/gvisor/pkg/tcpip/adapters/gonet"
	"gvisor.dev/gvisor/pkg/tcpip/transport/tcp"
	"gvisor.dev/gvisor/pkg/waiter"
)

// forwardTCP takes a SYN from the sandbox to anywhere. A refused
// destination gets a reset (ECONNREFUSED, as a firewall's REJECT gives);
// an allowed one is connected on the host first, and the sandbox's
// handshake completes only once that connect has: a host refusal or
// failure becomes a reset too, so the program's connect fails as it would
// against the real destination, not after a false success.
func (n *NAT) forwardTCP(r *tcp.ForwarderRequest) {
	id := r.ID()
	src, dst := addrPort(id.RemoteAddress, id.RemotePort), addrPort(id.LocalAddress, id.LocalPort)
	if !n.decide("tcp", src, dst) {
		r.Complete(true)
		return
	}
	host, ok := n.hostAddr(dst)
	if !ok {
		r.Complete(true)
		return
	}
	n.wg.Add(1)
	go func() {
		defer n.wg.Done()
		d := net.Dialer{Timeout: dialTimeout}
		hc, err := d.DialContext(n.ctx, "tcp", host.String())
		if err != nil {
			n.logf("tcp %v -> %v: %v", src, dst, err)
			r.Complete(true)
			return
		}
		var wq waiter.Queue
		ep, terr := r.CreateEndpoint(&wq)
		r.Complete(false)
		if terr != nil {
			hc.Close()
			return
		}
		n.relay(gonet.NewTCPConn(&wq, ep), hc.(*net.TCPConn))
	}()
}

// halfCloser is a stream whose write side closes alone (a FIN).
type halfCloser interface {
	io.ReadWriteCloser
	CloseWrite() error
}

// relay copies both ways between a and b until both directions end; the
// end of one direction is passed on as a FIN, and a reset (an error) of
// either side closes both.
func (n *NAT) relay(a, b halfCloser) {
	closeBoth := func() { a.Close(); b.Close() }
	untrack, ok := n.track(closeBoth)
	if !ok {
		closeBoth()
		return
	}
	defer untrack()
	var wg sync.WaitGroup
	wg.Add(2)
	pipe := func(dst, src halfCloser) {
		defer wg.Done()
		if _, err := io.Copy(dst, src); err != nil {
			closeBoth()
			return
		}
		dst.CloseWrite()
	}
	go pipe(a, b)
	go pipe(b, a)
	wg.Wait()
	closeBoth()
}
