package nat

import (
	"encoding/binary"
	"math/rand/v2"
	"net"
	"net/netip"
	"sync"
	"time"

	"golang.org/x/net/icmp"
	"gvisor.dev/gvisor/pkg/buffer"
	"gvisor.dev/gvisor/pkg/tcpip"
	"gvisor.dev/gvisor/pkg/tcpip/checksum"
	"gvisor.dev/gvisor/pkg/tcpip/header"
	"gvisor.dev/gvisor/pkg/tcpip/link/nested"
	"gvisor.dev/gvisor/pkg/tcpip/stack"
)

// ICMP echo beyond the gateway. The NAT stack is promiscuous, so it would
// answer every ping itself, whether or not the host can reach the
// address; the echo requests to other addresses are taken off before the
// stack sees them and sent by a host ICMP socket, and only a real reply
// comes back.

// echoTap is the NAT's link endpoint: it hands the IPv4 echo requests not
// addressed to the gateway to the echo forwarder.
type echoTap struct {
	nested.Endpoint
	n *NAT
}

func newEchoTap(n *NAT, child stack.LinkEndpoint) *echoTap {
	t := &echoTap{n: n}
	t.Init(child, t)
	return t
}

// DeliverNetworkPacket implements stack.NetworkDispatcher.
func (t *echoTap) DeliverNetworkPacket(proto tcpip.NetworkProtocolNumber, pkt *stack.PacketBuffer) {
	if proto == header.IPv4ProtocolNumber && t.n.echo.take(pkt) {
		return
	}
	t.Endpoint.DeliverNetworkPacket(proto, pkt)
}

// echoForwarder sends the sandbox's echo requests from a host ICMP socket
// (a ping socket, or a raw one with CAP_NET_RAW) under sequence numbers of
// its own, and turns the replies back into the sandbox's.
type echoForwarder struct {
	n    *NAT
	once sync.Once
	conn *icmp.PacketConn // nil: no host ICMP socket could be made
	raw  bool             // conn is a raw socket: replies are matched by id
	id   uint16           // the identifier of requests from a raw socket (random: other netboxes share the host's raw sockets)

	mu      sync.Mutex
	nextSeq uint16
	pending map[uint16]echoRequest // by the host sequence number
}

// echoRequest is what a reply needs to go back.
type echoRequest struct {
	src, dst netip.Addr // the sandbox's request: src → dst
	id, seq  uint16
	mac      tcpip.LinkAddress // the sandbox's eth0
	sent     time.Time
}

// echoTimeout is how long a request waits for its reply.
const echoTimeout = 10 * time.Second

func newEchoForwarder(n *NAT) *echoForwarder {
	return &echoForwarder{n: n, pending: make(map[uint16]echoRequest), id: uint16(rand.Uint32()), nextSeq: uint16(rand.Uint32())}
}

// open makes the host socket, once, and starts reading its replies.
func (f *echoForwarder) open() {
	f.once.Do(func() {
		c, err := onHost(func() (*icmp.PacketConn, error) { return icmp.ListenPacket("udp4", "0.0.0.0") })
		if err != nil {
			c, err = onHost(func() (*icmp.PacketConn, error) { return icmp.ListenPacket("ip4:icmp", "0.0.0.0") })
			f.raw = true
		}
		if err != nil {
			f.n.logf("icmp: no host ICMP socket (net.ipv4.ping_group_range excludes netbox's group and it lacks CAP_NET_RAW): pings beyond the gateway go unanswered")
			return
		}
		if _, ok := f.n.track(func() { c.Close() }); !ok {
			c.Close()
			return
		}
		f.conn = c
		f.n.wg.Add(1)
		go f.readReplies()
	})
}

