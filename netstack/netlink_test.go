package netstack

import (
	"encoding/binary"
	"testing"

	"golang.org/x/sys/unix"
)

// diagRequest builds one SOCK_DIAG_BY_FAMILY request.
func diagRequest(flags uint16, family, protocol byte, states uint32) []byte {
	b := make([]byte, nlmsgHdrLen+inetDiagReqV2Len)
	binary.LittleEndian.PutUint32(b, uint32(len(b)))
	binary.LittleEndian.PutUint16(b[4:], sockDiagByFamily)
	binary.LittleEndian.PutUint16(b[6:], flags)
	binary.LittleEndian.PutUint32(b[8:], 77)
	b[16], b[17] = family, protocol
	binary.LittleEndian.PutUint32(b[20:], states)
	return b
}

// checkReplies verifies that every reply datagram is a sequence of whole,
// aligned netlink messages, and returns their types.
func checkReplies(t *testing.T, dgrams [][]byte) []uint16 {
	t.Helper()
	var types []uint16
	for _, d := range dgrams {
		for len(d) > 0 {
			if len(d) < nlmsgHdrLen {
				t.Fatalf("a reply ends in a partial header: %x", d)
			}
			h := parseNlmsghdr(d)
			if h.Len < nlmsgHdrLen || int(h.Len) > len(d) || h.Pid != 9 {
				t.Fatalf("bad reply header %+v in a datagram of %d bytes", h, len(d))
			}
			types = append(types, h.Type)
			d = d[min(nlmsgAlign(int(h.Len)), len(d)):]
		}
	}
	return types
}

func TestNetlinkRcv(t *testing.T) {
	st := &Stack{}
	handle := func(out *nlReplies, h nlmsghdr, body []byte) error { return st.sockDiagRcvMsg(out, h, body, false) }
	for _, c := range []struct {
		name string
		req  []byte
		want []uint16
	}{
		{"dump", diagRequest(unix.NLM_F_REQUEST|unix.NLM_F_DUMP, unix.AF_INET, unix.IPPROTO_TCP, ^uint32(0)), []uint16{unix.NLMSG_DONE}},
		{"dump of an unknown protocol", diagRequest(unix.NLM_F_REQUEST|unix.NLM_F_DUMP, unix.AF_INET, 200, ^uint32(0)), []uint16{unix.NLMSG_DONE}},
		{"family beyond AF_MAX", diagRequest(unix.NLM_F_REQUEST|unix.NLM_F_DUMP, 250, unix.IPPROTO_TCP, 0), []uint16{unix.NLMSG_ERROR}},
		{"unix_diag is not served", diagRequest(unix.NLM_F_REQUEST|unix.NLM_F_DUMP, unix.AF_UNIX, 0, 0), []uint16{unix.NLMSG_ERROR}},
		{"exact, nothing there", diagRequest(unix.NLM_F_REQUEST, unix.AF_INET, unix.IPPROTO_TCP, 0), []uint16{unix.NLMSG_ERROR}},
		{"not a request", diagRequest(unix.NLM_F_DUMP, unix.AF_INET, unix.IPPROTO_TCP, 0), nil},
		{"two requests", append(diagRequest(unix.NLM_F_REQUEST|unix.NLM_F_DUMP, unix.AF_INET, unix.IPPROTO_TCP, 0),
			diagRequest(unix.NLM_F_REQUEST|unix.NLM_F_ACK, unix.AF_INET, unix.IPPROTO_UDP, 0)...), []uint16{unix.NLMSG_DONE, unix.NLMSG_ERROR}},
	} {
		got := checkReplies(t, netlinkRcv(c.req, 9, false, handle))
		if len(got) != len(c.want) {
			t.Errorf("%s: replies %v, want %v", c.name, got, c.want)
			continue
		}
		for i := range got {
			if got[i] != c.want[i] {
				t.Errorf("%s: replies %v, want %v", c.name, got, c.want)
			}
		}
	}
}

// FuzzNetlinkRcv feeds arbitrary bytes, as a program may send them, to the
// sock_diag request parser: it must not panic, and every reply must be
// well formed.
func FuzzNetlinkRcv(f *testing.F) {
	f.Add(diagRequest(unix.NLM_F_REQUEST|unix.NLM_F_DUMP, unix.AF_INET, unix.IPPROTO_TCP, ^uint32(0)))
	f.Add(diagRequest(unix.NLM_F_REQUEST|unix.NLM_F_ACK, unix.AF_INET6, unix.IPPROTO_UDP, 2))
	f.Add([]byte{20, 0, 0, 0, 20, 0, 1, 0, 1, 0, 0, 0, 0, 0, 0, 0, 2, 6, 0, 0})
	st := &Stack{}
	f.Fuzz(func(t *testing.T, data []byte) {
		handle := func(out *nlReplies, h nlmsghdr, body []byte) error { return st.sockDiagRcvMsg(out, h, body, true) }
		checkReplies(t, netlinkRcv(data, 9, len(data)%2 == 0, handle))
	})
}
