package sentry

import (
	"encoding/binary"
	"fmt"
	"net/netip"
	"os"
	"sort"
	"strconv"
	"strings"
	"sync"

	"golang.org/x/sys/unix"

	"github.com/netbox-sandbox/netbox/netstack"
	"github.com/netbox-sandbox/netbox/netstack/nlattr"
)

// netConfig makes netbox's stack follow the addresses and routes
// configured in the sandbox's network namespace: the program changes them
// natively (ip addr add/del, ip route add/del, with CAP_NET_ADMIN inside),
// and netbox listens to the namespace's rtnetlink address and route events
// and sets its stack's addresses and routes to match.
type netConfig struct {
	st     *netstack.Stack
	eth0   *netstack.LinkConfig // shown in the namespace when set (eth0View)
	peerNS int                  // the namespace of its view's peer

	view *eth0View // eth0's view in the namespace, once made

	mu     sync.Mutex
	fd     int      // NETLINK_ROUTE socket in the namespace; 0 before use, -1 if it failed or closed
	f      *os.File // fd, for follow's waits (closing it ends them)
	addrs  map[ifAddr]bool
	routes map[nsRoute]bool
	loMTU  uint32 // lo's MTU in the namespace; 0 before it is known
	ethMTU uint32 // eth0's view's, likewise
	buf    []byte
}

// nsRoute is one route of the namespace's main table.
type nsRoute struct {
	dst      netip.Prefix
	gateway  netip.Addr
	oif      uint32
	priority uint32
	scope    uint8
}

// loIndex is lo's interface index in every network namespace.
const loIndex = 1

// ifAddr is one address of one interface.
type ifAddr struct {
	index  uint32
	prefix netip.Prefix
}

// sync brings netbox's addresses up to date with the namespace of thread
// tid (the first call opens the event socket there and reads the whole
// configuration). Everything the namespace has queued is applied before it
// returns, so a bind or connect after an ip addr add sees the address.
func (c *netConfig) sync(tid int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.fd < 0 {
		return
	}
	if c.fd == 0 {
		if !c.open(tid) {
			if c.fd > 0 {
				unix.Close(c.fd)
			}
			c.fd = -1
			return
		}
		go c.follow(c.f)
	}
	c.drainLocked()
}

// open makes the event socket in tid's namespace, subscribed to address
// changes, and reads the current addresses. c.mu is held.
func (c *netConfig) open(tid int) bool {
	fd, err := inNetNS(tid, func() (int, error) {
		return unix.Socket(unix.AF_NETLINK, unix.SOCK_RAW|unix.SOCK_CLOEXEC, unix.NETLINK_ROUTE)
	})
	if err != nil {
		return false
	}
	groups := uint32(unix.RTMGRP_LINK | unix.RTMGRP_IPV4_IFADDR | unix.RTMGRP_IPV6_IFADDR | unix.RTMGRP_IPV4_ROUTE | unix.RTMGRP_IPV6_ROUTE)
	if unix.Bind(fd, &unix.SockaddrNetlink{Family: unix.AF_NETLINK, Groups: groups}) != nil {
		unix.Close(fd)
		return false
	}
	c.fd, c.addrs, c.routes, c.buf = fd, make(map[ifAddr]bool), make(map[nsRoute]bool), make([]byte, 1<<16)
	if c.eth0 != nil {
		// Before the dump, so that it sees eth0's addresses (which stay
		// eth0's).
		// With SLAAC, what was learned so far; eth0Changed adds the rest.
		link := *c.eth0
		link.Addr6, link.Gateway6 = c.st.Eth0IPv6()
		v, err := makeEth0View(tid, &link, c.peerNS)
		if err != nil {
			fmt.Fprintf(os.Stderr, "netbox: eth0 will not show in the sandbox's namespace: %v\n", err)
		}
		c.view = v
	}
	// The dumps: RTM_GETLINK, RTM_GETADDR and RTM_GETROUTE for every
	// family; their replies come before any event queued after them.
	if !c.dump(unix.RTM_GETLINK, unix.SizeofIfInfomsg) || !c.dump(unix.RTM_GETADDR, unix.SizeofIfAddrmsg) ||
		!c.dump(unix.RTM_GETROUTE, unix.SizeofRtMsg) {
		return false
	}
	c.push()
	if first, last, err := portRange(tid); err == nil {
		c.st.SetPortRange(first, last)
	}
	if unix.SetNonblock(fd, true) != nil {
		return false
	}
	c.f = os.NewFile(uintptr(fd), "netbox-rtnetlink")
	return true
}

// portRange reads net.ipv4.ip_local_port_range in tid's namespace (the
// program may have set it before its first socket; later changes are not
// followed).
func portRange(tid int) (first, last uint16, err error) {
	var b []byte
	if _, err := inNetNS(tid, func() (int, error) {
		var err error
		b, err = os.ReadFile("/proc/sys/net/ipv4/ip_local_port_range")
		return 0, err
	}); err != nil {
		return 0, 0, err
	}
	f := strings.Fields(string(b))
	if len(f) != 2 {
		return 0, 0, fmt.Errorf("sentry: ip_local_port_range %q", b)
	}
	a, err1 := strconv.ParseUint(f[0], 10, 16)
	z, err2 := strconv.ParseUint(f[1], 10, 16)
	if err1 != nil || err2 != nil {
		return 0, 0, fmt.Errorf("sentry: ip_local_port_range %q", b)
	}
	return uint16(a), uint16(z), nil
}

