package main

import (
	"context"
	"fmt"
	"io"
	"net/netip"
	"strings"
	"sync"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/scan445/scan445/sensor/simulate"
	"github.com/scan445/scan445/smbprobe/smblab"
)

// simFlags are `scan445 lab`'s flags for the simulated hosts of the sensor demo and tests
// (sensor/simulate).
func simFlags() []cli.Flag {
	return []cli.Flag{
		&cli.IntFlag{Name: "scanners", Usage: "also run N Conficker-like scanners: random addresses of --scan-range on 445, then the MS08-067 exploit path to each that answers"},
		&cli.IntFlag{Name: "clients", Usage: "also run M ordinary clients: one SMB session and a benign srvsvc call to one of --servers, repeated"},
		&cli.StringFlag{Name: "scan-range", Usage: "`CIDR` the scanners sweep (default: the /24 of --listen)"},
		&cli.StringFlag{Name: "scan-first", Usage: "`ADDR,...` each scanner attacks first, before its random sweep"},
		&cli.StringFlag{Name: "servers", Usage: "`ADDR:PORT,...` of the clients (default: the lab's non-hostile hosts)"},
		&cli.StringFlag{Name: "sources", Value: "127.0.2.1", Usage: "first source `ADDR`: scanner i binds it + i, client j + N + j (must be local)"},
		&cli.IntFlag{Name: "scan-port", Usage: "the scanners' TCP port (default: --port when --scan-range is the lab's, else 445)"},
		&cli.Float64Flag{Name: "scan-rate", Value: simulate.DefaultRate, Usage: "connection attempts per second per scanner"},
		&cli.DurationFlag{Name: "client-interval", Value: simulate.DefaultClientInterval, Usage: "how often a client repeats its session"},
		&cli.DurationFlag{Name: "duration", Usage: "stop after `D` (0: at Ctrl-C)"},
	}
}

// simPlan is the validated simulation of one lab run; nil when neither --scanners nor
// --clients is given.
type simPlan struct {
	opts simulate.Options
}

// planSimulation reads and checks the simulation flags before anything is started: a bad
// value or a target the simulator must not reach is a usage error (exit 2).
func planSimulation(c *cli.Context, first netip.Addr) (*simPlan, error) {
	n, m := c.Int("scanners"), c.Int("clients")
	if n < 0 || m < 0 || n+m > 4096 {
		return nil, usagef("--scanners %d --clients %d: want 0..4096 hosts in all", n, m)
	}
	if n+m == 0 {
		for _, f := range []string{"scan-range", "scan-first", "servers", "scan-rate", "client-interval"} {
			if c.IsSet(f) {
				return nil, usagef("--%s needs --scanners or --clients", f)
			}
		}
		return nil, nil
	}
	o := simulate.Options{Scanners: n, Clients: m, Rate: c.Float64("scan-rate"), ClientInterval: c.Duration("client-interval")}
	if o.Rate <= 0 || o.Rate > 100000 {
		return nil, usagef("--scan-rate %g: want more than 0, at most 100000", o.Rate)
	}
	if o.ClientInterval <= 0 {
		return nil, usagef("--client-interval must be positive")
	}
	p := c.Int("scan-port")
	if !c.IsSet("scan-port") {
		p = 445
		if !c.IsSet("scan-range") {
			p = c.Int("port")
		}
	}
	if p < 1 || p > 65535 {
		return nil, usagef("--scan-port %d: want 1..65535", p)
	}
	o.Port = uint16(p)
	var err error
	if s := c.String("scan-range"); s != "" {
		if o.Range, err = netip.ParsePrefix(s); err != nil || !o.Range.Addr().Is4() {
			return nil, usagef("--scan-range %q: want an IPv4 CIDR", s)
		}
	} else {
		o.Range = netip.PrefixFrom(first, 24).Masked()
	}
	for _, s := range splitComma(c.String("scan-first")) {
		a, err := netip.ParseAddr(s)
		if err != nil || !a.Is4() {
			return nil, usagef("--scan-first %q: want IPv4 addresses", s)
		}
		o.First = append(o.First, a)
	}
	for _, s := range splitComma(c.String("servers")) {
		ap, err := netip.ParseAddrPort(s)
		if err != nil {
			return nil, usagef("--servers %q: want ADDR:PORT", s)
		}
		o.Servers = append(o.Servers, ap)
	}
	src, err := netip.ParseAddr(c.String("sources"))
	if err != nil || !src.Is4() {
		return nil, usagef("--sources %q: want an IPv4 address", c.String("sources"))
	}
	for range n + m {
		if !src.IsValid() {
			return nil, usagef("--sources: %d addresses do not fit after %s", n+m, c.String("sources"))
		}
		o.Sources = append(o.Sources, src)
		src = src.Next()
	}
	ranges := []netip.Prefix{o.Range}
	for _, a := range o.First {
		ranges = append(ranges, netip.PrefixFrom(a, 32))
	}
	if err := simulate.CheckTargets(ranges, o.Servers, simulate.CurrentNamespaces()); err != nil {
		return nil, usageError{err}
	}
	return &simPlan{opts: o}, nil
}

// start runs the simulation until ctx ends, printing each exploit attempt and client session
// to w; wait blocks until it has stopped and prints the counts.
func (p *simPlan) start(ctx context.Context, w io.Writer, hosts []smblab.Host) (wait func()) {
	o := p.opts
	if o.Clients > 0 && len(o.Servers) == 0 {
		for _, h := range hosts {
			if !h.Hostile && h.Port != 0 {
				o.Servers = append(o.Servers, h.AddrPort())
			}
		}
	}
	var mu sync.Mutex
	o.OnEvent = func(e simulate.Event) {
		if e.Kind == "attempt" {
			return
		}
		mu.Lock()
		defer mu.Unlock()
		fmt.Fprintf(w, "sim: %s %s -> %s: %s\n", e.Kind, e.Src, e.Dst, e.Outcome)
	}
	fmt.Fprintf(w, "sim: %d scanners sweeping %s at %g/s each, %d clients; sources from %s\n", o.Scanners, o.Range, o.Rate, o.Clients, o.Sources[0])
	done := make(chan struct{})
	go func() {
		defer close(done)
		start := time.Now()
		res, err := simulate.Run(ctx, o)
		mu.Lock()
		defer mu.Unlock()
		if err != nil {
			fmt.Fprintf(w, "sim: %v\n", err)
			return
		}
		fmt.Fprintf(w, "sim: %d connection attempts in %s, %d answered, %d exploit paths sent; %d client sessions, %d failed\n",
			res.Attempts, time.Since(start).Round(time.Millisecond), res.Connected, res.Exploits, res.ClientSessions, res.ClientErrors)
	}()
	return func() { <-done }
}

func splitComma(s string) []string {
	var out []string
	for _, f := range strings.Split(s, ",") {
		if f = strings.TrimSpace(f); f != "" {
			out = append(out, f)
		}
	}
	return out
}
