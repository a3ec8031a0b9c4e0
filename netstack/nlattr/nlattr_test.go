package nlattr

import (
	"bytes"
	"testing"
)

func TestAppendWalk(t *testing.T) {
	var b []byte
	b = Append(b, 1, []byte{0xaa})
	b = Append(b, 2, nil)
	b = Append(b, 3, []byte{1, 2, 3, 4, 5})
	if len(b)%4 != 0 || len(b) != 8+4+12 {
		t.Fatalf("encoded length %d", len(b))
	}
	type attr struct {
		typ uint16
		val []byte
	}
	var got []attr
	Walk(b, func(typ uint16, val []byte) { got = append(got, attr{typ, val}) })
	want := []attr{{1, []byte{0xaa}}, {2, []byte{}}, {3, []byte{1, 2, 3, 4, 5}}}
	if len(got) != len(want) {
		t.Fatalf("walked %d attributes, want %d", len(got), len(want))
	}
	for i := range want {
		if got[i].typ != want[i].typ || !bytes.Equal(got[i].val, want[i].val) {
			t.Errorf("attribute %d = %d %x, want %d %x", i, got[i].typ, got[i].val, want[i].typ, want[i].val)
		}
	}
	// A length past the end, or shorter than the header, ends the walk.
	for _, bad := range [][]byte{{8, 0, 1, 0, 0}, {2, 0, 1, 0}, {0, 0, 1, 0, 9, 9, 9, 9}} {
		n := 0
		Walk(append(Append(nil, 7, []byte{1}), bad...), func(uint16, []byte) { n++ })
		if n != 1 {
			t.Errorf("walk over a good attribute and %x: %d attributes, want 1", bad, n)
		}
	}
}

// FuzzWalk: any bytes walk without a panic, each value within the input.
func FuzzWalk(f *testing.F) {
	f.Add(Append(Append(nil, 1, []byte{1, 2}), 2, []byte{3}))
	f.Add([]byte{4, 0})
	f.Fuzz(func(t *testing.T, b []byte) {
		total := 0
		Walk(b, func(_ uint16, val []byte) { total += len(val) + headerLen })
		if total > len(b) {
			t.Fatalf("walked %d bytes of %d", total, len(b))
		}
	})
}
