package sentry

import (
	"fmt"
	"os"
	"path/filepath"

	"gvisor.dev/gvisor/pkg/tcpip"
	"gvisor.dev/gvisor/pkg/tcpip/link/ethernet"
	"gvisor.dev/gvisor/pkg/tcpip/link/pipe"

	"github.com/netbox-sandbox/netbox/netstack/nat"
)

// ethMTU is eth0's MTU on the NAT's link (Ethernet's).
const ethMTU = 1500

// startNAT joins eth0 (cfg.Stack.Eth0, which must be set) to a user-mode
// NAT through an in-process Ethernet pipe. The NAT's goroutines make
// their host sockets on netbox's unlocked threads, which stay in the
// namespace netbox was started in.
func startNAT(cfg *Config) (*nat.NAT, error) {
	if NeedsOwnUserNS() || os.Getenv(userNSEnv) != "" {
		return nil, fmt.Errorf("--net=user: the NAT must run in the caller's network namespace, which unprivileged netbox leaves; run as root")
	}
	natMAC, err := RandomMAC()
	if err != nil {
		return nil, err
	}
	link := cfg.Stack.Eth0
	sandboxEnd, natEnd := pipe.New(tcpip.LinkAddress(link.MAC[:]), tcpip.LinkAddress(natMAC[:]), ethMTU)
	link.Endpoint = ethernet.New(sandboxEnd)
	n, err := nat.New(ethernet.New(natEnd), *cfg.NAT)
	if err != nil {
		return nil, fmt.Errorf("sentry: %w", err)
	}
	return n, nil
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
