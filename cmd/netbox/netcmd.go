package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"net/netip"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"sort"
	"strings"
	"syscall"
	"time"

	"github.com/netbox-sandbox/netbox/netstack/pcap"
	"github.com/netbox-sandbox/netbox/netstack/vswitch"
)

const netUsage = `usage:
  netbox net create [--subnet CIDR] [--subnet6 CIDR|none] [--mtu N] [--pcap FILE] [--seed N] [--foreground] NAME
  netbox net rm NAME
  netbox net ls
  netbox net show NAME
  netbox net fault NAME MEMBER:[in:|out:]SPEC...
  netbox net partition NAME MEMBER MEMBER
  netbox net heal NAME [MEMBER MEMBER]
`

// netCmd is `netbox net ...`: virtual switches that sandboxes join with
// `netbox run --net=NAME`.
func netCmd(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, netUsage)
		return 2
	}
	cmd, args := args[0], args[1:]
	switch cmd {
	case "create", "serve":
		return netCreate(args, cmd == "serve", stdout, stderr)
	case "ls":
		if len(args) != 0 {
			break
		}
		return netList(stdout, stderr)
	case "rm", "show", "fault", "partition", "heal":
		if len(args) == 0 {
			break
		}
		path, err := vswitch.SocketPath(args[0])
		if err != nil {
			fmt.Fprintf(stderr, "netbox net %s: %v\n", cmd, err)
			return 2
		}
		ctl := append([]string{cmd}, args[1:]...)
		if cmd == "rm" {
			if len(args) != 1 {
				break
			}
			ctl = []string{"stop"}
		}
		out, err := vswitch.Ctl(path, ctl)
		if err != nil {
			fmt.Fprintf(stderr, "netbox net %s: %v\n", cmd, err)
			return 1
		}
		if cmd == "rm" {
			// Gone once its socket is.
			for i := 0; i < 100; i++ {
				if _, err := os.Stat(path); errors.Is(err, os.ErrNotExist) {
					return 0
				}
				time.Sleep(20 * time.Millisecond)
			}
			fmt.Fprintf(stderr, "netbox net rm: %s still there after 2 s\n", path)
			return 1
		}
		if out != "" {
			fmt.Fprintln(stdout, out)
		}
		return 0
	}
	fmt.Fprint(stderr, netUsage)
	return 2
}

