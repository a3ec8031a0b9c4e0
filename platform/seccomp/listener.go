package seccomp

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"runtime"
	"strconv"
	"unsafe"

	"golang.org/x/sys/unix"

	"github.com/netbox-sandbox/netbox/platform"
)

// pidfdThread is PIDFD_THREAD: a pidfd for one thread rather than a
// thread-group leader (Linux 6.9).
const pidfdThread = unix.O_EXCL

// ErrDone reports that every filtered task has exited: the listener will
// deliver no more calls.
var ErrDone = errors.New("seccomp: no task is left behind the filter")

// Listener is the supervisor's end of a seccomp user-notification filter.
type Listener struct {
	fd     int
	pidfds map[int]int // tid → pidfd; only the dispatcher thread touches it
	// dispatcher is the thread serving the listener, whose signals are
	// all blocked (see InstallFD); 0 before Serve.
	dispatcher int
}

// NewListener wraps the listener fd returned by seccomp(2).
func NewListener(fd int) *Listener {
	return &Listener{fd: fd, pidfds: make(map[int]int)}
}

// BecomeDispatcher makes the calling goroutine's thread, which must be
// locked to it for good, the listener's dispatcher: every signal is
// blocked there, so that no ioctl on the listener is ever interrupted.
// Go's runtime then simply never preempts this thread asynchronously.
func (l *Listener) BecomeDispatcher() error {
	if err := unix.PthreadSigmask(unix.SIG_SETMASK, allSignals(), nil); err != nil {
		return fmt.Errorf("seccomp: block signals on the dispatcher: %w", err)
	}
	l.dispatcher = unix.Gettid()
	return nil
}

func allSignals() *unix.Sigset_t {
	var all unix.Sigset_t
	for i := range all.Val {
		all.Val[i] = ^uint64(0)
	}
	return &all
}

// FD is the listener's file descriptor.
func (l *Listener) FD() int { return l.fd }

// Close closes the listener: calls still pending fail with ENOSYS and
// filtered tasks' later trapped calls fail too.
func (l *Listener) Close() error {
	for _, fd := range l.pidfds {
		unix.Close(fd)
	}
	l.pidfds = nil
	return unix.Close(l.fd)
}

// Recv waits for the next trapped call. It returns ErrDone when no
// filtered task is left. A call interrupted before it was read is skipped.
func (l *Listener) Recv() (platform.Call, error) {
	for {
		var n notif
		err := ioctlPtr(l.fd, unix.SECCOMP_IOCTL_NOTIF_RECV, unsafe.Pointer(&n))
		if err == nil {
			return platform.Call{ID: n.ID, Tid: int(n.Pid), Nr: int(n.Data.Nr), Args: n.Data.Args}, nil
		}
		if err != unix.ENOENT {
			return platform.Call{}, fmt.Errorf("seccomp: receive notification: %w", err)
		}
		// ENOENT means either "the call went away before we read it" or
		// "no task is left"; only POLLHUP tells the two apart.
		pfd := []unix.PollFd{{Fd: int32(l.fd), Events: unix.POLLIN}}
		if _, err := unix.Poll(pfd, 0); err == nil && pfd[0].Revents&unix.POLLHUP != 0 {
			return platform.Call{}, ErrDone
		}
	}
}

// Task returns the task behind c. The returned task is only for use on the
// dispatcher thread; call Detach to hand it to another goroutine.
func (l *Listener) Task(c platform.Call) *Task {
	return &Task{l: l, call: c, pidfd: -1}
}

// pidfd returns the cached pidfd of tid, opening it when needed.
func (l *Listener) pidfd(tid int) (int, error) {
	if fd, ok := l.pidfds[tid]; ok {
		return fd, nil
	}
	fd, err := unix.PidfdOpen(tid, pidfdThread)
	if err != nil {
		return -1, err
	}
	if len(l.pidfds) >= 4096 {
		for t, f := range l.pidfds {
			unix.Close(f)
			delete(l.pidfds, t)
		}
	}
	l.pidfds[tid] = fd
	return fd, nil
}

