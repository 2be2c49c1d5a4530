package capture

import (
	"net/netip"
	"testing"
	"time"
)

// BenchmarkDecodeFrame: the Go side of one captured SYN (the kernel filter ran already).
func BenchmarkDecodeFrame(b *testing.B) {
	frame := fixture(b, "xpsp3_vlan120_syn_445.hex")
	b.ReportAllocs()
	for b.Loop() {
		if _, err := DecodeFrame(frame); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkClassifierAdd: one SYN to a random dark address of a /16 through the classifier
// (retransmission table, grace queue, release), as a sweep of a dark prefix produces them.
func BenchmarkClassifierAdd(b *testing.B) {
	c := NewClassifier([]netip.Prefix{netip.MustParsePrefix("10.9.0.0/16")}, time.Second, 0, 0)
	src := netip.MustParseAddr("10.1.0.5")
	t0 := time.Now()
	emitted := 0
	emit := func(SYN) { emitted++ }
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		i++
		dst := netip.AddrFrom4([4]byte{10, 9, byte(i >> 8), byte(i)})
		// 10 000 SYNs per simulated second: the grace queue holds 10 000.
		c.Add(t0.Add(time.Duration(i)*100*time.Microsecond), Frame{Kind: KindSYN, Src: src, Dst: dst, SrcPort: uint16(i), DstPort: 445, Seq: uint32(i)}, emit)
	}
	b.ReportMetric(float64(emitted)/float64(b.N), "emitted/op")
}
