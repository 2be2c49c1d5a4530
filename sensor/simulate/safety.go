package simulate

import (
	"errors"
	"fmt"
	"net/netip"
	"os"
	"strconv"
	"strings"
)

// ErrUnsafeTarget means a run would send the exploit path beyond loopback from the initial
// network namespace.
var ErrUnsafeTarget = errors.New("simulate: refusing to send the MS08-067 exploit path")

// loopback is 127.0.0.0/8.
func loopback() netip.Prefix { return netip.MustParsePrefix("127.0.0.0/8") }

// Namespaces are the network-namespace links of this process and of PID 1, as readlink gives
// them ("net:[4026531840]"); an empty Init means it could not be read.
type Namespaces struct {
	Self, Init string
	// InitFrom says whose namespace Init is: "pid 1", or the farthest ancestor that could be
	// read when PID 1's cannot (a sandbox that denies it even to root).
	InitFrom string
}

// CurrentNamespaces reads /proc/self/ns/net and /proc/1/ns/net; when PID 1's is unreadable
// it takes the namespace of the farthest ancestor whose link it can read. A process moved
// into a namespace (ip netns exec) differs from that ancestor; one started in the ancestor's
// namespace does not, and is refused as before.
func CurrentNamespaces() Namespaces {
	ns := Namespaces{InitFrom: "pid 1"}
	ns.Self, _ = os.Readlink("/proc/self/ns/net")
	if init, err := os.Readlink("/proc/1/ns/net"); err == nil {
		ns.Init = init
		return ns
	}
	ns.InitFrom = ""
	for pid, hops := os.Getppid(), 0; pid > 1 && hops < 64; hops++ {
		if link, err := os.Readlink(fmt.Sprintf("/proc/%d/ns/net", pid)); err == nil {
			ns.Init, ns.InitFrom = link, fmt.Sprintf("ancestor pid %d", pid)
		}
		pid = parentPID(pid)
	}
	return ns
}

// parentPID reads the PPid line of /proc/PID/status; 0 when it cannot.
func parentPID(pid int) int {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "PPid:"); ok {
			n, _ := strconv.Atoi(strings.TrimSpace(v))
			return n
		}
	}
	return 0
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
		return "no ancestor's namespace readable, so assumed"
	}
	return ns.Self + ", the same as " + ns.InitFrom
}
