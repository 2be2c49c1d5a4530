package sensor

import (
	"math/rand/v2"
	"net/netip"
	"strings"
	"sync"
	"testing"
	"time"
)

var t0 = time.Date(2026, 12, 3, 9, 0, 0, 0, time.UTC)

func v4(a, b, c, d byte) netip.Addr { return netip.AddrFrom4([4]byte{a, b, c, d}) }

// script is a source's attempts: dst i at t0 + i*every.
type script struct {
	src   netip.Addr
	dsts  []netip.Addr
	every time.Duration
}

func randomDsts(seed uint64, n int) []netip.Addr {
	r := rand.New(rand.NewPCG(seed, 445))
	out := make([]netip.Addr, n)
	for i := range out {
		out[i] = v4(10, byte(r.IntN(256)), byte(r.IntN(256)), byte(1+r.IntN(254)))
	}
	return out
}

func seqDsts(from netip.Addr, n int) []netip.Addr {
	out := make([]netip.Addr, n)
	for i := range out {
		out[i] = from
		from = from.Next()
	}
	return out
}

func repeat(a netip.Addr, n int) []netip.Addr {
	out := make([]netip.Addr, n)
	for i := range out {
		out[i] = a
	}
	return out
}

func TestTrackerJudges(t *testing.T) {
	dark := netip.MustParsePrefix("10.9.9.0/24")
	tests := []struct {
		name        string
		s           script
		wantVerdict string
		wantRule    string
		wantPattern string
	}{
		{"random scanner", script{v4(10, 0, 0, 5), randomDsts(1, 60), 300 * time.Millisecond}, "infected", "conficker-scanning/distinct", "random"},
		{"sequential sweep", script{v4(10, 0, 0, 6), seqDsts(v4(10, 0, 1, 1), 40), time.Second}, "infected", "conficker-scanning/distinct", "sequential"},
		{"ordinary client, one server", script{v4(10, 0, 0, 7), repeat(v4(10, 0, 0, 2), 6), time.Minute}, "", "", "too-few"},
		{"a few file servers", script{v4(10, 0, 0, 8), []netip.Addr{v4(10, 0, 0, 2), v4(10, 0, 0, 3), v4(10, 0, 4, 9), v4(10, 0, 0, 2)}, time.Minute}, "", "", "too-few"},
		{"suspect: 10 distinct", script{v4(10, 0, 0, 9), randomDsts(2, 10), time.Second}, "unknown", "conficker-scanning/suspect-distinct", "random"},
		{"slow: 25 distinct over two hours", script{v4(10, 0, 0, 10), randomDsts(3, 25), 5 * time.Minute}, "", "", "random"},
		{"two dark addresses", script{v4(10, 0, 0, 11), []netip.Addr{v4(10, 9, 9, 1), v4(10, 9, 9, 200)}, time.Second}, "infected", "conficker-scanning/dark", "too-few"},
		{"one dark address, retried", script{v4(10, 0, 0, 12), repeat(v4(10, 9, 9, 7), 12), time.Second}, "unknown", "conficker-scanning/suspect-dark", "too-few"},
		{"one dark address, a mistyped mapping", script{v4(10, 0, 0, 13), repeat(v4(10, 9, 9, 7), 6), time.Second}, "", "", "too-few"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var events []Event
			tr := NewTracker(TrackerOptions{Dark: []netip.Prefix{dark}, OnEvent: func(e Event) { events = append(events, e) }})
			for i, d := range tc.s.dsts {
				tr.Observe(Observation{Time: t0.Add(time.Duration(i) * tc.s.every), Src: tc.s.src, Dst: d, DstPort: 445, Via: ViaCaptureSYN})
			}
			snap := tr.Snapshot()
			if snap.Attempts != int64(len(tc.s.dsts)) {
				t.Errorf("attempts %d, want %d", snap.Attempts, len(tc.s.dsts))
			}
			all := append(append(snap.Flagged[:0:0], snap.Flagged...), snap.Others...)
			if len(all) != 1 {
				t.Fatalf("%d sources, want 1", len(all))
			}
			st := all[0]
			if st.Verdict != tc.wantVerdict || st.Pattern != tc.wantPattern {
				t.Errorf("verdict %q pattern %q, want %q %q (%s)", st.Verdict, st.Pattern, tc.wantVerdict, tc.wantPattern, Numbers(st, tr.Thresholds()))
			}
			if (tc.wantVerdict != "") != (len(snap.Flagged) == 1) {
				t.Errorf("flagged %d", len(snap.Flagged))
			}
			// One event per level reached, the last one with the deciding rule.
			if tc.wantRule == "" {
				if len(events) != 0 {
					t.Errorf("events %+v, want none", events)
				}
				return
			}
			if len(events) == 0 || len(events) > 2 || events[len(events)-1].Rule != tc.wantRule {
				t.Fatalf("events %+v, want the last with rule %s", events, tc.wantRule)
			}
			doc := snap.Document(RunInfo{Started: t0, Finished: t0.Add(time.Hour), Complete: true})
			if len(doc.Hosts) != 1 || len(doc.Hosts[0].SMB.Findings) != 1 {
				t.Fatalf("report hosts %+v", doc.Hosts)
			}
			if f := doc.Hosts[0].SMB.Findings[0]; string(f.Verdict) != tc.wantVerdict || f.Check != CheckScanning || f.Rule != tc.wantRule {
				t.Errorf("finding %+v", f)
			}
		})
	}
}

