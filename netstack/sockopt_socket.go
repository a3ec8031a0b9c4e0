package netstack

import (
	"encoding/binary"
	"strings"
	"unsafe"

	"golang.org/x/sys/unix"

	"github.com/netbox-sandbox/netbox/netstack/sockaddr"
)

// SOL_SOCKET options that are not plain ints kept by netbox: the buffer
// sizes, the read-only ones, the placeholder's own (placeholderOpts) and
// SO_BINDTODEVICE. Like sk_setsockopt and sk_getsockopt.

// setSocketSpecial sets the SOL_SOCKET options the table does not
// describe; done is false for the others. optlen is at least an int.
func (s *Socket) setSocketSpecial(f, name int, val Optval) (done bool, err error) {
	o := &s.sk.opts
	switch name {
	case unix.SO_TYPE, unix.SO_ERROR, unix.SO_DOMAIN, unix.SO_PROTOCOL, unix.SO_ACCEPTCONN,
		unix.SO_PEERCRED:
		return true, unix.ENOPROTOOPT
	case unix.SO_PASSCRED, unix.SO_PASSPIDFD, unix.SO_PASSSEC, unix.SO_PASSRIGHTS:
		// Since Linux 6.16 only AF_UNIX, netlink and Bluetooth sockets
		// take SO_PASSCRED and SO_PASSSEC (sk_may_scm_recv), only AF_UNIX
		// SO_PASSPIDFD and SO_PASSRIGHTS.
		if _, err := intOf(val); err != nil {
			return true, err
		}
		return true, unix.EOPNOTSUPP
	case unix.SO_SNDBUF, unix.SO_SNDBUFFORCE:
		if name == unix.SO_SNDBUFFORCE && !val.Capable(capNetAdmin) {
			return true, unix.EPERM
		}
		v, err := bufSize(val, name == unix.SO_SNDBUF, wmemMax, sockMinSndbuf)
		if err == nil {
			o.sndBuf = v
			o.sndBufLocked = true
		}
		return true, err
	case unix.SO_BUF_LOCK:
		// SOCK_SNDBUF_LOCK 1, SOCK_RCVBUF_LOCK 2.
		v, err := intOf(val)
		if err != nil {
			return true, err
		}
		if v&^3 != 0 {
			return true, unix.EINVAL
		}
		o.sndBufLocked, o.rcvBufLocked = v&1 != 0, v&2 != 0
		return true, nil
	case unix.SO_CNX_ADVICE:
		return true, nil // dst_negative_advice: no route to renew
	case unix.SO_MAX_PACING_RATE:
		// An unsigned int (~0U meaning ~0UL), or an unsigned long
		// when optlen holds one. No qdisc paces the sandbox's
		// traffic: kept and read back.
		b, err := val.Read(min(val.Len(), 8))
		if err != nil {
			return true, err
		}
		v := uint64(binary.LittleEndian.Uint32(b))
		if v == 0xFFFFFFFF {
			v = ^uint64(0)
		}
		if len(b) == 8 {
			v = binary.LittleEndian.Uint64(b)
		}
		o.maxPacingRate = ^v
		return true, nil
	case unix.SO_RESERVE_MEM:
		v, err := intOf(val)
		if err != nil {
			return true, err
		}
		if v < 0 {
			return true, unix.EINVAL
		}
		// sock_reserve_memory: netbox's sockets are charged to no
		// memory cgroup.
		return true, unix.EOPNOTSUPP
	case unix.SO_BINDTOIFINDEX:
		// sock_bindtoindex_locked: any index not negative, changed
		// only with CAP_NET_RAW.
		v, err := intOf(val)
		if err != nil {
			return true, err
		}
		if o.bindDev != 0 && !val.Capable(capNetRaw) {
			return true, unix.EPERM
		}
		if v < 0 {
			return true, unix.EINVAL
		}
		o.bindDev = v
		return true, nil
	case unix.SO_BUSY_POLL_BUDGET:
		// Set only (sk_getsockopt has no case for it).
		v, err := intOf(val)
		if err != nil {
			return true, err
		}
		if v > o.busyPollBudget && !val.Capable(capNetAdmin) {
			return true, unix.EPERM
		}
		if v < 0 || v > 0xFFFF {
			return true, unix.EINVAL
		}
		o.busyPollBudget = v
		return true, nil
	case unix.SO_DETACH_FILTER:
		return true, unix.ENOENT // sk_detach_filter: no filter attached
	case unix.SO_DETACH_REUSEPORT_BPF:
		// reuseport_detach_prog: no program in the group, or no group.
		if o.get(unix.SOL_SOCKET, unix.SO_REUSEPORT) != 0 {
			return true, unix.ENOENT
		}
		return true, unix.EINVAL
	case unix.SO_TXREHASH:
		v, err := intOf(val)
		if err != nil {
			return true, err
		}
		if s.Protocol != unix.IPPROTO_TCP || s.Type != unix.SOCK_STREAM {
			return true, unix.EOPNOTSUPP
		}
		if v < -1 || v > 1 {
			return true, unix.EINVAL
		}
		if v == -1 {
			v = 1 // SOCK_TXREHASH_DEFAULT: net.core.txrehash
		}
		o.set(unix.SOL_SOCKET, unix.SO_TXREHASH, v)
		return true, nil
	case unix.SO_DEVMEM_DONTNEED:
		// sock_devmem_dontneed: TCP's, with whole struct dmabuf_token
		// (8 bytes each, at most 128); none is held, none is freed.
		if s.Protocol != unix.IPPROTO_TCP || s.Type != unix.SOCK_STREAM {
			return true, unix.EBADF
		}
		if n := val.Len(); n%8 != 0 || n > 8*128 {
			return true, unix.EINVAL
		}
		_, err := val.Read(val.Len())
		return true, err
	case unix.SO_RCVBUF, unix.SO_RCVBUFFORCE:
		if name == unix.SO_RCVBUFFORCE && !val.Capable(capNetAdmin) {
			return true, unix.EPERM
		}
		v, err := bufSize(val, name == unix.SO_RCVBUF, rmemMax, sockMinRcvbuf)
		if err == nil {
			o.rcvBuf = v
			o.rcvBufLocked = true
			s.sk.rcvbuf.Store(v)
		}
		return true, err
	}
	return false, nil
}

