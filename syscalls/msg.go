package syscalls

import (
	"encoding/binary"

	"golang.org/x/sys/unix"

	"github.com/netbox-sandbox/netbox/netstack"
	"github.com/netbox-sandbox/netbox/platform"
	"github.com/netbox-sandbox/netbox/syscalls/abi"

	"github.com/netbox-sandbox/netbox/netstack/sockaddr"
)

// maxStreamChunk bounds what one emulated stream send copies through
// netbox; a larger send returns a partial count, which stream sockets allow.
const maxStreamChunk = 1 << 20

// maxUDPPayload is the largest datagram udp_sendmsg, raw_sendmsg and
// ping_common_sendmsg take (len > 0xFFFF is EMSGSIZE).
const maxUDPPayload = 0xFFFF

// sendCap is how much of a send netbox reads from the program.
func sendCap(s *netstack.Socket) int {
	if s.Type == unix.SOCK_STREAM {
		return maxStreamChunk
	}
	return maxUDPPayload + 1
}

// outMsg is what one send carries, read from the program.
type outMsg struct {
	data  []byte         // the payload, up to what netbox copies
	total uint64         // the payload's full length
	to    *netstack.Addr // the destination, when given
	ctl   []byte         // msg_control
	// fault: the payload could not be read. The protocol copies it
	// last, so its own checks still come first (netstack.SendFault).
	fault bool
}

// send runs one emulated send of m, waiting when the socket is blocking.
// EPIPE raises SIGPIPE unless MSG_NOSIGNAL, as sk_stream_error does.
func (h *Handler) send(t Task, ref *sockRef, m outMsg, flags int) (platform.Reply, bool) {
	s := ref.s
	if s.Datagram() && m.total > maxUDPPayload {
		return platform.Errno(errno(s.SendTooBig(m.to))), false
	}
	return h.retry(t, ref, flags&unix.MSG_DONTWAIT != 0, s.Timeout(true), int(unix.EAGAIN), func() (platform.Reply, error) {
		return sendOnce(t, ref, m, flags)
	})
}

// sendOnce is one attempt at a send; it does not wait and does not answer.
func sendOnce(t Task, ref *sockRef, m outMsg, flags int) (platform.Reply, error) {
	s := ref.s
	var n int
	var err error
	if m.fault {
		err = s.SendFault(m.to)
	} else {
		n, err = s.Ops.SendMsg(s, ref.f, m.data, m.to, m.ctl, flags&^(unix.MSG_DONTWAIT|unix.MSG_NOSIGNAL))
	}
	if err == unix.EPIPE && flags&unix.MSG_NOSIGNAL == 0 && s.Type == unix.SOCK_STREAM {
		unix.Syscall(unix.SYS_TKILL, uintptr(t.Call().Tid), uintptr(unix.SIGPIPE), 0)
	}
	return result(int64(n), err), err
}

// recv runs one emulated receive of up to size bytes; deliver writes the
// result into the program and returns the call's value.
func (h *Handler) recv(t Task, ref *sockRef, size int, flags int, deliver func(*netstack.RecvResult) (int64, error)) (platform.Reply, bool) {
	s := ref.s
	return h.retry(t, ref, flags&unix.MSG_DONTWAIT != 0, s.Timeout(false), int(unix.EAGAIN), func() (platform.Reply, error) {
		r, err := s.Ops.RecvMsg(s, ref.f, size, flags&^unix.MSG_DONTWAIT)
		if err != nil {
			return result(0, err), err
		}
		v, err := deliver(r)
		return result(v, err), nil
	})
}

// recvSize bounds a receive buffer: a datagram is at most 64 KiB, a stream
// read returns what is there.
func recvSize(s *netstack.Socket, n uint64) int {
	return int(min(n, abi.MaxDatagramRead))
}

