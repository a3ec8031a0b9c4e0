package syscalls

import (
	"encoding/binary"
	"runtime"
	"unsafe"

	"golang.org/x/sys/unix"

	"github.com/netbox-sandbox/netbox/platform"
)

// sizeofIfreq is struct ifreq on x86-64; sizeofIfconf struct ifconf.
const (
	sizeofIfreq  = 40
	sizeofIfconf = 16
	// maxIfconf bounds the buffer SIOCGIFCONF fills for the program.
	maxIfconf = 1 << 16
)

// Interface ioctls (dev_ioctl, devinet_ioctl) that read or write a struct
// ifreq holding no pointer. netbox runs them on a socket in the caller's
// network namespace (Stack.IfSocket): its own sockets' placeholders live
// in another one, whose interfaces are not the program's.
var (
	ifreqGet = map[uint]bool{
		unix.SIOCGIFNAME: true, unix.SIOCGIFFLAGS: true, unix.SIOCGIFADDR: true,
		unix.SIOCGIFDSTADDR: true, unix.SIOCGIFBRDADDR: true, unix.SIOCGIFNETMASK: true,
		unix.SIOCGIFMETRIC: true, unix.SIOCGIFMTU: true, unix.SIOCGIFHWADDR: true,
		unix.SIOCGIFINDEX: true, unix.SIOCGIFTXQLEN: true, unix.SIOCGIFMAP: true,
		unix.SIOCGIFPFLAGS: true,
	}
	// ifreqSet need CAP_NET_ADMIN over the namespace.
	ifreqSet = map[uint]bool{
		unix.SIOCSIFFLAGS: true, unix.SIOCSIFADDR: true, unix.SIOCSIFDSTADDR: true,
		unix.SIOCSIFBRDADDR: true, unix.SIOCSIFNETMASK: true, unix.SIOCSIFMETRIC: true,
		unix.SIOCSIFMTU: true, unix.SIOCSIFNAME: true, unix.SIOCSIFHWADDR: true,
		unix.SIOCSIFTXQLEN: true, unix.SIOCSIFMAP: true, unix.SIOCDIFADDR: true,
		unix.SIOCSIFPFLAGS: true, unix.SIOCADDMULTI: true, unix.SIOCDELMULTI: true,
		unix.SIOCSIFHWBROADCAST: true,
	}
)

// sysIoctl serves the socket ioctls the filter traps on netbox's sockets.
// The interface ioctls run in the caller's namespace (ifIoctl); the others
// run natively on the placeholder: FIONREAD there is what TCP (bytes
// queued) and UDP (the first datagram's length) give.
func sysIoctl(h *Handler, t Task) (platform.Reply, bool) {
	a := t.Call().Args
	req := uint(uint32(a[1]))
	if req == unix.SIOCGIFCONF || ifreqGet[req] || ifreqSet[req] {
		// The namespace as netbox keeps it (eth0 shown there) before
		// any answer about its interfaces, whoever's the fd.
		h.st.SyncConfig(t.Call().Tid)
	}
	ref, native, err := h.lookup(t, a[0])
	switch {
	case err == unix.ENOTSOCK || err == unix.EBADF || native:
		// Not netbox's socket (a pipe's or a terminal's FIONREAD): the
		// fd's own ioctl, natively; a bad fd's EBADF too.
		return platform.Reply{Continue: true}, false
	case err != nil:
		return platform.Errno(errno(err)), false
	}
	defer ref.done()
	return socketIoctl(h, t, ref, req, a[2]), false
}

// socketIoctl is sock_ioctl on a netbox socket. What is not answered here
// runs natively on the placeholder.
func socketIoctl(h *Handler, t Task, ref *sockRef, req uint, arg uint64) platform.Reply {
	s := ref.s
	inet := s.Family == unix.AF_INET || s.Family == unix.AF_INET6
	switch {
	case req == unix.SIOCGIFCONF:
		return result(0, h.ifconf(t, arg))
	case ifreqGet[req] || ifreqSet[req]:
		return result(0, h.ifIoctl(t, req, arg))
	case s.Family == unix.AF_NETLINK:
		// netlink_ioctl knows none (ENOIOCTLCMD), and sock_do_ioctl
		// makes the rest ENOTTY.
		return platform.Errno(int(unix.ENOTTY))
	case (req == unix.TIOCOUTQ || req == unix.SIOCOUTQNSD) && inet && s.Type == unix.SOCK_STREAM && s.Listening():
		return platform.Errno(int(unix.EINVAL)) // tcp_ioctl on a listener
	case req == unix.SIOCATMARK && inet && s.Datagram():
		// udp_ioctl, raw_ioctl and ping have no SIOCATMARK.
		return platform.Errno(int(unix.ENOTTY))
	case req == unix.TIOCINQ && s.Family == unix.AF_VSOCK:
		// vsock_do_ioctl: SIOCINQ needs a transport.
		return platform.Errno(int(unix.EOPNOTSUPP))
	case (req == unix.SIOCADDRT || req == unix.SIOCDELRT) && inet:
		return result(0, h.routeIoctl(t, s.Family, req, arg))
	}
	return platform.Reply{Continue: true}
}

