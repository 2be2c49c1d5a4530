// Package smblab is an emulated rack of Windows hosts on loopback, importable by tests the way
// net/http/httptest is: Start binds one listener per personality on its own 127.x.y.z address,
// speaks enough SMB1, SMB2, NTLMSSP and DCE/RPC srvsvc for nmap, impacket and our scanner, and
// models the MS08-067 routine: an overflow-reaching path "crashes" an unpatched host (its
// listener closes for the configured downtime) and is logged, so an unsafe scan is visible.
//
// Each Personality carries its truth table (the verdict a correct scanner reaches per check)
// and what nmap 7.93 concludes. The lab is proven against clients it did not write:
// TestNmapAgreesWithTruth (nmap's smb-* scripts; as root, on port 445, because nmap 7.93's
// smb-os-discovery fails on other ports) and TestImpacketClient (impacket 0.10 over SMB1 and
// SMB2). They skip when the tool is missing unless SCAN445_REQUIRE_PEERS=1.
//
//	go test -race ./smbprobe/smblab/                   # unit + peer tests
//	go test -run TestCrashModel -update ./smbprobe/smblab/   # re-record testdata transcripts
//	go test -run '^$' -fuzz FuzzHandle -fuzztime 20s ./smbprobe/smblab/
package smblab

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/netip"
	"sync"
	"time"

	"github.com/scan445/scan445/smbprobe/netapi"
	"github.com/scan445/scan445/smbprobe/p2p"
)

// Options configure a lab. The zero value serves DefaultPersonalities on 127.0.0.1+i:4445.
type Options struct {
	// First is host 0's address; host i listens on First+i. Every address must be loopback.
	First netip.Addr
	// Port is the TCP port every host listens on; 0 gives each host its own free port.
	Port int
	// Hosts is how many hosts to serve; 0 means one per personality.
	Hosts int
	// Personalities played in turn (host i plays i modulo the list); nil: DefaultPersonalities.
	Personalities []Personality
	// CrashDowntime is how long a crashed host stays down; 0 means 30 s.
	CrashDowntime time.Duration
	// CrashLog receives one "CRASH <addr> <request>" line per crash; nil: discarded.
	CrashLog io.Writer
	// IdleTimeout closes a connection that sends nothing for this long; 0 means 30 s.
	IdleTimeout time.Duration
	// Now is the clock for the Conficker P2P week and the servers' time; nil: time.Now.
	Now func() time.Time
	// Trace, if set, sees every request a well-behaved host handles and the replies it sent
	// (SMB messages without NetBIOS headers), for transcripts. It is called from many
	// goroutines at once.
	Trace func(host netip.Addr, request []byte, replies [][]byte)
	// Observe, if set, sees every request a well-behaved host decodes (Request: the SMB
	// command, a DCE/RPC bind, a srvsvc call with its path arguments) with the connection's
	// local and remote endpoints, before the host answers it. Called from many goroutines.
	Observe func(local, remote netip.AddrPort, r Request)
	// NetBIOSPort, when not 0, makes every host also serve SMB over the NetBIOS session
	// service on that port (139 in a real rack): the first packet must be a SESSION REQUEST
	// for *SMBSERVER or the host's computer name, anything else is refused as Windows does.
	NetBIOSPort int
	// NetBIOSOnly names personalities whose hosts have Port closed (a host firewall letting
	// only 139 through, common on XP SP2 and 2003 with file sharing on); they need NetBIOSPort.
	NetBIOSOnly map[string]bool
}

