package sentry

import (
	"encoding/binary"
	"fmt"
	"net"
	"net/netip"
	"os"

	"golang.org/x/sys/unix"

	"github.com/netbox-sandbox/netbox/netstack"
	"github.com/netbox-sandbox/netbox/netstack/nlattr"
)

// The program's network namespace is the kernel's, and netbox's eth0 is
// not in it: `ip addr`, `ip route`, getifaddrs and the interface ioctls
// (which netbox runs there) would show lo alone. So netbox puts a veth
// end called eth0 there with eth0's MAC, MTU, addresses and routes; its
// peer is in netbox's own private namespace (the placeholders'), up and
// without addresses, so that eth0 has a carrier; what the kernel sends
// through eth0 (IPv6 router solicitations…) dies there. It only shows:
// every socket of the program is netbox's, so no traffic of the
// program's takes it. (A veth, not a TAP: /dev/net/tun is root's alone,
// and unprivileged netbox shows eth0 too.)

// eth0View is eth0's view in one namespace.
type eth0View struct {
	ns     int    // the namespace (an fd), for later changes
	index  uint32 // eth0's interface index there
	peerNS int    // the peer's namespace (netbox's private one)
}

// viewPeerName is the name of eth0's peer in netbox's private namespace.
func viewPeerName() string { return fmt.Sprintf("nbview%d", os.Getpid()%100000000) }

// openCapture opens the sockets netbox mirrors eth0's frames through
// (netstack.Options.OpenEthCapture): one bound to eth0 in the program's
// namespace, one to its peer; both send only (protocol 0 receives
// nothing).
func (v *eth0View) openCapture() (out, in int, err error) {
	if out, err = inNetNSFile(v.ns, func() (int, error) { return sendOnlyPacketSocket("eth0") }); err != nil {
		return -1, -1, err
	}
	if in, err = inNetNSFile(v.peerNS, func() (int, error) { return sendOnlyPacketSocket(viewPeerName()) }); err != nil {
		unix.Close(out)
		return -1, -1, err
	}
	return out, in, nil
}

// makeEth0View creates eth0's view in thread tid's network namespace
// (netbox has CAP_NET_ADMIN over it: the sandbox's namespaces are its),
// its peer in the namespace peerNS (an fd), and brings lo up there too
// (the program's own attempt fails without privileges).
func makeEth0View(tid int, link *netstack.LinkConfig, peerNS int) (*eth0View, error) {
	ns, err := unix.Open(fmt.Sprintf("/proc/%d/ns/net", tid), unix.O_RDONLY|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, fmt.Errorf("sentry: eth0 in the sandbox's namespace: %w", err)
	}
	v := &eth0View{ns: ns, peerNS: peerNS}
	_, err = inNetNSFile(ns, func() (int, error) {
		setLinkUp("lo")
		index, err := configureView(link, peerNS)
		v.index = index
		return -1, err
	})
	if err != nil {
		unix.Close(ns)
		return nil, fmt.Errorf("sentry: eth0 in the sandbox's namespace: %w", err)
	}
	return v, nil
}

// setIPv6 shows eth0's IPv6 address and default router as SLAAC made
// them (the old ones stay until the program removes them).
func (v *eth0View) setIPv6(addr netip.Prefix, gw netip.Addr) error {
	_, err := inNetNSFile(v.ns, func() (int, error) {
		nl, err := unix.Socket(unix.AF_NETLINK, unix.SOCK_RAW|unix.SOCK_CLOEXEC, unix.NETLINK_ROUTE)
		if err != nil {
			return -1, err
		}
		defer unix.Close(nl)
		if addr.IsValid() {
			if err := addAddress(nl, v.index, addr); err != nil && err != unix.EEXIST {
				return -1, err
			}
		}
		if gw.IsValid() {
			if err := setDefaultRoute(nl, v.index, gw, unix.NLM_F_CREATE|unix.NLM_F_REPLACE); err != nil {
				return -1, err
			}
		}
		return -1, nil
	})
	return err
}

