package egress

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/scan445/scan445/internal/testpeer"
	"github.com/scan445/scan445/smbprobe"
)

// The border test builds three network namespaces — inside, border, outside — with the
// border routing between the two others, and asserts what egress reports for each border
// policy on port 445: pass, reject with a TCP reset, drop, and reject with an ICMP
// admin-prohibited. The outside endpoint listens on 445 in every case, so an RST can only be
// the border's. Addresses live only inside the namespaces this test creates.

const (
	insideAddr  = "10.253.1.2"
	borderIn    = "10.253.1.1"
	borderOut   = "10.253.2.1"
	outsideAddr = "10.253.2.2"
)

func sh(t *testing.T, args ...string) {
	t.Helper()
	if out, err := exec.Command(args[0], args[1:]...).CombinedOutput(); err != nil {
		t.Fatalf("%s: %v: %s", strings.Join(args, " "), err, out)
	}
}

// inNetns runs fn on an OS thread moved into namespace ns. The thread is never unlocked, so
// it exits with the goroutine instead of going back to the pool in the wrong namespace.
// Sockets fn opens stay in ns after it returns.
func inNetns(ns string, fn func() error) error {
	errc := make(chan error, 1)
	go func() {
		runtime.LockOSThread()
		f, err := os.Open("/run/netns/" + ns)
		if err != nil {
			errc <- err
			return
		}
		defer f.Close()
		if _, _, e := syscall.RawSyscall(setnsTrap(), f.Fd(), syscall.CLONE_NEWNET, 0); e != 0 {
			errc <- fmt.Errorf("setns %s: %v", ns, e)
			return
		}
		errc <- fn()
	}()
	return <-errc
}

// setnsTrap is setns(2)'s number: package syscall does not name it, and the test needs no
// dependency for one call. 0 on an architecture not listed (the test then skips).
func setnsTrap() uintptr {
	switch runtime.GOARCH {
	case "amd64":
		return 308
	case "arm64", "riscv64", "loong64":
		return 268
	case "386":
		return 346
	case "arm":
		return 375
	}
	return 0
}

// border is the three namespaces of one test run.
type border struct{ in, bd, out string }

func newBorder(t *testing.T) border {
	t.Helper()
	testpeer.Need(t, "root (network namespaces)", os.Geteuid() == 0)
	_, errIP := exec.LookPath("ip")
	_, errNft := exec.LookPath("nft")
	testpeer.Need(t, "ip and nft (iproute2, nftables)", errIP == nil && errNft == nil)
	testpeer.Need(t, "a known setns(2) number for "+runtime.GOARCH, setnsTrap() != 0)
	id := fmt.Sprintf("%d", os.Getpid()%100000)
	b := border{in: "s3r-egi-" + id, bd: "s3r-egb-" + id, out: "s3r-ego-" + id}
	t.Cleanup(func() {
		for _, ns := range []string{b.in, b.bd, b.out} {
			exec.Command("ip", "netns", "del", ns).Run()
		}
	})
	for _, ns := range []string{b.in, b.bd, b.out} {
		sh(t, "ip", "netns", "add", ns)
		sh(t, "ip", "-n", ns, "link", "set", "lo", "up")
	}
	sh(t, "ip", "-n", b.in, "link", "add", "eth0", "type", "veth", "peer", "name", "inside", "netns", b.bd)
	sh(t, "ip", "-n", b.out, "link", "add", "eth0", "type", "veth", "peer", "name", "outside", "netns", b.bd)
	for _, c := range [][]string{
		{"ip", "-n", b.in, "addr", "add", insideAddr + "/24", "dev", "eth0"},
		{"ip", "-n", b.in, "link", "set", "eth0", "up"},
		{"ip", "-n", b.in, "route", "add", "default", "via", borderIn},
		{"ip", "-n", b.bd, "addr", "add", borderIn + "/24", "dev", "inside"},
		{"ip", "-n", b.bd, "addr", "add", borderOut + "/24", "dev", "outside"},
		{"ip", "-n", b.bd, "link", "set", "inside", "up"},
		{"ip", "-n", b.bd, "link", "set", "outside", "up"},
		{"ip", "netns", "exec", b.bd, "sysctl", "-qw", "net.ipv4.ip_forward=1"},
		{"ip", "-n", b.out, "addr", "add", outsideAddr + "/24", "dev", "eth0"},
		{"ip", "-n", b.out, "link", "set", "eth0", "up"},
		{"ip", "-n", b.out, "route", "add", "default", "via", borderOut},
	} {
		sh(t, c...)
	}
	return b
}

// policy replaces the border's forward filter for TCP/445 with rule ("" passes everything).
func (b border) policy(t *testing.T, rule string) {
	t.Helper()
	script := "flush ruleset\ntable inet s3r_border {\n chain forward {\n  type filter hook forward priority 0; policy accept;\n"
	if rule != "" {
		script += "  iifname \"inside\" tcp dport 445 " + rule + "\n"
	}
	script += " }\n}\n"
	cmd := exec.Command("ip", "netns", "exec", b.bd, "nft", "-f", "-")
	cmd.Stdin = strings.NewReader(script)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("nft: %v: %s", err, out)
	}
}

func TestBorderNamespaces(t *testing.T) {
	b := newBorder(t)
	var ln net.Listener
	if err := inNetns(b.out, func() (err error) {
		ln, err = net.Listen("tcp", outsideAddr+":445")
		return err
	}); err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go acceptAndClose(ln)
	for _, tc := range []struct {
		name    string
		rule    string
		outcome Outcome
		verdict smbprobe.Verdict
		rulein  string
	}{
		{"pass", "", Open, smbprobe.Exposed, "egress/open"},
		{"reject-rst", "reject with tcp reset", Refused, smbprobe.NotAffected, "egress/rst"},
		{"drop", "drop", TimedOut, smbprobe.NotAffected, "egress/timeout"},
		{"reject-icmp", "reject with icmp type admin-prohibited", Unreachable, smbprobe.NotAffected, "egress/unreachable"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b.policy(t, tc.rule)
			var r Result
			if err := inNetns(b.in, func() error {
				var d net.Dialer
				r = Test(context.Background(), d.DialContext, Target{Host: outsideAddr, Port: 445}, time.Second)
				return nil
			}); err != nil {
				t.Fatal(err)
			}
			h := HostResult(r, time.Now())
			f := h.SMB.Findings[0]
			if r.Outcome != tc.outcome || f.Verdict != tc.verdict || f.Rule != tc.rulein || f.Check != "egress-445-open" {
				t.Errorf("outcome %s (%s), finding %s %s; want %s, %s %s", r.Outcome, r.Err, f.Verdict, f.Rule, tc.outcome, tc.verdict, tc.rulein)
			}
			t.Logf("%s: %s %q in %s", tc.name, r.Outcome, r.Err, r.Elapsed.Round(time.Millisecond))
		})
	}
}
