package simulate

import (
	"errors"
	"fmt"
	"net/netip"
	"os"
)

// ErrUnsafeTarget means a run would send the exploit path beyond loopback from the initial
// network namespace.
var ErrUnsafeTarget = errors.New("simulate: refusing to send the MS08-067 exploit path")

// loopback is 127.0.0.0/8.
func loopback() netip.Prefix { return netip.MustParsePrefix("127.0.0.0/8") }

// Namespaces are the network-namespace links of this process and of PID 1, as readlink gives
// them ("net:[4026531840]"); an empty Init means it could not be read (not root).
type Namespaces struct {
	Self, Init string
}

// CurrentNamespaces reads /proc/self/ns/net and /proc/1/ns/net.
func CurrentNamespaces() Namespaces {
	self, _ := os.Readlink("/proc/self/ns/net")
	init, _ := os.Readlink("/proc/1/ns/net")
	return Namespaces{Self: self, Init: init}
}

// Isolated says whether this process is known to run in a network namespace other than PID 1's.
func (n Namespaces) Isolated() bool { return n.Self != "" && n.Init != "" && n.Self != n.Init }

// CheckTargets refuses (ErrUnsafeTarget) unless every range and server lies in 127.0.0.0/8,
// or ns is Isolated.
func CheckTargets(ranges []netip.Prefix, servers []netip.AddrPort, ns Namespaces) error {
	if ns.Isolated() {
		return nil
	}
	lo := loopback()
	for _, p := range ranges {
		if !p.Addr().Is4() || p.Bits() < lo.Bits() || !lo.Contains(p.Masked().Addr()) {
			return fmt.Errorf("%w: range %s is outside 127.0.0.0/8 and this process is in the initial network namespace (%s); run it inside a namespace of its own (ip netns exec …)", ErrUnsafeTarget, p, nsWords(ns))
		}
	}
	for _, s := range servers {
		if !lo.Contains(s.Addr().Unmap()) {
			return fmt.Errorf("%w: server %s is outside 127.0.0.0/8 and this process is in the initial network namespace (%s)", ErrUnsafeTarget, s, nsWords(ns))
		}
	}
	return nil
}

func nsWords(ns Namespaces) string {
	if ns.Init == "" {
		return "/proc/1/ns/net unreadable, so assumed"
	}
	return ns.Self
}