// getSocketSpecial reads the SOL_SOCKET options the table does not
// describe; done is false for the others.
func (s *Socket) getSocketSpecial(f, name, size int) (b []byte, done bool, err error) {
	o := &s.sk.opts
	switch name {
	case unix.SO_TYPE:
		return intBytes(int32(s.Type)), true, nil
	case unix.SO_DOMAIN:
		return intBytes(int32(s.Family)), true, nil
	case unix.SO_PROTOCOL:
		return intBytes(int32(s.Protocol)), true, nil
	case unix.SO_ACCEPTCONN:
		if s.sk.listening {
			return intBytes(1), true, nil
		}
		return intBytes(0), true, nil
	case unix.SO_ERROR:
		return s.soError(f), true, nil
	case unix.SO_SNDBUF:
		return intBytes(o.sndBuf), true, nil
	case unix.SO_RCVBUF:
		return intBytes(o.rcvBuf), true, nil
	case unix.SO_PASSCRED, unix.SO_PASSPIDFD, unix.SO_PASSSEC, unix.SO_PASSRIGHTS:
		return nil, true, unix.EOPNOTSUPP
	case unix.SO_MAX_PACING_RATE:
		v := ^o.maxPacingRate
		if size >= 8 {
			return binary.LittleEndian.AppendUint64(nil, v), true, nil
		}
		return binary.LittleEndian.AppendUint32(nil, uint32(min(v, 0xFFFFFFFF))), true, nil
	case unix.SO_RESERVE_MEM:
		return intBytes(0), true, nil
	case unix.SO_BINDTOIFINDEX:
		return intBytes(o.bindDev), true, nil
	case unix.SO_BUF_LOCK:
		var v int32
		if o.sndBufLocked {
			v |= 1
		}
		if o.rcvBufLocked {
			v |= 2
		}
		return intBytes(v), true, nil
	case unix.SO_TXREHASH:
		if s.Protocol != unix.IPPROTO_TCP || s.Type != unix.SOCK_STREAM {
			return nil, true, unix.EOPNOTSUPP
		}
		v := int32(1) // net.core.txrehash
		if w, ok := o.flags[[2]int{unix.SOL_SOCKET, unix.SO_TXREHASH}]; ok {
			v = w
		}
		return intBytes(v), true, nil
	case unix.SO_COOKIE:
		// sock_gen_cookie: netbox's cookie is the placeholder's inode,
		// as sock_diag reports it.
		if size < 8 {
			return nil, true, unix.EINVAL
		}
		return binary.LittleEndian.AppendUint64(nil, s.Ino), true, nil
	case unix.SO_MEMINFO:
		// sk_get_meminfo: what netbox accounts (a UDP socket's receive
		// charge and drops), the buffer sizes; nothing else is held.
		m := make([]byte, 4*unix.SK_MEMINFO_VARS)
		put := func(i int, v uint32) { binary.LittleEndian.PutUint32(m[4*i:], v) }
		if s.isUDP() && s.State != SSConnected {
			charged, drops, _ := s.rcvQueueState()
			put(unix.SK_MEMINFO_RMEM_ALLOC, uint32(charged))
			put(unix.SK_MEMINFO_DROPS, drops)
		}
		put(unix.SK_MEMINFO_RCVBUF, uint32(o.rcvBuf))
		put(unix.SK_MEMINFO_SNDBUF, uint32(o.sndBuf))
		return m, true, nil
	case unix.SO_PEERGROUPS, unix.SO_PEERPIDFD:
		return nil, true, unix.ENODATA // an inet socket has no peer credentials
	case unix.SO_PEERNAME:
		// getname(peer) as a sockaddr; an optlen beyond it is EINVAL.
		if s.State != SSConnected {
			return nil, true, unix.ENOTCONN
		}
		sa := sockaddr.Inet(s.Family, s.sk.remote)
		if len(sa) < size {
			return nil, true, unix.EINVAL
		}
		return sa, true, nil
	case unix.SO_PEERCRED:
		// An inet socket has no peer credentials: cred_to_ucred of
		// nothing is pid 0, uid and gid -1.
		b := make([]byte, 12)
		binary.LittleEndian.PutUint32(b[4:], ^uint32(0))
		binary.LittleEndian.PutUint32(b[8:], ^uint32(0))
		return b, true, nil
	case unix.SO_BINDTODEVICE:
		// sock_getbindtodevice: nothing when unbound, else the name
		// with its NUL, into a buffer of at least IFNAMSIZ.
		if o.bindDev == 0 {
			return nil, true, nil
		}
		if size < unix.IFNAMSIZ {
			return nil, true, unix.EINVAL
		}
		return []byte("lo\x00"), true, nil
	}
	return nil, false, nil
}

