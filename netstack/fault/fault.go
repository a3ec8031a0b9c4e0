// Package fault injects network faults on a link, for network tests: per
// direction, packet loss, delay with jitter, a rate limit, reordering,
// duplication, corruption and a partition (nothing passes), in the manner
// of Linux's netem qdisc. Its decisions come from a seeded generator, so a
// run with the same seed and the same traffic drops the same packets.
package fault

import (
	"fmt"
	"math/rand/v2"
	"strconv"
	"strings"
	"sync"
	"time"

	"gvisor.dev/gvisor/pkg/buffer"
	"gvisor.dev/gvisor/pkg/tcpip"
	"gvisor.dev/gvisor/pkg/tcpip/header"
	"gvisor.dev/gvisor/pkg/tcpip/link/nested"
	"gvisor.dev/gvisor/pkg/tcpip/stack"
)

// Spec is one direction's faults. The zero Spec passes everything at once.
type Spec struct {
	Loss      float64       // probability that a packet is dropped
	Delay     time.Duration // added to every packet
	Jitter    time.Duration // the delay varies uniformly by ± this much
	Rate      uint64        // bits per second the link carries; 0: no limit
	Reorder   float64       // probability that a packet skips the delay (and overtakes)
	Duplicate float64       // probability that a packet is sent twice
	Corrupt   float64       // probability that one bit of a packet is flipped
	Down      bool          // a partition: nothing passes
}

// active reports whether s changes anything.
func (s Spec) active() bool { return s != Spec{} }

// String is s as ParseSpec reads it.
func (s Spec) String() string {
	var out []string
	pct := func(name string, p float64) {
		if p != 0 {
			out = append(out, name+"="+strconv.FormatFloat(p*100, 'g', -1, 64)+"%")
		}
	}
	if s.Down {
		out = append(out, "down")
	}
	pct("loss", s.Loss)
	if s.Delay != 0 {
		out = append(out, "delay="+s.Delay.String())
	}
	if s.Jitter != 0 {
		out = append(out, "jitter="+s.Jitter.String())
	}
	if s.Rate != 0 {
		out = append(out, "rate="+strconv.FormatUint(s.Rate, 10)+"bit")
	}
	pct("reorder", s.Reorder)
	pct("duplicate", s.Duplicate)
	pct("corrupt", s.Corrupt)
	if len(out) == 0 {
		return "none"
	}
	return strings.Join(out, ",")
}

// ParseSpec reads a comma-separated list of faults: loss=P, delay=D,
// jitter=D, rate=R, reorder=P, duplicate=P, corrupt=P, down, up (no
// partition) and none (no faults), where P is a percentage (10%) or a
// fraction (0.1), D a Go duration (50ms) and R bits per second with an
// optional k, m or g and "bit" (10mbit). Each names a field of base;
// the others keep base's value.
func ParseSpec(s string, base Spec) (Spec, error) {
	out := base
	for _, item := range strings.Split(s, ",") {
		item = strings.TrimSpace(item)
		key, val, hasVal := strings.Cut(item, "=")
		var err error
		switch key {
		case "none":
			out = Spec{}
		case "down":
			out.Down = true
		case "up":
			out.Down = false
		case "loss":
			out.Loss, err = parseProb(val)
		case "reorder":
			out.Reorder, err = parseProb(val)
		case "duplicate", "dup":
			out.Duplicate, err = parseProb(val)
		case "corrupt":
			out.Corrupt, err = parseProb(val)
		case "delay":
			out.Delay, err = parseDuration(val)
		case "jitter":
			out.Jitter, err = parseDuration(val)
		case "rate":
			out.Rate, err = parseRate(val)
		default:
			return base, fmt.Errorf("fault: unknown %q (want loss, delay, jitter, rate, reorder, duplicate, corrupt, down, up or none)", key)
		}
		if err == nil && hasVal == (key == "none" || key == "down" || key == "up") {
			err = fmt.Errorf("fault: %q: bad form", item)
		}
		if err != nil {
			return base, err
		}
	}
	if out.Jitter > out.Delay {
		return base, fmt.Errorf("fault: jitter %v exceeds delay %v", out.Jitter, out.Delay)
	}
	return out, nil
}

func parseProb(v string) (float64, error) {
	p, isPct := strings.CutSuffix(v, "%")
	f, err := strconv.ParseFloat(p, 64)
	if err == nil && isPct {
		f /= 100
	}
	if err != nil || f < 0 || f > 1 {
		return 0, fmt.Errorf("fault: %q: want a percentage (0%%–100%%) or a fraction", v)
	}
	return f, nil
}

// maxDelay bounds a delay: packets wait in memory meanwhile.
const maxDelay = time.Minute

