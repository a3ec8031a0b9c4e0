package netstack

import (
	"encoding/binary"
	"math"
	"math/rand/v2"
	"sync"

	"golang.org/x/sys/unix"
)

// AF_VSOCK. The host's vsock reaches the hypervisor (CID 2) and every
// other VM the host lets it, which is a network the sandbox must not
// reach. The sandbox's vsock is the one of a kernel whose vsock core is
// loaded but no transport is (no virtio, vhost, VMCI, Hyper-V or loopback
// module): sockets are made, bound, listened on and configured as on
// Linux, no CID is local (only VMADDR_CID_ANY binds), no connection ever
// arrives, connect gives ENODEV (vsock_assign_transport without a
// transport), and a datagram socket cannot be made (ENODEV, no datagram
// transport). Like net/vmw_vsock/af_vsock.c in that state.

// VsockAddr is a struct sockaddr_vm's CID, port and flags.
type VsockAddr struct {
	CID, Port uint32
	Flags     uint8
}

const (
	vsockAny = unix.VMADDR_CID_ANY // VMADDR_CID_ANY and VMADDR_PORT_ANY
	// vsockLastReservedPort is LAST_RESERVED_PORT: binding at or below
	// it takes CAP_NET_BIND_SERVICE.
	vsockLastReservedPort = 1023
	// vsockMaxPortRetries is MAX_PORT_RETRIES.
	vsockMaxPortRetries = 24
	// sizeofSockaddrVM is sizeof(struct sockaddr_vm).
	sizeofSockaddrVM = 16
	// The defaults of __vsock_create.
	vsockDefaultBufferSize    = 256 * 1024
	vsockDefaultBufferMinSize = 128
	vsockDefaultBufferMaxSize = 256 * 1024
)

// vsockSock is a vsock socket's side (struct vsock_sock).
type vsockSock struct {
	local VsockAddr
	// remote is the address the last connect named (vsock_connect sets
	// it before it looks for a transport).
	remote                  VsockAddr
	bufSize, bufMin, bufMax uint64
	connectTimeout          int64 // jiffies
	zerocopy                bool  // SOCK_ZEROCOPY
	// listenName is the placeholder's private name once it listens.
	listenName string
}

// vsockTables is the sandbox's vsock bind table (vsock_bind_table, keyed
// by port: every bound socket has CID VMADDR_CID_ANY) and port allocator;
// Stack.mu guards them.
type vsockTables struct {
	vsockPorts map[uint32]*Socket
	vsockNext  uint32 // __vsock_bind_connectible's static port
	hzOnce     sync.Once
	hz         int64
}

// NewVsockSocket is vsock_create: a stream or seqpacket socket with a
// fresh placeholder of the same unix type.
func (st *Stack) NewVsockSocket(typ, protocol int, c Caller) (*Socket, int, error) {
	if protocol != 0 && protocol != unix.AF_VSOCK {
		return nil, -1, unix.EPROTONOSUPPORT
	}
	switch typ {
	case unix.SOCK_STREAM, unix.SOCK_SEQPACKET:
	case unix.SOCK_DGRAM:
		return nil, -1, unix.ENODEV // vsock_assign_transport: no datagram transport
	default:
		return nil, -1, unix.ESOCKTNOSUPPORT
	}
	fd, err := st.host.Socket(unix.AF_UNIX, typ|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return nil, -1, err
	}
	// sk_protocol stays 0 whatever was asked (vsock_create keeps none).
	s := &Socket{Family: unix.AF_VSOCK, Type: typ, st: st, sk: &Sock{}, Ops: vsockOps{}}
	s.UID = c.UID()
	s.sk.opts = defaultSockOpts(unix.SOCK_DGRAM) // net.core.[rw]mem_default, as sock_init_data
	s.sk.vs = &vsockSock{
		local:          VsockAddr{CID: vsockAny, Port: vsockAny},
		remote:         VsockAddr{CID: vsockAny, Port: vsockAny},
		bufSize:        vsockDefaultBufferSize,
		bufMin:         vsockDefaultBufferMinSize,
		bufMax:         vsockDefaultBufferMaxSize,
		connectTimeout: 2 * st.kernelHZ(), // VSOCK_DEFAULT_CONNECT_TIMEOUT
	}
	return s, fd, nil
}

// releaseVsock frees the socket's port. s.mu is held.
func (s *Socket) releaseVsock() {
	st := s.st
	st.mu.Lock()
	defer st.mu.Unlock()
	if p := s.sk.vs.local.Port; p != vsockAny && st.vsockPorts[p] == s {
		delete(st.vsockPorts, p)
	}
}

