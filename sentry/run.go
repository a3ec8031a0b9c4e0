// Package sentry is netbox's supervisor: it starts the sandbox (namespaces,
// the seccomp filter, the program), runs the dispatch loop that serves the
// trapped calls, follows the program's lifetime, and shuts down cleanly.
package sentry

import (
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"runtime"
	"strconv"
	"sync"
	"syscall"
	"time"

	"golang.org/x/sys/unix"

	"github.com/netbox-sandbox/netbox/fdtable"
	"github.com/netbox-sandbox/netbox/netstack"
	"github.com/netbox-sandbox/netbox/netstack/nat"
	"github.com/netbox-sandbox/netbox/platform/seccomp"
	"github.com/netbox-sandbox/netbox/syscalls"
)

// InitArg is the hidden first argument that makes netbox's binary run as the
// sandbox's init (pid 1 of its pid namespace).
const InitArg = "__netbox_init__"

// ExecArg is the hidden first argument that makes netbox's binary the
// program's last step before the program itself (ExecMain).
const ExecArg = "__netbox_exec__"

// Config says what to run and how.
type Config struct {
	Path   string   // the program, resolved
	Args   []string // argv, argv[0] included
	Env    []string
	Stdin  *os.File
	Stdout *os.File
	Stderr *os.File
	// Trace receives one line per trapped call when not nil.
	Trace io.Writer
	// PreserveFDs passes the caller's fds 3 … 3+PreserveFDs-1 through.
	PreserveFDs int
	// MaxSockets bounds the sandbox's netbox sockets (0: no bound).
	MaxSockets int
	// KernelProcNet leaves the kernel's /proc/net files to the program
	// (they show none of netbox's sockets) and its opens untrapped;
	// otherwise netbox serves its views of the socket and counter files
	// (syscalls/open.go), at the cost of a trap per read-only open.
	KernelProcNet bool
	// Stack configures the sandbox's network stack.
	Stack netstack.Options
	// NAT, when set, runs a user-mode NAT at the far end of eth0
	// (Stack.Eth0) and gives the sandbox an /etc/resolv.conf naming its
	// DNS forwarder.
	NAT *nat.Config
	// Faults are fault settings ([LINK:][in:|out:]SPEC) applied before
	// the program starts.
	Faults []string
	// CtlPath, when set, is where netbox listens for `netbox ctl`.
	CtlPath string
}

// ExitError carries the exit status netbox must end with.
type ExitError struct{ Code int }

func (e *ExitError) Error() string { return fmt.Sprintf("exit status %d", e.Code) }

// sweepInterval is how often netbox looks for placeholders the program
// has closed (those it holds no end of: listeners, TCP connections).
const sweepInterval = time.Second