func parseDuration(v string) (time.Duration, error) {
	d, err := time.ParseDuration(v)
	if err != nil || d < 0 || d > maxDelay {
		return 0, fmt.Errorf("fault: %q: want a duration between 0 and %v", v, maxDelay)
	}
	return d, nil
}

func parseRate(v string) (uint64, error) {
	num := strings.TrimSuffix(strings.ToLower(v), "bit")
	mult := uint64(1)
	switch {
	case strings.HasSuffix(num, "k"):
		mult, num = 1e3, num[:len(num)-1]
	case strings.HasSuffix(num, "m"):
		mult, num = 1e6, num[:len(num)-1]
	case strings.HasSuffix(num, "g"):
		mult, num = 1e9, num[:len(num)-1]
	}
	n, err := strconv.ParseUint(num, 10, 64)
	if err != nil || n == 0 {
		return 0, fmt.Errorf("fault: %q: want bits per second, e.g. 10mbit", v)
	}
	return n * mult, nil
}

// Direction is a side of the link.
type Direction int

const (
	// Out is what the sandbox sends.
	Out Direction = iota
	// In is what the sandbox receives.
	In
)

func (d Direction) String() string {
	if d == In {
		return "in"
	}
	return "out"
}

// Link is a link endpoint with faults on both directions. ARP passes
// untouched: gVisor's TCP gives up a connection whose next hop stops
// answering ARP, where Linux's keeps retransmitting until the path heals,
// so a partition that starved ARP would end connections Linux keeps.
type Link struct {
	nested.Endpoint
	dirs [2]*shaper
}

// New wraps inner; seed drives every random decision.
func New(inner stack.LinkEndpoint, seed uint64) *Link {
	l := &Link{}
	l.Init(inner, l)
	l.dirs[Out] = newShaper(rand.New(rand.NewPCG(seed, uint64(Out))), l.writeOne)
	l.dirs[In] = newShaper(rand.New(rand.NewPCG(seed, uint64(In))), func(p *stack.PacketBuffer) {
		l.Endpoint.DeliverNetworkPacket(p.NetworkProtocolNumber, p)
	})
	return l
}

// Set changes one direction's faults; packets already delayed keep their
// time.
func (l *Link) Set(d Direction, s Spec) {
	l.dirs[d].set(s)
}

// Get is one direction's faults.
func (l *Link) Get(d Direction) Spec {
	return l.dirs[d].get()
}

// Close implements stack.LinkEndpoint: delayed packets are dropped.
func (l *Link) Close() {
	for _, s := range l.dirs {
		s.close()
	}
	l.Endpoint.Close()
}

// writeOne sends p on the wrapped link.
func (l *Link) writeOne(p *stack.PacketBuffer) {
	var one stack.PacketBufferList
	one.PushBack(p.IncRef())
	l.Endpoint.WritePackets(one)
	one.DecRef()
}

// WritePackets implements stack.LinkWriter.
func (l *Link) WritePackets(pkts stack.PacketBufferList) (int, tcpip.Error) {
	sh := l.dirs[Out]
	if !sh.isActive() {
		return l.Endpoint.WritePackets(pkts)
	}
	n := 0
	for _, p := range pkts.AsSlice() {
		if p.NetworkProtocolNumber == header.ARPProtocolNumber {
			l.writeOne(p)
		} else {
			sh.pass(p, outCorrupt)
		}
		n++ // a packet lost on the wire was still sent
	}
	return n, nil
}

// DeliverNetworkPacket implements stack.NetworkDispatcher: what the link
// delivers goes through the inbound faults first.
func (l *Link) DeliverNetworkPacket(proto tcpip.NetworkProtocolNumber, p *stack.PacketBuffer) {
	sh := l.dirs[In]
	if proto == header.ARPProtocolNumber || !sh.isActive() {
		l.Endpoint.DeliverNetworkPacket(proto, p)
		return
	}
	p.NetworkProtocolNumber = proto
	corrupt := inCorrupt
	if l.Endpoint.Capabilities()&stack.CapabilityRXChecksumOffload != 0 {
		// The stack will not check this link's checksums (the host
		// vouches for them): a corrupted packet is dropped, as a check
		// would have dropped it.
		corrupt = dropCorrupt
	}
	sh.pass(p, corrupt)
}

// dropCorrupt is the corruption of a packet whose checksum nobody checks:
// none arrives.
func dropCorrupt(*stack.PacketBuffer, *rand.Rand) *stack.PacketBuffer { return nil }

// outCorrupt is a copy of an outbound frame p with one bit flipped at a
// random offset past the Ethernet and IP headers (a frame too short to
// have one passes unharmed, as do the headers: a corrupted header would
// not even reach the transport's checksum).
func outCorrupt(p *stack.PacketBuffer, r *rand.Rand) *stack.PacketBuffer {
	b := p.ToBuffer()
	data := b.Flatten()
	b.Release()
	const skip = 14 + 20
	if len(data) > skip {
		i := skip + r.IntN(len(data)-skip)
		data[i] ^= 1 << r.IntN(8)
	}
	return stack.NewPacketBuffer(stack.PacketBufferOptions{Payload: buffer.MakeWithData(data)})
}

