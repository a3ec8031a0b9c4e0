package main

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/netbox-sandbox/netbox/internal/testenv"
)

// The escape suite: one test per route out of the sandbox that
// docs/security.md names. Each route is a program of testdata/escape/ that
// prints one line, "REACHED <what>" or "BLOCKED <ERRNO> …". Every test
//
//  1. starts the host-side targets the route would reach and records any
//     contact with them;
//  2. runs the program natively, on the host, and requires REACHED (and the
//     contact): the route is real on this machine;
//  3. runs it inside netbox as root, and
//  4. inside netbox run by an unprivileged user (uid 65534),
//
// and requires, in 3 and 4, the outcome the design promises (BLOCKED with
// its errno, or death by SIGSYS) and no contact.
//
// Run them alone with: go test ./cmd/netbox -run TestEscape

// escapeUID is the unprivileged user netbox runs as in step 4.
const escapeUID = 65534

// escapeLimit bounds every run of a program, native or in netbox.
const escapeLimit = 60 * time.Second

// escapeMode says how a program is run.
type escapeMode int

const (
	native     escapeMode = iota // plain exec on the host
	netboxRoot                   // netbox run as root
	netboxUser                   // netbox run as uid 65534
)

func (m escapeMode) String() string {
	return [...]string{"native", "netbox-root", "netbox-unprivileged"}[m]
}

// escapeEnv is a directory every user can read (mode 0755, under /tmp)
// with a copy of netbox and of the compiled programs.
type escapeEnv struct {
	dir    string
	netbox string
}