// soError is SO_ERROR: the pending error, taken.
func (s *Socket) soError(f int) []byte {
	var err error
	if s.Datagram() {
		err = s.takeDgramError(f)
	} else {
		err = s.takeStreamError(f)
	}
	if e, ok := err.(unix.Errno); ok {
		return intBytes(int32(e))
	}
	return intBytes(0)
}

// takeStreamError is sock_error for a stream socket: its pending error,
// cleared. s.mu is held; f is the placeholder, or -1.
func (s *Socket) takeStreamError(f int) error {
	err := s.sk.err
	s.sk.err = nil
	if s.sk.asyncFailed && f >= 0 {
		s.sk.asyncFailed = false
		unix.GetsockoptInt(f, unix.SOL_SOCKET, unix.SO_ERROR) // its reset is err
	}
	if err == nil {
		err = s.sk.netErr.take()
	}
	if err == nil && f >= 0 {
		// A native connection's errors (a reset: the peer closed
		// with data unread) are the placeholder's own.
		if v, gerr := unix.GetsockoptInt(f, unix.SOL_SOCKET, unix.SO_ERROR); gerr == nil && v != 0 {
			err = unix.Errno(v)
		}
	}
	if err != nil && s.State == SSConnected {
		s.sk.reset = true
	}
	return err
}