// kernelHZ is the host kernel's HZ, which the connect timeout is counted
// in: the tick a 1 µs SO_RCVTIMEO rounds up to, read back.
func (st *Stack) kernelHZ() int64 {
	st.hzOnce.Do(func() {
		st.hz = 250 // CONFIG_HZ's default, if the probe fails
		fd, err := st.host.Socket(unix.AF_UNIX, unix.SOCK_DGRAM|unix.SOCK_CLOEXEC, 0)
		if err != nil {
			return
		}
		defer unix.Close(fd)
		if unix.SetsockoptTimeval(fd, unix.SOL_SOCKET, unix.SO_RCVTIMEO, &unix.Timeval{Usec: 1}) != nil {
			return
		}
		tv, err := unix.GetsockoptTimeval(fd, unix.SOL_SOCKET, unix.SO_RCVTIMEO)
		if err != nil || tv.Sec != 0 || tv.Usec <= 0 {
			return
		}
		st.hz = int64(math.Round(1e6 / float64(tv.Usec)))
	})
	return st.hz
}

// vsockOps is vsock_stream_ops and vsock_seqpacket_ops.
type vsockOps struct{}

var _ ProtoOps = vsockOps{}

// Bind is vsock_bind. A port in use is looked for again after the
// sockets the program closed are swept (a close is not trapped).
func (vsockOps) Bind(s *Socket, f int, a Addr, c Caller) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	vs := s.sk.vs
	if vs.local.Port != vsockAny {
		return unix.EINVAL // already bound
	}
	if a.VM.CID != vsockAny {
		return unix.EADDRNOTAVAIL // vsock_find_cid: no transport, no local CID
	}
	if a.VM.Port != vsockAny && a.VM.Port <= vsockLastReservedPort && !c.Capable(capNetBindService) {
		return unix.EACCES
	}
	err := s.st.bindVsock(s, a.VM.Port)
	if err == unix.EADDRINUSE && s.st.Sweep != nil {
		s.mu.Unlock()
		s.st.Sweep()
		s.mu.Lock()
		if vs.local.Port != vsockAny {
			return unix.EINVAL // bound meanwhile by another thread
		}
		err = s.st.bindVsock(s, a.VM.Port)
	}
	return err
}

// bindVsock is __vsock_bind_connectible: port, or one the allocator picks
// (VMADDR_PORT_ANY), becomes s's. s.mu is held.
func (st *Stack) bindVsock(s *Socket, port uint32) error {
	st.mu.Lock()
	defer st.mu.Unlock()
	if st.vsockPorts == nil {
		st.vsockPorts = make(map[uint32]*Socket)
		st.vsockNext = vsockLastReservedPort + 1 + rand.Uint32N(math.MaxUint32-vsockLastReservedPort-1)
	}
	if port == vsockAny {
		found := false
		for range vsockMaxPortRetries {
			if st.vsockNext == vsockAny || st.vsockNext <= vsockLastReservedPort {
				st.vsockNext = vsockLastReservedPort + 1
			}
			port = st.vsockNext
			st.vsockNext++
			if st.vsockPorts[port] == nil {
				found = true
				break
			}
		}
		if !found {
			return unix.EADDRNOTAVAIL
		}
	} else if st.vsockPorts[port] != nil {
		return unix.EADDRINUSE
	}
	st.vsockPorts[port] = s
	s.sk.vs.local = VsockAddr{CID: vsockAny, Port: port}
	return nil
}

// Connect is vsock_connect: with no transport to carry it, every
// connection fails once the address is known good.
func (vsockOps) Connect(s *Socket, f int, a Addr) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.sk.listening || a.Family != unix.AF_VSOCK {
		return unix.EINVAL
	}
	s.sk.vs.remote = a.VM
	return unix.ENODEV
}

// Listen is vsock_listen. The placeholder listens too, under a private
// name nothing connects to, so that it polls as a listener does.
func (vsockOps) Listen(s *Socket, f int, backlog int) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	vs := s.sk.vs
	if vs.local.Port == vsockAny {
		return unix.EINVAL
	}
	if uint32(backlog) > uint32(somaxconn) {
		backlog = somaxconn // __sys_listen
	}
	if vs.listenName == "" {
		name := s.st.name("V")
		if err := unix.Bind(f, &unix.SockaddrUnix{Name: "@" + name}); err != nil {
			return err
		}
		vs.listenName = name
	}
	if err := unix.Listen(f, backlog); err != nil {
		return err
	}
	s.sk.listening = true
	s.sk.backlog = backlog
	return nil
}

