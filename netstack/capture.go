package netstack

import (
	"encoding/binary"
	"time"

	"golang.org/x/sys/unix"
	"gvisor.dev/gvisor/pkg/tcpip"
	"gvisor.dev/gvisor/pkg/tcpip/checksum"
	"gvisor.dev/gvisor/pkg/tcpip/header"
	"gvisor.dev/gvisor/pkg/tcpip/link/nested"
	"gvisor.dev/gvisor/pkg/tcpip/stack"
)

// Capture inside the sandbox (tcpdump, AF_PACKET). Packet sockets are the
// kernel's, in the sandbox's own network namespace: libpcap's memory-mapped
// rings, BPF filters, -i any all work natively there. What they see is
// netbox's loopback traffic: once a program opens a packet socket, every
// packet lo carries in netbox's stack is also written, as an Ethernet frame,
// to the namespace's lo, where the packet sockets take their copies (an
// outgoing one and an incoming one, as for lo's own traffic).
//
// The namespace's own IP stack must not answer those frames (it has no
// sockets: it would reset every TCP connection). IPv4 ones it drops by
// itself: a packet from 127/8 or from one of its own addresses that
// arrives from a device is a martian (ip_route_input: IP_LOCALNET,
// IP_LOCAL_SOURCE). IPv6 it would take, so IPv6 frames are addressed to
// another host (PACKET_OTHERHOST), which ipv6_rcv drops at once; capture
// shows them as such (see deviations.txt).
//
// From then on, new loopback TCP connections (and newly connected UDP
// sockets) go through netbox's stack rather than the native fast path,
// which would hide them.

// captureDstMAC is the destination of mirrored IPv6 frames: not lo's
// address (all zeros), so the namespace's IPv6 layer drops them.
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

// WritePackets copies each packet lo sends (on lo, every packet is sent
// once and received once; tcpdump shows it once) to the capture and to
// the --pcap file, then sends it — but for a UDP datagram with a wrong
// checksum, which is dropped as it arrives (badUDPChecksum).
func (e *captureEndpoint) WritePackets(pkts stack.PacketBufferList) (int, tcpip.Error) {
	for _, pkt := range pkts.AsSlice() {
		if badUDPChecksum(pkt) {
			return e.dropBadChecksums(pkts)
		}
	}
	fd, w := e.st.captureFD.Load(), e.st.pcap
	if fd > 0 || w != nil {
		now := time.Now()
		for _, pkt := range pkts.AsSlice() {
			frame := loFrame(pkt) // to lo's address: 00:00:00:00:00:00
			if frame == nil {
				continue
			}
			if w != nil {
				w.WriteFrame(now, frame)
			}
			if fd > 0 {
				if pkt.NetworkProtocolNumber == header.IPv6ProtocolNumber {
					copy(frame, captureDstMAC[:])
				}
				unix.Write(int(fd), frame)
			}
		}
	}
	return e.Endpoint.WritePackets(pkts)
}

// dropBadChecksums sends pkts but for the UDP datagrams with a wrong
// checksum, counted as Udp InCsumErrors.
func (e *captureEndpoint) dropBadChecksums(pkts stack.PacketBufferList) (int, tcpip.Error) {
	var good stack.PacketBufferList
	for _, pkt := range pkts.AsSlice() {
		if badUDPChecksum(pkt) {
			e.st.stats.UDPCsumErrors.Add(1)
			continue
		}
		good.PushBack(pkt)
	}
	if good.Len() > 0 {
		if _, err := e.WritePackets(good); err != nil {
			return 0, err
		}
	}
	return pkts.Len(), nil
}

// badUDPChecksum reports whether pkt is a whole UDP datagram whose
// checksum is set and wrong. Linux checks it as the datagram arrives
// (udp_lib_checksum_complete) and drops it; gVisor's lo claims the
// offload and never checks. On lo, gVisor's own datagrams leave the
// checksum 0 (the same offload), so only one a program wrote whole
// through a raw socket can have one, and only those are summed.
func badUDPChecksum(pkt *stack.PacketBuffer) bool {
	var hdr [header.IPv4MaximumHeaderSize + header.UDPMinimumSize]byte
	n := 0
	for _, s := range pkt.AsSlices() {
		n += copy(hdr[n:], s)
		if n == len(hdr) {
			break
		}
	}
	b := hdr[:n]
	var src, dst tcpip.Address
	var udpAt int
	switch pkt.NetworkProtocolNumber {
	case header.IPv4ProtocolNumber:
		if len(b) < header.IPv4MinimumSize {
			return false
		}
		ip := header.IPv4(b)
		udpAt = int(ip.HeaderLength())
		if ip.Protocol() != uint8(header.UDPProtocolNumber) || ip.More() || ip.FragmentOffset() != 0 || udpAt < header.IPv4MinimumSize {
			return false
		}
		src, dst = ip.SourceAddress(), ip.DestinationAddress()
	case header.IPv6ProtocolNumber:
		if len(b) < header.IPv6MinimumSize {
			return false
		}
		ip := header.IPv6(b)
		if ip.NextHeader() != uint8(header.UDPProtocolNumber) {
			return false
		}
		udpAt, src, dst = header.IPv6MinimumSize, ip.SourceAddress(), ip.DestinationAddress()
	default:
		return false
	}
	if len(b) < udpAt+header.UDPMinimumSize {
		return false
	}
	udp := header.UDP(b[udpAt:])
	length := int(udp.Length())
	if udp.Checksum() == 0 || length < header.UDPMinimumSize || udpAt+length > pkt.Size() {
		return false
	}
	sum := header.PseudoHeaderChecksum(header.UDPProtocolNumber, src, dst, uint16(length))
	off := 0
	for _, s := range pkt.AsSlices() {
		from, to := max(udpAt-off, 0), min(udpAt+length-off, len(s))
		if from < to {
			sum = checksum.Combine(sum, checksum.Checksum(s[from:to], 0))
		}
		off += len(s)
	}
	return sum != 0xffff
}

