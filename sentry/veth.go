package sentry

import (
	"fmt"
	"net"
	"unsafe"

	"golang.org/x/sys/unix"
)

// PacketLink is an existing network interface (a veth end, typically)
// that netbox's stack drives through a packet socket: every frame the
// interface receives is eth0's, every frame eth0 sends leaves through it.
type PacketLink struct {
	// FD is the packet socket (SOCK_RAW, ETH_P_ALL, bound to the
	// interface, non-blocking); the caller owns it.
	FD int
	// MTU is the interface's.
	MTU uint32
	// GSOMaxSize is the largest segment the interface takes whole
	// (PACKET_VNET_HDR is on, so frames carry a virtio-net header); 0
	// when it does not do generic segmentation offload.
	GSOMaxSize uint32
}

// gsoMaxSize is what netbox gives a GSO-capable interface at most, the
// kernel's default gso_max_size.
const gsoMaxSize = 65536

// OpenPacketLink opens a packet socket on the interface name of netbox's
// network namespace, as gVisor's runsc does for a container's veth
// (runsc/sandbox/network.go createSocket): bound to every protocol,
// promiscuous (the sandbox's MAC is not the interface's), blind to what
// the host's own stack sends through the interface, with buffers large
// enough not to drop at speed, and with virtio-net headers when the
// interface does GSO. It needs CAP_NET_RAW there.
func OpenPacketLink(name string) (*PacketLink, error) {
	ifi, err := net.InterfaceByName(name)
	if err != nil {
		return nil, fmt.Errorf("veth %s: %w", name, err)
	}
	if ifi.Flags&net.FlagLoopback != 0 {
		return nil, fmt.Errorf("veth %s: a loopback interface carries no other host's frames", name)
	}
	// Protocol 0 at creation, ETH_P_ALL at bind: no frame is queued
	// before the socket is bound to its interface.
	fd, err := unix.Socket(unix.AF_PACKET, unix.SOCK_RAW|unix.SOCK_CLOEXEC|unix.SOCK_NONBLOCK, 0)
	if err != nil {
		return nil, fmt.Errorf("veth %s: packet socket: %w", name, err)
	}
	l := &PacketLink{FD: fd, MTU: uint32(ifi.MTU)}
	fail := func(what string, err error) (*PacketLink, error) {
		unix.Close(fd)
		return nil, fmt.Errorf("veth %s: %s: %w", name, what, err)
	}
	if err := unix.Bind(fd, &unix.SockaddrLinklayer{Protocol: htons(unix.ETH_P_ALL), Ifindex: ifi.Index}); err != nil {
		return fail("bind", err)
	}
	mreq := unix.PacketMreq{Ifindex: int32(ifi.Index), Type: unix.PACKET_MR_PROMISC}
	if err := unix.SetsockoptPacketMreq(fd, unix.SOL_PACKET, unix.PACKET_ADD_MEMBERSHIP, &mreq); err != nil {
		return fail("promiscuous mode", err)
	}
	if err := unix.SetsockoptInt(fd, unix.SOL_PACKET, unix.PACKET_IGNORE_OUTGOING, 1); err != nil {
		return fail("PACKET_IGNORE_OUTGOING", err)
	}
	const bufSize = 4 << 20
	for _, opt := range [][2]int{{unix.SO_RCVBUFFORCE, unix.SO_RCVBUF}, {unix.SO_SNDBUFFORCE, unix.SO_SNDBUF}} {
		if err := unix.SetsockoptInt(fd, unix.SOL_SOCKET, opt[0], bufSize); err != nil {
			// Without CAP_NET_ADMIN: as much as net.core.[rw]mem_max allows.
			unix.SetsockoptInt(fd, unix.SOL_SOCKET, opt[1], bufSize)
		}
	}
	if gsoEnabled(name) {
		if err := unix.SetsockoptInt(fd, unix.SOL_PACKET, unix.PACKET_VNET_HDR, 1); err != nil {
			return fail("PACKET_VNET_HDR", err)
		}
		l.GSOMaxSize = gsoMaxSize
	}
	return l, nil
}

// gsoEnabled reports whether interface name does generic segmentation
// offload (ethtool's ETHTOOL_GGSO).
func gsoEnabled(name string) bool {
	fd, err := ioctlSocket(unix.AF_INET)()
	if err != nil {
		return false
	}
	defer unix.Close(fd)
	val := struct{ cmd, data uint32 }{cmd: unix.ETHTOOL_GGSO}
	var ifr struct { // struct ifreq with ifr_data
		name [unix.IFNAMSIZ]byte
		data unsafe.Pointer
		_    [16]byte
	}
	copy(ifr.name[:unix.IFNAMSIZ-1], name)
	ifr.data = unsafe.Pointer(&val)
	if err := ioctl(fd, unix.SIOCETHTOOL, unsafe.Pointer(&ifr)); err != nil {
		return false
	}
	return val.data != 0
}

// htons is x in network byte order, as a packet socket's protocol wants it.
func htons(x uint16) uint16 { return x<<8 | x>>8 }