// Accept is vsock_accept: no connection ever arrives, so it waits (or
// gives EAGAIN) until a signal or SO_RCVTIMEO ends it.
func (vsockOps) Accept(s *Socket, f int) (*Accepted, error) {
	s.mu.Lock()
	listening := s.sk.listening
	s.mu.Unlock()
	if !listening {
		return nil, unix.EINVAL
	}
	// Nothing should reach the placeholder's private name; whatever
	// does is turned away, so the wait below cannot spin.
	for {
		nfd, _, err := unix.Accept4(f, unix.SOCK_CLOEXEC|unix.SOCK_NONBLOCK)
		if err != nil {
			break
		}
		unix.Close(nfd)
	}
	return nil, wouldBlock(unix.POLLIN)
}

// Name is vsock_getname.
func (vsockOps) Name(s *Socket, f int, peer bool) ([]byte, error) {
	if peer {
		return nil, unix.ENOTCONN // never SS_CONNECTED
	}
	s.mu.Lock()
	a := s.sk.vs.local
	s.mu.Unlock()
	return sockaddrVM(a), nil
}

// sockaddrVM encodes a struct sockaddr_vm.
func sockaddrVM(a VsockAddr) []byte {
	b := make([]byte, sizeofSockaddrVM)
	binary.LittleEndian.PutUint16(b, unix.AF_VSOCK)
	binary.LittleEndian.PutUint32(b[4:], a.Port)
	binary.LittleEndian.PutUint32(b[8:], a.CID)
	b[12] = a.Flags
	return b
}

// Shutdown is vsock_shutdown on a socket that is never connected.
func (vsockOps) Shutdown(s *Socket, f int, how int) error {
	if mode := how + 1; mode&^3 != 0 || mode == 0 {
		return unix.EINVAL
	}
	return unix.ENOTCONN
}

// SendMsg is vsock_connectible_sendmsg on a socket that is never
// connected.
func (vsockOps) SendMsg(s *Socket, f int, data []byte, to *Addr, ctl []byte, flags int) (int, error) {
	if flags&unix.MSG_OOB != 0 || to != nil {
		return 0, unix.EOPNOTSUPP
	}
	return 0, unix.ENOTCONN
}

// RecvMsg is vsock_connectible_recvmsg on a socket that is never
// connected: its error queue is empty (sock_recv_errqueue), and without
// a connection there is nothing to read.
func (vsockOps) RecvMsg(s *Socket, f int, size int, flags int) (*RecvResult, error) {
	if flags&unix.MSG_ERRQUEUE != 0 {
		return nil, unix.EAGAIN
	}
	return nil, unix.ENOTCONN
}

// SetSockOpt is vsock_connectible_setsockopt; SOL_SOCKET options other
// than vsock's own (SO_ZEROCOPY, SO_RCVLOWAT's vsock_set_rcvlowat) are
// the placeholder's.
func (vsockOps) SetSockOpt(s *Socket, f int, level, name int, val Optval) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	vs := s.sk.vs
	switch level {
	case unix.SOL_SOCKET:
		switch name {
		case unix.SO_ZEROCOPY:
			v, err := intOf(val)
			if err != nil {
				return err
			}
			if v < 0 || v > 1 {
				return unix.EINVAL
			}
			vs.zerocopy = v == 1
			return nil
		case unix.SO_RCVLOWAT:
			if s.Type != unix.SOCK_STREAM {
				break // seqpacket has no set_rcvlowat
			}
			v, err := intOf(val)
			if err != nil {
				return err
			}
			if v < 0 {
				v = math.MaxInt32 // sk_setsockopt
			}
			if uint64(v) > vs.bufSize {
				return unix.EINVAL
			}
			return setsockoptBytes(f, unix.SOL_SOCKET, unix.SO_RCVLOWAT, intBytes(max(v, 1)))
		case unix.SO_PASSCRED, unix.SO_PASSPIDFD, unix.SO_PASSSEC, unix.SO_PASSRIGHTS:
			_, err := s.setSocketSpecial(f, name, val) // not for vsock (sk_may_scm_recv)
			return err
		case unix.SO_PEEK_OFF:
			return unix.EOPNOTSUPP // vsock's ops have no set_peek_off
		case unix.SO_INQ:
			return unix.ENOPROTOOPT // AF_UNIX's only
		}
		return s.setPlaceholderOpt(f, name, val)
	case unix.AF_VSOCK:
	default:
		return unix.ENOPROTOOPT
	}
	switch name {
	case unix.SO_VM_SOCKETS_BUFFER_SIZE, unix.SO_VM_SOCKETS_BUFFER_MAX_SIZE, unix.SO_VM_SOCKETS_BUFFER_MIN_SIZE:
		b, err := readOpt(val, 8)
		if err != nil {
			return err
		}
		v := binary.LittleEndian.Uint64(b)
		switch name {
		case unix.SO_VM_SOCKETS_BUFFER_SIZE:
			vs.updateBufferSize(v)
		case unix.SO_VM_SOCKETS_BUFFER_MAX_SIZE:
			vs.bufMax = v
			vs.updateBufferSize(vs.bufSize)
		default:
			vs.bufMin = v
			vs.updateBufferSize(vs.bufSize)
		}
		return nil
	case unix.SO_VM_SOCKETS_CONNECT_TIMEOUT_NEW, unix.SO_VM_SOCKETS_CONNECT_TIMEOUT_OLD:
		// sock_copy_user_timeval: both layouts are two 64-bit words on
		// a 64-bit kernel.
		b, err := readOpt(val, 16)
		if err != nil {
			return err
		}
		sec := int64(binary.LittleEndian.Uint64(b))
		usec := int64(binary.LittleEndian.Uint64(b[8:]))
		hz := s.st.kernelHZ()
		if sec < 0 || usec >= 1e6 || sec >= math.MaxInt64/hz-1 {
			return unix.ERANGE
		}
		// tv_sec * HZ + DIV_ROUND_UP((unsigned long)tv_usec, USEC_PER_SEC / HZ)
		tick := uint64(1e6 / hz)
		vs.connectTimeout = sec*hz + int64((uint64(usec)+tick-1)/tick)
		if vs.connectTimeout == 0 {
			vs.connectTimeout = 2 * hz
		}
		return nil
	}
	return unix.ENOPROTOOPT
}

