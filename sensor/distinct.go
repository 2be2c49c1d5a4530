package sensor

import (
	"math"
	"math/bits"
	"net/netip"
)

// distinctSet counts distinct addresses in bounded memory: exactly up to exactCap, then with a
// HyperLogLog estimate (2^hllBits one-byte registers, about 1.04/sqrt(2^hllBits) relative
// error) that has seen every address from the first one. A report says which of the two a
// number is (Exact).
//
// Memory is spent only as needed: a source that contacts one address holds a one-entry map;
// the sketch is built (from the exact entries, so it has seen every address) when the cap is
// passed.
type distinctSet struct {
	exactCap int
	hllBits  int
	one      netip.Addr              // the only address, while there is one
	exact    map[netip.Addr]struct{} // from the second address until the cap was passed
	hll      *hll                    // nil until the cap was passed
}

func newDistinctSet(exactCap, hllBits int) distinctSet {
	return distinctSet{exactCap: exactCap, hllBits: hllBits}
}

// add records a; it reports whether a was new (always true once the set estimates: the
// estimate cannot tell).
func (d *distinctSet) add(a netip.Addr) bool {
	if d.hll != nil {
		d.hll.add(a)
		return true
	}
	if d.exact == nil && (!d.one.IsValid() || d.one == a) {
		isNew := !d.one.IsValid()
		d.one = a
		return isNew
	}
	if _, ok := d.exact[a]; ok {
		return false
	}
	if len(d.exact) >= d.exactCap {
		h := newHLL(d.hllBits)
		for e := range d.exact {
			h.add(e)
		}
		h.add(a)
		d.hll, d.exact = &h, nil // from here on the estimate alone
		return true
	}
	if d.exact == nil {
		d.exact = map[netip.Addr]struct{}{d.one: {}}
	}
	d.exact[a] = struct{}{}
	return true
}

// count is the number of distinct addresses added, and whether it is exact.
func (d *distinctSet) count() (int, bool) {
	switch {
	case d.hll == nil && d.exact == nil && d.one.IsValid():
		return 1, true
	case d.hll == nil:
		return len(d.exact), true
	}
	// The estimate never goes below what was counted exactly before the switch.
	return max(d.exactCap+1, d.hll.estimate()), false
}

// hll is a HyperLogLog sketch with linear counting for small cardinalities.
type hll struct {
	p   uint8
	reg []uint8
}

func newHLL(p int) hll { return hll{p: uint8(p), reg: make([]uint8, 1<<p)} }

func (h *hll) add(a netip.Addr) {
	x := addrHash(a)
	i := x >> (64 - h.p)
	w := x<<h.p | 1<<(h.p-1) // the guard bit bounds the rank
	if r := uint8(bits.LeadingZeros64(w) + 1); r > h.reg[i] {
		h.reg[i] = r
	}
}

func (h *hll) estimate() int {
	m := float64(len(h.reg))
	sum, zeros := 0.0, 0
	for _, r := range h.reg {
		sum += math.Ldexp(1, -int(r))
		if r == 0 {
			zeros++
		}
	}
	e := 0.7213 / (1 + 1.079/m) * m * m / sum
	if e <= 2.5*m && zeros > 0 {
		e = m * math.Log(m/float64(zeros))
	}
	return int(math.Round(e))
}

// addrHash is a fixed (not per-process seeded) 64-bit hash of an address, so estimates and
// the tests that check them are reproducible: FNV-1a over the 16 bytes, then the SplitMix64
// finaliser to spread FNV's weak high bits.
func addrHash(a netip.Addr) uint64 {
	b := a.As16()
	h := uint64(14695981039346656037)
	for _, c := range b {
		h ^= uint64(c)
		h *= 1099511628211
	}
	h ^= h >> 30
	h *= 0xbf58476d1ce4e5b9
	h ^= h >> 27
	h *= 0x94d049bb133111eb
	h ^= h >> 31
	return h
}
