package abi

import (
	"bytes"
	"encoding/binary"
	"net/netip"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/netbox-sandbox/netbox/netstack/sockaddr"
)

// The fuzz targets feed abi random memory images, pointers and lengths.
// The property everywhere: no panic; every error is EFAULT, EINVAL or
// EMSGSIZE (and only the ones the function can give); results stay within
// what the inputs allow.

// Where the fuzz targets map their images. fuzzAddr turns a fuzzed
// pointer into one that usually lands in or near the image.
const (
	fuzzBase  = 0x100000
	fuzzBase2 = 0x300000
	maxImage  = 1 << 16
)

func clampImage(b []byte) []byte {
	if len(b) > maxImage {
		return b[:maxImage]
	}
	return b
}

// fuzzAddr maps a fuzzed 64-bit value to an address: values with the top
// bit clear are offsets from fuzzBase (wrapping a little past the image's
// end so that partial and wholly unmapped accesses happen), others are
// used as they are (NULL, kernel addresses, the top of the address
// space...).
func fuzzAddr(v uint64, size int) uint64 {
	if v>>63 == 0 {
		return fuzzBase + v%uint64(size+64)
	}
	switch v & 3 {
	case 0:
		return 0
	case 1:
		return v // kernel half
	case 2:
		return ^uint64(0) - (v>>2)%64 // top of the address space
	default:
		return fuzzBase2 + (v>>2)%256
	}
}

func checkErr(t *testing.T, what string, err error, allowed ...unix.Errno) {
	t.Helper()
	if err == nil {
		return
	}
	e, ok := err.(unix.Errno)
	if !ok {
		t.Fatalf("%s: error %v (%T) is not an errno", what, err, err)
	}
	for _, a := range allowed {
		if e == a {
			return
		}
	}
	t.Fatalf("%s: error %s not in %v", what, unix.ErrnoName(e), allowed)
}

// fuzzMem maps image at fuzzBase and 256 bytes at fuzzBase2.
func fuzzMem(image []byte) *fakeMem {
	m := newMem()
	m.mapRegion(fuzzBase, image)
	m.mapZero(fuzzBase2, 256)
	return m
}

