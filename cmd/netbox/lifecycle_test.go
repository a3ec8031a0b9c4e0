package main

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/netbox-sandbox/netbox/internal/testenv"
)

// How netbox starts, ends, and passes on signals and exit statuses.

func TestLifecycleExitStatus(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		argv []string
		want int
	}{
		{[]string{"sh", "-c", "exit 7"}, 7},
		{[]string{"sh", "-c", "exit 255"}, 255},
		{[]string{"true"}, 0},
		{[]string{"false"}, 1},
	} {
		r := testenv.InNetbox(t, 30*time.Second, nil, tc.argv...)
		if r.Code != tc.want {
			t.Errorf("netbox run -- %q: exit %d, want %d\nstderr:\n%s", tc.argv, r.Code, tc.want, r.Stderr)
		}
	}
}

func TestLifecycleKilledBySignal(t *testing.T) {
	t.Parallel()
	// sh is not the sandbox's pid 1 (netbox's init is), so it can be
	// killed by a signal it does not handle.
	for _, tc := range []struct {
		sig  string
		want int
	}{
		{"KILL", 128 + 9},
		{"TERM", 128 + 15},
	} {
		r := testenv.InNetbox(t, 30*time.Second, nil, "sh", "-c", "kill -"+tc.sig+" $$; echo survived")
		if r.Code != tc.want {
			t.Errorf("sh killed by SIG%s: netbox exited %d, want %d\nstdout:\n%s\nstderr:\n%s", tc.sig, r.Code, tc.want, r.Stdout, r.Stderr)
		}
		if strings.Contains(r.Stdout, "survived") {
			t.Errorf("sh survived SIG%s", tc.sig)
		}
	}
}

// signalPy handles signal sys.argv[1] ("TERM" or "INT") by printing
// "got SIG…" and exiting 3; it prints "ready" once the handler is set and
// waits (at most 10 s).
const signalPy = `import signal, sys, time
name = "SIG" + sys.argv[1]
def handler(signum, frame):
    print("got " + name, flush=True)
    sys.exit(3)
signal.signal(getattr(signal, name), handler)
print("ready", flush=True)
for _ in range(100):
    time.sleep(0.1)
print("no signal", flush=True)
sys.exit(1)
`

func testSignalForwarded(t *testing.T, name string, sig syscall.Signal) {
	testenv.RequireTool(t, "python3")
	p := testenv.StartNetbox(t, nil, "python3", "-c", signalPy, name)
	p.WaitLine(t, "ready", 20*time.Second)
	if err := p.Cmd.Process.Signal(sig); err != nil {
		t.Fatal(err)
	}
	code := p.WaitTimeout(t, 15*time.Second)
	if !strings.Contains(p.Stdout(), "got SIG"+name+"\n") {
		t.Errorf("the program did not get SIG%s sent to netbox\nstdout:\n%s\nstderr:\n%s", name, p.Stdout(), p.Stderr())
	}
	if code != 3 {
		t.Errorf("netbox exited %d, want the program's 3\nstdout:\n%s\nstderr:\n%s", code, p.Stdout(), p.Stderr())
	}
}

func TestLifecycleSIGTERMForwarded(t *testing.T) {
	t.Parallel()
	testSignalForwarded(t, "TERM", syscall.SIGTERM)
}

func TestLifecycleSIGINTForwarded(t *testing.T) {
	t.Parallel()
	testSignalForwarded(t, "INT", syscall.SIGINT)
}

