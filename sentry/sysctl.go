package sentry

import (
	"fmt"
	"net"
	"os"
	"runtime"
	"strconv"
	"strings"
	"sync"

	"golang.org/x/sys/unix"
)

// sandboxSysctl reads one sysctl of the sandbox's network namespaces,
// which the program sees and may change under /proc/sys/net. The kernel
// resolves /proc/sys/net by the opener's namespace, so the file is opened
// from a thread that joined the namespace of the thread asking, once per
// namespace; reads of that file then show the namespace's current value.
type sandboxSysctl struct {
	path  string
	mu    sync.Mutex
	files map[uint64]*os.File // by network namespace (its inode)
}

// value returns the sysctl's fields in thread tid's network namespace, or
// nil when it cannot be read (the thread is gone).
func (s *sandboxSysctl) value(tid int) []string {
	var st unix.Stat_t
	if unix.Stat(fmt.Sprintf("/proc/%d/ns/net", tid), &st) != nil {
		return nil
	}
	s.mu.Lock()
	f, ok := s.files[st.Ino]
	if !ok {
		if len(s.files) >= maxNetNS {
			s.closeLocked()
		}
		f, _ = openInNetNS(tid, s.path)
		if s.files == nil {
			s.files = make(map[uint64]*os.File)
		}
		s.files[st.Ino] = f
	}
	s.mu.Unlock()
	if f == nil {
		return nil
	}
	var b [128]byte
	n, err := f.ReadAt(b[:], 0)
	if n == 0 && err != nil {
		return nil
	}
	return strings.Fields(string(b[:n]))
}

// maxNetNS bounds the namespaces whose sysctl files are kept open.
const maxNetNS = 64

func (s *sandboxSysctl) close() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.closeLocked()
}

func (s *sandboxSysctl) closeLocked() {
	for ino, f := range s.files {
		if f != nil {
			f.Close()
		}
		delete(s.files, ino)
	}
}

// pingGroupRange is net.ipv4.ping_group_range (netstack.Options); the
// kernel's default, "1 0", allows nobody.
func (s *sandboxSysctl) pingGroupRange(tid int) (lo, hi uint32) {
	f := s.value(tid)
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

// openInNetNS opens path from a thread in pid's network namespace.
func openInNetNS(pid int, path string) (*os.File, error) {
	fd, err := inNetNS(pid, func() (int, error) {
		return unix.Open(path, unix.O_RDONLY|unix.O_CLOEXEC, 0)
	})
	if err != nil {
		return nil, err
	}
	return os.NewFile(uintptr(fd), path), nil
}

// openCapture opens the packet socket netbox mirrors its loopback traffic
// through (netstack.Options.OpenCapture): bound to lo of thread tid's
// network namespace, sending only.
func openCapture(tid int) (int, error) {
	return inNetNS(tid, func() (int, error) {
		fd, err := unix.Socket(unix.AF_PACKET, unix.SOCK_RAW|unix.SOCK_CLOEXEC|unix.SOCK_NONBLOCK, 0)
		if err != nil {
			return -1, fmt.Errorf("sentry: capture socket: %w", err)
		}
		lo, err := net.InterfaceByName("lo")
		if err == nil {
			err = unix.Bind(fd, &unix.SockaddrLinklayer{Ifindex: lo.Index})
		}
		if err != nil {
			unix.Close(fd)
			return -1, fmt.Errorf("sentry: bind capture socket to lo: %w", err)
		}
		return fd, nil
	})
}

// inNetNS runs fn on a thread in pid's network namespace and returns the
// fd it makes (which stays in that namespace). The thread is locked and
// never unlocked: it ends with its goroutine rather than serve others from
// the wrong namespace.
func inNetNS(pid int, fn func() (int, error)) (int, error) {
	type result struct {
		fd  int
		err error
	}
	c := make(chan result, 1)
	go func() {
		runtime.LockOSThread()
		ns, err := unix.Open(fmt.Sprintf("/proc/%d/ns/net", pid), unix.O_RDONLY|unix.O_CLOEXEC, 0)
		if err != nil {
			c <- result{-1, fmt.Errorf("sentry: open sandbox namespace: %w", err)}
			return
		}
		defer unix.Close(ns)
		if err := unix.Setns(ns, unix.CLONE_NEWNET); err != nil {
			c <- result{-1, fmt.Errorf("sentry: join sandbox namespace: %w", err)}
			return
		}
		fd, err := fn()
		c <- result{fd, err}
	}()
	r := <-c
	return r.fd, r.err
}
