package scanner

import (
	"context"
	"fmt"
	"net"
	"net/netip"
	"strconv"
	"strings"
)

// Port policy, in one place so that the engine only asks "which port next?".
//
// A host is tried on Config.Port (445), then on each Config.Fallback port (139) in order, but a
// later port only when the earlier one was closed: a RST proves the host is alive, and a host
// that refuses 445 while answering on 139 is the XP SP2 / Server 2003 box whose firewall lets
// file sharing through on NetBIOS only (nmap tries both ports too).
//
// A filtered port (no answer within the timeout, after the retries) does not move on unless
// Config.FallbackFiltered is set. On a sparse sweep nearly every address is dead, and each dead
// address would then wait out a second connect timeout on 139: twice the SYNs, twice the wall
// time at the same rate (bench/RESULTS.md, "Port 139 fallback"). A host whose firewall drops 445
// silently and passes 139 is rare next to that cost, and the opt-in covers it. An unreachable
// host or a local error ends the host: another port cannot help.
//
// The result's Port is the port that answered, or the last one tried; Tried lists the ports
// before it and how each ended.

// PortTry is one port a host was tried on before the one its result reports.
type PortTry struct {
	Port   int    `json:"port"`
	Status Status `json:"status"`
}

// maxPorts bounds a --ports list: each port a host moves on from costs another connect.
const maxPorts = 4

// ParsePorts reads a --ports list ("445,139"): 1 to 4 distinct ports from 1 to 65535, in the
// order they are tried.
func ParsePorts(s string) ([]int, error) {
	var out []int
	for _, f := range strings.Split(s, ",") {
		f = strings.TrimSpace(f)
		p, err := strconv.Atoi(f)
		if err != nil || p < 1 || p > 65535 {
			return nil, fmt.Errorf("port %q: must be 1-65535", f)
		}
		for _, q := range out {
			if q == p {
				return nil, fmt.Errorf("port %d listed twice", p)
			}
		}
		out = append(out, p)
	}
	if len(out) > maxPorts {
		return nil, fmt.Errorf("%d ports: at most %d (each port a host moves on from costs another connect)", len(out), maxPorts)
	}
	return out, nil
}

// Ports is the list a host is tried on, in order.
func (c *Config) Ports() []int {
	return append([]int{c.Port}, c.Fallback...)
}

// movesOn says whether a connect that ended in st goes on to the next port of the list.
func (c *Config) movesOn(st Status) bool {
	return st == StatusClosed || (st == StatusFiltered && c.FallbackFiltered)
}

// deadPorts is how many ports an address that answers nothing is dialled on: the connect
// timeouts it waits out (plan.go sizes the connect stage with it).
func (c *Config) deadPorts() int {
	if c.FallbackFiltered {
		return 1 + len(c.Fallback)
	}
	return 1
}

// connectPorts connects to addr on Port and then the Fallback ports under the policy above;
// dialPort is the engine's retrying connect on one port. It returns the connection (nil when
// none answered), the port the result reports, the earlier tries, and the last error.
func (c *Config) connectPorts(ctx context.Context, addr netip.Addr,
	dialPort func(context.Context, netip.AddrPort) (net.Conn, error)) (net.Conn, int, []PortTry, error) {
	ports := c.Ports()
	var tried []PortTry
	for i := 0; ; i++ { // ports is never empty, and its last port always returns
		p := ports[i]
		conn, err := dialPort(ctx, netip.AddrPortFrom(addr, uint16(p)))
		if err == nil {
			return conn, p, tried, nil
		}
		st := classify(err)
		if i == len(ports)-1 || !c.movesOn(st) || ctx.Err() != nil {
			return nil, p, tried, err
		}
		tried = append(tried, PortTry{Port: p, Status: st})
	}
}