// newEscapeEnv compiles testdata/escape/<prog>.c for each prog and copies
// the binaries and netbox's to a directory uid 65534 can use.
func newEscapeEnv(t *testing.T, progs ...string) *escapeEnv {
	t.Helper()
	testenv.RequireTool(t, "gcc")
	dir, err := os.MkdirTemp("/tmp", "netbox-escape-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	e := &escapeEnv{dir: dir, netbox: filepath.Join(dir, "netbox")}
	copyExec(t, testenv.Netbox(t), e.netbox)
	for _, p := range progs {
		copyExec(t, testenv.CompileC(t, "escape/"+p+".c"), e.prog(p))
	}
	return e
}

func (e *escapeEnv) prog(name string) string { return filepath.Join(e.dir, name) }

func copyExec(t *testing.T, from, to string) {
	t.Helper()
	b, err := os.ReadFile(from)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(to, b, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(to, 0o755); err != nil { // whatever the umask
		t.Fatal(err)
	}
}

// escapeResult is what one run printed and how it ended.
type escapeResult struct {
	mode           escapeMode
	argv           []string
	stdout, stderr string
	code           int            // exit status; -1 when a signal killed the process
	signal         syscall.Signal // the signal, when code is -1
}

// line is the program's verdict: its stdout without the newline.
func (r escapeResult) line() string { return strings.TrimRight(r.stdout, "\n") }

func (r escapeResult) String() string {
	how := fmt.Sprintf("exit %d", r.code)
	if r.code == -1 {
		how = "killed by " + r.signal.String()
	}
	return fmt.Sprintf("%s %q: %s\nstdout:\n%s\nstderr:\n%s", r.mode, r.argv, how, r.stdout, r.stderr)
}

// command builds the command that runs argv in mode m.
func (e *escapeEnv) command(m escapeMode, flags []string, argv ...string) *exec.Cmd {
	if m == native {
		return exec.Command(argv[0], argv[1:]...)
	}
	args := append([]string{"run"}, flags...)
	args = append(args, "--")
	cmd := exec.Command(e.netbox, append(args, argv...)...)
	return cmd
}

// start starts cmd in its own process group (as uid 65534 for
// netboxUser) in e.dir; the group is killed when the test ends.
func (e *escapeEnv) start(t *testing.T, m escapeMode, cmd *exec.Cmd) {
	t.Helper()
	cmd.Dir = e.dir
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if m == netboxUser {
		cmd.SysProcAttr.Credential = &syscall.Credential{Uid: escapeUID, Gid: escapeUID, Groups: []uint32{}}
	}
	if err := cmd.Start(); err != nil {
		t.Fatalf("%s: start %v: %v", m, cmd.Args, err)
	}
	pid := cmd.Process.Pid
	t.Cleanup(func() { syscall.Kill(-pid, syscall.SIGKILL) })
}

// run runs argv in mode m (netbox flags for the netbox modes), with extra
// as fds 3…, and returns what happened. A run that outlives escapeLimit is
// killed, with its whole process group, and fails the test.
func (e *escapeEnv) run(t *testing.T, m escapeMode, flags []string, extra []*os.File, argv ...string) escapeResult {
	t.Helper()
	cmd := e.command(m, flags, argv...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	cmd.ExtraFiles = extra
	cmd.WaitDelay = 2 * time.Second
	e.start(t, m, cmd)
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	var err error
	select {
	case err = <-done:
	case <-time.After(escapeLimit):
		syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		<-done
		t.Fatalf("%s %q: still running after %v, killed\nstdout:\n%s\nstderr:\n%s", m, argv, escapeLimit, stdout.String(), stderr.String())
	}
	r := escapeResult{mode: m, argv: argv, stdout: stdout.String(), stderr: stderr.String()}
	var ee *exec.ExitError
	switch {
	case err == nil:
	case errors.As(err, &ee):
		r.code = ee.ExitCode()
		if ws, ok := ee.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
			r.signal = ws.Signal()
		}
	default:
		t.Fatalf("%s %q: %v", m, argv, err)
	}
	t.Logf("%s %s: %s (exit %d)%s", m, filepath.Base(argv[0]), r.line(), r.code, indent(r.stderr))
	return r
}

func indent(s string) string {
	s = strings.TrimRight(s, "\n")
	if s == "" {
		return ""
	}
	return "\n\t" + strings.ReplaceAll(s, "\n", "\n\t")
}

// netboxFailed says so when netbox itself failed (exit 125, "netbox:" on
// stderr) rather than the program: the route was then not exercised.
func netboxFailed(r escapeResult) string {
	if r.mode != native && r.code == 125 && strings.Contains(r.stderr, "netbox:") {
		who := "root"
		if r.mode == netboxUser {
			who = fmt.Sprintf("uid %d", escapeUID)
		}
		return fmt.Sprintf("netbox itself failed to run the program as %s (exit 125), so the route was not exercised: %s",
			who, strings.TrimSpace(r.stderr))
	}
	return ""
}

// requireReached requires the native run to have printed REACHED.
func requireReached(t *testing.T, r escapeResult, route string) {
	t.Helper()
	if r.code != 0 || !strings.HasPrefix(r.line(), "REACHED ") || strings.Contains(r.line(), "\n") {
		t.Fatalf("%s: the route is not open natively on this machine (want one line \"REACHED …\" and exit 0), so this test cannot show that netbox closes it\n%v", route, r)
	}
}

// requireBlocked requires one line "BLOCKED <errno> …" and exit 0;
// errno "" accepts any.
func requireBlocked(t *testing.T, r escapeResult, route, errno string) {
	t.Helper()
	if msg := netboxFailed(r); msg != "" {
		t.Fatalf("%s: %s\n%v", route, msg, r)
	}
	l := r.line()
	if strings.HasPrefix(l, "REACHED ") {
		t.Fatalf("ESCAPE: %s: the program got out of the sandbox: %s\n%v", route, l, r)
	}
	if r.code != 0 || !strings.HasPrefix(l, "BLOCKED ") || strings.Contains(l, "\n") {
		t.Fatalf("%s: want one line \"BLOCKED %s…\" and exit 0\n%v", route, errno, r)
	}
	if got := strings.Fields(l)[1]; errno != "" && got != errno {
		t.Errorf("%s: blocked with %s, but the design promises %s\n%v", route, got, errno, r)
	}
}

// requireKilled requires netbox to end with status code (128+signal) and
// the program to have printed nothing.
func requireKilled(t *testing.T, r escapeResult, route string, sig syscall.Signal) {
	t.Helper()
	if msg := netboxFailed(r); msg != "" {
		t.Fatalf("%s: %s\n%v", route, msg, r)
	}
	if strings.Contains(r.stdout, "REACHED") {
		t.Fatalf("ESCAPE: %s: the program got out of the sandbox: %s\n%v", route, r.line(), r)
	}
	if want := 128 + int(sig); r.code != want || r.stdout != "" {
		t.Fatalf("%s: want the program killed by %v (netbox exit %d) before it prints anything\n%v", route, sig, want, r)
	}
}

// hostTargets are the host's services a route would reach: TCP listeners
// on 127.0.0.1 and ::1, a UDP echo socket on 127.0.0.1 and an abstract
// AF_UNIX listener, each at a kernel-chosen port or a random name. Every
// contact is recorded.
type hostTargets struct {
	tcp4, tcp6 net.Listener // tcp6 is nil when the host has no ::1
	udp4       net.PacketConn
	unix       net.Listener
	unixName   string // without the leading '@'

	mu       sync.Mutex
	contacts []string
	conns    []net.Conn
}

func newHostTargets(t *testing.T) *hostTargets {
	t.Helper()
	h := &hostTargets{}
	var err error
	if h.tcp4, err = net.Listen("tcp4", "127.0.0.1:0"); err != nil {
		t.Fatal(err)
	}
	if h.tcp6, err = net.Listen("tcp6", "[::1]:0"); err != nil {
		t.Logf("no TCP listener on ::1 (the host has no IPv6 loopback?): %v", err)
		h.tcp6 = nil
	}
	if h.udp4, err = net.ListenPacket("udp4", "127.0.0.1:0"); err != nil {
		t.Fatal(err)
	}
	var rnd [8]byte
	if _, err := rand.Read(rnd[:]); err != nil {
		t.Fatal(err)
	}
	h.unixName = "netbox-escape-" + hex.EncodeToString(rnd[:])
	if h.unix, err = net.Listen("unix", "@"+h.unixName); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for kind, ln := range map[string]net.Listener{"tcp4": h.tcp4, "tcp6": h.tcp6, "unix": h.unix} {
		if ln == nil {
			continue
		}
		wg.Add(1)
		go func() { defer wg.Done(); h.accept(kind, ln) }()
	}
	wg.Add(1)
	go func() { defer wg.Done(); h.echo() }()
	t.Cleanup(func() {
		for _, ln := range []net.Listener{h.tcp4, h.tcp6, h.unix} {
			if ln != nil {
				ln.Close()
			}
		}
		h.udp4.Close()
		h.mu.Lock()
		for _, c := range h.conns {
			c.Close()
		}
		h.mu.Unlock()
		wg.Wait()
	})
	return h
}

func (h *hostTargets) record(format string, args ...any) {
	h.mu.Lock()
	h.contacts = append(h.contacts, fmt.Sprintf(format, args...))
	h.mu.Unlock()
}

func (h *hostTargets) accept(kind string, ln net.Listener) {
	for {
		c, err := ln.Accept()
		if err != nil {
			return
		}
		h.mu.Lock()
		h.conns = append(h.conns, c)
		h.mu.Unlock()
		h.record("%s: connection from %v", kind, c.RemoteAddr())
		go func() {
			c.SetReadDeadline(time.Now().Add(2 * escapeLimit))
			buf := make([]byte, 512)
			for {
				n, err := c.Read(buf)
				if n > 0 {
					h.record("%s: data %q", kind, buf[:n])
				}
				if err != nil {
					return
				}
			}
		}()
	}
}

func (h *hostTargets) echo() {
	buf := make([]byte, 2048)
	for {
		n, from, err := h.udp4.ReadFrom(buf)
		if err != nil {
			return
		}
		h.record("udp4: datagram %q from %v", buf[:n], from)
		h.udp4.WriteTo(buf[:n], from)
	}
}

func (h *hostTargets) port4() string   { return strconv.Itoa(h.tcp4.Addr().(*net.TCPAddr).Port) }
func (h *hostTargets) udpPort() string { return strconv.Itoa(h.udp4.LocalAddr().(*net.UDPAddr).Port) }
func (h *hostTargets) port6() string {
	if h.tcp6 == nil {
		return "-"
	}
	return strconv.Itoa(h.tcp6.Addr().(*net.TCPAddr).Port)
}

// Contacts is every contact recorded so far.
func (h *hostTargets) Contacts() []string {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]string(nil), h.contacts...)
}

