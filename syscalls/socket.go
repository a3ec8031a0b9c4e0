package syscalls

import (
	"encoding/binary"
	"net/netip"
	"time"

	"golang.org/x/sys/unix"

	"github.com/netbox-sandbox/netbox/netstack"
	"github.com/netbox-sandbox/netbox/platform"
	"github.com/netbox-sandbox/netbox/syscalls/abi"

	"github.com/netbox-sandbox/netbox/netstack/sockaddr"
)

// ipprotoMax is IPPROTO_MAX.
const ipprotoMax = 263

// sockFlags are the flags socket() and accept4() take beside the type.
const sockFlags = unix.SOCK_NONBLOCK | unix.SOCK_CLOEXEC

// sysSocket is __sys_socket for the families netbox serves: the program
// gets a fresh placeholder, injected as the call's result.
func sysSocket(h *Handler, t Task) (platform.Reply, bool) {
	a := t.Call().Args
	family, typ, proto := int(int32(a[0])), int(int32(a[1])), int(int32(a[2]))
	switch family {
	case unix.AF_NETLINK:
		if proto != unix.NETLINK_SOCK_DIAG {
			// The filter lets the others through by the low 32
			// bits; they arrive here only with high garbage, which
			// the kernel ignores as well.
			return platform.Reply{Continue: true}, false
		}
	case unix.AF_UNIX:
		return platform.Reply{Continue: true}, false
	case unix.AF_PACKET:
		// Packet sockets are the kernel's, in the sandbox's namespace,
		// where netbox mirrors its loopback traffic from now on
		// (netstack.Stack.StartCapture).
		h.st.StartCapture(t.Call().Tid)
		return platform.Reply{Continue: true}, false
	case unix.AF_INET, unix.AF_INET6:
		if family == unix.AF_INET && typ&0xf == unix.SOCK_PACKET {
			// __sock_create: the obsolete SOCK_PACKET type of PF_INET
			// is a packet socket (PF_PACKET), the kernel's.
			h.st.StartCapture(t.Call().Tid)
			return platform.Reply{Continue: true}, false
		}
	case unix.AF_VSOCK:
		// netbox's own, reaching nothing (netstack/vsock.go).
	default:
		// The other families are not served: fail as a kernel without
		// them does.
		return platform.Errno(int(unix.EAFNOSUPPORT)), false
	}
	flags := typ &^ 0xf
	typ &= 0xf
	// __sys_socket and __sock_create: unknown flags and types are EINVAL;
	// inet_create's protocol numbers too.
	if flags&^sockFlags != 0 || typ > unix.SOCK_PACKET {
		return platform.Errno(int(unix.EINVAL)), false
	}
	if family != unix.AF_VSOCK && (typ < unix.SOCK_STREAM || proto < 0 || proto >= ipprotoMax) {
		return platform.Errno(int(unix.EINVAL)), false
	}
	h.st.SyncConfig(t.Call().Tid)
	var s *netstack.Socket
	var fd int
	var err error
	switch family {
	case unix.AF_NETLINK:
		s, fd, err = h.st.NewNetlinkSocket(typ, proto, caller{tid: t.Call().Tid})
	case unix.AF_VSOCK:
		s, fd, err = h.st.NewVsockSocket(typ, proto, caller{tid: t.Call().Tid})
	default:
		s, fd, err = h.st.NewSocket(family, typ, proto, caller{tid: t.Call().Tid})
	}
	if err != nil {
		return platform.Errno(errno(err)), false
	}
	defer unix.Close(fd)
	var st unix.Stat_t
	if err := unix.Fstat(fd, &st); err != nil {
		s.Release()
		return platform.Errno(int(unix.ENFILE)), false
	}
	s.Ino = st.Ino
	if flags&unix.SOCK_NONBLOCK != 0 {
		unix.SetNonblock(fd, true)
	}
	if !h.insert(s) {
		s.Release()
		return platform.Errno(int(unix.EMFILE)), false
	}
	nfd, err := t.InstallFD(fd, flags&unix.SOCK_CLOEXEC != 0)
	if err != nil {
		// Interrupted: the program never saw the socket. It asks again.
		h.fds.Remove(s)
		s.Release()
		return platform.Errno(errno(err)), false
	}
	s.Start()
	return platform.Val(int64(nfd)), false
}

// addrUse says what a sockaddr argument is for; the checks differ.
type addrUse int

const (
	forBind addrUse = iota
	forConnect
	forSend
)

// netlinkAddr decodes a struct sockaddr_nl as netlink_bind,
// netlink_connect and netlink_sendmsg check it: the family first for
// connect (AF_UNSPEC dissolves), the length first for the others.
func netlinkAddr(b []byte, op addrUse) (netstack.Addr, error) {
	if op == forConnect && len(b) >= 2 && abi.Family(b) == unix.AF_UNSPEC {
		return netstack.Addr{Family: unix.AF_UNSPEC}, nil
	}
	if len(b) < unix.SizeofSockaddrNetlink || abi.Family(b) != unix.AF_NETLINK {
		return netstack.Addr{}, unix.EINVAL
	}
	return netstack.Addr{Family: unix.AF_NETLINK, NL: netstack.NetlinkAddr{
		Pid:    binary.LittleEndian.Uint32(b[4:]),
		Groups: binary.LittleEndian.Uint32(b[8:]),
	}}, nil
}

