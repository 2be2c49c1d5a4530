package capture

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"
	"syscall"
	"time"

	"github.com/mdlayher/packet"
	"golang.org/x/sys/unix"

	"github.com/scan445/scan445/sensor"
)

// readFrame reads one frame through the raw socket, so that recvfrom's link-layer address
// says whether the frame was sent by this host (PACKET_OUTGOING), which packet.Conn.ReadFrom
// does not pass on. The socket's read deadline applies.
func readFrame(rc syscall.RawConn, buf []byte) (n int, outgoing bool, err error) {
	var rerr error
	err = rc.Read(func(fd uintptr) bool {
		var from unix.Sockaddr
		n, from, rerr = unix.Recvfrom(int(fd), buf, unix.MSG_DONTWAIT)
		if rerr == unix.EAGAIN || rerr == unix.EINTR {
			return false // wait for the poller
		}
		if ll, ok := from.(*unix.SockaddrLinklayer); ok {
			outgoing = ll.Pkttype == unix.PACKET_OUTGOING
		}
		return true
	})
	if err == nil {
		err = rerr
	}
	return n, outgoing, err
}

// ErrNeedCapNetRaw means the AF_PACKET socket was refused for want of CAP_NET_RAW. It is
// sensor.ErrNoCapability, so `scan445 watch` tells it apart without knowing this package.
var ErrNeedCapNetRaw = sensor.ErrNoCapability

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
	// ReadBuffer is the socket's receive buffer in bytes (default 8 MiB): the frames that
	// queue while the reader is off the CPU. A small one drops SYNs in bursts (counted in
	// Stats.KernelDrops).
	ReadBuffer int
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
	rc, err := conn.SyscallConn()
	if err != nil {
		return Stats{}, fmt.Errorf("capture: %w", err)
	}
	setReadBuffer(rc, opts.ReadBuffer)
	cl := NewClassifier(opts.Dark, opts.Grace, opts.MaxLive, opts.MaxPending)
	buf := make([]byte, 2048)
	own := localCache{}
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
		n, outgoing, err := readFrame(rc, buf)
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
		if outgoing && f.Kind != KindSYN && own.has(f.Src) {
			// This host's own answers (the listening sensor's SYN-ACKs) do not make an
			// address live: the addresses the sensor answers on are dark ones too. Answers
			// it forwards as a router are outgoing too, but from addresses it does not hold.
			continue
		}
		cl.Add(now, f, onSYN)
	}
}

// localCache remembers which addresses this host holds (in its network namespace).
type localCache map[netip.Addr]bool

// has says whether a is local: a UDP socket binds to it only then (a `local` route counts,
// as it should). Looked up only for outgoing answers, and bounded.
func (c localCache) has(a netip.Addr) bool {
	if v, ok := c[a]; ok {
		return v
	}
	if len(c) >= 4096 {
		clear(c)
	}
	local := false
	if fd, err := unix.Socket(unix.AF_INET, unix.SOCK_DGRAM|unix.SOCK_CLOEXEC, 0); err == nil {
		local = unix.Bind(fd, &unix.SockaddrInet4{Addr: a.As4()}) == nil
		unix.Close(fd)
	}
	c[a] = local
	return local
}

// DefaultReadBuffer is the capture socket's receive buffer when Options.ReadBuffer is 0:
// about 10 000 small frames, a second of a heavy scan burst.
const DefaultReadBuffer = 8 << 20

// setReadBuffer asks for n bytes of receive buffer: SO_RCVBUFFORCE (past net.core.rmem_max,
// needs CAP_NET_ADMIN), else SO_RCVBUF (capped at rmem_max). Failing both keeps the default.
func setReadBuffer(rc syscall.RawConn, n int) {
	n = readBufferSize(n)
	rc.Control(func(fd uintptr) {
		if unix.SetsockoptInt(int(fd), unix.SOL_SOCKET, unix.SO_RCVBUFFORCE, n) != nil {
			unix.SetsockoptInt(int(fd), unix.SOL_SOCKET, unix.SO_RCVBUF, n)
		}
	})
}

// readBufferSize is the receive buffer asked for when Options.ReadBuffer is n.
func readBufferSize(n int) int {
	if n <= 0 {
		return DefaultReadBuffer
	}
	return n
}
