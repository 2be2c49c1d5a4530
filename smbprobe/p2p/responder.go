package p2p

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/netip"
	"sync"
	"time"
)

// ResponderConfig says where a [Responder] listens and how it answers.
type ResponderConfig struct {
	Addr     netip.Addr // address to bind, e.g. 127.0.0.2
	TCPPorts []uint16   // 0 picks a free port (tests); see [DerivedPorts]
	UDPPorts []uint16
	// SysInfo announced in replies; nil means Windows XP SP3 (5.1.2600 SP3.0).
	SysInfo *SysInfo
	// BadChecksum makes every reply fail its checksum, to exercise the "possibly infected" path.
	BadChecksum bool
	// IdleTimeout closes a TCP peer that sends nothing for this long; 0 means 10 s.
	IdleTimeout time.Duration
	// Log, if set, sees every packet received (without TCP framing) and the reply sent (nil
	// when none); it is called from several goroutines.
	Log func(network string, peer netip.AddrPort, in, out []byte)
}

// XPSP3 is the system description a default Responder announces.
func XPSP3() SysInfo {
	return SysInfo{OSMajor: 5, OSMinor: 1, OSBuild: 2600, SPMajor: 3, SPMinor: 0, NtdllTranslation: 0x0409}
}

// DerivedPorts fills cfg's ports with those an infected host at cfg.Addr would use at time at.
func (cfg *ResponderConfig) DerivedPorts(at time.Time) {
	tcp, udp := Ports(cfg.Addr, at)
	cfg.TCPPorts = []uint16{tcp[0], tcp[1]}
	cfg.UDPPorts = []uint16{udp[0], udp[1]}
	if tcp[0] == tcp[1] {
		cfg.TCPPorts = cfg.TCPPorts[:1]
	}
	if udp[0] == udp[1] {
		cfg.UDPPorts = cfg.UDPPorts[:1]
	}
}

// Responder answers P2P hellos like an infected host. It runs from [Listen] until its context
// ends or Close is called; Close waits for every goroutine it started.
type Responder struct {
	cfg    ResponderConfig
	cancel context.CancelFunc
	wg     sync.WaitGroup
	tcp    []net.Listener
	udp    []net.PacketConn

	mu  sync.Mutex
	err error // first serving error, reported by Close
}

// Listen binds every configured port before returning, so a caller can probe immediately. On
// a bind failure nothing stays open.
func Listen(ctx context.Context, cfg ResponderConfig) (*Responder, error) {
	if cfg.SysInfo == nil {
		si := XPSP3()
		cfg.SysInfo = &si
	}
	if cfg.IdleTimeout <= 0 {
		cfg.IdleTimeout = 10 * time.Second
	}
	ctx, cancel := context.WithCancel(ctx)
	r := &Responder{cfg: cfg, cancel: cancel}
	var lc net.ListenConfig
	fail := func(err error) (*Responder, error) {
		cancel()
		for _, l := range r.tcp {
			l.Close()
		}
		for _, c := range r.udp {
			c.Close()
		}
		return nil, err
	}
	for _, p := range cfg.TCPPorts {
		l, err := lc.Listen(ctx, "tcp", netip.AddrPortFrom(cfg.Addr, p).String())
		if err != nil {
			return fail(fmt.Errorf("p2p responder: %w", err))
		}
		r.tcp = append(r.tcp, l)
	}
	for _, p := range cfg.UDPPorts {
		c, err := lc.ListenPacket(ctx, "udp", netip.AddrPortFrom(cfg.Addr, p).String())
		if err != nil {
			return fail(fmt.Errorf("p2p responder: %w", err))
		}
		r.udp = append(r.udp, c)
	}
	for _, l := range r.tcp {
		r.wg.Go(func() { r.serveTCP(ctx, l) })
	}
	for _, c := range r.udp {
		r.wg.Go(func() { r.serveUDP(ctx, c) })
	}
	// Closing the sockets is what unblocks Accept and ReadFrom.
	r.wg.Go(func() {
		<-ctx.Done()
		for _, l := range r.tcp {
			l.Close()
		}
		for _, c := range r.udp {
			c.Close()
		}
	})
	return r, nil
}

