package netstack

import "testing"

// The truesizes measured on Linux 6.18 (x86-64): SO_MEMINFO's rmem_alloc
// of a UDP socket holding one datagram received over lo, and SIOCOUTQ of
// an AF_UNIX datagram socket holding one it sent; each row is the first
// payload size of a new value and the last of the previous one.
func TestTruesizes(t *testing.T) {
	udp := []struct {
		v6      bool
		n, want int
		desc    string
	}{
		{false, 0, 832, "small head"}, {false, 197, 832, ""}, {false, 198, 1280, "kmalloc-1k"},
		{false, 645, 1280, ""}, {false, 646, 2304, "kmalloc-2k"}, {false, 1669, 2304, ""},
		{false, 1670, 4352, "kmalloc-4k"}, {false, 3717, 4352, ""}, {false, 3718, 8448, "kmalloc-8k"},
		{false, 7813, 8448, ""}, {false, 7814, 16640, "kmalloc-16k"}, {false, 16004, 16640, ""},
		{false, 16005, 16837, "paged"}, {false, 65507, 66339, ""},
		{true, 184, 832, ""}, {true, 185, 1280, ""}, {true, 632, 1280, ""}, {true, 633, 2304, ""},
		{true, 1656, 2304, ""}, {true, 1657, 4352, ""}, {true, 3704, 4352, ""}, {true, 3705, 8448, ""},
		{true, 7800, 8448, ""}, {true, 7801, 16640, ""}, {true, 15991, 16640, ""}, {true, 15992, 16824, ""},
		{true, 65488, 66320, ""}, {true, 65489, 67144, "reassembled"}, {true, 65527, 67144, ""},
	}
	for _, c := range udp {
		if got := udpTruesize(c.v6, c.n); got != c.want {
			t.Errorf("udpTruesize(v6=%v, %d) = %d, want %d", c.v6, c.n, got, c.want)
		}
	}
	unixSizes := map[int]int{
		0: 768, 100: 768, 190: 768, 197: 1280, 700: 1280, 800: 2304, 1500: 2304, 1800: 4352,
		3700: 4352, 3800: 8448, 7800: 8448, 8000: 16640, 16000: 16640, 20000: 20736,
		32000: 33024, 40000: 41216, 60000: 61696, 65000: 65792, 65507: 69888,
	}
	for n, want := range unixSizes {
		if got := unixTruesize(n); got != want {
			t.Errorf("unixTruesize(%d) = %d, want %d", n, got, want)
		}
	}
}

// TestAdmits is __udp_enqueue_schedule_skb's rule as Linux 6.18 applies
// it: within the buffer, or into an empty queue of a sane buffer.
func TestAdmits(t *testing.T) {
	for _, c := range []struct {
		charged, size, rcvbuf int64
		want                  bool
	}{
		{0, 832, 2304, true}, {832, 832, 2304, true}, {1664, 832, 2304, false},
		{0, 4352, 2304, true}, {4352, 4352, 8192, false}, {0, 832, 1 << 30, true}, {0, 1 << 31, 1 << 30, false},
		{0, 1 << 31, 1<<30 - 1, true}, {2304, 2304, 4608, true},
	} {
		q := rcvQueue{charged: c.charged}
		if got := q.admits(c.size, c.rcvbuf); got != c.want {
			t.Errorf("charged %d, size %d, rcvbuf %d: admits %v, want %v", c.charged, c.size, c.rcvbuf, got, c.want)
		}
	}
}
