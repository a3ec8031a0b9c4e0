// Package control parses and encodes control messages (struct cmsghdr
// sequences, x86-64 layout) the way Linux does: the send side walks them
// with for_each_cmsghdr and CMSG_OK, the receive side writes them with
// put_cmsg's truncation rules (MSG_CTRUNC). Sockets only say which
// messages they send or want delivered.
package control

import (
	"encoding/binary"

	"golang.org/x/sys/unix"
)

// HdrLen is sizeof(struct cmsghdr): cmsg_len (size_t), cmsg_level,
// cmsg_type.
const HdrLen = 16

// Message is one control message.
type Message struct {
	Level int32
	Type  int32
	Data  []byte
}

var le = binary.LittleEndian

// Align is CMSG_ALIGN: lengths round up to 8 bytes.
func Align(n int) int { return (n + 7) &^ 7 }

// Len is CMSG_LEN(n); Space is CMSG_SPACE(n).
func Len(n int) int   { return HdrLen + n }
func Space(n int) int { return HdrLen + Align(n) }

// Parse splits a send-side control buffer into its messages, as
// for_each_cmsghdr walks it: a header that does not fit ends the walk,
// and a cmsg_len shorter than the header or longer than what remains of
// the buffer (CMSG_OK) is EINVAL. A message's Data is its cmsg_len minus
// the header, aliasing b.
func Parse(b []byte) ([]Message, error) {
	var msgs []Message
	for off := 0; off+HdrLen <= len(b); {
		l := le.Uint64(b[off:])
		if l < HdrLen || l > uint64(len(b)-off) {
			return nil, unix.EINVAL
		}
		msgs = append(msgs, Message{
			Level: int32(le.Uint32(b[off+8:])),
			Type:  int32(le.Uint32(b[off+12:])),
			Data:  b[off+HdrLen : off+int(l)],
		})
		off += Align(int(l))
	}
	return msgs, nil
}

// Int is the int a message carries when its cmsg_len is exactly
// CMSG_LEN(sizeof(int)).
func (m Message) Int() (int32, bool) {
	if len(m.Data) != 4 {
		return 0, false
	}
	return int32(le.Uint32(m.Data)), true
}

// Encode writes msgs into a receive buffer of size bytes as successive
// put_cmsg calls do: with no room for a header nothing is written and the
// result is truncated; a message that does not fit whole is written cut
// to the room left, its cmsg_len saying what was written, and truncated is
// set; each message takes CMSG_SPACE bytes (less at the very end). The
// returned slice's length is what msg_controllen reports.
func Encode(msgs []Message, size int) (out []byte, truncated bool) {
	for _, m := range msgs {
		room := size - len(out)
		if room < HdrLen {
			return out, true
		}
		cmlen := Len(len(m.Data))
		if room < cmlen {
			truncated = true
			cmlen = room
		}
		var h [HdrLen]byte
		le.PutUint64(h[:], uint64(cmlen))
		le.PutUint32(h[8:], uint32(m.Level))
		le.PutUint32(h[12:], uint32(m.Type))
		out = append(out, h[:]...)
		out = append(out, m.Data[:cmlen-HdrLen]...)
		// The padding up to CMSG_SPACE is skipped, not written: Linux
		// leaves those bytes as they were; zeros stand for them here.
		pad := min(Space(len(m.Data)), room) - cmlen
		out = append(out, make([]byte, pad)...)
	}
	return out, truncated
}

// IntMessage is a message carrying one int.
func IntMessage(level, typ int, v int32) Message {
	b := make([]byte, 4)
	le.PutUint32(b, uint32(v))
	return Message{Level: int32(level), Type: int32(typ), Data: b}
}