// waitContact waits (at most 5 s) for a contact whose text contains want
// and fails the test without one.
func (h *hostTargets) waitContact(t *testing.T, want, why string) {
	t.Helper()
	for end := time.Now().Add(5 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		for _, c := range h.Contacts() {
			if strings.Contains(c, want) {
				return
			}
		}
		if time.Now().After(end) {
			t.Fatalf("%s: no contact with %q on the host's side within 5 s (recorded: %q)", why, want, h.Contacts())
		}
	}
}

// requireNoContact fails the test if, after a moment for stragglers, any
// contact beyond the first skip ones was recorded.
func (h *hostTargets) requireNoContact(t *testing.T, skip int, why string) {
	t.Helper()
	time.Sleep(300 * time.Millisecond)
	if c := h.Contacts(); len(c) > skip {
		t.Fatalf("ESCAPE: %s: the host's side was contacted from inside the sandbox: %q", why, c[skip:])
	}
}

var netboxModes = []escapeMode{netboxRoot, netboxUser}

func TestEscapeI386(t *testing.T) {
	t.Parallel()
	e := newEscapeEnv(t, "i386_socket")
	for _, how := range []string{"socketcall", "direct"} {
		t.Run(how, func(t *testing.T) {
			route := "i386 " + how + " (int $0x80) socket+connect to the host's 127.0.0.1"
			t.Run("native", func(t *testing.T) {
				h := newHostTargets(t)
				r := e.run(t, native, nil, nil, e.prog("i386_socket"), how, h.port4())
				requireReached(t, r, route)
				h.waitContact(t, "tcp4: connection", route)
			})
			for _, m := range netboxModes {
				t.Run(m.String(), func(t *testing.T) {
					h := newHostTargets(t)
					r := e.run(t, m, nil, nil, e.prog("i386_socket"), how, h.port4())
					// The filter's SECCOMP_RET_KILL_PROCESS: death by SIGSYS.
					requireKilled(t, r, route, syscall.SIGSYS)
					h.requireNoContact(t, 0, route)
				})
			}
		})
	}
}

