package sentry

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"unsafe"

	"golang.org/x/sys/unix"
)

// InitMain is the sandbox's init, pid 1 of the sandbox's pid namespace:
// it gives the sandbox its own /proc, closes inherited
// descriptors, starts the program, forwards signals to it, reaps every
// orphan, and exits with the program's status. When it exits the kernel
// kills whatever is left in the namespace.
//
// args: preserved-fd count, a file to mount over /etc/resolv.conf or "-",
// program path, argv…
func InitMain(args []string) int {
	if len(args) < 4 {
		fmt.Fprintln(os.Stderr, "netbox-init: bad arguments")
		return 125
	}
	preserve, _ := strconv.Atoi(args[0])
	resolv := args[1]
	path, argv := args[2], args[3:]
	// Named for what it is: the sandbox's init, not the supervisor.
	unix.Prctl(unix.PR_SET_NAME, uintptr(unsafe.Pointer(&[]byte("netbox-init\x00")[0])), 0, 0, 0)

	// Private mounts; a /proc that shows only the sandbox's processes and
	// a /sys whose class/net shows only the sandbox's interfaces.
	if unix.Mount("", "/", "", unix.MS_REC|unix.MS_PRIVATE, "") == nil {
		unix.Mount("proc", "/proc", "proc", unix.MS_NOSUID|unix.MS_NODEV|unix.MS_NOEXEC, "")
		mountSys()
		if resolv != "-" {
			mountResolvConf(resolv)
		}
	}
	// (Its network namespace holds nothing: the program's is its own,
	// readied by ExecMain.)
	// Nothing of netbox's, nor of its caller's beyond stdio and the
	// preserved fds, reaches the program.
	unix.CloseRange(uint(3+preserve), ^uint(0), unix.CLOSE_RANGE_CLOEXEC)

	sigs := make(chan os.Signal, 16)
	signal.Notify(sigs, forwardedSignals...)
	reaped := make(chan os.Signal, 16)
	signal.Notify(reaped, unix.SIGCHLD)

	// The program starts as netbox's ExecMain, which readies its network
	// namespace and then executes it in place.
	cmd := &exec.Cmd{Path: "/proc/self/exe", Args: append([]string{"netbox-exec", ExecArg, path}, argv...),
		Env: os.Environ(), Stdin: os.Stdin, Stdout: os.Stdout, Stderr: os.Stderr}
	// The program gets a user and mount namespace of its own below the
	// init's: every mount it inherits, the sandbox's /proc and /sys
	// included, is then locked, so that unmounting them cannot uncover
	// the host's. Its network namespace is its own too, owned by its user
	// namespace, so that root inside has CAP_NET_ADMIN and CAP_NET_RAW
	// over it as in any container: ip addr add, packet sockets.
	cmd.SysProcAttr = &syscall.SysProcAttr{
		Cloneflags:  unix.CLONE_NEWUSER | unix.CLONE_NEWNS | unix.CLONE_NEWNET,
		UidMappings: identityMap("/proc/self/uid_map"),
		GidMappings: identityMap("/proc/self/gid_map"),
		// setgroups stays as the init has it (deny when unprivileged).
		GidMappingsEnableSetgroups: setgroupsAllowed(),
	}
	for i := 0; i < preserve; i++ {
		cmd.ExtraFiles = append(cmd.ExtraFiles, os.NewFile(uintptr(3+i), "preserved"))
	}
	if err := cmd.Start(); err != nil {
		return execFailed(argv[0], err)
	}
	child := cmd.Process.Pid
	for {
		select {
		case sig := <-sigs:
			s := sig.(syscall.Signal)
			// A terminal's ^C or ^\ reaches the program directly when it
			// is in the terminal's foreground group; do not double it.
			if (s == unix.SIGINT || s == unix.SIGQUIT) && foregroundIs(unix.Getpgrp()) {
				continue
			}
			unix.Kill(child, s)
		case <-reaped:
			for {
				var ws unix.WaitStatus
				pid, err := unix.Wait4(-1, &ws, unix.WNOHANG, nil)
				if pid <= 0 || err != nil {
					break
				}
				if pid == child {
					if ws.Signaled() {
						return 128 + int(ws.Signal())
					}
					return ws.ExitStatus()
				}
			}
		}
	}
}

