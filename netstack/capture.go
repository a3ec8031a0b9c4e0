package netstack

import (
	"encoding/binary"

	"golang.org/x/sys/unix"
	"gvisor.dev/gvisor/pkg/tcpip"
	"gvisor.dev/gvisor/pkg/tcpip/header"
	"gvisor.dev/gvisor/pkg/tcpip/link/nested"
	"gvisor.dev/gvisor/pkg/tcpip/stack"
)

// Capture inside the sandbox (tcpdump, AF_PACKET). Packet sockets are the
// kernel's, in the sandbox's own network namespace: libpcap's memory-mapped
// rings, BPF filters, -i any all work natively there. What they see is
// netbox's loopback traffic: once a program opens a packet socket, every
// packet lo carries in netbox's stack is also written, as an Ethernet frame,
// to the namespace's lo, where the packet sockets take their copies. The
// frames are addressed to another host (PACKET_OTHERHOST), so the
// namespace's own IP stack drops them at once and never answers them.
//
// From then on, new loopback TCP connections (and newly connected UDP
// sockets) go through netbox's stack rather than the native fast path,
// which would hide them.

// captureDstMAC is the destination of mirrored frames: not lo's address
// (all zeros), so the namespace's IP layer drops them (ip_rcv_core and
// ipv6_rcv drop PACKET_OTHERHOST).
var captureDstMAC = [6]byte{0x02, 0, 0, 0, 0, 0x01}

// captureEndpoint wraps lo's link endpoint and mirrors what it carries.
type captureEndpoint struct {
	nested.Endpoint
	st *Stack
}

func newCaptureEndpoint(st *Stack, child stack.LinkEndpoint) *captureEndpoint {
	e := &captureEndpoint{st: st}
	e.Init(child, e)
	return e
}

// WritePackets mirrors each packet lo sends (on lo, every packet is sent
// once and received once; tcpdump shows it once), then sends it.
func (e *captureEndpoint) WritePackets(pkts stack.PacketBufferList) (int, tcpip.Error) {
	if fd := e.st.captureFD.Load(); fd > 0 {
		for _, pkt := range pkts.AsSlice() {
			mirrorPacket(int(fd), pkt)
		}
	}
	return e.Endpoint.WritePackets(pkts)
}

// mirrorPacket writes one packet to the namespace's lo as an Ethernet
// frame; a full socket drops it, as a busy capture would.
func mirrorPacket(fd int, pkt *stack.PacketBuffer) {
	var ethType uint16
	switch pkt.NetworkProtocolNumber {
	case header.IPv4ProtocolNumber:
		ethType = unix.ETH_P_IP
	case header.IPv6ProtocolNumber:
		ethType = unix.ETH_P_IPV6
	default:
		return
	}
	frame := make([]byte, 14, 14+pkt.Size())
	copy(frame, captureDstMAC[:])
	binary.BigEndian.PutUint16(frame[12:], ethType)
	for _, s := range pkt.AsSlices() {
		frame = append(frame, s...)
	}
	unix.Write(fd, frame)
}

// StartCapture turns capture on (thread tid opened a packet socket): the
// socket that writes to lo of its network namespace is opened once; later
// calls do nothing. Without Options.OpenCapture, or when it fails, nothing is
// mirrored and the fast path stays.
func (st *Stack) StartCapture(tid int) {
	st.captureOnce.Do(func() {
		if st.opts.OpenCapture == nil {
			return
		}
		fd, err := st.opts.OpenCapture(tid)
		if err != nil {
			return
		}
		st.captureFD.Store(int32(fd))
	})
}

// capturing reports whether loopback traffic is mirrored for capture.
func (st *Stack) capturing() bool { return st.captureFD.Load() > 0 }

// netstackLoopback reports whether loopback TCP goes through netbox's
// stack: asked for (--loopback=netstack), or needed by a capture.
func (st *Stack) netstackLoopback() bool { return st.opts.LoopbackNetstack || st.capturing() }
