package main

import (
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
	for _, src := range srcs {
		name := strings.TrimSuffix(filepath.Base(src), ".c")
		t.Run(name, func(t *testing.T) {
			bin := testenv.CompileC(t, filepath.Join("diff", name+".c"))
			native := testenv.Native(t, 60*time.Second, bin)
			if native.Code != 0 {
				t.Fatalf("native run failed (%d): %s", native.Code, native.Stderr)
			}
			got := testenv.InNetbox(t, 60*time.Second, nil, bin)
			if d := testenv.Diff(native.Stdout, got.Stdout); d != "" {
				t.Errorf("netbox differs from Linux:\n%s\nnetbox stderr:\n%s", d, got.Stderr)
			}
			if got.Code != native.Code {
				t.Errorf("exit status: linux %d, netbox %d", native.Code, got.Code)
			}
		})
	}
}
