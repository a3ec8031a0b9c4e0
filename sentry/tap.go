package sentry

import (
	"crypto/rand"
	"fmt"
	"net/netip"
	"unsafe"

	"golang.org/x/sys/unix"

	"github.com/netbox-sandbox/netbox/netstack"
)

// OpenTAP attaches to the TAP device name in netbox's network namespace,
// creating it when it does not exist (which needs CAP_NET_ADMIN), as a
// non-blocking Ethernet device without packet information (IFF_TAP |
// IFF_NO_PI) whose frames carry virtio-net headers (IFF_VNET_HDR), so
// that netbox's may be segments for the kernel to cut; the kernel's come
// cut and with their checksums finished (no offload).
// The caller owns the fd.
func OpenTAP(name string) (int, error) {
	if len(name) == 0 || len(name) >= unix.IFNAMSIZ {
		return -1, fmt.Errorf("tap %q: a device name is 1 to %d bytes", name, unix.IFNAMSIZ-1)
	}
	fd, err := unix.Open("/dev/net/tun", unix.O_RDWR|unix.O_CLOEXEC|unix.O_NONBLOCK, 0)
	if err != nil {
		return -1, fmt.Errorf("tap %s: open /dev/net/tun: %w", name, err)
	}
	var ifr [40]byte
	copy(ifr[:unix.IFNAMSIZ-1], name)
	*(*uint16)(unsafe.Pointer(&ifr[unix.IFNAMSIZ])) = unix.IFF_TAP | unix.IFF_NO_PI | unix.IFF_VNET_HDR
	if err := ioctl(fd, unix.TUNSETIFF, unsafe.Pointer(&ifr[0])); err != nil {
		unix.Close(fd)
		return -1, fmt.Errorf("tap %s: TUNSETIFF: %w", name, err)
	}
	hdrSize := int32(netstack.VnetHdrSize)
	if err := ioctl(fd, unix.TUNSETVNETHDRSZ, unsafe.Pointer(&hdrSize)); err != nil {
		unix.Close(fd)
		return -1, fmt.Errorf("tap %s: TUNSETVNETHDRSZ: %w", name, err)
	}
	if _, _, e := unix.Syscall(unix.SYS_IOCTL, uintptr(fd), unix.TUNSETOFFLOAD, 0); e != 0 {
		unix.Close(fd)
		return -1, fmt.Errorf("tap %s: TUNSETOFFLOAD: %w", name, e)
	}
	return fd, nil
}

// AddressMAC is eth0's hardware address for the IPv4 address ip, as
// Docker makes its containers' (02:42 and the address): locally
// administered, unicast, and the same each time a sandbox with that
// address starts, so that the neighbours' ARP caches stay right when it
// restarts (a new address each run would leave them sending to the old
// one until their entries fail).
func AddressMAC(ip netip.Addr) [6]byte {
	a := ip.As4()
	return [6]byte{0x02, 0x6e, a[0], a[1], a[2], a[3]} // 0x6e: 'n'
}

// RandomMAC is a random, locally administered unicast MAC address.
func RandomMAC() ([6]byte, error) {
	var mac [6]byte
	if _, err := rand.Read(mac[:]); err != nil {
		return mac, err
	}
	mac[0] = mac[0]&^1 | 2 // unicast, locally administered
	return mac, nil
}
