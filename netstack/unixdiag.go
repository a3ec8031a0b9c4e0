package netstack

import (
	"encoding/binary"
	"time"

	"golang.org/x/sys/unix"
)

// unix_diag, as `ss -x` asks it: the program's unix sockets are the
// kernel's, in its own network namespace (netbox's placeholders live in
// another), so netbox hands an AF_UNIX request to a NETLINK_SOCK_DIAG
// socket of the kernel's in the namespace of the thread that opened the
// netlink socket (Options.KernelDiag), and passes the answer on as its
// own: the same messages, its port id and sequence numbers.

// relayTimeout bounds the wait for each of the kernel's answers.
const relayTimeout = 2 * time.Second

// relayUnixDiag sends the request (h, body) to the kernel's socket kernel
// and adds what it answers to out; an error the kernel answers with is
// returned, for the caller to acknowledge.
func (st *Stack) relayUnixDiag(out *nlReplies, h nlmsghdr, body []byte, kernel int) error {
	if kernel < 0 {
		return unix.ENOENT // as a kernel without unix_diag
	}
	st.diagRelayMu.Lock()
	defer st.diagRelayMu.Unlock()
	// The same request, but netbox acknowledges (netlinkRcv) and the
	// kernel answers its own socket.
	req := make([]byte, nlmsgHdrLen, nlmsgHdrLen+len(body))
	binary.LittleEndian.PutUint32(req, uint32(nlmsgHdrLen+len(body)))
	binary.LittleEndian.PutUint16(req[4:], h.Type)
	binary.LittleEndian.PutUint16(req[6:], h.Flags&^unix.NLM_F_ACK)
	binary.LittleEndian.PutUint32(req[8:], h.Seq)
	req = append(req, body...)
	// Nothing left over from an earlier relay that gave up.
	buf := make([]byte, 1<<16)
	for range 64 {
		if _, _, err := unix.Recvfrom(kernel, buf, unix.MSG_DONTWAIT); err != nil {
			break
		}
	}
	if err := unix.Sendto(kernel, req, 0, &unix.SockaddrNetlink{Family: unix.AF_NETLINK}); err != nil {
		return err
	}
	dump := h.Flags&unix.NLM_F_DUMP == unix.NLM_F_DUMP
	for range 1 << 16 {
		p := []unix.PollFd{{Fd: int32(kernel), Events: unix.POLLIN}}
		if n, err := unix.Poll(p, int(relayTimeout/time.Millisecond)); n <= 0 {
			if err == nil {
				err = unix.ETIMEDOUT
			}
			return err
		}
		n, _, err := unix.Recvfrom(kernel, buf, unix.MSG_DONTWAIT)
		if err != nil {
			return err
		}
		for b := buf[:n]; len(b) >= nlmsgHdrLen; {
			m := parseNlmsghdr(b)
			if m.Len < nlmsgHdrLen || int(m.Len) > len(b) {
				return unix.EINVAL
			}
			payload := b[nlmsgHdrLen:m.Len]
			switch m.Type {
			case unix.NLMSG_DONE:
				var status int32
				if len(payload) >= 4 {
					status = int32(binary.LittleEndian.Uint32(payload))
				}
				out.done(h.Seq, status)
				return nil
			case unix.NLMSG_ERROR:
				if len(payload) >= 4 {
					if code := int32(binary.LittleEndian.Uint32(payload)); code < 0 {
						return unix.Errno(-code)
					}
				}
				return nil
			default:
				out.add(m.Type, m.Flags, h.Seq, payload)
				if !dump {
					return nil
				}
			}
			b = b[min(nlmsgAlign(int(m.Len)), len(b)):]
		}
	}
	return unix.EINVAL
}
