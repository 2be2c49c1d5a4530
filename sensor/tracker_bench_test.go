package sensor

import (
	"math/rand/v2"
	"net/netip"
	"runtime"
	"testing"
	"time"
)

// BenchmarkTrackerObserve: one Observe from 64 Conficker-like scanners hitting random
// addresses (the capture's hot path).
func BenchmarkTrackerObserve(b *testing.B) {
	tr := NewTracker(TrackerOptions{Dark: []netip.Prefix{netip.MustParsePrefix("10.9.0.0/16")}})
	r := rand.New(rand.NewPCG(1, 2))
	obs := make([]Observation, 4096)
	for i := range obs {
		obs[i] = Observation{Time: t0.Add(time.Duration(i) * time.Millisecond), Src: v4(10, 0, 0, byte(r.IntN(64))),
			Dst: v4(10, byte(r.IntN(16)), byte(r.IntN(256)), byte(r.IntN(256))), DstPort: 445, Via: ViaCaptureSYN}
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		tr.Observe(obs[i%len(obs)])
	}
}

// BenchmarkTrackerChurn: every Observe is a new source, past the cap (eviction included).
func BenchmarkTrackerChurn(b *testing.B) {
	tr := NewTracker(TrackerOptions{MaxSources: 65536})
	for i := 0; i < b.N; i++ {
		tr.Observe(Observation{Time: t0.Add(time.Duration(i) * time.Microsecond), Src: netip.AddrFrom4([4]byte{172, byte(i >> 16), byte(i >> 8), byte(i)}),
			Dst: v4(10, 0, 0, 2), DstPort: 445})
	}
}

// BenchmarkTrackerHeap reports the heap a full tracker holds: 65 536 one-off sources, and 64
// scanners each past the exact-count cap (B/source).
func BenchmarkTrackerHeap(b *testing.B) {
	for i := 0; i < b.N; i++ {
		var m0, m1 runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&m0)
		tr := NewTracker(TrackerOptions{MaxSources: 70000})
		for s := 0; s < 65536; s++ {
			tr.Observe(Observation{Time: t0, Src: netip.AddrFrom4([4]byte{172, 16, byte(s >> 8), byte(s)}), Dst: v4(10, 0, 0, 2), DstPort: 445})
		}
		runtime.GC()
		runtime.ReadMemStats(&m1)
		b.ReportMetric(float64(m1.HeapAlloc-m0.HeapAlloc)/65536, "B/benign-source")
		for s := 0; s < 64; s++ {
			for d := 0; d < 2000; d++ {
				tr.Observe(Observation{Time: t0.Add(time.Duration(d) * time.Millisecond), Src: v4(10, 0, 1, byte(s)), Dst: v4(10, 1, byte(d>>8), byte(d)), DstPort: 445})
			}
		}
		var m2 runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&m2)
		b.ReportMetric(float64(int64(m2.HeapAlloc)-int64(m1.HeapAlloc))/64, "B/scanner")
		runtime.KeepAlive(tr)
	}
}
