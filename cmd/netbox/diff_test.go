package main

import (
	"bufio"
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
func TestFidelityDiff(t *testing.T) {
	for _, mode := range []struct{ name, flag, devs string }{
		{"fastpath", "--loopback=fastpath", "deviations.txt"},
		{"netstack", "--loopback=netstack", "deviations-netstack.txt"},
	} {
		t.Run(mode.name, func(t *testing.T) { fidelityDiff(t, mode.flag, mode.devs) })
	}
}

func fidelityDiff(t *testing.T, flag, devFile string) {
	srcs, err := filepath.Glob(filepath.Join(testenv.Root(), "testdata", "diff", "*.c"))
	if err != nil || len(srcs) == 0 {
		t.Fatalf("no programs in testdata/diff: %v", err)
	}
	devs := loadDeviations(t, filepath.Join(testenv.Root(), "testdata", "diff", devFile))
	for _, src := range srcs {
		name := strings.TrimSuffix(filepath.Base(src), ".c")
		t.Run(name, func(t *testing.T) {
			bin := testenv.CompileC(t, filepath.Join("diff", name+".c"))
			native := testenv.Native(t, 60*time.Second, bin)
			if native.Code != 0 {
				t.Fatalf("native run failed (%d): %s", native.Code, native.Stderr)
			}
			got := testenv.InNetbox(t, 60*time.Second, []string{flag}, bin)
			if d := testenv.DiffExcept(native.Stdout, got.Stdout, devs[name]); d != "" {
				t.Errorf("netbox differs from Linux:\n%s\nnetbox stderr:\n%s", d, got.Stderr)
			}
			for l, racy := range devs[name] {
				if !racy && !testenv.LabelDiffers(native.Stdout, got.Stdout, l) {
					t.Errorf("deviation %q is listed in %s but netbox now matches Linux: remove it", l, devFile)
				}
			}
			if got.Code != native.Code {
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
