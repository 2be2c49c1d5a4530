// Package scanner sweeps targets on TCP 445 (then 139 for hosts that refuse 445, ports.go) at a
// paced rate with a bounded number of hosts in flight, and hands every open host to a Prober.
// Per-host failures are data in the host's result, never errors that stop the sweep.
package scanner

import (
	"context"
	"errors"
	"fmt"
	"iter"
	"log/slog"
	"net"
	"net/netip"
	"runtime/debug"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/scan445/scan445/smbprobe"
)

// Config is everything one sweep needs. The zero value of each knob has a usable default.
type Config struct {
	Port int // default 445
	// Fallback ports are tried in order when the earlier port was closed (ports.go); nil: Port only.
	Fallback []int
	// FallbackFiltered also moves on to the next port when the earlier one did not answer.
	FallbackFiltered bool
	Rate             int // connection attempts per second, retries and redials included; 0 = unlimited
	Concurrency      int // hosts being probed at once (the probe stage); default 64
	// ConnectSlots bounds the connect stage: hosts dialing, or open and waiting for a probe
	// slot. 0 derives it from the rate (NewPlan), so a sparse network still gets the full rate.
	ConnectSlots int
	Timeout      time.Duration // per connect attempt (and, for probers, per read); default 3s
	Retries      int           // extra connect attempts after a timeout
	HostTimeout  time.Duration // whole budget of one host, connect to last byte; default 10×Timeout

	Prober Prober // nil: connect results only

	// Allow is consulted inside the dialer before every connection, so no code path (retries,
	// redials by probers) can reach an address the target rules exclude. nil allows all.
	Allow func(netip.Addr) bool
	// Skip reports targets already done (resume); they are not scanned and yield no new result.
	Skip func(netip.Addr) bool
	// OnResult receives each result as it finishes. Calls are serialised.
	OnResult func(HostResult)
	// OnAttempt, if set, is called for each connection attempt (for progress counters).
	OnAttempt func()

	Logger *slog.Logger
	// Dial replaces the TCP dialer (tests inject faults); nil uses net.Dialer.
	Dial func(ctx context.Context, network, address string) (net.Conn, error)
}

// Stats sums up one sweep.
type Stats struct {
	Dispatched  int64 // hosts started
	Results     int64 // results delivered (== Dispatched when the sweep was not interrupted mid-host)
	Attempts    int64 // connection attempts, including retries and prober redials
	Skipped     int64 // targets skipped as already done
	Interrupted bool  // ctx ended before every target was dispatched
	// ConnectSlots and ProbeSlots are the two stages' bounds this sweep ran with.
	ConnectSlots, ProbeSlots int
	// FirstAttempt and LastAttempt bound the paced phase: attempts over that span is the
	// achieved rate, free of the tail spent waiting for the last timeouts.
	FirstAttempt, LastAttempt time.Time
}

// ErrExcluded is returned by the dialer for an address the target rules forbid.
var ErrExcluded = errors.New("address excluded by target rules")

// ErrOtherHost is returned when a prober asks to dial an address other than its host's.
var ErrOtherHost = errors.New("a prober may only dial the host it probes")

func (c *Config) withDefaults() Config {
	out := *c
	if out.Port == 0 {
		out.Port = 445
	}
	if out.Concurrency <= 0 {
		out.Concurrency = 64
	}
	if out.Timeout <= 0 {
		out.Timeout = 3 * time.Second
	}
	if out.HostTimeout <= 0 {
		out.HostTimeout = 10 * out.Timeout
	}
	if out.Retries < 0 {
		out.Retries = 0
	}
	if out.Logger == nil {
		out.Logger = slog.New(slog.DiscardHandler)
	}
	if out.Dial == nil {
		// Probes last seconds: TCP keepalive would only cost setsockopt calls on every connect
		// (6% of the sweep's CPU in BenchmarkSweepLoopback).
		d := &net.Dialer{KeepAlive: -1}
		out.Dial = d.DialContext
	}
	return out
}

