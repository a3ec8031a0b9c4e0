package sentry

import (
	"fmt"
	"os"
	"os/exec"
	"syscall"

	"golang.org/x/sys/unix"

	"github.com/netbox-sandbox/netbox/netstack/nat"
)

// userNSEnv marks a netbox that already runs in the user and network
// namespaces it made for itself.
const userNSEnv = "NETBOX_SUPERVISOR_USERNS"

// NeedsOwnUserNS reports whether netbox, unprivileged, must first move
// into a user and network namespace of its own: without CAP_SYS_ADMIN it
// cannot give its own sockets a private network namespace, and their
// abstract names would be reachable from the caller's.
func NeedsOwnUserNS() bool {
	return os.Geteuid() != 0 && os.Getenv(userNSEnv) == ""
}

// RunInOwnUserNS runs this netbox command again inside new user and
// network namespaces (uids mapped to themselves, with the capabilities it
// needs kept across the exec), passes signals on, and returns its exit
// status. If netbox is killed, the new one dies too. With natCfg, this
// process runs the user-mode NAT, in the caller's network namespace, and
// the new one's eth0 is a socket joined to it (natFDEnv).
func RunInOwnUserNS(args []string, natCfg *nat.Config) (int, error) {
	self, err := os.Executable()
	if err != nil {
		return 0, fmt.Errorf("sentry: find own binary: %w", err)
	}
	cmd := exec.Command(self, args...)
	cmd.Env = append(os.Environ(), userNSEnv+"=1")
	cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, os.Stdout, os.Stderr
	for fd := 3; fd < 3+countOpenFDs(); fd++ {
		cmd.ExtraFiles = append(cmd.ExtraFiles, os.NewFile(uintptr(fd), "inherited"))
	}
	if natCfg != nil {
		link, stop, err := startLinkedNAT(natCfg)
		if err != nil {
			return 0, err
		}
		defer stop()
		cmd.Env = append(cmd.Env, fmt.Sprintf("%s=%d", natFDEnv, 3+len(cmd.ExtraFiles)))
		cmd.ExtraFiles = append(cmd.ExtraFiles, link)
	}
	cmd.SysProcAttr = &syscall.SysProcAttr{
		Cloneflags:  unix.CLONE_NEWUSER | unix.CLONE_NEWNET,
		UidMappings: []syscall.SysProcIDMap{{ContainerID: os.Geteuid(), HostID: os.Geteuid(), Size: 1}},
		GidMappings: []syscall.SysProcIDMap{{ContainerID: os.Getegid(), HostID: os.Getegid(), Size: 1}},
		AmbientCaps: []uintptr{unix.CAP_SYS_ADMIN, unix.CAP_NET_ADMIN, unix.CAP_SYS_PTRACE},
		Pdeathsig:   syscall.SIGKILL,
	}
	if err := cmd.Start(); err != nil {
		return 0, fmt.Errorf("sentry: enter a user namespace of netbox's own (are unprivileged user namespaces allowed?): %w", err)
	}
	stop := forwardSignals(cmd.Process.Pid)
	defer stop()
	return exitCode(cmd.Wait()), nil
}

// countOpenFDs is how many consecutive fds from 3 up are open: the ones
// the caller passed (--preserve-fds decides later which reach the
// program).
func countOpenFDs() int {
	n := 0
	for fd := 3; fd < 1024; fd++ {
		if _, err := unix.FcntlInt(uintptr(fd), unix.F_GETFD, 0); err != nil {
			break
		}
		n++
	}
	return n
}