// FuzzSockaddr: CopyInSockaddr, ParseInet, MarshalInet and
// CopyOutSockaddr with random bytes, lengths and families.
func FuzzSockaddr(f *testing.F) {
	v4 := sockaddrIn(unix.AF_INET, lo4)
	v6 := sockaddrIn6(unix.AF_INET6, ll6, 0x12345, 7, 28)
	mapped := sockaddrIn6(unix.AF_INET6, mapped6, 0, 0, 28)
	// image, pointer, addrlen, socket family selector, family override,
	// out-buffer length.
	f.Add(v4, uint64(0), uint64(16), uint8(0), uint16(0), uint32(16))
	f.Add(v4, uint64(0), uint64(15), uint8(0), uint16(0), uint32(8))
	f.Add(v6, uint64(0), uint64(28), uint8(1), uint16(0), uint32(28))
	f.Add(v6, uint64(0), uint64(24), uint8(1), uint16(0), uint32(128))
	f.Add(v6, uint64(0), uint64(20), uint8(0), uint16(0), uint32(0))
	f.Add(mapped, uint64(0), uint64(28), uint8(1), uint16(0), uint32(1))
	f.Add(mapped, uint64(0), uint64(28), uint8(2), uint16(unix.AF_UNSPEC), uint32(0xffffffff))
	f.Add(v4, uint64(0), uint64(16), uint8(1), uint16(unix.AF_UNIX), uint32(3))
	f.Add(make([]byte, 200), uint64(10), uint64(128), uint8(0), uint16(0xffff), uint32(200))
	f.Add(make([]byte, 200), uint64(10), uint64(129), uint8(1), uint16(0), uint32(0x80000000))
	f.Add(v4, uint64(1<<63|1), uint64(16), uint8(0), uint16(0), uint32(16))
	f.Add(v4, uint64(0), uint64(0xffffffff), uint8(0), uint16(0), uint32(16))
	f.Add(v4, uint64(0), uint64(1<<32|16), uint8(0), uint16(0), uint32(16))
	f.Add([]byte{}, uint64(0), uint64(0), uint8(0), uint16(0), uint32(0))

	f.Fuzz(func(t *testing.T, image []byte, ptr, addrlen uint64, famSel uint8, famOverride uint16, outLen uint32) {
		image = clampImage(bytes.Clone(image))
		if famOverride != 0 && len(image) >= 2 {
			binary.LittleEndian.PutUint16(image, famOverride)
		}
		m := fuzzMem(image)
		addr := fuzzAddr(ptr, len(image))

		b, err := CopyInSockaddr(m, addr, addrlen)
		checkErr(t, "CopyInSockaddr", err, unix.EFAULT, unix.EINVAL)
		l := int32(uint32(addrlen))
		if (l < 0 || l > SockaddrStorageSize) && err != unix.EINVAL {
			t.Fatalf("CopyInSockaddr(len %#x) = %v, want EINVAL", addrlen, err)
		}
		if err != nil {
			if b != nil {
				t.Fatalf("CopyInSockaddr returned %d bytes with an error", len(b))
			}
			// Fall through with random bytes: ParseInet must cope
			// with anything anyway.
			b = image[:min(len(image), int(addrlen%160))]
		} else {
			if len(b) != int(l) {
				t.Fatalf("CopyInSockaddr(len %d) returned %d bytes", l, len(b))
			}
			if l > 0 {
				want := make([]byte, l)
				if m.ReadMem(addr, want) != nil || !bytes.Equal(b, want) {
					t.Fatalf("CopyInSockaddr bytes differ from memory")
				}
			}
		}

		families := []int{unix.AF_INET, unix.AF_INET6, int(famSel)}
		for _, family := range families[:2+int(famSel>>7)] {
			in := bytes.Clone(b)
			a, err := ParseInet(family, b)
			checkErr(t, "ParseInet", err, unix.EINVAL)
			if !bytes.Equal(in, b) {
				t.Fatalf("ParseInet modified its input")
			}
			need := SizeofSockaddrInet4
			if family == unix.AF_INET6 {
				need = 24
			}
			if family == unix.AF_INET || family == unix.AF_INET6 {
				if (len(b) < need) != (err != nil) {
					t.Fatalf("ParseInet(%d, %d bytes) error %v", family, len(b), err)
				}
			}
			if err != nil {
				continue
			}
			if a.Family != Family(b) {
				t.Fatalf("ParseInet Family %d, sockaddr says %d", a.Family, Family(b))
			}
			switch a.Family {
			case unix.AF_INET, unix.AF_UNSPEC:
				if len(b) < 16 || !a.Addr.Addr().Is4() || a.Addr.Port() != binary.BigEndian.Uint16(b[2:]) {
					t.Fatalf("ParseInet v4: %+v from %x", a, b)
				}
				if a.FlowInfo != 0 || a.ScopeID != 0 {
					t.Fatalf("ParseInet v4 with flow/scope: %+v", a)
				}
				rt, err := ParseInet(unix.AF_INET, sockaddr.Inet(unix.AF_INET, a.Addr))
				if err != nil || rt.Addr != a.Addr || rt.Family != unix.AF_INET {
					t.Fatalf("v4 round trip: %+v -> %+v, %v", a, rt, err)
				}
			case unix.AF_INET6:
				if a.Addr.IsValid() {
					if len(b) < 24 || !a.Addr.Addr().Is6() || a.Addr.Port() != binary.BigEndian.Uint16(b[2:]) {
						t.Fatalf("ParseInet v6: %+v from %x", a, b)
					}
					if len(b) < 28 && a.ScopeID != 0 {
						t.Fatalf("ScopeID from a %d-byte sockaddr", len(b))
					}
					rt, err := ParseInet(unix.AF_INET6, sockaddr.Inet(unix.AF_INET6, a.Addr))
					if err != nil || rt.Addr != a.Addr {
						t.Fatalf("v6 round trip: %+v -> %+v, %v", a, rt, err)
					}
					v4 := sockaddr.Inet(unix.AF_INET, a.Addr)
					if len(v4) != 16 || Family(v4) != unix.AF_INET {
						t.Fatalf("sockaddr.Inet(AF_INET, %v) = %x", a.Addr, v4)
					}
				} else if len(b) >= 24 {
					t.Fatalf("ParseInet v6 without an address from %d bytes", len(b))
				}
			default:
				if a.Addr.IsValid() {
					t.Fatalf("ParseInet of family %d decoded an address: %+v", a.Family, a)
				}
			}
		}

		// CopyOutSockaddr of what a socket of either family reports,
		// into a buffer whose length word holds outLen.
		for _, family := range []int{unix.AF_INET, unix.AF_INET6} {
			ap := netip.AddrPortFrom(netip.AddrFrom16([16]byte(append(bytes.Clone(image), make([]byte, 16)...)[:16])), uint16(addrlen))
			sa := sockaddr.Inet(family, ap)
			m := fuzzMem(bytes.Clone(image))
			lenPtr := fuzzBase2 + uint64(famSel)%8
			binary.LittleEndian.PutUint32(m.regions[1].data[famSel%8:], outLen)
			before := bytes.Clone(m.regions[0].data)
			err := CopyOutSockaddr(m, addr, lenPtr, sa)
			checkErr(t, "CopyOutSockaddr", err, unix.EFAULT, unix.EINVAL)
			gotLen := binary.LittleEndian.Uint32(m.regions[1].data[famSel%8:])
			if addr == 0 && int32(outLen) > 0 {
				// getsockname into NULL with room claimed: the copy faults.
				if err != unix.EFAULT || gotLen != outLen {
					t.Fatalf("CopyOutSockaddr(NULL, len %d) = %v, stored %d", outLen, err, gotLen)
				}
				continue
			}
			if int32(outLen) < 0 {
				if err != unix.EINVAL {
					t.Fatalf("CopyOutSockaddr(len %#x) = %v, want EINVAL", outLen, err)
				}
			}
			if err != nil {
				if gotLen != outLen {
					t.Fatalf("length stored after error %v", err)
				}
				continue
			}
			if gotLen != uint32(len(sa)) {
				t.Fatalf("stored length %d, want %d", gotLen, len(sa))
			}
			n := min(int(outLen), len(sa))
			total := 0
			for _, w := range m.writes {
				total += w.n
			}
			if total != n+4 {
				t.Fatalf("wrote %d bytes, want %d+4 (writes %v)", total, n, m.writes)
			}
			if n > 0 && addr >= fuzzBase && addr+uint64(n) <= fuzzBase+uint64(len(image)) {
				off := int(addr - fuzzBase)
				if !bytes.Equal(m.regions[0].data[off:off+n], sa[:n]) {
					t.Fatalf("sockaddr bytes not written")
				}
				if !bytes.Equal(m.regions[0].data[:off], before[:off]) || !bytes.Equal(m.regions[0].data[off+n:], before[off+n:]) {
					t.Fatalf("wrote outside the %d bytes", n)
				}
			}
		}
	})
}

