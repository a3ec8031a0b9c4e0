// Package pcap writes frames to a pcap file.
package pcap

import (
	"encoding/binary"
	"io"
	"sync"
	"time"
)

// Writer writes Ethernet frames to a pcap file (the classic format tcpdump and
// tshark read: microsecond timestamps, LINKTYPE_ETHERNET), one write per
// packet, so that a file cut short by a kill holds every packet written.
type Writer struct {
	mu  sync.Mutex
	w   io.Writer
	err error // the first write error; nothing more is written after it
}

// snapLen is the longest packet a record holds whole.
const snapLen = 262144

// NewWriter writes the file header to w.
func NewWriter(w io.Writer) (*Writer, error) {
	var h [24]byte
	binary.LittleEndian.PutUint32(h[0:], 0xa1b2c3d4) // magic: microseconds
	binary.LittleEndian.PutUint16(h[4:], 2)          // version 2.4
	binary.LittleEndian.PutUint16(h[6:], 4)
	binary.LittleEndian.PutUint32(h[16:], snapLen)
	binary.LittleEndian.PutUint32(h[20:], 1) // LINKTYPE_ETHERNET
	if _, err := w.Write(h[:]); err != nil {
		return nil, err
	}
	return &Writer{w: w}, nil
}

// WriteFrame records one frame seen at t; it is safe for concurrent use.
func (p *Writer) WriteFrame(t time.Time, frame []byte) {
	rec := make([]byte, 16, 16+len(frame))
	n := min(len(frame), snapLen)
	binary.LittleEndian.PutUint32(rec[0:], uint32(t.Unix()))
	binary.LittleEndian.PutUint32(rec[4:], uint32(t.Nanosecond()/1000))
	binary.LittleEndian.PutUint32(rec[8:], uint32(n))
	binary.LittleEndian.PutUint32(rec[12:], uint32(len(frame)))
	rec = append(rec, frame[:n]...)
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.err == nil {
		_, p.err = p.w.Write(rec)
	}
}