// sysSendto is trapped when it carries an address or sends nothing.
func sysSendto(h *Handler, t Task) (platform.Reply, bool) {
	a := t.Call().Args
	return h.withSocket(t, a[0], func(ref *sockRef) (platform.Reply, bool) {
		var dst *netstack.Addr
		// Like __sys_sendto: a NULL address is no address, whatever
		// its length.
		if a[4] != 0 {
			b, err := abi.CopyInSockaddr(t, a[4], a[5])
			if err != nil {
				return platform.Errno(errno(err)), false
			}
			if dst, err = sendName(ref.s, b); err != nil {
				return platform.Errno(errno(err)), false
			}
		}
		length := min(a[2], abi.MaxRWCount)
		data := make([]byte, min(int(length), sendCap(ref.s)))
		fault := t.ReadMem(a[1], data) != nil
		return h.send(t, ref, outMsg{data: data, total: length, to: dst, fault: fault}, int(int32(a[3])))
	})
}

// sysRecvfrom is trapped only when it asks for the source address.
func sysRecvfrom(h *Handler, t Task) (platform.Reply, bool) {
	a := t.Call().Args
	buf, length, flags, addrPtr, lenPtr := a[1], a[2], int(int32(a[3])), a[4], a[5]
	return h.withSocket(t, a[0], func(ref *sockRef) (platform.Reply, bool) {
		// Like __sys_recvfrom: the address and its length are looked at
		// only once something was received (move_addr_to_user).
		s := ref.s
		return h.recv(t, ref, recvSize(s, length), flags, func(r *netstack.RecvResult) (int64, error) {
			sa := sourceName(s, r)
			// The data, the address and its length in one write; if
			// any of it fails, again one after the other for the errno.
			var w abi.Writes
			w.Add(buf, r.Data)
			if addrPtr == 0 || abi.SockaddrWrites(&w, t, addrPtr, lenPtr, sa) == nil {
				if w.Flush(t) == nil {
					return recvValue(r, flags), nil
				}
			}
			if err := t.WriteMem(buf, r.Data); err != nil {
				return 0, unix.EFAULT
			}
			if addrPtr != 0 {
				if err := abi.CopyOutSockaddr(t, addrPtr, lenPtr, sa); err != nil {
					return 0, err
				}
			}
			return recvValue(r, flags), nil
		})
	})
}

// sourceName is a received message's source as a sockaddr: the one the
// protocol gave, or its address in the socket's family; nil for none.
func sourceName(s *netstack.Socket, r *netstack.RecvResult) []byte {
	switch {
	case r.Name != nil:
		return r.Name
	case r.HasFrom:
		return sockaddr.Inet(s.Family, r.From)
	}
	return nil
}

// recvValue is what a receive returns: the bytes copied, or with MSG_TRUNC
// on a datagram socket the datagram's real length.
func recvValue(r *netstack.RecvResult, flags int) int64 {
	if flags&unix.MSG_TRUNC != 0 && r.HasFrom {
		return int64(r.Total)
	}
	return int64(len(r.Data))
}

// readMsghdr reads sendmsg's or recvmsg's msghdr (a negative msg_namelen
// is EINVAL). It reports native=true for a message on a TCP socket with
// neither address nor control data: the call then runs natively on the
// placeholder, the connection's own data path. (A vsock stream socket has
// no connection and no data path.)
func readMsghdr(t Task, ref *sockRef, addr uint64) (msg abi.Msghdr, native bool, err error) {
	msg, err = abi.ReadMsghdr(t, addr)
	if err != nil {
		return msg, false, err
	}
	if msg.Name != 0 && int32(msg.NameLen) < 0 {
		return msg, false, unix.EINVAL // __copy_msghdr: a NULL name has length 0
	}
	// A stream socket that neither is connected nor connecting has no
	// data path: netbox answers (tcp_sendmsg's EPIPE where AF_UNIX would
	// say ENOTCONN). A connecting one's placeholder already behaves as
	// SYN_SENT does (EAGAIN), so it runs natively.
	native = ref.s.Type == unix.SOCK_STREAM && ref.s.Family != unix.AF_VSOCK && msg.Name == 0 && msg.ControlLen == 0 &&
		ref.s.State != netstack.SSUnconnected
	return msg, native, nil
}

