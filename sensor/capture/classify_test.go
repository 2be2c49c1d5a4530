package capture

import (
	"fmt"
	"net/netip"
	"strings"
	"testing"
	"time"
)

// step is one event of a classifier scenario: a frame at an offset from t0, or a flush/drain.
type step struct {
	at    time.Duration
	kind  Kind // KindOther with flush/drain
	src   string
	dst   string
	seq   uint32
	drain bool
}

func syn(at time.Duration, src, dst string, seq uint32) step {
	return step{at: at, kind: KindSYN, src: src, dst: dst, seq: seq}
}
func synack(at time.Duration, src string) step {
	return step{at: at, kind: KindSYNACK, src: src, dst: "10.0.0.1"}
}
func arp(at time.Duration, src string) step {
	return step{at: at, kind: KindARPReply, src: src, dst: "10.0.0.1"}
}
func flush(at time.Duration) step { return step{at: at} }
func drain() step                 { return step{drain: true} }

func TestClassifier(t *testing.T) {
	const g = DefaultGrace
	dark := []netip.Prefix{netip.MustParsePrefix("10.9.0.0/24")}
	tests := []struct {
		name       string
		maxLive    int
		maxPending int
		steps      []step
		// want lists the emitted SYNs in order as "src>dst dark|lit", one per emission, with the
		// index of the step during which it came out ("@3").
		want  []string
		stats Stats
	}{
		{"outside the dark prefixes: at once, not dark", 0, 0,
			[]step{syn(0, "10.1.0.5", "10.2.0.9", 1)},
			[]string{"10.1.0.5>10.2.0.9 lit @0"}, Stats{SYNs: 1}},
		{"dark address: held for the grace time, then dark", 0, 0,
			[]step{syn(0, "10.1.0.5", "10.9.0.9", 1), flush(g - time.Millisecond), flush(g)},
			[]string{"10.1.0.5>10.9.0.9 dark @2"}, Stats{SYNs: 1, Dark: 1}},
		{"answered within the grace time: not dark, and later SYNs pass at once", 0, 0,
			[]step{syn(0, "10.1.0.5", "10.9.0.9", 1), synack(10*time.Millisecond, "10.9.0.9"), flush(g), syn(g+1, "10.1.0.6", "10.9.0.9", 2)},
			[]string{"10.1.0.5>10.9.0.9 lit @2", "10.1.0.6>10.9.0.9 lit @3"}, Stats{SYNs: 2, Answers: 1}},
		{"an ARP reply makes an address live", 0, 0,
			[]step{arp(0, "10.9.0.4"), syn(1, "10.1.0.5", "10.9.0.4", 1)},
			[]string{"10.1.0.5>10.9.0.4 lit @1"}, Stats{SYNs: 1, Answers: 1}},
		{"an answer from outside the prefixes is not remembered", 0, 0,
			[]step{synack(0, "10.2.0.4"), syn(1, "10.1.0.5", "10.2.0.4", 1)},
			[]string{"10.1.0.5>10.2.0.4 lit @1"}, Stats{SYNs: 1, Answers: 1}},
		{"a retransmission is one attempt; after 30 s or with a new ISN it is another", 0, 0,
			[]step{syn(0, "10.1.0.5", "10.2.0.9", 7), syn(time.Second, "10.1.0.5", "10.2.0.9", 7), syn(3*time.Second, "10.1.0.5", "10.2.0.9", 8), syn(31*time.Second, "10.1.0.5", "10.2.0.9", 7)},
			[]string{"10.1.0.5>10.2.0.9 lit @0", "10.1.0.5>10.2.0.9 lit @2", "10.1.0.5>10.2.0.9 lit @3"}, Stats{SYNs: 3, Retransmits: 1}},
		{"drain settles what is held, as dark", 0, 0,
			[]step{syn(0, "10.1.0.5", "10.9.0.9", 1), syn(1, "10.1.0.5", "10.9.0.10", 2), drain()},
			[]string{"10.1.0.5>10.9.0.9 dark @2", "10.1.0.5>10.9.0.10 dark @2"}, Stats{SYNs: 2, Dark: 2}},
		{"the pending queue is bounded: the oldest is decided early", 0, 2,
			[]step{syn(0, "10.1.0.5", "10.9.0.1", 1), syn(1, "10.1.0.5", "10.9.0.2", 2), syn(2, "10.1.0.5", "10.9.0.3", 3)},
			[]string{"10.1.0.5>10.9.0.1 dark @2"}, Stats{SYNs: 1, Dark: 1}},
		{"the live set is bounded: past it, answering addresses stay dark", 1, 0,
			[]step{arp(0, "10.9.0.4"), arp(1, "10.9.0.5"), syn(2, "10.1.0.5", "10.9.0.5", 1), drain()},
			[]string{"10.1.0.5>10.9.0.5 dark @3"}, Stats{SYNs: 1, Dark: 1, Answers: 2, LiveFull: 1}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t0 := time.Date(2026, 12, 3, 12, 0, 0, 0, time.UTC)
			c := NewClassifier(dark, g, tc.maxLive, tc.maxPending)
			var got []string
			for i, s := range tc.steps {
				emit := func(y SYN) {
					word := "lit"
					if y.Dark {
						word = "dark"
					}
					got = append(got, fmt.Sprintf("%s>%s %s @%d", y.Src, y.Dst, word, i))
				}
				switch {
				case s.drain:
					c.Drain(emit)
				case s.kind == KindOther:
					c.Flush(t0.Add(s.at), emit)
				default:
					c.Add(t0.Add(s.at), Frame{Kind: s.kind, Src: netip.MustParseAddr(s.src), Dst: netip.MustParseAddr(s.dst), SrcPort: 1027, DstPort: 445, Seq: s.seq}, emit)
				}
			}
			if strings.Join(got, "\n") != strings.Join(tc.want, "\n") {
				t.Errorf("emitted:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(tc.want, "\n"))
			}
			if c.Stats() != tc.stats {
				t.Errorf("stats %+v, want %+v", c.Stats(), tc.stats)
			}
		})
	}
}
