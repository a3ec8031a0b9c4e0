package netstack

import (
	"net/netip"
	"sync"
	"time"
)

// Path MTUs learned from ICMP fragmentation-needed and ICMPv6 packet too
// big errors, per destination, as Linux keeps them in its route
// exceptions (fib_nh_exception, rt6_ex) for net.ipv4.route.mtu_expires
// (net.ipv6.route.mtu_expires) seconds.

const (
	pmtuExpires = 600 * time.Second // mtu_expires
	ipv4MinPMTU = 552               // net.ipv4.route.min_pmtu
	ipv6MinMTU  = 1280              // IPV6_MIN_MTU
	// pmtuMax bounds the table: a program cannot make netbox keep more.
	pmtuMax = 4096
)

// pmtuCache is the learned path MTUs.
type pmtuCache struct {
	mu sync.Mutex
	m  map[netip.Addr]pmtuEntry
}

type pmtuEntry struct {
	mtu     int
	expires time.Time
}

// get is dst's learned path MTU, 0 if none (or expired).
func (c *pmtuCache) get(dst netip.Addr) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.m[dst]
	if !ok {
		return 0
	}
	if time.Now().After(e.expires) {
		delete(c.m, dst)
		return 0
	}
	return e.mtu
}

// set records dst's path MTU.
func (c *pmtuCache) set(dst netip.Addr, mtu int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	now := time.Now()
	if c.m == nil {
		c.m = make(map[netip.Addr]pmtuEntry)
	}
	if _, ok := c.m[dst]; !ok && len(c.m) >= pmtuMax {
		for a, e := range c.m {
			if now.After(e.expires) {
				delete(c.m, a)
			}
		}
		for a := range c.m {
			if len(c.m) < pmtuMax {
				break
			}
			delete(c.m, a)
		}
	}
	c.m[dst] = pmtuEntry{mtu: mtu, expires: now.Add(pmtuExpires)}
}

// learnPMTU takes mtu, the next-hop MTU an ICMP error gave for dst, as
// __ip_rt_update_pmtu and __ip6_rt_update_pmtu do: a path MTU only ever
// shrinks; IPv4 raises one below min_pmtu to it, IPv6 ignores one below
// its minimum MTU.
func (st *Stack) learnPMTU(dst netip.Addr, mtu uint32) {
	dst = dst.Unmap()
	cur := st.pathMTU(dst)
	m := int(mtu)
	if dst.Is4() {
		if cur < m {
			return
		}
		if m < ipv4MinPMTU {
			m = min(cur, ipv4MinPMTU)
		}
	} else if m < ipv6MinMTU || m >= cur {
		return
	}
	st.pmtus.set(dst, m)
}
