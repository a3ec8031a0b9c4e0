// Command bench runs netbox's benchmark workloads natively and inside
// netbox, interleaved, and prints a Markdown table of the medians and the
// ratio netbox/native.
//
//	go run ./bench -netbox bin/netbox [-runs 5] [-only tcprr,udprate]
//
// The workloads are the C programs of bench/workloads, compiled with
// gcc -O2 into a temporary directory, which is also their working
// directory. Each prints one line "METRIC value unit" per metric. Native
// runs get a private network namespace with lo up, as netbox's programs
// do: unshare -n sh -c 'ip link set lo up && exec PROG ARGS'. For every
// workload the runs alternate native, netbox, native, netbox, ... so that
// drifts in machine load hit both sides alike. A run that fails or times
// out is reported and counted as missing; a cell with no successful run
// says "error". The startup workload is timed by the driver itself.
//
// Needs root (or the privilege unshare -n needs), gcc, ip and unshare.
package main

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// workload is one C program and its arguments.
type workload struct {
	name string
	args []string
	// what the table says about it
	desc string
}

// Sizes are chosen so that the default 5 runs of everything take a few
// minutes on 2 cores (the slowest side decides).
var workloads = []workload{
	{"trapcost", []string{"2000"}, "socket+setsockopt+getsockopt+close ×2000"},
	{"tcpbulk", []string{"1024"}, "1 GiB over 127.0.0.1 in 64 KiB writes"},
	{"tcprr", []string{"20000"}, "64-byte ping-pong ×20000"},
	{"udprate", []string{"2"}, "64-byte send() on a connected socket for 2 s"},
	{"udpaddr", []string{"20000"}, "64-byte sendto+recvfrom (and +recvmsg with IP_PKTINFO) ×20000"},
	{"getpid", []string{"1000000"}, "getpid() ×1e6"},
	{"fileio", []string{"256"}, "256 MiB file, 1 MiB buffers"},
	{"openfile", []string{"20000"}, "open+close ×20000, read-only (trapped for /proc/net) and write-only (native)"},
}

const startupRuns = 20

type mode int

const (
	native mode = iota
	boxed
	unshared // only for startup: unshare -n /bin/true
	nModes
)

func (m mode) String() string {
	return [...]string{"native", "netbox", "unshare -n"}[m]
}

// sample is one metric's values from the runs of one mode.
type sample struct {
	unit   string
	values []float64
}

// result is what a workload produced over all runs.
type result struct {
	metrics []string // in order of first appearance
	data    map[string]*[nModes]sample
	fails   [nModes]int
	runs    int
}

func newResult() *result { return &result{data: make(map[string]*[nModes]sample)} }

func (r *result) add(m mode, metric, unit string, v float64) {
	s, ok := r.data[metric]
	if !ok {
		s = new([nModes]sample)
		r.data[metric] = s
		r.metrics = append(r.metrics, metric)
	}
	s[m].unit = unit
	s[m].values = append(s[m].values, v)
}

// failure is one failed run, for the report after the table.
type failure struct {
	workload string
	mode     mode
	run      int
	err      error
	stderr   string
}

type driver struct {
	netboxFlags []string
	netbox      string
	binDir      string
	workDir     string
	timeout     time.Duration
	verbose     bool
	failures    []failure
}

