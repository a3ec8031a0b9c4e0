package sentry

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"

	"golang.org/x/sys/unix"

	"gvisor.dev/gvisor/pkg/tcpip"
	"gvisor.dev/gvisor/pkg/tcpip/link/ethernet"
	"gvisor.dev/gvisor/pkg/tcpip/link/fdbased"
	"gvisor.dev/gvisor/pkg/tcpip/link/pipe"

	"github.com/netbox-sandbox/netbox/netstack/nat"
)

// natMTU is eth0's MTU on the NAT's link, which no wire limits: the
// largest IP packet less a TCP/IP header's worth, as slirp4netns
// recommends and rootless container runtimes use (the NAT's TCP runs at
// 11 Gbit/s with it, 0.8 with Ethernet's 1500).
const natMTU = 65520

// natFDEnv names, for a netbox started by RunInOwnUserNS, the fd of its
// eth0: a socket whose other end is the user-mode NAT of the netbox that
// started it.
const natFDEnv = "NETBOX_NAT_FD"

// startNAT joins eth0 (cfg.Stack.Eth0, which must be set) to a user-mode
// NAT through an in-process Ethernet pipe. The NAT's goroutines make
// their host sockets on netbox's unlocked threads, which stay in the
// namespace netbox was started in. A netbox that runs in a network
// namespace of its own (unprivileged) takes the socket its parent's NAT
// left it instead, and returns a nil NAT.
func startNAT(cfg *Config) (*nat.NAT, error) {
	if v := os.Getenv(natFDEnv); v != "" {
		fd, err := strconv.Atoi(v)
		if err != nil || fd < 3 {
			return nil, fmt.Errorf("sentry: %s=%q: not an fd", natFDEnv, v)
		}
		unix.CloseOnExec(fd)
		unix.SetNonblock(fd, true)
		cfg.Stack.Eth0.FD, cfg.Stack.Eth0.MTU = fd, natMTU
		return nil, nil
	}
	if os.Getenv(userNSEnv) != "" {
		return nil, fmt.Errorf("--net=user: no NAT to join (%s unset)", natFDEnv)
	}
	natMAC, err := RandomMAC()
	if err != nil {
		return nil, err
	}
	link := cfg.Stack.Eth0
	sandboxEnd, natEnd := pipe.New(tcpip.LinkAddress(link.MAC[:]), tcpip.LinkAddress(natMAC[:]), natMTU)
	link.Endpoint = ethernet.New(sandboxEnd)
	n, err := nat.New(ethernet.New(natEnd), *cfg.NAT)
	if err != nil {
		return nil, fmt.Errorf("sentry: %w", err)
	}
	return n, nil
}

// startLinkedNAT runs a user-mode NAT in this process on one end of a
// socket pair (Ethernet frames, one per message) and returns the other
// end, for a netbox in another network namespace to drive as eth0.
func startLinkedNAT(cfg *nat.Config) (link *os.File, stop func(), err error) {
	fds, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_SEQPACKET|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return nil, nil, fmt.Errorf("sentry: NAT link: %w", err)
	}
	for _, fd := range fds {
		unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_SNDBUF, 4<<20)
		unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_RCVBUF, 4<<20)
	}
	unix.SetNonblock(fds[0], true)
	natMAC, err := RandomMAC()
	if err != nil {
		unix.Close(fds[0])
		unix.Close(fds[1])
		return nil, nil, err
	}
	ep, err := fdbased.New(&fdbased.Options{FDs: []int{fds[0]}, MTU: natMTU, EthernetHeader: true, Address: tcpip.LinkAddress(natMAC[:])})
	if err != nil {
		unix.Close(fds[0])
		unix.Close(fds[1])
		return nil, nil, fmt.Errorf("sentry: NAT link: %s", err)
	}
	n, err := nat.New(ep, *cfg)
	if err != nil {
		unix.Close(fds[1])
		return nil, nil, fmt.Errorf("sentry: %w", err)
	}
	return os.NewFile(uintptr(fds[1]), "netbox-nat-link"), n.Close, nil
}

// resolvConf writes the sandbox's /etc/resolv.conf, naming the gateway's
// DNS forwarder, in a directory of its own; the init bind-mounts it over
// the host's (a memfd cannot be: it is on no mount of the init's
// namespace). remove deletes it once the sandbox has ended.
func resolvConf(cfg *nat.Config) (path string, remove func(), err error) {
	dir, err := os.MkdirTemp("", "netbox-resolv-")
	if err != nil {
		return "", nil, fmt.Errorf("sentry: resolv.conf: %w", err)
	}
	remove = func() { os.RemoveAll(dir) }
	path = filepath.Join(dir, "resolv.conf")
	text := fmt.Sprintf("# netbox --net=user: the gateway's DNS forwarder\nnameserver %v\n", cfg.Gateway)
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		remove()
		return "", nil, fmt.Errorf("sentry: resolv.conf: %w", err)
	}
	return path, remove, nil
}