// FuzzMsghdr: ReadMsghdr, ReadIovecs, Gather, Scatter and WriteMsgResult
// on a random memory image. Pointers inside the image that look small are
// relocated into it (see reloc), so that the iovec array and buffers the
// msghdr points at are often mapped.
func FuzzMsghdr(f *testing.F) {
	mkImage := func(iovs []Iovec, iovLen uint64) []byte {
		// msghdr at 0, iovecs at 64, data from 256.
		img := make([]byte, 512)
		for i := 256; i < len(img); i++ {
			img[i] = byte(i)
		}
		copy(img, msghdrBytes(Msghdr{Name: 300, NameLen: 16, Iov: 64, IovLen: iovLen, Flags: 0}, 0))
		copy(img[64:], iovecBytes(iovs...))
		return img
	}
	f.Add(mkImage([]Iovec{{256, 10}, {0, 0}, {300, 20}}, 3), uint64(0), uint16(100), []byte("hello, world, this is data"), true)
	f.Add(mkImage([]Iovec{{256, 10}, {1 << 40, 0}, {500, 20}}, 3), uint64(0), uint16(100), []byte("x"), true)
	f.Add(mkImage([]Iovec{{256, 1 << 62}}, 1), uint64(0), uint16(65535), []byte("abc"), true)
	f.Add(mkImage([]Iovec{{256, ^uint64(0)}}, 1), uint64(0), uint16(5), []byte("abc"), true)
	f.Add(mkImage([]Iovec{{256, 0x60000000}, {256, 0x60000000}, {256, 4}}, 3), uint64(0), uint16(1000), bytes.Repeat([]byte{7}, 300), true)
	f.Add(mkImage([]Iovec{{256, 16}}, 1025), uint64(0), uint16(16), []byte("abc"), true)
	f.Add(mkImage([]Iovec{{256, 16}}, 12), uint64(0), uint16(16), []byte("abc"), true)
	f.Add(mkImage([]Iovec{{256, 16}}, 1), uint64(480), uint16(16), []byte("abc"), true)
	f.Add(mkImage([]Iovec{{0x300010, 16}}, 1), uint64(0), uint16(16), []byte("abc"), false)
	f.Add([]byte{}, uint64(0), uint16(0), []byte{}, false)

	f.Fuzz(func(t *testing.T, image []byte, msgPtr uint64, max uint16, data []byte, reloc bool) {
		image = clampImage(bytes.Clone(image))
		m := fuzzMem(image)
		// relocate turns small pointer values into addresses in the
		// image.
		relocate := func(p uint64) uint64 {
			if reloc && p < uint64(len(image))+64 {
				return fuzzBase + p
			}
			return p
		}
		msgAddr := fuzzAddr(msgPtr, len(image))
		msg, err := ReadMsghdr(m, msgAddr)
		checkErr(t, "ReadMsghdr", err, unix.EFAULT)
		if err != nil {
			if msg != (Msghdr{}) {
				t.Fatalf("ReadMsghdr returned %+v with an error", msg)
			}
			return
		}
		var raw [SizeofMsghdr]byte
		if m.ReadMem(msgAddr, raw[:]) != nil || msg.Iov != binary.LittleEndian.Uint64(raw[16:]) || msg.IovLen != binary.LittleEndian.Uint64(raw[24:]) {
			t.Fatalf("ReadMsghdr disagrees with memory")
		}

		iovAddr := relocate(msg.Iov)
		iov, err := ReadIovecs(m, iovAddr, msg.IovLen)
		checkErr(t, "ReadIovecs", err, unix.EFAULT, unix.EINVAL, unix.EMSGSIZE)
		if msg.IovLen > UIOMaxIOV && err != unix.EMSGSIZE {
			t.Fatalf("ReadIovecs(%d) = %v, want EMSGSIZE", msg.IovLen, err)
		}
		if err == nil {
			if uint64(len(iov)) != msg.IovLen {
				t.Fatalf("ReadIovecs(%d) returned %d iovecs", msg.IovLen, len(iov))
			}
			if TotalLen(iov) > MaxRWCount {
				t.Fatalf("TotalLen %#x > MAX_RW_COUNT", TotalLen(iov))
			}
			rawIov := make([]byte, 16*len(iov))
			m.ReadMem(iovAddr, rawIov)
			var total uint64
			for i, v := range iov {
				wantBase := binary.LittleEndian.Uint64(rawIov[16*i:])
				origLen := binary.LittleEndian.Uint64(rawIov[16*i+8:])
				if int64(origLen) < 0 {
					t.Fatalf("negative length %#x accepted", origLen)
				}
				if v.Base != wantBase || v.Len > origLen {
					t.Fatalf("iovec %d = %+v from {%#x %#x}", i, v, wantBase, origLen)
				}
				// Only the segment reaching the cap is cut.
				if v.Len != origLen && total+origLen <= MaxRWCount {
					t.Fatalf("iovec %d cut from %#x to %#x below the cap", i, origLen, v.Len)
				}
				total += v.Len
			}
		} else {
			// Go on with iovecs made from the image so that Gather
			// and Scatter get exercised on arbitrary input.
			iov = nil
			for i := 0; i+16 <= len(image) && len(iov) < 8; i += 16 {
				iov = append(iov, Iovec{Base: binary.LittleEndian.Uint64(image[i:]), Len: binary.LittleEndian.Uint64(image[i+8:]) % (1 << 20)})
			}
		}
		for i := range iov {
			iov[i].Base = relocate(iov[i].Base)
		}

		total := TotalLen(iov)
		g, err := Gather(m, iov, int(max))
		checkErr(t, "Gather", err, unix.EFAULT)
		if err == nil {
			want := int(min(total, uint64(max)))
			if len(g) != want {
				t.Fatalf("Gather returned %d bytes, want min(%d, %d)", len(g), total, max)
			}
			// Compare with a byte-by-byte model.
			var model []byte
			for _, v := range iov {
				for j := uint64(0); j < v.Len && len(model) < want; j++ {
					var c [1]byte
					if m.ReadMem(v.Base+j, c[:]) != nil {
						t.Fatalf("Gather succeeded over unreadable byte %#x", v.Base+j)
					}
					model = append(model, c[0])
				}
			}
			if !bytes.Equal(g, model) {
				t.Fatalf("Gather = %x, model %x", g, model)
			}
		} else if g != nil {
			t.Fatalf("Gather returned data with an error")
		}

		n, err := Scatter(m, iov, data)
		checkErr(t, "Scatter", err, unix.EFAULT)
		if n < 0 || n > len(data) || uint64(n) > total {
			t.Fatalf("Scatter wrote %d bytes (data %d, iov total %d)", n, len(data), total)
		}
		if err == nil && n != int(min(uint64(len(data)), total)) {
			t.Fatalf("Scatter wrote %d bytes, want min(%d, %d)", n, len(data), total)
		}
		written := 0
		for _, w := range m.writes {
			written += w.n
		}
		if written != n {
			t.Fatalf("Scatter reports %d bytes, wrote %d", n, written)
		}

		m.writes = nil
		err = WriteMsgResult(m, msgAddr, uint32(len(data)), uint64(max), int32(n))
		checkErr(t, "WriteMsgResult", err, unix.EFAULT)
		if err == nil {
			h, err := ReadMsghdr(m, msgAddr)
			if err != nil || h.NameLen != uint32(len(data)) || h.ControlLen != uint64(max) || h.Flags != int32(n) {
				t.Fatalf("after WriteMsgResult: %+v, %v", h, err)
			}
		}
		for _, w := range m.writes {
			if w.addr < msgAddr || w.addr+uint64(w.n) > msgAddr+SizeofMsghdr {
				t.Fatalf("WriteMsgResult wrote outside the msghdr: %+v", w)
			}
		}
	})
}

