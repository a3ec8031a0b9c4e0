package syscalls

import (
	"bufio"
	"fmt"
	"os"
	"strconv"
	"strings"

	"github.com/netbox-sandbox/netbox/syscalls/abi"
)

// caller is the thread a call came from (netstack.Caller).
type caller struct{ tid int }

// Capable is ns_capable for the calling thread: its effective
// capabilities (in its own user namespace, which stands for the owner of
// the sandbox's network) hold capability.
func (c caller) Capable(capability int) bool { return threadCapable(c.tid, capability) }

// Groups implements netstack.Caller from /proc/TID/status: the effective
// gid (Gid's second field) and Groups.
func (c caller) Groups() (egid uint32, supplementary []uint32) {
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", c.tid))
	if err != nil {
		return 1<<32 - 1, nil // overflowgid-like: in no range but the full one
	}
	defer f.Close()
	egid = 1<<32 - 1
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "Gid:"); ok {
			if f := strings.Fields(v); len(f) >= 2 {
				if g, err := strconv.ParseUint(f[1], 10, 32); err == nil {
					egid = uint32(g)
				}
			}
		} else if v, ok := strings.CutPrefix(sc.Text(), "Groups:"); ok {
			for _, s := range strings.Fields(v) {
				if g, err := strconv.ParseUint(s, 10, 32); err == nil {
					supplementary = append(supplementary, uint32(g))
				}
			}
		}
	}
	return egid, supplementary
}

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
