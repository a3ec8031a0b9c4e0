// Package seccomp traps system calls with seccomp user notification: it
// builds the filter, installs it on a launcher thread, and serves the
// listener (SECCOMP_IOCTL_NOTIF_*) for the supervisor.
package seccomp

import (
	"unsafe"

	"golang.org/x/sys/unix"
)

// seccompData is struct seccomp_data.
type seccompData struct {
	Nr                 int32
	Arch               uint32
	InstructionPointer uint64
	Args               [6]uint64
}

// notif is struct seccomp_notif.
type notif struct {
	ID    uint64
	Pid   uint32
	Flags uint32
	Data  seccompData
}

// notifResp is struct seccomp_notif_resp.
type notifResp struct {
	ID    uint64
	Val   int64
	Error int32
	Flags uint32
}

// notifAddFD is struct seccomp_notif_addfd.
type notifAddFD struct {
	ID         uint64
	Flags      uint32
	SrcFD      uint32
	NewFD      uint32
	NewFDFlags uint32
}

// The kernel ABI sizes; a mismatch fails to compile.
var (
	_ [80 - unsafe.Sizeof(notif{})]byte
	_ [unsafe.Sizeof(notif{}) - 80]byte
	_ [24 - unsafe.Sizeof(notifResp{})]byte
	_ [unsafe.Sizeof(notifResp{}) - 24]byte
	_ [24 - unsafe.Sizeof(notifAddFD{})]byte
	_ [unsafe.Sizeof(notifAddFD{}) - 24]byte
)

func ioctlPtr(fd int, req uint, p unsafe.Pointer) error {
	for {
		_, _, e := unix.Syscall(unix.SYS_IOCTL, uintptr(fd), uintptr(req), uintptr(p))
		if e == unix.EINTR {
			continue
		}
		if e != 0 {
			return e
		}
		return nil
	}
}

func ioctlRet(fd int, req uint, p unsafe.Pointer) (int, error) {
	for {
		r, _, e := unix.Syscall(unix.SYS_IOCTL, uintptr(fd), uintptr(req), uintptr(p))
		if e == unix.EINTR {
			continue
		}
		if e != 0 {
			return -1, e
		}
		return int(r), nil
	}
}
