// Package fdtable maps the host sockets a program holds (placeholders,
// known by inode) to the netbox sockets they stand for. The kernel keeps
// the program's fd table itself; netbox only needs to recognise an open
// file when a trapped call names it, whichever process and fd number it
// has by then (dup, fork and SCM_RIGHTS keep the inode).
package fdtable

import (
	"sync"

	"github.com/netbox-sandbox/netbox/netstack"
)

// Table is the set of live netbox sockets of one sandbox.
type Table struct {
	mu    sync.RWMutex
	byIno map[uint64]*netstack.Socket
	max   int
}

// New returns an empty table that holds at most max sockets (0: no limit).
func New(max int) *Table {
	return &Table{byIno: make(map[uint64]*netstack.Socket), max: max}
}

// Insert records s under its inode. It reports false when the table is
// full.
func (t *Table) Insert(s *netstack.Socket) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.max > 0 && len(t.byIno) >= t.max {
		return false
	}
	t.byIno[s.Ino] = s
	return true
}

// Lookup returns the socket whose placeholder has inode ino, or nil.
func (t *Table) Lookup(ino uint64) *netstack.Socket {
	t.mu.RLock()
	defer t.mu.RUnlock()
	return t.byIno[ino]
}

// Remove forgets s (if it is still the socket under its inode).
func (t *Table) Remove(s *netstack.Socket) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.byIno[s.Ino] == s {
		delete(t.byIno, s.Ino)
	}
}

// Len is the number of live sockets.
func (t *Table) Len() int {
	t.mu.RLock()
	defer t.mu.RUnlock()
	return len(t.byIno)
}

// Sockets returns a snapshot of the live sockets.
func (t *Table) Sockets() []*netstack.Socket {
	t.mu.RLock()
	defer t.mu.RUnlock()
	out := make([]*netstack.Socket, 0, len(t.byIno))
	for _, s := range t.byIno {
		out = append(out, s)
	}
	return out
}
