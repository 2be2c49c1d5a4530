package scanner

import (
	"context"
	"net"
	"net/netip"
	"time"

	"github.com/scan445/scan445/smbprobe"
)

// Status is the connect outcome of one target. Stable strings: they are part of the JSON schema.
type Status string

const (
	StatusOpen        Status = "open"        // TCP handshake completed
	StatusClosed      Status = "closed"      // RST
	StatusFiltered    Status = "filtered"    // no answer within the timeout, after retries
	StatusUnreachable Status = "unreachable" // ICMP unreachable, no route
	StatusError       Status = "error"       // anything else; Error says what
)

// HostResult is the one result every target yields.
type HostResult struct {
	Address string `json:"address"`
	// Port is the port that answered, or the last one tried (Config.Fallback).
	Port int `json:"port"`
	// Tried lists the ports tried before Port and how each ended (closed, or filtered with
	// Config.FallbackFiltered). The host is the address: whatever port answered.
	Tried    []PortTry `json:"ports_tried,omitempty"`
	Status   Status    `json:"status"`
	Error    string    `json:"error,omitempty"`
	Attempts int       `json:"attempts"`
	// Interrupted marks a host cut short by Ctrl-C/SIGTERM: its result is partial, and a
	// resumed scan probes it again.
	Interrupted bool             `json:"interrupted,omitempty"`
	Started     time.Time        `json:"started"`
	ConnectMS   int64            `json:"connect_ms"`
	TotalMS     int64            `json:"total_ms"`
	SMB         *smbprobe.Result `json:"smb,omitempty"`
}

// DialFunc opens another connection ("tcp" or "udp") to the host being probed — any port, the
// same address only — through the same rate limit (each call counts as one attempt) and the same
// exclusion rules as the sweep. It is an alias so that probers need not import this package.
type DialFunc = func(ctx context.Context, network, address string) (net.Conn, error)

// Prober examines a host whose port is open. It owns conn and must close it. It must honour ctx
// (the per-host budget) and never panic outward; the engine still recovers a panic into an
// error result so that one hostile host cannot stop a scan.
type Prober interface {
	Probe(ctx context.Context, addr netip.AddrPort, conn net.Conn, redial DialFunc) *smbprobe.Result
}