// updateBufferSize is vsock_update_buffer_size, whose bounds apply in the
// order the kernel measured here applies them: the minimum, then the
// maximum (a maximum below the minimum wins).
func (vs *vsockSock) updateBufferSize(v uint64) {
	if v < vs.bufMin {
		v = vs.bufMin
	}
	if v > vs.bufMax {
		v = vs.bufMax
	}
	vs.bufSize = v
}

// GetSockOpt is vsock_connectible_getsockopt, and sk_getsockopt for
// SOL_SOCKET: what the program made (SO_TYPE, SO_DOMAIN, SO_PROTOCOL,
// SO_ZEROCOPY), else the placeholder's.
func (vsockOps) GetSockOpt(s *Socket, f int, level, name int, size int) ([]byte, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	vs := s.sk.vs
	if level == unix.SOL_SOCKET {
		switch name {
		case unix.SO_TYPE, unix.SO_DOMAIN, unix.SO_PROTOCOL, unix.SO_PASSCRED, unix.SO_PASSPIDFD, unix.SO_PASSSEC,
			unix.SO_PASSRIGHTS:
			b, _, err := s.getSocketSpecial(f, name, size)
			return b, err
		case unix.SO_ZEROCOPY:
			if vs.zerocopy {
				return intBytes(1), nil
			}
			return intBytes(0), nil
		case unix.SO_PEEK_OFF:
			return nil, unix.EOPNOTSUPP
		}
		return getNative(f, name)
	}
	if level != unix.AF_VSOCK {
		return nil, unix.ENOPROTOOPT
	}
	var b []byte
	switch name {
	case unix.SO_VM_SOCKETS_BUFFER_SIZE:
		b = binary.LittleEndian.AppendUint64(nil, vs.bufSize)
	case unix.SO_VM_SOCKETS_BUFFER_MAX_SIZE:
		b = binary.LittleEndian.AppendUint64(nil, vs.bufMax)
	case unix.SO_VM_SOCKETS_BUFFER_MIN_SIZE:
		b = binary.LittleEndian.AppendUint64(nil, vs.bufMin)
	case unix.SO_VM_SOCKETS_CONNECT_TIMEOUT_NEW, unix.SO_VM_SOCKETS_CONNECT_TIMEOUT_OLD:
		// sock_get_timeout
		hz, t := s.st.kernelHZ(), vs.connectTimeout
		b = binary.LittleEndian.AppendUint64(nil, uint64(t/hz))
		b = binary.LittleEndian.AppendUint64(b, uint64((t%hz)*1e6/hz))
	default:
		return nil, unix.ENOPROTOOPT
	}
	if size < len(b) {
		return nil, unix.EINVAL
	}
	return b, nil
}