// TestTrackerLiveDestinations: an address inside a dark prefix that the capture saw answering
// (Observation.Live) is held by a host, so attempts to it are not dark hits.
func TestTrackerLiveDestinations(t *testing.T) {
	dark := netip.MustParsePrefix("10.9.9.0/24")
	for _, live := range []bool{false, true} {
		tr := NewTracker(TrackerOptions{Dark: []netip.Prefix{dark}})
		for i, d := range []netip.Addr{v4(10, 9, 9, 1), v4(10, 9, 9, 200), v4(10, 9, 9, 1)} {
			tr.Observe(Observation{Time: t0.Add(time.Duration(i) * time.Second), Src: v4(10, 0, 0, 14), Dst: d, DstPort: 445, Via: ViaCaptureSYN, Live: live})
		}
		snap := tr.Snapshot()
		flagged := len(snap.Flagged) == 1
		if flagged == live {
			t.Errorf("live=%v: flagged %d sources, want %v", live, len(snap.Flagged), !live)
		}
	}
}

// TestTrackerMemoryBound: many one-off sources never grow the tracker past its cap, the idle
// benign ones go first, and a source with a finding survives the churn.
func TestTrackerMemoryBound(t *testing.T) {
	const maxSources = 1000
	tr := NewTracker(TrackerOptions{MaxSources: maxSources})
	infected := v4(10, 1, 1, 1)
	for i, d := range randomDsts(9, 30) {
		tr.Observe(Observation{Time: t0.Add(time.Duration(i) * time.Second), Src: infected, Dst: d, DstPort: 445})
	}
	const n = 50_000
	for i := 0; i < n; i++ {
		src := v4(172, 16+byte(i>>16), byte(i>>8), byte(i))
		tr.Observe(Observation{Time: t0.Add(time.Minute + time.Duration(i)*time.Millisecond), Src: src, Dst: v4(10, 0, 0, 2), DstPort: 445})
		if len(tr.sources) > maxSources {
			t.Fatalf("after %d sources: %d tracked, cap %d", i+1, len(tr.sources), maxSources)
		}
	}
	snap := tr.Snapshot()
	if len(snap.Flagged) != 1 || snap.Flagged[0].Address != infected.String() {
		t.Fatalf("flagged %+v, want only %s", snap.Flagged, infected)
	}
	if snap.Evicted < n-maxSources || snap.Untracked != 0 {
		t.Errorf("evicted %d untracked %d", snap.Evicted, snap.Untracked)
	}
	// The run's distinct sources are estimated past the exact cap, within a few percent.
	if snap.SourcesExact || snap.Sources < (n+1)*95/100 || snap.Sources > (n+1)*105/100 {
		t.Errorf("sources %d (exact %v), want ≈%d", snap.Sources, snap.SourcesExact, n+1)
	}
	if len(snap.Others) != 100 {
		t.Errorf("others %d, want the busiest 100", len(snap.Others))
	}
}

// TestTrackerFullOfInfected: when every tracked source has a finding, new sources are counted
// as untracked, not tracked past the cap and not by evicting what matters.
func TestTrackerFullOfInfected(t *testing.T) {
	tr := NewTracker(TrackerOptions{MaxSources: 4, Dark: []netip.Prefix{netip.MustParsePrefix("10.9.0.0/16")}})
	for s := byte(1); s <= 6; s++ {
		for d := byte(1); d <= 2; d++ {
			tr.Observe(Observation{Time: t0, Src: v4(10, 0, 0, s), Dst: v4(10, 9, s, d), DstPort: 445})
		}
	}
	snap := tr.Snapshot()
	if snap.Tracked != 4 || len(snap.Flagged) != 4 || snap.Untracked != 4 || snap.Attempts != 12 {
		t.Errorf("tracked %d flagged %d untracked %d attempts %d", snap.Tracked, len(snap.Flagged), snap.Untracked, snap.Attempts)
	}
}

