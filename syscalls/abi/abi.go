// Package abi decodes and encodes the socket structures a program passes
// in its memory (x86-64 layout): sockaddr, msghdr, iovec, mmsghdr, and
// socket option values. Every decoder checks lengths and pointers the way
// Linux does: a bad pointer gives EFAULT, a bad length EINVAL, and nothing
// a program passes can make it panic.
package abi

import (
	"encoding/binary"
	"net/netip"

	"golang.org/x/sys/unix"
)

// Reader reads a program's address space.
type Reader interface {
	// ReadMem fills p from addr; unreadable memory gives EFAULT.
	ReadMem(addr uint64, p []byte) error
}

// Memory is a program's address space.
type Memory interface {
	Reader
	// WriteMem writes p at addr; unwritable memory gives EFAULT.
	WriteMem(addr uint64, p []byte) error
}

// Limits Linux applies.
const (
	// SockaddrStorageSize is sizeof(struct sockaddr_storage): the most
	// move_addr_to_kernel accepts.
	SockaddrStorageSize = 128
	// UIOMaxIOV is UIO_MAXIOV, the most iovecs one call takes.
	UIOMaxIOV = 1024
	// MaxRWCount is MAX_RW_COUNT: one call moves at most this many bytes.
	MaxRWCount = 0x7ffff000
	// MaxDatagramRead bounds what netbox copies for one datagram.
	MaxDatagramRead = 1 << 16
)

// VectorMemory is a Memory that can make several writes in one go (one
// process_vm_writev): the decoders use it when the Memory has it.
type VectorMemory interface {
	WriteMemv(addrs []uint64, bufs [][]byte) error
}

var le = binary.LittleEndian

func readU32(m Memory, addr uint64) (uint32, error) {
	var b [4]byte
	if err := m.ReadMem(addr, b[:]); err != nil {
		return 0, unix.EFAULT
	}
	return le.Uint32(b[:]), nil
}

// WriteU32 stores a 32-bit value (an optlen, an addrlen) in the program.
func WriteU32(m Memory, addr uint64, v uint32) error {
	var b [4]byte
	le.PutUint32(b[:], v)
	if err := m.WriteMem(addr, b[:]); err != nil {
		return unix.EFAULT
	}
	return nil
}

// CopyInSockaddr is move_addr_to_kernel: it reads addrlen bytes of a
// sockaddr. A length over sizeof(sockaddr_storage) (or negative, as an int)
// is EINVAL, an unreadable buffer EFAULT.
func CopyInSockaddr(m Memory, addr uint64, addrlen uint64) ([]byte, error) {
	l := int32(uint32(addrlen))
	if l < 0 || l > SockaddrStorageSize {
		return nil, unix.EINVAL
	}
	if l == 0 {
		return nil, nil
	}
	b := make([]byte, l)
	if err := m.ReadMem(addr, b); err != nil {
		return nil, unix.EFAULT
	}
	return b, nil
}

// Family is the sa_family of a raw sockaddr, or AF_UNSPEC when it is too
// short to hold one.
func Family(b []byte) uint16 {
	if len(b) < 2 {
		return unix.AF_UNSPEC
	}
	return le.Uint16(b)
}

// InetAddr is a decoded sockaddr_in or sockaddr_in6.
type InetAddr struct {
	Family   uint16
	Addr     netip.AddrPort
	FlowInfo uint32
	ScopeID  uint32
}

// Sizes of the inet sockaddrs; SIN6_LEN_RFC2133 is the shortest
// sockaddr_in6 Linux accepts.
const (
	SizeofSockaddrInet4 = 16
	SizeofSockaddrInet6 = 28
	sinLenRFC2133       = 24
)

