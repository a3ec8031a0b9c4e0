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
	"os"
	"os/exec"
	"runtime"

	"github.com/netbox-sandbox/netbox/netstack/nat"
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
  netbox ctl PATH fault [LINK:][in:|out:]SPEC   change a running sandbox's faults (run --ctl PATH)
  netbox ctl PATH show                          its links' faults
  netbox net create|rm|ls|show|fault|partition|heal ...   virtual networks
                                                that sandboxes join (run --net=NAME)
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
	case "ctl":
		return ctlCmd(args[1:], stdout, stderr)
	case "net":
		return netCmd(args[1:], stdout, stderr)
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
	name        string
	ip          string
	gateway     string
	ip6         string
	gateway6    string
	rules       []rawRule // --allow and --deny, in order
	egress      string
	publish     listFlag
	dns         listFlag
	faults      listFlag
	seed        uint64
	ctl         string
	procNet     bool
}

func runFlags(out io.Writer) (*flag.FlagSet, *runOptions) {
	o := &runOptions{}
	fs := flag.NewFlagSet("run", flag.ContinueOnError)
	fs.SetOutput(out)
	fs.StringVar(&o.trace, "trace", "", "print each trapped call and its result, strace-style, to FILE (\"-\" or empty with --trace: stderr)")
	fs.IntVar(&o.preserveFDs, "preserve-fds", 0, "pass the caller's fds 3..3+N-1 to the program")
	fs.IntVar(&o.maxSockets, "max-sockets", 65536, "the most netbox sockets the sandbox may hold (EMFILE beyond)")
	fs.StringVar(&o.net, "net", "none", "the sandbox's link beyond lo: none; tap:NAME (netbox's stack drives the TAP device NAME as eth0; needs --ip); veth:NAME (the same on an existing interface, a veth end say, through a packet socket); user (a user-mode NAT carries eth0's traffic on host sockets, as far as --allow/--deny let it; eth0 is 10.0.2.15/24, the gateway 10.0.2.2 is the host's loopback and DNS forwarder); or NAME, a network of `netbox net create NAME` (eth0 on its switch, with the address it gives unless --ip says)")
	fs.StringVar(&o.name, "name", "", "--net=NAME: the sandbox's name on the network, for `netbox net fault/partition` (default: its address)")
	fs.StringVar(&o.ip, "ip", "", "eth0's IPv4 address and prefix, e.g. 10.0.0.2/24 (--net=user: 10.0.2.15/24)")
	fs.StringVar(&o.gateway, "gateway", "", "eth0's IPv4 default gateway, e.g. 10.0.0.1 (--net=user: 10.0.2.2)")
	fs.Var(ruleFlag{allow: true, rules: &o.rules}, "allow", "--net=user: let traffic to TARGET[:PORT[-PORT]][/tcp|/udp|/icmp] leave; TARGET is an address, a prefix or a DNS name (repeatable; rules apply in order, the first match decides)")
	fs.Var(ruleFlag{allow: false, rules: &o.rules}, "deny", "--net=user: refuse traffic to TARGET[:PORT[-PORT]][/PROTO], as --allow (repeatable)")
	fs.StringVar(&o.egress, "egress-default", "", "--net=user: allow or deny what no rule matches (default: deny when --allow is given, else allow); the gateway (the host's loopback) and link-local addresses are refused unless a rule names them")
	fs.Var(&o.publish, "publish", "--net=user: forward a host port into the sandbox, [HOSTIP:]HOSTPORT:SANDBOXPORT[/udp] (HOSTIP defaults to 127.0.0.1; repeatable)")
	fs.Var(&o.faults, "fault", "inject faults on a link: [LINK:][in:|out:]SPEC, SPEC a comma-separated list of loss=P%, delay=D, jitter=D, rate=Nmbit, reorder=P%, duplicate=P%, corrupt=P%, down (LINK eth0, both directions unless said; repeatable)")
	fs.Uint64Var(&o.seed, "seed", 1, "seed of the faults' random decisions: the same seed and traffic give the same drops")
	fs.StringVar(&o.ctl, "ctl", "", "listen on the unix socket PATH for `netbox ctl PATH ...` (change faults while the program runs)")
	fs.Var(&o.dns, "dns", "--net=user: the host-side resolver the gateway's DNS forwarder asks, IP[:PORT] (default: the host's /etc/resolv.conf; repeatable)")
	fs.StringVar(&o.ip6, "ip6", "", "eth0's IPv6 address and prefix, e.g. fd00::2/64; auto: from router advertisements (SLAAC), the default router too")
	fs.StringVar(&o.gateway6, "gateway6", "", "eth0's IPv6 default gateway, e.g. fd00::1")
	fs.StringVar(&o.pcap, "pcap", "", "write every packet of the sandbox's interfaces (lo, and eth0 with --net) to FILE in pcap format; loopback TCP then goes through netbox's stack, as with --loopback=netstack")
	fs.BoolVar(&o.procNet, "proc-net", true, "show the sandbox's sockets and counters in /proc/net/{tcp,tcp6,udp,udp6,snmp,netstat,sockstat,...} (netstat, psutil): netbox then traps every read-only open, about 10 µs each; --proc-net=false leaves opens native and those files empty")
	fs.StringVar(&o.loopback, "loopback", "fastpath", "how TCP between the sandbox's own sockets travels: fastpath (a native unix connection) or netstack (gVisor's TCP on the loopback NIC)")
	return fs, o
}

func printFlags(w io.Writer) {
	fs, _ := runFlags(w)
	fs.PrintDefaults()
}

func runCmd(args []string, stderr io.Writer) int {
	if sentry.NeedsOwnUserNS() {
		// Unprivileged: first into namespaces of netbox's own. A
		// user-mode NAT stays here, in the caller's network namespace.
		var natCfg *nat.Config
		if fs, o := runFlags(io.Discard); fs.Parse(append([]string(nil), args...)) == nil && o.net == "user" {
			var cfg sentry.Config
			if code := configureNet(o, &cfg, stderr); code != 0 {
				return code
			}
			natCfg = cfg.NAT
		}
		code, err := sentry.RunInOwnUserNS(append([]string{"run"}, args...), natCfg)
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
		PreserveFDs: o.preserveFDs, MaxSockets: o.maxSockets, KernelProcNet: !o.procNet,
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
	if len(o.faults) > 0 && cfg.Stack.Eth0 == nil {
		fmt.Fprintln(stderr, "netbox run: --fault needs a link to act on: --net=tap:NAME, veth:NAME or user")
		return 2
	}
	cfg.Faults, cfg.Stack.FaultSeed, cfg.CtlPath = o.faults, o.seed, o.ctl
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
