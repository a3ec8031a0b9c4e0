// Package nlattr reads and writes netlink attributes: struct nlattr (and
// rtnetlink's struct rtattr, the same layout) — a 16-bit length that
// counts the 4-byte header, a 16-bit type, the value, padded to 4 bytes.
package nlattr

import "encoding/binary"

// headerLen is sizeof(struct nlattr).
const headerLen = 4

// align is NLA_ALIGN: an attribute's length rounded up to 4 bytes.
func align(n int) int { return (n + 3) &^ 3 }

// Append appends an attribute of type typ holding val, padded.
func Append(b []byte, typ uint16, val []byte) []byte {
	var h [headerLen]byte
	binary.LittleEndian.PutUint16(h[0:], uint16(headerLen+len(val)))
	binary.LittleEndian.PutUint16(h[2:], typ)
	b = append(append(b, h[:]...), val...)
	for len(b)%4 != 0 {
		b = append(b, 0)
	}
	return b
}

// Walk calls fn with the type and value of each attribute of b, in
// order (nla_for_each_attr). It stops at the first malformed one: a length
// shorter than the header or running past b.
func Walk(b []byte, fn func(typ uint16, val []byte)) {
	for len(b) >= headerLen {
		l := int(binary.LittleEndian.Uint16(b))
		if l < headerLen || l > len(b) {
			return
		}
		fn(binary.LittleEndian.Uint16(b[2:]), b[headerLen:l])
		b = b[min(align(l), len(b)):]
	}
}
