package p2p

import (
	"math/bits"
	"net/netip"
	"time"
)

const (
	// weekEpoch shifts the Unix epoch (a Thursday) to the Monday 00:00 UTC at which the worm's
	// week counter turns over.
	weekEpoch = 345600
	weekSecs  = 604800

	prngMultiplier = 0x015A4E35
)

// Week is the worm's week counter at t: floor((unix − 345600) / 604800). It turns over every
// Monday at 00:00 UTC. Times before 1970-01-05 give the two's complement of a negative week,
// as the worm's own 32-bit arithmetic would.
func Week(t time.Time) uint32 {
	s := t.Unix() - weekEpoch
	w := s / weekSecs
	if s%weekSecs < 0 {
		w-- // floor, not truncation, for the (theoretical) pre-1970 case
	}
	return uint32(w)
}

// WeekStart is the first second of week w, so that a --p2p-week override can be turned into a
// time for [Ports] and [Probe]: Week(WeekStart(w)) == w.
func WeekStart(w uint32) time.Time {
	return time.Unix(int64(w)*weekSecs+weekEpoch, 0).UTC()
}

// Ports derives the two TCP and two UDP ports an infected host with address addr listens on at
// time at. The first TCP and first UDP port depend on the address only. addr must be IPv4 (an
// IPv4-mapped IPv6 address is unmapped); any other address gives zero ports.
func Ports(addr netip.Addr, at time.Time) (tcp [2]uint16, udp [2]uint16) {
	return PortsWeek(addr, Week(at))
}

// PortsWeek is [Ports] for an explicit week counter.
func PortsWeek(addr netip.Addr, week uint32) (tcp [2]uint16, udp [2]uint16) {
	addr = addr.Unmap()
	if !addr.Is4() {
		return tcp, udp
	}
	a := addr.As4()
	// The worm reads the in_addr as a little-endian DWORD: 1.2.3.4 -> 0x04030201.
	ip := uint32(a[0]) | uint32(a[1])<<8 | uint32(a[2])<<16 | uint32(a[3])<<24

	g := portGen{v: ^ip}
	p0, p1 := g.pair()
	g.v ^= week
	p2, p3 := g.pair()
	return [2]uint16{p0, p2}, [2]uint16{p1, p3}
}

// portGen is the worm's linear congruential generator state.
type portGen struct{ v uint32 }

// pair runs rounds of ten steps, never resetting the ports between rounds, until both ports
// are usable and distinct.
func (g *portGen) pair() (uint16, uint16) {
	var port [2]uint16
	for {
		for i := 0; i < 10; i++ {
			hi, lo := bits.Mul32(g.v, prngMultiplier)
			lo, carry := bits.Add32(lo, 1, 0)
			hi += carry // cannot overflow: hi < prngMultiplier
			g.v = lo
			port[i%2] ^= uint16(hi >> i)
		}
		if port[0] != port[1] && !Blacklisted(port[0]) && !Blacklisted(port[1]) {
			return port[0], port[1]
		}
	}
}

// Blacklisted reports whether the worm never picks port. Each bit of the table covers 32
// consecutive ports; ports 0–2047 are all excluded, so derived ports are never privileged.
func Blacklisted(port uint16) bool {
	group := uint32(port) >> 5
	return blacklistWord(group>>5)&(1<<(group&31)) != 0
}

// blacklistWord returns word i (0..63) of the worm's port blacklist (docs/checks.md §4b). A function
// rather than a package variable keeps the table immutable.
func blacklistWord(i uint32) uint32 {
	return [64]uint32{
		0xFFFFFFFF, 0xFFFFFFFF, 0xF0F6BFBB, 0xBB5A5FF3, 0xF3977011, 0xEB67BFBF, 0x5F9BFAC8, 0x34D88091,
		0x1E2282DF, 0x573402C4, 0xC0000084, 0x03000209, 0x01600002, 0x00005000, 0x801000C0, 0x00500040,
		0x000000A1, 0x01000000, 0x01000000, 0x00022A20, 0x00000080, 0x04000000, 0x40020000, 0x88000000,
		0x00000180, 0x00081000, 0x08801900, 0x00800B81, 0x00000280, 0x080002C0, 0x00A80000, 0x00008000,
		0x00100040, 0x00100000, 0x00000000, 0x00000000, 0x10000008, 0x00000000, 0x00000000, 0x00000004,
		0x00000002, 0x00000000, 0x00040000, 0x00000000, 0x00000000, 0x00000000, 0x00410000, 0x82000000,
		0x00000000, 0x00000000, 0x00000001, 0x00000000, 0x00000000, 0x00000000, 0x00000000, 0x00000000,
		0x00000000, 0x00000000, 0x00000000, 0x00000000, 0x00000000, 0x00000000, 0x00000008, 0x80000000,
	}[i&63]
}
