package seccomp

import (
	"fmt"
	"runtime"
	"unsafe"

	"golang.org/x/sys/unix"

	"github.com/netbox-sandbox/netbox/platform"
)

// Seccomp return actions (include/uapi/linux/seccomp.h).
const (
	retKillProcess = 0x80000000
	retErrno       = 0x00050000
	retUserNotif   = 0x7fc00000
	retAllow       = 0x7fff0000

	auditArchX8664 = 0xc000003e
	x32SyscallBit  = 0x40000000

	offNr   = 0
	offArch = 4
)

func offArgLo(i int) uint32 { return uint32(16 + 8*i) }
func offArgHi(i int) uint32 { return uint32(16 + 8*i + 4) }

// Trapped is the set of system calls the filter always hands to the
// supervisor. socket is trapped unless its family is AF_UNIX or AF_NETLINK
// (but NETLINK_SOCK_DIAG, which netbox serves),
// sendto/recvfrom only when they carry an address (arg 4 non-NULL),
// sendto also when it sends nothing (a stream placeholder's empty send
// fails where TCP's succeeds) and recvfrom also with MSG_ERRQUEUE or
// MSG_OOB, and ioctl only for the
// socket ioctl numbers, FIONREAD and SIOCOUTQ; when asked, open and openat only when read-only
// and not of a directory (netbox serves /proc/net views), openat2 always
// (its flags are in memory).
var Trapped = []int{
	unix.SYS_CONNECT, unix.SYS_ACCEPT, unix.SYS_ACCEPT4, unix.SYS_BIND, unix.SYS_LISTEN,
	unix.SYS_GETSOCKNAME, unix.SYS_GETPEERNAME, unix.SYS_SETSOCKOPT, unix.SYS_GETSOCKOPT,
	unix.SYS_SHUTDOWN, unix.SYS_SENDMSG, unix.SYS_RECVMSG, unix.SYS_SENDMMSG, unix.SYS_RECVMMSG,
}

// Refused are system calls that bypass a per-call filter and so get ENOSYS:
// io_uring can create, connect and use sockets without any system call
// the filter sees.
var Refused = []int{unix.SYS_IO_URING_SETUP, unix.SYS_IO_URING_ENTER, unix.SYS_IO_URING_REGISTER}

// Program returns the classic BPF filter netbox installs:
//
//   - a foreign architecture (i386 int 0x80, …) kills the process;
//   - x32 system calls (nr ≥ 0x40000000) and io_uring fail with ENOSYS;
//   - the trapped set goes to the supervisor (SECCOMP_RET_USER_NOTIF);
//   - everything else is allowed, whatever its arguments, so the kernel's
//     seccomp action cache applies to it.
//
// trapOpens adds the open calls (see Trapped); without it they all run
// natively.
func Program(trapOpens bool) []unix.SockFilter {
	var p program
	p.ld(offArch)
	p.jeq(auditArchX8664, "nr", "kill")
	p.label("nr")
	p.ld(offNr)
	p.jge(x32SyscallBit, "enosys", "")
	for _, nr := range Refused {
		p.jeq(uint32(nr), "enosys", "")
	}
	p.jeq(unix.SYS_SOCKET, "socket", "")
	p.jeq(unix.SYS_SENDTO, "sendto", "")
	p.jeq(unix.SYS_RECVFROM, "recvfrom", "")
	p.jeq(unix.SYS_IOCTL, "ioctl", "")
	if trapOpens {
		p.jeq(unix.SYS_OPENAT, "openat", "")
		p.jeq(unix.SYS_OPEN, "open", "")
		p.jeq(unix.SYS_OPENAT2, "notify", "")
	}
	for _, nr := range Trapped {
		p.jeq(uint32(nr), "notify", "")
	}
	p.ret(retAllow)

	// socket(family, …): the kernel reads family as an int, so the low
	// 32 bits decide.
	p.label("socket")
	p.ld(offArgLo(0))
	p.jeq(unix.AF_UNIX, "allow", "")
	p.jeq(unix.AF_NETLINK, "", "notify")
	// Netlink: netbox serves NETLINK_SOCK_DIAG (ss lists the sandbox's
	// own sockets); the kernel serves the sandbox's namespace the rest.
	p.ld(offArgLo(2))
	p.jeq(unix.NETLINK_SOCK_DIAG, "notify", "allow")

	// sendto: trapped when it sends nothing (len is a size_t, both
	// halves zero), else only with an address.
	p.label("sendto")
	p.ld(offArgLo(2))
	p.jeq(0, "", "addr4")
	p.ld(offArgHi(2))
	p.jeq(0, "notify", "addr4")

	// recvfrom: trapped with MSG_ERRQUEUE (the error queue is netbox's)
	// or MSG_OOB (UDP has no urgent data, AF_UNIX says EOPNOTSUPP), else
	// only with an address.
	p.label("recvfrom")
	p.ld(offArgLo(3))
	p.jset(unix.MSG_ERRQUEUE|unix.MSG_OOB, "notify", "")

	// sendto/recvfrom: trapped only with an address pointer.
	p.label("addr4")
	p.ld(offArgLo(4))
	p.jeq(0, "", "notify")
	p.ld(offArgHi(4))
	p.jeq(0, "allow", "notify")

	// ioctl(fd, req, …): the socket ioctls (0x89xx), FIONREAD and
	// SIOCOUTQ (which netbox answers on its listeners); req is an
	// unsigned int, so the low 32 bits decide.
	p.label("ioctl")
	p.ld(offArgLo(1))
	p.jeq(unix.TIOCINQ, "notify", "")  // FIONREAD, SIOCINQ
	p.jeq(unix.TIOCOUTQ, "notify", "") // SIOCOUTQ
	p.jge(0x8900, "", "allow")
	p.jge(0x8a00, "allow", "notify")

	// open(path, flags, …) and openat(dirfd, path, flags, …): a
	// read-only open that may be of a /proc/net file. Writing, creating,
	// directory and O_PATH opens run natively at once.
	p.label("open")
	p.ld(offArgLo(1))
	p.jset(platform.NativeOpenFlags, "allow", "notify")
	p.label("openat")
	p.ld(offArgLo(2))
	p.jset(platform.NativeOpenFlags, "allow", "notify")

	p.label("notify")
	p.ret(retUserNotif)
	p.label("allow")
	p.ret(retAllow)
	p.label("enosys")
	p.ret(retErrno | uint32(unix.ENOSYS))
	p.label("kill")
	p.ret(retKillProcess)
	return p.assemble()
}

