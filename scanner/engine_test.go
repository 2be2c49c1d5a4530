package scanner

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/scan445/scan445/smbprobe"
)

// listenAll opens a listener on port (0 = pick one) of each loopback address and accepts (and
// immediately closes) connections until the test ends. It returns the port.
func listenAll(t testing.TB, port int, addrs ...string) int {
	t.Helper()
	for _, a := range addrs {
		ln, err := net.Listen("tcp", net.JoinHostPort(a, fmt.Sprint(port)))
		if err != nil {
			t.Fatalf("listen %s: %v", a, err)
		}
		port = ln.Addr().(*net.TCPAddr).Port
		t.Cleanup(func() { ln.Close() })
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
	return port
}

func loopbackRange(from, to int) []netip.Addr {
	var out []netip.Addr
	for i := from; i <= to; i++ {
		out = append(out, netip.AddrFrom4([4]byte{127, 0, 0, byte(i)}))
	}
	return out
}

func collect(cfg *Config) (*[]HostResult, *sync.Mutex) {
	var mu sync.Mutex
	var got []HostResult
	cfg.OnResult = func(r HostResult) {
		mu.Lock()
		got = append(got, r)
		mu.Unlock()
	}
	return &got, &mu
}

func TestRunYieldsExactlyOneResultPerTargetWithStatuses(t *testing.T) {
	port := listenAll(t, 0, "127.0.0.2", "127.0.0.5")
	targets := loopbackRange(1, 40)
	// 127.0.0.7 never answers (dropped), 127.0.0.8 has no route: injected, since only root can
	// drop packets on loopback.
	dial := func(ctx context.Context, network, address string) (net.Conn, error) {
		switch address {
		case fmt.Sprintf("127.0.0.7:%d", port):
			<-ctx.Done()
			return nil, &net.OpError{Op: "dial", Net: network, Err: ctx.Err()}
		case fmt.Sprintf("127.0.0.8:%d", port):
			return nil, &net.OpError{Op: "dial", Net: network, Err: syscall.EHOSTUNREACH}
		case fmt.Sprintf("127.0.0.9:%d", port):
			return nil, &net.OpError{Op: "dial", Net: network, Err: errors.New("something odd")}
		}
		return (&net.Dialer{}).DialContext(ctx, network, address)
	}
	cfg := Config{Port: port, Concurrency: 8, Timeout: 200 * time.Millisecond, Retries: 2, Dial: dial}
	got, _ := collect(&cfg)
	st := Run(context.Background(), slices.Values(targets), cfg)

	if len(*got) != len(targets) || st.Results != int64(len(targets)) || st.Dispatched != int64(len(targets)) {
		t.Fatalf("got %d results (stats %+v), want %d", len(*got), st, len(targets))
	}
	seen := map[string]HostResult{}
	for _, r := range *got {
		if _, dup := seen[r.Address]; dup {
			t.Fatalf("two results for %s", r.Address)
		}
		seen[r.Address] = r
	}
	want := map[string]Status{
		"127.0.0.2": StatusOpen, "127.0.0.5": StatusOpen, "127.0.0.1": StatusClosed,
		"127.0.0.7": StatusFiltered, "127.0.0.8": StatusUnreachable, "127.0.0.9": StatusError,
		"127.0.0.40": StatusClosed,
	}
	for addr, status := range want {
		if seen[addr].Status != status {
			t.Errorf("%s: status %q, want %q (%+v)", addr, seen[addr].Status, status, seen[addr])
		}
	}
	if a := seen["127.0.0.7"].Attempts; a != 3 {
		t.Errorf("filtered host: %d attempts, want 1 + 2 retries", a)
	}
	if a := seen["127.0.0.1"].Attempts; a != 1 {
		t.Errorf("closed host retried: %d attempts", a)
	}
	if seen["127.0.0.9"].Error == "" {
		t.Errorf("error status without message")
	}
	if st.Attempts != int64(len(targets)+2) {
		t.Errorf("attempts %d, want %d", st.Attempts, len(targets)+2)
	}
}

type slowProber struct {
	inFlight, peak atomic.Int64
	hold           time.Duration
}

func (p *slowProber) Probe(ctx context.Context, ap netip.AddrPort, conn net.Conn, _ DialFunc) *smbprobe.Result {
	defer conn.Close()
	n := p.inFlight.Add(1)
	defer p.inFlight.Add(-1)
	for {
		old := p.peak.Load()
		if n <= old || p.peak.CompareAndSwap(old, n) {
			break
		}
	}
	select {
	case <-time.After(p.hold):
	case <-ctx.Done():
	}
	return &smbprobe.Result{}
}

func TestRunNeverExceedsConcurrency(t *testing.T) {
	addrs := []string{}
	for i := 1; i <= 30; i++ {
		addrs = append(addrs, fmt.Sprintf("127.0.0.%d", i))
	}
	port := listenAll(t, 0, addrs...)
	for _, limit := range []int{1, 4, 9} {
		t.Run(fmt.Sprint(limit), func(t *testing.T) {
			p := &slowProber{hold: 20 * time.Millisecond}
			cfg := Config{Port: port, Concurrency: limit, Timeout: time.Second, Prober: p}
			got, _ := collect(&cfg)
			Run(context.Background(), slices.Values(loopbackRange(1, 30)), cfg)
			if len(*got) != 30 {
				t.Fatalf("%d results", len(*got))
			}
			if peak := p.peak.Load(); peak > int64(limit) || peak < 1 {
				t.Fatalf("peak in flight %d, limit %d", peak, limit)
			}
			// With 30 hosts held 20ms each the cap must also be reached, or the test proves nothing.
			if peak := p.peak.Load(); peak != int64(limit) {
				t.Fatalf("peak in flight %d never reached the limit %d", peak, limit)
			}
		})
	}
}

func TestRunCancelKeepsEveryStartedHost(t *testing.T) {
	addrs := []string{}
	for i := 1; i <= 60; i++ {
		addrs = append(addrs, fmt.Sprintf("127.0.0.%d", i))
	}
	port := listenAll(t, 0, addrs...)
	p := &slowProber{hold: 30 * time.Millisecond}
	ctx, cancel := context.WithCancel(context.Background())
	var n atomic.Int64
	// Few connect slots, so that the cancel leaves targets undispatched.
	cfg := Config{Port: port, Concurrency: 4, ConnectSlots: 4, Timeout: time.Second, Prober: p}
	var got []HostResult
	cfg.OnResult = func(r HostResult) {
		got = append(got, r)
		if n.Add(1) == 10 {
			cancel()
		}
	}
	st := Run(ctx, slices.Values(loopbackRange(1, 60)), cfg)
	if !st.Interrupted {
		t.Fatalf("not marked interrupted: %+v", st)
	}
	if st.Dispatched >= 60 || st.Dispatched < 10 {
		t.Fatalf("dispatched %d of 60 after cancel at 10", st.Dispatched)
	}
	if int64(len(got)) != st.Dispatched {
		t.Fatalf("%d results for %d dispatched hosts: started hosts lost", len(got), st.Dispatched)
	}
	probed := 0
	for _, r := range got {
		switch {
		case r.Status == StatusOpen && r.SMB != nil:
			probed++
		case r.Status == StatusOpen && r.Interrupted:
			// Open but still queued for a probe slot at the interrupt: not probed, and marked
			// so that a resumed scan probes it.
		default:
			t.Errorf("in-flight host neither finished within the grace period nor marked interrupted: %+v", r)
		}
	}
	if probed < 10 {
		t.Errorf("%d hosts probed, want at least the 10 finished before the cancel", probed)
	}
}

func TestRunSkipsAndExcludes(t *testing.T) {
	port := listenAll(t, 0, "127.0.0.1", "127.0.0.2", "127.0.0.3")
	cfg := Config{
		Port:  port,
		Skip:  func(a netip.Addr) bool { return a == netip.MustParseAddr("127.0.0.1") },
		Allow: func(a netip.Addr) bool { return a != netip.MustParseAddr("127.0.0.3") },
	}
	got, _ := collect(&cfg)
	st := Run(context.Background(), slices.Values(loopbackRange(1, 3)), cfg)
	if st.Skipped != 1 || len(*got) != 2 {
		t.Fatalf("stats %+v, results %+v", st, *got)
	}
	for _, r := range *got {
		switch r.Address {
		case "127.0.0.2":
			if r.Status != StatusOpen {
				t.Errorf("127.0.0.2: %+v", r)
			}
		case "127.0.0.3":
			if r.Status != StatusError || r.Error == "" {
				t.Errorf("excluded address was not refused by the dialer: %+v", r)
			}
		default:
			t.Errorf("unexpected result %+v", r)
		}
	}
}

type panickyProber struct{}

func (panickyProber) Probe(context.Context, netip.AddrPort, net.Conn, DialFunc) *smbprobe.Result {
	var m map[string]int
	m["boom"]++ // a nil-map write: the kind of bug a hostile reply could trigger
	return nil
}

func TestRunTurnsProberPanicIntoResult(t *testing.T) {
	port := listenAll(t, 0, "127.0.0.1", "127.0.0.2")
	cfg := Config{Port: port, Prober: panickyProber{}}
	got, _ := collect(&cfg)
	Run(context.Background(), slices.Values(loopbackRange(1, 2)), cfg)
	if len(*got) != 2 {
		t.Fatalf("%d results", len(*got))
	}
	for _, r := range *got {
		if r.SMB == nil || r.SMB.Error == "" {
			t.Errorf("panic not recorded: %+v", r)
		}
	}
}

func TestPacerBucket(t *testing.T) {
	for _, tc := range []struct {
		rate  int
		burst uint
		every time.Duration
	}{
		{1, 2, time.Second},
		{150, 2, time.Second / 150},
		{1000, 10, time.Millisecond},
		{1001, 11, time.Second / 1001},
		{20000, 200, 50 * time.Microsecond},
	} {
		b, e := bucket(tc.rate)
		if b != tc.burst || e != tc.every {
			t.Errorf("bucket(%d) = %d/%v, want %d/%v", tc.rate, b, e, tc.burst, tc.every)
		}
	}
}

// TestPacerSpacesAttempts checks the pacing itself, loosely enough for a noisy machine: 20
// tokens at 100/s cannot come in less than ~170 ms (a burst of two, then 10 ms apart).
func TestPacerSpacesAttempts(t *testing.T) {
	ctx := context.Background()
	p := NewPacer(ctx, 100)
	defer p.Stop()
	start := time.Now()
	for i := 0; i < 20; i++ {
		if err := p.Wait(ctx); err != nil {
			t.Fatal(err)
		}
	}
	if el := time.Since(start); el < 160*time.Millisecond {
		t.Fatalf("20 tokens at 100/s took only %v: not paced", el)
	}
}

func TestPacerWaitHonoursContext(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	p := NewPacer(ctx, 1)
	for i := 0; i < 2; i++ { // the bucket starts full: two tokens
		if err := p.Wait(ctx); err != nil {
			t.Fatal(err)
		}
	}
	done := make(chan error)
	go func() { done <- p.Wait(ctx) }()
	cancel()
	select {
	case err := <-done:
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("Wait after cancel = %v", err)
		}
	case <-time.After(3 * time.Second):
		t.Fatal("Wait did not return after cancel")
	}
	p.Stop()
}