// Host is one emulated host as a client sees it.
type Host struct {
	Addr        netip.Addr         `json:"addr"`
	Port        int                `json:"port"` // 0: closed (Options.NetBIOSOnly)
	NetBIOSPort int                `json:"netbios_port,omitempty"`
	Personality string             `json:"personality"`
	Description string             `json:"description"`
	Hostile     bool               `json:"hostile,omitempty"`
	Truth       map[string]Verdict `json:"truth"`
	Nmap        NmapTruth          `json:"nmap"`
	P2PTCP      []uint16           `json:"p2p_tcp,omitempty"` // Conficker P2P ports, when it runs one
	P2PUDP      []uint16           `json:"p2p_udp,omitempty"`
	Notes       string             `json:"notes,omitempty"`
	// Account logs on as an administrator and reaches ADMIN$; nil: anonymous access only.
	Account *Account `json:"account,omitempty"`
	// Netapi32 is the file version ADMIN$\system32\netapi32.dll carries, when there is one.
	Netapi32 string `json:"netapi32,omitempty"`
	// CredTruth is the ms08-067 verdict a correct scanner reaches with Account (docs/checks.md §3b).
	CredTruth Verdict `json:"cred_truth,omitempty"`
}

// AddrPort is the host's SMB endpoint.
func (h Host) AddrPort() netip.AddrPort { return netip.AddrPortFrom(h.Addr, uint16(h.Port)) }

// Crash records one emulated crash.
type Crash struct {
	Time    time.Time  `json:"time"`
	Addr    netip.Addr `json:"addr"`
	Host    string     `json:"personality"`
	Request string     `json:"request"` // e.g. `NetprPathCompare path1="\AAAA\..\n"`
}

// Lab is a running rack of hosts. Close stops it.
type Lab struct {
	opts   Options
	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup
	hosts  []*host

	mu      sync.Mutex
	crashes []Crash
	closed  bool
}

// ErrNotLoopback rejects any address outside 127.0.0.0/8: the lab never listens elsewhere.
var ErrNotLoopback = errors.New("smblab: address is not in 127.0.0.0/8")

