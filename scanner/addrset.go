package scanner

import "net/netip"

// AddrSet is a set of addresses sized for sweeps: the finished addresses a resumed scan skips
// (Config.Skip), one bit each. IPv4 addresses live in one 8 KiB bitmap per /16 that has any, so
// a whole /8 done costs 2 MiB instead of the ~1 GiB a map of 16.7 million strings took; IPv6
// (only ever small explicit ranges) goes in a map. The zero value is not usable: NewAddrSet.
type AddrSet struct {
	v4    map[uint16]*[1024]uint64
	other map[netip.Addr]struct{}
	n     int
}

// NewAddrSet returns an empty set.
func NewAddrSet() *AddrSet {
	return &AddrSet{v4: map[uint16]*[1024]uint64{}, other: map[netip.Addr]struct{}{}}
}

// Add inserts a and reports whether it was new.
func (s *AddrSet) Add(a netip.Addr) bool {
	a = a.Unmap()
	if !a.Is4() {
		if _, ok := s.other[a]; ok {
			return false
		}
		s.other[a] = struct{}{}
		s.n++
		return true
	}
	b := a.As4()
	page := s.v4[uint16(b[0])<<8|uint16(b[1])]
	if page == nil {
		page = new([1024]uint64)
		s.v4[uint16(b[0])<<8|uint16(b[1])] = page
	}
	low := uint16(b[2])<<8 | uint16(b[3])
	word, bit := low/64, uint64(1)<<(low%64)
	if page[word]&bit != 0 {
		return false
	}
	page[word] |= bit
	s.n++
	return true
}

// Has reports whether a is in the set.
func (s *AddrSet) Has(a netip.Addr) bool {
	a = a.Unmap()
	if !a.Is4() {
		_, ok := s.other[a]
		return ok
	}
	b := a.As4()
	page := s.v4[uint16(b[0])<<8|uint16(b[1])]
	if page == nil {
		return false
	}
	low := uint16(b[2])<<8 | uint16(b[3])
	return page[low/64]&(uint64(1)<<(low%64)) != 0
}

// Len is the number of addresses in the set.
func (s *AddrSet) Len() int { return s.n }
