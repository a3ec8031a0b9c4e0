package abi

import (
	"golang.org/x/sys/unix"

	"github.com/netbox-sandbox/netbox/netstack/control"
)

// Msghdr is struct msghdr (user_msghdr).
type Msghdr struct {
	Name       uint64
	NameLen    uint32
	Iov        uint64
	IovLen     uint64
	Control    uint64
	ControlLen uint64
	Flags      int32
}

// SizeofMsghdr is sizeof(struct msghdr); SizeofMmsghdr adds msg_len and
// padding.
const (
	SizeofMsghdr  = 56
	SizeofMmsghdr = 64
	sizeofIovec   = 16
)

// ReadMsghdr copies a msghdr in (copy_msghdr_from_user).
func ReadMsghdr(m Memory, addr uint64) (Msghdr, error) {
	var b [SizeofMsghdr]byte
	if err := m.ReadMem(addr, b[:]); err != nil {
		return Msghdr{}, unix.EFAULT
	}
	return ParseMsghdr(b[:]), nil
}

// ParseMsghdr decodes the SizeofMsghdr bytes of a struct msghdr.
func ParseMsghdr(b []byte) Msghdr {
	return Msghdr{
		Name:       le.Uint64(b[0:]),
		NameLen:    le.Uint32(b[8:]),
		Iov:        le.Uint64(b[16:]),
		IovLen:     le.Uint64(b[24:]),
		Control:    le.Uint64(b[32:]),
		ControlLen: le.Uint64(b[40:]),
		Flags:      int32(le.Uint32(b[48:])),
	}
}

// WriteMsgResult writes back what recvmsg reports in the msghdr at addr:
// msg_namelen, msg_controllen and msg_flags.
func WriteMsgResult(m Memory, addr uint64, nameLen uint32, controlLen uint64, flags int32) error {
	var w Writes
	MsgResultWrites(&w, addr, nameLen, controlLen, flags)
	return w.Flush(m)
}

// Iovec is struct iovec.
type Iovec struct {
	Base uint64
	Len  uint64
}

// userPtrMax is the highest user address on x86-64 with 4-level paging
// (TASK_SIZE_MAX - 1): what access_ok lets through.
const userPtrMax = 0x00007ffffffff000 - 1

// accessOK is access_ok: [addr, addr+size) lies in user space.
func accessOK(addr, size uint64) bool {
	sum := addr + size
	return sum >= addr && sum <= userPtrMax+1 && addr <= userPtrMax
}

// ReadIovecs is import_iovec: more than UIO_MAXIOV entries is EMSGSIZE
// for sendmsg/recvmsg (EINVAL for readv). Like copy_iovec_from_user, the
// entries are read in order, a fault giving EFAULT and a length that is
// negative as a ssize_t EINVAL; then every segment must pass access_ok
// (EFAULT), and the total is clamped to MAX_RW_COUNT.
func ReadIovecs(m Memory, addr uint64, n uint64) ([]Iovec, error) {
	if n > UIOMaxIOV {
		return nil, unix.EMSGSIZE
	}
	if n == 0 {
		return nil, nil
	}
	b := make([]byte, n*sizeofIovec)
	if err := m.ReadMem(addr, b); err != nil {
		// Find the first unreadable entry: a negative length before it
		// wins, as the kernel reads one entry at a time.
		var one [sizeofIovec]byte
		for i := uint64(0); i < n; i++ {
			if m.ReadMem(addr+i*sizeofIovec, one[:]) != nil {
				return nil, unix.EFAULT
			}
			if int64(le.Uint64(one[8:])) < 0 {
				return nil, unix.EINVAL
			}
		}
		return nil, unix.EFAULT
	}
	iov := make([]Iovec, n)
	for i := range iov {
		iov[i] = Iovec{Base: le.Uint64(b[i*16:]), Len: le.Uint64(b[i*16+8:])}
		if int64(iov[i].Len) < 0 {
			return nil, unix.EINVAL
		}
	}
	var total uint64
	for i := range iov {
		if !accessOK(iov[i].Base, iov[i].Len) {
			return nil, unix.EFAULT
		}
		if total+iov[i].Len > MaxRWCount {
			iov[i].Len = MaxRWCount - total
		}
		total += iov[i].Len
	}
	return iov, nil
}

// TotalLen is the number of bytes iov describes.
func TotalLen(iov []Iovec) uint64 {
	var t uint64
	for _, v := range iov {
		t += v.Len
	}
	return t
}

// Gather reads up to max bytes described by iov, in order.
func Gather(m Memory, iov []Iovec, max int) ([]byte, error) {
	size := int(min(TotalLen(iov), uint64(max)))
	out := make([]byte, 0, size)
	for _, v := range iov {
		if len(out) == size {
			break
		}
		n := int(min(v.Len, uint64(size-len(out))))
		if n == 0 {
			continue
		}
		chunk := out[len(out) : len(out)+n]
		if err := m.ReadMem(v.Base, chunk); err != nil {
			return nil, unix.EFAULT
		}
		out = out[:len(out)+n]
	}
	return out, nil
}

