package sensor

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/netip"
	"sync"
	"sync/atomic"
	"time"

	"github.com/scan445/scan445/smbprobe/smblab"
)

// Endpoint is one address the Listener serves. NetBIOS makes it the NetBIOS session service
// (port 139: a SESSION REQUEST first), otherwise SMB is framed as on 445.
type Endpoint struct {
	Addr    netip.AddrPort
	NetBIOS bool
}

// String is ADDR:PORT, with "(NetBIOS)" for the session service.
func (e Endpoint) String() string {
	if e.NetBIOS {
		return e.Addr.String() + " (NetBIOS)"
	}
	return e.Addr.String()
}

// ListenerOptions configure a Listener. Zero limits take the documented defaults.
type ListenerOptions struct {
	Endpoints []Endpoint
	Tracker   *Tracker // receives an Observation per connection and every exploit attempt
	// Computer is the NetBIOS name the sensor plays (default "FILESRV"); a client asking for
	// another name on 139 is refused, as Windows does, unless it asks for *SMBSERVER.
	Computer string
	// MaxConns bounds connections served at once (default 512); MaxPerSource bounds them
	// per source address (default 8). Past either, a connection is observed and closed.
	MaxConns     int
	MaxPerSource int
	// MaxBytes bounds what one connection may send (default 1 MiB: a Conficker exploit with
	// its shellcode is a few KiB); past it the connection is dropped.
	MaxBytes int64
	// IdleTimeout closes a connection that sends nothing for this long (default 10s);
	// MaxConnTime closes any connection after this long (default 60s).
	IdleTimeout time.Duration
	MaxConnTime time.Duration
	// OnRequest, if set, sees every decoded request (for -v logging). Called concurrently.
	OnRequest func(src netip.Addr, r smblab.Request)
	// OnError, if set, is told about accept errors the listener retries (EMFILE …).
	OnError func(error)
}

// Listener serves SMB on its endpoints as smblab.SensorPersonality: it records each
// connection, answers far enough to learn what the client wants, and never executes or keeps
// anything beyond the evidence.
type Listener struct {
	opts   ListenerOptions
	ctx    context.Context
	cancel context.CancelFunc
	lns    []net.Listener
	eps    []Endpoint
	wg     sync.WaitGroup

	mu       sync.Mutex
	active   int
	perSrc   map[netip.Addr]int
	conns    map[net.Conn]struct{}
	accepted atomic.Int64
	refused  atomic.Int64
}

// Listen binds every endpoint before returning; on any error nothing stays open.
func Listen(ctx context.Context, opts ListenerOptions) (*Listener, error) {
	if opts.Tracker == nil {
		return nil, errors.New("sensor: Listen needs a Tracker")
	}
	if len(opts.Endpoints) == 0 {
		return nil, errors.New("sensor: no endpoint to listen on")
	}
	if opts.Computer == "" {
		opts.Computer = "FILESRV"
	}
	if opts.MaxConns <= 0 {
		opts.MaxConns = 512
	}
	if opts.MaxPerSource <= 0 {
		opts.MaxPerSource = 8
	}
	if opts.MaxBytes <= 0 {
		opts.MaxBytes = 1 << 20
	}
	if opts.IdleTimeout <= 0 {
		opts.IdleTimeout = 10 * time.Second
	}
	if opts.MaxConnTime <= 0 {
		opts.MaxConnTime = 60 * time.Second
	}
	lctx, cancel := context.WithCancel(ctx)
	l := &Listener{opts: opts, ctx: lctx, cancel: cancel, perSrc: map[netip.Addr]int{}, conns: map[net.Conn]struct{}{}}
	var lc net.ListenConfig
	for _, ep := range opts.Endpoints {
		addr := ep.Addr.String()
		if ep.Addr.Addr().IsUnspecified() {
			// ":PORT": every address, dual-stack where the kernel has IPv6, IPv4 otherwise.
			addr = fmt.Sprintf(":%d", ep.Addr.Port())
		}
		ln, err := lc.Listen(lctx, "tcp", addr)
		if err != nil {
			l.Close()
			return nil, fmt.Errorf("sensor: listen on %s: %w", ep.Addr, err)
		}
		bound := ep
		if ap, err := netip.ParseAddrPort(ln.Addr().String()); err == nil {
			bound.Addr = ap
		}
		l.lns = append(l.lns, ln)
		l.eps = append(l.eps, bound)
	}
	for i, ln := range l.lns {
		l.wg.Add(1)
		go l.accept(ln, l.eps[i])
	}
	return l, nil
}

// Endpoints are the bound endpoints (a port 0 replaced by the one the kernel chose).
func (l *Listener) Endpoints() []Endpoint { return append([]Endpoint(nil), l.eps...) }

// Stats: connections accepted and served, and those refused by the limits.
func (l *Listener) Stats() (accepted, refused int64) { return l.accepted.Load(), l.refused.Load() }

