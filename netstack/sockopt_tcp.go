package netstack

import (
	"os"
	"strings"

	"golang.org/x/sys/unix"
)

// SOL_TCP options beyond the plain ints: their checks and conversions,
// TCP_INFO and TCP_CONGESTION. Like do_tcp_setsockopt and
// do_tcp_getsockopt.

// TCP's constants the options use (include/net/tcp.h).
const (
	tcpMinMSS       = 88    // TCP_MIN_MSS
	tcpMSSDefault   = 536   // TCP_MSS_DEFAULT
	maxTCPWindow    = 32767 // MAX_TCP_WINDOW
	tcpFinTimeoutMx = 120   // TCP_FIN_TIMEOUT_MAX, in seconds
	tcpTimeoutInit  = 1     // TCP_TIMEOUT_INIT, in seconds
	tcpRTOMax       = 120   // TCP_RTO_MAX, in seconds
	tcpCANameMax    = 16    // TCP_CA_NAME_MAX
	sizeofTCPInfo   = 280   // sizeof(struct tcp_info), Linux 6.18
)

// TCP states as tcp_info reports them.
const (
	tcpEstablished = 1
	tcpFinWait2    = 5
	tcpClose       = 7
	tcpCloseWait   = 8
	tcpListen      = 10
)

// getTCPSpecial reads the SOL_TCP options the table does not describe;
// done is false for the others.
func (s *Socket) getTCPSpecial(f, name int) (b []byte, done bool, err error) {
	switch name {
	case unix.TCP_INFO:
		return s.tcpInfo(f), true, nil
	case unix.TCP_CONGESTION:
		b := make([]byte, tcpCANameMax)
		copy(b, s.congestion())
		return b, true, nil
	}
	return nil, false, nil
}

// tcpState is the TCP state of the connection as far as netbox can tell:
// listening, established, half closed by either side (the peer's FIN
// shows as RDHUP on the native connection), or closed: FINs both ways, or
// a reset (the placeholder's ECONNRESET, POLLERR, from a peer that closed
// with data unread; the netstack path's pending error; or one already
// taken). s.mu is held.
func (s *Socket) tcpState(f int) byte {
	switch {
	case s.sk.listening:
		return tcpListen
	case s.State != SSConnected:
		return tcpClose
	}
	var shutdown uint8 // the placeholder's sk_shutdown, as poll shows it
	if f >= 0 {
		pfd := []unix.PollFd{{Fd: int32(f), Events: unix.POLLRDHUP}}
		if n, _ := unix.Poll(pfd, 0); n > 0 {
			switch {
			case pfd[0].Revents&unix.POLLERR != 0:
				return tcpClose
			case pfd[0].Revents&unix.POLLHUP != 0:
				shutdown = 3
			case pfd[0].Revents&unix.POLLRDHUP != 0:
				shutdown = 1
			}
		}
	}
	return s.connState(s.peerShutFrom(shutdown))
}

// connState is a connected socket's TCP state, given whether the peer's
// FIN came (peerShut): closed after a reset or FINs both ways, else
// half closed by either side, else established. s.mu is held.
func (s *Socket) connState(peerShut bool) byte {
	selfShut := s.sk.shutdown&(unix.SHUT_WR+1) != 0
	switch {
	case s.sk.reset || s.sk.netErr.pending():
		return tcpClose
	case selfShut && peerShut:
		return tcpClose
	case selfShut:
		return tcpFinWait2
	case peerShut:
		return tcpCloseWait
	}
	return tcpEstablished
}

// peerShutFrom tells from a placeholder's sk_shutdown (unix_diag's)
// whether the peer's FIN came: its RCV_SHUTDOWN, unless this end's own
// SHUT_RD set it, in which case only the peer's close (both bits without
// this end's SHUT_WR) tells. s.mu is held.
func (s *Socket) peerShutFrom(shutdown uint8) bool {
	if s.sk.shutdown&(unix.SHUT_RD+1) == 0 {
		return shutdown&1 != 0
	}
	return shutdown == 3 && s.sk.shutdown&(unix.SHUT_WR+1) == 0
}

// tcpInfo is the struct tcp_info netbox can vouch for: the state; the
// rest (timers, RTT, counters) stays zero.
func (s *Socket) tcpInfo(f int) []byte {
	b := make([]byte, sizeofTCPInfo)
	b[0] = s.tcpState(f)
	return b
}

// checkMaxSeg is TCP_MAXSEG: 0 (none) or TCP_MIN_MSS..MAX_TCP_WINDOW.
func checkMaxSeg(s *Socket, v int32, val Optval) (int32, error) {
	if v != 0 && (v < tcpMinMSS || v > maxTCPWindow) {
		return 0, unix.EINVAL
	}
	return v, nil
}