// setBindToDevice is sock_setbindtodevice: an interface name (cut to
// IFNAMSIZ-1 bytes; "" or an optlen of 0 unbinds). The sandbox has one
// interface, lo; another name is ENODEV. Changing a binding needs
// CAP_NET_RAW (sock_bindtoindex_locked).
func (s *Socket) setBindToDevice(val Optval) error {
	n := min(val.Len(), unix.IFNAMSIZ-1)
	b, err := val.Read(n)
	if err != nil {
		return err
	}
	name, _, _ := strings.Cut(string(b), "\x00")
	var index int32
	switch name {
	case "":
	case "lo":
		index = int32(loNIC)
	default:
		return unix.ENODEV
	}
	if s.sk.opts.bindDev != 0 && !val.Capable(capNetRaw) {
		return unix.EPERM
	}
	s.sk.opts.bindDev = index
	return nil
}

// setNative sets an option on the placeholder itself (placeholderOpts),
// where the host kernel applies sk_setsockopt's generic rules, and keeps
// the timeouts netbox's own waits need.
func (s *Socket) setNative(f, name int, val Optval) error {
	if f < 0 {
		return unix.ENOPROTOOPT
	}
	b, err := val.Read(min(val.Len(), 64))
	if err != nil {
		return err
	}
	if name == unix.SO_RCVLOWAT && s.Type == unix.SOCK_STREAM && len(b) >= 4 {
		// tcp_set_rcvlowat: at most half the receive buffer (or of
		// tcp_rmem[2] while the program has not sized it).
		v := int32(binary.LittleEndian.Uint32(b))
		if v < 0 {
			v = 1<<31 - 1
		}
		limit := int32(tcpRmemMax >> 1)
		if s.sk.opts.rcvBufLocked {
			limit = s.sk.opts.rcvBuf >> 1
		}
		b = intBytes(min(v, limit))
	}
	if err := setsockoptBytes(f, unix.SOL_SOCKET, name, b); err != nil {
		return err
	}
	s.sk.opts.nativeSet = true
	switch name {
	case unix.SO_RXQ_OVFL:
		s.sk.rxqOvfl.Store(len(b) >= 4 && binary.LittleEndian.Uint32(b) != 0)
	case unix.SO_LINGER:
		if l, err := unix.GetsockoptLinger(f, unix.SOL_SOCKET, unix.SO_LINGER); err == nil {
			s.sk.opts.lingerZero = l.Onoff != 0 && l.Linger == 0
			s.syncAbortive()
		}
	case unix.SO_RCVTIMEO, unix.SO_RCVTIMEO_NEW:
		if tv, err := unix.GetsockoptTimeval(f, unix.SOL_SOCKET, unix.SO_RCVTIMEO); err == nil {
			s.sk.opts.rcvTimeo = *tv
		}
	case unix.SO_SNDTIMEO, unix.SO_SNDTIMEO_NEW:
		if tv, err := unix.GetsockoptTimeval(f, unix.SOL_SOCKET, unix.SO_SNDTIMEO); err == nil {
			s.sk.opts.sndTimeo = *tv
		}
	}
	return nil
}

