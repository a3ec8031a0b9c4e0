package control

import (
	"bytes"
	"testing"

	"golang.org/x/sys/unix"
)

func hdr(l uint64, level, typ int32) []byte {
	b := make([]byte, HdrLen)
	le.PutUint64(b, l)
	le.PutUint32(b[8:], uint32(level))
	le.PutUint32(b[12:], uint32(typ))
	return b
}

func TestParse(t *testing.T) {
	ttl := append(hdr(20, unix.SOL_IP, unix.IP_TTL), 3, 0, 0, 0, 0, 0, 0, 0)
	tos := append(hdr(17, unix.SOL_IP, unix.IP_TOS), 0x10)
	for _, tc := range []struct {
		name string
		b    []byte
		want []Message
		err  error
	}{
		{"empty", nil, nil, nil},
		{"short of a header", make([]byte, 15), nil, nil},
		{"one int", ttl[:20], []Message{{unix.SOL_IP, unix.IP_TTL, []byte{3, 0, 0, 0}}}, nil},
		{"two, padded", append(append([]byte{}, ttl...), tos...), []Message{
			{unix.SOL_IP, unix.IP_TTL, []byte{3, 0, 0, 0}},
			{unix.SOL_IP, unix.IP_TOS, []byte{0x10}},
		}, nil},
		{"trailing bytes short of a header", append(append([]byte{}, ttl...), 1, 2, 3), []Message{
			{unix.SOL_IP, unix.IP_TTL, []byte{3, 0, 0, 0}},
		}, nil},
		{"cmsg_len below the header", hdr(15, 0, 0), nil, unix.EINVAL},
		{"cmsg_len past the buffer", hdr(17, 0, 0), nil, unix.EINVAL},
		{"second one past the buffer", append(append([]byte{}, ttl...), hdr(40, 0, 0)...), nil, unix.EINVAL},
	} {
		got, err := Parse(tc.b)
		if err != tc.err {
			t.Errorf("%s: error %v, want %v", tc.name, err, tc.err)
			continue
		}
		if len(got) != len(tc.want) {
			t.Errorf("%s: %d messages, want %d", tc.name, len(got), len(tc.want))
			continue
		}
		for i := range got {
			if got[i].Level != tc.want[i].Level || got[i].Type != tc.want[i].Type || !bytes.Equal(got[i].Data, tc.want[i].Data) {
				t.Errorf("%s: message %d is %+v, want %+v", tc.name, i, got[i], tc.want[i])
			}
		}
	}
}

// TestEncode checks put_cmsg's truncation on the example of CMSG-01/02:
// IP_PKTINFO (12 bytes), IP_TTL (int) and IP_TOS (one byte).
func TestEncode(t *testing.T) {
	msgs := []Message{
		{unix.SOL_IP, unix.IP_PKTINFO, make([]byte, 12)},
		IntMessage(unix.SOL_IP, unix.IP_TTL, 64),
		{unix.SOL_IP, unix.IP_TOS, []byte{0x28}},
	}
	for _, tc := range []struct {
		size      int
		wantLen   int
		wantTrunc bool
		firstLen  uint64
	}{
		{1024, 32 + 24 + 24, false, 28},
		{80, 80, false, 28},
		{79, 79, false, 28}, // TOS fits in 17 of the 23 bytes left
		{72, 72, true, 28},  // TOS cut to its header
		{24, 24, true, 24},  // PKTINFO cut to 24, nothing else
		{16, 16, true, 16},
		{15, 0, true, 0},
		{0, 0, true, 0},
	} {
		out, trunc := Encode(msgs, tc.size)
		if len(out) != tc.wantLen || trunc != tc.wantTrunc {
			t.Errorf("size %d: controllen %d truncated %v, want %d %v", tc.size, len(out), trunc, tc.wantLen, tc.wantTrunc)
		}
		if tc.firstLen != 0 && le.Uint64(out) != tc.firstLen {
			t.Errorf("size %d: first cmsg_len %d, want %d", tc.size, le.Uint64(out), tc.firstLen)
		}
	}
	out, _ := Encode(msgs, 1024)
	back, err := Parse(out)
	if err != nil || len(back) != 3 || back[2].Data[0] != 0x28 {
		t.Errorf("Parse(Encode) = %+v, %v", back, err)
	}
	if v, ok := back[1].Int(); !ok || v != 64 {
		t.Errorf("TTL read back as %d %v", v, ok)
	}
}

// FuzzControl: Parse never panics and gives EINVAL or messages that lie
// inside the buffer; Encode never writes past the room it is given.
func FuzzControl(f *testing.F) {
	f.Add(append(hdr(20, unix.SOL_IP, unix.IP_TTL), 3, 0, 0, 0), 24)
	f.Add(hdr(1<<63, 0, 0), 0)
	f.Add(hdr(16, 0, 0), 17)
	f.Fuzz(func(t *testing.T, b []byte, size int) {
		msgs, err := Parse(b)
		if err != nil && err != unix.EINVAL {
			t.Fatalf("Parse: %v", err)
		}
		total := 0
		for _, m := range msgs {
			total += Space(len(m.Data))
		}
		if total > len(b)+8*len(msgs) {
			t.Fatalf("messages span %d bytes of a %d-byte buffer", total, len(b))
		}
		size = size % 4096
		if size < 0 {
			size = -size
		}
		out, trunc := Encode(msgs, size)
		if len(out) > size {
			t.Fatalf("Encode wrote %d bytes into %d", len(out), size)
		}
		if !trunc && len(msgs) > 0 {
			if again, err := Parse(out); err != nil || len(again) != len(msgs) {
				t.Fatalf("Parse(Encode) = %d messages, %v; want %d", len(again), err, len(msgs))
			}
		}
	})
}