func main() {
	netbox := flag.String("netbox", "", "the netbox binary (required)")
	runs := flag.Int("runs", 5, "runs of each workload on each side")
	only := flag.String("only", "", "comma-separated workloads to run (default all; \"startup\" is one)")
	timeout := flag.Duration("timeout", 2*time.Minute, "time limit of one run")
	src := flag.String("workloads", "", "directory of the workload sources (default: bench/workloads beside this file)")
	verbose := flag.Bool("v", false, "print each run's output as it comes")
	netboxFlags := flag.String("netbox-flags", "", "extra flags for `netbox run`, space-separated (e.g. --loopback=netstack)")
	links := flag.Bool("links", false, "run the link benchmarks instead (links.go): iperf3 over the kernel's veth, netbox's TAP and NAT, slirp4netns")
	seconds := flag.Int("seconds", 5, "with -links: how long each iperf3 run lasts")
	flag.Parse()
	if *netbox == "" || *runs < 1 {
		fmt.Fprintln(os.Stderr, "usage: go run ./bench -netbox PATH [-runs N] [-only a,b] [-timeout D] [-links [-seconds S]]")
		os.Exit(2)
	}
	if *links {
		nb, err := filepath.Abs(*netbox)
		if err != nil {
			fmt.Fprintln(os.Stderr, "bench:", err)
			os.Exit(1)
		}
		runLinks(os.Stdout, nb, *runs, *seconds, *timeout)
		return
	}
	if err := run(*netbox, strings.Fields(*netboxFlags), *runs, *only, *timeout, *src, *verbose); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

func run(netbox string, netboxFlags []string, runs int, only string, timeout time.Duration, src string, verbose bool) error {
	nb, err := filepath.Abs(netbox)
	if err != nil {
		return err
	}
	if _, err := os.Stat(nb); err != nil {
		return fmt.Errorf("netbox binary: %w", err)
	}
	if src == "" {
		src = sourceDir()
	}
	selected := map[string]bool{}
	for _, w := range strings.Split(only, ",") {
		if w = strings.TrimSpace(w); w != "" {
			selected[w] = true
		}
	}
	want := func(name string) bool { return len(selected) == 0 || selected[name] }

	tmp, err := os.MkdirTemp("", "netbox-bench-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	d := &driver{netbox: nb, netboxFlags: netboxFlags, binDir: filepath.Join(tmp, "bin"), workDir: filepath.Join(tmp, "work"), timeout: timeout, verbose: verbose}
	for _, dir := range []string{d.binDir, d.workDir} {
		if err := os.Mkdir(dir, 0o755); err != nil {
			return err
		}
	}

	start := time.Now()
	var names []string
	results := map[string]*result{}
	for _, w := range workloads {
		if !want(w.name) {
			continue
		}
		if err := compile(src, d.binDir, w.name); err != nil {
			return err
		}
	}
	fmt.Fprintf(os.Stderr, "bench: %d runs per side, netbox %s, %d CPUs\n", runs, nb, runtime.NumCPU())
	for _, w := range workloads {
		if !want(w.name) {
			continue
		}
		names = append(names, w.name)
		results[w.name] = d.runWorkload(w, runs)
	}
	if want("startup") {
		names = append(names, "startup")
		results["startup"] = d.startup()
	}
	fmt.Fprintf(os.Stderr, "bench: done in %s\n", time.Since(start).Round(time.Second))

	printTable(os.Stdout, names, results, runs)
	d.printFailures(os.Stdout)
	return nil
}

// sourceDir is bench/workloads next to this file, or relative to the
// working directory when the source path is unknown.
func sourceDir() string {
	if _, file, _, ok := runtime.Caller(0); ok {
		dir := filepath.Join(filepath.Dir(file), "workloads")
		if _, err := os.Stat(dir); err == nil {
			return dir
		}
	}
	return filepath.Join("bench", "workloads")
}

func compile(src, out, name string) error {
	cmd := exec.Command("gcc", "-O2", "-Wall", "-pthread", "-o", filepath.Join(out, name), filepath.Join(src, name+".c"))
	if b, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("gcc %s.c: %v\n%s", name, err, b)
	}
	return nil
}

// command builds the command line of prog in mode m.
func (d *driver) command(m mode, prog string, args ...string) []string {
	switch m {
	case boxed:
		argv := append([]string{d.netbox, "run"}, d.netboxFlags...)
		return append(append(argv, "--", prog), args...)
	case unshared:
		return append([]string{"unshare", "-n", prog}, args...)
	default:
		// $0 and $@ carry the program and its arguments unquoted.
		return append([]string{"unshare", "-n", "sh", "-c", `ip link set lo up && exec "$0" "$@"`, prog}, args...)
	}
}

// exec runs argv in the work directory with the time limit; it returns
// stdout, stderr and the error (including a non-zero exit).
func (d *driver) exec(argv []string) (string, string, time.Duration, error) {
	ctx, cancel := context.WithTimeout(context.Background(), d.timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, argv[0], argv[1:]...)
	cmd.Dir = d.workDir
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error {
		// The run's own process group: the program and anything it
		// started.
		return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
	}
	cmd.WaitDelay = 5 * time.Second
	t0 := time.Now()
	err := cmd.Run()
	wall := time.Since(t0)
	if ctx.Err() == context.DeadlineExceeded {
		err = fmt.Errorf("timed out after %s", d.timeout)
	}
	return stdout.String(), stderr.String(), wall, err
}

// parseMetrics reads "METRIC value unit" lines; other lines are ignored.
func parseMetrics(out string) (metrics [][3]string, err error) {
	sc := bufio.NewScanner(strings.NewReader(out))
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) < 2 {
			continue
		}
		if _, err := strconv.ParseFloat(f[1], 64); err != nil {
			continue
		}
		unit := strings.Join(f[2:], " ")
		metrics = append(metrics, [3]string{f[0], f[1], unit})
	}
	if len(metrics) == 0 {
		return nil, errors.New("no metric in the output")
	}
	return metrics, nil
}