// Run sweeps targets until they are exhausted or ctx ends. When ctx ends it stops dispatching at
// once and gives hosts already in flight up to one Timeout to finish; each of them still yields
// its result (marked Interrupted if it was cut short). Run returns only after every worker has
// returned, so no goroutine outlives it.
//
// The sweep has two stages. The connect stage holds up to ConnectSlots hosts (derived from the
// rate when 0); a host whose port is open then waits for one of Concurrency probe slots, keeping
// its connect slot until it has one, so a slow probe stage slows the sweep down instead of
// piling up open connections. Every host gives its slot back only once its result is
// delivered, so the goroutines and results in flight stay bounded by ConnectSlots+Concurrency.
func Run(ctx context.Context, targets iter.Seq[netip.Addr], config Config) Stats {
	cfg := config.withDefaults()
	if cfg.ConnectSlots <= 0 {
		cfg.ConnectSlots = NewPlan(cfg, 0).ConnectSlots
	}

	// In-flight work runs on its own context, which outlives ctx by one Timeout so that an
	// interrupted sweep still finishes (or cleanly abandons) the hosts it had started.
	work, cancelWork := context.WithCancel(context.WithoutCancel(ctx))
	defer cancelWork()
	stopGrace := context.AfterFunc(ctx, func() {
		t := time.AfterFunc(cfg.Timeout, cancelWork)
		context.AfterFunc(work, func() { t.Stop() })
	})
	defer stopGrace()

	// The pacer lives on work: it must keep limiting redials of in-flight hosts after ctx ends.
	pacer := NewPacer(work, cfg.Rate)
	e := &engine{
		cfg:     cfg,
		pacer:   pacer,
		connect: make(chan struct{}, cfg.ConnectSlots),
		probing: make(chan struct{}, cfg.Concurrency),
	}

	var wg sync.WaitGroup
	interrupted := false
dispatch:
	for addr := range targets {
		if ctx.Err() != nil {
			interrupted = true
			break
		}
		if cfg.Skip != nil && cfg.Skip(addr) {
			e.stats.Skipped++
			continue
		}
		select {
		case e.connect <- struct{}{}:
		case <-ctx.Done():
			interrupted = true
			break dispatch
		}
		e.stats.Dispatched++
		wg.Add(1)
		go func() {
			defer wg.Done()
			// The host keeps its slot until its result is delivered: were it given back
			// before, hosts waiting to deliver would pile up without bound whenever results
			// come faster than OnResult takes them (a /8 of unreachable addresses).
			held := &slot{ch: e.connect}
			e.deliver(e.scanHost(ctx, work, addr, held))
			held.release()
		}()
	}
	wg.Wait()
	pacer.Stop()
	st := e.stats
	st.Attempts = e.attempts.Load()
	st.Results = e.results.Load()
	st.Interrupted = interrupted || ctx.Err() != nil
	st.ConnectSlots, st.ProbeSlots = cfg.ConnectSlots, cfg.Concurrency
	if f := e.first.Load(); f != 0 {
		st.FirstAttempt, st.LastAttempt = time.Unix(0, f), time.Unix(0, e.last.Load())
	}
	return st
}

type engine struct {
	cfg      Config
	pacer    *Pacer
	connect  chan struct{} // connect-stage slots; a host takes one before it is dispatched
	probing  chan struct{} // probe-stage slots
	mu       sync.Mutex    // serialises OnResult
	stats    Stats         // written by the dispatcher only
	attempts atomic.Int64
	results  atomic.Int64
	first    atomic.Int64 // unix nanoseconds of the first attempt
	last     atomic.Int64 // unix nanoseconds of the latest attempt
}