// dump asks for every object of one kind (typ, with an all-zero request
// body of size bytes: every family) and applies the replies. c.mu is held.
func (c *netConfig) dump(typ uint16, size int) bool {
	req := make([]byte, unix.NLMSG_HDRLEN+size)
	binary.LittleEndian.PutUint32(req, uint32(len(req)))
	binary.LittleEndian.PutUint16(req[4:], typ)
	binary.LittleEndian.PutUint16(req[6:], unix.NLM_F_REQUEST|unix.NLM_F_DUMP)
	if unix.Sendto(c.fd, req, 0, &unix.SockaddrNetlink{Family: unix.AF_NETLINK}) != nil {
		return false
	}
	for range 1 << 10 {
		n, _, err := unix.Recvfrom(c.fd, c.buf, 0)
		if err != nil {
			return false
		}
		if c.apply(c.buf[:n]) {
			return true
		}
	}
	return false
}

// follow applies events as they come, until f is closed.
func (c *netConfig) follow(f *os.File) {
	rc, err := f.SyscallConn()
	if err != nil {
		return
	}
	// Read returns only when f is closed: the callback never reports
	// done, so Read waits for the next event each time.
	rc.Read(func(uintptr) bool {
		c.mu.Lock()
		c.drainLocked()
		c.mu.Unlock()
		return false
	})
}

// drainLocked applies every queued event. c.mu is held.
func (c *netConfig) drainLocked() {
	if c.fd < 0 {
		return
	}
	changed := false
	for range 1 << 10 {
		n, _, err := unix.Recvfrom(c.fd, c.buf, unix.MSG_DONTWAIT)
		if err != nil {
			break // EAGAIN: nothing more; ENOBUFS: events lost, see below
		}
		c.apply(c.buf[:n])
		changed = true
	}
	if changed {
		c.push()
	}
}

// apply records the address messages in b; it reports whether b ends a
// dump (NLMSG_DONE or an error).
func (c *netConfig) apply(b []byte) (done bool) {
	for len(b) >= unix.NLMSG_HDRLEN {
		l := int(binary.LittleEndian.Uint32(b))
		typ := binary.LittleEndian.Uint16(b[4:])
		if l < unix.NLMSG_HDRLEN || l > len(b) {
			return true
		}
		body := b[unix.NLMSG_HDRLEN:l]
		switch typ {
		case unix.NLMSG_DONE, unix.NLMSG_ERROR:
			done = true
		case unix.RTM_NEWADDR, unix.RTM_DELADDR:
			if a, ok := parseIfAddr(body); ok {
				if typ == unix.RTM_NEWADDR {
					c.addrs[a] = true
				} else {
					delete(c.addrs, a)
				}
			}
		case unix.RTM_NEWLINK:
			if index, mtu, ok := parseLinkMTU(body); ok {
				switch {
				case index == loIndex:
					c.loMTU = mtu
				case c.view != nil && uint32(index) == c.view.index:
					c.ethMTU = mtu
				}
			}
		case unix.RTM_NEWROUTE, unix.RTM_DELROUTE:
			if r, ok := parseRoute(body); ok {
				if typ == unix.RTM_NEWROUTE {
					c.routes[r] = true
				} else {
					delete(c.routes, r)
				}
			}
		}
		b = b[min((l+unix.NLMSG_ALIGNTO-1)&^(unix.NLMSG_ALIGNTO-1), len(b)):]
	}
	return done
}

// parseLinkMTU reads struct ifinfomsg's index and its IFLA_MTU.
func parseLinkMTU(b []byte) (index int32, mtu uint32, ok bool) {
	if len(b) < unix.SizeofIfInfomsg {
		return 0, 0, false
	}
	index = int32(binary.LittleEndian.Uint32(b[4:]))
	nlattr.Walk(b[unix.SizeofIfInfomsg:], func(typ uint16, v []byte) {
		if typ == unix.IFLA_MTU && len(v) == 4 {
			mtu, ok = binary.LittleEndian.Uint32(v), true
		}
	})
	return index, mtu, ok
}

// parseIfAddr reads struct ifaddrmsg and its IFA_LOCAL (IPv4) or
// IFA_ADDRESS attribute.
func parseIfAddr(b []byte) (ifAddr, bool) {
	if len(b) < unix.SizeofIfAddrmsg {
		return ifAddr{}, false
	}
	family, plen := b[0], int(b[1])
	a := ifAddr{index: binary.LittleEndian.Uint32(b[4:])}
	var local, address []byte
	nlattr.Walk(b[unix.SizeofIfAddrmsg:], func(typ uint16, v []byte) {
		switch typ {
		case unix.IFA_LOCAL:
			local = v
		case unix.IFA_ADDRESS:
			address = v
		}
	})
	raw := address
	if family == unix.AF_INET && local != nil {
		raw = local
	}
	ip, ok := netip.AddrFromSlice(raw)
	if !ok || (family == unix.AF_INET) != ip.Is4() {
		return ifAddr{}, false
	}
	a.prefix = netip.PrefixFrom(ip, plen)
	return a, a.prefix.IsValid()
}

