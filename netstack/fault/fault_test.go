package fault

import (
	"testing"
	"time"

	"gvisor.dev/gvisor/pkg/buffer"
	"gvisor.dev/gvisor/pkg/tcpip/link/channel"
	"gvisor.dev/gvisor/pkg/tcpip/stack"
)

func TestParseSpec(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"loss=10%", "loss=10%"},
		{"loss=0.25,delay=50ms,jitter=5ms", "loss=25%,delay=50ms,jitter=5ms"},
		{"rate=10mbit,reorder=1%,dup=2%,corrupt=0.5%", "rate=10000000bit,reorder=1%,duplicate=2%,corrupt=0.5%"},
		{"down", "down"},
		{"down,up", "none"},
		{"loss=10%,none", "none"},
		{"loss=101%", "error"},
		{"loss=-1", "error"},
		{"delay=2h", "error"},
		{"delay=5ms,jitter=6ms", "error"},
		{"rate=0", "error"},
		{"down=1", "error"},
		{"speed=3", "error"},
		{"", "error"},
	} {
		s, err := ParseSpec(c.in, Spec{})
		got := "error"
		if err == nil {
			got = s.String()
		}
		if got != c.want {
			t.Errorf("ParseSpec(%q) = %s (%v), want %s", c.in, got, err, c.want)
		}
	}
}

// sendAll writes n one-byte-payload packets through l and returns which
// reached the inner endpoint (by their payload's index), waiting at most
// wait for delayed ones until expect have come.
func sendAll(t *testing.T, l *Link, inner *channel.Endpoint, n, expect int, wait time.Duration) []int {
	t.Helper()
	for i := 0; i < n; i++ {
		p := stack.NewPacketBuffer(stack.PacketBufferOptions{Payload: buffer.MakeWithData([]byte{byte(i), byte(i >> 8)})})
		var list stack.PacketBufferList
		list.PushBack(p)
		l.WritePackets(list)
		p.DecRef()
	}
	var got []int
	deadline := time.Now().Add(wait)
	for {
		p := inner.Read()
		if p == nil {
			if len(got) >= expect || time.Now().After(deadline) {
				return got
			}
			time.Sleep(time.Millisecond)
			continue
		}
		b := p.ToView().AsSlice()
		got = append(got, int(b[0])|int(b[1])<<8)
		p.DecRef()
	}
}

func TestLossSeeded(t *testing.T) {
	run := func(seed uint64) []int {
		inner := channel.New(4096, 1500, "")
		l := New(inner, seed)
		defer l.Close()
		l.Set(Out, Spec{Loss: 0.3})
		return sendAll(t, l, inner, 1000, 0, 0)
	}
	a, b, c := run(7), run(7), run(8)
	if len(a) < 600 || len(a) > 800 {
		t.Errorf("30%% loss passed %d of 1000", len(a))
	}
	if !equal(a, b) {
		t.Error("the same seed dropped different packets")
	}
	if equal(a, c) {
		t.Error("another seed dropped the same packets")
	}
}

func TestDelayKeepsOrder(t *testing.T) {
	inner := channel.New(4096, 1500, "")
	l := New(inner, 1)
	defer l.Close()
	l.Set(Out, Spec{Delay: 30 * time.Millisecond})
	start := time.Now()
	got := sendAll(t, l, inner, 50, 50, 5*time.Second)
	if len(got) != 50 {
		t.Fatalf("%d of 50 packets came through", len(got))
	}
	if el := time.Since(start); el < 30*time.Millisecond {
		t.Errorf("delayed packets came after %v, before the delay", el)
	}
	for i, v := range got {
		if v != i {
			t.Fatalf("without jitter the order changed: %v", got)
		}
	}
}

func TestDuplicateAndDown(t *testing.T) {
	inner := channel.New(4096, 1500, "")
	l := New(inner, 1)
	defer l.Close()
	l.Set(Out, Spec{Duplicate: 1})
	if got := sendAll(t, l, inner, 10, 0, 0); len(got) != 20 {
		t.Errorf("duplicate=100%%: %d packets for 10", len(got))
	}
	l.Set(Out, Spec{Down: true})
	if got := sendAll(t, l, inner, 10, 0, 0); len(got) != 0 {
		t.Errorf("down: %d packets passed", len(got))
	}
	l.Set(Out, Spec{})
	if got := sendAll(t, l, inner, 10, 0, 0); len(got) != 10 {
		t.Errorf("healed: %d of 10 passed", len(got))
	}
}

func equal(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
