package p2p

import (
	"context"
	"fmt"
	"net"
	"net/netip"
	"os/exec"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/scan445/scan445/internal/testpeer"
)

// listenDerived starts a responder on the ports derived for some 127.0.0.x at a fixed time,
// trying further addresses when another process holds one of the ports.
func listenDerived(t *testing.T, at time.Time, mod func(*ResponderConfig)) (*Responder, netip.Addr) {
	t.Helper()
	var lastErr error
	for host := 2; host < 250; host++ {
		addr := netip.AddrFrom4([4]byte{127, 0, 0, byte(host)})
		cfg := ResponderConfig{Addr: addr}
		cfg.DerivedPorts(at)
		if mod != nil {
			mod(&cfg)
		}
		r, err := Listen(context.Background(), cfg)
		if err != nil {
			lastErr = err
			continue
		}
		t.Cleanup(func() {
			if err := r.Close(); err != nil {
				t.Errorf("responder: %v", err)
			}
		})
		return r, addr
	}
	t.Fatalf("no 127.0.0.x with free derived ports: %v", lastErr)
	return nil, netip.Addr{}
}

// countingDialer stands in for the engine's rate-limited dialer.
type countingDialer struct {
	n  atomic.Int32
	mu sync.Mutex
	to []string
	d  net.Dialer
}

func (c *countingDialer) DialContext(ctx context.Context, network, address string) (net.Conn, error) {
	c.n.Add(1)
	c.mu.Lock()
	c.to = append(c.to, network+" "+address)
	c.mu.Unlock()
	return c.d.DialContext(ctx, network, address)
}

var fixedAt = time.Date(2026, 11, 27, 12, 0, 0, 0, time.UTC)

func TestProbeInfected(t *testing.T) {
	r, addr := listenDerived(t, fixedAt, nil)
	var d countingDialer
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	res := ProbeWith(ctx, addr, fixedAt, &d, Options{Timeout: 3 * time.Second})
	if res.Signal != SignalInfected {
		t.Fatalf("signal %s, ports %v", res.Signal, res.Ports)
	}
	if got := int(d.n.Load()); got != res.Attempts || got != len(r.TCPAddrs())+len(r.UDPAddrs()) {
		t.Errorf("dialer saw %d attempts (%v), result says %d", got, d.to, res.Attempts)
	}
	tcp, udp := Ports(addr, fixedAt)
	if res.TCP != tcp || res.UDP != udp || res.Week != 2968 {
		t.Errorf("ports/week %v %v %d", res.TCP, res.UDP, res.Week)
	}
	for _, p := range res.Ports {
		if p.Outcome != OutcomeValid || p.Reply == nil || p.RecvHex == "" || p.SentHex == "" {
			t.Errorf("%s: %+v", p, p)
			continue
		}
		if p.Reply.OS != "Windows XP SP3" || p.Reply.SysInfo.OSBuild != 2600 {
			t.Errorf("%s: OS %q", p, p.Reply.OS)
		}
		wantFlags := FlagEncoded | FlagIPIncluded | FlagSysInfo
		if p.Network == "tcp" {
			wantFlags |= FlagIsTCP
		}
		if p.Reply.Flags != wantFlags {
			t.Errorf("%s: flags 0x%04x", p, p.Reply.Flags)
		}
	}
	if res.Reply == nil || !res.Reply.ChecksumOK {
		t.Errorf("result reply %+v", res.Reply)
	}
}

func TestProbePossible(t *testing.T) {
	_, addr := listenDerived(t, fixedAt, func(c *ResponderConfig) { c.BadChecksum = true })
	res := ProbeWith(context.Background(), addr, fixedAt, nil, Options{Timeout: 3 * time.Second})
	if res.Signal != SignalPossible {
		t.Fatalf("signal %s, ports %v", res.Signal, res.Ports)
	}
	for _, p := range res.Ports {
		if p.Outcome != OutcomeBadChecksum || p.Reply == nil || p.Reply.ChecksumOK {
			t.Errorf("%s: %+v", p, p)
		}
	}
}

