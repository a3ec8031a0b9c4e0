// Command netbox runs a program with its networking virtualised: its
// network system calls are trapped and served by netbox's own network
// stack, and by default it sees only a private loopback.
//
//	netbox run [flags] [--] PROG ARGS…
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"net/netip"
	"os"
	"os/exec"
	"runtime"
	"strings"

	"github.com/netbox-sandbox/netbox/netstack"
	"github.com/netbox-sandbox/netbox/sentry"
)

// version is set at build time (-ldflags "-X main.version=…").
var version = "dev"

func init() {
	// The supervisor installs the seccomp filter on a throw-away locked
	// thread; keep the main goroutine on the main thread so that that
	// thread can never be the main one (a locked main thread is never
	// destroyed, and would keep the filter).
	runtime.LockOSThread()
}

const usage = `netbox runs a program with its networking virtualised.

Usage:
  netbox run [flags] [--] PROG [ARGS...]
  netbox --version
  netbox --help

The program and everything it starts see a private network: lo with
127.0.0.1/8 and ::1. Nothing inside reaches the host's network and nothing
outside reaches in.

Flags for run:
`

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

func run(args []string, stdout, stderr io.Writer) int {
	if len(args) > 0 && args[0] == sentry.InitArg {
		return sentry.InitMain(args[1:])
	}
	if len(args) > 0 && args[0] == sentry.ExecArg {
		return sentry.ExecMain(args[1:])
	}
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		printFlags(stderr)
		return 2
	}
	switch args[0] {
	case "--version", "-version", "version":
		fmt.Fprintf(stdout, "netbox %s\n", version)
		return 0
	case "--help", "-help", "-h", "help":
		fmt.Fprint(stdout, usage)
		printFlags(stdout)
		return 0
	case "run":
		return runCmd(args[1:], stderr)
	default:
		fmt.Fprintf(stderr, "netbox: unknown command %q (try 'netbox --help')\n", args[0])
		return 2
	}
}

type runOptions struct {
	trace       string
	preserveFDs int
	maxSockets  int
	loopback    string
	pcap        string
	net         string
	ip          string
	gateway     string
	ip6         string
	gateway6    string
}

func runFlags(out io.Writer) (*flag.FlagSet, *runOptions) {
	o := &runOptions{}
	fs := flag.NewFlagSet("run", flag.ContinueOnError)
	fs.SetOutput(out)
	fs.StringVar(&o.trace, "trace", "", "print each trapped call and its result, strace-style, to FILE (\"-\" or empty with --trace: stderr)")
	fs.IntVar(&o.preserveFDs, "preserve-fds", 0, "pass the caller's fds 3..3+N-1 to the program")
	fs.IntVar(&o.maxSockets, "max-sockets", 65536, "the most netbox sockets the sandbox may hold (EMFILE beyond)")
	fs.StringVar(&o.net, "net", "none", "the sandbox's link beyond lo: none, or tap:NAME (netbox's stack drives the TAP device NAME as eth0; needs --ip)")
	fs.StringVar(&o.ip, "ip", "", "eth0's IPv4 address and prefix, e.g. 10.0.0.2/24")
	fs.StringVar(&o.gateway, "gateway", "", "eth0's IPv4 default gateway, e.g. 10.0.0.1")
	fs.StringVar(&o.ip6, "ip6", "", "eth0's IPv6 address and prefix, e.g. fd00::2/64")
	fs.StringVar(&o.gateway6, "gateway6", "", "eth0's IPv6 default gateway, e.g. fd00::1")
	fs.StringVar(&o.pcap, "pcap", "", "write every packet of the sandbox's interfaces (lo included) to FILE in pcap format; loopback TCP then goes through netbox's stack, as with --loopback=netstack")
	fs.StringVar(&o.loopback, "loopback", "fastpath", "how TCP between the sandbox's own sockets travels: fastpath (a native unix connection) or netstack (gVisor's TCP on the loopback NIC)")
	return fs, o
}

func printFlags(w io.Writer) {
	fs, _ := runFlags(w)
	fs.PrintDefaults()
}

