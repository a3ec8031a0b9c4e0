package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestStatus(t *testing.T) {
	byProg := map[string]map[string]result{
		"same":  {"fastpath": {NativeOK: true}, "netstack": {NativeOK: true}},
		"dev":   {"fastpath": {NativeOK: true, Listed: 2}, "netstack": {NativeOK: true}},
		"diff":  {"fastpath": {NativeOK: true}, "netstack": {NativeOK: true, Unexpected: 1}},
		"half":  {"fastpath": {NativeOK: true}},
		"nolin": {"fastpath": {}, "netstack": {}},
	}
	for _, tc := range []struct {
		progs []string
		want  string
	}{
		{nil, "untested"},
		{[]string{"same"}, "holds"},
		{[]string{"same", "dev"}, "deviations"},
		{[]string{"dev", "diff"}, "fails"},
		{[]string{"half"}, "fails"},
		{[]string{"nolin"}, "fails"},
	} {
		if got := status(tc.progs, byProg); got != tc.want {
			t.Errorf("status(%v) = %q, want %q", tc.progs, got, tc.want)
		}
	}
	if got := worst([]string{"same", "dev"}, "fastpath", byProg); got != "same, 2 listed deviations" {
		t.Errorf("worst = %q", got)
	}
}

func TestReadCoverage(t *testing.T) {
	dir := t.TempDir()
	items := []item{{"CMSG-01", "a", "x"}, {"CMSG-02", "a", "y"}}
	write := func(name, text string) {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("a.c", "/* a */\n/* spec: CMSG-01 CMSG-02 */\nint main;\n")
	write("b.c", "/* spec: CMSG-02 */\n")
	covers, err := readCoverage(dir, items)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(covers["CMSG-02"], ",") != "a,b" || len(covers["CMSG-01"]) != 1 {
		t.Errorf("coverage %v", covers)
	}
	write("c.c", "/* spec: CMSG-99 */\n")
	if _, err := readCoverage(dir, items); err == nil {
		t.Error("an unknown item was accepted")
	}
}