func sysSendmsg(h *Handler, t Task) (platform.Reply, bool) {
	a := t.Call().Args
	return h.withSocket(t, a[0], func(ref *sockRef) (platform.Reply, bool) {
		msg, native, err := readMsghdr(t, ref, a[1])
		switch {
		case err != nil:
			return platform.Errno(errno(err)), false
		case native && !sendsNothing(t, msg):
			return platform.Reply{Continue: true}, false
		}
		return h.sendmsg(t, ref, msg, int(int32(a[2])))
	})
}

// sendsNothing tells whether msg's iovecs add up to zero bytes (the
// placeholder's empty send would fail where TCP's succeeds: see
// inetStreamOps.SendMsg). Iovecs it cannot read are left to the native
// call, which reports them.
func sendsNothing(t Task, msg abi.Msghdr) bool {
	if msg.IovLen == 0 {
		return true
	}
	iov, err := abi.ReadIovecs(t, msg.Iov, msg.IovLen)
	return err == nil && abi.TotalLen(iov) == 0
}

// sendmsg is ____sys_sendmsg for one message.
func (h *Handler) sendmsg(t Task, ref *sockRef, msg abi.Msghdr, flags int) (platform.Reply, bool) {
	m, err := readSendmsg(t, ref, msg)
	if err != nil {
		return platform.Errno(errno(err)), false
	}
	return h.send(t, ref, m, flags)
}

// readSendmsg reads what a msghdr sends: the destination when there is
// one, the payload, and the control messages.
func readSendmsg(t Task, ref *sockRef, msg abi.Msghdr) (m outMsg, err error) {
	// Like __copy_msghdr: a longer msg_namelen is cut to
	// sizeof(struct sockaddr_storage).
	nameLen := min(msg.NameLen, abi.SockaddrStorageSize)
	if msg.Name != 0 && nameLen != 0 {
		b, err := abi.CopyInSockaddr(t, msg.Name, uint64(nameLen))
		if err != nil {
			return m, err
		}
		if m.to, err = sendName(ref.s, b); err != nil {
			return m, err
		}
	}
	iov, err := abi.ReadIovecs(t, msg.Iov, msg.IovLen)
	if err != nil {
		return m, err
	}
	if m.ctl, err = abi.ReadControl(t, msg.Control, msg.ControlLen); err != nil {
		return m, err
	}
	m.total = abi.TotalLen(iov)
	m.data, err = abi.Gather(t, iov, sendCap(ref.s))
	m.fault = err != nil
	return m, nil
}

// sendName is the protocol's reading of the address a send names, which
// move_addr_to_kernel copied: TCP ignores it (tcp_sendmsg reads msg_name
// only for Fast Open), a connected stream socket too; a datagram socket
// sends there.
func sendName(s *netstack.Socket, b []byte) (*netstack.Addr, error) {
	if s.Type == unix.SOCK_STREAM && (s.Family == unix.AF_INET || s.Family == unix.AF_INET6) {
		return nil, nil
	}
	if !s.Datagram() && s.State == netstack.SSConnected {
		return nil, nil
	}
	to, err := parseAddr(s, b, forSend)
	if err != nil {
		return nil, err
	}
	return &to, nil
}

func sysRecvmsg(h *Handler, t Task) (platform.Reply, bool) {
	a := t.Call().Args
	return h.withSocket(t, a[0], func(ref *sockRef) (platform.Reply, bool) {
		msg, native, err := readMsghdr(t, ref, a[1])
		switch {
		case err != nil:
			return platform.Errno(errno(err)), false
		case native:
			return platform.Reply{Continue: true}, false
		}
		return h.recvmsg(t, ref, a[1], msg, int(int32(a[2])))
	})
}