// ParseInet decodes a sockaddr for a socket of family (AF_INET or
// AF_INET6), like the checks at the top of inet_bind/inet6_bind and the
// connect and send paths: a buffer shorter than the socket family's
// sockaddr (16 bytes; 24, SIN6_LEN_RFC2133, for AF_INET6) is EINVAL.
// The address is decoded in the layout of the sockaddr's own family when
// that is AF_INET, AF_UNSPEC (read as AF_INET) or AF_INET6; a sockaddr of
// any other family comes back with only Family set, for the protocol to
// refuse (EAFNOSUPPORT). Callers that accept AF_UNSPEC with a shorter
// buffer (connect's disconnect) check Family(b) first.
func ParseInet(family int, b []byte) (InetAddr, error) {
	need := SizeofSockaddrInet4
	if family == unix.AF_INET6 {
		need = sinLenRFC2133
	}
	if len(b) < need {
		return InetAddr{Family: Family(b)}, unix.EINVAL
	}
	f := Family(b)
	switch f {
	case unix.AF_INET, unix.AF_UNSPEC:
		port := binary.BigEndian.Uint16(b[2:])
		ip := netip.AddrFrom4([4]byte(b[4:8]))
		return InetAddr{Family: f, Addr: netip.AddrPortFrom(ip, port)}, nil
	case unix.AF_INET6:
		if len(b) < sinLenRFC2133 {
			// Long enough for the AF_INET socket that got it, which
			// refuses the family.
			return InetAddr{Family: f}, nil
		}
		port := binary.BigEndian.Uint16(b[2:])
		ip := netip.AddrFrom16([16]byte(b[8:24]))
		a := InetAddr{Family: f, Addr: netip.AddrPortFrom(ip, port), FlowInfo: le.Uint32(b[4:])}
		if len(b) >= SizeofSockaddrInet6 {
			a.ScopeID = le.Uint32(b[24:])
		}
		return a, nil
	default:
		return InetAddr{Family: f}, nil
	}
}

// CopyOutSockaddr is move_addr_to_user: it reads the program's buffer
// length at lenPtr (negative is EINVAL), writes as much of sa as fits, and
// stores the full length back. Callers whose address is optional (accept,
// recvfrom) skip it for a NULL addr; getsockname does not, so a NULL addr
// with a zero length is fine there, as on Linux.
func CopyOutSockaddr(m Memory, addr, lenPtr uint64, sa []byte) error {
	var w Writes
	if err := SockaddrWrites(&w, m, addr, lenPtr, sa); err != nil {
		return err
	}
	return w.Flush(m)
}

// SockaddrWrites queues the writes CopyOutSockaddr makes (it reads the
// length the program gave now, as move_addr_to_user does).
func SockaddrWrites(w *Writes, m Memory, addr, lenPtr uint64, sa []byte) error {
	l, err := readU32(m, lenPtr)
	if err != nil {
		return err
	}
	if int32(l) < 0 {
		return unix.EINVAL
	}
	lb := make([]byte, 4)
	le.PutUint32(lb, uint32(len(sa)))
	w.Add(addr, sa[:min(int(l), len(sa))])
	w.Add(lenPtr, lb)
	return nil
}

// Writes collects writes into a program's memory so that they are made
// in one go: one process_vm_writev when the memory is a VectorMemory.
type Writes struct {
	addrs []uint64
	bufs  [][]byte
}

// Add queues b to be written at addr (nothing for an empty b).
func (w *Writes) Add(addr uint64, b []byte) {
	if len(b) > 0 {
		w.addrs = append(w.addrs, addr)
		w.bufs = append(w.bufs, b)
	}
}

// Flush makes the writes; any of them failing is EFAULT, and then some of
// the others may have been made.
func (w *Writes) Flush(m Memory) error {
	if len(w.bufs) == 0 {
		return nil
	}
	if v, ok := m.(VectorMemory); ok {
		if v.WriteMemv(w.addrs, w.bufs) != nil {
			return unix.EFAULT
		}
		return nil
	}
	for i, b := range w.bufs {
		if m.WriteMem(w.addrs[i], b) != nil {
			return unix.EFAULT
		}
	}
	return nil
}
