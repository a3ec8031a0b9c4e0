// Package vswitch is a virtual Ethernet switch that several sandboxes'
// eth0 join (`netbox net create NAME`, then `netbox run --net=NAME`): a
// learning switch, like the kernel's bridge (br_handle_frame: learn the
// source, forward to the port that owns the destination, flood what is
// unknown or multicast), over a unix SOCK_SEQPACKET socket whose every
// message is one frame. It hands out the members' addresses, captures
// what it forwards, and injects faults per member and direction, and
// partitions between members, for network tests.
package vswitch

import (
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"syscall"
	"time"

	"golang.org/x/sys/unix"

	"github.com/netbox-sandbox/netbox/netstack/fault"
	"github.com/netbox-sandbox/netbox/netstack/pcap"
)

// Config is a switch's configuration.
type Config struct {
	// Subnet is where the members' IPv4 addresses come from (.1 is left
	// for a gateway the user may run); Subnet6, when valid, gives each
	// member the IPv6 address with the same host part.
	Subnet, Subnet6 netip.Prefix
	// MTU is the members' eth0 MTU.
	MTU uint32
	// Seed drives the faults' random decisions.
	Seed uint64
	// Pcap, when set, records every frame the switch forwards.
	Pcap *pcap.Writer
	// Log reports members joining and leaving.
	Log func(string)
}

// Defaults for `netbox net create`.
var (
	DefaultSubnet  = netip.MustParsePrefix("10.89.0.0/24")
	DefaultSubnet6 = netip.MustParsePrefix("fd00:89::/64")
)

// DefaultMTU is Ethernet's.
const DefaultMTU = 1500

// A message on a member's connection is a virtio-net header (struct
// virtio_net_hdr, 10 bytes) and a frame: members hand each other TCP
// segments of up to 64 KiB whole, with checksums left to finish, as
// gVisor does for a host that segments (host GSO); nobody cuts them,
// as a veth between two namespaces passes GSO packets on. The switch
// reads the frame behind the header and passes both on.
const vnetHdrLen = 10

// maxMessage bounds a message the switch reads.
const maxMessage = 1 << 17

// sockBuf is the switch's socket buffer towards each member: what a
// member that reads slowly may have waiting before the switch drops
// frames for it, as a switch's full egress queue drops.
const sockBuf = 4 << 20

// Switch is a running switch.
type Switch struct {
	cfg Config
	ln  *net.UnixListener

	mu     sync.Mutex
	ports  map[string]*port          // by member name
	fdb    map[[6]byte]*port         // learned: MAC → the port it was seen on
	cut    map[[2]string]bool        // partitioned pairs (names in order)
	taken  map[netip.Addr]bool       // IPv4 addresses in use
	faults map[string]*[2]fault.Spec // by member name (Out, In), kept across rejoins
	stream uint64                    // the next shaper's random stream
	closed bool
	done   chan struct{}
}

// port is one member's connection.
type port struct {
	name     string
	conn     *net.UnixConn
	ip, ip6  netip.Prefix
	fromWire *fault.Shaper // what the member sends ("out" on its side)
	toWire   *fault.Shaper // what it receives ("in")

	raw syscall.RawConn // conn's, for sends that never wait
}

// Listen makes a switch on the unix socket path (removed when it stops).
func Listen(path string, cfg Config) (*Switch, error) {
	if !cfg.Subnet.Addr().Is4() || cfg.Subnet.Bits() > 30 {
		return nil, fmt.Errorf("vswitch: subnet %v: want an IPv4 prefix of /30 or wider", cfg.Subnet)
	}
	if cfg.Subnet6.IsValid() && (cfg.Subnet6.Addr().Is4() || cfg.Subnet6.Bits() > 120) {
		return nil, fmt.Errorf("vswitch: subnet6 %v: want an IPv6 prefix of /120 or wider", cfg.Subnet6)
	}
	if cfg.MTU == 0 {
		cfg.MTU = DefaultMTU
	}
	if cfg.MTU < 1280 || cfg.MTU > 65535 {
		return nil, fmt.Errorf("vswitch: MTU %d: want 1280 to 65535", cfg.MTU)
	}
	if cfg.Log == nil {
		cfg.Log = func(string) {}
	}
	cfg.Subnet, cfg.Subnet6 = cfg.Subnet.Masked(), cfg.Subnet6.Masked()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return nil, fmt.Errorf("vswitch: %w", err)
	}
	ln, err := net.ListenUnix("unixpacket", &net.UnixAddr{Name: path, Net: "unixpacket"})
	if err != nil {
		return nil, fmt.Errorf("vswitch: %w", err)
	}
	return &Switch{
		cfg: cfg, ln: ln,
		ports: make(map[string]*port), fdb: make(map[[6]byte]*port),
		cut: make(map[[2]string]bool), taken: make(map[netip.Addr]bool),
		faults: make(map[string]*[2]fault.Spec), done: make(chan struct{}),
	}, nil
}

