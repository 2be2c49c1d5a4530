package smbprobe

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/scan445/scan445/smbprobe/credcheck"
	"github.com/scan445/scan445/smbprobe/p2p"
	"github.com/scan445/scan445/smbprobe/smbclient"
)

// DefaultReadTimeout bounds one request/response exchange when Options.ReadTimeout is 0.
const DefaultReadTimeout = 3 * time.Second

// Options configure a Prober. The zero value runs every safe check.
type Options struct {
	// Checks selects check ids (see ParseChecks); nil means DefaultChecks.
	Checks []string
	// Intrusive enables the classic NetprPathCompare MS08-067 probe (docs/checks.md §3c), which
	// crashes many unpatched hosts. Without it the srvsvc chokepoint refuses that request.
	Intrusive bool
	// ReadTimeout bounds each exchange: a complete reply must arrive within it.
	ReadTimeout time.Duration
	// P2PDialer opens the Conficker P2P probe's connections (nil: a plain net.Dialer).
	P2PDialer p2p.Dialer
	// P2PTimeout bounds each P2P port's exchange (0: ReadTimeout).
	P2PTimeout time.Duration
	// Now is the clock for the P2P week (nil: time.Now).
	Now func() time.Time
	// Credentials enable the credentialed MS08-067 check (netapi32.dll version over ADMIN$).
	Credentials *credcheck.Credentials
	// PasswordAudit enables the weak-password audit (check weak-password, class
	// auth-attempts) with Credentials as the administrator; nil: the check says unknown.
	PasswordAudit *PasswordAudit
	// Transport carries SMB to the host (nil: TransportFor the probed port, so 139 speaks
	// the NetBIOS session service and every other port direct TCP).
	Transport Transport
}

// DialFunc opens another connection ("tcp" or "udp", any port) to the host being probed, through
// the engine's rate limit and exclusions (scanner.DialFunc).
type DialFunc = func(ctx context.Context, network, address string) (net.Conn, error)

// Prober fingerprints one host and runs the selected checks. It is safe for concurrent use:
// each Probe keeps its state on its own stack.
type Prober struct {
	opts Options
	sel  plan
}

// New validates opts and returns a Prober.
func New(opts Options) (*Prober, error) { return newProber(opts, checkTable()) }

