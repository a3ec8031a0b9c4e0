package vswitch

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"time"

	"golang.org/x/sys/unix"
)

// RuntimeDirEnv, when set, is the directory of the networks' sockets.
const RuntimeDirEnv = "NETBOX_RUNTIME_DIR"

// Dir is the directory of the networks' sockets: $NETBOX_RUNTIME_DIR,
// else /run/netbox/net for root, else $XDG_RUNTIME_DIR/netbox/net, else
// a directory of the user's under /tmp.
func Dir() string {
	if d := os.Getenv(RuntimeDirEnv); d != "" {
		return d
	}
	if os.Geteuid() == 0 {
		return "/run/netbox/net"
	}
	if d := os.Getenv("XDG_RUNTIME_DIR"); d != "" {
		return filepath.Join(d, "netbox", "net")
	}
	return filepath.Join(os.TempDir(), fmt.Sprintf("netbox-%d", os.Geteuid()), "net")
}

// SocketPath is network name's socket.
func SocketPath(name string) (string, error) {
	if err := CheckName(name); err != nil {
		return "", err
	}
	return filepath.Join(Dir(), name+".sock"), nil
}

// CheckName says whether name can name a network.
func CheckName(name string) error {
	if name == "" || len(name) > 32 || name == "none" || name == "user" ||
		strings.ContainsAny(name, "/:. ") {
		return fmt.Errorf("network name %q: want 1 to 32 characters, none of '/:. ', not none or user", name)
	}
	return nil
}

// GSOMaxSize is what a member's eth0 hands the switch whole (host GSO
// over the virtio-net headers; the checksums of such segments are left to
// finish, so members do not check the checksums of what they receive).
const GSOMaxSize = 65536

// Member is what a sandbox got when it joined a network.
type Member struct {
	// FD is the connection to the switch (SOCK_SEQPACKET, one frame per
	// message); the caller owns it.
	FD      int
	Name    string
	IP, IP6 netip.Prefix // IP6 is invalid on a network without IPv6
	MTU     uint32
}

// Join connects to the network's switch at path as member name (empty:
// the switch names it after its address), asking for address ip (empty:
// the switch chooses).
func Join(path, name, ip string) (*Member, error) {
	fd, rep, err := call(path, request{Join: true, Name: name, IP: ip}, true)
	if err != nil {
		return nil, err
	}
	m := &Member{FD: fd, Name: rep.Name, MTU: rep.MTU}
	m.IP, err = netip.ParsePrefix(rep.IP)
	if err == nil && rep.IP6 != "" {
		m.IP6, err = netip.ParsePrefix(rep.IP6)
	}
	if err != nil || m.MTU == 0 || rep.VnetHdr != vnetHdrLen {
		unix.Close(fd)
		return nil, fmt.Errorf("network %s: bad answer %+v", path, rep)
	}
	return m, nil
}

// Ctl sends a control command to the switch at path and returns its
// answer.
func Ctl(path string, args []string) (string, error) {
	_, rep, err := call(path, request{Ctl: args}, false)
	if err != nil {
		return "", err
	}
	return rep.Out, nil
}

// call sends req and reads the reply; keep says whether the connection
// stays open (its fd is returned) after a good answer.
func call(path string, req request, keep bool) (int, reply, error) {
	var rep reply
	fd, err := unix.Socket(unix.AF_UNIX, unix.SOCK_SEQPACKET|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return -1, rep, fmt.Errorf("network %s: %w", path, err)
	}
	ok := false
	defer func() {
		if !ok {
			unix.Close(fd)
		}
	}()
	if err := unix.Connect(fd, &unix.SockaddrUnix{Name: path}); err != nil {
		if errors.Is(err, unix.ENOENT) || errors.Is(err, unix.ECONNREFUSED) {
			return -1, rep, fmt.Errorf("network %s: no switch there (netbox net create?): %w", path, err)
		}
		return -1, rep, fmt.Errorf("network %s: %w", path, err)
	}
	tv := unix.NsecToTimeval((10 * time.Second).Nanoseconds())
	unix.SetsockoptTimeval(fd, unix.SOL_SOCKET, unix.SO_RCVTIMEO, &tv)
	b, _ := json.Marshal(req)
	if _, err := unix.Write(fd, b); err != nil {
		return -1, rep, fmt.Errorf("network %s: %w", path, err)
	}
	buf := make([]byte, 1<<16)
	n, err := unix.Read(fd, buf)
	if err != nil || n <= 0 {
		return -1, rep, fmt.Errorf("network %s: no answer: %v", path, err)
	}
	if err := json.Unmarshal(buf[:n], &rep); err != nil {
		return -1, rep, fmt.Errorf("network %s: bad answer: %w", path, err)
	}
	if rep.Error != "" {
		return -1, rep, fmt.Errorf("network %s: %s", path, rep.Error)
	}
	if keep {
		tv = unix.Timeval{}
		unix.SetsockoptTimeval(fd, unix.SOL_SOCKET, unix.SO_RCVTIMEO, &tv)
		ok = true
		return fd, rep, nil
	}
	return -1, rep, nil
}
