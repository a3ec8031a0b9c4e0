// Package syscalls serves the trapped system calls: one handler per call
// decodes its arguments from the program's memory (package abi), calls the
// socket's ProtoOps, and encodes the result and errno, like Linux's
// net/socket.c. Calls on sockets netbox does not own (the program's own
// AF_UNIX and netlink sockets) run natively.
package syscalls

import (
	"errors"
	"fmt"
	"io"
	"sync"
	"time"

	"golang.org/x/sys/unix"

	"github.com/netbox-sandbox/netbox/fdtable"
	"github.com/netbox-sandbox/netbox/netstack"
	"github.com/netbox-sandbox/netbox/platform"
)

// Task is a trapped call together with its thread.
type Task interface {
	platform.Task
	Call() platform.Call
	// Detach makes the task usable from another goroutine; Release frees
	// what Detach took.
	Detach()
	Release()
	// Answered reports whether the call was answered already (InstallFD
	// or Respond ran).
	Answered() bool
}

// Handler serves the trapped calls of one sandbox.
type Handler struct {
	st      *netstack.Stack
	fds     *fdtable.Table
	traceMu sync.Mutex
	trace   io.Writer
}

// New returns a handler for the sockets of st, recorded in fds. When trace
// is not nil, every trapped call and its result is written there in
// strace's style.
func New(st *netstack.Stack, fds *fdtable.Table, trace io.Writer) *Handler {
	h := &Handler{st: st, fds: fds, trace: trace}
	return h
}

// errno converts an error from the layers below into the errno the program
// sees.
func errno(err error) int {
	var e unix.Errno
	if errors.As(err, &e) {
		return int(e)
	}
	var w *netstack.WaitError
	if errors.As(err, &w) {
		return int(unix.EAGAIN)
	}
	return int(unix.EINVAL)
}

// result turns (value, error) into a Reply.
func result(v int64, err error) platform.Reply {
	if err != nil {
		return platform.Errno(errno(err))
	}
	return platform.Val(v)
}

// Handle serves one call. It answers at once on the calling (dispatcher)
// thread, or, for a call that must wait, hands it to a goroutine.
func (h *Handler) Handle(t Task) {
	t = h.traceWrap(t)
	c := t.Call()
	fn := table[c.Nr]
	if fn == nil {
		h.reply(t, platform.Reply{Continue: true})
		return
	}
	r, held := fn(h, t)
	if held {
		return
	}
	h.reply(t, r)
}

// reply answers the call (unless it was answered already, as a socket()
// that installed its fd) and traces it.
func (h *Handler) reply(t Task, r platform.Reply) {
	if h.trace != nil && !(r.Continue && isOpen(t.Call().Nr)) {
		h.traceCall(t, r)
	}
	if t.Answered() {
		return
	}
	t.Respond(r)
}

// isOpen reports whether nr is one of the open calls, which are trapped
// for the /proc/net views only: the trace shows the ones netbox answers.
func isOpen(nr int) bool {
	return nr == unix.SYS_OPEN || nr == unix.SYS_OPENAT || nr == unix.SYS_OPENAT2
}

// handlerFunc serves one system call. It returns held=true when it took
// the call to a goroutine, which answers it later.
type handlerFunc func(h *Handler, t Task) (r platform.Reply, held bool)

var table map[int]handlerFunc

func init() {
	table = map[int]handlerFunc{
		unix.SYS_SOCKET:      sysSocket,
		unix.SYS_BIND:        sysBind,
		unix.SYS_CONNECT:     sysConnect,
		unix.SYS_LISTEN:      sysListen,
		unix.SYS_ACCEPT:      sysAccept,
		unix.SYS_ACCEPT4:     sysAccept4,
		unix.SYS_GETSOCKNAME: sysGetsockname,
		unix.SYS_GETPEERNAME: sysGetpeername,
		unix.SYS_SHUTDOWN:    sysShutdown,
		unix.SYS_SETSOCKOPT:  sysSetsockopt,
		unix.SYS_GETSOCKOPT:  sysGetsockopt,
		unix.SYS_SENDTO:      sysSendto,
		unix.SYS_RECVFROM:    sysRecvfrom,
		unix.SYS_SENDMSG:     sysSendmsg,
		unix.SYS_RECVMSG:     sysRecvmsg,
		unix.SYS_SENDMMSG:    sysSendmmsg,
		unix.SYS_RECVMMSG:    sysRecvmmsg,
		unix.SYS_IOCTL:       sysIoctl,
		unix.SYS_OPEN:        sysOpen,
		unix.SYS_OPENAT:      sysOpenat,
		unix.SYS_OPENAT2:     sysOpenat2,
	}
}

// sockRef is a trapped call's view of a netbox socket: the socket and a
// duplicate of the program's placeholder, open until done is called.
type sockRef struct {
	s *netstack.Socket
	f int
}

