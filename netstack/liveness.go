package netstack

import (
	"encoding/binary"
	"fmt"
	"syscall"

	"golang.org/x/sys/unix"

	"github.com/netbox-sandbox/netbox/netstack/nlattr"
)

// sockDiagByFamily is SOCK_DIAG_BY_FAMILY.
const sockDiagByFamily = 20

// unix_diag constants (linux/unix_diag.h).
const (
	udiagShowRQLen   = 0x10 // UDIAG_SHOW_RQLEN
	unixDiagRQLen    = 4    // UNIX_DIAG_RQLEN
	unixDiagShutdown = 6    // UNIX_DIAG_SHUTDOWN, always given
)

// unixQueue is what UNIX_DIAG_RQLEN says of a placeholder: the bytes
// waiting to be read (for a datagram socket, the next datagram's; for a
// listener, the connections waiting) and its send queue; and what
// UNIX_DIAG_SHUTDOWN says: its sk_shutdown (RCV_SHUTDOWN 1 when the peer
// shut its sending side or closed, or this end shut reading; SEND_SHUTDOWN
// 2 when this end shut sending or the peer closed).
type unixQueue struct {
	rqueue, wqueue uint32
	shutdown       uint8
}

// LiveUnixInodes lists the inodes of every AF_UNIX socket alive in the
// supervisor's namespace (one NETLINK_SOCK_DIAG dump, like `ss -x`). A
// placeholder whose inode is missing was closed by the program everywhere.
func (st *Stack) LiveUnixInodes() (map[uint64]bool, error) {
	queues, err := st.placeholderQueues()
	if err != nil {
		return nil, err
	}
	live := make(map[uint64]bool, len(queues))
	for ino := range queues {
		live[ino] = true
	}
	return live, nil
}

// placeholderQueues dumps every AF_UNIX socket of the supervisor's
// namespace (the placeholders among them) with its queue lengths, by
// inode.
func (st *Stack) placeholderQueues() (map[uint64]unixQueue, error) {
	if st.host == nil {
		return nil, fmt.Errorf("netstack: no host to dump placeholders from")
	}
	fd, err := st.host.Socket(unix.AF_NETLINK, unix.SOCK_RAW|unix.SOCK_CLOEXEC, unix.NETLINK_SOCK_DIAG)
	if err != nil {
		return nil, fmt.Errorf("netstack: sock_diag socket: %w", err)
	}
	defer unix.Close(fd)
	// nlmsghdr + unix_diag_req
	req := make([]byte, unix.NLMSG_HDRLEN+24)
	binary.LittleEndian.PutUint32(req[0:], uint32(len(req)))
	binary.LittleEndian.PutUint16(req[4:], sockDiagByFamily)
	binary.LittleEndian.PutUint16(req[6:], unix.NLM_F_REQUEST|unix.NLM_F_DUMP)
	binary.LittleEndian.PutUint32(req[8:], 1)
	r := req[unix.NLMSG_HDRLEN:]
	r[0] = unix.AF_UNIX
	binary.LittleEndian.PutUint32(r[4:], 0xffffffff) // udiag_states: all
	binary.LittleEndian.PutUint32(r[12:], udiagShowRQLen)
	if err := unix.Sendto(fd, req, 0, &unix.SockaddrNetlink{Family: unix.AF_NETLINK}); err != nil {
		return nil, fmt.Errorf("netstack: sock_diag request: %w", err)
	}
	out := make(map[uint64]unixQueue)
	buf := make([]byte, 1<<16)
	for range 1 << 16 {
		n, _, err := unix.Recvfrom(fd, buf, 0)
		if err != nil {
			return nil, fmt.Errorf("netstack: sock_diag dump: %w", err)
		}
		msgs, err := syscall.ParseNetlinkMessage(buf[:n])
		if err != nil {
			return nil, fmt.Errorf("netstack: sock_diag parse: %w", err)
		}
		for _, m := range msgs {
			switch m.Header.Type {
			case unix.NLMSG_DONE:
				return out, nil
			case unix.NLMSG_ERROR:
				return nil, fmt.Errorf("netstack: sock_diag dump failed")
			}
			// struct unix_diag_msg (16 bytes), then attributes.
			if len(m.Data) < 16 {
				continue
			}
			var q unixQueue
			nlattr.Walk(m.Data[16:], func(typ uint16, v []byte) {
				switch {
				case typ == unixDiagRQLen && len(v) >= 8:
					q.rqueue, q.wqueue = binary.LittleEndian.Uint32(v), binary.LittleEndian.Uint32(v[4:])
				case typ == unixDiagShutdown && len(v) >= 1:
					q.shutdown = v[0]
				}
			})
			out[uint64(binary.LittleEndian.Uint32(m.Data[4:]))] = q
		}
	}
	return nil, fmt.Errorf("netstack: sock_diag dump does not end")
}