// deliverMsgAtOnce writes everything deliverMsg writes with one
// process_vm_writev: the data, the source address, the control messages
// and the msghdr's results. It fails when any of it cannot be written.
func deliverMsgAtOnce(t Task, s *netstack.Socket, msgAddr uint64, msg abi.Msghdr, iov []abi.Iovec, r *netstack.RecvResult) error {
	var w abi.Writes
	abi.ScatterWrites(&w, iov, r.Data)
	var nameLen uint32
	if r.HasFrom && msg.Name != 0 {
		sa := sourceName(s, r)
		w.Add(msg.Name, sa[:min(int(msg.NameLen), len(sa))])
		nameLen = uint32(len(sa))
	}
	ctl, flagsOut := abi.EncodeControl(msg.Control, msg.ControlLen, r.Control, r.Flags)
	w.Add(msg.Control, ctl)
	abi.MsgResultWrites(&w, msgAddr, nameLen, uint64(len(ctl)), int32(flagsOut))
	return w.Flush(t)
}

// recvmsg is ____sys_recvmsg for one message at msgAddr.
func (h *Handler) recvmsg(t Task, ref *sockRef, msgAddr uint64, msg abi.Msghdr, flags int) (platform.Reply, bool) {
	iov, err := abi.ReadIovecs(t, msg.Iov, msg.IovLen)
	if err != nil {
		return platform.Errno(errno(err)), false
	}
	s := ref.s
	return h.recv(t, ref, recvSize(s, abi.TotalLen(iov)), flags, func(r *netstack.RecvResult) (int64, error) {
		return deliverMsg(t, s, msgAddr, msg, iov, r, flags)
	})
}

// deliverMsg writes a received message into the program's msghdr: the
// payload, the source address (msg_namelen is 0 for TCP), the control
// messages (cut as put_cmsg cuts them, MSG_CTRUNC) and msg_flags.
func deliverMsg(t Task, s *netstack.Socket, msgAddr uint64, msg abi.Msghdr, iov []abi.Iovec, r *netstack.RecvResult, flags int) (int64, error) {
	if int32(msg.NameLen) >= 0 && deliverMsgAtOnce(t, s, msgAddr, msg, iov, r) == nil {
		return recvValue(r, flags), nil
	}
	// Something could not be written: again, one piece after the other,
	// for the errno Linux gives at the piece that fails.
	if _, err := abi.Scatter(t, iov, r.Data); err != nil {
		return 0, err
	}
	var nameLen uint32
	if r.HasFrom && msg.Name != 0 {
		sa := sourceName(s, r)
		n := min(int(msg.NameLen), len(sa))
		if int32(msg.NameLen) < 0 {
			return 0, unix.EINVAL
		}
		if err := t.WriteMem(msg.Name, sa[:n]); err != nil {
			return 0, unix.EFAULT
		}
		nameLen = uint32(len(sa))
	}
	ctl, flagsOut := abi.WriteControl(t, msg.Control, msg.ControlLen, r.Control, r.Flags)
	if err := abi.WriteMsgResult(t, msgAddr, nameLen, ctl, int32(flagsOut)); err != nil {
		return 0, err
	}
	return recvValue(r, flags), nil
}

func sysSendmmsg(h *Handler, t Task) (platform.Reply, bool) {
	a := t.Call().Args
	vec, vlen, flags := a[1], min(uint32(a[2]), abi.UIOMaxIOV), int(int32(a[3]))
	return h.withSocket(t, a[0], func(ref *sockRef) (platform.Reply, bool) {
		return sendmmsg(t, ref, vec, vlen, flags), false
	})
}