func (v *eth0View) close() {
	if v != nil {
		unix.Close(v.ns)
	}
}

// configureView makes the calling thread's eth0: a veth end with the
// link's MAC and MTU, up, its peer in peerNS; then its addresses and
// default routes. It returns eth0's index.
func configureView(link *netstack.LinkConfig, peerNS int) (uint32, error) {
	here, err := unix.Open("/proc/thread-self/ns/net", unix.O_RDONLY|unix.O_CLOEXEC, 0)
	if err != nil {
		return 0, err
	}
	defer unix.Close(here)
	// The pair is made from the peer's side (`ip link add nbviewPID up
	// type veth peer name eth0 netns HERE address MAC mtu MTU`): a veth
	// comes up only once its peer is linked, which the peer's own
	// settings at creation precede (veth_open: ENOTCONN).
	if err := unix.Setns(peerNS, unix.CLONE_NEWNET); err != nil {
		return 0, err
	}
	peerNL, err := unix.Socket(unix.AF_NETLINK, unix.SOCK_RAW|unix.SOCK_CLOEXEC, unix.NETLINK_ROUTE)
	if err2 := unix.Setns(here, unix.CLONE_NEWNET); err2 != nil {
		if err == nil {
			unix.Close(peerNL)
		}
		return 0, err2
	}
	if err != nil {
		return 0, err
	}
	defer unix.Close(peerNL)
	var u32, nsfd [4]byte
	binary.LittleEndian.PutUint32(u32[:], link.LinkMTU())
	binary.LittleEndian.PutUint32(nsfd[:], uint32(here))
	eth0 := nlattr.Append(ifinfo(0), unix.IFLA_IFNAME, cstring("eth0"))
	eth0 = nlattr.Append(eth0, unix.IFLA_NET_NS_FD, nsfd[:])
	eth0 = nlattr.Append(eth0, unix.IFLA_ADDRESS, link.MAC[:])
	eth0 = nlattr.Append(eth0, unix.IFLA_MTU, u32[:])
	info := nlattr.Append(nil, unix.IFLA_INFO_KIND, cstring("veth"))
	info = nlattr.Append(info, unix.IFLA_INFO_DATA, nlattr.Append(nil, vethInfoPeer, eth0))
	msg := nlattr.Append(ifinfo(unix.IFF_UP), unix.IFLA_IFNAME, cstring(viewPeerName()))
	msg = nlattr.Append(msg, unix.IFLA_MTU, u32[:])
	msg = nlattr.Append(msg, unix.IFLA_LINKINFO, info)
	if err := rtRequest(peerNL, unix.RTM_NEWLINK, unix.NLM_F_CREATE|unix.NLM_F_EXCL, msg); err != nil {
		return 0, fmt.Errorf("veth: %w", err)
	}
	if err := setLinkUp("eth0"); err != nil {
		return 0, fmt.Errorf("up: %w", err)
	}
	ifi, err := net.InterfaceByName("eth0")
	if err != nil {
		return 0, err
	}
	index := uint32(ifi.Index)
	nl, err := unix.Socket(unix.AF_NETLINK, unix.SOCK_RAW|unix.SOCK_CLOEXEC, unix.NETLINK_ROUTE)
	if err != nil {
		return 0, err
	}
	defer unix.Close(nl)
	for _, a := range []netip.Prefix{link.Addr, link.Addr6} {
		if a.IsValid() {
			if err := addAddress(nl, index, a); err != nil {
				return 0, fmt.Errorf("address %v: %w", a, err)
			}
		}
	}
	for _, gw := range []netip.Addr{link.Gateway, link.Gateway6} {
		if gw.IsValid() {
			if err := setDefaultRoute(nl, index, gw, unix.NLM_F_CREATE|unix.NLM_F_EXCL); err != nil {
				return 0, fmt.Errorf("default route via %v: %w", gw, err)
			}
		}
	}
	return index, nil
}

