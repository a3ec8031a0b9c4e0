// Package platform defines what every trapping mechanism (seccomp user
// notification, ptrace) hands to the supervisor: a trapped system call, the
// task that made it, and the ways to answer it.
package platform

import "golang.org/x/sys/unix"

// Call is one trapped system call, as the kernel reported it.
type Call struct {
	// ID identifies the notification; it is only meaningful to the
	// platform that produced it.
	ID uint64
	// Tid is the calling thread's id in the supervisor's pid namespace.
	Tid int
	// Nr is the system call number (x86-64 ABI).
	Nr int
	// Args are the six raw arguments.
	Args [6]uint64
}

// NativeOpenFlags are the open flags of an open that cannot be of a
// /proc/net view netbox serves (writing, creating, a directory, O_PATH):
// the filter lets open and openat with any of them run natively, and the
// handler does the same for openat2, whose flags it reads from memory.
const NativeOpenFlags = unix.O_WRONLY | unix.O_RDWR | unix.O_CREAT | unix.O_DIRECTORY | unix.O_PATH

// Reply is the answer to a Call: either a result (Val, or -Errno), or
// Continue, which lets the kernel run the call natively.
type Reply struct {
	Val      int64
	Errno    int
	Continue bool
}

// Errno returns a Reply that fails the call with e.
func Errno(e int) Reply { return Reply{Val: -1, Errno: e} }

// Val returns a Reply that makes the call return v.
func Val(v int64) Reply { return Reply{Val: v} }

// Task is the thread that made a Call, as the supervisor reaches it while
// the call is pending. Every method may fail with ESRCH once the thread is
// gone, and the answering methods with ENOENT once the call was interrupted
// (a signal restarts it as a new Call).
type Task interface {
	// ReadMem copies len(p) bytes at addr of the task's memory into p;
	// unreadable memory gives EFAULT.
	ReadMem(addr uint64, p []byte) error
	// WriteMem copies p to addr in the task's memory; EFAULT when unwritable.
	WriteMem(addr uint64, p []byte) error
	// GetFD returns a supervisor-owned duplicate of the task's fd (the same
	// open file). The caller closes it.
	GetFD(fd int) (int, error)
	// Valid reports whether the call is still waiting for its answer.
	Valid() bool
	// SignalPending reports whether the thread has a signal pending that
	// it does not block. The kernel does not interrupt a call the
	// supervisor has taken (it waits only killably), so a call held
	// waiting must end by itself then: answered with ERESTARTSYS, it lets
	// the kernel deliver the signal and restart the call or fail it with
	// EINTR, as the signal's disposition says.
	SignalPending() bool
	// InstallFD installs a duplicate of srcfd in the task as the call's
	// result and completes the call, atomically: the task's call returns the
	// new fd number.
	InstallFD(srcfd int, cloexec bool) (int, error)
	// Respond completes the call.
	Respond(r Reply) error
}