// Serve accepts members and control requests until Close; it returns nil
// after Close.
func (sw *Switch) Serve() error {
	for {
		c, err := sw.ln.AcceptUnix()
		if err != nil {
			select {
			case <-sw.done:
				return nil
			default:
			}
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				continue
			}
			return fmt.Errorf("vswitch: accept: %w", err)
		}
		go sw.handshake(c)
	}
}

// Done is closed when the switch stops (Close, or a stop request).
func (sw *Switch) Done() <-chan struct{} { return sw.done }

// Close stops the switch: its socket goes, every member is disconnected.
func (sw *Switch) Close() {
	sw.mu.Lock()
	if sw.closed {
		sw.mu.Unlock()
		return
	}
	sw.closed = true
	ports := make([]*port, 0, len(sw.ports))
	for _, p := range sw.ports {
		ports = append(ports, p)
	}
	sw.mu.Unlock()
	close(sw.done)
	sw.ln.Close() // removes the socket file
	for _, p := range ports {
		p.conn.Close()
	}
}

// request is the first message on a connection.
type request struct {
	// Join: the member's name, and the addresses it asks for (empty: the
	// switch chooses).
	Join bool   `json:"join,omitempty"`
	Name string `json:"name,omitempty"`
	IP   string `json:"ip,omitempty"`
	// Ctl is a control command instead.
	Ctl []string `json:"ctl,omitempty"`
}

// reply answers it.
type reply struct {
	Error string `json:"error,omitempty"`
	Name  string `json:"name,omitempty"`
	IP    string `json:"ip,omitempty"`
	IP6   string `json:"ip6,omitempty"`
	MTU   uint32 `json:"mtu,omitempty"`
	// VnetHdr is the length of the header before each frame (vnetHdrLen).
	VnetHdr int    `json:"vnet_hdr,omitempty"`
	Out     string `json:"out,omitempty"`
}

func (sw *Switch) handshake(c *net.UnixConn) {
	c.SetReadDeadline(time.Now().Add(5 * time.Second))
	buf := make([]byte, 4096)
	n, err := c.Read(buf)
	if err != nil {
		c.Close()
		return
	}
	c.SetReadDeadline(time.Time{})
	var req request
	var rep reply
	if err := json.Unmarshal(buf[:n], &req); err != nil {
		rep.Error = "bad request: " + err.Error()
	} else if req.Join {
		p, err := sw.join(c, req)
		if err != nil {
			rep.Error = err.Error()
		} else {
			rep.Name, rep.IP, rep.MTU, rep.VnetHdr = p.name, p.ip.String(), sw.cfg.MTU, vnetHdrLen
			if p.ip6.IsValid() {
				rep.IP6 = p.ip6.String()
			}
			if sendReply(c, rep) != nil {
				sw.leave(p)
				return
			}
			sw.serve(p)
			return
		}
	} else {
		rep.Out, err = sw.control(req.Ctl)
		if err != nil {
			rep.Error = err.Error()
		}
	}
	sendReply(c, rep)
	c.Close()
}

func sendReply(c *net.UnixConn, rep reply) error {
	b, _ := json.Marshal(rep)
	_, err := c.Write(b)
	return err
}

// join adds a member: its name, its addresses, its port.
func (sw *Switch) join(c *net.UnixConn, req request) (*port, error) {
	sw.mu.Lock()
	defer sw.mu.Unlock()
	if sw.closed {
		return nil, errors.New("the network is shutting down")
	}
	ip, err := sw.addressLocked(req.IP)
	if err != nil {
		return nil, err
	}
	name := req.Name
	if name == "" {
		name = ip.Addr().String()
	}
	if strings.ContainsAny(name, " :/,") || len(name) > 64 {
		return nil, fmt.Errorf("member name %q: want at most 64 characters, none of ' :/,'", name)
	}
	if _, dup := sw.ports[name]; dup {
		return nil, fmt.Errorf("a member called %q is on the network already", name)
	}
	raw, err := c.SyscallConn()
	if err != nil {
		return nil, err
	}
	c.SetWriteBuffer(sockBuf)
	p := &port{name: name, conn: c, ip: ip, raw: raw}
	if sw.cfg.Subnet6.IsValid() {
		p.ip6 = hostIn(sw.cfg.Subnet6, ip)
	}
	p.fromWire = fault.NewShaper(sw.cfg.Seed, sw.stream, vnetHdrLen, func(m []byte) { sw.forward(p, m) })
	p.toWire = fault.NewShaper(sw.cfg.Seed, sw.stream+1, vnetHdrLen, p.transmit)
	sw.stream += 2
	sw.ports[name] = p
	sw.taken[ip.Addr()] = true
	if f := sw.faults[name]; f != nil {
		p.fromWire.Set(f[fault.Out])
		p.toWire.Set(f[fault.In])
	}
	sw.cfg.Log(fmt.Sprintf("%s joined as %v", name, ip))
	return p, nil
}

