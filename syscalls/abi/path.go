package abi

import (
	"bytes"
	"path"
	"strings"

	"golang.org/x/sys/unix"
)

// PathMax is PATH_MAX: the longest path, its NUL included, that
// getname accepts.
const PathMax = 4096

// pageSize is the granule of a read that must not cross into an unmapped
// page the string does not reach.
const pageSize = 4096

// CopyInPath reads the NUL-terminated path at addr, as getname does:
// EFAULT when the bytes up to the NUL are not all readable, ENAMETOOLONG
// when no NUL comes within PathMax bytes, ENOENT for the empty path.
// It reads page by page, so a short path at the end of a mapping reads
// nothing past it.
func CopyInPath(m Reader, addr uint64) (string, error) {
	var buf []byte
	for len(buf) < PathMax {
		n := pageSize - int(addr%pageSize)
		if first := len(buf) == 0; first && n > 256 {
			n = 256 // most paths are short: one small read
		}
		n = min(n, PathMax-len(buf))
		chunk := make([]byte, n)
		if addr+uint64(n) < addr {
			return "", unix.EFAULT
		}
		if err := m.ReadMem(addr, chunk); err != nil {
			return "", unix.EFAULT
		}
		if i := bytes.IndexByte(chunk, 0); i >= 0 {
			buf = append(buf, chunk[:i]...)
			if len(buf) == 0 {
				return "", unix.ENOENT
			}
			return string(buf), nil
		}
		buf = append(buf, chunk...)
		addr += uint64(n)
	}
	return "", unix.ENAMETOOLONG
}

// ProcNetFile reports which file of a /proc/PID/net directory the
// absolute path p names: /proc/net/NAME, /proc/self/net/NAME,
// /proc/thread-self/net/NAME, /proc/PID/net/NAME or
// /proc/PID/task/TID/net/NAME, after lexical cleaning ("." and ".."
// components, repeated slashes). A path through other symbolic links is
// not recognised, nor one that ends as a directory's would ("/", "/.",
// "/..").
func ProcNetFile(p string) (name string, ok bool) {
	if !strings.HasPrefix(p, "/") {
		return "", false
	}
	// A file named as a directory (a trailing "/", "/." or "/..") is
	// ENOTDIR (or another file): the kernel's to say.
	if last := p[strings.LastIndexByte(p, '/')+1:]; last == "" || last == "." || last == ".." {
		return "", false
	}
	p = path.Clean(p)
	rest, ok := strings.CutPrefix(p, "/proc/")
	if !ok {
		return "", false
	}
	parts := strings.Split(rest, "/")
	switch {
	case len(parts) == 2 && parts[0] == "net":
	case len(parts) == 3 && parts[1] == "net" && (parts[0] == "self" || parts[0] == "thread-self" || isPID(parts[0])):
	case len(parts) == 5 && isPID(parts[0]) && parts[1] == "task" && isPID(parts[2]) && parts[3] == "net":
	default:
		return "", false
	}
	return parts[len(parts)-1], true
}

// isPID reports whether s is a /proc directory name of a process: a
// decimal number without a leading zero.
func isPID(s string) bool {
	if s == "" || len(s) > 10 || s[0] == '0' {
		return false
	}
	for _, c := range []byte(s) {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}
