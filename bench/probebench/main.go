// Command probebench measures the SMB prober against the lab on loopback: hosts probed per second
// at a fixed concurrency, and the TCP connections and round trips each personality costs. It
// touches only 127.0.0.0/8.
package main

import (
	"context"
	"flag"
	"fmt"
	"net/netip"
	"os"
	"runtime"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/scan445/scan445/scanner"
	"github.com/scan445/scan445/smbprobe"
	"github.com/scan445/scan445/smbprobe/smblab"
)

func main() {
	runs := flag.Int("runs", 3, "runs (median reported)")
	hosts := flag.Int("hosts", 256, "lab hosts")
	concurrency := flag.Int("concurrency", 64, "hosts in flight")
	out := flag.String("out", "", "also write the Markdown to this file")
	flag.Parse()
	md, err := bench(*runs, *hosts, *concurrency)
	if err != nil {
		fmt.Fprintln(os.Stderr, "probebench:", err)
		os.Exit(1)
	}
	fmt.Print(md)
	if *out != "" {
		if err := os.WriteFile(*out, []byte(md), 0o644); err != nil {
			fmt.Fprintln(os.Stderr, "probebench:", err)
			os.Exit(1)
		}
	}
}

// wellBehaved drops the hostile personalities: their point is to be slow, which is a
// robustness property, not a throughput one.
func wellBehaved() []smblab.Personality {
	var out []smblab.Personality
	for _, p := range smblab.DefaultPersonalities() {
		if p.Hostile == smblab.HostileNone && !strings.HasPrefix(p.Name, "hostile") {
			out = append(out, p)
		}
	}
	return out
}

type cost struct{ conns, trips []int }

func bench(runs, n, concurrency int) (string, error) {
	ctx := context.Background()
	first := netip.MustParseAddr("127.0.3.1")
	lab, err := smblab.Start(ctx, smblab.Options{First: first, Port: 4446, Hosts: n, Personalities: wellBehaved()})
	if err != nil {
		return "", err
	}
	defer lab.Close()
	addrs := make([]netip.Addr, 0, n)
	persona := map[string]string{}
	for _, h := range lab.Hosts() {
		addrs = append(addrs, h.Addr)
		persona[h.Addr.String()] = h.Personality
	}
	prober, err := smbprobe.New(smbprobe.Options{ReadTimeout: 3 * time.Second})
	if err != nil {
		return "", err
	}
	var rates []float64
	costs := map[string]*cost{}
	for i := 0; i < runs; i++ {
		var mu sync.Mutex
		cfg := scanner.Config{Port: 4446, Concurrency: concurrency, Timeout: 3 * time.Second, Prober: prober,
			OnResult: func(r scanner.HostResult) {
				if r.SMB == nil || i > 0 {
					return
				}
				mu.Lock()
				defer mu.Unlock()
				p := persona[r.Address]
				if costs[p] == nil {
					costs[p] = &cost{}
				}
				costs[p].conns = append(costs[p].conns, r.SMB.Connections)
				costs[p].trips = append(costs[p].trips, r.SMB.RoundTrips)
			}}
		start := time.Now()
		st := scanner.Run(ctx, slices.Values(addrs), cfg)
		el := time.Since(start)
		if st.Results != int64(n) {
			return "", fmt.Errorf("run %d: %d results for %d hosts", i, st.Results, n)
		}
		rates = append(rates, float64(n)/el.Seconds())
	}
	if c := lab.Crashes(); len(c) > 0 {
		return "", fmt.Errorf("the default checks crashed %d lab hosts: %v", len(c), c)
	}
	sort.Float64s(rates)
	var b strings.Builder
	fmt.Fprintf(&b, "## SMB prober against the lab (%d cores, %d hosts, concurrency %d, median of %d runs)\n\n", runtime.NumCPU(), n, concurrency, runs)
	fmt.Fprintf(&b, "Full default safe check set, loopback: **%.0f hosts/s** (runs: %s).\n\n", rates[len(rates)/2], fmtRates(rates))
	fmt.Fprintf(&b, "| personality | TCP connections | round trips |\n|---|---|---|\n")
	names := make([]string, 0, len(costs))
	for p := range costs {
		names = append(names, p)
	}
	sort.Strings(names)
	for _, p := range names {
		c := costs[p]
		fmt.Fprintf(&b, "| %s | %s | %s |\n", p, span(c.conns), span(c.trips))
	}
	b.WriteString("\nGoal for an SMB1 host: 1 connection, ≤ 12 round trips (the Conficker P2P probe's UDP/TCP\nhellos to other ports are not SMB round trips and are not counted here).\n\n")
	return b.String(), nil
}

func fmtRates(r []float64) string {
	var s []string
	for _, v := range r {
		s = append(s, fmt.Sprintf("%.0f", v))
	}
	return strings.Join(s, ", ")
}

func span(v []int) string {
	lo, hi := slices.Min(v), slices.Max(v)
	if lo == hi {
		return fmt.Sprint(lo)
	}
	return fmt.Sprintf("%d–%d", lo, hi)
}
