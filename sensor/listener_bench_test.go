package sensor

import (
	"context"
	"net"
	"net/netip"
	"sync/atomic"
	"testing"
	"time"
)

// BenchmarkListenerConnect: connections per second the listening sensor observes and serves
// when clients connect and leave at once (a scanner's probe), from 64 source addresses, both
// ends on the same machine.
func BenchmarkListenerConnect(b *testing.B) {
	tr := NewTracker(TrackerOptions{})
	l, err := Listen(context.Background(), ListenerOptions{Tracker: tr, MaxConns: 4096, MaxPerSource: 4096,
		Endpoints: []Endpoint{{Addr: netip.MustParseAddrPort("127.3.3.10:0")}}})
	if err != nil {
		b.Skip(err)
	}
	defer l.Close()
	to := net.TCPAddrFromAddrPort(l.Endpoints()[0].Addr)
	var next atomic.Uint32
	b.ResetTimer()
	start := time.Now()
	b.RunParallel(func(pb *testing.PB) {
		src := &net.TCPAddr{IP: net.IPv4(127, 3, 3, byte(100+next.Add(1)%64))}
		for pb.Next() {
			c, err := net.DialTCP("tcp4", src, to)
			if err != nil {
				b.Error(err)
				return
			}
			c.SetLinger(0) // no TIME_WAIT pile-up on the client side
			c.Close()
		}
	})
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "conns/s")
}
