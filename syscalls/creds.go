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
