package nat

import (
	"fmt"
	"net"
	"net/netip"
	"strconv"
	"strings"
	"sync"
	"time"

	"gvisor.dev/gvisor/pkg/tcpip"
	"gvisor.dev/gvisor/pkg/tcpip/adapters/gonet"
	"gvisor.dev/gvisor/pkg/tcpip/network/ipv4"
)

// Publish is a host port forwarded into the sandbox (--publish).
type Publish struct {
	Proto string         // "tcp" or "udp"
	Host  netip.AddrPort // where the host listens
	Port  uint16         // the sandbox's port
}

// ParsePublish reads --publish's [HOSTIP:]HOSTPORT:SANDBOXPORT[/tcp|/udp].
// The host side listens on 127.0.0.1 unless HOSTIP says otherwise, so
// that a published port is not offered to the host's whole network by
// accident.
func ParsePublish(s string) (Publish, error) {
	p := Publish{Proto: "tcp", Host: netip.AddrPortFrom(hostLoopback, 0)}
	rest := s
	if cut, ok := strings.CutSuffix(rest, "/udp"); ok {
		rest, p.Proto = cut, "udp"
	} else if cut, ok := strings.CutSuffix(rest, "/tcp"); ok {
		rest = cut
	}
	i := strings.LastIndexByte(rest, ':')
	if i < 0 {
		return Publish{}, fmt.Errorf("%q: want [HOSTIP:]HOSTPORT:SANDBOXPORT[/udp]", s)
	}
	hostPart, sandboxPort := rest[:i], rest[i+1:]
	sp, err := strconv.ParseUint(sandboxPort, 10, 16)
	if err != nil || sp == 0 {
		return Publish{}, fmt.Errorf("%q: bad sandbox port %q", s, sandboxPort)
	}
	p.Port = uint16(sp)
	hostPort := hostPart
	if j := strings.LastIndexByte(hostPart, ':'); j >= 0 {
		ip, err := netip.ParseAddr(strings.Trim(hostPart[:j], "[]"))
		if err != nil {
			return Publish{}, fmt.Errorf("%q: bad host address %q", s, hostPart[:j])
		}
		p.Host, hostPort = netip.AddrPortFrom(ip, 0), hostPart[j+1:]
	}
	hp, err := strconv.ParseUint(hostPort, 10, 16)
	if err != nil || hp == 0 {
		return Publish{}, fmt.Errorf("%q: bad host port %q", s, hostPort)
	}
	p.Host = netip.AddrPortFrom(p.Host.Addr(), uint16(hp))
	return p, nil
}

// publish listens on the host for p and carries what arrives to the
// sandbox's port, from the gateway's address.
func (n *NAT) publish(p Publish) error {
	if p.Proto == "udp" {
		return n.publishUDP(p)
	}
	ln, err := onHost(func() (net.Listener, error) { return net.Listen("tcp", p.Host.String()) })
	if err != nil {
		return fmt.Errorf("nat: publish %v: %w", p.Host, err)
	}
	if _, ok := n.track(func() { ln.Close() }); !ok {
		ln.Close()
		return nil
	}
	to := tcpip.FullAddress{NIC: nicID, Addr: tcpip.AddrFrom4(n.cfg.Sandbox.As4()), Port: p.Port}
	n.wg.Add(1)
	go func() {
		defer n.wg.Done()
		for {
			hc, err := ln.Accept()
			if err != nil {
				return
			}
			n.wg.Add(1)
			go func() {
				defer n.wg.Done()
				sc, err := gonet.DialContextTCP(n.ctx, n.gs, to, ipv4.ProtocolNumber)
				if err != nil {
					n.logf("publish %v -> sandbox port %d: %v", p.Host, p.Port, err)
					hc.(*net.TCPConn).SetLinger(0) // a reset, as the refusal
					hc.Close()
					return
				}
				n.relay(sc, hc.(*net.TCPConn))
			}()
		}
	}()
	return nil
}

// publishUDP forwards the datagrams of each host peer to the sandbox's
// port through a flow of its own, and the sandbox's answers back to that
// peer, until the flow is idle for udpIdle.
func (n *NAT) publishUDP(p Publish) error {
	pc, err := onHost(func() (*net.UDPConn, error) { return net.ListenUDP("udp", net.UDPAddrFromAddrPort(p.Host)) })
	if err != nil {
		return fmt.Errorf("nat: publish %v/udp: %w", p.Host, err)
	}
	if _, ok := n.track(func() { pc.Close() }); !ok {
		pc.Close()
		return nil
	}
	to := &tcpip.FullAddress{NIC: nicID, Addr: tcpip.AddrFrom4(n.cfg.Sandbox.As4()), Port: p.Port}
	var mu sync.Mutex
	flows := make(map[netip.AddrPort]*gonet.UDPConn)
	n.wg.Add(1)
	go func() {
		defer n.wg.Done()
		buf := make([]byte, 65536)
		for {
			m, peer, err := pc.ReadFromUDPAddrPort(buf)
			if err != nil {
				return
			}
			mu.Lock()
			sc := flows[peer]
			if sc == nil {
				sc, err = gonet.DialUDP(n.gs, nil, to, ipv4.ProtocolNumber)
				if err != nil {
					mu.Unlock()
					continue
				}
				flows[peer] = sc
				untrack, _ := n.track(func() { sc.Close() })
				n.wg.Add(1)
				go func() {
					defer n.wg.Done()
					defer untrack()
					b := make([]byte, 65536)
					for {
						sc.SetReadDeadline(time.Now().Add(udpIdle))
						k, err := sc.Read(b)
						if err != nil {
							break
						}
						pc.WriteToUDPAddrPort(b[:k], peer)
					}
					mu.Lock()
					delete(flows, peer)
					mu.Unlock()
					sc.Close()
				}()
			}
			mu.Unlock()
			sc.Write(buf[:m])
		}
	}()
	return nil
}
