package testenv

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// toolPackages names the Debian package that provides each external tool
// the end-to-end tests use.
var toolPackages = map[string]string{
	"python3":    "python3",
	"curl":       "curl",
	"iperf3":     "iperf3",
	"ip":         "iproute2",
	"ping":       "iputils-ping",
	"ss":         "iproute2",
	"netstat":    "net-tools",
	"tracepath":  "iputils-tracepath",
	"traceroute": "traceroute",
	"tcpdump":    "tcpdump",
	"radvd":      "radvd",
	"gcc":        "gcc",
	"go":         "golang-go",
	"sh":         "dash",
	"sleep":      "coreutils",
	"true":       "coreutils",
}

// RequireTool fails the test (it does not skip it) when tool is not on
// PATH, naming the Debian package that provides it, and returns its path.
func RequireTool(t testing.TB, tool string) string {
	t.Helper()
	p, err := exec.LookPath(tool)
	if err != nil {
		pkg := toolPackages[tool]
		if pkg == "" {
			pkg = "(unknown package)"
		}
		t.Fatalf("%s not found on PATH: install the Debian package %q (the Makefile's test dependencies do)", tool, pkg)
	}
	return p
}

// RunNetbox runs the netbox binary with exactly args (no "run" added) in
// dir ("" means the current directory), killing it after limit.
func RunNetbox(t testing.TB, limit time.Duration, dir string, args ...string) Result {
	t.Helper()
	return run(t, limit, dir, append([]string{Netbox(t)}, args...)...)
}

// Proc is a netbox process started in the background, whose stdout is read
// line by line.
type Proc struct {
	Cmd *exec.Cmd

	lines  chan string
	eof    chan struct{} // closed when stdout reaches EOF
	mu     sync.Mutex
	stdout bytes.Buffer // every line read so far
	stderr bytes.Buffer

	waitOnce sync.Once
}

// StartNetbox starts `netbox run FLAGS -- ARGV...` in the background. The
// process is killed (SIGKILL) and waited for when the test ends.
func StartNetbox(t testing.TB, flags []string, argv ...string) *Proc {
	t.Helper()
	args := append([]string{"run"}, flags...)
	args = append(args, "--")
	args = append(args, argv...)
	cmd := exec.Command(Netbox(t), args...)
	p := &Proc{Cmd: cmd, lines: make(chan string, 4096), eof: make(chan struct{})}
	// A pipe of our own for stdout, so that waiting for netbox never
	// waits for whatever else (a leaked sandbox process) holds it open.
	pr, pw, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stdout = pw
	cmd.Stderr = &lockedWriter{mu: &p.mu, b: &p.stderr}
	cmd.WaitDelay = 2 * time.Second // same for stderr, which exec copies
	err = cmd.Start()
	pw.Close()
	if err != nil {
		pr.Close()
		t.Fatalf("start netbox: %v", err)
	}
	go func() {
		defer close(p.eof)
		defer close(p.lines)
		sc := bufio.NewScanner(pr)
		for sc.Scan() {
			p.mu.Lock()
			p.stdout.WriteString(sc.Text() + "\n")
			p.mu.Unlock()
			select {
			case p.lines <- sc.Text():
			default: // nobody is waiting for lines; Stdout has them all
			}
		}
	}()
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		p.Wait()
		pr.Close()
	})
	return p
}

type lockedWriter struct {
	mu *sync.Mutex
	b  *bytes.Buffer
}

func (w *lockedWriter) Write(b []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.b.Write(b)
}

// Pid is the netbox process's pid.
func (p *Proc) Pid() int { return p.Cmd.Process.Pid }

// Stdout is every line of stdout read so far.
func (p *Proc) Stdout() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.stdout.String()
}

// Stderr is what the process wrote to stderr so far.
func (p *Proc) Stderr() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.stderr.String()
}

// WaitLine reads stdout lines until one equals want; it fails the test if
// stdout ends or limit passes first.
func (p *Proc) WaitLine(t testing.TB, want string, limit time.Duration) {
	t.Helper()
	timer := time.NewTimer(limit)
	defer timer.Stop()
	for {
		select {
		case l, ok := <-p.lines:
			if !ok {
				t.Fatalf("stdout ended before %q\nstdout:\n%s\nstderr:\n%s", want, p.Stdout(), p.Stderr())
			}
			if l == want {
				return
			}
		case <-timer.C:
			t.Fatalf("no %q on stdout within %v\nstdout:\n%s\nstderr:\n%s", want, limit, p.Stdout(), p.Stderr())
		}
	}
}

