package netstack

import (
	"encoding/binary"
	"os"
	"sync"
	"sync/atomic"

	"golang.org/x/sys/unix"
	"gvisor.dev/gvisor/pkg/buffer"
	"gvisor.dev/gvisor/pkg/tcpip"
	"gvisor.dev/gvisor/pkg/tcpip/header"
	"gvisor.dev/gvisor/pkg/tcpip/link/ethernet"
	"gvisor.dev/gvisor/pkg/tcpip/stack"
)

// A TAP opened with IFF_VNET_HDR carries a struct virtio_net_hdr before
// each frame, both ways, as a virtual machine's NIC does (drivers/net/tun.c
// tun_get_user, tun_put_user): netbox's TCP hands the kernel segments of
// up to 64 KiB that the kernel cuts to the MTU (TSO). The other way netbox
// asks for no offload (TUNSETOFFLOAD 0): the kernel segments and finishes
// checksums before a frame reaches it, so gVisor checks every checksum
// (and the fault layer's corruption shows). gVisor's fdbased does host GSO
// only on packet sockets; this endpoint is its TAP counterpart.

// VnetHdrSize is the size of the header before each frame on a TAP that
// eth0 drives (OpenTAP's TUNSETVNETHDRSZ): struct virtio_net_hdr
// (linux/virtio_net.h), without num_buffers.
const VnetHdrSize = 10

// virtio_net_hdr's fields.
const (
	vnetFNeedsCsum    = 1 // VIRTIO_NET_HDR_F_NEEDS_CSUM
	vnetGSOTCPv4      = 1 // VIRTIO_NET_HDR_GSO_TCPV4
	vnetGSOTCPv6      = 4 // VIRTIO_NET_HDR_GSO_TCPV6
	tapGSOMaxSize     = 65536
	tapMaxFrameLength = VnetHdrSize + header.EthernetMinimumSize + 65535
)

// tapVnet is a TAP with virtio-net headers as a raw Ethernet link
// endpoint (frames whole, headers included); ethernet.New puts the
// Ethernet layer on it.
type tapVnet struct {
	f    *os.File
	mtu  atomic.Uint32 // the IP MTU (MTU and SetMTU count frames)
	addr tcpip.LinkAddress

	mu         sync.Mutex
	dispatcher stack.NetworkDispatcher
	onClose    func()
	wg         sync.WaitGroup
}

// newTAPVnet makes eth0's endpoint on fd, a non-blocking TAP with
// IFF_VNET_HDR and no offloads, whose MTU is mtu.
func newTAPVnet(fd int, mtu uint32, mac tcpip.LinkAddress) stack.LinkEndpoint {
	e := &tapVnet{f: os.NewFile(uintptr(fd), "netbox-tap"), addr: mac}
	e.mtu.Store(mtu)
	return ethernet.New(e)
}

// MTU implements stack.LinkEndpoint: a frame's largest size, the
// Ethernet header included (ethernet.New takes it off).
func (e *tapVnet) MTU() uint32 { return e.mtu.Load() + header.EthernetMinimumSize }

// SetMTU implements stack.LinkEndpoint.
func (e *tapVnet) SetMTU(mtu uint32) { e.mtu.Store(mtu - header.EthernetMinimumSize) }

// MaxHeaderLength implements stack.LinkEndpoint: ethernet.New adds the
// Ethernet header.
func (*tapVnet) MaxHeaderLength() uint16 { return 0 }

// LinkAddress implements stack.LinkEndpoint.
func (e *tapVnet) LinkAddress() tcpip.LinkAddress { return e.addr }

// SetLinkAddress implements stack.LinkEndpoint.
func (e *tapVnet) SetLinkAddress(a tcpip.LinkAddress) { e.addr = a }

// Capabilities implements stack.LinkEndpoint.
func (*tapVnet) Capabilities() stack.LinkEndpointCapabilities { return 0 }

// ARPHardwareType implements stack.LinkEndpoint.
func (*tapVnet) ARPHardwareType() header.ARPHardwareType { return header.ARPHardwareEther }

