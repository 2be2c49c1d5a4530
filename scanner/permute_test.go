package scanner

import (
	"slices"
	"testing"
)

func TestPermutationBijectionFull(t *testing.T) {
	ns := []uint64{1, 2, 3, 4, 5, 255, 256, 257, 65521 /* prime */, 65536, 1<<20 + 7, 1000003 /* prime */}
	if !testing.Short() {
		ns = append(ns, 1<<24)
	}
	for _, n := range ns {
		seeds := []uint64{0, 1, 0xdeadbeefcafef00d}
		if n > 1<<20 {
			seeds = seeds[2:] // one seed is enough to prove the big space; keeps -race quick
		}
		for _, seed := range seeds {
			p := NewPermutation(n, seed)
			if p.Len() != n {
				t.Fatalf("Len %d, want %d", p.Len(), n)
			}
			seen := make([]uint64, (n+63)/64)
			for i := range n {
				x := p.At(i)
				if x >= n {
					t.Fatalf("n=%d seed=%x: At(%d) = %d out of range", n, seed, i, x)
				}
				if seen[x/64]&(1<<(x%64)) != 0 {
					t.Fatalf("n=%d seed=%x: At(%d) = %d twice", n, seed, i, x)
				}
				seen[x/64] |= 1 << (x % 64)
				if n <= 1<<20 {
					if j := p.Inverse(x); j != i {
						t.Fatalf("n=%d seed=%x: Inverse(At(%d)) = %d", n, seed, i, j)
					}
				}
			}
		}
	}
}

// TestPermutationBijectionSampled covers spaces too large to enumerate: Inverse(At(i)) == i on a
// sample proves At is injective there, and every image must stay below n.
func TestPermutationBijectionSampled(t *testing.T) {
	for _, n := range []uint64{1 << 24, 1<<32 - 2, 1<<32 + 15, 1<<33 + 1, 1<<63 + 3, ^uint64(0)} {
		p := NewPermutation(n, 7)
		inputs := map[uint64]bool{0: true, 1: true, n / 2: true, n - 2: true, n - 1: true}
		s := uint64(12345)
		for range 20000 {
			s = mix64(s)
			inputs[s%n] = true
		}
		images := make(map[uint64]bool)
		for i := range inputs {
			x := p.At(i)
			if x >= n {
				t.Fatalf("n=%d: At(%d) = %d out of range", n, i, x)
			}
			if j := p.Inverse(x); j != i {
				t.Fatalf("n=%d: Inverse(At(%d)) = %d", n, i, j)
			}
			images[x] = true
		}
		if len(images) != len(inputs) {
			t.Fatalf("n=%d: %d distinct inputs gave %d distinct images", n, len(inputs), len(images))
		}
	}
}

func TestPermutationOutOfRange(t *testing.T) {
	for _, n := range []uint64{0, 1, 10} {
		p := NewPermutation(n, 3)
		for _, i := range []uint64{n, n + 1, ^uint64(0)} {
			if p.At(i) != i || p.Inverse(i) != i {
				t.Fatalf("n=%d: At/Inverse(%d) moved an index outside [0,n)", n, i)
			}
		}
	}
	var zero Permutation
	if zero.Len() != 0 || zero.At(0) != 0 {
		t.Fatal("zero Permutation is not empty")
	}
}

func permOrder(n, seed uint64) []uint64 {
	p := NewPermutation(n, seed)
	out := make([]uint64, n)
	for i := range n {
		out[i] = p.At(i)
	}
	return out
}

func TestPermutationSeeds(t *testing.T) {
	for _, n := range []uint64{10, 256, 1000, 65537} {
		a, again, b := permOrder(n, 1), permOrder(n, 1), permOrder(n, 2)
		if !slices.Equal(a, again) {
			t.Fatalf("n=%d: same seed, different order", n)
		}
		if slices.Equal(a, b) {
			t.Fatalf("n=%d: seeds 1 and 2 give the same order", n)
		}
		fixed := 0
		for i, x := range a {
			if uint64(i) == x {
				fixed++
			}
		}
		if fixed > int(n)/4+2 {
			t.Fatalf("n=%d: %d fixed points; not shuffled", n, fixed)
		}
	}
}

// TestPermutationGolden pins the order: shards of one sweep may run different builds, and a
// silent change of the permutation would make them overlap and leave gaps.
func TestPermutationGolden(t *testing.T) {
	tests := []struct {
		n, seed uint64
		want    []uint64
	}{
		{n: 10, seed: 1, want: []uint64{2, 4, 6, 0, 7, 3, 8, 1, 9, 5}},
		{n: 1 << 24, seed: 0x5ca9445, want: []uint64{0x7817d0, 0xaae211, 0xdc16cc, 0x6240d5, 0x888c29, 0x8ca0d0, 0x3edbc1, 0xf2804c}},
	}
	for _, tc := range tests {
		p := NewPermutation(tc.n, tc.seed)
		got := make([]uint64, len(tc.want))
		for i := range got {
			got[i] = p.At(uint64(i))
		}
		if !slices.Equal(got, tc.want) {
			t.Errorf("n=%d seed=%#x: got %v, want %v", tc.n, tc.seed, got, tc.want)
		}
	}
}