// Run runs the program in a new sandbox and returns its exit status (128+n
// when signal n killed it).
func Run(cfg Config) (int, error) {
	self, err := os.Executable()
	if err != nil {
		return 0, fmt.Errorf("sentry: find own binary: %w", err)
	}
	host, err := newNSSockets()
	if err != nil {
		return 0, err
	}
	pingRange := sysctlFile("/proc/sys/net/ipv4/ping_group_range")
	defer pingRange.close()
	cfg.Stack.PingGroupRange = pingGroupRange(pingRange)
	sysctls := &sysctlFiles{}
	defer sysctls.close()
	cfg.Stack.Sysctls = sysctls.read
	ifSockets := &perNetNS{open: ioctlSocket(unix.AF_INET)}
	defer ifSockets.close()
	ifSockets6 := &perNetNS{open: ioctlSocket(unix.AF_INET6)}
	defer ifSockets6.close()
	cfg.Stack.IfSocket = func(tid, family int) (int, error) {
		if family == unix.AF_INET6 {
			return ifSockets6.get(tid)
		}
		return ifSockets.get(tid)
	}
	diagSockets := &perNetNS{open: func() (int, error) {
		return unix.Socket(unix.AF_NETLINK, unix.SOCK_RAW|unix.SOCK_CLOEXEC, unix.NETLINK_SOCK_DIAG)
	}}
	defer diagSockets.close()
	cfg.Stack.KernelDiag = diagSockets.get
	cfg.Stack.OpenCapture = openCapture
	netCfg := &netConfig{}
	defer netCfg.close()
	cfg.Stack.SyncConfig = netCfg.sync
	cfg.Stack.Eth0Changed = netCfg.eth0Changed
	cfg.Stack.OpenEthCapture = netCfg.openEthCapture
	resolv := ""
	if cfg.NAT != nil {
		n, err := startNAT(&cfg)
		if err != nil {
			return 0, err
		}
		if n != nil {
			defer n.Close()
		}
		path, remove, err := resolvConf(cfg.NAT)
		if err != nil {
			return 0, err
		}
		defer remove()
		resolv = path
	}
	st, err := netstack.New(host, strconv.Itoa(os.Getpid()), cfg.Stack)
	if err != nil {
		return 0, err
	}
	defer st.Close()
	for _, f := range cfg.Faults {
		if err := ApplyFault(st, f); err != nil {
			return 0, fmt.Errorf("--fault: %w", err)
		}
	}
	if cfg.CtlPath != "" {
		stop, err := serveCtl(cfg.CtlPath, st)
		if err != nil {
			return 0, err
		}
		defer stop()
	}
	fds := fdtable.New(cfg.MaxSockets)
	h := syscalls.New(st, fds, cfg.Trace)
	sw := &sweeper{st: st, fds: fds}
	netCfg.st, netCfg.eth0, netCfg.peerNS = st, cfg.Stack.Eth0, host.nsFD
	st.Sweep = sw.sweep
	st.Sockets = fds.Sockets

	// The dispatcher's thread joins the supervisor's namespace before the
	// program starts, so that no call can find it elsewhere.
	type started struct {
		l   *seccomp.Listener
		pid int
		err error
	}
	startc := make(chan started, 1)
	exitc := make(chan int, 1)
	dispReady := make(chan error, 1)
	dispDone := make(chan struct{})
	listenerc := make(chan *seccomp.Listener, 1)
	go func() {
		runtime.LockOSThread() // never unlocked: the thread is in another namespace
		defer close(dispDone)
		if err := host.join(); err != nil {
			dispReady <- err
			return
		}
		dispReady <- nil
		l := <-listenerc
		if l == nil {
			return
		}
		if err := l.BecomeDispatcher(); err != nil {
			fmt.Fprintln(os.Stderr, "netbox:", err)
			return
		}
		dispatch(l, h)
	}()
	if err := <-dispReady; err != nil {
		return 0, err
	}

	// The launcher: a throw-away locked thread installs the filter and
	// forks the sandbox's init, which inherits it. The thread stays until
	// the init exits, because the init's parent-death signal is tied to
	// the thread that forked it.
	go func() {
		runtime.LockOSThread()
		l, err := seccomp.Install(seccomp.Program(!cfg.KernelProcNet))
		if err != nil {
			listenerc <- nil
			startc <- started{err: err}
			return
		}
		// The dispatcher serves the filter from now on: this thread is
		// under it too, and starting the init opens files (an open may
		// be of a /proc/net view, so opens are trapped).
		listenerc <- l
		cmd := initCommand(self, cfg, resolv)
		if err := cmd.Start(); err != nil {
			l.Close()
			startc <- started{err: fmt.Errorf("sentry: start sandbox: %w", err)}
			return
		}
		// Not dumpable from now on: no process of the same uid can
		// ptrace netbox, read or write its memory, or reach its fds
		// through /proc. (Not before: the child's uid_map, which netbox
		// writes during Start, would be root's to open.)
		if err := unix.Prctl(unix.PR_SET_DUMPABLE, 0, 0, 0, 0); err != nil {
			cmd.Process.Kill()
			l.Close()
			startc <- started{err: fmt.Errorf("sentry: set non-dumpable: %w", err)}
			return
		}
		startc <- started{l: l, pid: cmd.Process.Pid}
		exitc <- exitCode(cmd.Wait())
	}()
	s := <-startc
	if s.err != nil {
		return 0, s.err
	}

	stopSignals := forwardSignals(s.pid)
	defer stopSignals()
	stopSweep := sw.every(sweepInterval)
	defer stopSweep()

	code := <-exitc
	// Every process of the sandbox is gone with its init: the listener
	// reports no task left and the dispatcher ends.
	select {
	case <-dispDone:
	case <-time.After(2 * time.Second):
	}
	s.l.Close()
	return code, nil
}

