package capture

import (
	"net/netip"
	"time"
)

// SYN is one TCP connection attempt seen on the wire.
type SYN struct {
	Time             time.Time
	Src, Dst         netip.Addr
	SrcPort, DstPort uint16
	VLAN             uint16
	// Dark: Dst lies in a dark prefix and had not been seen answering within the grace time.
	Dark bool
}

// Defaults of the classifier's bounds.
const (
	DefaultGrace      = 2 * time.Second
	DefaultMaxLive    = 1 << 20
	DefaultMaxPending = 1 << 16
	// retransmitWindow: a SYN with the same addresses, ports and sequence number within this
	// time is a retransmission (Linux retries a SYN at 1, 3, 7, 15 s; Windows XP at 3 and 9 s).
	retransmitWindow = 30 * time.Second
	maxRecent        = 1 << 16
)

type synKey struct {
	src, dst         netip.Addr
	srcPort, dstPort uint16
	seq              uint32
}

// Classifier turns decoded frames into SYNs: it remembers which addresses answered,
// collapses retransmissions, and holds SYNs to possibly-dark addresses for the grace time.
// It is not safe for concurrent use; Run owns one.
type Classifier struct {
	dark       []netip.Prefix
	grace      time.Duration
	maxLive    int
	maxPending int

	live     map[netip.Addr]struct{}
	pending  []SYN // in arrival order, so the oldest is first
	recent   map[synKey]time.Time
	lastTrim time.Time
	stats    Stats
}

// Stats counts what a capture saw.
type Stats struct {
	Frames      uint64 // frames the kernel filter let through
	Malformed   uint64 // frames a decoder refused
	SYNs        uint64 // connection attempts reported (retransmissions not counted)
	Dark        uint64 // of which to dark addresses
	Retransmits uint64 // SYNs dropped as retransmissions (or as the second copy on lo)
	Answers     uint64 // SYN-ACKs and ARP replies seen
	LiveFull    uint64 // answering addresses not remembered because MaxLive was reached
	KernelDrops uint64 // frames the socket's ring dropped (PACKET_STATISTICS)
	Listened    uint64 // SYNs left to the listener (Opener's served endpoints)
}

// NewClassifier returns a classifier for the dark prefixes; zero bounds take the defaults.
func NewClassifier(dark []netip.Prefix, grace time.Duration, maxLive, maxPending int) *Classifier {
	if grace <= 0 {
		grace = DefaultGrace
	}
	if maxLive <= 0 {
		maxLive = DefaultMaxLive
	}
	if maxPending <= 0 {
		maxPending = DefaultMaxPending
	}
	ps := make([]netip.Prefix, 0, len(dark))
	for _, p := range dark {
		ps = append(ps, p.Masked())
	}
	return &Classifier{dark: ps, grace: grace, maxLive: maxLive, maxPending: maxPending,
		live: map[netip.Addr]struct{}{}, recent: map[synKey]time.Time{}}
}

// Stats returns the counts so far.
func (c *Classifier) Stats() Stats { return c.stats }

// inDark says whether a lies in a dark prefix.
func (c *Classifier) inDark(a netip.Addr) bool {
	for _, p := range c.dark {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

// isDark says whether a is dark now: in a prefix and never seen answering.
func (c *Classifier) isDark(a netip.Addr) bool {
	if !c.inDark(a) {
		return false
	}
	_, live := c.live[a]
	return !live
}

// Add takes one decoded frame seen at now and emits the SYNs it settles: this one, at once,
// when its destination is known not to be dark; pending ones whose grace time is over.
func (c *Classifier) Add(now time.Time, f Frame, emit func(SYN)) {
	switch f.Kind {
	case KindSYNACK, KindARPReply:
		c.stats.Answers++
		if c.inDark(f.Src) {
			if _, ok := c.live[f.Src]; !ok {
				if len(c.live) < c.maxLive {
					c.live[f.Src] = struct{}{}
				} else {
					c.stats.LiveFull++
				}
			}
		}
	case KindSYN:
		k := synKey{f.Src, f.Dst, f.SrcPort, f.DstPort, f.Seq}
		if t, ok := c.recent[k]; ok && now.Sub(t) < retransmitWindow {
			c.stats.Retransmits++
			break
		}
		c.remember(now, k)
		s := SYN{Time: now, Src: f.Src, Dst: f.Dst, SrcPort: f.SrcPort, DstPort: f.DstPort, VLAN: f.VLAN}
		if !c.isDark(f.Dst) {
			c.release(s, emit)
			break
		}
		if len(c.pending) >= c.maxPending {
			c.release(c.pending[0], emit) // decided early rather than held without bound
			c.pending = c.pending[1:]
		}
		c.pending = append(c.pending, s)
	}
	c.Flush(now, emit)
}

// remember records a SYN for retransmission matching, trimming the table when it is full.
func (c *Classifier) remember(now time.Time, k synKey) {
	if len(c.recent) >= maxRecent || now.Sub(c.lastTrim) > retransmitWindow {
		for key, t := range c.recent {
			if now.Sub(t) >= retransmitWindow {
				delete(c.recent, key)
			}
		}
		c.lastTrim = now
		if len(c.recent) >= maxRecent {
			// A flood of distinct SYNs: forget them all rather than grow; the worst case is a
			// retransmission counted twice.
			clear(c.recent)
		}
	}
	c.recent[k] = now
}

// Flush emits the pending SYNs whose grace time is over at now.
func (c *Classifier) Flush(now time.Time, emit func(SYN)) {
	i := 0
	for ; i < len(c.pending) && now.Sub(c.pending[i].Time) >= c.grace; i++ {
		c.release(c.pending[i], emit)
	}
	c.pending = c.pending[i:]
	if len(c.pending) == 0 {
		c.pending = nil // let the backing array go after a burst
	}
}

// Drain emits every pending SYN, grace time over or not: the capture is ending and no answer
// can come any more.
func (c *Classifier) Drain(emit func(SYN)) {
	for _, s := range c.pending {
		c.release(s, emit)
	}
	c.pending = nil
}

func (c *Classifier) release(s SYN, emit func(SYN)) {
	s.Dark = c.isDark(s.Dst)
	c.stats.SYNs++
	if s.Dark {
		c.stats.Dark++
	}
	emit(s)
}
