package sentry

import (
	"fmt"
	"os"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"

	"golang.org/x/sys/unix"
)

// sandboxSysctl reads one sysctl of the sandbox's network namespace,
// which the program sees and may change under /proc/sys/net. The kernel
// resolves /proc/sys/net by the opener's namespace, so the file is opened
// once from a thread that joined the sandbox's; reads of that file then
// show the sandbox's current value.
type sandboxSysctl struct {
	path string
	pid  atomic.Int32 // a process in the sandbox's namespace (its init)
	once sync.Once
	f    *os.File
}

// value returns the sysctl's fields, or nil when it cannot be read (the
// sandbox has not started, or is gone).
func (s *sandboxSysctl) value() []string {
	pid := s.pid.Load()
	if pid == 0 {
		return nil
	}
	s.once.Do(func() { s.f, _ = openInNetNS(int(pid), s.path) })
	if s.f == nil {
		return nil
	}
	var b [128]byte
	n, err := s.f.ReadAt(b[:], 0)
	if n == 0 && err != nil {
		return nil
	}
	return strings.Fields(string(b[:n]))
}

func (s *sandboxSysctl) close() {
	if s.f != nil {
		s.f.Close()
	}
}

// pingGroupRange is net.ipv4.ping_group_range (netstack.Options); the
// kernel's default, "1 0", allows nobody.
func (s *sandboxSysctl) pingGroupRange() (lo, hi uint32) {
	f := s.value()
	if len(f) != 2 {
		return 1, 0
	}
	l, err1 := strconv.ParseUint(f[0], 10, 32)
	h, err2 := strconv.ParseUint(f[1], 10, 32)
	if err1 != nil || err2 != nil {
		return 1, 0
	}
	return uint32(l), uint32(h)
}

// openInNetNS opens path from a thread in pid's network namespace. The
// thread is locked and never unlocked: it ends with its goroutine rather
// than serve others from the wrong namespace.
func openInNetNS(pid int, path string) (*os.File, error) {
	type result struct {
		f   *os.File
		err error
	}
	c := make(chan result, 1)
	go func() {
		runtime.LockOSThread()
		ns, err := unix.Open(fmt.Sprintf("/proc/%d/ns/net", pid), unix.O_RDONLY|unix.O_CLOEXEC, 0)
		if err != nil {
			c <- result{err: fmt.Errorf("sentry: open sandbox namespace: %w", err)}
			return
		}
		defer unix.Close(ns)
		if err := unix.Setns(ns, unix.CLONE_NEWNET); err != nil {
			c <- result{err: fmt.Errorf("sentry: join sandbox namespace: %w", err)}
			return
		}
		f, err := os.Open(path)
		c <- result{f, err}
	}()
	r := <-c
	return r.f, r.err
}