// Start binds every host before returning, so clients can connect at once. On any bind error
// nothing stays open.
func Start(ctx context.Context, opts Options) (*Lab, error) {
	if !opts.First.IsValid() {
		opts.First = netip.AddrFrom4([4]byte{127, 0, 0, 1})
	}
	if opts.Personalities == nil {
		opts.Personalities = DefaultPersonalities()
	}
	if len(opts.Personalities) == 0 {
		return nil, errors.New("smblab: no personalities")
	}
	if opts.Hosts <= 0 {
		opts.Hosts = len(opts.Personalities)
	}
	if opts.CrashDowntime <= 0 {
		opts.CrashDowntime = 30 * time.Second
	}
	if opts.IdleTimeout <= 0 {
		opts.IdleTimeout = 30 * time.Second
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Port < 0 || opts.Port > 65535 {
		return nil, fmt.Errorf("smblab: port %d out of range", opts.Port)
	}
	if opts.NetBIOSPort < 0 || opts.NetBIOSPort > 65535 {
		return nil, fmt.Errorf("smblab: NetBIOS port %d out of range", opts.NetBIOSPort)
	}
	if len(opts.NetBIOSOnly) > 0 && opts.NetBIOSPort == 0 {
		return nil, errors.New("smblab: NetBIOSOnly hosts need a NetBIOSPort")
	}
	addrs, err := HostAddrs(opts.First, opts.Hosts)
	if err != nil {
		return nil, err
	}
	lctx, cancel := context.WithCancel(ctx)
	l := &Lab{opts: opts, ctx: lctx, cancel: cancel}
	for i, a := range addrs {
		p := opts.Personalities[i%len(opts.Personalities)]
		h := &host{lab: l, addr: a, p: p, conns: map[net.Conn]struct{}{}}
		// Appended first so Close reaches a half-started host.
		l.hosts = append(l.hosts, h)
		if !opts.NetBIOSOnly[p.Name] {
			if err := h.listen(opts.Port); err != nil {
				l.Close()
				return nil, err
			}
		}
		if opts.NetBIOSPort != 0 {
			// A second listener at the same address; a crash through it takes down only
			// that listener (the lab's crash model is per listener).
			h.nb = &host{lab: l, addr: a, p: p, conns: map[net.Conn]struct{}{}, nbss: true}
			if err := h.nb.listen(opts.NetBIOSPort); err != nil {
				l.Close()
				return nil, err
			}
		}
		if p.P2P {
			cfg := p2p.ResponderConfig{Addr: a}
			cfg.DerivedPorts(opts.Now())
			r, err := p2p.Listen(lctx, cfg)
			if err != nil {
				l.Close()
				return nil, fmt.Errorf("smblab: %s P2P responder: %w", a, err)
			}
			h.p2p = r
			h.p2pTCP, h.p2pUDP = cfg.TCPPorts, cfg.UDPPorts
		}
	}
	// Close everything when the caller's context ends, even if Close is never called.
	l.wg.Add(1)
	go func() {
		defer l.wg.Done()
		<-lctx.Done()
		for _, h := range l.hosts {
			h.shutdown()
		}
	}()
	return l, nil
}

// HostAddrs returns n consecutive addresses from first, all inside 127.0.0.0/8.
func HostAddrs(first netip.Addr, n int) ([]netip.Addr, error) {
	loop := netip.MustParsePrefix("127.0.0.0/8")
	if n <= 0 || n > 1<<16 {
		return nil, fmt.Errorf("smblab: host count %d out of range", n)
	}
	out := make([]netip.Addr, 0, n)
	a := first.Unmap()
	for i := 0; i < n; i++ {
		if !a.Is4() || !loop.Contains(a) {
			return nil, fmt.Errorf("%w: %s", ErrNotLoopback, a)
		}
		out = append(out, a)
		a = a.Next()
	}
	return out, nil
}

// Hosts returns the rack, in address order.
func (l *Lab) Hosts() []Host {
	out := make([]Host, 0, len(l.hosts))
	for _, h := range l.hosts {
		out = append(out, Host{
			Addr: h.addr, Port: h.port, Personality: h.p.Name, Description: h.p.Description,
			Hostile: h.p.Hostile != HostileNone || h.p.Nmap.Unreliable, Truth: h.p.Truth, Nmap: h.p.Nmap,
			P2PTCP: h.p2pTCP, P2PUDP: h.p2pUDP, Notes: h.p.Notes,
			CredTruth: h.p.CredTruth,
		})
		hh := &out[len(out)-1]
		if h.nb != nil {
			hh.NetBIOSPort = h.nb.port
		}
		if h.p.Account != nil {
			a := *h.p.Account
			hh.Account = &a
			if h.p.Netapi32 != (netapi.FileVersion{}) {
				hh.Netapi32 = h.p.Netapi32.String()
			}
		}
	}
	return out
}

// Personality returns the personality host addr plays.
func (l *Lab) Personality(addr netip.Addr) (Personality, bool) {
	for _, h := range l.hosts {
		if h.addr == addr {
			return h.p, true
		}
	}
	return Personality{}, false
}

// Crashes returns every crash so far, oldest first.
func (l *Lab) Crashes() []Crash {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]Crash(nil), l.crashes...)
}

// Close stops every listener, connection, responder and timer, and waits for their goroutines.
func (l *Lab) Close() error {
	l.mu.Lock()
	already := l.closed
	l.closed = true
	l.mu.Unlock()
	l.cancel()
	if !already {
		for _, h := range l.hosts {
			h.shutdown()
		}
	}
	l.wg.Wait()
	var first error
	for _, h := range l.hosts {
		if h.p2p != nil {
			if err := h.p2p.Close(); err != nil && first == nil {
				first = err
			}
		}
	}
	return first
}

func (l *Lab) recordCrash(c Crash) {
	l.mu.Lock()
	l.crashes = append(l.crashes, c)
	w := l.opts.CrashLog
	if w != nil {
		// Under the lock so lines from concurrent crashes never interleave.
		fmt.Fprintf(w, "CRASH %s %s\n", c.Addr, c.Request)
	}
	l.mu.Unlock()
}