// program is a tiny assembler for classic BPF with forward jumps to labels.
type program struct {
	ins    []unix.SockFilter
	jumps  []jump
	labels map[string]int
}

type jump struct {
	at     int
	jt, jf string
}

func (p *program) label(name string) {
	if p.labels == nil {
		p.labels = make(map[string]int)
	}
	p.labels[name] = len(p.ins)
}

func (p *program) ld(off uint32) {
	p.ins = append(p.ins, unix.SockFilter{Code: unix.BPF_LD | unix.BPF_W | unix.BPF_ABS, K: off})
}

func (p *program) ret(k uint32) {
	p.ins = append(p.ins, unix.SockFilter{Code: unix.BPF_RET | unix.BPF_K, K: k})
}

// jeq and jge jump to label jt when the test holds and jf otherwise; an
// empty label falls through.
func (p *program) jeq(k uint32, jt, jf string) { p.jmp(unix.BPF_JEQ, k, jt, jf) }
func (p *program) jge(k uint32, jt, jf string) { p.jmp(unix.BPF_JGE, k, jt, jf) }

// jset jumps to jt when A & k is not zero.
func (p *program) jset(k uint32, jt, jf string) { p.jmp(unix.BPF_JSET, k, jt, jf) }

func (p *program) jmp(op uint16, k uint32, jt, jf string) {
	p.jumps = append(p.jumps, jump{at: len(p.ins), jt: jt, jf: jf})
	p.ins = append(p.ins, unix.SockFilter{Code: unix.BPF_JMP | op | unix.BPF_K, K: k})
}

func (p *program) assemble() []unix.SockFilter {
	for _, j := range p.jumps {
		p.ins[j.at].Jt = p.offset(j.at, j.jt)
		p.ins[j.at].Jf = p.offset(j.at, j.jf)
	}
	return p.ins
}

func (p *program) offset(at int, label string) uint8 {
	if label == "" {
		return 0
	}
	to, ok := p.labels[label]
	d := to - at - 1
	if !ok || d < 0 || d > 255 {
		panic(fmt.Sprintf("seccomp: bad jump to %q from %d", label, at))
	}
	return uint8(d)
}

// Install loads the filter on the calling OS thread only (no TSYNC) and
// returns the listener fd. The caller must have locked its goroutine to the
// thread, and every child it forks afterwards inherits the filter. When the
// caller lacks CAP_SYS_ADMIN, no_new_privs is set on this thread first.
func Install(prog []unix.SockFilter) (*Listener, error) {
	if unix.Geteuid() != 0 {
		if err := unix.Prctl(unix.PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0); err != nil {
			return nil, fmt.Errorf("seccomp: set no_new_privs: %w", err)
		}
	}
	fprog := unix.SockFprog{Len: uint16(len(prog)), Filter: &prog[0]}
	// WAIT_KILLABLE_RECV (Linux 5.19): once netbox has taken a call, only
	// a fatal signal interrupts it. Without it a signal can land while
	// netbox answers, and the kernel then drops an answer that
	// SECCOMP_IOCTL_NOTIF_SEND reported delivered (the woken thread has
	// chosen -ERESTARTSYS and only waits for the listener's lock): a
	// datagram received for the program is lost, or one sent is sent again
	// by the restart. Calls held waiting watch for signals themselves
	// (Task.SignalPending).
	flags := uintptr(unix.SECCOMP_FILTER_FLAG_NEW_LISTENER | unix.SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV)
	fd, _, e := unix.Syscall(unix.SYS_SECCOMP, unix.SECCOMP_SET_MODE_FILTER, flags, uintptr(unsafe.Pointer(&fprog)))
	runtime.KeepAlive(prog)
	if e != 0 {
		return nil, fmt.Errorf("seccomp: install filter: %w", e)
	}
	// Ask the kernel to wake the supervisor on the trapping task's CPU
	// (Linux 6.6+): a cross-CPU wake-up costs more than the call itself.
	// Older kernels refuse the flag; that only costs speed.
	unix.Syscall(unix.SYS_IOCTL, fd, unix.SECCOMP_IOCTL_NOTIF_SET_FLAGS, unix.SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP)
	return NewListener(int(fd)), nil
}
