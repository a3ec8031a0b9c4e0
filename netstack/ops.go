package netstack

import (
	"net/netip"

	"golang.org/x/sys/unix"

	"github.com/netbox-sandbox/netbox/netstack/control"
)

// ProtoOps is a family/type pair's operation table, like Linux's struct
// proto_ops (inet_stream_ops, inet_dgram_ops). f is a duplicate of the
// program's placeholder, valid for the duration of the call. Operations
// never block: when one must wait it returns a *WaitError.
type ProtoOps interface {
	// Bind binds to a; c is the calling thread (privileged ports).
	Bind(s *Socket, f int, a Addr, c Caller) error
	// Connect connects to a; a.Family == AF_UNSPEC dissolves the
	// association.
	Connect(s *Socket, f int, a Addr) error
	Listen(s *Socket, f int, backlog int) error
	Accept(s *Socket, f int) (*Accepted, error)
	// Name is getsockname (peer false) or getpeername (peer true): the
	// address as a sockaddr of the socket's family.
	Name(s *Socket, f int, peer bool) ([]byte, error)
	Shutdown(s *Socket, f int, how int) error
	// SendMsg sends data (to a, when given) with the control messages in
	// ctl, the bytes of the program's msg_control.
	SendMsg(s *Socket, f int, data []byte, to *Addr, ctl []byte, flags int) (int, error)
	RecvMsg(s *Socket, f int, size int, flags int) (*RecvResult, error)
	SetSockOpt(s *Socket, f int, level, name int, val Optval) error
	GetSockOpt(s *Socket, f int, level, name int, size int) ([]byte, error)
}

// Caller is the thread making a call, for the checks Linux makes of
// current's credentials.
type Caller interface {
	// Capable reports whether the thread has the capability
	// (CAP_NET_ADMIN…) in its user namespace, like ns_capable.
	Capable(capability int) bool
	// Tid is the thread's id (in the supervisor's pid namespace).
	Tid() int
	// UID returns the thread's effective user id (the owner a new socket
	// reports to sock_diag).
	UID() uint32
	// Groups returns the thread's effective group id and supplementary
	// groups.
	Groups() Groups
}

// Groups are a thread's effective group id and supplementary groups, as
// the supervisor's user namespace sees them (the kernel's kgids when
// netbox runs as root).
type Groups struct {
	GID    uint32
	Groups []uint32
}

// Optval is a setsockopt value still in the program's memory, like Linux's
// sockptr_t: an option reads only the bytes it needs. It comes with the
// caller (sockopt_ns_capable).
type Optval interface {
	Caller
	// Len is the optlen the program passed.
	Len() int
	// Read copies the first n bytes (n ≤ Len); EFAULT when unreadable.
	Read(n int) ([]byte, error)
}

// Accepted is a connection taken off a listener.
type Accepted struct {
	// FD is netbox's reference to the new placeholder; the caller installs
	// it in the program and closes it.
	FD     int
	Socket *Socket
	Peer   netip.AddrPort
}

// RecvResult is what one receive returned.
type RecvResult struct {
	Data    []byte
	Total   int // the datagram's full length (MSG_TRUNC reports it)
	From    netip.AddrPort
	HasFrom bool
	// Name, when set, is the source's sockaddr as it is (a netlink
	// address); otherwise From is, in the socket's family.
	Name  []byte
	Flags int // msg_flags
	// Control is the control messages the receive delivers, in order.
	Control []control.Message
}

// WaitError says that an operation would block: wait until the placeholder
// shows one of Events (poll bits), or Ready is closed, or (neither given) a
// little while, and try again; or fail with EAGAIN on a non-blocking
// socket.
type WaitError struct {
	Events int16
	Ready  <-chan struct{}
	// Hold asks to wait even on a non-blocking socket: the operation
	// completes in a moment (a handshake on the loopback) and has no
	// honest "in progress" state to report yet.
	Hold bool
}

func (e *WaitError) Error() string { return "operation would block" }

// wouldBlock returns the WaitError for events.
func wouldBlock(events int16) error { return &WaitError{Events: events} }

// noOps is sock_no_*: the operations a protocol lacks give Linux's errno.
type noOps struct{}

func (noOps) Listen(*Socket, int, int) error          { return unix.EOPNOTSUPP }
func (noOps) Accept(*Socket, int) (*Accepted, error)  { return nil, unix.EOPNOTSUPP }
func (noOps) Shutdown(*Socket, int, int) error        { return unix.EOPNOTSUPP }
func (noOps) Connect(*Socket, int, Addr) error        { return unix.EOPNOTSUPP }
func (noOps) Bind(*Socket, int, Addr, Caller) error   { return unix.EOPNOTSUPP }
func (noOps) Name(*Socket, int, bool) ([]byte, error) { return nil, unix.EOPNOTSUPP }

// checkFamily is the family check of inet_bind/inet_dgram_connect: the
// sockaddr's family must be the socket's, except that AF_UNSPEC is left to
// the caller.
func checkFamily(s *Socket, a Addr) error {
	if int(a.Family) != s.Family {
		return unix.EAFNOSUPPORT
	}
	if s.Family == afInet && !a.Addr().Is4() {
		return unix.EAFNOSUPPORT
	}
	return nil
}

// wildcard is the unbound local address of a socket of family.
func wildcard(family int) netip.Addr {
	if family == afInet6 {
		return netip.IPv6Unspecified()
	}
	return netip.IPv4Unspecified()
}
