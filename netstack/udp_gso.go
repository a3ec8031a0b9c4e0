package netstack

import (
	"encoding/binary"
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
