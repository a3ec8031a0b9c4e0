package syscalls

import (
	"fmt"
	"strings"

	"golang.org/x/sys/unix"

	"github.com/netbox-sandbox/netbox/platform"
)

var callNames = map[int]string{
	unix.SYS_SOCKET: "socket", unix.SYS_BIND: "bind", unix.SYS_CONNECT: "connect",
	unix.SYS_LISTEN: "listen", unix.SYS_ACCEPT: "accept", unix.SYS_ACCEPT4: "accept4",
	unix.SYS_GETSOCKNAME: "getsockname", unix.SYS_GETPEERNAME: "getpeername",
	unix.SYS_SHUTDOWN: "shutdown", unix.SYS_SETSOCKOPT: "setsockopt", unix.SYS_GETSOCKOPT: "getsockopt",
	unix.SYS_SENDTO: "sendto", unix.SYS_RECVFROM: "recvfrom", unix.SYS_SENDMSG: "sendmsg",
	unix.SYS_RECVMSG: "recvmsg", unix.SYS_SENDMMSG: "sendmmsg", unix.SYS_RECVMMSG: "recvmmsg",
	unix.SYS_IOCTL: "ioctl",
}

// nargs is how many arguments each traced call has.
var nargs = map[int]int{
	unix.SYS_SOCKET: 3, unix.SYS_BIND: 3, unix.SYS_CONNECT: 3, unix.SYS_LISTEN: 2,
	unix.SYS_ACCEPT: 3, unix.SYS_ACCEPT4: 4, unix.SYS_GETSOCKNAME: 3, unix.SYS_GETPEERNAME: 3,
	unix.SYS_SHUTDOWN: 2, unix.SYS_SETSOCKOPT: 5, unix.SYS_GETSOCKOPT: 5, unix.SYS_SENDTO: 6,
	unix.SYS_RECVFROM: 6, unix.SYS_SENDMSG: 3, unix.SYS_RECVMSG: 3, unix.SYS_SENDMMSG: 4,
	unix.SYS_RECVMMSG: 5, unix.SYS_IOCTL: 3,
}

// traceCall writes one line in strace's style: "[tid] name(args) = result".
func (h *Handler) traceCall(t Task, r platform.Reply) {
	c := t.Call()
	name := callNames[c.Nr]
	if name == "" {
		name = fmt.Sprintf("syscall_%d", c.Nr)
	}
	n := nargs[c.Nr]
	if n == 0 {
		n = 6
	}
	args := make([]string, n)
	for i := range args {
		v := c.Args[i]
		if i == 0 || int64(v) < 1<<16 && int64(v) > -1<<16 {
			args[i] = fmt.Sprint(int64(int32(v)))
		} else {
			args[i] = fmt.Sprintf("%#x", v)
		}
	}
	var res string
	switch {
	case r.Continue:
		res = "(native)"
	case r.Errno != 0:
		res = fmt.Sprintf("-1 %s (%s)", unix.ErrnoName(unix.Errno(r.Errno)), unix.Errno(r.Errno).Error())
	default:
		res = fmt.Sprint(r.Val)
	}
	h.traceMu.Lock()
	defer h.traceMu.Unlock()
	fmt.Fprintf(h.trace, "[%d] %s(%s) = %s\n", c.Tid, name, strings.Join(args, ", "), res)
}