// vsockAddr decodes a struct sockaddr_vm as vsock_addr_cast checks it for
// bind and connect (a short one, another family or an unknown flag is
// EINVAL there). A send on a vsock socket refuses any address unread.
func vsockAddr(b []byte, op addrUse) (netstack.Addr, error) {
	if op == forSend {
		return netstack.Addr{Family: unix.AF_VSOCK}, nil
	}
	if len(b) < 16 || abi.Family(b) != unix.AF_VSOCK || b[12]&^unix.VMADDR_FLAG_TO_HOST != 0 {
		return netstack.Addr{}, unix.EINVAL
	}
	return netstack.Addr{Family: unix.AF_VSOCK, VM: netstack.VsockAddr{
		Port:  binary.LittleEndian.Uint32(b[4:]),
		CID:   binary.LittleEndian.Uint32(b[8:]),
		Flags: b[12],
	}}, nil
}

// insert records a new socket. When the sandbox holds --max-sockets
// already, the sockets the program has closed since the last sweep are
// released first; EMFILE only when it really holds that many.
func (h *Handler) insert(s *netstack.Socket) bool {
	if h.fds.Insert(s) {
		return true
	}
	if h.st.Sweep != nil {
		h.st.Sweep()
	}
	return h.fds.Insert(s)
}

// readAddr copies in and decodes the sockaddr argument of a call on s.
// An AF_INET6 datagram socket also takes an AF_INET sockaddr when sending
// (udpv6_sendmsg hands it to udp_sendmsg).
func readAddr(t Task, s *netstack.Socket, ptr, length uint64, op addrUse) (netstack.Addr, error) {
	b, err := abi.CopyInSockaddr(t, ptr, length)
	if err != nil {
		return netstack.Addr{}, err
	}
	return parseAddr(s, b, op)
}

// parseAddr reads a sockaddr copied from the program as s's family does.
func parseAddr(s *netstack.Socket, b []byte, op addrUse) (netstack.Addr, error) {
	switch s.Family {
	case unix.AF_NETLINK:
		return netlinkAddr(b, op)
	case unix.AF_VSOCK:
		return vsockAddr(b, op)
	}
	family := s.Family
	if op != forBind && s.Type == unix.SOCK_DGRAM && s.Protocol != unix.IPPROTO_ICMPV6 && abi.Family(b) == unix.AF_INET {
		// udpv6_sendmsg and __ip6_datagram_connect hand an AF_INET
		// address to the IPv4 code, which checks it as such.
		family = unix.AF_INET
	}
	ia, err := abi.ParseInet(family, b)
	if err != nil {
		if op == forConnect && ia.Family == unix.AF_UNSPEC && len(b) >= 2 {
			// connect(AF_UNSPEC) needs only the family.
			return netstack.Addr{Family: unix.AF_UNSPEC}, nil
		}
		return netstack.Addr{}, err
	}
	return netstack.Addr{Family: ia.Family, AddrPort: ia.Addr}, nil
}

func sysBind(h *Handler, t Task) (platform.Reply, bool) {
	a := t.Call().Args
	return h.withSocket(t, a[0], func(ref *sockRef) (platform.Reply, bool) {
		h.st.SyncConfig(t.Call().Tid) // addresses the program just added
		addr, err := readAddr(t, ref.s, a[1], a[2], forBind)
		if err != nil {
			return platform.Errno(errno(err)), false
		}
		if err := ref.s.Ops.Bind(ref.s, ref.f, addr, caller{tid: t.Call().Tid}); err != nil {
			return platform.Errno(errno(err)), false
		}
		return platform.Val(0), false
	})
}

func sysConnect(h *Handler, t Task) (platform.Reply, bool) {
	a := t.Call().Args
	return h.withSocket(t, a[0], func(ref *sockRef) (platform.Reply, bool) {
		h.st.SyncConfig(t.Call().Tid) // addresses the program just added
		addr, err := readAddr(t, ref.s, a[1], a[2], forConnect)
		if err != nil {
			return platform.Errno(errno(err)), false
		}
		s := ref.s
		return h.retry(t, ref, false, s.Timeout(true), int(unix.EINPROGRESS), func() (platform.Reply, error) {
			err := s.Ops.Connect(s, ref.f, addr)
			return result(0, err), err
		})
	})
}

func sysListen(h *Handler, t Task) (platform.Reply, bool) {
	a := t.Call().Args
	return h.withSocket(t, a[0], func(ref *sockRef) (platform.Reply, bool) {
		return result(0, ref.s.Ops.Listen(ref.s, ref.f, int(int32(a[1])))), false
	})
}

