package netstack

import (
	"encoding/binary"
	"io"
	"sync"
	"time"
)

// pcapWriter writes packets to a pcap file (the classic format tcpdump and
// tshark read: microsecond timestamps, LINKTYPE_ETHERNET), one write per
// packet, so that a file cut short by a kill holds every packet written.
type pcapWriter struct {
	mu  sync.Mutex
	w   io.Writer
	err error // the first write error; nothing more is written after it
}

// pcapSnapLen is the longest packet a record holds whole.
const pcapSnapLen = 262144

// newPcapWriter writes the file header.
func newPcapWriter(w io.Writer) (*pcapWriter, error) {
	var h [24]byte
	binary.LittleEndian.PutUint32(h[0:], 0xa1b2c3d4) // magic: microseconds
	binary.LittleEndian.PutUint16(h[4:], 2)          // version 2.4
	binary.LittleEndian.PutUint16(h[6:], 4)
	binary.LittleEndian.PutUint32(h[16:], pcapSnapLen)
	binary.LittleEndian.PutUint32(h[20:], 1) // LINKTYPE_ETHERNET
	if _, err := w.Write(h[:]); err != nil {
		return nil, err
	}
	return &pcapWriter{w: w}, nil
}

// write records one frame seen at t.
func (p *pcapWriter) write(t time.Time, frame []byte) {
	rec := make([]byte, 16, 16+len(frame))
	n := min(len(frame), pcapSnapLen)
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