// addressLocked is the member's IPv4 address: the one asked for, or the
// lowest free one from .2 on.
func (sw *Switch) addressLocked(asked string) (netip.Prefix, error) {
	sub := sw.cfg.Subnet
	if asked != "" {
		a, err := netip.ParseAddr(asked)
		if err != nil {
			pfx, perr := netip.ParsePrefix(asked)
			if perr != nil {
				return netip.Prefix{}, fmt.Errorf("address %q: want an IPv4 address", asked)
			}
			if pfx.Bits() != sub.Bits() {
				return netip.Prefix{}, fmt.Errorf("address %v: the network's prefix is %v", pfx, sub)
			}
			a = pfx.Addr()
		}
		if !a.Is4() || !sub.Contains(a) || a == sub.Addr() || a == broadcast(sub) {
			return netip.Prefix{}, fmt.Errorf("address %v: not a host address of %v", a, sub)
		}
		if sw.taken[a] {
			return netip.Prefix{}, fmt.Errorf("address %v: taken by another member", a)
		}
		return netip.PrefixFrom(a, sub.Bits()), nil
	}
	for a := sub.Addr().Next().Next(); sub.Contains(a) && a != broadcast(sub); a = a.Next() {
		if !sw.taken[a] {
			return netip.PrefixFrom(a, sub.Bits()), nil
		}
	}
	return netip.Prefix{}, fmt.Errorf("no free address left in %v", sub)
}

// broadcast is p's all-ones address.
func broadcast(p netip.Prefix) netip.Addr {
	a := p.Masked().Addr().As4()
	for i := p.Bits(); i < 32; i++ {
		a[i/8] |= 0x80 >> (i % 8)
	}
	return netip.AddrFrom4(a)
}

// hostIn is the address of sub6 with ip4's host part.
func hostIn(sub6, ip4 netip.Prefix) netip.Prefix {
	host := ip4.Addr().As4()
	a := sub6.Addr().As16()
	for i := ip4.Bits(); i < 32; i++ {
		if host[i/8]&(0x80>>(i%8)) != 0 {
			a[12+i/8] |= 0x80 >> (i % 8)
		}
	}
	return netip.PrefixFrom(netip.AddrFrom16(a), sub6.Bits())
}

// serve reads the member's frames until it goes.
func (sw *Switch) serve(p *port) {
	buf := make([]byte, maxMessage)
	for {
		n, err := p.conn.Read(buf)
		if err != nil || n == 0 {
			break
		}
		if n >= vnetHdrLen+14 {
			p.fromWire.Pass(buf[:n])
		}
	}
	sw.leave(p)
}

// leave removes a member.
func (sw *Switch) leave(p *port) {
	sw.mu.Lock()
	if sw.ports[p.name] != p {
		sw.mu.Unlock()
		return
	}
	delete(sw.ports, p.name)
	delete(sw.taken, p.ip.Addr())
	for mac, q := range sw.fdb {
		if q == p {
			delete(sw.fdb, mac)
		}
	}
	closed := sw.closed
	sw.mu.Unlock()
	p.fromWire.Close()
	p.toWire.Close()
	p.conn.Close()
	if !closed {
		sw.cfg.Log(p.name + " left")
	}
}

// transmit sends a message to the member, or drops it when the member's
// socket is full (or gone): the switch never waits for one member.
func (p *port) transmit(f []byte) {
	p.raw.Write(func(fd uintptr) bool {
		unix.Send(int(fd), f, unix.MSG_DONTWAIT)
		return true
	})
}

// forward is the switch's fabric (br_handle_frame_finish): learn where
// the source is, then send the frame to the destination's port, or to
// every other port when the destination is unknown, broadcast or
// multicast; never across a partition (ARP excepted, as on a faulty
// link: see fault.Link).
func (sw *Switch) forward(from *port, msg []byte) {
	f := msg[vnetHdrLen:]
	var dst, src [6]byte
	copy(dst[:], f[0:6])
	copy(src[:], f[6:12])
	arp := f[12] == 0x08 && f[13] == 0x06
	sw.mu.Lock()
	if sw.ports[from.name] != from {
		sw.mu.Unlock()
		return
	}
	if src[0]&1 == 0 {
		sw.fdb[src] = from
	}
	var to []*port
	if q, ok := sw.fdb[dst]; ok && dst[0]&1 == 0 {
		if q != from {
			to = append(to, q)
		}
	} else {
		for _, q := range sw.ports {
			if q != from {
				to = append(to, q)
			}
		}
	}
	n := 0
	for _, q := range to {
		if arp || !sw.cut[pair(from.name, q.name)] {
			to[n] = q
			n++
		}
	}
	to = to[:n]
	sw.mu.Unlock()
	if sw.cfg.Pcap != nil {
		sw.cfg.Pcap.WriteFrame(time.Now(), f)
	}
	for _, q := range to {
		q.toWire.Pass(msg)
	}
}

