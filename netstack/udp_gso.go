package netstack

import (
	"encoding/binary"
	"iter"
	"net/netip"

	"golang.org/x/sys/unix"

	"github.com/netbox-sandbox/netbox/netstack/control"
)

// UDP segmentation offload (UDP_SEGMENT, as an option or a control
// message): one send carries many datagrams of the segment size, the last
// one shorter. Linux hands the whole to the device, which cuts it; netbox
// cuts it before gVisor, so the receivers see the same datagrams. A
// trapped send of many datagrams is one trap: the reason programs (QUIC
// stacks) use it.

// udpMaxSegments is UDP_MAX_SEGMENTS: the most segments one send makes.
const udpMaxSegments = 128

// setGSO is setsockopt(UDP_SEGMENT): a segment size of 0 to 65535
// (udp_lib_setsockopt), kept where the own sink reads it; a connected
// socket's native sends are then routed through its own sink, which cuts
// them. s.mu is held.
func (s *Socket) setGSO(f int, val Optval) error {
	v, err := intOf(val)
	if err != nil {
		return err
	}
	if v < 0 || v > 0xFFFF {
		return unix.EINVAL
	}
	s.sk.opts.set(unix.SOL_UDP, unix.UDP_SEGMENT, v)
	if s.sk.gso.Swap(uint32(v)) == 0 && v != 0 && s.State == SSConnected && s.sk.sink == nil {
		s.connectPlaceholder(f, s.sk.remote)
	}
	return nil
}

// udpCmsgSend is udp_cmsg_send: the SOL_UDP control messages of a send;
// UDP_SEGMENT (a u16) sets the segment size, any other is EINVAL. has
// reports whether the message was there (it overrides the option).
func udpCmsgSend(ctl []byte) (gso int, has bool, err error) {
	msgs, err := control.Parse(ctl)
	if err != nil {
		return 0, false, err
	}
	for _, m := range msgs {
		if m.Level != unix.SOL_UDP {
			continue
		}
		if m.Type != unix.UDP_SEGMENT || len(m.Data) != 2 {
			return 0, false, unix.EINVAL
		}
		gso, has = int(binary.NativeEndian.Uint16(m.Data)), true
	}
	return gso, has, nil
}

// gsoCheck is what udp_send_skb (udp_v6_send_skb) asks of a send with a
// segment size: the whole within the IP limit (EMSGSIZE, as
// __ip_append_data's), one segment within the MTU the datagram leaves by
// (EMSGSIZE), at most udpMaxSegments segments (EINVAL), checksums on
// (EINVAL) and UDP, not UDP-Lite (EIO). s.mu is held.
func (s *Socket) gsoCheck(dst netip.Addr, n, gso, mtu int) error {
	hdr, nocheck := 8+40, s.sk.opts.get(unix.SOL_UDP, udpNoCheck6Tx) != 0
	if dst.Unmap().Is4() {
		hdr, nocheck = 8+20, s.sk.opts.get(unix.SOL_SOCKET, unix.SO_NO_CHECK) != 0
	}
	switch {
	case n > maxPayload(dst):
		return unix.EMSGSIZE
	case hdr+min(n, gso) > mtu:
		return unix.EMSGSIZE
	case n > gso*udpMaxSegments:
		return unix.EINVAL
	case nocheck:
		return unix.EINVAL
	case s.Protocol == unix.IPPROTO_UDPLITE:
		return unix.EIO
	}
	return nil
}

// gsoSeg marks a datagram as one segment of a UDP_SEGMENT send: which
// send (id), its segment size, and whether it is the last.
type gsoSeg struct {
	id   uint64
	size int
	last bool
}

// gsoSegments is segments with each datagram's gsoSeg (nil for a send
// that stays one datagram).
func (st *Stack) gsoSegments(data []byte, gso int) iter.Seq2[[]byte, *gsoSeg] {
	return func(yield func([]byte, *gsoSeg) bool) {
		segs := segments(data, gso)
		var id uint64
		if len(segs) > 1 {
			id = st.seq.Add(1)
		}
		for i, d := range segs {
			var seg *gsoSeg
			if id != 0 {
				seg = &gsoSeg{id: id, size: gso, last: i == len(segs)-1}
			}
			if !yield(d, seg) {
				return
			}
		}
	}
}

// groPending is the UDP_GRO receiver's side of a UDP_SEGMENT send still
// arriving: the segments so far, joined, and the first one's metadata.
type groPending struct {
	id   uint64
	m    dgramMeta
	size int
	data []byte
}

// groReceive takes a segment of a UDP_SEGMENT send for a socket with
// UDP_GRO: like udp_queue_rcv_skb with the socket accepting
// SKB_GSO_UDP_L4 (udp_unexpected_gso false), the send is queued whole, as
// the loopback carries it, once its last segment has come. rxMu is held.
func (s *Socket) groReceive(m dgramMeta, data []byte, seg *gsoSeg) (dead bool) {
	p := s.sk.groPend
	if p != nil && (p.id != seg.id || p.m != m) {
		dead = s.groFlush()
		p = nil
	}
	if p == nil {
		p = &groPending{id: seg.id, m: m, size: seg.size}
		s.sk.groPend = p
	}
	p.data = append(p.data, data...)
	if seg.last {
		dead = s.groFlush() || dead
	}
	return dead
}

// groFlush queues what groReceive holds. rxMu is held.
func (s *Socket) groFlush() (dead bool) {
	p := s.sk.groPend
	if p == nil {
		return false
	}
	s.sk.groPend = nil
	gso := p.size
	if len(p.data) <= gso {
		gso = 0 // one segment came: a plain datagram
	}
	return s.enqueueUDP(p.m, p.data, gso)
}

// segments cuts data into datagrams of gso bytes, the last one shorter;
// data whole when gso is 0 or not smaller.
func segments(data []byte, gso int) [][]byte {
	if gso <= 0 || len(data) <= gso {
		return [][]byte{data}
	}
	out := make([][]byte, 0, (len(data)+gso-1)/gso)
	for len(data) > gso {
		out = append(out, data[:gso])
		data = data[gso:]
	}
	return append(out, data)
}