// nonblocking reports whether the placeholder's open file is O_NONBLOCK
// (asked only when a call would have to wait).
func (r *sockRef) nonblocking() bool {
	fl, _ := unix.FcntlInt(uintptr(r.f), unix.F_GETFL, 0)
	return fl&unix.O_NONBLOCK != 0
}

func (r *sockRef) done() {
	if r.f >= 0 {
		unix.Close(r.f)
		r.f = -1
	}
}

// lookup resolves the fd of a call (sockfd_lookup_light). It returns
// native=true when the fd is a socket netbox does not own: the call then
// runs natively.
func (h *Handler) lookup(t Task, fd uint64) (ref *sockRef, native bool, err error) {
	f, err := t.GetFD(int(int32(fd)))
	if err != nil {
		if err == unix.ESRCH {
			return nil, false, err
		}
		return nil, false, unix.EBADF
	}
	var st unix.Stat_t
	if err := unix.Fstat(f, &st); err != nil {
		unix.Close(f)
		return nil, false, unix.EBADF
	}
	if st.Mode&unix.S_IFMT != unix.S_IFSOCK {
		unix.Close(f)
		return nil, false, unix.ENOTSOCK
	}
	s := h.fds.Lookup(st.Ino)
	if s == nil {
		unix.Close(f)
		return nil, true, nil
	}
	return &sockRef{s: s, f: f}, false, nil
}

// withSocket looks the call's fd up and runs fn on a netbox socket; other
// sockets run natively.
func (h *Handler) withSocket(t Task, fd uint64, fn func(ref *sockRef) (platform.Reply, bool)) (platform.Reply, bool) {
	ref, native, err := h.lookup(t, fd)
	if err != nil {
		return platform.Errno(errno(err)), false
	}
	if native {
		return platform.Reply{Continue: true}, false
	}
	r, held := fn(ref)
	if !held {
		ref.done()
	}
	return r, held
}

// pollSlice bounds each wait of a held call, so that a signal for the
// waiting thread (Task.SignalPending), or its death, is noticed: it is
// how late a signal can be delivered to a thread blocked in a trapped
// call.
const pollSlice = 10 * time.Millisecond

// errRestartSys is ERESTARTSYS (include/linux/errno.h): the kernel turns
// it into a restart of the call or EINTR when it delivers the pending
// signal, so programs never see it.
const errRestartSys = 512

// retry runs op, which may report that it would block. A non-blocking
// socket (the placeholder is O_NONBLOCK, or flags say MSG_DONTWAIT) then
// fails with EAGAIN (or what wouldBlock says); a blocking one
// waits in a goroutine for the placeholder's readiness and runs op again,
// until it completes, the deadline (SO_RCVTIMEO/SO_SNDTIMEO) passes, a
// signal comes for the thread (the call then ends as Linux's
// sock_intr_errno says), or the thread dies. An op whose effect must not
// be lost when its answer cannot be delivered answers the call itself
// (accept does). retry takes ownership of ref.
func (h *Handler) retry(t Task, ref *sockRef, dontwait bool, timeout time.Duration, wouldBlock int,
	op func() (platform.Reply, error)) (platform.Reply, bool) {
	r, err := op()
	var w *netstack.WaitError
	if !errors.As(err, &w) {
		return r, false
	}
	if !w.Hold && (dontwait || ref.nonblocking()) {
		return platform.Errno(wouldBlock), false
	}
	t.Detach()
	go func() {
		defer t.Release()
		defer ref.done()
		var deadline time.Time
		if timeout > 0 {
			deadline = time.Now().Add(timeout)
		}
		for {
			wait := pollSlice
			if !deadline.IsZero() {
				left := time.Until(deadline)
				if left <= 0 {
					h.reply(t, platform.Errno(wouldBlock))
					return
				}
				wait = min(wait, left)
			}
			switch {
			case w.Ready != nil:
				select {
				case <-w.Ready:
				case <-time.After(wait):
				}
			case w.Events != 0:
				pfd := []unix.PollFd{{Fd: int32(ref.f), Events: w.Events}}
				unix.Poll(pfd, int(wait/time.Millisecond)+1)
			default:
				time.Sleep(min(wait, 5*time.Millisecond))
			}
			if !t.Valid() {
				return
			}
			r, err := op()
			if !errors.As(err, &w) {
				h.reply(t, r)
				return
			}
			if t.SignalPending() {
				// Like sock_intr_errno: a call with a timeout fails
				// with EINTR, one without restarts under SA_RESTART.
				e := errRestartSys
				if timeout > 0 {
					e = int(unix.EINTR)
				}
				h.reply(t, platform.Errno(e))
				return
			}
		}
	}()
	return platform.Reply{}, true
}

// memErr maps a failure to reach the program's memory to EFAULT.
func memErr(err error) error {
	if err == nil {
		return nil
	}
	if err == unix.ESRCH {
		return err
	}
	var e unix.Errno
	if errors.As(err, &e) {
		return e
	}
	return fmt.Errorf("%w", unix.EFAULT)
}
