package nat

import (
	"net/netip"
	"sync"
	"time"
)

// nameTable remembers which addresses the DNS forwarder answered for the
// names the policy's rules give, until the answer's TTL runs out (at
// least minNameTTL, so that a program that resolves once and connects a
// little later is not refused).
type nameTable struct {
	mu    sync.Mutex
	names map[string]map[netip.Addr]time.Time // name → address → expiry
	now   func() time.Time
}

// minNameTTL is the shortest time an answered address stays allowed.
const minNameTTL = time.Minute

func newNameTable() *nameTable {
	return &nameTable{names: make(map[string]map[netip.Addr]time.Time), now: time.Now}
}

// wants reports whether a rule names name.
func (t *nameTable) wants(name string) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	_, ok := t.names[name]
	return ok
}

// watch makes name one the table records answers for.
func (t *nameTable) watch(name string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.names[name] == nil {
		t.names[name] = make(map[netip.Addr]time.Time)
	}
}

// record notes that the DNS answered addr for name, valid for ttl.
func (t *nameTable) record(name string, addr netip.Addr, ttl time.Duration) {
	t.mu.Lock()
	defer t.mu.Unlock()
	m, ok := t.names[name]
	if !ok {
		return
	}
	exp := t.now().Add(max(ttl, minNameTTL))
	if old, ok := m[addr.Unmap()]; !ok || old.Before(exp) {
		m[addr.Unmap()] = exp
	}
}

// has reports whether the DNS answered addr for name and the answer still
// holds.
func (t *nameTable) has(name string, addr netip.Addr) bool {
	if t == nil {
		return false
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	exp, ok := t.names[name][addr]
	return ok && t.now().Before(exp)
}