func pair(a, b string) [2]string {
	if a > b {
		a, b = b, a
	}
	return [2]string{a, b}
}

// control carries out a command of `netbox net`:
//
//	show                              the members and faults
//	fault MEMBER:[in:|out:]SPEC       a member's faults (fault.Parse's SPEC)
//	partition A B                     nothing passes between A and B
//	heal [A B]                        undo one partition, or all
//	stop                              the switch ends
func (sw *Switch) control(args []string) (string, error) {
	if len(args) == 0 {
		return "", errors.New("no command (want show, fault, partition, heal or stop)")
	}
	sw.mu.Lock()
	defer sw.mu.Unlock()
	switch cmd, rest := args[0], args[1:]; {
	case cmd == "show" && len(rest) == 0:
		return sw.showLocked(), nil
	case cmd == "fault" && len(rest) >= 1:
		var out []string
		for _, arg := range rest {
			set, err := fault.ParseSetting(arg)
			if err == nil && set.Link == "eth0" && !strings.HasPrefix(arg, "eth0:") {
				err = fmt.Errorf("fault %q: want MEMBER:[in:|out:]SPEC", arg)
			}
			if err != nil {
				return "", err
			}
			f := sw.faults[set.Link]
			if f == nil {
				f = new([2]fault.Spec)
			}
			for _, d := range set.Dirs {
				spec, err := fault.ParseSpec(set.Spec, f[d])
				if err != nil {
					return "", err
				}
				f[d] = spec
			}
			sw.faults[set.Link] = f
			state := " (not on the network now)"
			if p := sw.ports[set.Link]; p != nil {
				p.fromWire.Set(f[fault.Out])
				p.toWire.Set(f[fault.In])
				state = ""
			}
			out = append(out, fmt.Sprintf("%s%s: out %v; in %v", set.Link, state, f[fault.Out], f[fault.In]))
		}
		return strings.Join(out, "\n"), nil
	case cmd == "partition" && len(rest) == 2 && rest[0] != rest[1]:
		sw.cut[pair(rest[0], rest[1])] = true
		return fmt.Sprintf("partitioned %s and %s", rest[0], rest[1]), nil
	case cmd == "heal" && len(rest) == 0:
		sw.cut = make(map[[2]string]bool)
		return "healed every partition", nil
	case cmd == "heal" && len(rest) == 2:
		delete(sw.cut, pair(rest[0], rest[1]))
		return fmt.Sprintf("healed %s and %s", rest[0], rest[1]), nil
	case cmd == "stop" && len(rest) == 0:
		if !sw.closed {
			go sw.Close()
		}
		return "stopping", nil
	default:
		return "", fmt.Errorf("%s: bad command (want show, fault MEMBER:SPEC, partition A B, heal [A B] or stop)", strings.Join(args, " "))
	}
}

func (sw *Switch) showLocked() string {
	var b strings.Builder
	fmt.Fprintf(&b, "subnet %v", sw.cfg.Subnet)
	if sw.cfg.Subnet6.IsValid() {
		fmt.Fprintf(&b, " %v", sw.cfg.Subnet6)
	}
	fmt.Fprintf(&b, ", mtu %d, seed %d\n", sw.cfg.MTU, sw.cfg.Seed)
	names := make([]string, 0, len(sw.ports))
	for n := range sw.ports {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		p := sw.ports[n]
		fmt.Fprintf(&b, "member %s %v", n, p.ip)
		if p.ip6.IsValid() {
			fmt.Fprintf(&b, " %v", p.ip6)
		}
		fmt.Fprintf(&b, ": out %v; in %v\n", p.fromWire.Get(), p.toWire.Get())
	}
	var absent []string
	for n, f := range sw.faults {
		if sw.ports[n] == nil && *f != ([2]fault.Spec{}) {
			absent = append(absent, fmt.Sprintf("faults for %s (not on the network now): out %v; in %v\n", n, f[fault.Out], f[fault.In]))
		}
	}
	sort.Strings(absent)
	b.WriteString(strings.Join(absent, ""))
	var cuts []string
	for c := range sw.cut {
		cuts = append(cuts, c[0]+" | "+c[1])
	}
	sort.Strings(cuts)
	for _, c := range cuts {
		fmt.Fprintf(&b, "partition %s\n", c)
	}
	return strings.TrimSuffix(b.String(), "\n")
}
