package capture

import (
	"context"
	"net/netip"
	"sync"
	"time"

	"github.com/scan445/scan445/sensor"
)

// Opener returns the sensor.OpenCapture that `scan445 watch --interface` uses: a capture of
// the interface whose SYNs become sensor.Observations (Via sensor.ViaCaptureSYN). dark are
// the --dark prefixes, grace the time a SYN to one of them waits for an answer (0: 2 s;
// the CaptureOptions' own Grace, when set, wins), and the CaptureOptions say the interface,
// ports, promiscuous mode and receive buffer (sourceOptions).
// served are the listener's endpoints: a SYN to one of them is left to the listener, which
// observes the connection itself, so that one attempt is not counted twice (an unspecified
// address stands for every address this host holds).
//
// sensor.Observation has no field for the capture's own dark verdict (the tracker judges
// darkness by prefix alone), so the answering-address exclusion shows in the capture's counts
// (Stats.Dark) but not yet in the tracker's per-source dark numbers.
func Opener(dark []netip.Prefix, grace time.Duration, served []netip.AddrPort) sensor.OpenCapture {
	return func(o sensor.CaptureOptions) (sensor.Capture, error) {
		s := &Source{opts: sourceOptions(o, dark, grace), served: served}
		// Open the socket once here so that a missing capability fails before the run starts
		// (the command exits 2 before anything else happens), then close it: Run opens its own.
		if err := probe(s.opts); err != nil {
			return nil, err
		}
		return s, nil
	}
}

// sourceOptions are the Options of a capture opened for o. Promiscuous unless
// o.NoPromiscuous, as tcpdump by default: on a mirror port the SYNs are addressed to other
// hosts' MACs (the membership is the socket's and ends with it).
func sourceOptions(o sensor.CaptureOptions, dark []netip.Prefix, grace time.Duration) Options {
	if o.Grace > 0 {
		grace = o.Grace
	}
	return Options{Interface: o.Interface, Ports: o.Ports, Dark: dark, Grace: grace,
		Promiscuous: !o.NoPromiscuous, ReadBuffer: o.ReadBuffer}
}

// Source is a sensor.Capture over Run.
type Source struct {
	opts   Options
	served []netip.AddrPort

	mu    sync.Mutex
	stats Stats
}

// Run captures until ctx ends, calling observe for each SYN.
func (s *Source) Run(ctx context.Context, observe func(sensor.Observation)) error {
	own := localCache{}
	listened := uint64(0)
	st, err := Run(ctx, s.opts, func(y SYN) {
		if s.isServed(y, own) {
			listened++
			return
		}
		observe(sensor.Observation{Time: y.Time, Src: y.Src, Dst: y.Dst, DstPort: y.DstPort, Via: sensor.ViaCaptureSYN, Live: !y.Dark})
		s.mu.Lock()
		s.stats.Frames++ // until Run returns the real count: at least the SYNs delivered
		s.mu.Unlock()
	})
	st.Listened = listened
	s.mu.Lock()
	s.stats = st
	s.mu.Unlock()
	return err
}

// isServed says whether the listener serves y's destination.
func (s *Source) isServed(y SYN, own localCache) bool {
	for _, ep := range s.served {
		if ep.Port() != y.DstPort {
			continue
		}
		if a := ep.Addr().Unmap(); a == y.Dst || a.IsUnspecified() && own.has(y.Dst) {
			return true
		}
	}
	return false
}

// Stats reports the frames the filter passed and the kernel's drops (final once Run returned).
func (s *Source) Stats() sensor.CaptureStats {
	s.mu.Lock()
	defer s.mu.Unlock()
	return sensor.CaptureStats{Packets: s.stats.Frames, Drops: s.stats.KernelDrops}
}

// probe opens and closes the filtered socket, so that permission and interface errors
// surface at open time (ErrNeedCapNetRaw is sensor.ErrNoCapability).
func probe(o Options) error {
	ctx, cancel := context.WithCancel(context.Background())
	o.Ready = cancel
	_, err := Run(ctx, o, func(SYN) {})
	cancel()
	return err
}
