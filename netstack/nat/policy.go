package nat

import (
	"fmt"
	"net/netip"
	"strconv"
	"strings"
)

// Rule is one egress rule: traffic of a protocol to a destination (an
// address prefix or a DNS name) and a port range is allowed or denied.
type Rule struct {
	Allow bool
	// Prefix is the destination block; invalid when the rule names a host.
	Prefix netip.Prefix
	// Name is the destination's DNS name (lower case, no final dot); the
	// rule covers the addresses the DNS forwarder answered for it.
	Name string
	// Ports is the destination port range; 0–65535 when the rule gives
	// none.
	PortLo, PortHi uint16
	// Proto is "tcp", "udp", "icmp" or "" (any).
	Proto string
}

// String is the rule as --allow/--deny spell it.
func (r Rule) String() string {
	verb := "deny"
	if r.Allow {
		verb = "allow"
	}
	target := r.Name
	if target == "" {
		target = r.Prefix.String()
		if r.Prefix.Addr().Is6() {
			target = "[" + target + "]"
		}
	}
	switch {
	case r.PortLo == 0 && r.PortHi == 65535:
	case r.PortLo == r.PortHi:
		target += ":" + strconv.Itoa(int(r.PortLo))
	default:
		target += fmt.Sprintf(":%d-%d", r.PortLo, r.PortHi)
	}
	if r.Proto != "" {
		target += "/" + r.Proto
	}
	return verb + " " + target
}

// ParseRule reads a rule's destination, as --allow and --deny take it:
//
//	TARGET[:PORT[-PORT]][/tcp|/udp|/icmp]
//
// where TARGET is an IPv4 address or prefix (10.1.2.0/24), an IPv6 one in
// brackets when a port follows ([fd00::/8]:443), or a DNS name
// (example.test).
func ParseRule(s string, allow bool) (Rule, error) {
	r := Rule{Allow: allow, PortHi: 65535}
	rest := s
	for _, p := range []string{"tcp", "udp", "icmp"} {
		if cut, ok := strings.CutSuffix(rest, "/"+p); ok {
			rest, r.Proto = cut, p
			break
		}
	}
	target, port := rest, ""
	if strings.HasPrefix(rest, "[") {
		end := strings.IndexByte(rest, ']')
		if end < 0 {
			return Rule{}, fmt.Errorf("%q: unclosed [", s)
		}
		target, port = rest[1:end], rest[end+1:]
		if port != "" {
			p, ok := strings.CutPrefix(port, ":")
			if !ok {
				return Rule{}, fmt.Errorf("%q: want [ADDR]:PORT", s)
			}
			port = p
		}
	} else if strings.Count(rest, ":") == 1 {
		target, port, _ = strings.Cut(rest, ":")
	}
	if port != "" {
		if r.Proto == "icmp" {
			return Rule{}, fmt.Errorf("%q: ICMP has no ports", s)
		}
		lo, hi, isRange := strings.Cut(port, "-")
		if !isRange {
			hi = lo
		}
		l, err1 := strconv.ParseUint(lo, 10, 16)
		h, err2 := strconv.ParseUint(hi, 10, 16)
		if err1 != nil || err2 != nil || l > h {
			return Rule{}, fmt.Errorf("%q: bad port %q", s, port)
		}
		r.PortLo, r.PortHi = uint16(l), uint16(h)
	}
	if p, err := netip.ParsePrefix(target); err == nil {
		r.Prefix = p.Masked()
		return r, nil
	}
	if a, err := netip.ParseAddr(target); err == nil {
		if a.Zone() != "" {
			return Rule{}, fmt.Errorf("%q: no zones in rules", s)
		}
		r.Prefix = netip.PrefixFrom(a, a.BitLen())
		return r, nil
	}
	name := strings.ToLower(strings.TrimSuffix(target, "."))
	if !validName(name) {
		return Rule{}, fmt.Errorf("%q: want an address, a prefix or a DNS name", s)
	}
	r.Name = name
	return r, nil
}

// validName reports whether s is a DNS name of letters, digits, hyphens
// and dots (RFC 1123 labels of at most 63 characters).
func validName(s string) bool {
	if s == "" || len(s) > 253 {
		return false
	}
	for _, label := range strings.Split(s, ".") {
		if label == "" || len(label) > 63 || label[0] == '-' || label[len(label)-1] == '-' {
			return false
		}
		for _, c := range label {
			if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-') {
				return false
			}
		}
	}
	return true
}

// Policy decides what may leave the sandbox. Rules apply in the order
// given, the first that matches deciding; a destination no rule matches
// gets the default. Two kinds of destination are protected: the host's
// own loopback (reached at the gateway address) and link-local addresses
// (cloud metadata services live at 169.254.169.254): an allow rule opens
// them only when it names them — a DNS name, or a prefix inside the
// protected block — never through a wider prefix such as 0.0.0.0/0, and
// the default never allows them.
type Policy struct {
	Rules []Rule
	// DefaultAllow is what a destination no rule matches gets.
	DefaultAllow bool
	// Gateway is the address at which the sandbox reaches the host's
	// loopback.
	Gateway netip.Addr
	// names says which addresses the DNS forwarder answered for a name.
	names *nameTable
}

// linkLocal are the protected link-local blocks.
var linkLocal = []netip.Prefix{
	netip.MustParsePrefix("169.254.0.0/16"),
	netip.MustParsePrefix("fe80::/10"),
}

// protectedBlock is the block that protects dst, if any: the gateway's
// own address, or its link-local block.
func (p *Policy) protectedBlock(dst netip.Addr) (netip.Prefix, bool) {
	if dst == p.Gateway {
		return netip.PrefixFrom(dst, dst.BitLen()), true
	}
	for _, b := range linkLocal {
		if b.Contains(dst) {
			return b, true
		}
	}
	return netip.Prefix{}, false
}

// Decide says whether a flow of proto ("tcp", "udp", "icmp") to dst may
// leave, and why: the rule that matched (byRule), or the default.
func (p *Policy) Decide(proto string, dst netip.AddrPort) (allow bool, why string, byRule bool) {
	ip := dst.Addr().Unmap()
	block, protected := p.protectedBlock(ip)
	for _, r := range p.Rules {
		if r.Proto != "" && r.Proto != proto {
			continue
		}
		if proto == "icmp" {
			if r.PortLo != 0 || r.PortHi != 65535 {
				continue // a rule with ports is about TCP and UDP
			}
		} else if dst.Port() < r.PortLo || dst.Port() > r.PortHi {
			continue
		}
		if r.Name != "" {
			if !p.names.has(r.Name, ip) {
				continue
			}
		} else {
			if !r.Prefix.Contains(ip) {
				continue
			}
			// A wide allow does not open a protected block.
			if r.Allow && protected && !(block.Bits() <= r.Prefix.Bits() && block.Contains(r.Prefix.Addr())) {
				continue
			}
		}
		return r.Allow, r.String(), true
	}
	if protected {
		return false, "protected " + block.String(), false
	}
	if p.DefaultAllow {
		return true, "default allow", false
	}
	return false, "default deny", false
}
