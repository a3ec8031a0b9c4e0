package abi

import (
	"bytes"
	"strings"
	"testing"

	"golang.org/x/sys/unix"
)

func TestProcNetFile(t *testing.T) {
	for _, c := range []struct {
		path, name string
		ok         bool
	}{
		{"/proc/net/tcp", "tcp", true},
		{"/proc/self/net/udp6", "udp6", true},
		{"/proc/thread-self/net/snmp", "snmp", true},
		{"/proc/1234/net/tcp", "tcp", true},
		{"/proc/1234/task/1235/net/sockstat", "sockstat", true},
		{"/proc/./net/../net//udp", "udp", true},
		{"//proc/net/tcp", "tcp", true},
		{"/proc/../proc/net/tcp", "tcp", true},
		{"/proc/net", "", false},
		{"/proc/net/", "", false},
		{"/proc/net/tcp/", "", false},
		{"/proc/net/tcp/.", "", false},
		{"/proc/net/tcp/..", "", false},
		{"/proc/net/stat/rt_cache", "", false},
		{"/proc/0123/net/tcp", "", false},
		{"/proc/12a/net/tcp", "", false},
		{"/proc/self/task/1/net/tcp", "", false},
		{"/proc/1/task/self/net/tcp", "", false},
		{"proc/net/tcp", "", false},
		{"/sys/proc/net/tcp", "", false},
		{"/procnet/tcp", "", false},
		{"", "", false},
	} {
		name, ok := ProcNetFile(c.path)
		if name != c.name || ok != c.ok {
			t.Errorf("ProcNetFile(%q) = %q, %v; want %q, %v", c.path, name, ok, c.name, c.ok)
		}
	}
}

func TestCopyInPath(t *testing.T) {
	page := make([]byte, 2*pageSize)
	m := newMem()
	m.mapRegion(fuzzBase, page)
	copy(page[pageSize-4:], "/pro")
	copy(page[pageSize:], "c/net/tcp\x00")
	page[len(page)-1] = 'x'
	if p, err := CopyInPath(m, fuzzBase+pageSize-4); p != "/proc/net/tcp" || err != nil {
		t.Errorf("across a page: %q, %v", p, err)
	}
	if _, err := CopyInPath(m, fuzzBase+2*pageSize-1); err != unix.EFAULT {
		t.Errorf("unterminated at the end of the mapping: %v, want EFAULT", err)
	}
	if _, err := CopyInPath(m, fuzzBase+pageSize+9); err != unix.ENOENT {
		t.Errorf("empty: %v, want ENOENT", err)
	}
	if _, err := CopyInPath(m, 0); err != unix.EFAULT {
		t.Errorf("NULL: %v, want EFAULT", err)
	}
	long := bytes.Repeat([]byte("a"), PathMax)
	m.mapRegion(fuzzBase2, append(long, 0))
	if _, err := CopyInPath(m, fuzzBase2); err != unix.ENAMETOOLONG {
		t.Errorf("PATH_MAX bytes: %v, want ENAMETOOLONG", err)
	}
	if p, err := CopyInPath(m, fuzzBase2+1); len(p) != PathMax-1 || err != nil {
		t.Errorf("PATH_MAX-1 bytes: %d, %v", len(p), err)
	}
}

// FuzzPath: CopyInPath and ProcNetFile with random memory and pointers.
// Memory is mapped in whole pages, as a process's is.
func FuzzPath(f *testing.F) {
	f.Add([]byte("/proc/net/tcp\x00"), uint64(0))
	f.Add([]byte("/proc/self/../1/task/2/net/udp\x00"), uint64(3))
	f.Add(bytes.Repeat([]byte("/"), 5000), uint64(0))
	f.Add([]byte{}, uint64(1<<63|2))
	f.Fuzz(func(t *testing.T, image []byte, ptr uint64) {
		image = clampImage(bytes.Clone(image))
		size := (len(image) + pageSize - 1) / pageSize * pageSize
		if size == 0 {
			size = pageSize
		}
		mem := make([]byte, size)
		copy(mem, image)
		m := newMem()
		m.mapRegion(fuzzBase, mem)
		addr := fuzzAddr(ptr, len(mem))
		p, err := CopyInPath(m, addr)
		checkErr(t, "CopyInPath", err, unix.EFAULT, unix.ENAMETOOLONG, unix.ENOENT)
		// The oracle: the C string at addr within the mapping.
		var want string
		var wantErr error = unix.EFAULT
		if addr >= fuzzBase && addr < fuzzBase+uint64(len(mem)) {
			rest := mem[addr-fuzzBase:]
			switch i := bytes.IndexByte(rest, 0); {
			case i < 0 && len(rest) >= PathMax, i >= PathMax:
				wantErr = unix.ENAMETOOLONG
			case i < 0:
				wantErr = unix.EFAULT
			case i == 0:
				wantErr = unix.ENOENT
			default:
				want, wantErr = string(rest[:i]), nil
			}
		}
		if p != want || err != wantErr {
			t.Fatalf("CopyInPath(%#x) = %q, %v; want %q, %v", addr, p, err, want, wantErr)
		}
		if name, ok := ProcNetFile(p); ok && (name == "" || strings.Contains(name, "/") || name == "." || name == "..") {
			t.Fatalf("ProcNetFile(%q) = %q", p, name)
		}
	})
}