// getMaxSeg reads TCP_MAXSEG: the program's value while closed or
// listening, else the MSS in use (TCP_MSS_DEFAULT before a connection).
func getMaxSeg(s *Socket) (int32, error) {
	if v := s.sk.opts.get(unix.SOL_TCP, unix.TCP_MAXSEG); v != 0 && s.State != SSConnected {
		return v, nil
	}
	return tcpMSSDefault, nil
}

// checkWindowClamp is tcp_set_window_clamp: 0 only while closed, else at
// least SOCK_MIN_RCVBUF/2.
func checkWindowClamp(s *Socket, v int32, val Optval) (int32, error) {
	if v == 0 {
		if s.State == SSConnected || s.sk.listening {
			return 0, unix.EINVAL
		}
		return 0, nil
	}
	return max(v, sockMinRcvbuf/2), nil
}

// checkLinger2 is TCP_LINGER2: negative is -1 (no FIN_WAIT2 time), above
// TCP_FIN_TIMEOUT_MAX is that maximum.
func checkLinger2(s *Socket, v int32, val Optval) (int32, error) {
	switch {
	case v < 0:
		return -1, nil
	case v > tcpFinTimeoutMx:
		return tcpFinTimeoutMx, nil
	}
	return v, nil
}

// getLinger2 reads TCP_LINGER2: 0 means net.ipv4.tcp_fin_timeout.
func getLinger2(s *Socket) (int32, error) {
	v := s.sk.opts.get(unix.SOL_TCP, unix.TCP_LINGER2)
	if v == 0 {
		return int32(tcpFinTimeout), nil
	}
	return v, nil
}

// checkDeferAccept is TCP_DEFER_ACCEPT: seconds are kept as a number of
// SYN-ACK retransmissions and read back as the seconds those take
// (secs_to_retrans, retrans_to_secs).
func checkDeferAccept(s *Socket, v int32, val Optval) (int32, error) {
	return int32(retransToSecs(secsToRetrans(int(v), tcpTimeoutInit, tcpRTOMax), tcpTimeoutInit, tcpRTOMax)), nil
}

// secsToRetrans is net/ipv4/tcp.c's secs_to_retrans.
func secsToRetrans(seconds, timeout, rtoMax int) uint8 {
	var res uint8
	if seconds > 0 {
		period := timeout
		res = 1
		for seconds > period && res < 255 {
			res++
			timeout <<= 1
			if timeout > rtoMax {
				timeout = rtoMax
			}
			period += timeout
		}
	}
	return res
}

// retransToSecs is net/ipv4/tcp.c's retrans_to_secs.
func retransToSecs(retrans uint8, timeout, rtoMax int) int {
	period := 0
	if retrans > 0 {
		period = timeout
		for retrans--; retrans > 0; retrans-- {
			timeout <<= 1
			if timeout > rtoMax {
				timeout = rtoMax
			}
			period += timeout
		}
	}
	return period
}

// checkFastOpen is TCP_FASTOPEN: only while closed or listening, not
// negative, capped at net.core.somaxconn (fastopen_queue_tune). Netbox's
// connections complete without Fast Open either way; the queue length is
// kept and read back.
func checkFastOpen(s *Socket, v int32, val Optval) (int32, error) {
	if v < 0 || s.State == SSConnected {
		return 0, unix.EINVAL
	}
	return min(v, int32(somaxconn)), nil
}

// setCongestion is TCP_CONGESTION: a name of the host's available
// algorithms (ENOENT otherwise); one outside
// net.ipv4.tcp_allowed_congestion_control needs CAP_NET_ADMIN. The name is
// kept and read back: on the sandbox's loopback no algorithm changes what
// a program observes.
func (s *Socket) setCongestion(val Optval) error {
	if val.Len() < 1 {
		return unix.EINVAL
	}
	b, err := val.Read(min(val.Len(), tcpCANameMax-1))
	if err != nil {
		return err
	}
	name, _, _ := strings.Cut(string(b), "\x00")
	if !sysctlHas("/proc/sys/net/ipv4/tcp_available_congestion_control", name) {
		return unix.ENOENT
	}
	if !sysctlHas("/proc/sys/net/ipv4/tcp_allowed_congestion_control", name) && !val.Capable(capNetAdmin) {
		return unix.EPERM
	}
	s.sk.opts.congestion = name
	return nil
}

// congestion is TCP_CONGESTION's value: the program's choice or the
// host's default.
func (s *Socket) congestion() string {
	if s.sk.opts.congestion != "" {
		return s.sk.opts.congestion
	}
	b, err := os.ReadFile("/proc/sys/net/ipv4/tcp_congestion_control")
	if err != nil {
		return "cubic"
	}
	return strings.TrimSpace(string(b))
}

// sysctlHas reports whether the space-separated list in a sysctl file
// holds word.
func sysctlHas(path, word string) bool {
	b, err := os.ReadFile(path)
	if err != nil {
		return false
	}
	for _, w := range strings.Fields(string(b)) {
		if w == word {
			return true
		}
	}
	return false
}