// parseRoute reads struct rtmsg and its attributes: a unicast route of
// the main table (the others — local, broadcast, multicast — follow the
// addresses).
func parseRoute(b []byte) (nsRoute, bool) {
	if len(b) < unix.SizeofRtMsg {
		return nsRoute{}, false
	}
	family, dstLen, table, typ := b[0], int(b[1]), uint32(b[4]), b[7]
	r := nsRoute{scope: b[6]}
	var dst []byte
	nlattr.Walk(b[unix.SizeofRtMsg:], func(typ uint16, v []byte) {
		switch typ {
		case unix.RTA_DST:
			dst = v
		case unix.RTA_GATEWAY:
			r.gateway, _ = netip.AddrFromSlice(v)
		case unix.RTA_OIF:
			if len(v) == 4 {
				r.oif = binary.LittleEndian.Uint32(v)
			}
		case unix.RTA_PRIORITY:
			if len(v) == 4 {
				r.priority = binary.LittleEndian.Uint32(v)
			}
		case unix.RTA_TABLE:
			if len(v) == 4 {
				table = binary.LittleEndian.Uint32(v)
			}
		}
	})
	if table != unix.RT_TABLE_MAIN || typ != unix.RTN_UNICAST {
		return nsRoute{}, false
	}
	ip := netip.IPv4Unspecified()
	if family == unix.AF_INET6 {
		ip = netip.IPv6Unspecified()
	} else if family != unix.AF_INET {
		return nsRoute{}, false
	}
	if dst != nil {
		a, ok := netip.AddrFromSlice(dst)
		if !ok || a.BitLen() != ip.BitLen() {
			return nsRoute{}, false
		}
		ip = a
	}
	r.dst = netip.PrefixFrom(ip, dstLen)
	return r, r.dst.IsValid()
}

// push gives the stack the addresses and routes now known. c.mu is held.
func (c *netConfig) push() {
	var v4 []netip.Prefix
	var v6 []netip.Addr
	for a := range c.addrs {
		if a.prefix.Addr().Is4() {
			p := a.prefix
			if c.view != nil && a.index == c.view.index {
				// Added on eth0's view: local, but eth0's subnet stays
				// eth0's route, not lo's.
				p = netip.PrefixFrom(p.Addr(), 32)
			}
			v4 = append(v4, p)
		} else if !a.prefix.Addr().IsLinkLocalUnicast() {
			v6 = append(v6, a.prefix.Addr())
		}
	}
	// In a stable order, 127.0.0.1/8 (lo's first) first.
	sort.Slice(v4, func(i, j int) bool {
		if v4[i].Addr().IsLoopback() != v4[j].Addr().IsLoopback() {
			return v4[i].Addr().IsLoopback()
		}
		return v4[i].String() < v4[j].String()
	})
	sort.Slice(v6, func(i, j int) bool { return v6[i].Less(v6[j]) })
	c.st.SetLocalAddrs(v4, v6)
	if c.loMTU != 0 {
		c.st.SetLoopbackMTU(c.loMTU)
	}
	if c.ethMTU != 0 {
		c.st.SetEth0MTU(c.ethMTU)
	}
	// Routes out of lo or eth0's view; those of other devices the
	// program made lead nowhere netbox goes.
	var routes []netstack.Route
	for r := range c.routes {
		eth0 := c.view != nil && r.oif == c.view.index
		if !eth0 && r.oif != loIndex {
			continue
		}
		routes = append(routes, netstack.Route{Dst: r.dst, Gateway: r.gateway, Eth0: eth0, Link: r.scope >= unix.RT_SCOPE_LINK})
	}
	sort.Slice(routes, func(i, j int) bool { return routes[i].Dst.String() < routes[j].Dst.String() })
	c.st.SetRoutes(routes)
}

// openEthCapture is netstack.Options.OpenEthCapture: the sockets of the
// namespace's eth0 view (which the first call of the namespace made).
func (c *netConfig) openEthCapture(tid int) (out, in int, err error) {
	c.sync(tid)
	c.mu.Lock()
	v := c.view
	c.mu.Unlock()
	if v == nil {
		return -1, -1, unix.ENODEV
	}
	return v.openCapture()
}

// eth0Changed shows eth0's IPv6 configuration, as SLAAC changed it, in
// the namespace (netstack.Options.Eth0Changed).
func (c *netConfig) eth0Changed(addr6 netip.Prefix, gw6 netip.Addr) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.view != nil {
		if err := c.view.setIPv6(addr6, gw6); err != nil {
			fmt.Fprintf(os.Stderr, "netbox: eth0's IPv6 (%v via %v) will not show in the sandbox's namespace: %v\n", addr6, gw6, err)
		}
	}
}

func (c *netConfig) close() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.view.close()
	if c.f != nil {
		c.f.Close()
	}
	c.fd = -1
}