// vethInfoPeer is VETH_INFO_PEER (linux/veth.h).
const vethInfoPeer = 1

// ifinfo is a struct ifinfomsg (AF_UNSPEC) setting flags.
func ifinfo(flags uint32) []byte {
	b := make([]byte, unix.SizeofIfInfomsg)
	binary.LittleEndian.PutUint32(b[8:], flags)  // ifi_flags
	binary.LittleEndian.PutUint32(b[12:], flags) // ifi_change
	return b
}

func cstring(s string) []byte { return append([]byte(s), 0) }

// addAddress is `ip addr add A dev INDEX nodad`.
func addAddress(nl int, index uint32, a netip.Prefix) error {
	family := byte(unix.AF_INET)
	if a.Addr().Is6() {
		family = unix.AF_INET6
	}
	msg := make([]byte, unix.SizeofIfAddrmsg)
	msg[0], msg[1], msg[2] = family, byte(a.Bits()), unix.IFA_F_NODAD
	binary.LittleEndian.PutUint32(msg[4:], index)
	msg = nlattr.Append(msg, unix.IFA_LOCAL, a.Addr().AsSlice())
	msg = nlattr.Append(msg, unix.IFA_ADDRESS, a.Addr().AsSlice())
	return rtRequest(nl, unix.RTM_NEWADDR, unix.NLM_F_CREATE|unix.NLM_F_EXCL, msg)
}

// setDefaultRoute is `ip route add default via GW dev INDEX` (flags:
// NLM_F_CREATE with NLM_F_EXCL, or NLM_F_REPLACE for `ip route replace`).
func setDefaultRoute(nl int, index uint32, gw netip.Addr, flags uint16) error {
	family := byte(unix.AF_INET)
	if gw.Is6() {
		family = unix.AF_INET6
	}
	msg := make([]byte, unix.SizeofRtMsg)
	msg[0] = family
	msg[4], msg[5], msg[6], msg[7] = unix.RT_TABLE_MAIN, unix.RTPROT_BOOT, unix.RT_SCOPE_UNIVERSE, unix.RTN_UNICAST
	msg = nlattr.Append(msg, unix.RTA_GATEWAY, gw.AsSlice())
	var oif [4]byte
	binary.LittleEndian.PutUint32(oif[:], index)
	msg = nlattr.Append(msg, unix.RTA_OIF, oif[:])
	return rtRequest(nl, unix.RTM_NEWROUTE, flags, msg)
}

// rtRequest sends one rtnetlink request and reads its acknowledgement.
func rtRequest(nl int, typ, flags uint16, body []byte) error {
	req := make([]byte, unix.NLMSG_HDRLEN, unix.NLMSG_HDRLEN+len(body))
	binary.LittleEndian.PutUint32(req, uint32(unix.NLMSG_HDRLEN+len(body)))
	binary.LittleEndian.PutUint16(req[4:], typ)
	binary.LittleEndian.PutUint16(req[6:], unix.NLM_F_REQUEST|unix.NLM_F_ACK|flags)
	binary.LittleEndian.PutUint32(req[8:], 1) // seq
	req = append(req, body...)
	if err := unix.Sendto(nl, req, 0, &unix.SockaddrNetlink{Family: unix.AF_NETLINK}); err != nil {
		return err
	}
	buf := make([]byte, 4096)
	n, _, err := unix.Recvfrom(nl, buf, 0)
	if err != nil {
		return err
	}
	if n < unix.NLMSG_HDRLEN+4 || binary.LittleEndian.Uint16(buf[4:]) != unix.NLMSG_ERROR {
		return fmt.Errorf("rtnetlink: unexpected answer")
	}
	if e := int32(binary.LittleEndian.Uint32(buf[unix.NLMSG_HDRLEN:])); e != 0 {
		return unix.Errno(-e)
	}
	return nil
}