func TestEscapeX32(t *testing.T) {
	t.Parallel()
	e := newEscapeEnv(t, "x32_socket")
	route := "x32 socket+connect (nr|0x40000000) to the host's 127.0.0.1"
	t.Run("native", func(t *testing.T) {
		h := newHostTargets(t)
		r := e.run(t, native, nil, nil, e.prog("x32_socket"), h.port4())
		if r.code == 0 && r.line() == "BLOCKED ENOSYS (x32 socket)" {
			t.Logf("x32 not enabled on this kernel: route closed by the kernel (native x32 socket: ENOSYS); netbox must still block it")
			h.requireNoContact(t, 0, "native x32 with x32 disabled")
			return
		}
		requireReached(t, r, route)
		h.waitContact(t, "tcp4: connection", route)
	})
	for _, m := range netboxModes {
		t.Run(m.String(), func(t *testing.T) {
			h := newHostTargets(t)
			r := e.run(t, m, nil, nil, e.prog("x32_socket"), h.port4())
			requireBlocked(t, r, route, "ENOSYS")
			h.requireNoContact(t, 0, route)
		})
	}
}

func TestEscapeIOUring(t *testing.T) {
	t.Parallel()
	e := newEscapeEnv(t, "io_uring_socket")
	route := "io_uring IORING_OP_SOCKET+IORING_OP_CONNECT to the host's 127.0.0.1"
	t.Run("native", func(t *testing.T) {
		h := newHostTargets(t)
		r := e.run(t, native, nil, nil, e.prog("io_uring_socket"), h.port4())
		requireReached(t, r, route)
		h.waitContact(t, "tcp4: connection", route)
	})
	for _, m := range netboxModes {
		t.Run(m.String(), func(t *testing.T) {
			h := newHostTargets(t)
			r := e.run(t, m, nil, nil, e.prog("io_uring_socket"), h.port4())
			requireBlocked(t, r, route, "ENOSYS")
			if !strings.Contains(r.line(), "io_uring_setup") {
				t.Errorf("%s: want io_uring_setup itself refused (ENOSYS), got %q", route, r.line())
			}
			h.requireNoContact(t, 0, route)
		})
	}
}