// ExecMain is the program's own process before it becomes the program: in
// its fresh network namespace it brings lo up and mounts that
// namespace's sysfs on /sys, then executes the program in place. Its
// ioctls on lo are trapped, and netbox readies the namespace then (eth0
// shown there, the addresses followed) before the program runs.
//
// args: program path, argv…
func ExecMain(args []string) int {
	if len(args) < 2 {
		fmt.Fprintln(os.Stderr, "netbox-exec: bad arguments")
		return 125
	}
	path, argv := args[0], args[1:]
	setLinkUp("lo")
	mountSys()
	err := unix.Exec(path, argv, os.Environ())
	return execFailed(argv[0], err)
}

// execFailed reports a program that could not be started, with a shell's
// status: 126 when found but not executable, 127 when not found.
func execFailed(name string, err error) int {
	fmt.Fprintf(os.Stderr, "netbox: %s: %v\n", name, err)
	if os.IsPermission(err) || errors.Is(err, syscall.ENOEXEC) || errors.Is(err, syscall.EACCES) {
		return 126
	}
	return 127
}

// mountResolvConf mounts the file src over /etc/resolv.conf, read only.
// Without /etc/resolv.conf to cover (or the right to) it says so and goes
// on: the program then resolves as the host does.
func mountResolvConf(src string) {
	err := unix.Mount(src, "/etc/resolv.conf", "", unix.MS_BIND, "")
	if err == nil {
		err = unix.Mount("", "/etc/resolv.conf", "", unix.MS_REMOUNT|unix.MS_BIND|unix.MS_RDONLY, "")
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "netbox-init: /etc/resolv.conf: %v: the program resolves names as the host does\n", err)
	}
}

// mountSys mounts a sysfs of the sandbox's network namespace on /sys,
// keeping the host's cgroup hierarchy visible at /sys/fs/cgroup (runtimes
// read their limits there). It leaves /sys alone when it cannot.
func mountSys() {
	cg, err := unix.Open("/sys/fs/cgroup", unix.O_PATH|unix.O_CLOEXEC|unix.O_DIRECTORY, 0)
	if err != nil {
		return
	}
	defer unix.Close(cg)
	if unix.Mount("sysfs", "/sys", "sysfs", unix.MS_NOSUID|unix.MS_NODEV|unix.MS_NOEXEC, "") != nil {
		return
	}
	unix.Mount(fmt.Sprintf("/proc/self/fd/%d", cg), "/sys/fs/cgroup", "", unix.MS_BIND|unix.MS_REC, "")
}

// identityMap maps every id of the init's own map to itself, for the
// program's nested user namespace.
func identityMap(path string) []syscall.SysProcIDMap {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil
	}
	var m []syscall.SysProcIDMap
	for _, line := range strings.Split(strings.TrimSpace(string(b)), "\n") {
		var inside, outside, size int
		if n, _ := fmt.Sscan(line, &inside, &outside, &size); n == 3 {
			m = append(m, syscall.SysProcIDMap{ContainerID: inside, HostID: inside, Size: size})
		}
	}
	return m
}

func setgroupsAllowed() bool {
	b, err := os.ReadFile("/proc/self/setgroups")
	return err == nil && strings.TrimSpace(string(b)) == "allow"
}

// foregroundIs reports whether pgrp is the foreground process group of
// the terminal on stdin.
func foregroundIs(pgrp int) bool {
	fg, err := unix.IoctlGetInt(0, unix.TIOCGPGRP)
	return err == nil && fg == pgrp
}