func (d *driver) runWorkload(w workload, runs int) *result {
	r := newResult()
	r.runs = runs
	prog := filepath.Join(d.binDir, w.name)
	for i := 0; i < runs; i++ {
		for _, m := range []mode{native, boxed} {
			stdout, stderr, wall, err := d.exec(d.command(m, prog, w.args...))
			var ms [][3]string
			if err == nil {
				ms, err = parseMetrics(stdout)
			}
			if out := strings.TrimRight(stdout+stderr, "\n"); out != "" && (d.verbose || err != nil) {
				fmt.Fprintf(os.Stderr, "bench: %s %s run %d (%s):\n%s\n", w.name, m, i+1, wall.Round(time.Millisecond), out)
			}
			if err != nil {
				fmt.Fprintf(os.Stderr, "bench: %s %s run %d failed: %v\n", w.name, m, i+1, err)
				r.fails[m]++
				d.failures = append(d.failures, failure{w.name, m, i + 1, err, stderr + tail(stdout)})
				continue
			}
			for _, mt := range ms {
				v, _ := strconv.ParseFloat(mt[1], 64)
				r.add(m, mt[0], mt[2], v)
			}
		}
		fmt.Fprintf(os.Stderr, "bench: %s: run %d/%d done\n", w.name, i+1, runs)
	}
	// A metric that never appeared on one side still gets a row.
	if len(r.metrics) == 0 {
		r.add(native, w.name, "", 0)
		r.data[w.name][native].values = nil
	}
	return r
}

// startup times `netbox run -- /bin/true` against /bin/true and against
// unshare -n /bin/true, interleaved, startupRuns times each.
func (d *driver) startup() *result {
	r := newResult()
	r.runs = startupRuns
	truePath, err := exec.LookPath("true")
	if err != nil {
		truePath = "/bin/true"
	}
	if _, err := os.Stat("/bin/true"); err == nil {
		truePath = "/bin/true"
	}
	for i := 0; i < startupRuns; i++ {
		for _, m := range []mode{native, unshared, boxed} {
			argv := []string{truePath}
			if m != native {
				argv = d.command(m, truePath)
			}
			_, stderr, wall, err := d.exec(argv)
			if err != nil {
				r.fails[m]++
				d.failures = append(d.failures, failure{"startup", m, i + 1, err, stderr})
				continue
			}
			ms := float64(wall.Microseconds()) / 1000
			// Row 1: netbox vs /bin/true; row 2: netbox vs unshare -n.
			switch m {
			case native:
				r.add(native, "true_wall_ms", "ms", ms)
			case unshared:
				r.add(native, "true_wall_ms_vs_unshare_n", "ms", ms)
			case boxed:
				r.add(boxed, "true_wall_ms", "ms", ms)
				r.add(boxed, "true_wall_ms_vs_unshare_n", "ms", ms)
			}
		}
	}
	fmt.Fprintf(os.Stderr, "bench: startup done\n")
	return r
}

func median(v []float64) float64 {
	s := slices.Clone(v)
	sort.Float64s(s)
	n := len(s)
	if n%2 == 1 {
		return s[n/2]
	}
	return (s[n/2-1] + s[n/2]) / 2
}

// higherIsBetter says whether a metric is a rate.
func higherIsBetter(unit string) bool {
	return strings.Contains(unit, "/s")
}