// AddHeader implements stack.LinkEndpoint (ethernet.New adds it).
func (*tapVnet) AddHeader(*stack.PacketBuffer) {}

// ParseHeader implements stack.LinkEndpoint (ethernet.New parses it).
func (*tapVnet) ParseHeader(*stack.PacketBuffer) bool { return true }

// GSOMaxSize implements stack.GSOEndpoint.
func (*tapVnet) GSOMaxSize() uint32 { return tapGSOMaxSize }

// SupportedGSO implements stack.GSOEndpoint: the kernel segments.
func (*tapVnet) SupportedGSO() stack.SupportedGSO { return stack.HostGSOSupported }

// Attach implements stack.LinkEndpoint: the first attach starts reading.
func (e *tapVnet) Attach(d stack.NetworkDispatcher) {
	e.mu.Lock()
	defer e.mu.Unlock()
	first := e.dispatcher == nil && d != nil
	e.dispatcher = d
	if first {
		e.wg.Add(1)
		go e.read()
	}
}

// IsAttached implements stack.LinkEndpoint.
func (e *tapVnet) IsAttached() bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.dispatcher != nil
}

// Wait implements stack.LinkEndpoint.
func (e *tapVnet) Wait() { e.wg.Wait() }

// SetOnCloseAction implements stack.LinkEndpoint.
func (e *tapVnet) SetOnCloseAction(f func()) { e.onClose = f }

// Close implements stack.LinkEndpoint: reading ends with the file.
func (e *tapVnet) Close() {
	if e.onClose != nil {
		e.onClose()
	}
	e.f.Close()
}

// read delivers what the TAP gives, until it is closed.
func (e *tapVnet) read() {
	defer e.wg.Done()
	buf := make([]byte, tapMaxFrameLength)
	for {
		n, err := e.f.Read(buf)
		if err != nil {
			return
		}
		if n < VnetHdrSize+header.EthernetMinimumSize {
			continue
		}
		pkt := stack.NewPacketBuffer(stack.PacketBufferOptions{
			Payload: buffer.MakeWithData(append([]byte(nil), buf[VnetHdrSize:n]...)),
		})
		e.mu.Lock()
		d := e.dispatcher
		e.mu.Unlock()
		if d != nil {
			d.DeliverNetworkPacket(0, pkt)
		}
		pkt.DecRef()
	}
}

// WritePackets implements stack.LinkWriter: one write per packet, its
// virtio-net header first (like fdbased's writePacket with host GSO).
func (e *tapVnet) WritePackets(pkts stack.PacketBufferList) (int, tcpip.Error) {
	rc, err := e.f.SyscallConn()
	if err != nil {
		return 0, &tcpip.ErrClosedForSend{}
	}
	n := 0
	for _, pkt := range pkts.AsSlice() {
		var hdr [VnetHdrSize]byte
		if g := pkt.GSOOptions; g.Type != stack.GSONone {
			binary.LittleEndian.PutUint16(hdr[2:], uint16(pkt.HeaderSize())) // hdr_len
			if g.NeedsCsum {
				hdr[0] = vnetFNeedsCsum
				binary.LittleEndian.PutUint16(hdr[6:], header.EthernetMinimumSize+g.L3HdrLen) // csum_start
				binary.LittleEndian.PutUint16(hdr[8:], g.CsumOffset)                          // csum_offset
			}
			if uint16(pkt.Data().Size()) > g.MSS {
				switch g.Type {
				case stack.GSOTCPv4:
					hdr[1] = vnetGSOTCPv4
				case stack.GSOTCPv6:
					hdr[1] = vnetGSOTCPv6
				}
				binary.LittleEndian.PutUint16(hdr[4:], g.MSS) // gso_size
			}
		}
		iov := [][]byte{hdr[:]}
		iov = append(iov, pkt.AsSlices()...)
		var werr error
		rc.Write(func(fd uintptr) bool {
			_, werr = unix.Writev(int(fd), iov)
			return true // a full TAP queue drops, as a NIC's does
		})
		if werr == unix.EBADF {
			return n, &tcpip.ErrClosedForSend{}
		}
		n++
	}
	return n, nil
}