func TestEscapeSetnsHostNetns(t *testing.T) {
	t.Parallel()
	e := newEscapeEnv(t, "setns_host")
	route := "setns(CLONE_NEWNET) into another process's network namespace"
	t.Run("native", func(t *testing.T) {
		// On the host itself the host's interfaces are in view at once.
		r := e.run(t, native, nil, nil, e.prog("setns_host"))
		requireReached(t, r, route)
	})
	t.Run("native-private-netns", func(t *testing.T) {
		// From a network namespace of its own (only lo), setns is what
		// leads back to the host's interfaces: the route is real.
		testenv.RequireTool(t, "ip")
		tr := testenv.Native(t, escapeLimit, e.prog("setns_host"))
		r := escapeResult{mode: native, argv: []string{"unshare -n", e.prog("setns_host")}, stdout: tr.Stdout, stderr: tr.Stderr, code: tr.Code}
		t.Logf("native in unshare -n: %s%s", r.line(), indent(r.stderr))
		requireReached(t, r, route+" from a private network namespace")
		if !strings.Contains(r.line(), "after setns") {
			t.Fatalf("%s: reached without a setns (want a host interface seen after setns)\n%v", route, r)
		}
	})
	for _, m := range netboxModes {
		t.Run(m.String(), func(t *testing.T) {
			r := e.run(t, m, nil, nil, e.prog("setns_host"))
			requireBlocked(t, r, route, "")
		})
	}
}

// beside is a netbox running next to the program under test.
type beside struct {
	pid    int
	exited chan struct{} // closed when it ended
	cmd    *exec.Cmd
}

// alive reports whether it still runs; when not, it says how it ended.
func (b *beside) alive() (bool, string) {
	select {
	case <-b.exited:
		return false, b.cmd.ProcessState.String()
	default:
		return true, ""
	}
}

// startBeside starts a netbox (as root, or as uid 65534 for netboxUser)
// running sleep, a supervisor the route can aim at; it is killed when the
// test ends.
func startBeside(t *testing.T, e *escapeEnv, m escapeMode) *beside {
	t.Helper()
	if m == native {
		m = netboxRoot
	}
	cmd := e.command(m, nil, testenv.RequireTool(t, "sleep"), "120")
	cmd.Stdout, cmd.Stderr = io.Discard, io.Discard
	cmd.WaitDelay = 2 * time.Second
	e.start(t, m, cmd)
	exited := make(chan struct{})
	go func() { cmd.Wait(); close(exited) }()
	t.Cleanup(func() {
		cmd.Process.Kill()
		select {
		case <-exited:
		case <-time.After(10 * time.Second):
			t.Errorf("netbox beside (pid %d) still running 10 s after SIGKILL", cmd.Process.Pid)
		}
	})
	// Let it set itself up (non-dumpable, its sandbox started).
	time.Sleep(300 * time.Millisecond)
	b := &beside{pid: cmd.Process.Pid, exited: exited, cmd: cmd}
	if ok, how := b.alive(); !ok {
		t.Logf("the netbox beside (%s) ended at once: %s", m, how)
	}
	return b
}

func TestEscapePtraceSupervisor(t *testing.T) {
	t.Parallel()
	e := newEscapeEnv(t, "ptrace_supervisor")
	route := "ptrace/pidfd_getfd/process_vm_writev on a netbox supervisor"
	t.Run("native", func(t *testing.T) {
		pid := startBeside(t, e, native).pid
		r := e.run(t, native, nil, nil, e.prog("ptrace_supervisor"), strconv.Itoa(pid))
		requireReached(t, r, route)
		if !strings.Contains(r.line(), fmt.Sprintf(" pid %d ", pid)) {
			t.Fatalf("%s: natively reached a netbox, but not the one beside (pid %d)\n%v", route, pid, r)
		}
	})
	for _, m := range netboxModes {
		t.Run(m.String(), func(t *testing.T) {
			b := startBeside(t, e, m)
			r := e.run(t, m, nil, nil, e.prog("ptrace_supervisor"), strconv.Itoa(b.pid))
			requireBlocked(t, r, route, "")
			if ok, how := b.alive(); !ok {
				t.Errorf("the netbox beside (pid %d) is gone: %s", b.pid, how)
			}
			// docs/security.md, "seeing the supervisor": netbox and its
			// caller are not visible from inside.
			var seen []string
			for _, l := range strings.Split(r.stderr, "\n") {
				if strings.Contains(l, "visible: ") {
					seen = append(seen, strings.TrimSpace(l))
				}
			}
			if len(seen) > 0 {
				t.Errorf("SUPERVISOR VISIBLE from inside (%s): netbox processes outside the sandbox show in the program's /proc (\"(/proc)\", \"(argv)\": the sandbox's /proc is the host's) or under it (\"(under /proc)\": the program unmounted the sandbox's /proc in a mount namespace of its own and found the host's); none was reachable by number, their pids not being in the sandbox's pid namespace:\n\t%s",
					m, strings.Join(seen, "\n\t"))
			}
		})
	}
}