// TestDistinctEstimate: exact below the cap, an estimate within 15 % far past it.
func TestDistinctEstimate(t *testing.T) {
	for _, n := range []int{1, 20, 256, 257, 5000, 100_000} {
		d := newDistinctSet(destExactCap, destHLLBits)
		for i := 0; i < n; i++ {
			d.add(v4(10, byte(i>>16), byte(i>>8), byte(i)))
			d.add(v4(10, byte(i>>16), byte(i>>8), byte(i))) // repeats do not count
		}
		got, exact := d.count()
		if n <= destExactCap {
			if got != n || !exact {
				t.Errorf("n=%d: %d exact=%v", n, got, exact)
			}
			continue
		}
		if exact || float64(got) < 0.85*float64(n) || float64(got) > 1.15*float64(n) || got <= destExactCap {
			t.Errorf("n=%d: estimate %d exact=%v", n, got, exact)
		}
	}
}

// TestTrackerHours: the chart buckets count attempts and distinct sources per hour and keep
// only the configured number of hours.
func TestTrackerHours(t *testing.T) {
	tr := NewTracker(TrackerOptions{Hours: 3})
	for h := 0; h < 5; h++ {
		for s := 0; s <= h; s++ {
			for k := 0; k < 2; k++ {
				tr.Observe(Observation{Time: t0.Add(time.Duration(h)*time.Hour + time.Duration(k)*time.Minute), Src: v4(10, 0, 0, byte(s+1)), Dst: v4(10, 0, 0, 200), DstPort: 445})
			}
		}
	}
	hours := tr.Snapshot().Hours
	if len(hours) != 3 {
		t.Fatalf("%d hours kept, want 3: %+v", len(hours), hours)
	}
	for i, hb := range hours {
		h := i + 2
		if !hb.Start.Equal(t0.Add(time.Duration(h)*time.Hour)) || hb.Attempts != int64(2*(h+1)) || hb.Sources != h+1 {
			t.Errorf("hour %d: %+v, want %d attempts from %d sources", h, hb, 2*(h+1), h+1)
		}
	}
}

// TestTrackerConcurrent: Observe, RecordExploit and Snapshot from many goroutines (run with
// -race) lose no attempt.
func TestTrackerConcurrent(t *testing.T) {
	tr := NewTracker(TrackerOptions{MaxSources: 64})
	var wg sync.WaitGroup
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 2000; i++ {
				tr.Observe(Observation{Time: t0, Src: v4(10, byte(g), byte(i>>8), byte(i)), Dst: v4(10, 0, 0, 2), DstPort: 445})
				if i%500 == 0 {
					tr.RecordExploit(ExploitAttempt{Src: v4(10, 200, 0, byte(g)), Call: "NetprPathCompare"})
					tr.Snapshot()
				}
			}
		}()
	}
	wg.Wait()
	snap := tr.Snapshot()
	if snap.Attempts != 16000 || len(snap.Flagged) != 8 {
		t.Errorf("attempts %d flagged %d", snap.Attempts, len(snap.Flagged))
	}
}

// TestExploitEventsBounded: every exploit attempt is counted, only the kept ones are announced
// and kept as evidence, and the report has one exploit finding with them.
func TestExploitEventsBounded(t *testing.T) {
	n := 0
	tr := NewTracker(TrackerOptions{OnEvent: func(e Event) {
		if e.Check == CheckExploit {
			n++
		}
	}})
	src := v4(10, 0, 0, 66)
	for i := 0; i < 10; i++ {
		e := ExploitAttempt{Time: t0, Src: src, Dst: v4(10, 0, 0, 250), Call: "NetprPathCanonicalize", Pipe: "browser"}
		e.Field = "PathName"
		e.setPath(exploitMetasploit)
		tr.RecordExploit(e)
	}
	snap := tr.Snapshot()
	if n != exploitKeep || len(snap.Flagged) != 1 || snap.Flagged[0].Exploits != 10 || len(snap.Exploits[src.String()]) != exploitKeep {
		t.Fatalf("events %d, flagged %+v, kept %d", n, snap.Flagged, len(snap.Exploits[src.String()]))
	}
	doc := snap.Document(RunInfo{Started: t0, Finished: t0})
	fs := doc.Hosts[0].SMB.Findings
	if len(fs) != 1 || fs[0].Check != CheckExploit || len(fs[0].Evidence) != exploitKeep || !strings.HasPrefix(fs[0].Reason, "10 exploit attempt(s)") {
		t.Errorf("findings %+v", fs)
	}
}
