package nat

import (
	"errors"
	"net"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"gvisor.dev/gvisor/pkg/tcpip/adapters/gonet"
	"gvisor.dev/gvisor/pkg/tcpip/transport/udp"
	"gvisor.dev/gvisor/pkg/waiter"
)

// udpIdle is how long a UDP flow lives without a datagram either way (as
// conntrack's UDP timeout, which is 30 s unreplied and 120 s assured).
const udpIdle = 60 * time.Second

// forwardUDP takes the first datagram of a flow from the sandbox. A
// refused destination gets an ICMP port unreachable (returning false has
// the NAT stack send it); an allowed one gets a connected host socket,
// and the datagrams of the flow go both ways until it is idle for
// udpIdle.
func (n *NAT) forwardUDP(r *udp.ForwarderRequest) bool {
	id := r.ID()
	src, dst := addrPort(id.RemoteAddress, id.RemotePort), addrPort(id.LocalAddress, id.LocalPort)
	if !n.decide("udp", src, dst) {
		return false
	}
	host, ok := n.hostAddr(dst)
	if !ok {
		n.logf("udp %v -> %v: no DNS server on the host", src, dst)
		return false
	}
	hc, err := onHost(func() (*net.UDPConn, error) { return net.DialUDP("udp", nil, net.UDPAddrFromAddrPort(host)) })
	if err != nil {
		n.logf("udp %v -> %v: %v", src, dst, err)
		return false
	}
	var wq waiter.Queue
	ep, terr := r.CreateEndpoint(&wq)
	if terr != nil {
		hc.Close()
		return true // a flow of that 4-tuple is being set up: drop
	}
	sc := gonet.NewUDPConn(&wq, ep)
	closeBoth := func() { sc.Close(); hc.Close() }
	untrack, ok := n.track(closeBoth)
	if !ok {
		closeBoth()
		return true
	}
	isDNS := n.isDNS(dst)
	var last atomic.Int64 // unix nanoseconds of the flow's last datagram
	last.Store(time.Now().UnixNano())
	var wg sync.WaitGroup
	wg.Add(2)
	// pump moves datagrams from one side to the other until the flow is
	// idle or a side fails.
	pump := func(to, from net.Conn, fromHost bool) {
		defer wg.Done()
		buf := make([]byte, 65536)
		for {
			from.SetReadDeadline(time.Now().Add(udpIdle))
			m, err := from.Read(buf)
			if err != nil {
				if errors.Is(err, os.ErrDeadlineExceeded) && time.Since(time.Unix(0, last.Load())) < udpIdle {
					continue
				}
				closeBoth()
				return
			}
			last.Store(time.Now().UnixNano())
			if fromHost && isDNS {
				n.snoopDNS(buf[:m])
			}
			to.Write(buf[:m])
		}
	}
	n.wg.Add(1)
	go func() {
		defer n.wg.Done()
		defer untrack()
		go pump(hc, sc, false)
		go pump(sc, hc, true)
		wg.Wait()
	}()
	return true
}
