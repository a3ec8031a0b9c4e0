package main

import (
	"bufio"
	"fmt"
	"io"
	"net/netip"
	"os"
	"strings"

	"github.com/netbox-sandbox/netbox/netstack"
	"github.com/netbox-sandbox/netbox/netstack/nat"
	"github.com/netbox-sandbox/netbox/netstack/vswitch"
	"github.com/netbox-sandbox/netbox/sentry"
)

// listFlag is a flag that may be given many times.
type listFlag []string

func (l *listFlag) String() string     { return strings.Join(*l, ",") }
func (l *listFlag) Set(s string) error { *l = append(*l, s); return nil }

// The user-mode NAT's default addresses, slirp4netns's.
const (
	userIP      = "10.0.2.15/24"
	userGateway = "10.0.2.2"
)

// configureNet sets the sandbox's link beyond lo from --net and the flags
// that go with it; it returns a non-zero exit status after a message when
// they are wrong.
func configureNet(o *runOptions, cfg *sentry.Config, stderr io.Writer) int {
	bad := func(format string, args ...any) int {
		fmt.Fprintf(stderr, "netbox run: "+format+"\n", args...)
		return 2
	}
	name, isTAP := strings.CutPrefix(o.net, "tap:")
	vethName, isVeth := strings.CutPrefix(o.net, "veth:")
	isUser := o.net == "user"
	isSwitch := !isTAP && !isVeth && !isUser && o.net != "none"
	natOnly := len(o.rules) > 0 || o.egress != "" || len(o.publish) > 0 || len(o.dns) > 0
	switch {
	case o.net == "none":
		if o.ip != "" || o.gateway != "" || o.ip6 != "" || o.gateway6 != "" {
			return bad("--ip, --gateway, --ip6 and --gateway6 need --net=tap:NAME, veth:NAME or user")
		}
	case isUser:
		if o.ip6 != "" || o.gateway6 != "" {
			return bad("--net=user: the NAT carries IPv4 only (no --ip6, --gateway6)")
		}
		if o.ip == "" {
			o.ip = userIP
		}
		if o.gateway == "" {
			o.gateway = userGateway
		}
	case isSwitch:
		if err := vswitch.CheckName(o.net); err != nil {
			return bad("--net=%s: want none, tap:NAME, veth:NAME, user or a network's name (%v)", o.net, err)
		}
		if o.ip6 != "" || o.gateway6 != "" || o.gateway != "" {
			return bad("--net=%s: the network gives eth0's addresses (only --ip may ask for one)", o.net)
		}
	}
	if o.name != "" && !isSwitch {
		return bad("--name needs --net=NAME, a network of netbox net create")
	}
	if natOnly && !isUser {
		return bad("--allow, --deny, --egress-default, --publish and --dns need --net=user")
	}
	if o.net == "none" {
		return 0
	}
	if isSwitch {
		return joinNetwork(o, cfg, stderr)
	}
	addr, err := netip.ParsePrefix(o.ip)
	if err != nil || !addr.Addr().Is4() {
		return bad("--ip=%q: want an IPv4 address and prefix, e.g. 10.0.0.2/24", o.ip)
	}
	link := &netstack.LinkConfig{Addr: addr}
	if o.gateway != "" {
		gw, err := netip.ParseAddr(o.gateway)
		if err != nil || !gw.Is4() || !addr.Masked().Contains(gw) || gw == addr.Addr() {
			return bad("--gateway=%q: want an IPv4 address in %v other than eth0's", o.gateway, addr.Masked())
		}
		link.Gateway = gw
	}
	switch {
	case o.ip6 == "auto":
		// SLAAC: the address and default router come from router
		// advertisements.
		if o.gateway6 != "" {
			return bad("--gateway6: with --ip6=auto the routers advertise themselves")
		}
		link.SLAAC = true
	case o.ip6 != "":
		if link.Addr6, err = netip.ParsePrefix(o.ip6); err != nil || !link.Addr6.Addr().Is6() || link.Addr6.Addr().Is4In6() {
			return bad("--ip6=%q: want an IPv6 address and prefix, e.g. fd00::2/64, or auto", o.ip6)
		}
	}
	if o.gateway6 != "" {
		gw, err := netip.ParseAddr(o.gateway6)
		if err != nil || !gw.Is6() || gw.Is4In6() || !link.Addr6.IsValid() {
			return bad("--gateway6=%q: want an IPv6 address, with --ip6", o.gateway6)
		}
		link.Gateway6 = gw
	}
	link.MAC = sentry.AddressMAC(link.Addr.Addr())
	cfg.Stack.Eth0 = link
	if isUser {
		n, code := natConfig(o, link, bad)
		cfg.NAT = n
		return code
	}
	if isVeth {
		pl, err := sentry.OpenPacketLink(vethName)
		if err != nil {
			fmt.Fprintf(stderr, "netbox: --net: %v\n", err)
			return 125
		}
		link.FD, link.MTU, link.GSOMaxSize = pl.FD, pl.MTU, pl.GSOMaxSize
		link.RXChecksumOffload = true
		return 0
	}
	if link.FD, err = sentry.OpenTAP(name); err != nil {
		fmt.Fprintf(stderr, "netbox: --net: %v\n", err)
		return 125
	}
	link.VnetHdr = true
	return 0
}