func (l *Listener) forget(tid int) {
	if fd, ok := l.pidfds[tid]; ok {
		unix.Close(fd)
		delete(l.pidfds, tid)
	}
}

// Task is a trapped call's thread; it implements platform.Task.
type Task struct {
	l     *Listener
	call  platform.Call
	pidfd int // own pidfd when detached, else -1 (use the listener's cache)
	done  bool
}

var _ platform.Task = (*Task)(nil)

// Call is the trapped call.
func (t *Task) Call() platform.Call { return t.call }

// Detach makes t usable from any goroutine: it gets its own pidfd, which
// Release closes.
func (t *Task) Detach() {
	if t.pidfd < 0 {
		if fd, err := unix.PidfdOpen(t.call.Tid, pidfdThread); err == nil {
			t.pidfd = fd
		}
	}
}

// Release frees what Detach took.
func (t *Task) Release() {
	if t.pidfd >= 0 {
		unix.Close(t.pidfd)
		t.pidfd = -1
	}
}

// ReadMem implements platform.Task with one process_vm_readv.
func (t *Task) ReadMem(addr uint64, p []byte) error {
	return t.vm(unix.ProcessVMReadv, addr, p)
}

// WriteMem implements platform.Task with one process_vm_writev.
func (t *Task) WriteMem(addr uint64, p []byte) error {
	return t.vm(unix.ProcessVMWritev, addr, p)
}

// WriteMemv writes each bufs[i] at addrs[i] with one process_vm_writev
// (abi.VectorMemory); anything short of all of it is EFAULT.
func (t *Task) WriteMemv(addrs []uint64, bufs [][]byte) error {
	local := make([]unix.Iovec, 0, len(bufs))
	remote := make([]unix.RemoteIovec, 0, len(bufs))
	total := 0
	for i, b := range bufs {
		if len(b) == 0 {
			continue
		}
		iov := unix.Iovec{Base: &b[0]}
		iov.SetLen(len(b))
		local = append(local, iov)
		remote = append(remote, unix.RemoteIovec{Base: uintptr(addrs[i]), Len: len(b)})
		total += len(b)
	}
	if total == 0 {
		return nil
	}
	n, err := unix.ProcessVMWritev(t.call.Tid, local, remote, 0)
	if err == unix.ESRCH {
		return err
	}
	if err != nil || n != total {
		return unix.EFAULT
	}
	return nil
}

// vm moves p to or from addr in the task with process_vm_readv or
// process_vm_writev; anything short of all of p is EFAULT.
func (t *Task) vm(op func(int, []unix.Iovec, []unix.RemoteIovec, uint) (int, error), addr uint64, p []byte) error {
	if len(p) == 0 {
		return nil
	}
	local := []unix.Iovec{{Base: &p[0]}}
	local[0].SetLen(len(p))
	remote := []unix.RemoteIovec{{Base: uintptr(addr), Len: len(p)}}
	n, err := op(t.call.Tid, local, remote, 0)
	if err == unix.ESRCH {
		return err
	}
	if err != nil || n != len(p) {
		return unix.EFAULT
	}
	return nil
}

// GetFD implements platform.Task with pidfd_getfd.
func (t *Task) GetFD(fd int) (int, error) {
	if fd < 0 {
		return -1, unix.EBADF
	}
	pidfd := t.pidfd
	if pidfd < 0 {
		var err error
		if pidfd, err = t.l.pidfd(t.call.Tid); err != nil {
			return -1, err
		}
	}
	nfd, err := unix.PidfdGetfd(pidfd, fd, 0)
	if err == unix.ESRCH && t.pidfd < 0 {
		// A cached pidfd of a thread that died and whose tid was reused.
		t.l.forget(t.call.Tid)
		if pidfd, err = t.l.pidfd(t.call.Tid); err != nil {
			return -1, err
		}
		nfd, err = unix.PidfdGetfd(pidfd, fd, 0)
	}
	if err != nil {
		return -1, err
	}
	return nfd, nil
}

