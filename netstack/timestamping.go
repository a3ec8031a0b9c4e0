package netstack

import (
	"encoding/binary"

	"golang.org/x/sys/unix"
)

// SO_TIMESTAMPING's receive side. The placeholder takes the receive
// timestamp: the host stamps a datagram as it is queued on it, and its
// recvmsg gives the program's SCM_TIMESTAMPING as Linux's would (the
// software time in ts[0]) when its own sk_tsflags ask for it. So the
// program's flags are set on the placeholder itself, where the host also
// validates them. One thing more is needed: an AF_UNIX socket reports
// timestamps only with SOCK_RCVTSTAMP (SO_TIMESTAMP*) set, so netbox sets
// SO_TIMESTAMPNS on the placeholder while the program's flags report and
// the program has not set SO_TIMESTAMP* itself (tsOwn), and drops the
// message that gives.
//
// Transmit timestamps are not served: the placeholder's sends are AF_UNIX
// sends, which are not stamped, and a connected socket's send() runs
// natively, unseen by netbox, so no SCM_TSTAMP_SND could reach the error
// queue. The flags that ask for them are refused with EOPNOTSUPP, not
// accepted in silence.

// sofTxRecordMask is SOF_TIMESTAMPING_TX_RECORD_MASK: the flags that ask
// for transmit timestamps (SOF_TIMESTAMPING_TX_COMPLETION is 1<<18).
const sofTxRecordMask = unix.SOF_TIMESTAMPING_TX_HARDWARE | unix.SOF_TIMESTAMPING_TX_SOFTWARE |
	unix.SOF_TIMESTAMPING_TX_SCHED | unix.SOF_TIMESTAMPING_TX_ACK | 1<<18

// sofReport are the reporting flags: with one of them the socket's
// receives carry SCM_TIMESTAMPING.
const sofReport = unix.SOF_TIMESTAMPING_SOFTWARE | unix.SOF_TIMESTAMPING_RAW_HARDWARE

// isTimestampOpt tells SO_TIMESTAMP, SO_TIMESTAMPNS and their _NEW forms.
func isTimestampOpt(name int) bool {
	switch name {
	case unix.SO_TIMESTAMP, unix.SO_TIMESTAMPNS, unix.SO_TIMESTAMP_NEW, unix.SO_TIMESTAMPNS_NEW:
		return true
	}
	return false
}

// setTimestamping is sock_set_timestamping, on the placeholder. s.mu is
// held.
func (s *Socket) setTimestamping(f, name int, val Optval) error {
	if f < 0 {
		return unix.ENOPROTOOPT
	}
	b, err := val.Read(min(val.Len(), 64))
	if err != nil {
		return err
	}
	flags := binary.NativeEndian.Uint32(b)
	old, _ := unix.GetsockoptInt(f, unix.SOL_SOCKET, unix.SO_TIMESTAMPING)
	if s.Type == unix.SOCK_STREAM && flags&unix.SOF_TIMESTAMPING_OPT_ID != 0 && old&unix.SOF_TIMESTAMPING_OPT_ID == 0 &&
		(s.State != SSConnected || s.sk.listening) {
		// A TCP socket's key starts at snd_una: it needs a connection.
		return unix.EINVAL
	}
	if err := setsockoptBytes(f, unix.SOL_SOCKET, name, b); err != nil {
		return err
	}
	if flags&sofTxRecordMask != 0 {
		unix.SetsockoptInt(f, unix.SOL_SOCKET, name, old)
		return unix.EOPNOTSUPP
	}
	s.sk.opts.nativeSet = true
	s.syncRcvTstamp(f, name == unix.SO_TIMESTAMPING_NEW)
	return nil
}

// syncRcvTstamp turns the placeholder's SOCK_RCVTSTAMP on while its
// timestamping flags report and the program has not set SO_TIMESTAMP*
// (netbox's own, tsOwn), and off again when they stop. A stream
// placeholder gives no timestamps at all (see the deviations). s.mu is
// held.
func (s *Socket) syncRcvTstamp(f int, tsNew bool) {
	if !s.Datagram() {
		return
	}
	flags, _ := unix.GetsockoptInt(f, unix.SOL_SOCKET, unix.SO_TIMESTAMPING)
	on, _ := unix.GetsockoptInt(f, unix.SOL_SOCKET, unix.SO_TIMESTAMP)
	onNS, _ := unix.GetsockoptInt(f, unix.SOL_SOCKET, unix.SO_TIMESTAMPNS)
	want := flags&sofReport != 0
	switch {
	case want && on == 0 && onNS == 0:
		// SO_TIMESTAMPNS_NEW and _OLD also set SOCK_TSTAMP_NEW, which
		// decides the SCM_TIMESTAMPING type: keep the program's.
		opt := unix.SO_TIMESTAMPNS
		if tsNew {
			opt = unix.SO_TIMESTAMPNS_NEW
		}
		unix.SetsockoptInt(f, unix.SOL_SOCKET, opt, 1)
		s.sk.tsOwn = true
	case !want && s.sk.tsOwn:
		unix.SetsockoptInt(f, unix.SOL_SOCKET, unix.SO_TIMESTAMPNS, 0)
		s.sk.tsOwn = false
	}
}

// setTimestamp sets SO_TIMESTAMP* for the program: the program's setting
// replaces netbox's own, and turning it off keeps what the timestamping
// flags still need. s.mu is held.
func (s *Socket) setTimestamp(f, name int, val Optval) error {
	wasOwn := s.sk.tsOwn
	s.sk.tsOwn = false
	if err := s.setNative(f, name, val); err != nil {
		s.sk.tsOwn = wasOwn
		return err
	}
	s.syncRcvTstamp(f, name == unix.SO_TIMESTAMP_NEW || name == unix.SO_TIMESTAMPNS_NEW)
	return nil
}