// Scatter writes data into the buffers iov describes and returns how many
// bytes it wrote (at most TotalLen(iov)).
func Scatter(m Memory, iov []Iovec, data []byte) (int, error) {
	done := 0
	for _, v := range iov {
		if done == len(data) {
			break
		}
		n := int(min(v.Len, uint64(len(data)-done)))
		if n == 0 {
			continue
		}
		if err := m.WriteMem(v.Base, data[done:done+n]); err != nil {
			return done, unix.EFAULT
		}
		done += n
	}
	return done, nil
}

// Optval is a setsockopt value still in the program's memory, like Linux's
// sockptr_t: an option reads only the bytes it needs, when it needs them.
type Optval struct {
	m    Memory
	addr uint64
	len  int
}

// NewOptval checks setsockopt's optlen (negative, as an int, is EINVAL)
// and returns the value to read from.
func NewOptval(m Memory, addr uint64, optlen uint64) (*Optval, error) {
	l := int32(uint32(optlen))
	if l < 0 {
		return nil, unix.EINVAL
	}
	return &Optval{m: m, addr: addr, len: int(l)}, nil
}

// Len is optlen.
func (v *Optval) Len() int { return v.len }

// Read is copy_from_sockptr: the first n bytes (n ≤ Len), EFAULT when they
// are unreadable.
func (v *Optval) Read(n int) ([]byte, error) {
	if n > v.len || n < 0 {
		return nil, unix.EINVAL
	}
	b := make([]byte, n)
	if n > 0 {
		if err := v.m.ReadMem(v.addr, b); err != nil {
			return nil, unix.EFAULT
		}
	}
	return b, nil
}

// ReadOptlen reads getsockopt's optlen: a negative value is EINVAL.
func ReadOptlen(m Memory, lenPtr uint64) (int, error) {
	l, err := readU32(m, lenPtr)
	if err != nil {
		return 0, err
	}
	if int32(l) < 0 {
		return 0, unix.EINVAL
	}
	return int(l), nil
}

// WriteOptval is the tail of sk_getsockopt: it writes min(optlen, len(val))
// bytes and stores that length back.
func WriteOptval(m Memory, addr, lenPtr uint64, optlen int, val []byte) error {
	n := min(optlen, len(val))
	lb := make([]byte, 4)
	le.PutUint32(lb, uint32(n))
	var w Writes
	w.Add(addr, val[:n])
	w.Add(lenPtr, lb)
	return w.Flush(m)
}

// maxControl is net.core.optmem_max, the most control data one sendmsg
// takes (sock_kmalloc refuses more).
const maxControl = 131072

// ReadControl copies sendmsg's msg_control in, as ____sys_sendmsg does: a
// length above INT_MAX or optmem_max is ENOBUFS, unreadable memory EFAULT.
func ReadControl(m Memory, addr, n uint64) ([]byte, error) {
	if n == 0 {
		return nil, nil
	}
	if n > maxControl {
		return nil, unix.ENOBUFS
	}
	b := make([]byte, n)
	if err := m.ReadMem(addr, b); err != nil {
		return nil, unix.EFAULT
	}
	return b, nil
}

// WriteControl writes recvmsg's control messages into the program's
// msg_control of size bytes (none when the pointer is NULL), cut as
// put_cmsg cuts them, and returns msg_controllen and the message flags
// with MSG_CTRUNC added when something did not fit. Like put_cmsg, a
// buffer that cannot be written takes nothing and is no error.
func WriteControl(m Memory, addr, size uint64, msgs []control.Message, flags int) (uint64, int) {
	b, flags := EncodeControl(addr, size, msgs, flags)
	if len(b) > 0 && m.WriteMem(addr, b) != nil {
		return 0, flags
	}
	return uint64(len(b)), flags
}

// ScatterWrites queues the writes that put data into the buffers iov
// describes (as Scatter makes them).
func ScatterWrites(w *Writes, iov []Iovec, data []byte) {
	done := 0
	for _, v := range iov {
		if done == len(data) {
			break
		}
		n := int(min(v.Len, uint64(len(data)-done)))
		w.Add(v.Base, data[done:done+n])
		done += n
	}
}

// MsgResultWrites queues the writes of recvmsg's results into the msghdr
// at addr: msg_namelen, msg_controllen and msg_flags (WriteMsgResult).
func MsgResultWrites(w *Writes, addr uint64, nameLen uint32, controlLen uint64, flags int32) {
	b := make([]byte, 16)
	le.PutUint32(b[0:], nameLen)
	le.PutUint64(b[4:], controlLen)
	le.PutUint32(b[12:], uint32(flags))
	w.Add(addr+8, b[0:4])
	w.Add(addr+40, b[4:12])
	w.Add(addr+48, b[12:16])
}

// EncodeControl is WriteControl's first half: the bytes put_cmsg would
// write into a msg_control of size bytes at addr (none when addr is NULL),
// and the flags with MSG_CTRUNC when something did not fit.
func EncodeControl(addr, size uint64, msgs []control.Message, flags int) ([]byte, int) {
	if len(msgs) == 0 {
		return nil, flags
	}
	if addr == 0 {
		size = 0
	}
	b, truncated := control.Encode(msgs, int(min(size, maxControl)))
	if truncated {
		flags |= unix.MSG_CTRUNC
	}
	return b, flags
}
