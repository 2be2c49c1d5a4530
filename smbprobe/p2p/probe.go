package p2p

import (
	"context"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/netip"
	"os"
	"strconv"
	"sync"
	"syscall"
	"time"
)

// Dialer opens the probe's connections. The engine passes one that rate-limits: every UDP and
// TCP probe is one DialContext call. *net.Dialer satisfies it.
type Dialer interface {
	DialContext(ctx context.Context, network, address string) (net.Conn, error)
}

// Signal is what the P2P probe says about a host. It is not a verdict: "none" means no peer
// answered, which neither proves the host clean nor patched.
type Signal string

const (
	SignalInfected Signal = "infected" // a reply with a valid checksum: Conficker C or later
	SignalPossible Signal = "possible" // a reply that parses but fails the checksum
	SignalNone     Signal = "none"     // no port gave a Conficker-shaped reply
	SignalError    Signal = "error"    // the probe could not run (e.g. not an IPv4 address)
)

// Outcome of one port, as a stable string for JSON.
type Outcome string

const (
	OutcomeValid        Outcome = "valid-reply"   // checksum verifies
	OutcomeBadChecksum  Outcome = "bad-checksum"  // parses, checksum wrong: possibly infected
	OutcomeNotConficker Outcome = "not-conficker" // something answered, but not a P2P packet
	OutcomeRefused      Outcome = "refused"       // RST or ICMP port unreachable
	OutcomeTimeout      Outcome = "timeout"       // no answer before the deadline
	OutcomeClosed       Outcome = "closed"        // TCP accepted, then closed without a reply
	OutcomeError        Outcome = "error"         // anything else (dial error, cancelled, ...)
)

// DefaultTimeout bounds one port's exchange (connect, send, receive), like nmap's 5 s.
const DefaultTimeout = 5 * time.Second

// Options tune [ProbeWith]. The zero value is usable.
type Options struct {
	Timeout time.Duration // per port; 0 means DefaultTimeout
}

// Reply is what a parsed answer told us.
type Reply struct {
	Flags      uint16   `json:"flags"`
	ChecksumOK bool     `json:"checksum_ok"`
	IP         uint32   `json:"ip,omitempty"`   // FLAG_IP_INCLUDED, raw (byte order UNCONFIRMED)
	Port       uint16   `json:"port,omitempty"` // FLAG_IP_INCLUDED, raw
	SysInfo    *SysInfo `json:"sysinfo,omitempty"`
	OS         string   `json:"os,omitempty"` // SysInfo.OS(), e.g. "Windows XP SP3"
	DataLen    int      `json:"data_len,omitempty"`
	NoiseLen   int      `json:"noise_len"`
}

// PortResult is one port's exchange.
type PortResult struct {
	Network string  `json:"network"` // "tcp" or "udp"
	Port    uint16  `json:"port"`
	Outcome Outcome `json:"outcome"`
	Detail  string  `json:"detail,omitempty"`
	SentHex string  `json:"sent_hex"`
	// RecvHex is the raw reply (without the TCP length), the evidence for the outcome.
	RecvHex string `json:"recv_hex,omitempty"`
	Reply   *Reply `json:"reply,omitempty"`
	Millis  int64  `json:"ms"`
}

// Result is everything one P2P probe of one host produced. Per-port failures are data.
type Result struct {
	Addr     netip.Addr   `json:"addr"`
	Week     uint32       `json:"week"`
	TCP      [2]uint16    `json:"tcp_ports"`
	UDP      [2]uint16    `json:"udp_ports"`
	Ports    []PortResult `json:"ports"`
	Signal   Signal       `json:"signal"`
	Reply    *Reply       `json:"reply,omitempty"` // the best reply: a valid one if any, else a bad-checksum one
	Error    string       `json:"error,omitempty"`
	Attempts int          `json:"attempts"` // DialContext calls made
}

// Probe is [ProbeWith] with default options.
func Probe(ctx context.Context, addr netip.Addr, at time.Time, dial Dialer) Result {
	return ProbeWith(ctx, addr, at, dial, Options{})
}

// ProbeWith sends a hello to each of the host's derived ports for time at (concurrently) and
// classifies the answers. dial nil means a plain net.Dialer. A port pair that coincides is
// probed once.
func ProbeWith(ctx context.Context, addr netip.Addr, at time.Time, dial Dialer, opt Options) Result {
	addr = addr.Unmap()
	res := Result{Addr: addr, Week: Week(at), Signal: SignalNone}
	if !addr.Is4() {
		res.Signal = SignalError
		res.Error = "p2p: the port derivation needs an IPv4 address"
		return res
	}
	if dial == nil {
		dial = &net.Dialer{}
	}
	if opt.Timeout <= 0 {
		opt.Timeout = DefaultTimeout
	}
	res.TCP, res.UDP = PortsWeek(addr, res.Week)

	type target struct {
		network string
		port    uint16
	}
	var targets []target
	seen := map[target]bool{}
	for _, t := range []target{{"tcp", res.TCP[0]}, {"tcp", res.TCP[1]}, {"udp", res.UDP[0]}, {"udp", res.UDP[1]}} {
		if !seen[t] {
			seen[t] = true
			targets = append(targets, t)
		}
	}
	res.Ports = make([]PortResult, len(targets))
	var wg sync.WaitGroup
	for i, t := range targets {
		wg.Go(func() {
			res.Ports[i] = probePort(ctx, dial, addr, t.network, t.port, opt.Timeout)
		})
	}
	wg.Wait()
	res.Attempts = len(targets)

	var possible *Reply
	for _, pr := range res.Ports {
		switch pr.Outcome {
		case OutcomeValid:
			if res.Signal != SignalInfected {
				res.Signal = SignalInfected
				res.Reply = pr.Reply
			}
		case OutcomeBadChecksum:
			if possible == nil {
				possible = pr.Reply
			}
		}
	}
	if res.Signal != SignalInfected && possible != nil {
		res.Signal = SignalPossible
		res.Reply = possible
	}
	return res
}

