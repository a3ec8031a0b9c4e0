package nat

import (
	"net/netip"
	"strings"
	"time"

	"golang.org/x/net/dns/dnsmessage"
)

// snoopDNS reads a DNS response on its way from the host's resolver to the
// sandbox and records, for each name a rule gives, the addresses answered
// for it (following CNAMEs), so that a rule by name covers exactly what
// the sandbox was told that name is. A message it cannot parse changes
// nothing.
func (n *NAT) snoopDNS(msg []byte) {
	names := n.cfg.Policy.names
	var p dnsmessage.Parser
	h, err := p.Start(msg)
	if err != nil || !h.Response || h.RCode != dnsmessage.RCodeSuccess {
		return
	}
	qs, err := p.AllQuestions()
	if err != nil {
		return
	}
	// alias maps a name in the answer to the question's name it answers.
	alias := make(map[string]string)
	for _, q := range qs {
		name := canonical(q.Name)
		if names.wants(name) {
			alias[name] = name
		}
	}
	if len(alias) == 0 {
		return
	}
	for {
		rh, err := p.AnswerHeader()
		if err != nil {
			return // the end of the answers, or a malformed message
		}
		owner, ok := alias[canonical(rh.Name)]
		if !ok {
			if p.SkipAnswer() != nil {
				return
			}
			continue
		}
		ttl := time.Duration(rh.TTL) * time.Second
		switch rh.Type {
		case dnsmessage.TypeCNAME:
			r, err := p.CNAMEResource()
			if err != nil {
				return
			}
			alias[canonical(r.CNAME)] = owner
		case dnsmessage.TypeA:
			r, err := p.AResource()
			if err != nil {
				return
			}
			names.record(owner, netip.AddrFrom4(r.A), ttl)
		case dnsmessage.TypeAAAA:
			r, err := p.AAAAResource()
			if err != nil {
				return
			}
			names.record(owner, netip.AddrFrom16(r.AAAA), ttl)
		default:
			if p.SkipAnswer() != nil {
				return
			}
		}
	}
}

// canonical is a DNS name as rules spell it: lower case, no final dot.
func canonical(n dnsmessage.Name) string {
	return strings.ToLower(strings.TrimSuffix(n.String(), "."))
}
