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
// oracle) and inside netbox; the outputs must be equal line for line.
func TestFidelityDiff(t *testing.T) {
	srcs, err := filepath.Glob(filepath.Join(testenv.Root(), "testdata", "diff", "*.c"))
	if err != nil || len(srcs) == 0 {
		t.Fatalf("no programs in testdata/diff: %v", err)
	}
	devs := loadDeviations(t, filepath.Join(testenv.Root(), "testdata", "diff", "deviations.txt"))
	for _, src := range srcs {
		name := strings.TrimSuffix(filepath.Base(src), ".c")
		t.Run(name, func(t *testing.T) {
			bin := testenv.CompileC(t, filepath.Join("diff", name+".c"))
			native := testenv.Native(t, 60*time.Second, bin)
			if native.Code != 0 {
				t.Fatalf("native run failed (%d): %s", native.Code, native.Stderr)
			}
			got := testenv.InNetbox(t, 60*time.Second, nil, bin)
			if d := testenv.DiffExcept(native.Stdout, got.Stdout, devs[name]); d != "" {
				t.Errorf("netbox differs from Linux:\n%s\nnetbox stderr:\n%s", d, got.Stderr)
			}
			for l := range devs[name] {
				if !testenv.LabelDiffers(native.Stdout, got.Stdout, l) {
					t.Errorf("deviation %q is listed in deviations.txt but netbox now matches Linux: remove it", l)
				}
			}
			if got.Code != native.Code {
				t.Errorf("exit status: linux %d, netbox %d", native.Code, got.Code)
			}
		})
	}
}

// loadDeviations reads the known differences: program → labels.
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
		devs[parts[0]][parts[1]] = true
	}
	return devs
}