func runCmd(args []string, stderr io.Writer) int {
	if sentry.NeedsOwnUserNS() {
		// Unprivileged: first into namespaces of netbox's own.
		code, err := sentry.RunInOwnUserNS(append([]string{"run"}, args...))
		if err != nil {
			fmt.Fprintf(stderr, "netbox: %v\n", err)
			return 125
		}
		return code
	}
	// --trace alone (no =FILE) means stderr; the flag package wants a value.
	for i, a := range args {
		if a == "--" {
			break
		}
		if a == "--trace" || a == "-trace" {
			args[i] = "--trace=-"
		}
	}
	fs, o := runFlags(stderr)
	if err := fs.Parse(args); err != nil {
		return 2
	}
	rest := fs.Args()
	if len(rest) == 0 {
		fmt.Fprintln(stderr, "netbox run: no program given (usage: netbox run [flags] [--] PROG [ARGS...])")
		return 2
	}
	path, err := exec.LookPath(rest[0])
	if err != nil {
		if errors.Is(err, os.ErrPermission) {
			fmt.Fprintf(stderr, "netbox: %s: permission denied\n", rest[0])
			return 126
		}
		fmt.Fprintf(stderr, "netbox: %s: command not found\n", rest[0])
		return 127
	}
	cfg := sentry.Config{
		Path: path, Args: rest, Env: os.Environ(),
		Stdin: os.Stdin, Stdout: os.Stdout, Stderr: os.Stderr,
		PreserveFDs: o.preserveFDs, MaxSockets: o.maxSockets,
	}
	switch o.loopback {
	case "fastpath":
	case "netstack":
		cfg.Stack.LoopbackNetstack = true
	default:
		fmt.Fprintf(stderr, "netbox run: --loopback=%s: want fastpath or netstack\n", o.loopback)
		return 2
	}
	switch o.trace {
	case "":
	case "-":
		cfg.Trace = os.Stderr
	default:
		f, err := os.Create(o.trace)
		if err != nil {
			fmt.Fprintf(stderr, "netbox: --trace: %v\n", err)
			return 2
		}
		defer f.Close()
		cfg.Trace = f
	}
	if code := configureNet(o, &cfg, stderr); code != 0 {
		return code
	}
	if o.pcap != "" {
		f, err := os.Create(o.pcap)
		if err != nil {
			fmt.Fprintf(stderr, "netbox: --pcap: %v\n", err)
			return 2
		}
		defer f.Close()
		cfg.Stack.Pcap = f
	}
	code, err := sentry.Run(cfg)
	if err != nil {
		fmt.Fprintf(stderr, "netbox: %v\n", err)
		return 125
	}
	return code
}

// configureNet sets the sandbox's link beyond lo from --net, --ip and
// --gateway; it returns a non-zero exit status after a message when they
// are wrong.
func configureNet(o *runOptions, cfg *sentry.Config, stderr io.Writer) int {
	name, isTAP := strings.CutPrefix(o.net, "tap:")
	switch {
	case o.net == "none":
		if o.ip != "" || o.gateway != "" || o.ip6 != "" || o.gateway6 != "" {
			fmt.Fprintln(stderr, "netbox run: --ip, --gateway, --ip6 and --gateway6 need --net=tap:NAME")
			return 2
		}
		return 0
	case !isTAP:
		fmt.Fprintf(stderr, "netbox run: --net=%s: want none or tap:NAME\n", o.net)
		return 2
	}
	addr, err := netip.ParsePrefix(o.ip)
	if err != nil || !addr.Addr().Is4() {
		fmt.Fprintf(stderr, "netbox run: --ip=%q: want an IPv4 address and prefix, e.g. 10.0.0.2/24\n", o.ip)
		return 2
	}
	link := &netstack.LinkConfig{Addr: addr}
	if o.gateway != "" {
		gw, err := netip.ParseAddr(o.gateway)
		if err != nil || !gw.Is4() || !addr.Masked().Contains(gw) {
			fmt.Fprintf(stderr, "netbox run: --gateway=%q: want an IPv4 address in %v\n", o.gateway, addr.Masked())
			return 2
		}
		link.Gateway = gw
	}
	if o.ip6 != "" {
		if link.Addr6, err = netip.ParsePrefix(o.ip6); err != nil || !link.Addr6.Addr().Is6() || link.Addr6.Addr().Is4In6() {
			fmt.Fprintf(stderr, "netbox run: --ip6=%q: want an IPv6 address and prefix, e.g. fd00::2/64\n", o.ip6)
			return 2
		}
	}
	if o.gateway6 != "" {
		gw, err := netip.ParseAddr(o.gateway6)
		if err != nil || !gw.Is6() || gw.Is4In6() || !link.Addr6.IsValid() {
			fmt.Fprintf(stderr, "netbox run: --gateway6=%q: want an IPv6 address, with --ip6\n", o.gateway6)
			return 2
		}
		link.Gateway6 = gw
	}
	if link.MAC, err = sentry.RandomMAC(); err != nil {
		fmt.Fprintf(stderr, "netbox: %v\n", err)
		return 125
	}
	if link.FD, err = sentry.OpenTAP(name); err != nil {
		fmt.Fprintf(stderr, "netbox: --net: %v\n", err)
		return 125
	}
	cfg.Stack.Eth0 = link
	return 0
}