// initCommand is the sandbox's init: netbox's own binary as pid 1 of new
// user, pid, mount and network namespaces, killed when netbox dies.
//
// The user namespace holds even when netbox runs as root: uids map one to
// one, so files and permissions look the same, but the sandbox's
// capabilities reach only the namespaces it owns. A root program inside
// cannot act on the host's network namespace, load BPF programs or
// modules, or ptrace netbox.
//
// resolv, when not empty, is a file to mount over the sandbox's
// /etc/resolv.conf.
func initCommand(self string, cfg Config, resolv string) *exec.Cmd {
	if resolv == "" {
		resolv = "-"
	}
	args := append([]string{InitArg, strconv.Itoa(cfg.PreserveFDs), resolv, cfg.Path}, cfg.Args...)
	cmd := exec.Command(self, args...)
	cmd.Args[0] = "netbox-init"
	cmd.Env = cfg.Env
	cmd.Stdin, cmd.Stdout, cmd.Stderr = cfg.Stdin, cfg.Stdout, cfg.Stderr
	for i := 0; i < cfg.PreserveFDs; i++ {
		cmd.ExtraFiles = append(cmd.ExtraFiles, os.NewFile(uintptr(3+i), "preserved"))
	}
	attr := &syscall.SysProcAttr{
		Cloneflags: unix.CLONE_NEWUSER | unix.CLONE_NEWNET | unix.CLONE_NEWPID | unix.CLONE_NEWNS,
		Pdeathsig:  syscall.SIGKILL,
	}
	if os.Geteuid() == 0 {
		all := []syscall.SysProcIDMap{{ContainerID: 0, HostID: 0, Size: 1<<32 - 1}}
		attr.UidMappings, attr.GidMappings = all, all
		attr.GidMappingsEnableSetgroups = true
	} else {
		attr.UidMappings = []syscall.SysProcIDMap{{ContainerID: os.Geteuid(), HostID: os.Geteuid(), Size: 1}}
		attr.GidMappings = []syscall.SysProcIDMap{{ContainerID: os.Getegid(), HostID: os.Getegid(), Size: 1}}
		attr.GidMappingsEnableSetgroups = false
		// The init keeps, across its exec, the capabilities it has in its
		// new namespaces: it mounts /proc and /sys.
		attr.AmbientCaps = []uintptr{unix.CAP_SYS_ADMIN, unix.CAP_NET_ADMIN}
	}
	cmd.SysProcAttr = attr
	return cmd
}

// exitCode turns a wait result into a shell's exit status.
func exitCode(err error) int {
	if err == nil {
		return 0
	}
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		if ws, ok := ee.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
			return 128 + int(ws.Signal())
		}
		return ee.ExitCode()
	}
	return 1
}

// forwardedSignals are passed on to the program.
var forwardedSignals = []os.Signal{unix.SIGINT, unix.SIGTERM, unix.SIGHUP, unix.SIGQUIT, unix.SIGUSR1, unix.SIGUSR2}

// forwardSignals sends the signals netbox receives to the sandbox's init,
// which hands them to the program.
func forwardSignals(pid int) (stop func()) {
	ch := make(chan os.Signal, 8)
	signal.Notify(ch, forwardedSignals...)
	done := make(chan struct{})
	go func() {
		for {
			select {
			case sig := <-ch:
				unix.Kill(pid, sig.(syscall.Signal))
			case <-done:
				return
			}
		}
	}()
	return func() { signal.Stop(ch); close(done) }
}

// dispatch is the notification loop: one locked thread receives each
// trapped call and serves it inline; only calls that must wait leave it.
func dispatch(l *seccomp.Listener, h *syscalls.Handler) {
	for {
		c, err := l.Recv()
		if err != nil {
			if !errors.Is(err, seccomp.ErrDone) {
				fmt.Fprintln(os.Stderr, "netbox:", err)
			}
			return
		}
		h.Handle(l.Task(c))
	}
}

// sweeper releases the sockets whose placeholders the program has closed
// (a close is not trapped; netbox holds no reference to a placeholder).
type sweeper struct {
	st  *netstack.Stack
	fds *fdtable.Table
	mu  sync.Mutex
}

func (sw *sweeper) sweep() {
	sw.mu.Lock()
	defer sw.mu.Unlock()
	// The snapshot comes first: a socket created after the dump began
	// must not look dead.
	socks := sw.fds.Sockets()
	live, err := sw.st.LiveUnixInodes()
	if err != nil {
		return
	}
	for _, s := range socks {
		if !live[s.Ino] {
			sw.fds.Remove(s)
			s.Release()
		}
	}
}

func (sw *sweeper) every(d time.Duration) (stop func()) {
	t := time.NewTicker(d)
	done := make(chan struct{})
	go func() {
		for {
			select {
			case <-t.C:
				sw.sweep()
			case <-done:
				return
			}
		}
	}()
	return func() { t.Stop(); close(done) }
}