// redialProber exercises the per-host dialer a prober is given.
type redialProber struct {
	otherErr, udpErr error
}

func (p *redialProber) Probe(ctx context.Context, ap netip.AddrPort, conn net.Conn, redial DialFunc) *smbprobe.Result {
	conn.Close()
	_, p.otherErr = redial(ctx, "tcp", "127.0.0.99:445")
	c, err := redial(ctx, "udp", netip.AddrPortFrom(ap.Addr(), 9).String())
	if err == nil {
		c.Close()
	}
	p.udpErr = err
	return &smbprobe.Result{}
}

func TestProberDialsOnlyItsHostThroughTheEngine(t *testing.T) {
	port := listenAll(t, 0, "127.0.0.1")
	p := &redialProber{}
	cfg := Config{Port: port, Prober: p}
	st := Run(context.Background(), slices.Values(loopbackRange(1, 1)), cfg)
	if !errors.Is(p.otherErr, ErrOtherHost) {
		t.Fatalf("dial to another host: %v, want ErrOtherHost", p.otherErr)
	}
	if p.udpErr != nil {
		t.Fatalf("udp to the probed host: %v", p.udpErr)
	}
	// The sweep's connect plus the prober's UDP "connect": both paced, both counted.
	if st.Attempts != 2 {
		t.Fatalf("attempts %d, want 2", st.Attempts)
	}
}

// TestRunLeavesNoGoroutines: the pacer's feeder, the grace timer and every worker are gone when
// Run returns, interrupted or not.
func TestRunLeavesNoGoroutines(t *testing.T) {
	port := listenAll(t, 0, "127.0.0.1", "127.0.0.2")
	before := runtime.NumGoroutine()
	for _, cancelEarly := range []bool{false, true} {
		ctx, cancel := context.WithCancel(context.Background())
		cfg := Config{Port: port, Rate: 200, Concurrency: 8, Prober: &slowProber{hold: 5 * time.Millisecond}}
		if cancelEarly {
			cfg.OnResult = func(HostResult) { cancel() }
		}
		Run(ctx, slices.Values(loopbackRange(1, 40)), cfg)
		cancel()
	}
	deadline := time.Now().Add(3 * time.Second)
	for runtime.NumGoroutine() > before && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	if n := runtime.NumGoroutine(); n > before {
		buf := make([]byte, 1<<16)
		t.Fatalf("%d goroutines before, %d after:\n%s", before, n, buf[:runtime.Stack(buf, true)])
	}
}