// Wait waits (once) for the process to end and returns its exit status
// (-1 if a signal killed netbox itself). It then waits up to 2 s more for
// the end of stdout, so that Stdout holds everything the program printed.
func (p *Proc) Wait() int {
	p.waitOnce.Do(func() {
		_ = p.Cmd.Wait() // the status is in ProcessState
		select {
		case <-p.eof:
		case <-time.After(2 * time.Second):
		}
	})
	return p.Cmd.ProcessState.ExitCode()
}

// WaitTimeout waits for the process to end, failing the test (the process
// is then killed by the cleanup) if it is still running after limit.
func (p *Proc) WaitTimeout(t testing.TB, limit time.Duration) int {
	t.Helper()
	ch := make(chan int, 1)
	go func() { ch <- p.Wait() }()
	select {
	case code := <-ch:
		return code
	case <-time.After(limit):
		_ = p.Cmd.Process.Kill()
		<-ch
		t.Fatalf("netbox still running after %v\nstdout:\n%s\nstderr:\n%s", limit, p.Stdout(), p.Stderr())
		return 0
	}
}

// ProcStat is what the tests need from /proc/PID/stat.
type ProcStat struct {
	Pid, PPid int
	Comm      string
	State     byte
	StartTime uint64 // clock ticks after boot; tells a reused pid apart
}

// ReadProcStat parses /proc/PID/stat.
func ReadProcStat(pid int) (ProcStat, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return ProcStat{}, err
	}
	s := string(b)
	// comm is in parentheses and may hold spaces and parentheses itself.
	open, closing := strings.IndexByte(s, '('), strings.LastIndexByte(s, ')')
	if open < 0 || closing < open {
		return ProcStat{}, fmt.Errorf("/proc/%d/stat: malformed %q", pid, s)
	}
	f := strings.Fields(s[closing+1:])
	// f[0] is field 3 (state), f[1] field 4 (ppid), f[19] field 22 (starttime).
	if len(f) < 20 {
		return ProcStat{}, fmt.Errorf("/proc/%d/stat: short %q", pid, s)
	}
	ppid, err := strconv.Atoi(f[1])
	if err != nil {
		return ProcStat{}, err
	}
	st, err := strconv.ParseUint(f[19], 10, 64)
	if err != nil {
		return ProcStat{}, err
	}
	return ProcStat{Pid: pid, PPid: ppid, Comm: s[open+1 : closing], State: f[0][0], StartTime: st}, nil
}

// Descendants returns every live process whose chain of parents leads to
// root (root itself excluded), found by walking /proc/*/stat.
func Descendants(root int) ([]ProcStat, error) {
	ents, err := os.ReadDir("/proc")
	if err != nil {
		return nil, err
	}
	all := map[int]ProcStat{}
	for _, e := range ents {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		st, err := ReadProcStat(pid)
		if err != nil {
			continue // gone meanwhile
		}
		all[pid] = st
	}
	var out []ProcStat
	for pid, st := range all {
		for p, seen := st.PPid, 0; p > 1 && seen < 4096; seen++ {
			if p == root {
				out = append(out, all[pid])
				break
			}
			parent, ok := all[p]
			if !ok {
				break
			}
			p = parent.PPid
		}
	}
	return out, nil
}

// GoBuildStatic writes src as main.go of a fresh module in a temporary
// directory and builds it with CGO_ENABLED=0; it returns the binary.
func GoBuildStatic(t testing.TB, name, src string) string {
	t.Helper()
	RequireTool(t, "go")
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "go.mod"), []byte("module example.com/"+name+"\n\ngo 1.22\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "main.go"), []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	bin := filepath.Join(dir, name)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "go", "build", "-o", bin, ".")
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOFLAGS=-mod=mod", "GOWORK=off")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build %s: %v\n%s", name, err, out)
	}
	return bin
}

// WriteScript writes text to an executable file in a temporary directory.
func WriteScript(t testing.TB, name, text string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, []byte(text), 0o755); err != nil {
		t.Fatal(err)
	}
	return p
}
