package scanner

import (
	"context"
	"net"
	"net/netip"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

func TestNewPlan(t *testing.T) {
	for _, tc := range []struct {
		name      string
		cfg       Config
		fileLimit int
		rate      int
		connect   int
		limited   bool
	}{
		{"defaults: 1000/s × 3 s × 1.1", Config{Rate: 1000}, 0, 1000, 3300, false},
		{"one retry doubles the hold", Config{Rate: 1000, Retries: 1}, 0, 1000, 6600, false},
		{"defaults fit in 20000 fds", Config{Rate: 1000}, 20000, 1000, 3300, false},
		{"fallback on closed: a dead host still waits one timeout", Config{Rate: 1000, Fallback: []int{139}}, 0, 1000, 3300, false},
		{"fallback on filtered: it waits on both ports", Config{Rate: 1000, Fallback: []int{139}, FallbackFiltered: true}, 0, 1000, 6600, false},
		{"no retries, 1 s", Config{Rate: 10000, Timeout: time.Second}, 0, 10000, 11000, false},
		{"slow rate: never below the probe slots", Config{Rate: 5, Timeout: time.Second, Concurrency: 64}, 0, 5, 64, false},
		{"unpaced", Config{}, 0, 0, unpacedSlots, false},
		{"explicit slots win", Config{Rate: 1000, ConnectSlots: 100}, 0, 1000, 100, false},
		// 1024 - 64 reserve - 3×64 probe = 768 slots; 768 / (3 s × 2) = 128/s.
		{"1024 fds lower the rate", Config{Rate: 1000, Retries: 1, Prober: panickyProber{}}, 1024, 128, 768, true},
		{"unpaced, 1024 fds", Config{Prober: panickyProber{}}, 1024, 0, 768, true},
		{"without a prober no fds are kept for probes", Config{Rate: 1000, Retries: 1}, 1024, 160, 960, true},
		{"huge --concurrency without checks", Config{Rate: 10000, Timeout: time.Second, Concurrency: 8192}, 20000, 10000, 11000, false},
		{"tiny limit keeps a floor", Config{Rate: 1000, Retries: 1, Prober: panickyProber{}}, 100, 2, minSlots, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := NewPlan(tc.cfg, tc.fileLimit)
			if p.Rate != tc.rate || p.ConnectSlots != tc.connect || (p.Limited != "") != tc.limited {
				t.Fatalf("plan %+v, want rate %d, connect slots %d, limited %v", p, tc.rate, tc.connect, tc.limited)
			}
			if tc.limited && !strings.Contains(p.Limited, "RLIMIT_NOFILE") {
				t.Fatalf("the reason does not name the limit: %q", p.Limited)
			}
		})
	}
}

// TestDeadSweepKeepsRateTimesTimeoutInFlight: on a network where almost nothing answers, the
// defaults (1000/s, 3 s timeout, no retry, 64 probe slots) must keep rate × timeout attempts
// open at once, or the configured rate is never reached (64 hosts in flight made ~11/s). The
// injected dialer never answers; the test waits for the count, not for a time.
func TestDeadSweepKeepsRateTimesTimeoutInFlight(t *testing.T) {
	cfg := Config{Rate: 1000, Concurrency: 64, Timeout: 3 * time.Second, Retries: 0} // the CLI's defaults
	want := int64(float64(cfg.Rate) * cfg.Timeout.Seconds())
	slots := int64(NewPlan(cfg, 0).ConnectSlots)

	var inFlight, peak atomic.Int64
	release := make(chan struct{})
	reached := make(chan struct{})
	var once atomic.Bool
	cfg.Dial = func(ctx context.Context, network, address string) (net.Conn, error) {
		n := inFlight.Add(1)
		defer inFlight.Add(-1)
		for old := peak.Load(); n > old && !peak.CompareAndSwap(old, n); old = peak.Load() {
		}
		if n >= want && once.CompareAndSwap(false, true) {
			close(reached)
		}
		<-release // never answers, not even at its deadline, until the test has counted
		return nil, &net.OpError{Op: "dial", Net: network, Err: context.DeadlineExceeded}
	}
	ctx, cancel := context.WithCancel(context.Background())
	targets := func(yield func(netip.Addr) bool) {
		for i := uint32(0); i < 1<<20; i++ {
			if !yield(netip.AddrFrom4([4]byte{10, byte(i >> 16), byte(i >> 8), byte(i)})) {
				return
			}
		}
	}
	done := make(chan Stats)
	go func() { done <- Run(ctx, targets, cfg) }()
	select {
	case <-reached:
	case <-time.After(2 * time.Minute): // a bound on a hang, not a measurement
		t.Errorf("in flight peaked at %d attempts, want at least rate × timeout = %d", peak.Load(), want)
	}
	cancel()
	close(release)
	st := <-done
	if p := peak.Load(); p > slots {
		t.Errorf("in flight peaked at %d, above the %d connect slots", p, slots)
	}
	if st.ConnectSlots != int(slots) || st.ProbeSlots != 64 {
		t.Errorf("stats report slots %d/%d, want %d/64", st.ConnectSlots, st.ProbeSlots, slots)
	}
}

// TestSlowConsumerBoundsHostsInFlight: when results come faster than OnResult takes them,
// finished hosts wait with their slot, so dialing stops instead of piling up results.
func TestSlowConsumerBoundsHostsInFlight(t *testing.T) {
	const slots = 8
	var started, delivered, worst atomic.Int64
	cfg := Config{ConnectSlots: slots, Timeout: time.Second}
	cfg.Dial = func(ctx context.Context, network, address string) (net.Conn, error) {
		started.Add(1)
		return nil, &net.OpError{Op: "dial", Net: network, Err: syscall.ENETUNREACH}
	}
	cfg.OnResult = func(HostResult) {
		if n := started.Load() - delivered.Load(); n > worst.Load() {
			worst.Store(n)
		}
		time.Sleep(200 * time.Microsecond) // a consumer slower than the dials
		delivered.Add(1)
	}
	targets := func(yield func(netip.Addr) bool) {
		for i := 0; i < 2000; i++ {
			if !yield(netip.AddrFrom4([4]byte{10, 1, byte(i >> 8), byte(i)})) {
				return
			}
		}
	}
	Run(context.Background(), targets, cfg)
	if delivered.Load() != 2000 {
		t.Fatalf("%d results", delivered.Load())
	}
	if w := worst.Load(); w > slots {
		t.Fatalf("%d hosts dialed but not yet delivered, above the %d connect slots", w, slots)
	}
}