// syncAbortive tells a netstack-path connection's pump whether the
// program's close is to reset the connection: SO_LINGER {1, 0}, and its
// side not shut for writing (after shutdown(SHUT_WR) the FIN is out and
// the close sends no RST). s.mu is held.
func (s *Socket) syncAbortive() {
	if s.sk.netErr != nil {
		s.sk.netErr.abortive.Store(s.sk.opts.lingerZero && s.sk.shutdown&(unix.SHUT_WR+1) == 0)
	}
}

// getNative reads an option of the placeholder itself.
func getNative(f, name int) ([]byte, error) {
	if f < 0 {
		return nil, unix.ENOPROTOOPT
	}
	b := make([]byte, 64)
	n, err := getsockoptBytes(f, unix.SOL_SOCKET, name, b)
	if err != nil {
		return nil, err
	}
	return b[:n], nil
}

// copyNative gives an accepted connection's placeholder the options its
// listener's placeholder has (sk_clone_lock copies the whole sock).
func copyNative(from, to int) {
	b := make([]byte, 64)
	for _, name := range inheritedNative {
		if n, err := getsockoptBytes(from, unix.SOL_SOCKET, name, b); err == nil {
			setsockoptBytes(to, unix.SOL_SOCKET, name, b[:n])
		}
	}
}

// checkDebug: SO_DEBUG needs CAP_NET_ADMIN to turn on (EACCES).
func checkDebug(s *Socket, v int32, val Optval) (int32, error) {
	if v != 0 && !val.Capable(capNetAdmin) {
		return 0, unix.EACCES
	}
	return v, nil
}

// checkPriority: a priority outside 0..6 needs CAP_NET_RAW or
// CAP_NET_ADMIN (sk_set_prio_allowed).
func checkPriority(s *Socket, v int32, val Optval) (int32, error) {
	if (v < 0 || v > 6) && !val.Capable(capNetRaw) && !val.Capable(capNetAdmin) {
		return 0, unix.EPERM
	}
	return v, nil
}

// checkLockFilter: a locked socket filter stays locked (EPERM).
func checkLockFilter(s *Socket, v int32, val Optval) (int32, error) {
	if s.sk.opts.get(unix.SOL_SOCKET, unix.SO_LOCK_FILTER) != 0 && v == 0 {
		return 0, unix.EPERM
	}
	return v, nil
}

// checkPreferBusyPoll: turning SO_PREFER_BUSY_POLL on needs CAP_NET_ADMIN.
func checkPreferBusyPoll(s *Socket, v int32, val Optval) (int32, error) {
	if v != 0 && !val.Capable(capNetAdmin) {
		return 0, unix.EPERM
	}
	return v, nil
}

// checkMark: SO_MARK needs CAP_NET_RAW or CAP_NET_ADMIN.
func checkMark(s *Socket, v int32, val Optval) (int32, error) {
	if !val.Capable(capNetRaw) && !val.Capable(capNetAdmin) {
		return 0, unix.EPERM
	}
	return v, nil
}

// setsockoptBytes is setsockopt(2) with the value as bytes.
func setsockoptBytes(fd, level, name int, b []byte) error {
	var p unsafe.Pointer
	if len(b) > 0 {
		p = unsafe.Pointer(&b[0])
	}
	_, _, e := unix.Syscall6(unix.SYS_SETSOCKOPT, uintptr(fd), uintptr(level), uintptr(name), uintptr(p), uintptr(len(b)), 0)
	if e != 0 {
		return e
	}
	return nil
}

// getsockoptBytes is getsockopt(2) into b; it returns the length the
// kernel wrote.
func getsockoptBytes(fd, level, name int, b []byte) (int, error) {
	l := uint32(len(b))
	_, _, e := unix.Syscall6(unix.SYS_GETSOCKOPT, uintptr(fd), uintptr(level), uintptr(name),
		uintptr(unsafe.Pointer(&b[0])), uintptr(unsafe.Pointer(&l)), 0)
	if e != 0 {
		return 0, e
	}
	return int(l), nil
}
