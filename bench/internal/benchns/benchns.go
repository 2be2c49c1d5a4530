// Package benchns builds the benchmarks' two-namespace lab: a scanner namespace joined by a veth
// pair to a target namespace in which a whole address block is local, so one listener answers
// for every address. Only addresses inside these namespaces are ever reached: the scanner
// namespace has no default route.
package benchns

import (
	"context"
	"fmt"
	"os/exec"
	"strings"
	"time"

	"github.com/scan445/scan445/internal/netns"
)

// Pair names the two namespaces and the block made local in the target one.
type Pair struct {
	Scan, Target string
	Space        string // e.g. "10.77.0.0/16"
}

// Run runs one command with a timeout and returns its combined output.
func Run(ctx context.Context, timeout time.Duration, args ...string) ([]byte, error) {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	out, err := exec.CommandContext(ctx, args[0], args[1:]...).CombinedOutput()
	if err != nil {
		return out, fmt.Errorf("%s: %w: %s", strings.Join(args, " "), err, strings.TrimSpace(string(out)))
	}
	return out, nil
}

// Create removes any leftover of p, then builds it; extra steps (sysctls, routes) run after the
// common ones, nftRules (if any) are loaded into the target namespace last.
func (p Pair) Create(ctx context.Context, extra [][]string, nftRules string) error {
	p.Teardown()
	steps := [][]string{
		{"ip", "netns", "add", p.Scan},
		{"ip", "netns", "add", p.Target},
		{"ip", "-n", p.Scan, "link", "set", "lo", "up"},
		{"ip", "-n", p.Target, "link", "set", "lo", "up"},
		{"ip", "-n", p.Scan, "link", "add", "veth-s", "type", "veth", "peer", "name", "veth-t", "netns", p.Target},
		{"ip", "-n", p.Scan, "addr", "add", "10.78.0.1/30", "dev", "veth-s"},
		{"ip", "-n", p.Target, "addr", "add", "10.78.0.2/30", "dev", "veth-t"},
		{"ip", "-n", p.Scan, "link", "set", "veth-s", "up"},
		{"ip", "-n", p.Target, "link", "set", "veth-t", "up"},
		{"ip", "-n", p.Target, "route", "add", "local", p.Space, "dev", "lo"},
		{"ip", "-n", p.Scan, "route", "add", p.Space, "via", "10.78.0.2"},
		{"ip", "netns", "exec", p.Scan, "sysctl", "-qw", "net.ipv4.ip_local_port_range=1024 65000"},
		{"ip", "netns", "exec", p.Target, "sysctl", "-qw", "net.core.somaxconn=65535"},
	}
	for _, s := range append(steps, extra...) {
		if _, err := Run(ctx, 20*time.Second, s...); err != nil {
			p.Teardown()
			return err
		}
	}
	if nftRules != "" {
		nft := exec.CommandContext(ctx, "ip", "netns", "exec", p.Target, "nft", "-f", "-")
		nft.Stdin = strings.NewReader(nftRules)
		if out, err := nft.CombinedOutput(); err != nil {
			p.Teardown()
			return fmt.Errorf("nft (apt-get install nftables): %w: %s", err, out)
		}
	}
	return nil
}

// Teardown ends every process left in either namespace (all started by the bench: the
// namespaces are its own), then deletes them.
func (p Pair) Teardown() { netns.Delete(p.Scan, p.Target) }
