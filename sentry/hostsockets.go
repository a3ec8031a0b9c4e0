package sentry

import (
	"fmt"
	"os"
	"runtime"
	"sync"
	"unsafe"

	"golang.org/x/sys/unix"
)

// nsSockets creates host sockets inside the supervisor's private network
// namespace. The namespace belongs to a few locked OS threads: the
// dispatcher, which creates sockets directly, and a factory thread that
// serves every other goroutine.
type nsSockets struct {
	nsFD    int // the namespace, for threads that join it
	private bool
	reqs    chan sockReq
	direct  sync.Map // tids (int) of threads inside the namespace
}

type sockReq struct {
	domain, typ, proto int
	pair               bool
	reply              chan sockRes
}

type sockRes struct {
	fds [2]int
	err error
}

// newNSSockets starts the factory thread in a new network namespace with
// lo up. Without the privilege to make one (unprivileged netbox) it stays
// in netbox's own namespace and says so.
func newNSSockets() (*nsSockets, error) {
	n := &nsSockets{reqs: make(chan sockReq)}
	ready := make(chan error)
	go func() {
		runtime.LockOSThread() // never unlocked: the thread dies with its namespace
		if err := unix.Unshare(unix.CLONE_NEWNET); err == nil {
			n.private = true
			setLinkUp("lo")
			// A UDP placeholder takes datagrams from many senders; the
			// unix default queue (10 datagrams) would make senders wait
			// where UDP drops only when the receive buffer is full.
			os.WriteFile("/proc/sys/net/unix/max_dgram_qlen", []byte("65536"), 0)
		}
		fd, err := unix.Open("/proc/thread-self/ns/net", unix.O_RDONLY|unix.O_CLOEXEC, 0)
		if err != nil {
			ready <- fmt.Errorf("sentry: open network namespace: %w", err)
			return
		}
		n.nsFD = fd
		n.direct.Store(unix.Gettid(), true)
		ready <- nil
		for r := range n.reqs {
			var res sockRes
			if r.pair {
				res.fds, res.err = unix.Socketpair(r.domain, r.typ, r.proto)
			} else {
				res.fds[0], res.err = unix.Socket(r.domain, r.typ, r.proto)
			}
			r.reply <- res
		}
	}()
	if err := <-ready; err != nil {
		return nil, err
	}
	return n, nil
}

// join moves the calling locked thread into the namespace; its sockets are
// then created directly.
func (n *nsSockets) join() error {
	if n.private {
		if err := unix.Setns(n.nsFD, unix.CLONE_NEWNET); err != nil {
			return fmt.Errorf("sentry: join supervisor namespace: %w", err)
		}
	}
	n.direct.Store(unix.Gettid(), true)
	return nil
}

func (n *nsSockets) onThread() bool {
	_, ok := n.direct.Load(unix.Gettid())
	return ok
}

// Socket implements netstack.HostSockets.
func (n *nsSockets) Socket(domain, typ, proto int) (int, error) {
	if n.onThread() {
		return unix.Socket(domain, typ, proto)
	}
	r := sockReq{domain: domain, typ: typ, proto: proto, reply: make(chan sockRes, 1)}
	n.reqs <- r
	res := <-r.reply
	return res.fds[0], res.err
}

// Socketpair implements netstack.HostSockets.
func (n *nsSockets) Socketpair(domain, typ, proto int) ([2]int, error) {
	if n.onThread() {
		return unix.Socketpair(domain, typ, proto)
	}
	r := sockReq{domain: domain, typ: typ, proto: proto, pair: true, reply: make(chan sockRes, 1)}
	n.reqs <- r
	res := <-r.reply
	return res.fds, res.err
}

// setLinkUp sets IFF_UP on a link of the calling thread's namespace
// (SIOCSIFFLAGS through an AF_UNIX socket, which reaches dev_ioctl).
func setLinkUp(name string) error {
	fd, err := unix.Socket(unix.AF_UNIX, unix.SOCK_DGRAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return err
	}
	defer unix.Close(fd)
	var ifr [40]byte
	copy(ifr[:unix.IFNAMSIZ-1], name)
	if err := ioctl(fd, unix.SIOCGIFFLAGS, unsafe.Pointer(&ifr[0])); err != nil {
		return err
	}
	flags := *(*uint16)(unsafe.Pointer(&ifr[unix.IFNAMSIZ]))
	*(*uint16)(unsafe.Pointer(&ifr[unix.IFNAMSIZ])) = flags | unix.IFF_UP
	return ioctl(fd, unix.SIOCSIFFLAGS, unsafe.Pointer(&ifr[0]))
}

func ioctl(fd int, req uint, p unsafe.Pointer) error {
	_, _, e := unix.Syscall(unix.SYS_IOCTL, uintptr(fd), uintptr(req), uintptr(p))
	if e != 0 {
		return e
	}
	return nil
}
