package smbprobe_test

import (
	"context"
	"net/netip"
	"testing"
	"time"

	"github.com/scan445/scan445/smbprobe"
	"github.com/scan445/scan445/smbprobe/smblab"
)

// BenchmarkProbeSMB1 probes one lab personality per sub-benchmark, one host at a time: the
// whole SMB1 path (negotiate, null session, IPC$, a pipe, srvsvc, PeekNamedPipe, logoff) over
// loopback, so what it measures is the client's own cost per probe. The Conficker P2P check is
// left out (it is not SMB).
func BenchmarkProbeSMB1(b *testing.B) {
	for _, name := range []string{"xp-sp2", "w2003-sp2", "xp-basic-only-conficker"} {
		b.Run(name, func(b *testing.B) {
			var ps []smblab.Personality
			for _, p := range smblab.DefaultPersonalities() {
				if p.Name == name {
					ps = append(ps, p)
				}
			}
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			lab, err := smblab.Start(ctx, smblab.Options{First: netip.MustParseAddr("127.3.1.200"), Personalities: ps})
			if err != nil {
				b.Fatal(err)
			}
			defer lab.Close()
			checks := []string{}
			for _, c := range smbprobe.DefaultChecks() {
				if c != smbprobe.CheckConfickerP2P {
					checks = append(checks, c)
				}
			}
			p, err := smbprobe.New(smbprobe.Options{Checks: checks, ReadTimeout: 3 * time.Second})
			if err != nil {
				b.Fatal(err)
			}
			h := lab.Hosts()[0]
			trips := 0
			b.ResetTimer()
			for range b.N {
				trips = probeAddr(ctx, b, p, h.AddrPort()).RoundTrips
			}
			b.ReportMetric(float64(trips), "round-trips/op")
		})
	}
}