// TCPAddrs and UDPAddrs are the bound addresses (useful when a port was 0).
func (r *Responder) TCPAddrs() []netip.AddrPort {
	var out []netip.AddrPort
	for _, l := range r.tcp {
		out = append(out, l.Addr().(*net.TCPAddr).AddrPort())
	}
	return out
}

// UDPAddrs: see TCPAddrs.
func (r *Responder) UDPAddrs() []netip.AddrPort {
	var out []netip.AddrPort
	for _, c := range r.udp {
		out = append(out, c.LocalAddr().(*net.UDPAddr).AddrPort())
	}
	return out
}

// Close stops the responder, waits for its goroutines and returns the first serving error.
func (r *Responder) Close() error {
	r.cancel()
	r.wg.Wait()
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.err
}

func (r *Responder) setErr(err error) {
	r.mu.Lock()
	if r.err == nil {
		r.err = err
	}
	r.mu.Unlock()
}

func (r *Responder) serveTCP(ctx context.Context, l net.Listener) {
	for {
		conn, err := l.Accept()
		if err != nil {
			if ctx.Err() == nil && !errors.Is(err, net.ErrClosed) {
				r.setErr(err)
			}
			return
		}
		r.wg.Go(func() { r.handleTCP(ctx, conn) })
	}
}

func (r *Responder) handleTCP(ctx context.Context, conn net.Conn) {
	defer conn.Close()
	stop := context.AfterFunc(ctx, func() { conn.Close() })
	defer stop()
	peer, _ := netip.ParseAddrPort(conn.RemoteAddr().String())
	for {
		_ = conn.SetDeadline(time.Now().Add(r.cfg.IdleTimeout))
		var hdr [2]byte
		if _, err := io.ReadFull(conn, hdr[:]); err != nil {
			return
		}
		body := make([]byte, binary.LittleEndian.Uint16(hdr[:]))
		if _, err := io.ReadFull(conn, body); err != nil {
			return
		}
		reply, ok := r.answer(body, true, peer)
		if r.cfg.Log != nil {
			r.cfg.Log("tcp", peer, body, reply)
		}
		if !ok {
			return // like the worm, drop a peer that does not speak the protocol
		}
		frame, err := AppendFrame(nil, reply)
		if err != nil {
			return
		}
		if _, err := conn.Write(frame); err != nil {
			return
		}
	}
}

func (r *Responder) serveUDP(ctx context.Context, c net.PacketConn) {
	buf := make([]byte, maxReply)
	for {
		n, from, err := c.ReadFrom(buf)
		if err != nil {
			if ctx.Err() == nil && !errors.Is(err, net.ErrClosed) {
				r.setErr(err)
			}
			return
		}
		peer, _ := netip.ParseAddrPort(from.String())
		reply, ok := r.answer(buf[:n], false, peer)
		if r.cfg.Log != nil {
			r.cfg.Log("udp", peer, append([]byte(nil), buf[:n]...), reply)
		}
		if ok {
			_, _ = c.WriteTo(reply, from)
		}
	}
}

// answer builds the reply to one received packet, or reports that there is none.
func (r *Responder) answer(in []byte, tcp bool, peer netip.AddrPort) ([]byte, bool) {
	p, err := DecodePacket(in)
	if err != nil || !p.ChecksumOK() {
		return nil, false
	}
	flags := FlagEncoded | FlagIPIncluded
	if tcp {
		flags |= FlagIsTCP
	}
	si := *r.cfg.SysInfo
	si.PRNGSample = rand.Uint32()
	a4 := peer.Addr().Unmap().As4()
	noise := make([]byte, rand.IntN(32))
	for i := range noise {
		noise[i] = byte(rand.Uint32())
	}
	out := Packet{
		Key1: rand.Uint32() | 1, Key2: rand.Uint32() | 1, Flags: flags,
		// Echo the peer's address as the worm reports an observed address (layout UNCONFIRMED).
		IP:      binary.LittleEndian.Uint32(a4[:]),
		Port:    peer.Port(),
		SysInfo: &si,
		Noise:   noise,
	}
	b, err := out.Encode(nil)
	if err != nil {
		return nil, false
	}
	if r.cfg.BadChecksum {
		// The checksum sits right before the noise; flipping a ciphertext bit flips the same
		// plaintext bit, so the packet still parses but no longer verifies.
		b[len(b)-len(noise)-1] ^= 0x01
	}
	return b, true
}