func formatValue(v float64) string {
	switch a := abs(v); {
	case a >= 1000:
		return strconv.FormatFloat(v, 'f', 0, 64)
	case a >= 10:
		return strconv.FormatFloat(v, 'f', 1, 64)
	default:
		return strconv.FormatFloat(v, 'f', 2, 64)
	}
}

func abs(v float64) float64 {
	if v < 0 {
		return -v
	}
	return v
}

// cell is a median with its unit, "error" when no run succeeded, and the
// count of good runs when some failed.
func cell(s sample, fails int) (string, float64, bool) {
	if len(s.values) == 0 {
		return "error", 0, false
	}
	m := median(s.values)
	c := formatValue(m) + " " + s.unit
	if fails > 0 {
		c += fmt.Sprintf(" (%d/%d runs ok)", len(s.values), len(s.values)+fails)
	}
	return c, m, true
}

func printTable(w io.Writer, names []string, results map[string]*result, runs int) {
	fmt.Fprintf(w, "\n| workload | metric | native median | netbox median | ratio netbox/native |\n")
	fmt.Fprintf(w, "|---|---|---:|---:|---|\n")
	for _, name := range names {
		r := results[name]
		for _, metric := range r.metrics {
			s := r.data[metric]
			unit := s[native].unit
			if unit == "" {
				unit = s[boxed].unit
			}
			nc, nv, nok := cell(s[native], r.fails[native])
			bc, bv, bok := cell(s[boxed], r.fails[boxed])
			if name == "startup" && metric == "true_wall_ms_vs_unshare_n" {
				nc, _, _ = cell(s[native], r.fails[unshared])
				nc += " (unshare -n)"
			}
			ratio := "error"
			if nok && bok && nv != 0 {
				q := bv / nv
				if higherIsBetter(unit) {
					ratio = fmt.Sprintf("%.2f× (throughput: higher is better; <1 = netbox slower)", q)
				} else {
					ratio = fmt.Sprintf("%.2f× (time: lower is better; >1 = netbox slower)", q)
				}
			}
			fmt.Fprintf(w, "| %s | %s | %s | %s | %s |\n", name, metric, nc, bc, ratio)
		}
	}
	fmt.Fprintf(w, "\nMedians of %d runs per side (startup: %d), native and netbox interleaved; native runs in `unshare -n` with lo up.\n", runs, startupRuns)
	var descs []string
	for _, wl := range workloads {
		if _, ok := results[wl.name]; ok {
			descs = append(descs, fmt.Sprintf("%s: %s", wl.name, wl.desc))
		}
	}
	if _, ok := results["startup"]; ok {
		descs = append(descs, "startup: wall time of `netbox run -- /bin/true` vs `/bin/true` (and vs `unshare -n /bin/true`), measured by the driver")
	}
	fmt.Fprintf(w, "Workloads: %s.\n", strings.Join(descs, "; "))
}

func (d *driver) printFailures(w io.Writer) {
	if len(d.failures) == 0 {
		return
	}
	// Group identical failures: same workload, side, error and output.
	type group struct {
		f    failure
		runs []string
	}
	var groups []*group
	byKey := map[string]*group{}
	for _, f := range d.failures {
		out := strings.TrimSpace(f.stderr)
		key := strings.Join([]string{f.workload, f.mode.String(), f.err.Error(), out}, "\x00")
		g, ok := byKey[key]
		if !ok {
			g = &group{f: f}
			byKey[key] = g
			groups = append(groups, g)
		}
		g.runs = append(g.runs, strconv.Itoa(f.run))
	}
	fmt.Fprintf(w, "\n## Failed runs\n")
	for _, g := range groups {
		fmt.Fprintf(w, "\n- %s, %s, run %s: %v\n", g.f.workload, g.f.mode, strings.Join(g.runs, ","), g.f.err)
		if out := strings.TrimSpace(g.f.stderr); out != "" {
			fmt.Fprintf(w, "\n```\n%s\n```\n", limitLines(out, 30))
		}
	}
}

func tail(s string) string {
	if s == "" {
		return ""
	}
	return "\nstdout: " + limitLines(s, 10)
}

func limitLines(s string, n int) string {
	lines := strings.Split(s, "\n")
	if len(lines) <= n {
		return s
	}
	return strings.Join(lines[:n], "\n") + fmt.Sprintf("\n... (%d more lines)", len(lines)-n)
}