// One answering port is enough; the others refuse.
func TestProbeOnePortOnly(t *testing.T) {
	_, addr := listenDerived(t, fixedAt, func(c *ResponderConfig) {
		c.TCPPorts = nil
		c.UDPPorts = c.UDPPorts[1:] // the week-dependent UDP port only
	})
	res := ProbeWith(context.Background(), addr, fixedAt, nil, Options{Timeout: 3 * time.Second})
	if res.Signal != SignalInfected {
		t.Fatalf("signal %s, ports %v", res.Signal, res.Ports)
	}
	valid := 0
	for _, p := range res.Ports {
		if p.Outcome == OutcomeValid {
			valid++
			if p.Network != "udp" || p.Port != res.UDP[1] {
				t.Errorf("valid reply from %s", p)
			}
		} else if p.Outcome != OutcomeRefused {
			t.Errorf("%s: %s", p, p.Detail)
		}
	}
	if valid != 1 {
		t.Errorf("%d valid ports", valid)
	}
}

// Nothing listens: no signal, and every port says why.
func TestProbeNothingListens(t *testing.T) {
	// A different week from the responders above, on an address no test binds.
	at := time.Date(2009, 4, 1, 0, 0, 0, 0, time.UTC)
	addr := netip.MustParseAddr("127.0.0.251")
	res := ProbeWith(context.Background(), addr, at, nil, Options{Timeout: 2 * time.Second})
	if res.Signal != SignalNone || res.Reply != nil {
		t.Fatalf("signal %s, ports %v", res.Signal, res.Ports)
	}
	if len(res.Ports) != 4 {
		t.Fatalf("%d ports probed", len(res.Ports))
	}
	for _, p := range res.Ports {
		if p.Outcome != OutcomeRefused {
			t.Errorf("%s: %s", p, p.Detail)
		}
	}
}

// A service that is not Conficker answers on the ports: it must not count.
func TestProbeNotConficker(t *testing.T) {
	at := fixedAt
	var addr netip.Addr
	var ls []net.Listener
	var pcs []net.PacketConn
	for host := 2; host < 250 && ls == nil; host++ {
		addr = netip.AddrFrom4([4]byte{127, 0, 0, byte(host)})
		tcp, udp := Ports(addr, at)
		var err error
		var l0, l1 net.Listener
		var u0, u1 net.PacketConn
		if l0, err = net.Listen("tcp", netip.AddrPortFrom(addr, tcp[0]).String()); err != nil {
			continue
		}
		if l1, err = net.Listen("tcp", netip.AddrPortFrom(addr, tcp[1]).String()); err != nil {
			l0.Close()
			continue
		}
		if u0, err = net.ListenPacket("udp", netip.AddrPortFrom(addr, udp[0]).String()); err != nil {
			l0.Close()
			l1.Close()
			continue
		}
		if u1, err = net.ListenPacket("udp", netip.AddrPortFrom(addr, udp[1]).String()); err != nil {
			l0.Close()
			l1.Close()
			u0.Close()
			continue
		}
		ls, pcs = []net.Listener{l0, l1}, []net.PacketConn{u0, u1}
	}
	if ls == nil {
		t.Fatal("no free derived ports")
	}
	var wg sync.WaitGroup
	defer wg.Wait()
	defer func() {
		for _, l := range ls {
			l.Close()
		}
		for _, c := range pcs {
			c.Close()
		}
	}()
	// tcp[0]: an SSH-like banner whose first two bytes claim a long frame, then close.
	// tcp[1]: accept and close at once. udp[0]: a short reply. udp[1]: silence.
	wg.Go(func() {
		if c, err := ls[0].Accept(); err == nil {
			c.Write([]byte("SSH-2.0-OpenSSH_9.2\r\n"))
			c.Close()
		}
	})
	wg.Go(func() {
		if c, err := ls[1].Accept(); err == nil {
			c.Close()
		}
	})
	wg.Go(func() {
		buf := make([]byte, 100)
		if _, from, err := pcs[0].ReadFrom(buf); err == nil {
			pcs[0].WriteTo([]byte("nope"), from)
		}
	})
	res := ProbeWith(context.Background(), addr, at, nil, Options{Timeout: 500 * time.Millisecond})
	if res.Signal != SignalNone {
		t.Fatalf("signal %s", res.Signal)
	}
	want := map[string]Outcome{}
	tcp, udp := Ports(addr, at)
	want[fmt.Sprintf("tcp/%d", tcp[0])] = OutcomeNotConficker
	want[fmt.Sprintf("tcp/%d", tcp[1])] = OutcomeClosed
	want[fmt.Sprintf("udp/%d", udp[0])] = OutcomeNotConficker
	want[fmt.Sprintf("udp/%d", udp[1])] = OutcomeTimeout
	for _, p := range res.Ports {
		k := fmt.Sprintf("%s/%d", p.Network, p.Port)
		if p.Outcome != want[k] {
			t.Errorf("%s: outcome %s (%s), want %s", k, p.Outcome, p.Detail, want[k])
		}
	}
}

