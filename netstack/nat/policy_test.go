package nat

import (
	"net/netip"
	"strconv"
	"strings"
	"testing"
	"time"

	"golang.org/x/net/dns/dnsmessage"
)

func TestParseRule(t *testing.T) {
	for _, c := range []struct {
		in, want string // want: the rule's String, or "error"
	}{
		{"10.1.2.0/24:443", "allow 10.1.2.0/24:443"},
		{"10.1.2.7/24", "allow 10.1.2.0/24"},
		{"192.0.2.1", "allow 192.0.2.1/32"},
		{"192.0.2.1:1000-2000/udp", "allow 192.0.2.1/32:1000-2000/udp"},
		{"[fd00::/8]:443", "allow [fd00::/8]:443"},
		{"fd00::1", "allow [fd00::1/128]"},
		{"Example.TEST.:80", "allow example.test:80"},
		{"example.test/icmp", "allow example.test/icmp"},
		{"example.test:80/icmp", "error"},
		{"10.0.0.1:70000", "error"},
		{"10.0.0.1:9-1", "error"},
		{"[fd00::1", "error"},
		{"bad_name:80", "error"},
		{"-bad.test", "error"},
		{"", "error"},
	} {
		r, err := ParseRule(c.in, true)
		got := "error"
		if err == nil {
			got = r.String()
		}
		if got != c.want {
			t.Errorf("ParseRule(%q) = %s (%v), want %s", c.in, got, err, c.want)
		}
	}
}

func rules(t *testing.T, spec ...string) []Rule {
	var out []Rule
	for i := 0; i < len(spec); i += 2 {
		r, err := ParseRule(spec[i+1], spec[i] == "allow")
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, r)
	}
	return out
}

func TestPolicyDecide(t *testing.T) {
	gw := netip.MustParseAddr("10.0.2.2")
	p := &Policy{
		Rules: rules(t,
			"deny", "203.0.113.0/24:22",
			"allow", "203.0.113.0/24",
			"allow", "0.0.0.0/0:443/tcp",
			"allow", "10.0.2.2:8080",
			"allow", "169.254.169.254:80",
			"allow", "api.test:443"),
		Gateway: gw,
		names:   newNameTable(),
	}
	p.names.watch("api.test")
	p.names.record("api.test", netip.MustParseAddr("198.51.100.9"), 0)
	for _, c := range []struct {
		proto, dst string
		allow      bool
		why        string
	}{
		{"tcp", "203.0.113.5:22", false, "deny 203.0.113.0/24:22"},
		{"tcp", "203.0.113.5:80", true, "allow 203.0.113.0/24"},
		{"icmp", "203.0.113.5:0", true, "allow 203.0.113.0/24"},
		{"tcp", "192.0.2.1:443", true, "allow 0.0.0.0/0:443/tcp"},
		{"udp", "192.0.2.1:443", false, "default deny"},
		// The gateway is the host's loopback: only a rule naming it opens it.
		{"tcp", "10.0.2.2:443", false, "protected 10.0.2.2/32"},
		{"tcp", "10.0.2.2:8080", true, "allow 10.0.2.2/32:8080"},
		// Link-local: 0.0.0.0/0:443 does not open it; a rule inside it does.
		{"tcp", "169.254.169.254:443", false, "protected 169.254.0.0/16"},
		{"tcp", "169.254.169.254:80", true, "allow 169.254.169.254/32:80"},
		// By name: the addresses the DNS answered, on the rule's port.
		{"tcp", "198.51.100.9:443", true, "allow 0.0.0.0/0:443/tcp"},
		{"udp", "198.51.100.9:443", true, "allow api.test:443"},
		{"udp", "198.51.100.10:443", false, "default deny"},
		{"udp", "[::ffff:198.51.100.9]:443", true, "allow api.test:443"},
	} {
		ok, why, byRule := p.Decide(c.proto, netip.MustParseAddrPort(c.dst))
		if ok != c.allow || why != c.why {
			t.Errorf("Decide(%s, %s) = %v (%s), want %v (%s)", c.proto, c.dst, ok, why, c.allow, c.why)
		}
		if rule := strings.HasPrefix(c.why, "allow ") || strings.HasPrefix(c.why, "deny "); byRule != rule {
			t.Errorf("Decide(%s, %s): byRule %v for %q", c.proto, c.dst, byRule, why)
		}
	}
	p.DefaultAllow = true
	if ok, why, _ := p.Decide("udp", netip.MustParseAddrPort("192.0.2.1:53")); !ok || why != "default allow" {
		t.Errorf("default allow: %v (%s)", ok, why)
	}
	if ok, _, _ := p.Decide("udp", netip.MustParseAddrPort("10.0.2.2:53")); ok {
		t.Errorf("default allow opened the host's loopback")
	}
}

