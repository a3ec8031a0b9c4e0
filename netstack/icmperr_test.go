package netstack

import (
	"encoding/binary"
	"net/netip"
	"reflect"
	"testing"

	"gvisor.dev/gvisor/pkg/buffer"
	"gvisor.dev/gvisor/pkg/tcpip/checksum"
	"gvisor.dev/gvisor/pkg/tcpip/header"
	"gvisor.dev/gvisor/pkg/tcpip/stack"
)

// icmp4Packet builds an IPv4 packet from 127.0.0.9 holding an ICMP error
// of type/code (rest: the word after the checksum) that quotes a UDP
// datagram 127.0.0.1:1000 -> 127.0.0.3:2000 carrying "abcd".
func icmp4Packet(typ, code uint8, rest uint32) []byte {
	b := make([]byte, 20+8+20+8+4)
	b[0], b[8], b[9] = 0x45, 64, 1
	copy(b[12:], []byte{127, 0, 0, 9})
	copy(b[16:], []byte{127, 0, 0, 1})
	m := b[20:]
	m[0], m[1] = typ, code
	binary.BigEndian.PutUint32(m[4:], rest)
	q := m[8:]
	q[0], q[8], q[9] = 0x45, 64, 17
	copy(q[12:], []byte{127, 0, 0, 1})
	copy(q[16:], []byte{127, 0, 0, 3})
	binary.BigEndian.PutUint16(q[20:], 1000)
	binary.BigEndian.PutUint16(q[22:], 2000)
	copy(q[28:], "abcd")
	binary.BigEndian.PutUint16(m[2:], ^checksum.Checksum(m, 0))
	return b
}

func TestParseICMPv4Error(t *testing.T) {
	for _, c := range []struct {
		typ, code uint8
		rest      uint32
		ok        bool
		info      uint32
	}{
		{3, 1, 0, true, 0},
		{3, 4, 1200, true, 1200},
		{3, 15, 0, true, 0},
		{3, 16, 0, false, 0}, // beyond NR_ICMP_UNREACH
		{11, 0, 0, true, 0},
		{11, 1, 0, false, 0}, // reassembly timeout
		{12, 0, 20 << 24, true, 20},
		{4, 0, 0, false, 0}, // source quench
		{5, 1, 0, false, 0}, // redirect
		{0, 0, 0, false, 0}, // echo reply
	} {
		e, ok := parseICMPv4Error(icmp4Packet(c.typ, c.code, c.rest))
		if ok != c.ok {
			t.Errorf("%d/%d: ok %v, want %v", c.typ, c.code, ok, c.ok)
			continue
		}
		if !ok {
			continue
		}
		want := icmpError{v4: true, typ: c.typ, code: c.code, info: c.info, ttl: 64,
			offender: netip.MustParseAddr("127.0.0.9"),
			src:      netip.MustParseAddrPort("127.0.0.1:1000"), dst: netip.MustParseAddrPort("127.0.0.3:2000")}
		if string(e.payload) != "abcd" {
			t.Errorf("%d/%d: payload %q", c.typ, c.code, e.payload)
		}
		e.payload = nil
		if !reflect.DeepEqual(e, want) {
			t.Errorf("%d/%d: got %+v, want %+v", c.typ, c.code, e, want)
		}
	}
	p := icmp4Packet(3, 1, 0)
	p[30] ^= 1 // the checksum no longer holds
	if _, ok := parseICMPv4Error(p); ok {
		t.Error("bad checksum accepted")
	}
}

// FuzzICMPError feeds arbitrary packets to both parsers: they must never
// panic, and what they accept must quote a UDP datagram whose payload
// lies inside the packet.
func FuzzICMPError(f *testing.F) {
	f.Add(icmp4Packet(3, 4, 1200), true)
	f.Add(icmp4Packet(11, 0, 0), true)
	f.Add(icmp4Packet(3, 1, 0)[20:], false)
	f.Add([]byte{0x45}, true)
	f.Fuzz(func(t *testing.T, b []byte, v4 bool) {
		var e icmpError
		var ok bool
		if v4 {
			e, ok = parseICMPv4Error(b)
		} else {
			e, ok = parseICMPv6Error(netip.IPv6Loopback(), b)
		}
		if !ok {
			return
		}
		if len(e.payload) > len(b) || !e.src.IsValid() || !e.dst.IsValid() {
			t.Fatalf("accepted %x: %+v", b, e)
		}
		e.convert()
	})
}

// FuzzBadUDPChecksum feeds arbitrary packets, as lo carries them (a
// program's raw socket can write any), to the checksum check: it must
// never panic.
func FuzzBadUDPChecksum(f *testing.F) {
	f.Add(icmp4Packet(3, 1, 0)[20:], true) // the quoted datagram, cut short
	f.Add([]byte{0x45, 0, 0, 32, 0, 0, 0, 0, 64, 17, 0, 0, 127, 0, 0, 1, 127, 0, 0, 1, 0, 1, 0, 2, 0, 12, 0, 0, 'a', 'b', 'c', 'd'}, true)
	f.Fuzz(func(t *testing.T, b []byte, v4 bool) {
		proto := header.IPv6ProtocolNumber
		if v4 {
			proto = header.IPv4ProtocolNumber
		}
		pkt := stack.NewPacketBuffer(stack.PacketBufferOptions{Payload: buffer.MakeWithData(b)})
		defer pkt.DecRef()
		pkt.NetworkProtocolNumber = proto
		badUDPChecksum(pkt)
	})
}

func TestSegments(t *testing.T) {
	data := make([]byte, 2500)
	for _, c := range []struct {
		gso  int
		want []int
	}{
		{0, []int{2500}}, {2500, []int{2500}}, {3000, []int{2500}}, {1000, []int{1000, 1000, 500}}, {1250, []int{1250, 1250}},
	} {
		var got []int
		for _, d := range segments(data, c.gso) {
			got = append(got, len(d))
		}
		if !reflect.DeepEqual(got, c.want) {
			t.Errorf("segments of 2500 by %d: %v, want %v", c.gso, got, c.want)
		}
	}
}