// netCreate starts a switch: in the background (a netbox process of its
// own, detached, logging to NAME.log beside its socket) unless
// --foreground, or here when serve (what the background process runs).
func netCreate(args []string, serve bool, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("net create", flag.ContinueOnError)
	fs.SetOutput(stderr)
	subnet := fs.String("subnet", vswitch.DefaultSubnet.String(), "the members' IPv4 addresses come from here (.1 is left for a gateway)")
	subnet6 := fs.String("subnet6", vswitch.DefaultSubnet6.String(), "the members' IPv6 addresses (the IPv4 host part), or none")
	mtu := fs.Uint("mtu", vswitch.DefaultMTU, "the members' eth0 MTU")
	pcapFile := fs.String("pcap", "", "record every frame the switch forwards to FILE (pcap)")
	seed := fs.Uint64("seed", 1, "seed of the faults' random decisions")
	fg := fs.Bool("foreground", false, "run the switch in this process until it is removed or interrupted")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if fs.NArg() != 1 {
		fmt.Fprint(stderr, netUsage)
		return 2
	}
	name := fs.Arg(0)
	path, err := vswitch.SocketPath(name)
	if err != nil {
		fmt.Fprintf(stderr, "netbox net create: %v\n", err)
		return 2
	}
	cfg := vswitch.Config{MTU: uint32(*mtu), Seed: *seed}
	if cfg.Subnet, err = netip.ParsePrefix(*subnet); err != nil {
		fmt.Fprintf(stderr, "netbox net create: --subnet=%q: %v\n", *subnet, err)
		return 2
	}
	if *subnet6 != "none" {
		if cfg.Subnet6, err = netip.ParsePrefix(*subnet6); err != nil {
			fmt.Fprintf(stderr, "netbox net create: --subnet6=%q: %v\n", *subnet6, err)
			return 2
		}
	}
	if _, err := vswitch.Ctl(path, []string{"show"}); err == nil {
		fmt.Fprintf(stderr, "netbox net create: network %s exists (%s)\n", name, path)
		return 1
	}
	if !serve && !*fg {
		return netSpawn(path, args, stdout, stderr)
	}
	if *pcapFile != "" {
		f, err := os.Create(*pcapFile)
		if err != nil {
			fmt.Fprintf(stderr, "netbox net create: --pcap: %v\n", err)
			return 2
		}
		defer f.Close()
		if cfg.Pcap, err = pcap.NewWriter(f); err != nil {
			fmt.Fprintf(stderr, "netbox net create: --pcap: %v\n", err)
			return 2
		}
	}
	cfg.Log = func(s string) {
		fmt.Fprintf(stderr, "%s netbox net %s: %s\n", time.Now().Format(time.RFC3339), name, s)
	}
	os.Remove(path) // a socket left by a switch that died
	sw, err := vswitch.Listen(path, cfg)
	if err != nil {
		fmt.Fprintf(stderr, "netbox net create: %v\n", err)
		return 1
	}
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, syscall.SIGINT, syscall.SIGTERM, syscall.SIGHUP)
	go func() {
		select {
		case <-sigs:
			sw.Close()
		case <-sw.Done():
		}
	}()
	cfg.Log("listening on " + path)
	if err := sw.Serve(); err != nil {
		fmt.Fprintf(stderr, "netbox net: %v\n", err)
		sw.Close()
		return 1
	}
	cfg.Log("stopped")
	return 0
}

// netSpawn starts `netbox net serve ARGS` detached and waits until its
// switch answers.
func netSpawn(path string, args []string, stdout, stderr io.Writer) int {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		fmt.Fprintf(stderr, "netbox net create: %v\n", err)
		return 1
	}
	logPath := strings.TrimSuffix(path, ".sock") + ".log"
	logf, err := os.OpenFile(logPath, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o644)
	if err != nil {
		fmt.Fprintf(stderr, "netbox net create: %v\n", err)
		return 1
	}
	defer logf.Close()
	self, err := os.Executable()
	if err != nil {
		fmt.Fprintf(stderr, "netbox net create: %v\n", err)
		return 1
	}
	c := exec.Command(self, append([]string{"net", "serve"}, args...)...)
	c.Stdout, c.Stderr = logf, logf
	c.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	if err := c.Start(); err != nil {
		fmt.Fprintf(stderr, "netbox net create: %v\n", err)
		return 1
	}
	exited := make(chan struct{})
	go func() { c.Wait(); close(exited) }()
	for i := 0; i < 250; i++ {
		if _, err := vswitch.Ctl(path, []string{"show"}); err == nil {
			fmt.Fprintln(stdout, path)
			return 0
		}
		select {
		case <-exited:
			b, _ := os.ReadFile(logPath)
			fmt.Fprintf(stderr, "netbox net create: the switch ended: %s", lastLines(string(b), 5))
			return 1
		case <-time.After(20 * time.Millisecond):
		}
	}
	c.Process.Kill()
	fmt.Fprintf(stderr, "netbox net create: the switch did not answer within 5 s (log: %s)\n", logPath)
	return 1
}

func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	return strings.Join(lines[max(0, len(lines)-n):], "\n") + "\n"
}

// netList prints the networks whose switches answer.
func netList(stdout, stderr io.Writer) int {
	socks, _ := filepath.Glob(filepath.Join(vswitch.Dir(), "*.sock"))
	sort.Strings(socks)
	for _, s := range socks {
		out, err := vswitch.Ctl(s, []string{"show"})
		if err != nil {
			continue
		}
		first, _, _ := strings.Cut(out, "\n")
		fmt.Fprintf(stdout, "%s\t%s\n", strings.TrimSuffix(filepath.Base(s), ".sock"), first)
	}
	return 0
}
