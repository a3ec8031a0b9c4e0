package sentry

import (
	"fmt"
	"net"
	"runtime"
	"strconv"
	"strings"
	"sync"

	"golang.org/x/sys/unix"
)

// perNetNS keeps one fd per network namespace of the sandbox, made by
// open on a thread inside that namespace the first time a thread of the
// namespace needs it (the program may make namespaces of its own).
type perNetNS struct {
	open func() (int, error)
	mu   sync.Mutex
	fds  map[uint64]int // by the namespace's inode; -1: open failed
}

// maxNetNS bounds the namespaces whose fds are kept.
const maxNetNS = 64

// get returns the fd for thread tid's network namespace.
func (p *perNetNS) get(tid int) (int, error) {
	ns, err := netNSOf(tid)
	if err != nil {
		return -1, err
	}
	return p.getIn(ns, tid)
}

// netNSOf is the inode of thread tid's network namespace.
func netNSOf(tid int) (uint64, error) {
	var st unix.Stat_t
	if err := unix.Stat("/proc/"+strconv.Itoa(tid)+"/ns/net", &st); err != nil {
		return 0, err
	}
	return st.Ino, nil
}

// getIn returns the fd for network namespace ns, which thread tid is in.
func (p *perNetNS) getIn(ns uint64, tid int) (int, error) {
	var st struct{ Ino uint64 }
	st.Ino = ns
	p.mu.Lock()
	defer p.mu.Unlock()
	if fd, ok := p.fds[st.Ino]; ok {
		if fd < 0 {
			return -1, unix.ENOENT
		}
		return fd, nil
	}
	if len(p.fds) >= maxNetNS {
		p.closeLocked()
	}
	if p.fds == nil {
		p.fds = make(map[uint64]int)
	}
	fd, err := inNetNS(tid, p.open)
	if err != nil {
		fd = -1
	}
	p.fds[st.Ino] = fd
	return fd, err
}

func (p *perNetNS) close() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.closeLocked()
}

func (p *perNetNS) closeLocked() {
	for ns, fd := range p.fds {
		if fd >= 0 {
			unix.Close(fd)
		}
		delete(p.fds, ns)
	}
}

// sysctlFile reads a sysctl of the sandbox's network namespaces, which the
// program sees and may change under /proc/sys/net. The kernel resolves
// /proc/sys/net by the opener's namespace, so the file is opened from a
// thread inside; reads of it then show that namespace's current value.
func sysctlFile(path string) *perNetNS {
	return &perNetNS{open: func() (int, error) {
		return unix.Open(path, unix.O_RDONLY|unix.O_CLOEXEC, 0)
	}}
}

// sysctlFiles reads integer sysctls of the sandbox's network namespaces
// by name (netstack.Options.Sysctl), each through its sysctlFile.
type sysctlFiles struct {
	mu    sync.Mutex
	files map[string]*perNetNS
}

// read returns the integer sysctls names (as under /proc/sys) of thread
// tid's namespace, in vals; ok is false when one cannot be read. It is
// on the path of every socket(): one stat of the namespace, one pread
// per sysctl.
func (s *sysctlFiles) read(tid int, names []string, vals []int) bool {
	ns, err := netNSOf(tid)
	if err != nil {
		return false
	}
	for i, name := range names {
		s.mu.Lock()
		f := s.files[name]
		if f == nil {
			if s.files == nil {
				s.files = make(map[string]*perNetNS)
			}
			f = sysctlFile("/proc/sys/" + name)
			s.files[name] = f
		}
		s.mu.Unlock()
		fd, err := f.getIn(ns, tid)
		if err != nil {
			return false
		}
		var b [32]byte
		n, err := unix.Pread(fd, b[:], 0)
		if err != nil || n <= 0 {
			return false
		}
		v, err := strconv.Atoi(strings.TrimSpace(string(b[:n])))
		if err != nil {
			return false
		}
		vals[i] = v
	}
	return true
}

func (s *sysctlFiles) close() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, f := range s.files {
		f.close()
	}
}

// readSysctl returns the fields of the sysctl p opens, in thread tid's
// namespace, or nil when it cannot be read.
func readSysctl(p *perNetNS, tid int) []string {
	fd, err := p.get(tid)
	if err != nil {
		return nil
	}
	var b [128]byte
	n, err := unix.Pread(fd, b[:], 0)
	if n <= 0 || err != nil {
		return nil
	}
	return strings.Fields(string(b[:n]))
}

// pingGroupRange reads net.ipv4.ping_group_range through p
// (netstack.Options); the kernel's default, "1 0", allows nobody.
func pingGroupRange(p *perNetNS) func(tid int) (lo, hi uint32) {
	return func(tid int) (lo, hi uint32) {
		f := readSysctl(p, tid)
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
}

// ioctlSocket makes a socket of family netbox runs the program's
// interface and routing ioctls on, in its namespace
// (netstack.Options.IfSocket).
func ioctlSocket(family int) func() (int, error) {
	return func() (int, error) {
		return unix.Socket(family, unix.SOCK_DGRAM|unix.SOCK_CLOEXEC, 0)
	}
}

// openCapture opens the packet socket netbox mirrors its loopback traffic
// through (netstack.Options.OpenCapture): bound to lo of thread tid's
// network namespace, sending only.
func openCapture(tid int) (int, error) {
	return inNetNS(tid, func() (int, error) { return sendOnlyPacketSocket("lo") })
}

// sendOnlyPacketSocket opens a packet socket bound to the interface name
// of the calling thread's namespace, non-blocking, through which netbox
// writes frames that the namespace's packet sockets then see; its
// protocol is 0, so nothing is ever queued on it.
func sendOnlyPacketSocket(name string) (int, error) {
	fd, err := unix.Socket(unix.AF_PACKET, unix.SOCK_RAW|unix.SOCK_CLOEXEC|unix.SOCK_NONBLOCK, 0)
	if err != nil {
		return -1, fmt.Errorf("sentry: capture socket: %w", err)
	}
	ifi, err := net.InterfaceByName(name)
	if err == nil {
		err = unix.Bind(fd, &unix.SockaddrLinklayer{Ifindex: ifi.Index})
	}
	if err != nil {
		unix.Close(fd)
		return -1, fmt.Errorf("sentry: bind capture socket to %s: %w", name, err)
	}
	return fd, nil
}

// inNetNS runs fn on a thread in pid's network namespace and returns the
// fd it makes (which stays in that namespace). The thread is locked and
// never unlocked: it ends with its goroutine rather than serve others from
// the wrong namespace.
func inNetNS(pid int, fn func() (int, error)) (int, error) {
	ns, err := unix.Open(fmt.Sprintf("/proc/%d/ns/net", pid), unix.O_RDONLY|unix.O_CLOEXEC, 0)
	if err != nil {
		return -1, fmt.Errorf("sentry: open sandbox namespace: %w", err)
	}
	defer unix.Close(ns)
	return inNetNSFile(ns, fn)
}

// inNetNSFile is inNetNS for the namespace the fd ns refers to.
func inNetNSFile(ns int, fn func() (int, error)) (int, error) {
	type result struct {
		fd  int
		err error
	}
	c := make(chan result, 1)
	go func() {
		runtime.LockOSThread() // never unlocked: the thread dies with the goroutine
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
