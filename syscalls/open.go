package syscalls

import (
	"encoding/binary"
	"fmt"
	"os"
	"path"
	"strconv"

	"golang.org/x/sys/unix"

	"github.com/netbox-sandbox/netbox/platform"
	"github.com/netbox-sandbox/netbox/syscalls/abi"
)

// The open calls are trapped for netbox's /proc/net views: the program's
// network namespace holds none of its sockets (they are netbox's), so the
// kernel's /proc/net/tcp, udp, snmp... would describe an idle network.
// netbox answers a read-only open of those files with a snapshot of its
// own (netstack.Stack.ProcNet); every other open runs natively. The filter
// lets opens for writing, of directories and O_PATH ones through itself.

// openHowSize is sizeof(struct open_how) of Linux 5.6 (flags, mode,
// resolve): the size of the fields netbox reads.
const openHowSize = 24

func sysOpen(h *Handler, t Task) (platform.Reply, bool) {
	a := t.Call().Args
	return h.openProcNet(t, unix.AT_FDCWD, a[0], a[1])
}

func sysOpenat(h *Handler, t Task) (platform.Reply, bool) {
	a := t.Call().Args
	return h.openProcNet(t, int(int32(a[0])), a[1], a[2])
}

// sysOpenat2 serves openat2 as openat when its open_how asks nothing
// more than openat can (no RESOLVE_* flag: those may refuse the path
// natively, e.g. /proc/net is a symbolic link).
func sysOpenat2(h *Handler, t Task) (platform.Reply, bool) {
	a := t.Call().Args
	if a[3] < openHowSize {
		return platform.Reply{Continue: true}, false
	}
	var how [openHowSize]byte
	if err := t.ReadMem(a[2], how[:]); err != nil {
		return platform.Reply{Continue: true}, false
	}
	flags := binary.LittleEndian.Uint64(how[0:])
	resolve := binary.LittleEndian.Uint64(how[16:])
	if resolve != 0 || flags>>32 != 0 {
		return platform.Reply{Continue: true}, false
	}
	return h.openProcNet(t, int(int32(a[0])), a[1], flags)
}

// openProcNet answers an open of one of netbox's /proc/net views with a
// read-only file holding the view, and lets every other open run
// natively. A path netbox cannot read or resolve runs natively too: the
// kernel then gives the program its own error. Making a view takes
// sock_diag dumps: it runs off the dispatcher, which the call leaves
// (held).
func (h *Handler) openProcNet(t Task, dirfd int, pathAddr, flags uint64) (platform.Reply, bool) {
	native := platform.Reply{Continue: true}
	if flags&platform.NativeOpenFlags != 0 {
		return native, false
	}
	p, err := abi.CopyInPath(t, pathAddr)
	if err != nil || !h.st.ServesProcNet(path.Base(p)) {
		return native, false
	}
	if !path.IsAbs(p) {
		dir, err := taskDir(t.Call().Tid, dirfd)
		if err != nil {
			return native, false
		}
		p = path.Join(dir, p)
	}
	name, ok := abi.ProcNetFile(p)
	if !ok {
		return native, false
	}
	t.Detach()
	go func() {
		defer t.Release()
		h.reply(t, h.procNetFile(t, name, flags&unix.O_CLOEXEC != 0))
	}()
	return platform.Reply{}, true
}

// procNetFile installs the view name in t as the open's result.
func (h *Handler) procNetFile(t Task, name string, cloexec bool) platform.Reply {
	content, ok := h.st.ProcNet(name, t.Call().Tid)
	if !ok {
		return platform.Reply{Continue: true}
	}
	fd, err := readOnlyMemfd("netbox-proc-net-"+name, content)
	if err != nil {
		fmt.Fprintln(os.Stderr, "netbox:", err)
		return platform.Reply{Continue: true}
	}
	defer unix.Close(fd)
	nfd, err := t.InstallFD(fd, cloexec)
	if err != nil {
		return platform.Errno(errno(err))
	}
	return platform.Val(int64(nfd))
}

// taskDir is the directory a relative path of tid's is resolved from:
// its working directory, or the directory dirfd names.
func taskDir(tid, dirfd int) (string, error) {
	link := "/proc/" + strconv.Itoa(tid) + "/cwd"
	if dirfd != unix.AT_FDCWD {
		link = "/proc/" + strconv.Itoa(tid) + "/fd/" + strconv.Itoa(dirfd)
	}
	return os.Readlink(link)
}

// readOnlyMemfd returns a read-only open file whose content is b, at
// offset 0: a memfd, reopened O_RDONLY so that writes fail with EBADF as
// they do on a /proc file opened for reading.
func readOnlyMemfd(name string, b []byte) (int, error) {
	mfd, err := unix.MemfdCreate(name, unix.MFD_CLOEXEC)
	if err != nil {
		return -1, fmt.Errorf("syscalls: memfd for /proc/net: %w", err)
	}
	defer unix.Close(mfd)
	for off := 0; off < len(b); {
		n, err := unix.Write(mfd, b[off:])
		if err != nil {
			return -1, fmt.Errorf("syscalls: fill memfd: %w", err)
		}
		off += n
	}
	fd, err := unix.Open("/proc/self/fd/"+strconv.Itoa(mfd), unix.O_RDONLY|unix.O_CLOEXEC, 0)
	if err != nil {
		return -1, fmt.Errorf("syscalls: reopen memfd: %w", err)
	}
	return fd, nil
}
