package scanner

import (
	"context"
	"net/netip"
	"testing"
)

// BenchmarkSweepLoopback is the engine's ceiling on this machine: unpaced connect-and-close
// against an accept-and-close listener on every 127.0.0.x address (both ends of every TCP
// handshake run on the same cores, so this is a floor for a real network).
func BenchmarkSweepLoopback(b *testing.B) {
	var addrs []string
	for i := 1; i <= 250; i++ {
		addrs = append(addrs, netip.AddrFrom4([4]byte{127, 0, 9, byte(i)}).String())
	}
	port := listenAll(b, 0, addrs...)
	cfg := Config{Port: port, Concurrency: 256}
	b.ReportAllocs()
	b.ResetTimer()
	n := 0
	targets := func(yield func(netip.Addr) bool) {
		for i := 0; i < b.N; i++ {
			if !yield(netip.AddrFrom4([4]byte{127, 0, 9, byte(1 + i%250)})) {
				return
			}
		}
	}
	cfg.OnResult = func(r HostResult) {
		if r.Status == StatusOpen {
			n++
		}
	}
	Run(context.Background(), targets, cfg)
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "hosts/s")
	if n != b.N {
		b.Fatalf("%d of %d open", n, b.N)
	}
}
