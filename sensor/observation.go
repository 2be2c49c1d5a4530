package sensor

import (
	"context"
	"errors"
	"net/netip"
	"time"
)

// How an Observation was made.
const (
	// ViaCaptureSYN: a TCP SYN seen on a watched interface (sensor/capture).
	ViaCaptureSYN = "capture-syn"
	// ViaListen: a connection accepted by the Listener.
	ViaListen = "listen"
)

// Observation is one connection attempt: Src tried to reach Dst:DstPort at Time.
type Observation struct {
	Time    time.Time
	Src     netip.Addr
	Dst     netip.Addr
	DstPort uint16
	Via     string // ViaCaptureSYN or ViaListen
	// Live: the capture saw Dst answer (a SYN-ACK or an ARP reply), so Dst is held by a host
	// even when it lies in a dark prefix; an attempt to it is not a dark hit.
	Live bool
}

// Capture delivers the TCP SYNs to watched ports seen on an interface as Observations, until
// ctx ends or the capture fails. sensor/capture implements it (AF_PACKET with a BPF filter); a
// Capture must call observe from one goroutine at a time and never block on it for long.
type Capture interface {
	Run(ctx context.Context, observe func(Observation)) error
	// Stats reports what the kernel delivered and dropped so far, for the report.
	Stats() CaptureStats
}

// CaptureStats are a Capture's counters.
type CaptureStats struct {
	Packets uint64 `json:"packets"` // packets that passed the filter
	Drops   uint64 `json:"drops"`   // packets the kernel dropped (ring full)
}

// CaptureOptions say what a Capture watches.
type CaptureOptions struct {
	Interface string   // network interface name, e.g. "eth0"
	Ports     []uint16 // destination ports whose SYNs are delivered (445, 139)
	// Grace is how long a SYN to a dark address waits for the address to answer before it
	// counts as dark (0: the capture's default, 2 s).
	Grace time.Duration
	// NoPromiscuous keeps the interface out of promiscuous mode: only frames addressed to this
	// host are seen (the zero value, promiscuous, is what a mirror port needs).
	NoPromiscuous bool
	// ReadBuffer is the capture socket's receive buffer in bytes (0: the capture's default,
	// 8 MiB).
	ReadBuffer int
}

// OpenCapture opens a Capture; cmd wires it to sensor/capture. It returns an error wrapping
// ErrNoCapability when the process lacks CAP_NET_RAW.
type OpenCapture func(opts CaptureOptions) (Capture, error)

// ErrNoCapability: capturing needs CAP_NET_RAW (root, or `setcap cap_net_raw+ep`).
var ErrNoCapability = errors.New("sensor: capture needs CAP_NET_RAW")
