package main

import (
	"bufio"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/netbox-sandbox/netbox/internal/testenv"
)

// TestFidelityDiff runs each program of testdata/diff natively (the
// oracle) and inside netbox, in both loopback modes; the outputs must be
// equal line for line, except for the deviations listed for that mode.
//
// With NETBOX_FIDELITY_JSON set, it also writes what each program showed
// there (`make fidelity` turns that into docs/fidelity.md).
func TestFidelityDiff(t *testing.T) {
	var results []fidelityResult
	if out := os.Getenv("NETBOX_FIDELITY_JSON"); out != "" {
		t.Cleanup(func() {
			b, err := json.MarshalIndent(results, "", "  ")
			if err == nil {
				err = os.WriteFile(out, b, 0o644)
			}
			if err != nil {
				t.Errorf("writing %s: %v", out, err)
			}
		})
	}
	for _, mode := range []struct{ name, flag, devs string }{
		{"fastpath", "--loopback=fastpath", "deviations.txt"},
		{"netstack", "--loopback=netstack", "deviations-netstack.txt"},
	} {
		t.Run(mode.name, func(t *testing.T) {
			fidelityDiff(t, mode.flag, mode.devs, func(r fidelityResult) {
				r.Mode = mode.name
				results = append(results, r)
			})
		})
	}
}

// fidelityResult is what one differential program showed in one mode
// (the format internal/fidelity reads).
type fidelityResult struct {
	Mode        string // loopback mode
	Program     string
	NativeOK    bool // the program ran to completion natively
	NativeLines int
	// Unexpected counts the lines where netbox differs from Linux and no
	// deviation is listed; Listed the listed deviations that showed.
	Unexpected int
	Listed     int
}

func fidelityDiff(t *testing.T, flag, devFile string, record func(fidelityResult)) {
	srcs, err := filepath.Glob(filepath.Join(testenv.Root(), "testdata", "diff", "*.c"))
	if err != nil || len(srcs) == 0 {
		t.Fatalf("no programs in testdata/diff: %v", err)
	}
	devs := loadDeviations(t, filepath.Join(testenv.Root(), "testdata", "diff", devFile))
	for _, src := range srcs {
		name := strings.TrimSuffix(filepath.Base(src), ".c")
		t.Run(name, func(t *testing.T) {
			res := fidelityResult{Program: name}
			defer func() { record(res) }()
			bin := testenv.CompileC(t, filepath.Join("diff", name+".c"))
			native := testenv.Native(t, 60*time.Second, bin)
			if native.Code != 0 {
				t.Fatalf("native run failed (%d): %s", native.Code, native.Stderr)
			}
			res.NativeOK = true
			res.NativeLines = strings.Count(native.Stdout, "\n")
			got := testenv.InNetbox(t, 60*time.Second, []string{flag}, bin)
			if d, n := testenv.DiffExcept(native.Stdout, got.Stdout, devs[name]); n > 0 {
				res.Unexpected = n
				// The first difference on the error's own line, so that a
				// log cut to its first lines still says what differed.
				first := strings.SplitN(d, "\n", 5)
				t.Errorf("netbox differs from Linux: %s\n%s\nnetbox stderr:\n%s", strings.Join(first[:min(4, len(first))], " | "), d, got.Stderr)
			}
			for l, racy := range devs[name] {
				differs := testenv.LabelDiffers(native.Stdout, got.Stdout, l)
				if differs {
					res.Listed++
				}
				if !racy && !differs {
					t.Errorf("deviation %q is listed in %s but netbox now matches Linux: remove it", l, devFile)
				}
			}
			if got.Code != native.Code {
				res.Unexpected++
				t.Errorf("exit status: linux %d, netbox %d", native.Code, got.Code)
			}
		})
	}
}

// loadDeviations reads the known differences: program → label → whether
// the difference is racy (its reason starts with "racy:": it may or may
// not show in a run). Every other listed line must differ.
func loadDeviations(t *testing.T, path string) map[string]map[string]bool {
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	devs := make(map[string]map[string]bool)
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		parts := strings.Split(line, "\t")
		if len(parts) != 3 || parts[2] == "" {
			t.Fatalf("%s: want program<TAB>label<TAB>reason: %q", path, line)
		}
		if devs[parts[0]] == nil {
			devs[parts[0]] = make(map[string]bool)
		}
		devs[parts[0]][parts[1]] = strings.HasPrefix(parts[2], "racy:")
	}
	return devs
}
