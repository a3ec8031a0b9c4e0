package syscalls

import (
	"bufio"
	"fmt"
	"os"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"

	"github.com/netbox-sandbox/netbox/netstack"
	"github.com/netbox-sandbox/netbox/syscalls/abi"
)

// caller is the thread a call came from (netstack.Caller).
type caller struct{ tid int }

// Capable is ns_capable for the calling thread: its effective
// capabilities (in its own user namespace, which stands for the owner of
// the sandbox's network) hold capability.
func (c caller) Capable(capability int) bool { return threadCapable(c.tid, capability) }

// Tid implements netstack.Caller.
func (c caller) Tid() int { return c.tid }

// UID implements netstack.Caller: the owner of /proc/TID, which is the
// thread's effective uid (a stat, much cheaper than reading its status).
// An unreadable thread (gone) has the overflow uid.
func (c caller) UID() uint32 {
	var st unix.Stat_t
	if err := unix.Stat(fmt.Sprintf("/proc/%d", c.tid), &st); err != nil {
		return overflowID
	}
	return st.Uid
}

// Groups implements netstack.Caller from /proc/TID/status: the effective
// gid (the second field of Gid) and Groups. An unreadable thread (gone)
// has the overflow gid, and no groups.
func (c caller) Groups() netstack.Groups {
	g := netstack.Groups{GID: overflowID}
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", c.tid))
	if err != nil {
		return g
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		name, v, _ := strings.Cut(sc.Text(), ":")
		fields := strings.Fields(v)
		switch name {
		case "Gid":
			if len(fields) < 2 {
				continue
			}
			if id, err := strconv.ParseUint(fields[1], 10, 32); err == nil {
				g.GID = uint32(id)
			}
		case "Groups":
			for _, s := range fields {
				if id, err := strconv.ParseUint(s, 10, 32); err == nil {
					g.Groups = append(g.Groups, uint32(id))
				}
			}
		}
	}
	return g
}

// overflowID is the kernel's overflowuid/overflowgid.
const overflowID = 65534

// callerOptval is a setsockopt value together with who set it: the options
// that need a capability ask the calling thread's.
type callerOptval struct {
	*abi.Optval
	caller
}

// threadCapable reads a thread's effective capability set from
// /proc/TID/status (CapEff); an unreadable one counts as no capability.
func threadCapable(tid, capability int) bool {
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", tid))
	if err != nil {
		return false
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "CapEff:"); ok {
			caps, err := strconv.ParseUint(strings.TrimSpace(v), 16, 64)
			return err == nil && capability < 64 && caps&(1<<capability) != 0
		}
	}
	return false
}