// ifIoctl runs an ifreq ioctl in the caller's namespace: the ifreq is read
// from the program, and written back when a get succeeds.
func (h *Handler) ifIoctl(t Task, req uint, arg uint64) error {
	var ifr [sizeofIfreq]byte
	if err := t.ReadMem(arg, ifr[:]); err != nil {
		return memErr(err)
	}
	if ifreqSet[req] && !threadCapable(t.Call().Tid, unix.CAP_NET_ADMIN) {
		return unix.EPERM // dev_ioctl, devinet_ioctl: ns_capable(CAP_NET_ADMIN)
	}
	fd, err := h.st.IfSocket(t.Call().Tid, unix.AF_INET)
	if err != nil {
		return unix.ENOTTY
	}
	if _, _, e := unix.Syscall(unix.SYS_IOCTL, uintptr(fd), uintptr(req), uintptr(unsafe.Pointer(&ifr[0]))); e != 0 {
		return e
	}
	if ifreqGet[req] {
		return memErr(t.WriteMem(arg, ifr[:]))
	}
	return nil
}

// The routing ioctls' arguments on x86-64: struct rtentry (an AF_INET
// socket's), whose rt_dev points to the device's name, and struct
// in6_rtmsg (an AF_INET6 socket's), which holds no pointer.
const (
	sizeofRtentry  = 120
	rtentryDev     = 88 // offsetof(struct rtentry, rt_dev)
	sizeofIn6Rtmsg = 80
)

// routeIoctl is SIOCADDRT and SIOCDELRT (ip_rt_ioctl for IPv4,
// ipv6_route_ioctl for IPv6), run in the caller's namespace as the
// interface ioctls are; netbox's stack then follows the route from the
// namespace's rtnetlink events. As inet_ioctl: the argument is read
// (EFAULT), CAP_NET_ADMIN checked (EPERM), then rt_dev's IFNAMSIZ-1
// bytes read (EFAULT).
func (h *Handler) routeIoctl(t Task, family int, req uint, arg uint64) error {
	size := sizeofRtentry
	if family == unix.AF_INET6 {
		size = sizeofIn6Rtmsg
	}
	// The device's name goes after the argument, in the same heap
	// buffer, which the kernel reads through rt_dev.
	buf := make([]byte, size+unix.IFNAMSIZ)
	rt := buf[:size]
	if err := t.ReadMem(arg, rt); err != nil {
		return memErr(err)
	}
	if !threadCapable(t.Call().Tid, unix.CAP_NET_ADMIN) {
		return unix.EPERM
	}
	if family == unix.AF_INET {
		if dev := binary.LittleEndian.Uint64(rt[rtentryDev:]); dev != 0 {
			name := buf[size:]
			if err := t.ReadMem(dev, name[:unix.IFNAMSIZ-1]); err != nil {
				return memErr(err)
			}
			binary.LittleEndian.PutUint64(rt[rtentryDev:], uint64(uintptr(unsafe.Pointer(&name[0]))))
		}
	}
	fd, err := h.st.IfSocket(t.Call().Tid, family)
	if err != nil {
		return unix.ENOTTY
	}
	_, _, e := unix.Syscall(unix.SYS_IOCTL, uintptr(fd), uintptr(req), uintptr(unsafe.Pointer(&buf[0])))
	runtime.KeepAlive(buf)
	if e != 0 {
		return e
	}
	h.st.SyncConfig(t.Call().Tid)
	return nil
}

// ifconf is SIOCGIFCONF (dev_ifconf) in the caller's namespace: with a
// NULL buffer the length the whole list needs, else as many whole ifreqs
// as fit, and their length.
func (h *Handler) ifconf(t Task, arg uint64) error {
	var ifc [sizeofIfconf]byte
	if err := t.ReadMem(arg, ifc[:]); err != nil {
		return memErr(err)
	}
	n := int32(binary.LittleEndian.Uint32(ifc[:]))
	ubuf := binary.LittleEndian.Uint64(ifc[8:])
	fd, err := h.st.IfSocket(t.Call().Tid, unix.AF_INET)
	if err != nil {
		return unix.ENOTTY
	}
	var buf []byte
	local := struct {
		len int32
		_   int32
		buf uintptr
	}{}
	if ubuf != 0 {
		if n <= 0 {
			// Nothing fits: ifc_len becomes 0.
			return memErr(t.WriteMem(arg, make([]byte, 4)))
		}
		buf = make([]byte, min(n, maxIfconf))
		local.len = int32(len(buf))
		local.buf = uintptr(unsafe.Pointer(&buf[0]))
	}
	_, _, e := unix.Syscall(unix.SYS_IOCTL, uintptr(fd), unix.SIOCGIFCONF, uintptr(unsafe.Pointer(&local)))
	runtime.KeepAlive(buf)
	if e != 0 {
		return e
	}
	if ubuf != 0 && local.len > 0 {
		if err := t.WriteMem(ubuf, buf[:local.len]); err != nil {
			return memErr(err)
		}
	}
	binary.LittleEndian.PutUint32(ifc[:], uint32(local.len))
	return memErr(t.WriteMem(arg, ifc[:4]))
}