// Close stops accepting, closes every connection and waits for their goroutines.
func (l *Listener) Close() error {
	l.cancel()
	for _, ln := range l.lns {
		ln.Close()
	}
	l.mu.Lock()
	for c := range l.conns {
		c.Close()
	}
	l.mu.Unlock()
	l.wg.Wait()
	return nil
}

func (l *Listener) accept(ln net.Listener, ep Endpoint) {
	defer l.wg.Done()
	for {
		c, err := ln.Accept()
		if err != nil {
			if errors.Is(err, net.ErrClosed) || l.ctx.Err() != nil {
				return
			}
			if l.opts.OnError != nil {
				l.opts.OnError(err)
			}
			select { // EMFILE and the like: keep serving, a moment later
			case <-l.ctx.Done():
				return
			case <-time.After(50 * time.Millisecond):
			}
			continue
		}
		l.handle(c, ep)
	}
}

// handle observes a new connection and serves it when the limits allow.
func (l *Listener) handle(c net.Conn, ep Endpoint) {
	local, remote := smblab.ConnEndpoints(c)
	if !local.Addr().IsValid() || local.Addr().IsUnspecified() {
		local = ep.Addr
	}
	src := remote.Addr()
	l.opts.Tracker.Observe(Observation{Time: time.Now(), Src: src, Dst: local.Addr(), DstPort: local.Port(), Via: ViaListen})
	l.mu.Lock()
	if l.active >= l.opts.MaxConns || l.perSrc[src] >= l.opts.MaxPerSource || l.ctx.Err() != nil {
		l.mu.Unlock()
		l.refused.Add(1)
		reset(c)
		return
	}
	l.active++
	l.perSrc[src]++
	l.conns[c] = struct{}{}
	l.wg.Add(1)
	l.mu.Unlock()
	l.accepted.Add(1)
	go func() {
		defer l.wg.Done()
		defer l.release(c, src)
		l.serve(c, src, local.Addr(), ep.NetBIOS)
	}()
}

func (l *Listener) release(c net.Conn, src netip.Addr) {
	c.Close()
	l.mu.Lock()
	defer l.mu.Unlock()
	delete(l.conns, c)
	l.active--
	if l.perSrc[src]--; l.perSrc[src] <= 0 {
		delete(l.perSrc, src)
	}
}

// serve answers one connection with the lab's server code, bounded in bytes and time.
func (l *Listener) serve(c net.Conn, src, dst netip.Addr, nbss bool) {
	bc := &boundedConn{Conn: c, left: l.opts.MaxBytes, end: time.Now().Add(l.opts.MaxConnTime)}
	c.SetDeadline(bc.end)
	observe := func(_, _ netip.AddrPort, r smblab.Request) {
		if l.opts.OnRequest != nil {
			l.opts.OnRequest(src, r)
		}
		if e, ok := exploitAttempt(time.Now(), src, dst, r); ok {
			l.opts.Tracker.RecordExploit(e)
		}
	}
	smblab.ServeConn(l.ctx, bc, smblab.SensorPersonality(l.opts.Computer), nbss,
		smblab.Options{IdleTimeout: l.opts.IdleTimeout, Observe: observe})
}

// boundedConn stops a connection after a byte budget and never lets a read or write deadline
// run past the connection's end, whatever deadline the server code sets.
type boundedConn struct {
	net.Conn
	left int64
	end  time.Time
}

// errBudget: the client sent more than MaxBytes.
var errBudget = errors.New("sensor: connection byte budget exhausted")

func (b *boundedConn) Read(p []byte) (int, error) {
	if b.left <= 0 {
		return 0, errBudget
	}
	if int64(len(p)) > b.left {
		p = p[:b.left]
	}
	n, err := b.Conn.Read(p)
	b.left -= int64(n)
	if err == nil && b.left <= 0 {
		err = io.EOF
	}
	return n, err
}

func (b *boundedConn) clamp(t time.Time) time.Time {
	if t.IsZero() || t.After(b.end) {
		return b.end
	}
	return t
}

// SetDeadline clamps to the connection's end.
func (b *boundedConn) SetDeadline(t time.Time) error { return b.Conn.SetDeadline(b.clamp(t)) }

// SetReadDeadline clamps to the connection's end.
func (b *boundedConn) SetReadDeadline(t time.Time) error { return b.Conn.SetReadDeadline(b.clamp(t)) }

// SetWriteDeadline clamps to the connection's end.
func (b *boundedConn) SetWriteDeadline(t time.Time) error {
	return b.Conn.SetWriteDeadline(b.clamp(t))
}

// reset closes c with a RST, so a refused client does not wait.
func reset(c net.Conn) {
	if tc, ok := c.(*net.TCPConn); ok {
		tc.SetLinger(0)
	}
	c.Close()
}