// Valid implements platform.Task with SECCOMP_IOCTL_NOTIF_ID_VALID.
func (t *Task) Valid() bool {
	id := t.call.ID
	return ioctlPtr(t.l.fd, unix.SECCOMP_IOCTL_NOTIF_ID_VALID, unsafe.Pointer(&id)) == nil
}

// SignalPending implements platform.Task: the thread's own and its
// process's pending signals (SigPnd, ShdPnd of /proc/TID/status) that the
// thread does not block (SigBlk). A thread that cannot be read has
// nothing pending: it is gone, and Valid says so.
func (t *Task) SignalPending() bool {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(t.call.Tid) + "/status")
	if err != nil {
		return false
	}
	return pendingUnblocked(b)
}

// pendingUnblocked reads a /proc/PID/status text: whether SigPnd or ShdPnd
// holds a signal that SigBlk does not.
func pendingUnblocked(status []byte) bool {
	var pnd, blk uint64
	for line := range bytes.Lines(status) {
		name, val, ok := bytes.Cut(line, []byte(":"))
		if !ok {
			continue
		}
		switch string(name) {
		case "SigPnd", "ShdPnd", "SigBlk":
		default:
			continue
		}
		v, err := strconv.ParseUint(string(bytes.TrimSpace(val)), 16, 64)
		if err != nil {
			continue
		}
		if string(name) == "SigBlk" {
			blk = v
		} else {
			pnd |= v
		}
	}
	return pnd&^blk != 0
}

// InstallFD implements platform.Task with SECCOMP_IOCTL_NOTIF_ADDFD and
// SECCOMP_ADDFD_FLAG_SEND.
//
// The ioctl must not be interrupted: with FLAG_SEND the kernel marks the
// call answered before the task installs the fd, and a signal arriving at
// netbox's thread in between (Go's preemption signal, say) withdraws the
// fd but leaves the call answered with 0, so the program's socket()
// returns 0. Signals are blocked on the thread for the ioctl's duration.
func (t *Task) InstallFD(srcfd int, cloexec bool) (int, error) {
	a := notifAddFD{ID: t.call.ID, Flags: unix.SECCOMP_ADDFD_FLAG_SEND, SrcFD: uint32(srcfd)}
	if cloexec {
		a.NewFDFlags = unix.O_CLOEXEC
	}
	var fd int
	var err error
	if t.l.dispatcher != 0 && t.pidfd < 0 {
		// On the dispatcher (not detached): its signals are blocked.
		fd, err = ioctlRet(t.l.fd, unix.SECCOMP_IOCTL_NOTIF_ADDFD, unsafe.Pointer(&a))
	} else {
		runtime.LockOSThread()
		var old unix.Sigset_t
		unix.PthreadSigmask(unix.SIG_SETMASK, allSignals(), &old)
		fd, err = ioctlRet(t.l.fd, unix.SECCOMP_IOCTL_NOTIF_ADDFD, unsafe.Pointer(&a))
		unix.PthreadSigmask(unix.SIG_SETMASK, &old, nil)
		runtime.UnlockOSThread()
	}
	if err == nil {
		t.done = true
	}
	return fd, err
}

// Respond implements platform.Task with SECCOMP_IOCTL_NOTIF_SEND.
func (t *Task) Respond(r platform.Reply) error {
	resp := notifResp{ID: t.call.ID}
	switch {
	case r.Continue:
		resp.Flags = unix.SECCOMP_USER_NOTIF_FLAG_CONTINUE
	case r.Errno != 0:
		resp.Error = -int32(r.Errno)
	default:
		resp.Val = r.Val
	}
	t.done = true
	return ioctlPtr(t.l.fd, unix.SECCOMP_IOCTL_NOTIF_SEND, unsafe.Pointer(&resp))
}

// Answered reports whether InstallFD or Respond was called.
func (t *Task) Answered() bool { return t.done }