// ethCapture copies eth0's frames, both ways, to the --pcap file (whose
// link type is Ethernet too, so lo's and eth0's frames share it) and, once
// the program opened a packet socket, to the eth0 shown in its namespace
// (see mirrorIn). It costs two loads per batch when neither is on.
type ethCapture struct {
	nested.Endpoint
	st *Stack
}

func newEthCapture(st *Stack, child stack.LinkEndpoint) *ethCapture {
	e := &ethCapture{st: st}
	e.Init(child, e)
	return e
}

// WritePackets implements stack.LinkWriter: the frames as they leave,
// link header included.
// SetMTU sets eth0's MTU, the IP MTU gVisor's NIC passes (SetNICMTU).
// The endpoints beneath take theirs with or without the Ethernet header
// (ethernet.Endpoint passes SetMTU through but takes the header off
// MTU), so what the first try falls short by is made up.
func (e *ethCapture) SetMTU(mtu uint32) {
	e.Endpoint.SetMTU(mtu)
	if got := e.Endpoint.MTU(); got < mtu {
		e.Endpoint.SetMTU(mtu + (mtu - got))
	}
}

func (e *ethCapture) WritePackets(pkts stack.PacketBufferList) (int, tcpip.Error) {
	w, out := e.st.pcap, e.st.ethCapOut.Load()
	if w != nil || out > 0 {
		now := time.Now()
		for _, pkt := range pkts.AsSlice() {
			v := pkt.ToView()
			if w != nil {
				w.WriteFrame(now, v.AsSlice())
			}
			if out > 0 {
				unix.Write(int(out), v.AsSlice())
			}
			v.Release()
		}
	}
	return e.Endpoint.WritePackets(pkts)
}

// DeliverNetworkPacket implements stack.NetworkDispatcher: the frames as
// they arrive (their link header parsed, the rest not yet).
func (e *ethCapture) DeliverNetworkPacket(proto tcpip.NetworkProtocolNumber, pkt *stack.PacketBuffer) {
	w, in := e.st.pcap, e.st.ethCapIn.Load()
	if w != nil || in > 0 {
		frame := append(append([]byte(nil), pkt.LinkHeader().Slice()...), pkt.Data().AsRange().ToSlice()...)
		if w != nil {
			w.WriteFrame(time.Now(), frame)
		}
		if in > 0 {
			mirrorIn(int(in), frame)
		}
	}
	e.Endpoint.DeliverNetworkPacket(proto, pkt)
}

// mirrorIn writes a frame eth0 received to the peer of the eth0 shown in
// the program's namespace, where the program's packet sockets take it as
// received. That namespace's own IP stack must not answer it (it has
// eth0's address, no sockets: it would reset every TCP connection), so a
// unicast frame goes to another host's MAC (PACKET_OTHERHOST, dropped by
// ip_rcv, ipv6_rcv and arp_rcv); broadcast and multicast go as they are
// (the kernel may answer an ARP request: its reply dies at the peer).
// Frames longer than the MTU (segments of a GSO link) are not mirrored.
func mirrorIn(fd int, frame []byte) {
	if len(frame) >= header.EthernetMinimumSize && frame[0]&1 == 0 {
		copy(frame, captureDstMAC[:])
	}
	unix.Write(fd, frame)
}

// loFrame is a packet lo carries as an Ethernet frame from and to lo's
// address (all zeros, as Linux's lo frames are), or nil for a packet that
// is not IP.
func loFrame(pkt *stack.PacketBuffer) []byte {
	var ethType uint16
	switch pkt.NetworkProtocolNumber {
	case header.IPv4ProtocolNumber:
		ethType = unix.ETH_P_IP
	case header.IPv6ProtocolNumber:
		ethType = unix.ETH_P_IPV6
	default:
		return nil
	}
	frame := make([]byte, 14, 14+pkt.Size())
	binary.BigEndian.PutUint16(frame[12:], ethType)
	for _, s := range pkt.AsSlices() {
		frame = append(frame, s...)
	}
	return frame
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
		if st.opts.OpenEthCapture != nil && st.opts.Eth0 != nil {
			if out, in, err := st.opts.OpenEthCapture(tid); err == nil {
				st.ethCapOut.Store(int32(out))
				st.ethCapIn.Store(int32(in))
			}
		}
		fd, err := st.opts.OpenCapture(tid)
		if err != nil {
			return
		}
		st.captureFD.Store(int32(fd))
	})
}

// capturing reports whether loopback traffic is copied for a capture (a
// packet socket in the sandbox, or --pcap).
func (st *Stack) capturing() bool { return st.captureFD.Load() > 0 || st.pcap != nil }

// netstackLoopback reports whether loopback TCP goes through netbox's
// stack: asked for (--loopback=netstack), or needed by a capture or a raw
// TCP socket (which must see the segments).
func (st *Stack) netstackLoopback() bool {
	return st.opts.LoopbackNetstack || st.capturing() || st.rawTCP.Load()
}