// newProber builds a Prober over a check table (tests add rows to it).
func newProber(opts Options, table []checkDef) (*Prober, error) {
	if opts.Checks == nil {
		opts.Checks = defaultIDs(table)
	}
	sel, err := newPlan(table, opts.Checks)
	if err != nil {
		return nil, err
	}
	if opts.ReadTimeout <= 0 {
		opts.ReadTimeout = DefaultReadTimeout
	}
	if opts.P2PTimeout <= 0 {
		opts.P2PTimeout = opts.ReadTimeout
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	opts.Checks = append([]string(nil), opts.Checks...)
	return &Prober{opts: opts, sel: sel}, nil
}

// Options returns the effective options (defaults filled in).
func (p *Prober) Options() Options { return p.opts }

// Probe examines the host behind conn, which it owns and closes. It never panics outward and
// never returns nil: host-level failures are findings with verdict error or unknown.
func (p *Prober) Probe(ctx context.Context, addr netip.AddrPort, conn net.Conn, redial DialFunc) (res *Result) {
	res = &Result{Findings: []Finding{}, Exchanges: []Exchange{}}
	r := &run{opts: p.opts, sel: p.sel, addr: addr, res: res, redial: redial, tr: p.opts.Transport}
	if r.tr == nil {
		r.tr = TransportFor(addr.Port())
	}
	r.f.init()
	var wg sync.WaitGroup
	defer func() {
		if v := recover(); v != nil {
			res.Error = fmt.Sprintf("internal error (recovered panic): %v", v)
			if conn != nil {
				conn.Close()
			}
			r.closeAll()
			r.closeCredSession(ctx)
			wg.Wait()
			if !r.judged {
				res.Findings = panicFindings(r, res.Error)
			}
		}
	}()
	if conn != nil {
		res.Connections = 1
	}
	var p2pRes *p2p.Result
	if p.sel.wants(stepP2P) && addr.Addr().Unmap().Is4() {
		wg.Add(1)
		go func() {
			defer wg.Done()
			// A panic here would end the whole scan: it becomes this probe's P2P error.
			defer func() {
				if v := recover(); v != nil {
					p2pRes = &p2p.Result{Signal: p2p.SignalError, Error: fmt.Sprintf("internal error (recovered panic): %v", v)}
				}
			}()
			// Each P2P probe is an attempt like any other: through the engine's pace and
			// exclusions when the engine gave us its dialer.
			var d p2p.Dialer = &net.Dialer{}
			switch {
			case p.opts.P2PDialer != nil:
				d = p.opts.P2PDialer
			case redial != nil:
				d = dialerFunc(redial)
			}
			pr := p2p.ProbeWith(ctx, addr.Addr().Unmap(), p.opts.Now(), d, p2p.Options{Timeout: p.opts.P2PTimeout})
			p2pRes = &pr
		}()
	}
	r.smb(ctx, conn)
	r.closeAll()
	r.credentialed(ctx)
	r.registry(ctx)
	r.closeCredSession(ctx)
	r.passwordAudit(ctx)
	wg.Wait()
	if p2pRes != nil {
		r.recordP2P(p2pRes)
	}
	r.judge()
	return res
}

// panicFindings gives every selected check an error verdict after a recovered panic.
func panicFindings(r *run, why string) []Finding {
	out := []Finding{}
	for _, c := range r.sel {
		out = append(out, r.finding(c.ID, Error, "", "internal.panic", why, nil))
	}
	return out
}

// run is the state of one Probe call.
type run struct {
	opts   Options
	sel    plan
	addr   netip.AddrPort
	res    *Result
	redial DialFunc
	tr     Transport
	links  []*smbclient.Link
	// smb1Last is the SMB1 client's latest exchange report (was a reply received?).
	smb1Last smbclient.Exchange
	f        facts
	judged   bool
	// credTried: the credentialed check ran already (before the intrusive probe); it runs
	// once per probe.
	credTried bool
	// credSess is the session the netapi32.dll read left open for the registry read, nil
	// when there is none (closeCredSession).
	credSess *credSession
}

func (r *run) closeAll() {
	for _, l := range r.links {
		l.Close()
	}
	r.links = nil
}

func (r *run) newLink(ctx context.Context, conn net.Conn) *smbclient.Link {
	l := smbclient.NewLink(ctx, conn, r.opts.ReadTimeout)
	l.OnSend = func() { r.res.RoundTrips++ }
	r.links = append(r.links, l)
	return l
}

// dial opens a second connection through the engine's dialer.
func (r *run) dial(ctx context.Context) (*smbclient.Link, error) {
	if r.redial == nil {
		return nil, errors.New("no redial function")
	}
	c, err := r.redial(ctx, "tcp", r.addr.String())
	if err != nil {
		return nil, err
	}
	r.res.Connections++
	if c, err = r.open(ctx, c); err != nil {
		return nil, err
	}
	return r.newLink(ctx, c), nil
}

// xrec is one Exchange being recorded.
type xrec struct {
	r  *run
	i  int
	t0 time.Time
}

// begin appends an Exchange for a request about to be sent and returns its recorder.
func (r *run) begin(step string, class Class, request string) *xrec {
	r.res.Exchanges = append(r.res.Exchanges, Exchange{Step: step, Class: class, Request: clean(request)})
	return &xrec{r: r, i: len(r.res.Exchanges) - 1, t0: time.Now()}
}

func (x *xrec) done(status, response string) int {
	if x.i < 0 {
		return x.i
	}
	e := &x.r.res.Exchanges[x.i]
	e.Status = clean(status)
	e.Response = clean(response)
	e.Millis = time.Since(x.t0).Milliseconds()
	return x.i
}

func (x *xrec) fail(err error) int { return x.done("no reply", err.Error()) }

// recorded is the recorder of the Exchange at index mark, appended since by the SMB1 client's
// report (recordSMB1); ok is false when the client sent nothing.
func (r *run) recorded(mark int) (*xrec, bool) {
	if mark >= len(r.res.Exchanges) {
		return &xrec{r: r, i: -1}, false
	}
	e := r.res.Exchanges[mark]
	return &xrec{r: r, i: mark, t0: time.Now().Add(-time.Duration(e.Millis) * time.Millisecond)}, true
}

// clean bounds a wire string for the report: valid UTF-8, no control characters, at most 512
// runes. It does not escape HTML or CSV; reports do that.
func clean(s string) string {
	if !utf8.ValidString(s) {
		s = strings.ToValidUTF8(s, "\uFFFD")
	}
	var b strings.Builder
	n := 0
	for _, c := range s {
		if n == 512 {
			b.WriteString("…")
			break
		}
		n++
		if c < 0x20 && c != '\t' || c == 0x7f {
			b.WriteRune('\uFFFD')
			continue
		}
		b.WriteRune(c)
	}
	return b.String()
}

// stop records that the probe could not continue past step.
func (r *run) stop(step string, err error) {
	if r.f.failed == "" {
		r.f.failed = fmt.Sprintf("%s: %v", step, err)
		r.f.failErr = err
		r.res.Error = r.f.failed
	}
}

// needIPC, needPipe, needSMB1 and anySMBCheck say which phases the selected checks require:
// they read the check table's needs, never a list of check ids.
func (r *run) needIPC() bool { return r.sel.needs(needIPC | needPipe) }

func (r *run) needPipe() bool { return r.sel.needs(needPipe) }

func (r *run) needSMB1() bool { return r.sel.needs(needSMB1) }

func (r *run) anySMBCheck() bool { return r.sel.needs(needSMB | needSMB1 | needIPC | needPipe) }

// dialerFunc adapts a DialFunc to p2p.Dialer.
type dialerFunc func(ctx context.Context, network, address string) (net.Conn, error)

func (f dialerFunc) DialContext(ctx context.Context, network, address string) (net.Conn, error) {
	return f(ctx, network, address)
}