// inCorrupt is outCorrupt for an inbound packet, whose link header has
// been parsed: the copy keeps it.
func inCorrupt(p *stack.PacketBuffer, r *rand.Rand) *stack.PacketBuffer {
	link := p.LinkHeader().Slice()
	body := p.Data().AsRange().ToSlice()
	const skip = 20
	if len(body) > skip {
		i := skip + r.IntN(len(body)-skip)
		body[i] ^= 1 << r.IntN(8)
	}
	q := stack.NewPacketBuffer(stack.PacketBufferOptions{Payload: buffer.MakeWithData(append(append([]byte(nil), link...), body...))})
	q.LinkHeader().Consume(len(link))
	q.NetworkProtocolNumber = p.NetworkProtocolNumber
	q.PktType = p.PktType
	return q
}

// shaper applies one direction's faults: packets it delays wait in a
// queue, released in time order by a goroutine of its own.
type shaper struct {
	send func(*stack.PacketBuffer) // hands a packet on (called without mu)

	mu     sync.Mutex
	spec   Spec
	rng    *rand.Rand
	queue  []timed   // in release-time order
	busy   time.Time // when the rate limit frees the link
	wake   chan struct{}
	done   chan struct{}
	closed bool
}

type timed struct {
	at time.Time
	p  *stack.PacketBuffer
}

func newShaper(r *rand.Rand, send func(*stack.PacketBuffer)) *shaper {
	s := &shaper{send: send, rng: r, wake: make(chan struct{}, 1), done: make(chan struct{})}
	go s.run()
	return s
}

func (s *shaper) set(spec Spec) {
	s.mu.Lock()
	s.spec = spec
	s.mu.Unlock()
}

func (s *shaper) get() Spec {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.spec
}

// isActive reports whether packets must go through the shaper: it has
// faults, or still holds delayed packets (which must not be overtaken).
func (s *shaper) isActive() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.spec.active() || len(s.queue) > 0
}

// pass decides p's fate: dropped, corrupted (a copy), delayed,
// duplicated. The caller keeps its reference to p.
func (s *shaper) pass(p *stack.PacketBuffer, corrupt func(*stack.PacketBuffer, *rand.Rand) *stack.PacketBuffer) {
	s.mu.Lock()
	sp := s.spec
	// The draws happen in one order whatever the spec, so that one seed
	// gives one sequence of decisions.
	lose, dup, bad, reorder, jit := s.rng.Float64(), s.rng.Float64(), s.rng.Float64(), s.rng.Float64(), s.rng.Float64()
	if sp.Down || lose < sp.Loss || s.closed {
		s.mu.Unlock()
		return
	}
	var q *stack.PacketBuffer
	if bad < sp.Corrupt {
		if q = corrupt(p, s.rng); q == nil {
			s.mu.Unlock()
			return
		}
	} else {
		q = p.IncRef()
	}
	copies := 1
	if dup < sp.Duplicate {
		copies = 2
	}
	now := time.Now()
	at := now
	if sp.Rate != 0 {
		// The link sends one packet after another at the rate.
		start := later(now, s.busy)
		s.busy = start.Add(time.Duration(uint64(q.Size()) * 8 * uint64(time.Second) / sp.Rate))
		at = s.busy
	}
	inOrder := reorder >= sp.Reorder
	if inOrder {
		d := sp.Delay
		if sp.Jitter != 0 {
			d += time.Duration((2*jit - 1) * float64(sp.Jitter))
		} else if n := len(s.queue); n > 0 {
			// Without jitter the link keeps order, even across a
			// change of delay.
			at = later(at, s.queue[n-1].at)
		}
		at = at.Add(d)
	}
	if at.After(now) || len(s.queue) > 0 && inOrder {
		for i := 0; i < copies; i++ {
			c := q
			if i > 0 {
				c = q.Clone() // headers are parsed per copy
			}
			s.insert(timed{at: at, p: c})
		}
		s.mu.Unlock()
		select {
		case s.wake <- struct{}{}:
		default:
		}
		return
	}
	s.mu.Unlock()
	if copies == 2 {
		c := q.Clone()
		s.send(c)
		c.DecRef()
	}
	s.send(q)
	q.DecRef()
}

func later(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}

// insert queues t after every packet due no later. s.mu is held.
func (s *shaper) insert(t timed) {
	i := len(s.queue)
	for i > 0 && s.queue[i-1].at.After(t.at) {
		i--
	}
	s.queue = append(s.queue, timed{})
	copy(s.queue[i+1:], s.queue[i:])
	s.queue[i] = t
}