// host is one address: its listener (absent while "crashed") and live connections.
type host struct {
	lab    *Lab
	addr   netip.Addr
	port   int
	p      Personality
	p2p    *p2p.Responder
	p2pTCP []uint16
	p2pUDP []uint16
	// nb is the same host's NetBIOS session service listener (Options.NetBIOSPort); nbss
	// marks that listener.
	nb   *host
	nbss bool

	mu    sync.Mutex
	ln    net.Listener
	conns map[net.Conn]struct{}
	down  bool
}

func (h *host) listen(port int) error {
	ln, err := net.Listen("tcp4", netip.AddrPortFrom(h.addr, uint16(port)).String())
	if err != nil {
		return fmt.Errorf("smblab: listen %s: %w", h.addr, err)
	}
	if h.port == 0 {
		// Only the first listen (in Start, before any reader) sets it: a relisten reuses it.
		h.port = ln.Addr().(*net.TCPAddr).Port
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	// A relisten racing with Close: shutdown has already run, so close it here.
	if h.lab.ctx.Err() != nil {
		ln.Close()
		return h.lab.ctx.Err()
	}
	h.ln = ln
	h.down = false
	h.lab.wg.Add(1)
	go h.accept(ln)
	return nil
}

func (h *host) accept(ln net.Listener) {
	defer h.lab.wg.Done()
	for {
		c, err := ln.Accept()
		if err != nil {
			if errors.Is(err, net.ErrClosed) || h.lab.ctx.Err() != nil {
				return
			}
			// EMFILE and the like: the host stays up, as Windows would, and retries.
			select {
			case <-h.lab.ctx.Done():
				return
			case <-time.After(50 * time.Millisecond):
			}
			continue
		}
		h.mu.Lock()
		if h.down || h.lab.ctx.Err() != nil || h.ln != ln {
			h.mu.Unlock()
			c.Close()
			continue
		}
		h.conns[c] = struct{}{}
		h.lab.wg.Add(1)
		h.mu.Unlock()
		go func() {
			defer h.lab.wg.Done()
			defer h.forget(c)
			h.serve(c)
		}()
	}
}

func (h *host) forget(c net.Conn) {
	c.Close()
	h.mu.Lock()
	delete(h.conns, c)
	h.mu.Unlock()
}

// shutdown closes the listener and every connection (lab closing).
func (h *host) shutdown() {
	if h.nb != nil {
		h.nb.shutdown()
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.ln != nil {
		h.ln.Close()
		h.ln = nil
	}
	for c := range h.conns {
		c.Close()
	}
}

// crash takes the host down: listener closed, connections dropped, back after the downtime.
func (h *host) crash(request string) {
	h.mu.Lock()
	if h.down {
		h.mu.Unlock()
		return
	}
	h.down = true
	if h.ln != nil {
		h.ln.Close()
		h.ln = nil
	}
	// Recorded before the connections drop, so a client that sees its connection die finds
	// the crash already in Crashes().
	h.lab.recordCrash(Crash{Time: time.Now(), Addr: h.addr, Host: h.p.Name, Request: request})
	for c := range h.conns {
		abort(c)
	}
	h.mu.Unlock()

	h.lab.wg.Add(1)
	go func() {
		defer h.lab.wg.Done()
		t := time.NewTimer(h.lab.opts.CrashDowntime)
		defer t.Stop()
		select {
		case <-h.lab.ctx.Done():
			return
		case <-t.C:
		}
		// The port may be briefly held by another process; retry until the lab ends.
		for h.lab.ctx.Err() == nil {
			if err := h.listen(h.port); err == nil {
				return
			}
			select {
			case <-h.lab.ctx.Done():
				return
			case <-time.After(200 * time.Millisecond):
			}
		}
	}()
}

// abort closes c with a TCP RST, as a host that died mid-exchange would be seen.
func abort(c net.Conn) {
	if tc, ok := c.(*net.TCPConn); ok {
		tc.SetLinger(0)
	}
	c.Close()
}