func TestLifecycleNetboxSIGKILL(t *testing.T) {
	t.Parallel()
	p := testenv.StartNetbox(t, nil, "sh", "-c", "sleep 1000 & sleep 1000 & echo started; wait")
	p.WaitLine(t, "started", 20*time.Second)

	// Record the sandbox's processes: every descendant of netbox.
	var procs []testenv.ProcStat
	deadline := time.Now().Add(5 * time.Second)
	for {
		var err error
		procs, err = testenv.Descendants(p.Pid())
		if err != nil {
			t.Fatal(err)
		}
		sleeps := 0
		for _, ps := range procs {
			if ps.Comm == "sleep" {
				sleeps++
			}
		}
		if sleeps >= 2 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("found %d sleep processes under netbox (pid %d), want 2: %+v", sleeps, p.Pid(), procs)
		}
		time.Sleep(20 * time.Millisecond)
	}
	if len(procs) < 3 {
		t.Fatalf("want at least sh and two sleeps under netbox, found %+v", procs)
	}
	for _, ps := range procs {
		t.Logf("sandbox process %d (%s), parent %d", ps.Pid, ps.Comm, ps.PPid)
	}

	if err := p.Cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	p.WaitTimeout(t, 5*time.Second)

	// alive reports whether the recorded process still exists and is not
	// a zombie (a pid reused by another process does not count).
	alive := func(ps testenv.ProcStat) (bool, testenv.ProcStat) {
		now, err := testenv.ReadProcStat(ps.Pid)
		if err != nil || now.StartTime != ps.StartTime || now.State == 'Z' || now.State == 'X' {
			return false, now
		}
		return true, now
	}
	deadline = time.Now().Add(5 * time.Second)
	for {
		var left []string
		for _, ps := range procs {
			if ok, now := alive(ps); ok {
				left = append(left, fmt.Sprintf("%d (%s, state %c)", now.Pid, now.Comm, now.State))
			}
		}
		if len(left) == 0 {
			return
		}
		if time.Now().After(deadline) {
			// Do not leave them behind.
			for _, ps := range procs {
				if ok, _ := alive(ps); ok {
					_ = syscall.Kill(ps.Pid, syscall.SIGKILL)
				}
			}
			t.Fatalf("5 s after netbox was killed, sandbox processes still live: %s", strings.Join(left, ", "))
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func TestLifecycleMissingProgram(t *testing.T) {
	t.Parallel()
	for _, prog := range []string{"/nonexistent/prog", "no-such-command-xyz"} {
		r := testenv.RunNetbox(t, 30*time.Second, "", "run", "--", prog)
		if r.Code != 127 {
			t.Errorf("netbox run -- %s: exit %d, want 127\nstderr:\n%s", prog, r.Code, r.Stderr)
		}
		if !strings.Contains(r.Stderr, "command not found") || !strings.Contains(r.Stderr, prog) {
			t.Errorf("netbox run -- %s: stderr %q, want it to name the program and say \"command not found\"", prog, r.Stderr)
		}
	}
}

func TestLifecycleVersionHelp(t *testing.T) {
	t.Parallel()
	r := testenv.RunNetbox(t, 30*time.Second, "", "--version")
	if r.Code != 0 || !strings.HasPrefix(r.Stdout, "netbox ") {
		t.Errorf("netbox --version: exit %d, stdout %q; want 0 and \"netbox …\"", r.Code, r.Stdout)
	}
	r = testenv.RunNetbox(t, 30*time.Second, "", "--help")
	if r.Code != 0 || !strings.Contains(r.Stdout, "run") {
		t.Errorf("netbox --help: exit %d, stdout %q; want 0 and a mention of \"run\"", r.Code, r.Stdout)
	}
}

func TestLifecycleTrace(t *testing.T) {
	t.Parallel()
	testenv.RequireTool(t, "python3")
	trace := filepath.Join(t.TempDir(), "trace.txt")
	r := testenv.InNetbox(t, 30*time.Second, []string{"--trace=" + trace}, "python3", "-c",
		`import socket; socket.socket().bind(("127.0.0.1",0))`)
	if r.Code != 0 {
		t.Fatalf("exit %d\nstderr:\n%s", r.Code, r.Stderr)
	}
	b, err := os.ReadFile(trace)
	if err != nil {
		t.Fatalf("trace file: %v", err)
	}
	text := string(b)
	// The socket call and the bind of the fd it returned, which succeeded.
	sock := regexp.MustCompile(`socket\(AF_INET, [^)]*\) = (\d+)`).FindStringSubmatch(text)
	if sock == nil {
		t.Fatalf("no successful AF_INET socket( line in the trace:\n%s", text)
	}
	if !regexp.MustCompile(`(?m)^\[\d+\] bind\(` + sock[1] + `, \{sa_family=AF_INET, sin_port=htons\(0\), sin_addr=inet_addr\("127.0.0.1"\)\}, 16\) = 0$`).MatchString(text) {
		t.Fatalf("no bind(%s, …) = 0 line in the trace:\n%s", sock[1], text)
	}
}
