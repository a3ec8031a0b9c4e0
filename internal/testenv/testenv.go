// Package testenv builds what the end-to-end tests run: the netbox binary
// and the C programs of testdata/, and runs programs natively (in a
// private network namespace, the oracle) and inside netbox.
package testenv

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"
)

// Root is the repository's top directory.
func Root() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Clean(filepath.Join(filepath.Dir(file), "..", ".."))
}

var (
	buildOnce sync.Once
	buildDir  string
	buildErr  error
	netboxBin string
)

// Netbox returns the path of a netbox binary built from this tree.
func Netbox(t testing.TB) string {
	t.Helper()
	buildOnce.Do(func() {
		buildDir, buildErr = os.MkdirTemp("", "netbox-test-")
		if buildErr != nil {
			return
		}
		netboxBin = filepath.Join(buildDir, "netbox")
		args := []string{"build", "-o", netboxBin}
		if os.Getenv("NETBOX_TEST_RACE") != "" {
			// The race detector in the supervisor, for every test that
			// runs it; a race report makes netbox exit 66.
			args = append(args, "-race")
		}
		cmd := exec.Command("go", append(args, "./cmd/netbox")...)
		cmd.Dir = Root()
		if os.Getenv("NETBOX_TEST_RACE") != "" {
			cmd.Env = append(os.Environ(), "CGO_ENABLED=1")
		}
		if out, err := cmd.CombinedOutput(); err != nil {
			buildErr = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return netboxBin
}

var (
	ccMu    sync.Mutex
	ccBuilt = map[string]string{}
)

// CompileC compiles testdata/<rel> (a C file) once and returns the binary.
func CompileC(t testing.TB, rel string, extra ...string) string {
	t.Helper()
	Netbox(t) // makes buildDir
	ccMu.Lock()
	defer ccMu.Unlock()
	if p, ok := ccBuilt[rel]; ok {
		return p
	}
	src := filepath.Join(Root(), "testdata", rel)
	out := filepath.Join(buildDir, strings.TrimSuffix(filepath.Base(rel), ".c"))
	args := append([]string{"-O1", "-Wall", "-Werror", "-pthread", "-o", out, src}, extra...)
	if b, err := exec.Command("gcc", args...).CombinedOutput(); err != nil {
		t.Fatalf("gcc %s: %v\n%s", rel, err, b)
	}
	ccBuilt[rel] = out
	return out
}

// Result is what a run printed and how it ended.
type Result struct {
	Stdout, Stderr string
	Code           int
}

// run runs argv with a time limit, killing it (and its group) on expiry.
func run(t testing.TB, limit time.Duration, dir string, argv ...string) Result {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), limit)
	defer cancel()
	cmd := exec.CommandContext(ctx, argv[0], argv[1:]...)
	cmd.Dir = dir
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	r := Result{Stdout: stdout.String(), Stderr: stderr.String()}
	if ee, ok := err.(*exec.ExitError); ok {
		r.Code = ee.ExitCode()
	} else if err != nil {
		t.Fatalf("run %v: %v", argv, err)
	}
	if ctx.Err() != nil {
		t.Fatalf("run %v: timed out after %v\nstdout:\n%s\nstderr:\n%s", argv, limit, r.Stdout, r.Stderr)
	}
	return r
}

// Native runs argv on Linux itself, in a fresh network namespace that has
// only lo (up), the same view netbox gives.
func Native(t testing.TB, limit time.Duration, argv ...string) Result {
	t.Helper()
	script := `ip link set lo up && exec "$@"`
	return run(t, limit, filepath.Dir(argv[0]), append([]string{"unshare", "-n", "sh", "-c", script, "sh"}, argv...)...)
}

// InNetbox runs argv inside netbox.
func InNetbox(t testing.TB, limit time.Duration, flags []string, argv ...string) Result {
	t.Helper()
	args := append([]string{Netbox(t), "run"}, flags...)
	args = append(args, "--")
	return run(t, limit, filepath.Dir(argv[0]), append(args, argv...)...)
}

// Diff compares two outputs line by line and describes the differences,
// or returns "" when they are equal.
func Diff(want, got string) string {
	d, _ := DiffExcept(want, got, nil)
	return d
}

// DiffExcept is Diff, ignoring lines whose label (the text before ": " in
// want's line) is a known deviation (a key of known). The outputs must
// still have the same number of lines. It also returns how many lines
// differ.
func DiffExcept(want, got string, known map[string]bool) (string, int) {
	w := strings.Split(strings.TrimRight(want, "\n"), "\n")
	g := strings.Split(strings.TrimRight(got, "\n"), "\n")
	var b strings.Builder
	n := max(len(w), len(g))
	bad := 0
	for i := 0; i < n; i++ {
		var wl, gl string
		if i < len(w) {
			wl = w[i]
		}
		if i < len(g) {
			gl = g[i]
		}
		isKnown := Listed(known, label(wl))
		if wl != gl && !(isKnown && i < len(w) && i < len(g) && label(wl) == label(gl)) {
			bad++
			if bad <= 40 {
				fmt.Fprintf(&b, "line %d:\n  linux:  %s\n  netbox: %s\n", i+1, wl, gl)
			}
		}
	}
	if bad == 0 {
		return "", 0
	}
	return fmt.Sprintf("%d of %d lines differ\n%s", bad, n, b.String()), bad
}

// LabelDiffers reports whether some line labelled l (or, when l is a
// pattern, a label it matches) differs between the two outputs.
func LabelDiffers(want, got, l string) bool {
	w := strings.Split(want, "\n")
	g := strings.Split(got, "\n")
	for i, wl := range w {
		if labelMatches(l, label(wl)) && (i >= len(g) || g[i] != wl) {
			return true
		}
	}
	return false
}

// Listed reports whether a line's label is a key of known or matches one
// that is a pattern ("*" stands for any run of characters, as in
// path.Match): one entry then lists every line of a family, such as all
// the lines about an option netbox does not serve.
func Listed(known map[string]bool, l string) bool {
	if _, ok := known[l]; ok {
		return true
	}
	for k := range known {
		if strings.Contains(k, "*") && labelMatches(k, l) {
			return true
		}
	}
	return false
}

func labelMatches(pattern, l string) bool {
	if !strings.Contains(pattern, "*") {
		return pattern == l
	}
	ok, err := path.Match(pattern, l)
	return err == nil && ok
}

// label is what names an output line: the text before ": ", or before
// "=" in a "name=value" line.
func label(line string) string {
	if i := strings.Index(line, ": "); i >= 0 {
		return line[:i]
	}
	if i := strings.Index(line, "="); i >= 0 {
		return line[:i]
	}
	return line
}

// Shell runs a shell script on the host, with args as $1…, in dir.
func Shell(t testing.TB, limit time.Duration, dir, script string, args ...string) Result {
	t.Helper()
	return run(t, limit, dir, append([]string{"sh", "-c", script, "sh"}, args...)...)
}
