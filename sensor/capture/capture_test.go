package capture

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"
	"os/exec"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/scan445/scan445/internal/testns"
	"github.com/scan445/scan445/internal/testpeer"
)

// TestRunNetns captures on the sensor's end of a veth pair while a client namespace, which
// routes a /24 toward the sensor, knocks on addresses of it: dark ones (nobody answers: the
// sensor holds a blackhole route), one the sensor itself listens on (its own answers leave it
// dark), a live host behind the sensor (which routes to it: its forwarded SYN-ACK makes it
// live), a port that is not watched. Real kernel, real filter, real frames.
func TestRunNetns(t *testing.T) {
	ns := testns.New(t, "s3c", "cs", "cc", "cl")
	const sensor, client, live = 0, 1, 2
	ns.Link(t, sensor, "s3c-cap0", "10.203.0.1/30", client, "s3c-cap1", "10.203.0.2/30")
	ns.Link(t, sensor, "s3c-cap2", "10.203.2.1/30", live, "s3c-cap3", "10.203.2.2/30")
	testns.MustRun(t, "ip", "netns", "exec", ns.Name(sensor), "sysctl", "-qw", "net.ipv4.ip_forward=1")
	ns.In(t, sensor, "route", "add", "blackhole", "10.203.9.0/24")
	ns.In(t, sensor, "route", "add", "10.203.9.7/32", "via", "10.203.2.2")
	ns.In(t, sensor, "addr", "add", "10.203.9.5/32", "dev", "lo")
	ns.In(t, live, "addr", "add", "10.203.9.7/32", "dev", "lo")
	ns.In(t, live, "route", "add", "default", "via", "10.203.2.1")
	ns.In(t, client, "route", "add", "10.203.9.0/24", "via", "10.203.0.1")

	for _, l := range []struct {
		ns   int
		addr string
	}{{sensor, "10.203.9.5:445"}, {live, "10.203.9.7:445"}} {
		var ln net.Listener
		if err := ns.Do(l.ns, func() (err error) { ln, err = net.Listen("tcp4", l.addr); return }); err != nil {
			t.Fatal(err)
		}
		defer ln.Close()
		go func() {
			for {
				c, err := ln.Accept()
				if err != nil {
					return
				}
				c.Close()
			}
		}()
	}

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var mu sync.Mutex
	var syns []SYN
	ready := make(chan struct{})
	done := make(chan error, 1)
	var stats Stats
	go func() {
		done <- ns.Do(sensor, func() (err error) {
			stats, err = Run(ctx, Options{
				Interface: "s3c-cap0", Dark: []netip.Prefix{netip.MustParsePrefix("10.203.9.0/24")},
				Grace: 500 * time.Millisecond, Ready: func() { close(ready) },
			}, func(s SYN) { mu.Lock(); syns = append(syns, s); mu.Unlock() })
			return err
		})
	}()
	select {
	case <-ready:
	case err := <-done:
		t.Fatalf("capture did not start: %v", err)
	case <-time.After(10 * time.Second):
		t.Fatal("capture did not start in 10 s")
	}

	dial := func(addr string, timeout time.Duration) {
		ns.Do(client, func() error {
			c, err := net.DialTimeout("tcp4", addr, timeout)
			if err == nil {
				c.Close()
			}
			return nil
		})
	}
	var wg sync.WaitGroup
	// 1.5 s: the kernel resends the SYN after 1 s, which must not count twice.
	for _, a := range []string{"10.203.9.1:445", "10.203.9.2:445", "10.203.9.3:139"} {
		wg.Add(1)
		go func() { defer wg.Done(); dial(a, 1500*time.Millisecond) }()
	}
	dial("10.203.9.7:445", 2*time.Second)
	dial("10.203.9.5:445", 2*time.Second)
	dial("10.203.9.8:80", 200*time.Millisecond)
	wg.Wait()
	time.Sleep(700 * time.Millisecond) // past the grace time
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}

	var got []string
	for _, s := range syns {
		got = append(got, fmt.Sprintf("%s>%s:%d dark=%v", s.Src, s.Dst, s.DstPort, s.Dark))
	}
	sort.Strings(got)
	want := []string{
		"10.203.0.2>10.203.9.1:445 dark=true",
		"10.203.0.2>10.203.9.2:445 dark=true",
		"10.203.0.2>10.203.9.3:139 dark=true",
		"10.203.0.2>10.203.9.5:445 dark=true",
		"10.203.0.2>10.203.9.7:445 dark=false",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("SYNs:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if stats.Retransmits == 0 {
		t.Errorf("no retransmission collapsed: %+v", stats)
	}
	if stats.Answers == 0 {
		t.Errorf("the live host's SYN-ACK was not seen: %+v", stats)
	}
	t.Logf("stats %+v", stats)
}

// childEnv asks the test binary to be the capability-less child of TestNeedCapNetRaw.
const childEnv = "SCAN445_CAPTURE_NOCAP_CHILD"

// TestNeedCapNetRaw re-runs this test binary with CAP_NET_RAW dropped from its bounding set
// (root otherwise): Run must refuse with ErrNeedCapNetRaw and say what to do.
func TestNeedCapNetRaw(t *testing.T) {
	if os.Getenv(childEnv) == "1" {
		_, err := Run(context.Background(), Options{Interface: "lo"}, func(SYN) {})
		fmt.Printf("child error: %v\n", err)
		if !errors.Is(err, ErrNeedCapNetRaw) {
			t.Fatalf("err = %v, want ErrNeedCapNetRaw", err)
		}
		return
	}
	setpriv := testpeer.LookPath(t, "setpriv", "/usr/bin/setpriv")
	testpeer.Need(t, "root (to drop a capability)", os.Geteuid() == 0)
	cmd := exec.Command(setpriv, "--inh-caps=-all", "--bounding-set=-net_raw", os.Args[0], "-test.run=^TestNeedCapNetRaw$", "-test.v")
	cmd.Env = append(os.Environ(), childEnv+"=1")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("child failed: %v\n%s", err, out)
	}
	for _, w := range []string{"capture needs CAP_NET_RAW", "setcap cap_net_raw+ep", "--- PASS: TestNeedCapNetRaw"} {
		if !strings.Contains(string(out), w) {
			t.Errorf("child output lacks %q:\n%s", w, out)
		}
	}
}