func (e *engine) deliver(r HostResult) {
	e.results.Add(1)
	if e.cfg.OnResult == nil {
		return
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	e.cfg.OnResult(r)
}

// dial is the only way the engine and probers reach the network: it enforces Allow and the pace.
func (e *engine) dial(ctx context.Context, ap netip.AddrPort) (net.Conn, error) {
	return e.dialNetwork(ctx, "tcp", ap)
}

func (e *engine) dialNetwork(ctx context.Context, network string, ap netip.AddrPort) (net.Conn, error) {
	if network != "tcp" && network != "udp" {
		return nil, fmt.Errorf("dial %s: only tcp and udp", network)
	}
	if e.cfg.Allow != nil && !e.cfg.Allow(ap.Addr()) {
		return nil, fmt.Errorf("%s: %w", ap.Addr(), ErrExcluded)
	}
	if err := e.pacer.Wait(ctx); err != nil {
		return nil, err
	}
	e.attempts.Add(1)
	now := time.Now().UnixNano()
	e.first.CompareAndSwap(0, now)
	for {
		last := e.last.Load()
		if now <= last || e.last.CompareAndSwap(last, now) {
			break
		}
	}
	if e.cfg.OnAttempt != nil {
		e.cfg.OnAttempt()
	}
	dctx, cancel := context.WithTimeout(ctx, e.cfg.Timeout)
	defer cancel()
	return e.cfg.Dial(dctx, network, ap.String())
}

// slot is the stage slot a host holds: a connect slot, then (for an open host with a prober) a
// probe slot.
type slot struct {
	ch chan struct{}
}

func (s *slot) release() {
	if s.ch != nil {
		<-s.ch
		s.ch = nil
	}
}

// scanHost runs one host through both stages. The caller took a connect slot for it (held);
// an open host trades it for a probe slot. The caller releases whichever is held after
// delivering the result.
func (e *engine) scanHost(dispatch, work context.Context, addr netip.Addr, held *slot) (res HostResult) {
	res = HostResult{Address: addr.String(), Port: e.cfg.Port, Started: time.Now().UTC()}
	defer func() {
		res.TotalMS = time.Since(res.Started).Milliseconds()
		if dispatch.Err() != nil && work.Err() != nil {
			res.Interrupted = true
		}
	}()

	connCtx, cancelConn := context.WithTimeout(work, e.cfg.HostTimeout)
	defer cancelConn()
	start := time.Now()
	dialPort := func(ctx context.Context, ap netip.AddrPort) (conn net.Conn, err error) {
		for attempt := 0; attempt <= e.cfg.Retries; attempt++ {
			res.Attempts++
			conn, err = e.dial(ctx, ap)
			if err == nil || classify(err) != StatusFiltered || ctx.Err() != nil {
				break
			}
		}
		return conn, err
	}
	conn, port, tried, err := e.cfg.connectPorts(connCtx, addr, dialPort)
	ap := netip.AddrPortFrom(addr, uint16(port))
	res.Port, res.Tried = port, tried
	connected := time.Since(start)
	res.ConnectMS = connected.Milliseconds()
	if err != nil {
		res.Status = classify(err)
		if connCtx.Err() != nil && work.Err() != nil {
			res.Status, res.Interrupted = StatusError, true
		}
		if res.Status != StatusClosed && res.Status != StatusFiltered {
			res.Error = err.Error()
		}
		return res
	}
	res.Status = StatusOpen
	if e.cfg.Prober == nil {
		conn.Close()
		return res
	}
	// Into the probe stage. A host still queued when the sweep is interrupted is not probed:
	// it comes back open and Interrupted, so a resumed scan probes it.
	select {
	case e.probing <- struct{}{}:
	case <-dispatch.Done():
		conn.Close()
		res.Interrupted = true
		return res
	}
	held.release()
	held.ch = e.probing
	// The host budget covers connect and probe, not the time spent queued between them.
	hostCtx, cancel := context.WithTimeout(work, max(e.cfg.HostTimeout-connected, e.cfg.Timeout))
	defer cancel()
	res.SMB = e.probe(hostCtx, ap, conn)
	return res
}

// probe runs the prober and turns a panic into an error result: one hostile host must never
// bring down a sweep of thousands.
func (e *engine) probe(ctx context.Context, ap netip.AddrPort, conn net.Conn) (out *smbprobe.Result) {
	defer func() {
		if p := recover(); p != nil {
			conn.Close()
			e.cfg.Logger.Error("prober panicked", "host", ap.String(), "panic", p, "stack", string(debug.Stack()))
			out = &smbprobe.Result{Error: fmt.Sprintf("internal error: prober panicked: %v", p)}
		}
	}()
	redial := func(ctx context.Context, network, address string) (net.Conn, error) {
		to, err := netip.ParseAddrPort(address)
		if err != nil || to.Addr().Unmap() != ap.Addr().Unmap() {
			return nil, fmt.Errorf("%s: %w", address, ErrOtherHost)
		}
		return e.dialNetwork(ctx, network, to)
	}
	out = e.cfg.Prober.Probe(ctx, ap, conn, redial)
	if out == nil {
		out = &smbprobe.Result{Error: "internal error: prober returned no result"}
	}
	return out
}

// classify maps a dial error onto the stable status strings.
func classify(err error) Status {
	var ne net.Error
	switch {
	case errors.Is(err, syscall.ECONNREFUSED):
		return StatusClosed
	case errors.Is(err, syscall.EHOSTUNREACH), errors.Is(err, syscall.ENETUNREACH),
		errors.Is(err, syscall.EHOSTDOWN), errors.Is(err, syscall.ENETDOWN):
		return StatusUnreachable
	case errors.Is(err, context.DeadlineExceeded), errors.Is(err, syscall.ETIMEDOUT),
		errors.As(err, &ne) && ne.Timeout():
		return StatusFiltered
	default:
		return StatusError
	}
}