// take reports whether pkt (an IPv4 packet) is an echo request for the
// forwarder, and if so sends it on the host.
func (f *echoForwarder) take(pkt *stack.PacketBuffer) bool {
	hdr, ok := pkt.Data().PullUp(header.IPv4MinimumSize)
	if !ok {
		return false
	}
	ip := header.IPv4(hdr)
	if ip.Protocol() != uint8(header.ICMPv4ProtocolNumber) || ip.More() || ip.FragmentOffset() != 0 {
		return false
	}
	dst, _ := netip.AddrFromSlice(ip.DestinationAddressSlice())
	if dst == f.n.cfg.Gateway {
		return false // the gateway answers itself
	}
	b := pkt.Data().AsRange().ToSlice()
	hlen := int(ip.HeaderLength())
	if hlen < header.IPv4MinimumSize || len(b) < hlen+header.ICMPv4MinimumSize {
		return false
	}
	msg := header.ICMPv4(b[hlen:])
	if msg.Type() != header.ICMPv4Echo {
		return false
	}
	src, _ := netip.AddrFromSlice(ip.SourceAddressSlice())
	if !f.n.decide("icmp", netip.AddrPortFrom(src, 0), netip.AddrPortFrom(dst, 0)) {
		return true // dropped, as a firewall's DROP
	}
	f.open()
	if f.conn == nil {
		return true
	}
	var mac tcpip.LinkAddress
	if lh := pkt.LinkHeader().Slice(); len(lh) >= header.EthernetMinimumSize {
		mac = header.Ethernet(lh).SourceAddress()
	}
	f.mu.Lock()
	f.expire()
	seq := f.nextSeq
	f.nextSeq++
	f.pending[seq] = echoRequest{src: src, dst: dst, id: msg.Ident(), seq: msg.Sequence(), mac: mac, sent: time.Now()}
	f.mu.Unlock()
	out := make([]byte, len(msg))
	copy(out, msg)
	out[0], out[1] = byte(header.ICMPv4Echo), 0
	binary.BigEndian.PutUint16(out[4:], f.id) // a ping socket puts its own
	binary.BigEndian.PutUint16(out[6:], seq)
	binary.BigEndian.PutUint16(out[2:], 0)
	binary.BigEndian.PutUint16(out[2:], ^checksum.Checksum(out, 0))
	var to net.Addr = &net.UDPAddr{IP: dst.AsSlice()}
	if f.raw {
		to = &net.IPAddr{IP: dst.AsSlice()}
	}
	f.conn.WriteTo(out, to)
	return true
}

// expire forgets the requests whose reply is overdue. f.mu is held.
func (f *echoForwarder) expire() {
	for seq, r := range f.pending {
		if time.Since(r.sent) > echoTimeout {
			delete(f.pending, seq)
		}
	}
}

// readReplies turns each host echo reply into the sandbox's, from the
// address the sandbox pinged.
func (f *echoForwarder) readReplies() {
	defer f.n.wg.Done()
	buf := make([]byte, 65536)
	for {
		m, from, err := f.conn.ReadFrom(buf)
		if err != nil {
			return
		}
		msg := header.ICMPv4(buf[:m])
		if m < header.ICMPv4MinimumSize || msg.Type() != header.ICMPv4EchoReply || (f.raw && msg.Ident() != f.id) {
			continue
		}
		f.mu.Lock()
		req, ok := f.pending[msg.Sequence()]
		delete(f.pending, msg.Sequence())
		f.mu.Unlock()
		if !ok || !sameIP(from, req.dst) {
			continue
		}
		f.reply(req, msg[header.ICMPv4MinimumSize:])
	}
}

func sameIP(a net.Addr, ip netip.Addr) bool {
	var got net.IP
	switch a := a.(type) {
	case *net.UDPAddr:
		got = a.IP
	case *net.IPAddr:
		got = a.IP
	}
	g, ok := netip.AddrFromSlice(got)
	return ok && g.Unmap() == ip
}

// reply sends the sandbox an echo reply to req carrying data.
func (f *echoForwarder) reply(req echoRequest, data []byte) {
	pkt := make([]byte, header.IPv4MinimumSize+header.ICMPv4MinimumSize+len(data))
	ip := header.IPv4(pkt)
	ip.Encode(&header.IPv4Fields{
		TotalLength: uint16(len(pkt)),
		TTL:         64,
		Protocol:    uint8(header.ICMPv4ProtocolNumber),
		SrcAddr:     tcpip.AddrFrom4(req.dst.As4()),
		DstAddr:     tcpip.AddrFrom4(req.src.As4()),
	})
	ip.SetChecksum(^ip.CalculateChecksum())
	msg := header.ICMPv4(pkt[header.IPv4MinimumSize:])
	msg.SetType(header.ICMPv4EchoReply)
	msg.SetIdent(req.id)
	msg.SetSequence(req.seq)
	copy(msg[header.ICMPv4MinimumSize:], data)
	msg.SetChecksum(0)
	msg.SetChecksum(^checksum.Checksum(msg, 0))
	f.n.gs.WritePacketToRemote(nicID, req.mac, header.IPv4ProtocolNumber, buffer.MakeWithData(pkt))
}