// FuzzOptval: NewOptval/Optval.Read, ReadOptlen and WriteOptval.
func FuzzOptval(f *testing.F) {
	one := []byte{1, 0, 0, 0, 4, 0, 0, 0}
	f.Add(one, uint64(0), uint64(4), uint64(4), []byte{1, 2, 3, 4})
	f.Add(one, uint64(0), uint64(0), uint64(4), []byte{1, 2, 3, 4})
	f.Add(one, uint64(0), uint64(0xffffffff), uint64(4), []byte{})
	f.Add(one, uint64(6), uint64(4), uint64(6), []byte{1, 2, 3, 4})
	f.Add(one, uint64(1<<63|1), uint64(4), uint64(1<<63), []byte{1})
	f.Add(make([]byte, 1<<16+8), uint64(0), uint64(1<<20), uint64(1<<16), bytes.Repeat([]byte{9}, 300))
	f.Add([]byte{0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0}, uint64(4), uint64(1<<32|2), uint64(0), []byte{5, 6})

	f.Fuzz(func(t *testing.T, image []byte, valPtr, optlen, lenPtr uint64, val []byte) {
		image = clampImage(bytes.Clone(image))
		m := fuzzMem(image)
		addr := fuzzAddr(valPtr, len(image))
		lp := fuzzAddr(lenPtr, len(image))

		v, err := NewOptval(m, addr, optlen)
		checkErr(t, "NewOptval", err, unix.EINVAL)
		l := int32(uint32(optlen))
		if (l < 0) != (err == unix.EINVAL) {
			t.Fatalf("NewOptval(optlen %#x) = %v", optlen, err)
		}
		if err == nil {
			n := int(min(l, 1<<16, int32(len(val)+4)))
			b, err := v.Read(n)
			checkErr(t, "Optval.Read", err, unix.EFAULT)
			if err == nil {
				if len(b) != n {
					t.Fatalf("Optval.Read(%d) returned %d bytes", n, len(b))
				}
				want := make([]byte, len(b))
				if m.ReadMem(addr, want) != nil || !bytes.Equal(b, want) {
					t.Fatalf("Optval.Read bytes differ from memory")
				}
			}
			if _, err := v.Read(v.Len() + 1); err != unix.EINVAL {
				t.Fatalf("Optval.Read past optlen = %v, want EINVAL", err)
			}
		}

		ol, err := ReadOptlen(m, lp)
		checkErr(t, "ReadOptlen", err, unix.EFAULT, unix.EINVAL)
		if err != nil {
			ol = int(optlen % 1024)
		} else if ol < 0 || ol > 0x7fffffff {
			t.Fatalf("ReadOptlen = %d", ol)
		}

		m.writes = nil
		err = WriteOptval(m, addr, lp, ol, val)
		checkErr(t, "WriteOptval", err, unix.EFAULT)
		n := min(ol, len(val))
		written := 0
		for _, w := range m.writes {
			written += w.n
		}
		if err == nil {
			if written != n+4 {
				t.Fatalf("WriteOptval wrote %d bytes, want %d+4", written, n)
			}
			var got [4]byte
			if m.ReadMem(lp, got[:]) != nil || binary.LittleEndian.Uint32(got[:]) != uint32(n) {
				t.Fatalf("*optlen = %x, want %d", got, n)
			}
			// The value, unless the length word was written over it.
			if n > 0 && (lp+4 <= addr || lp >= addr+uint64(n)) {
				v := make([]byte, n)
				if m.ReadMem(addr, v) != nil || !bytes.Equal(v, val[:n]) {
					t.Fatalf("optval = %x, want %x", v, val[:n])
				}
			}
		} else if written > n+4 {
			t.Fatalf("WriteOptval wrote %d bytes with an error", written)
		}
	})
}