func TestNameTableExpiry(t *testing.T) {
	now := time.Unix(1000, 0)
	nt := newNameTable()
	nt.now = func() time.Time { return now }
	a := netip.MustParseAddr("192.0.2.1")
	nt.record("x.test", a, time.Hour) // not watched: ignored
	if nt.has("x.test", a) {
		t.Fatal("an unwatched name was recorded")
	}
	nt.watch("x.test")
	nt.record("x.test", a, time.Second) // at least minNameTTL
	now = now.Add(minNameTTL - time.Second)
	if !nt.has("x.test", a) {
		t.Fatal("the answer expired before minNameTTL")
	}
	now = now.Add(2 * time.Second)
	if nt.has("x.test", a) {
		t.Fatal("the answer outlived its TTL")
	}
}

// TestSnoopDNS feeds the snooper a response with a CNAME chain: the
// addresses at the end of the chain count for the name asked.
func TestSnoopDNS(t *testing.T) {
	n := &NAT{cfg: Config{Policy: &Policy{names: newNameTable()}}}
	n.cfg.Policy.names.watch("www.test")
	name := func(s string) dnsmessage.Name { return dnsmessage.MustNewName(s) }
	msg := dnsmessage.Message{
		Header:    dnsmessage.Header{ID: 1, Response: true},
		Questions: []dnsmessage.Question{{Name: name("WWW.test."), Type: dnsmessage.TypeA, Class: dnsmessage.ClassINET}},
		Answers: []dnsmessage.Resource{
			{Header: dnsmessage.ResourceHeader{Name: name("www.test."), Type: dnsmessage.TypeCNAME, Class: dnsmessage.ClassINET, TTL: 60},
				Body: &dnsmessage.CNAMEResource{CNAME: name("cdn.example.")}},
			{Header: dnsmessage.ResourceHeader{Name: name("cdn.example."), Type: dnsmessage.TypeA, Class: dnsmessage.ClassINET, TTL: 60},
				Body: &dnsmessage.AResource{A: [4]byte{192, 0, 2, 7}}},
			{Header: dnsmessage.ResourceHeader{Name: name("other.example."), Type: dnsmessage.TypeA, Class: dnsmessage.ClassINET, TTL: 60},
				Body: &dnsmessage.AResource{A: [4]byte{192, 0, 2, 8}}},
		},
	}
	b, err := msg.Pack()
	if err != nil {
		t.Fatal(err)
	}
	n.snoopDNS(b)
	if !n.cfg.Policy.names.has("www.test", netip.MustParseAddr("192.0.2.7")) {
		t.Error("the address behind the CNAME was not recorded")
	}
	if n.cfg.Policy.names.has("www.test", netip.MustParseAddr("192.0.2.8")) {
		t.Error("an address for another name was recorded")
	}
	for i := range b { // truncated messages change nothing and never panic
		n.snoopDNS(b[:i])
	}
}

func TestParsePublish(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"8080:80", "tcp 127.0.0.1:8080 80"},
		{"0.0.0.0:8080:80/tcp", "tcp 0.0.0.0:8080 80"},
		{"[::1]:5353:53/udp", "udp [::1]:5353 53"},
		{"5353:53/udp", "udp 127.0.0.1:5353 53"},
		{"80", "error"},
		{"0:80", "error"},
		{"8080:0", "error"},
		{"x:8080:80", "error"},
	} {
		p, err := ParsePublish(c.in)
		got := "error"
		if err == nil {
			got = p.Proto + " " + p.Host.String() + " " + strconv.Itoa(int(p.Port))
		}
		if got != c.want {
			t.Errorf("ParsePublish(%q) = %s (%v), want %s", c.in, got, err, c.want)
		}
	}
}