// joinNetwork puts eth0 on the switch of network o.net.
func joinNetwork(o *runOptions, cfg *sentry.Config, stderr io.Writer) int {
	path, err := vswitch.SocketPath(o.net)
	if err == nil {
		var m *vswitch.Member
		if m, err = vswitch.Join(path, o.name, o.ip); err == nil {
			cfg.Stack.Eth0 = &netstack.LinkConfig{
				FD: m.FD, MTU: m.MTU, Addr: m.IP, Addr6: m.IP6,
				MAC:        sentry.AddressMAC(m.IP.Addr()),
				GSOMaxSize: vswitch.GSOMaxSize, RXChecksumOffload: true,
			}
			return 0
		}
	}
	fmt.Fprintf(stderr, "netbox: --net=%s: %v\n", o.net, err)
	return 125
}

// natConfig is the user-mode NAT's configuration from the egress, publish
// and DNS flags.
func natConfig(o *runOptions, link *netstack.LinkConfig, bad func(string, ...any) int) (*nat.Config, int) {
	allows := 0
	for _, r := range o.rules {
		if r.allow {
			allows++
		}
	}
	policy := &nat.Policy{DefaultAllow: allows == 0}
	switch o.egress {
	case "":
	case "allow":
		policy.DefaultAllow = true
	case "deny":
		policy.DefaultAllow = false
	default:
		return nil, bad("--egress-default=%q: want allow or deny", o.egress)
	}
	// Rules keep the order they were given in, --allow and --deny mixed.
	for _, r := range o.rules {
		rule, err := nat.ParseRule(r.target, r.allow)
		if err != nil {
			return nil, bad("--%s: %v", map[bool]string{true: "allow", false: "deny"}[r.allow], err)
		}
		policy.Rules = append(policy.Rules, rule)
	}
	c := &nat.Config{
		Gateway: link.Gateway,
		Prefix:  link.Addr.Masked(),
		Sandbox: link.Addr.Addr(),
		Policy:  policy,
		Log:     func(s string) { fmt.Fprintln(os.Stderr, "netbox: nat:", s) },
	}
	if !c.Gateway.IsValid() {
		return nil, bad("--net=user needs a --gateway")
	}
	for _, p := range o.publish {
		pub, err := nat.ParsePublish(p)
		if err != nil {
			return nil, bad("--publish: %v", err)
		}
		c.Publish = append(c.Publish, pub)
	}
	dns := []string(o.dns)
	if len(dns) == 0 {
		dns = hostResolvers("/etc/resolv.conf")
	}
	for _, d := range dns {
		ap, err := netip.ParseAddrPort(d)
		if err != nil {
			ip, err2 := netip.ParseAddr(d)
			if err2 != nil {
				return nil, bad("--dns=%q: want IP or IP:PORT", d)
			}
			ap = netip.AddrPortFrom(ip, 53)
		}
		c.DNS = append(c.DNS, ap)
	}
	return c, 0
}

// rawRule is an --allow or --deny as given.
type rawRule struct {
	allow  bool
	target string
}

// ruleFlag is --allow or --deny: each adds a rule to one ordered list.
type ruleFlag struct {
	allow bool
	rules *[]rawRule
}

func (f ruleFlag) String() string {
	if f.rules == nil {
		return ""
	}
	var out []string
	for _, r := range *f.rules {
		if r.allow == f.allow {
			out = append(out, r.target)
		}
	}
	return strings.Join(out, ",")
}

func (f ruleFlag) Set(s string) error {
	*f.rules = append(*f.rules, rawRule{allow: f.allow, target: s})
	return nil
}

// hostResolvers are the nameservers of a resolv.conf file.
func hostResolvers(path string) []string {
	f, err := os.Open(path)
	if err != nil {
		return nil
	}
	defer f.Close()
	var out []string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) >= 2 && fields[0] == "nameserver" {
			if _, err := netip.ParseAddr(fields[1]); err == nil {
				out = append(out, fields[1])
			}
		}
	}
	return out
}

// ctlCmd is `netbox ctl PATH COMMAND...`: one request to a running
// netbox's control socket.
func ctlCmd(args []string, stdout, stderr io.Writer) int {
	if len(args) < 2 {
		fmt.Fprintln(stderr, "usage: netbox ctl PATH fault [LINK:][in:|out:]SPEC | show")
		return 2
	}
	ok, err := sentry.Ctl(args[0], args[1:], stdout, stderr)
	if err != nil {
		fmt.Fprintln(stderr, err)
		return 125
	}
	if !ok {
		return 1
	}
	return 0
}
