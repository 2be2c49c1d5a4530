package scanner

import "math/bits"

// feistelRounds is the number of Feistel rounds. Four rounds already give a pseudo-random
// permutation for a good round function; six leave margin for our cheap, non-cryptographic mixer.
// Scan order only has to look random to the network, not resist an adversary.
const feistelRounds = 6

// Permutation is a seeded bijection on [0, n), computed on demand in O(1) memory, so the scan order
// of a /8 is random without a 16M-entry shuffle table. It is a balanced Feistel network on the
// smallest even-bit power of two >= n, with cycle walking to stay inside [0, n) (the construction
// masscan's blackrock uses). The zero value is the empty permutation.
type Permutation struct {
	n    uint64
	half uint   // bits in each Feistel half
	mask uint64 // (1<<half)-1
	keys [feistelRounds]uint64
}

// NewPermutation returns the permutation of [0, n) selected by seed. Equal (n, seed) give equal
// permutations on every machine, which is what lets shards split one sweep without talking.
func NewPermutation(n, seed uint64) Permutation {
	p := Permutation{n: n}
	if n <= 1 {
		return p
	}
	width := uint(bits.Len64(n - 1)) // bits needed for the largest index
	p.half = (width + 1) / 2
	p.mask = 1<<p.half - 1
	s := seed
	for i := range p.keys {
		s += 0x9e3779b97f4a7c15 // splitmix64 stream: consecutive keys are unrelated
		p.keys[i] = mix64(s)
	}
	return p
}

// Len is n.
func (p Permutation) Len() uint64 { return p.n }

// At returns the image of i. For i >= n it returns i unchanged: cycle walking from outside [0, n)
// might never come back into it.
func (p Permutation) At(i uint64) uint64 {
	if i >= p.n || p.n == 1 {
		return i
	}
	// The domain is < 4n, so on average fewer than four rounds of walking are needed; the walk
	// ends because i's cycle under the bijection on the domain passes through i itself.
	x := p.encrypt(i)
	for x >= p.n {
		x = p.encrypt(x)
	}
	return x
}

// Inverse returns j with At(j) == i, for i < n; for i >= n it returns i.
func (p Permutation) Inverse(i uint64) uint64 {
	if i >= p.n || p.n == 1 {
		return i
	}
	x := p.decrypt(i)
	for x >= p.n {
		x = p.decrypt(x)
	}
	return x
}

func (p Permutation) encrypt(x uint64) uint64 {
	l, r := x>>p.half, x&p.mask
	for _, k := range p.keys {
		l, r = r, l^(mix64(r+k)&p.mask)
	}
	return l<<p.half | r
}

func (p Permutation) decrypt(x uint64) uint64 {
	l, r := x>>p.half, x&p.mask
	for i := len(p.keys) - 1; i >= 0; i-- {
		l, r = r^(mix64(l+p.keys[i])&p.mask), l
	}
	return l<<p.half | r
}

// mix64 is the splitmix64 / murmur3 finaliser: every input bit affects every output bit.
func mix64(z uint64) uint64 {
	z = (z ^ z>>30) * 0xbf58476d1ce4e5b9
	z = (z ^ z>>27) * 0x94d049bb133111eb
	return z ^ z>>31
}
