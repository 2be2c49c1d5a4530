package main

import "net/netip"

// addrSet is the set of finished addresses a resumed scan skips. IPv4 addresses live in one
// 8 KiB bitmap per /16 that has any, so a whole /8 done costs 2 MiB instead of the ~1 GiB a map
// of 16.7 million strings took; IPv6 (only ever small explicit ranges) goes in a map.
type addrSet struct {
	v4    map[uint16]*[1024]uint64
	other map[netip.Addr]struct{}
	n     int
}

func newAddrSet() *addrSet {
	return &addrSet{v4: map[uint16]*[1024]uint64{}, other: map[netip.Addr]struct{}{}}
}

// add inserts a and reports whether it was new.
func (s *addrSet) add(a netip.Addr) bool {
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

func (s *addrSet) has(a netip.Addr) bool {
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

func (s *addrSet) len() int { return s.n }