// run releases the delayed packets when they are due.
func (s *shaper) run() {
	timer := time.NewTimer(time.Hour)
	defer timer.Stop()
	for {
		s.mu.Lock()
		var due []*stack.PacketBuffer
		now := time.Now()
		for len(s.queue) > 0 && !s.queue[0].at.After(now) {
			due = append(due, s.queue[0].p)
			s.queue = s.queue[1:]
		}
		wait := time.Hour
		if len(s.queue) > 0 {
			wait = s.queue[0].at.Sub(now)
		}
		s.mu.Unlock()
		for _, p := range due {
			s.send(p)
			p.DecRef()
		}
		timer.Reset(wait)
		select {
		case <-timer.C:
		case <-s.wake:
		case <-s.done:
			return
		}
	}
}

// close drops what is queued and stops the release goroutine.
func (s *shaper) close() {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return
	}
	s.closed = true
	q := s.queue
	s.queue = nil
	s.mu.Unlock()
	close(s.done)
	for _, t := range q {
		t.p.DecRef()
	}
}

// Setting is a change of faults as --fault and `netbox ctl fault` give
// it: [LINK:][in:|out:]SPEC, the link eth0 and both directions unless
// said.
type Setting struct {
	Link string
	Dirs []Direction
	Spec string // for ParseSpec, over each direction's current faults
}

// ParseSetting reads a Setting; the spec is checked.
func ParseSetting(s string) (Setting, error) {
	parts := strings.Split(s, ":")
	set := Setting{Link: "eth0", Dirs: []Direction{Out, In}, Spec: parts[len(parts)-1]}
	prefix := parts[:len(parts)-1]
	if len(prefix) > 0 && (prefix[len(prefix)-1] == "in" || prefix[len(prefix)-1] == "out") {
		set.Dirs = []Direction{Out}
		if prefix[len(prefix)-1] == "in" {
			set.Dirs = []Direction{In}
		}
		prefix = prefix[:len(prefix)-1]
	}
	switch len(prefix) {
	case 0:
	case 1:
		set.Link = prefix[0]
	default:
		return Setting{}, fmt.Errorf("fault: %q: want [LINK:][in:|out:]SPEC", s)
	}
	if _, err := ParseSpec(set.Spec, Spec{}); err != nil {
		return Setting{}, err
	}
	return set, nil
}

// Apply makes the setting's changes on l.
func (set Setting) Apply(l *Link) error {
	for _, d := range set.Dirs {
		spec, err := ParseSpec(set.Spec, l.Get(d))
		if err != nil {
			return err
		}
		l.Set(d, spec)
	}
	return nil
}

// Shaper is one direction's faults for whole Ethernet frames that no
// gVisor stack carries (a virtual switch's port), with Link's rules: ARP
// passes untouched, corruption spares the headers.
type Shaper struct {
	sh     *shaper
	send   func([]byte)
	hdrLen int
}

// NewShaper hands each message that survives its faults to send, which
// must not keep the slice. A message is hdrLen bytes of a header of the
// carrier's (a virtio-net header, whose segments' checksums may be left
// to finish: a corrupted one is dropped, as a check would drop it), then
// an Ethernet frame. seed and stream drive the random decisions (one
// stream per port and direction, so that one seed gives each the same
// sequence every run).
func NewShaper(seed, stream uint64, hdrLen int, send func(msg []byte)) *Shaper {
	return &Shaper{send: send, hdrLen: hdrLen, sh: newShaper(rand.New(rand.NewPCG(seed, stream)), func(p *stack.PacketBuffer) {
		b := p.ToBuffer()
		send(b.Flatten())
		b.Release()
	})}
}

// Set changes the faults; messages already delayed keep their time.
func (f *Shaper) Set(s Spec) { f.sh.set(s) }

// Get is the faults.
func (f *Shaper) Get() Spec { return f.sh.get() }

// Pass sends msg on through the faults (at once, when there are none).
// The caller keeps msg.
func (f *Shaper) Pass(msg []byte) {
	frame := msg[min(f.hdrLen, len(msg)):]
	if len(frame) >= header.EthernetMinimumSize &&
		header.Ethernet(frame).Type() == header.ARPProtocolNumber || !f.sh.isActive() {
		f.send(msg)
		return
	}
	corrupt := outCorrupt
	if f.hdrLen > 0 {
		corrupt = dropCorrupt
	}
	p := stack.NewPacketBuffer(stack.PacketBufferOptions{Payload: buffer.MakeWithData(append([]byte(nil), msg...))})
	f.sh.pass(p, corrupt)
	p.DecRef()
}

// Close drops the delayed frames and stops the shaper.
func (f *Shaper) Close() { f.sh.close() }
