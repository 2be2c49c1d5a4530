package capture

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"
	"time"

	"github.com/mdlayher/packet"
)

// ErrNeedCapNetRaw means the AF_PACKET socket was refused for want of CAP_NET_RAW.
var ErrNeedCapNetRaw = errors.New("capture needs CAP_NET_RAW")

// DefaultPorts returns the ports watched when Options.Ports is empty: direct-hosted SMB (445)
// and the NetBIOS session service (139).
func DefaultPorts() []uint16 { return []uint16{445, 139} }

// ethPAll is ETH_P_ALL: every protocol, outgoing frames included (the sensor's own SYN-ACKs
// say its addresses are not dark).
const ethPAll = 0x0003

// pollInterval bounds how late a pending SYN is released and how long a cancel takes.
const pollInterval = 200 * time.Millisecond

// Options configure Run.
type Options struct {
	Interface   string
	Ports       []uint16       // default 445, 139
	Dark        []netip.Prefix // the declared-unused prefixes
	Grace       time.Duration  // how long a SYN waits for its destination to answer (default 2 s)
	MaxLive     int            // answering addresses remembered (default 1 Mi)
	MaxPending  int            // SYNs held for the grace time (default 64 Ki)
	Promiscuous bool           // also see frames for other hosts' MACs (a mirror port)
	// Ready, if set, is called once the filtered socket is bound: from then on no SYN is missed.
	Ready func()
}

// Run captures on opts.Interface until ctx ends, calling onSYN (from this goroutine) for each
// connection attempt; it returns the counts. Without CAP_NET_RAW the error wraps
// ErrNeedCapNetRaw.
func Run(ctx context.Context, opts Options, onSYN func(SYN)) (Stats, error) {
	ports := opts.Ports
	if len(ports) == 0 {
		ports = DefaultPorts()
	}
	for _, p := range opts.Dark {
		if !p.Addr().Is4() {
			return Stats{}, fmt.Errorf("capture: dark prefix %s: only IPv4 is read", p)
		}
	}
	ifi, err := net.InterfaceByName(opts.Interface)
	if err != nil {
		return Stats{}, fmt.Errorf("capture: interface %q: %w", opts.Interface, err)
	}
	filter, err := AssembleFilter(ports)
	if err != nil {
		return Stats{}, err
	}
	conn, err := packet.Listen(ifi, packet.Raw, ethPAll, &packet.Config{Filter: filter})
	if err != nil {
		if errors.Is(err, os.ErrPermission) {
			return Stats{}, fmt.Errorf("%w: an AF_PACKET socket on %s was refused (%v); run as root, or give the binary the capability (setcap cap_net_raw+ep scan445; systemd: AmbientCapabilities=CAP_NET_RAW), or use --listen alone", ErrNeedCapNetRaw, opts.Interface, err)
		}
		return Stats{}, fmt.Errorf("capture: %s: %w", opts.Interface, err)
	}
	defer conn.Close()
	if opts.Promiscuous {
		if err := conn.SetPromiscuous(true); err != nil {
			return Stats{}, fmt.Errorf("capture: promiscuous mode on %s: %w", opts.Interface, err)
		}
	}
	if opts.Ready != nil {
		opts.Ready()
	}
	cl := NewClassifier(opts.Dark, opts.Grace, opts.MaxLive, opts.MaxPending)
	buf := make([]byte, 2048)
	kernelDrops := func() {
		if st, err := conn.Stats(); err == nil {
			cl.stats.KernelDrops += uint64(st.Drops)
		}
	}
	for {
		if ctx.Err() != nil {
			cl.Drain(onSYN)
			kernelDrops()
			return cl.Stats(), nil
		}
		if err := conn.SetReadDeadline(time.Now().Add(pollInterval)); err != nil {
			return cl.Stats(), fmt.Errorf("capture: %w", err)
		}
		n, _, err := conn.ReadFrom(buf)
		now := time.Now()
		if err != nil {
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				cl.Flush(now, onSYN)
				kernelDrops()
				continue
			}
			cl.Drain(onSYN)
			return cl.Stats(), fmt.Errorf("capture: read on %s: %w", opts.Interface, err)
		}
		cl.stats.Frames++
		f, err := DecodeFrame(buf[:n])
		if err != nil {
			cl.stats.Malformed++
			continue
		}
		cl.Add(now, f, onSYN)
	}
}