// sendmmsg is __sys_sendmmsg: each message is sent in turn; an error after
// the first ends the call with the count sent so far. Every message is
// sent without waiting: a send that would block cannot leave this loop for
// a goroutine. (On a blocking socket Linux would wait for the first one.)
func sendmmsg(t Task, ref *sockRef, vec uint64, vlen uint32, flags int) platform.Reply {
	sent := 0
	for i := uint32(0); i < vlen; i++ {
		at := vec + uint64(i)*abi.SizeofMmsghdr
		msg, err := abi.ReadMsghdr(t, at)
		if err != nil {
			return mmsgResult(sent, err)
		}
		m, err := readSendmsg(t, ref, msg)
		if err == nil && ref.s.Datagram() && m.total > maxUDPPayload {
			err = ref.s.SendTooBig(m.to)
		}
		if err != nil {
			return mmsgResult(sent, err)
		}
		r, err := sendOnce(t, ref, m, flags|unix.MSG_DONTWAIT)
		if err != nil {
			return mmsgResult(sent, err)
		}
		if err := abi.WriteU32(t, at+abi.SizeofMsghdr, uint32(r.Val)); err != nil {
			return mmsgResult(sent, err)
		}
		sent++
	}
	return platform.Val(int64(sent))
}

// checkMmsgTimeout reads recvmmsg's timeout, as __sys_recvmmsg does
// before anything else (get_timespec64: EFAULT) and do_recvmmsg
// (poll_select_set_timeout: EINVAL unless 0 ≤ tv_nsec < 10⁹ and
// tv_sec ≥ 0). netbox waits only for the first message, so the timeout
// itself never cuts a batch short.
func checkMmsgTimeout(t Task, ptr uint64) error {
	if ptr == 0 {
		return nil
	}
	var ts [16]byte
	if err := t.ReadMem(ptr, ts[:]); err != nil {
		return unix.EFAULT
	}
	sec, nsec := int64(binary.LittleEndian.Uint64(ts[:8])), int64(binary.LittleEndian.Uint64(ts[8:]))
	if sec < 0 || nsec < 0 || nsec >= 1e9 {
		return unix.EINVAL
	}
	return nil
}

func mmsgResult(n int, err error) platform.Reply {
	if n > 0 {
		return platform.Val(int64(n))
	}
	return platform.Errno(errno(err))
}

// sysRecvmmsg receives up to vlen datagrams. The first waits as recvmsg
// does; the rest are taken only when already queued.
func sysRecvmmsg(h *Handler, t Task) (platform.Reply, bool) {
	a := t.Call().Args
	vec, vlen, flags := a[1], min(uint32(a[2]), abi.UIOMaxIOV), int(int32(a[3]))
	return h.withSocket(t, a[0], func(ref *sockRef) (platform.Reply, bool) {
		if err := checkMmsgTimeout(t, a[4]); err != nil {
			return platform.Errno(errno(err)), false
		}
		if vlen == 0 {
			return platform.Val(0), false
		}
		s := ref.s
		got := 0
		var firstErr error
		op := func() (platform.Reply, error) {
			for i := uint32(got); i < vlen; i++ {
				at := vec + uint64(i)*abi.SizeofMmsghdr
				msg, err := abi.ReadMsghdr(t, at)
				if err != nil {
					firstErr = err
					break
				}
				iov, err := abi.ReadIovecs(t, msg.Iov, msg.IovLen)
				if err != nil {
					firstErr = err
					break
				}
				f := flags &^ (unix.MSG_WAITFORONE | unix.MSG_DONTWAIT)
				if got > 0 {
					f |= unix.MSG_DONTWAIT
				}
				r, err := s.Ops.RecvMsg(s, ref.f, recvSize(s, abi.TotalLen(iov)), f)
				if err != nil {
					if got == 0 {
						return result(0, err), err
					}
					break
				}
				n, err := deliverMsg(t, s, at, msg, iov, r, flags)
				if err == nil {
					err = abi.WriteU32(t, at+abi.SizeofMsghdr, uint32(n))
				}
				if err != nil {
					firstErr = err
					break
				}
				got++
			}
			if got == 0 && firstErr != nil {
				return platform.Errno(errno(firstErr)), nil
			}
			if firstErr != nil {
				// Like recvmmsg: the error is kept for the next call.
				s.SetError(firstErr)
			}
			return platform.Val(int64(got)), nil
		}
		return h.retry(t, ref, flags&unix.MSG_DONTWAIT != 0, s.Timeout(false), int(unix.EAGAIN), op)
	})
}