func TestEscapeInheritedFD(t *testing.T) {
	t.Parallel()
	e := newEscapeEnv(t, "inherited_fd")
	route := "an inherited fd 3: a TCP connection to the host's 127.0.0.1"
	const marker = "inherited fd"
	for _, tc := range []struct {
		mode     escapeMode
		preserve bool
	}{
		{native, false},
		{netboxRoot, false},
		{netboxUser, false},
		{netboxRoot, true},
		{netboxUser, true},
	} {
		name := tc.mode.String()
		var flags []string
		if tc.preserve {
			name += "-preserve-fds"
			flags = []string{"--preserve-fds", "1"}
		}
		t.Run(name, func(t *testing.T) {
			h := newHostTargets(t)
			c, err := net.DialTimeout("tcp4", net.JoinHostPort("127.0.0.1", h.port4()), 5*time.Second)
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			f, err := c.(*net.TCPConn).File()
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			h.waitContact(t, "tcp4: connection", "the test's own connection")
			r := e.run(t, tc.mode, flags, []*os.File{f}, e.prog("inherited_fd"), "3")
			switch {
			case tc.mode == native:
				requireReached(t, r, route)
				h.waitContact(t, marker, route)
			case tc.preserve:
				// Documented: --preserve-fds 1 passes fd 3 on.
				if msg := netboxFailed(r); msg != "" {
					t.Fatalf("%s: %s\n%v", route, msg, r)
				}
				if r.code != 0 || !strings.HasPrefix(r.line(), "REACHED ") {
					t.Fatalf("%s with --preserve-fds 1: want fd 3 passed on (REACHED), as documented\n%v", route, r)
				}
				h.waitContact(t, marker, route+" with --preserve-fds 1")
			default:
				requireBlocked(t, r, route, "EBADF")
				h.requireNoContact(t, 1, route) // 1: the test's own connection
			}
		})
	}
}

func TestEscapeBPF(t *testing.T) {
	t.Parallel()
	e := newEscapeEnv(t, "bpf_load")
	route := "bpf(BPF_MAP_CREATE / BPF_PROG_LOAD socket filter)"
	t.Run("native", func(t *testing.T) {
		r := e.run(t, native, nil, nil, e.prog("bpf_load"))
		requireReached(t, r, route)
	})
	for _, m := range netboxModes {
		t.Run(m.String(), func(t *testing.T) {
			r := e.run(t, m, nil, nil, e.prog("bpf_load"))
			requireBlocked(t, r, route, "EPERM")
		})
	}
}

func TestEscapeHostLoopback(t *testing.T) {
	t.Parallel()
	e := newEscapeEnv(t, "host_loopback")
	route := "the host's loopback: TCP 127.0.0.1 and ::1, UDP 127.0.0.1, abstract AF_UNIX"
	args := func(h *hostTargets) []string {
		return []string{e.prog("host_loopback"), h.port4(), h.port6(), h.udpPort(), h.unixName}
	}
	t.Run("native", func(t *testing.T) {
		h := newHostTargets(t)
		r := e.run(t, native, nil, nil, args(h)...)
		requireReached(t, r, route)
		want := []string{"tcp4", "udp4", "unix"}
		if h.tcp6 != nil {
			want = []string{"tcp4", "tcp6", "udp4", "unix"}
		}
		if got := strings.Fields(strings.TrimPrefix(r.line(), "REACHED ")); strings.Join(got, " ") != strings.Join(want, " ") {
			t.Fatalf("%s: natively reached %v, want %v\n%v", route, got, want, r)
		}
		for _, w := range want {
			h.waitContact(t, w+":", route+" ("+w+")")
		}
	})
	for _, m := range netboxModes {
		t.Run(m.String(), func(t *testing.T) {
			h := newHostTargets(t)
			r := e.run(t, m, nil, nil, args(h)...)
			requireBlocked(t, r, route, "")
			h.requireNoContact(t, 0, route)
		})
	}
}