func TestProbeNotIPv4(t *testing.T) {
	var d countingDialer
	res := Probe(context.Background(), netip.MustParseAddr("::1"), fixedAt, &d)
	if res.Signal != SignalError || res.Error == "" || d.n.Load() != 0 {
		t.Errorf("%+v", res)
	}
}

// A cancelled context ends the probe promptly, without waiting for the per-port timeout.
func TestProbeCancelled(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	// Bind a silent UDP socket on the derived port so the read would otherwise wait.
	addr := netip.MustParseAddr("127.0.0.252")
	_, udp := Ports(addr, fixedAt)
	pc, err := net.ListenPacket("udp", netip.AddrPortFrom(addr, udp[0]).String())
	if err != nil {
		t.Skip(err)
	}
	defer pc.Close()
	start := time.Now()
	res := ProbeWith(ctx, addr, fixedAt, nil, Options{Timeout: 30 * time.Second})
	if el := time.Since(start); el > 5*time.Second {
		t.Errorf("probe took %s after cancel", el)
	}
	if res.Signal != SignalNone {
		t.Errorf("signal %s", res.Signal)
	}
}

// Responder and prober leave no goroutine behind.
func TestNoGoroutineLeak(t *testing.T) {
	before := runtime.NumGoroutine()
	func() {
		ctx, cancel := context.WithCancel(context.Background())
		var r *Responder
		var addr netip.Addr
		for host := 2; host < 250; host++ {
			addr = netip.AddrFrom4([4]byte{127, 0, 0, byte(host)})
			cfg := ResponderConfig{Addr: addr}
			cfg.DerivedPorts(fixedAt)
			var err error
			if r, err = Listen(ctx, cfg); err == nil {
				break
			}
		}
		if r == nil {
			t.Fatal("no responder")
		}
		// An idle TCP peer the responder must drop on shutdown.
		c, err := net.Dial("tcp", r.TCPAddrs()[0].String())
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		res := ProbeWith(ctx, addr, fixedAt, nil, Options{Timeout: 2 * time.Second})
		if res.Signal != SignalInfected {
			t.Errorf("signal %s", res.Signal)
		}
		cancel() // shutdown through the context, not Close
		if err := r.Close(); err != nil {
			t.Error(err)
		}
	}()
	deadline := time.Now().Add(5 * time.Second)
	for runtime.NumGoroutine() > before && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	if n := runtime.NumGoroutine(); n > before {
		buf := make([]byte, 1<<16)
		t.Errorf("%d goroutines before, %d after:\n%s", before, n, buf[:runtime.Stack(buf, true)])
	}
}

// nmap's p2p-conficker, an independent implementation, must call our responder INFECTED on
// all four ports. Needs nmap and the right to bind port 445 (root); skipped otherwise.
func TestNmapInterop(t *testing.T) {
	if testing.Short() {
		t.Skip("short")
	}
	nmap := testpeer.LookPath(t, "nmap")
	now := time.Now()
	if Week(now) != Week(now.Add(time.Minute)) {
		t.Skip("too close to the weekly turnover")
	}
	var mu sync.Mutex
	var seen []string
	r, addr := listenDerived(t, now, func(c *ResponderConfig) {
		c.Log = func(network string, peer netip.AddrPort, in, out []byte) {
			mu.Lock()
			seen = append(seen, fmt.Sprintf("%s in=%x replied=%v", network, in, out != nil))
			mu.Unlock()
		}
	})
	_ = r
	// The script runs only when the target has 445 open.
	l445, err := net.Listen("tcp", netip.AddrPortFrom(addr, 445).String())
	if err != nil {
		t.Skipf("cannot bind port 445: %v", err)
	}
	defer l445.Close()
	go func() {
		for {
			c, err := l445.Accept()
			if err != nil {
				return
			}
			c.Close()
		}
	}()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, nmap, "-Pn", "-n", "-sT", "-p445", "-vv", "--script", "p2p-conficker",
		"--script-args", "realip="+addr.String(), addr.String()).CombinedOutput()
	if err != nil {
		t.Fatalf("nmap: %v\n%s", err, out)
	}
	mu.Lock()
	t.Logf("responder saw:\n%s", strings.Join(seen, "\n"))
	mu.Unlock()
	if !strings.Contains(string(out), "4/4 checks are positive: Host is likely INFECTED") {
		t.Errorf("nmap did not see an infected host:\n%s", out)
	}
}