func sysAccept(h *Handler, t Task) (platform.Reply, bool) {
	a := t.Call().Args
	return h.accept(t, a[0], a[1], a[2], 0)
}

func sysAccept4(h *Handler, t Task) (platform.Reply, bool) {
	a := t.Call().Args
	return h.accept(t, a[0], a[1], a[2], int(int32(a[3])))
}

// accept is do_accept, emulated: netbox takes the connection off the
// placeholder, writes its TCP peer address and installs the new
// placeholder as the call's result. A bad address buffer loses the
// connection, as on Linux; a connection whose hand-over fails because the
// call was interrupted goes back to the listener, as if the signal had
// come first.
func (h *Handler) accept(t Task, fd, addrPtr, lenPtr uint64, flags int) (platform.Reply, bool) {
	if flags&^sockFlags != 0 {
		return platform.Errno(int(unix.EINVAL)), false
	}
	return h.withSocket(t, fd, func(ref *sockRef) (platform.Reply, bool) {
		s := ref.s
		return h.retry(t, ref, false, s.Timeout(false), int(unix.EAGAIN), func() (platform.Reply, error) {
			acc, err := s.Ops.Accept(s, ref.f)
			if err != nil {
				return result(0, err), err
			}
			if flags&unix.SOCK_NONBLOCK != 0 {
				unix.SetNonblock(acc.FD, true)
			}
			if addrPtr == 0 {
				// No address wanted.
			} else if err := abi.CopyOutSockaddr(t, addrPtr, lenPtr, sockaddr.Inet(s.Family, acc.Peer)); err != nil {
				// Like do_accept: the connection was taken off the queue
				// and is closed.
				unix.Close(acc.FD)
				return platform.Errno(errno(err)), nil
			}
			if !h.insert(acc.Socket) {
				s.Unaccept(acc)
				return platform.Errno(int(unix.EMFILE)), nil
			}
			nfd, err := t.InstallFD(acc.FD, flags&unix.SOCK_CLOEXEC != 0)
			if err != nil {
				h.fds.Remove(acc.Socket)
				s.Unaccept(acc)
				return platform.Errno(errno(err)), nil
			}
			unix.Close(acc.FD)
			acc.Socket.Start()
			return platform.Val(int64(nfd)), nil
		})
	})
}

func sysGetsockname(h *Handler, t Task) (platform.Reply, bool) {
	return h.getName(t, false)
}

func sysGetpeername(h *Handler, t Task) (platform.Reply, bool) {
	return h.getName(t, true)
}

func (h *Handler) getName(t Task, peer bool) (platform.Reply, bool) {
	a := t.Call().Args
	return h.withSocket(t, a[0], func(ref *sockRef) (platform.Reply, bool) {
		sa, err := ref.s.Ops.Name(ref.s, ref.f, peer)
		if err != nil {
			return platform.Errno(errno(err)), false
		}
		return result(0, abi.CopyOutSockaddr(t, a[1], a[2], sa)), false
	})
}

func sysShutdown(h *Handler, t Task) (platform.Reply, bool) {
	a := t.Call().Args
	return h.withSocket(t, a[0], func(ref *sockRef) (platform.Reply, bool) {
		return result(0, ref.s.Ops.Shutdown(ref.s, ref.f, int(int32(a[1])))), false
	})
}

func sysSetsockopt(h *Handler, t Task) (platform.Reply, bool) {
	a := t.Call().Args
	return h.withSocket(t, a[0], func(ref *sockRef) (platform.Reply, bool) {
		val, err := abi.NewOptval(t, a[3], a[4])
		if err != nil {
			return platform.Errno(errno(err)), false
		}
		withCaller := callerOptval{Optval: val, caller: caller{tid: t.Call().Tid}}
		return result(0, ref.s.Ops.SetSockOpt(ref.s, ref.f, int(int32(a[1])), int(int32(a[2])), withCaller)), false
	})
}

func sysGetsockopt(h *Handler, t Task) (platform.Reply, bool) {
	a := t.Call().Args
	return h.withSocket(t, a[0], func(ref *sockRef) (platform.Reply, bool) {
		optlen, err := abi.ReadOptlen(t, a[4])
		if err != nil {
			return platform.Errno(errno(err)), false
		}
		val, err := ref.s.Ops.GetSockOpt(ref.s, ref.f, int(int32(a[1])), int(int32(a[2])), optlen)
		if err != nil {
			return platform.Errno(errno(err)), false
		}
		return result(0, abi.WriteOptval(t, a[3], a[4], optlen, val)), false
	})
}

// zeroAddr is the address recvfrom reports for a socket without one.
var zeroAddr = netip.AddrPort{}

// timeoutOf converts a socket timeout.
func timeoutOf(tv unix.Timeval) time.Duration {
	return time.Duration(tv.Sec)*time.Second + time.Duration(tv.Usec)*time.Microsecond
}