// maxReply bounds what we read from a UDP peer; a TCP frame is bounded by its uint16 length.
const maxReply = MaxPacket

func probePort(ctx context.Context, dial Dialer, addr netip.Addr, network string, port uint16, timeout time.Duration) PortResult {
	pr := PortResult{Network: network, Port: port}
	start := time.Now()
	defer func() { pr.Millis = time.Since(start).Milliseconds() }()

	hello := NewHello(rand.Uint32()|1, rand.Uint32()|1, network == "tcp")
	pkt, err := hello.Encode(nil)
	if err != nil {
		pr.Outcome, pr.Detail = OutcomeError, err.Error()
		return pr
	}
	wire := pkt
	if network == "tcp" {
		if wire, err = AppendFrame(nil, pkt); err != nil {
			pr.Outcome, pr.Detail = OutcomeError, err.Error()
			return pr
		}
	}
	pr.SentHex = hex.EncodeToString(wire)

	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	conn, err := dial.DialContext(ctx, network, netip.AddrPortFrom(addr, port).String())
	if err != nil {
		pr.Outcome, pr.Detail = classify(ctx, err), err.Error()
		return pr
	}
	defer conn.Close()
	// The conn dies with the context, so no read can outlive it whatever the dialer did.
	stop := context.AfterFunc(ctx, func() { conn.Close() })
	defer stop()
	if dl, ok := ctx.Deadline(); ok {
		_ = conn.SetDeadline(dl)
	}

	if _, err := conn.Write(wire); err != nil {
		pr.Outcome, pr.Detail = classify(ctx, err), "send: "+err.Error()
		return pr
	}
	var body []byte
	if network == "tcp" {
		var hdr [2]byte
		if _, err := io.ReadFull(conn, hdr[:]); err != nil {
			pr.Outcome, pr.Detail = classify(ctx, err), "receive length: "+err.Error()
			return pr
		}
		body = make([]byte, binary.LittleEndian.Uint16(hdr[:])) // at most 64 KiB by construction
		n, err := io.ReadFull(conn, body)
		body = body[:n]
		if err != nil {
			pr.RecvHex = hex.EncodeToString(append(hdr[:], body...))
			pr.Outcome, pr.Detail = OutcomeNotConficker, fmt.Sprintf("frame says %d bytes, got %d: %v", len(body), n, err)
			if n == 0 {
				pr.Outcome = classify(ctx, err)
			}
			return pr
		}
	} else {
		buf := make([]byte, maxReply)
		n, err := conn.Read(buf)
		if err != nil {
			pr.Outcome, pr.Detail = classify(ctx, err), "receive: "+err.Error()
			return pr
		}
		body = buf[:n]
	}
	pr.RecvHex = hex.EncodeToString(body)

	p, err := DecodePacket(body)
	if err != nil {
		pr.Outcome, pr.Detail = OutcomeNotConficker, err.Error()
		return pr
	}
	pr.Reply = &Reply{Flags: p.Flags, ChecksumOK: p.ChecksumOK(), IP: p.IP, Port: p.Port,
		SysInfo: p.SysInfo, DataLen: len(p.Data), NoiseLen: len(p.Noise)}
	if p.SysInfo != nil {
		pr.Reply.OS = p.SysInfo.OS()
	}
	if p.ChecksumOK() {
		pr.Outcome, pr.Detail = OutcomeValid, "checksum verifies"
	} else {
		pr.Outcome = OutcomeBadChecksum
		pr.Detail = fmt.Sprintf("checksum 0x%08x, expected 0x%08x: possibly infected", p.Checksum, p.ComputedChecksum)
	}
	return pr
}

// classify maps a network error to an outcome.
func classify(ctx context.Context, err error) Outcome {
	var ne net.Error
	switch {
	case errors.Is(err, syscall.ECONNREFUSED):
		return OutcomeRefused
	case errors.Is(err, os.ErrDeadlineExceeded), errors.Is(ctx.Err(), context.DeadlineExceeded):
		return OutcomeTimeout
	case errors.As(err, &ne) && ne.Timeout():
		return OutcomeTimeout
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, syscall.ECONNRESET):
		return OutcomeClosed
	}
	return OutcomeError
}

// String summarises a port result for logs: "tcp/18263 valid-reply".
func (p PortResult) String() string {
	return p.Network + "/" + strconv.Itoa(int(p.Port)) + " " + string(p.Outcome)
}
