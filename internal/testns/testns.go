// Package testns builds network namespaces for tests that need a real link: it skips the test
// without root or iproute2 (fails it under SCAN445_REQUIRE_PEERS=1), deletes what it built
// when the test ends, and runs code or commands inside a namespace. Every namespace a test
// makes starts with the prefix its caller gives, so parallel test runs do not collide.
// (bench/internal/benchns does the same for the benchmarks, which the Go internal rule keeps
// out of reach of tests outside bench/.)
package testns

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/scan445/scan445/internal/netns"
	"github.com/scan445/scan445/internal/testpeer"
)

// Set is the namespaces one test made.
type Set struct {
	names []string
}

// New creates one namespace per name (prefix + name + the test process id, so two runs of
// the same test do not collide), each with lo up, and deletes them when t ends. It skips t
// without root or `ip`.
func New(t testing.TB, prefix string, names ...string) *Set {
	t.Helper()
	testpeer.Need(t, "root (network namespaces)", os.Geteuid() == 0)
	testpeer.LookPath(t, "ip", "/usr/sbin/ip", "/sbin/ip")
	s := &Set{}
	for _, n := range names {
		s.names = append(s.names, fmt.Sprintf("%s%s%d", prefix, n, os.Getpid()))
	}
	t.Cleanup(s.Teardown)
	for _, n := range s.names {
		MustRun(t, "ip", "netns", "add", n)
		MustRun(t, "ip", "-n", n, "link", "set", "lo", "up")
	}
	return s
}

// Name is the full name of the i-th namespace.
func (s *Set) Name(i int) string { return s.names[i] }

// Link joins namespaces a and b with a veth pair named ifA/ifB holding the CIDR addresses
// addrA/addrB, both up.
func (s *Set) Link(t testing.TB, a int, ifA, addrA string, b int, ifB, addrB string) {
	t.Helper()
	MustRun(t, "ip", "-n", s.Name(a), "link", "add", ifA, "type", "veth", "peer", "name", ifB, "netns", s.Name(b))
	MustRun(t, "ip", "-n", s.Name(a), "addr", "add", addrA, "dev", ifA)
	MustRun(t, "ip", "-n", s.Name(b), "addr", "add", addrB, "dev", ifB)
	MustRun(t, "ip", "-n", s.Name(a), "link", "set", ifA, "up")
	MustRun(t, "ip", "-n", s.Name(b), "link", "set", ifB, "up")
}

// In runs `ip -n NAME args…` in namespace i (route, addr, link…), failing t on error.
func (s *Set) In(t testing.TB, i int, args ...string) {
	t.Helper()
	MustRun(t, append([]string{"ip", "-n", s.Name(i)}, args...)...)
}

// Command is exec.CommandContext of args inside namespace i.
func (s *Set) Command(ctx context.Context, i int, args ...string) *exec.Cmd {
	return exec.CommandContext(ctx, "ip", append([]string{"netns", "exec", s.Name(i)}, args...)...)
}

// Do runs fn on an OS thread switched into namespace i (see netns.Do).
func (s *Set) Do(i int, fn func() error) error { return netns.Do(s.Name(i), fn) }

// Teardown ends the processes left in the namespaces and deletes them (netns.Delete).
func (s *Set) Teardown() { netns.Delete(s.names...) }

// MustRun runs a command with a 20 s timeout, failing t with its output on error.
func MustRun(t testing.TB, args ...string) []byte {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, args[0], args[1:]...).CombinedOutput()
	if err != nil {
		t.Fatalf("%s: %v: %s", strings.Join(args, " "), err, strings.TrimSpace(string(out)))
	}
	return out
}
