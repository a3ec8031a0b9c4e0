package sentry

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"os"
	"strings"
	"time"

	"github.com/netbox-sandbox/netbox/netstack"
	"github.com/netbox-sandbox/netbox/netstack/fault"
)

// The control socket (--ctl PATH): `netbox ctl PATH COMMAND…` changes a
// running sandbox. One request per connection, one line: the command and
// its arguments separated by spaces. The answer is the command's output,
// then a last line "ok" or "error: …".
//
//	fault [LINK:][in:|out:]SPEC   change a link's faults (fault.ParseSpec)
//	show                          each link's faults, one line per direction

// ctlTimeout bounds one request's exchange.
const ctlTimeout = 5 * time.Second

// serveCtl listens on path (a unix socket only its owner may use) and
// serves requests for st until the returned stop is called, which also
// removes the socket.
func serveCtl(path string, st *netstack.Stack) (stop func(), err error) {
	ln, err := net.Listen("unix", path)
	if err != nil {
		return nil, fmt.Errorf("sentry: --ctl: %w", err)
	}
	if err := os.Chmod(path, 0o600); err != nil {
		ln.Close()
		return nil, fmt.Errorf("sentry: --ctl: %w", err)
	}
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go serveCtlConn(c, st)
		}
	}()
	return func() { ln.Close() }, nil
}

func serveCtlConn(c net.Conn, st *netstack.Stack) {
	defer c.Close()
	c.SetDeadline(time.Now().Add(ctlTimeout))
	line, err := bufio.NewReader(c).ReadString('\n')
	if err != nil {
		return
	}
	out, err := ctlCommand(strings.Fields(line), st)
	if err != nil {
		fmt.Fprintf(c, "%serror: %v\n", out, err)
		return
	}
	fmt.Fprintf(c, "%sok\n", out)
}

// ctlCommand runs one request.
func ctlCommand(args []string, st *netstack.Stack) (string, error) {
	if len(args) == 0 {
		return "", fmt.Errorf("no command (want fault or show)")
	}
	switch args[0] {
	case "fault":
		if len(args) != 2 {
			return "", fmt.Errorf("usage: fault [LINK:][in:|out:]SPEC")
		}
		return "", ApplyFault(st, args[1])
	case "show":
		l, err := st.Faults("eth0")
		if err != nil {
			return "", err
		}
		return fmt.Sprintf("eth0 out: %v\neth0 in: %v\n", l.Get(fault.Out), l.Get(fault.In)), nil
	}
	return "", fmt.Errorf("unknown command %q (want fault or show)", args[0])
}

// ApplyFault changes faults on st's links as --fault and `netbox ctl
// fault` say.
func ApplyFault(st *netstack.Stack, setting string) error {
	set, err := fault.ParseSetting(setting)
	if err != nil {
		return err
	}
	l, err := st.Faults(set.Link)
	if err != nil {
		return err
	}
	return set.Apply(l)
}

// Ctl sends one request to the control socket at path, copies the
// command's output to out and its error to errOut; it reports whether the
// command succeeded.
func Ctl(path string, args []string, out, errOut io.Writer) (bool, error) {
	c, err := net.DialTimeout("unix", path, ctlTimeout)
	if err != nil {
		return false, fmt.Errorf("netbox ctl: %w", err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(ctlTimeout))
	if _, err := fmt.Fprintln(c, strings.Join(args, " ")); err != nil {
		return false, fmt.Errorf("netbox ctl: %w", err)
	}
	sc := bufio.NewScanner(c)
	for sc.Scan() {
		line := sc.Text()
		if line == "ok" {
			return true, nil
		}
		if msg, ok := strings.CutPrefix(line, "error: "); ok {
			fmt.Fprintln(errOut, "netbox ctl:", msg)
			return false, nil
		}
		fmt.Fprintln(out, line)
	}
	return false, fmt.Errorf("netbox ctl: no answer from %s", path)
}
