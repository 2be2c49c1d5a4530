package report

import (
	"net/netip"
	"sort"

	"github.com/scan445/scan445/scanner"
)

// Unlisted counts the results a Document does not list one by one: by default a scan lists the
// hosts that answered (port open, or an error worth reading) and only counts the addresses that
// did not — closed, filtered, unreachable — so that a report, and the memory behind it, grow
// with the responsive hosts and not with the size of the target space.
type Unlisted struct {
	// Statuses: connect status → results counted here and not in Hosts.
	Statuses map[string]int `json:"statuses"`
	// Subnets: /24 (IPv6 /64) → results counted here, for the subnets that have at least one
	// listed host (the network chart's "swept" figure); other subnets are in Statuses only.
	Subnets map[string]int `json:"subnets,omitempty"`
}

// Listed reports whether a compact report lists h one by one: it answered, or failed in a way
// someone has to read, or was cut short (a resumed scan redoes it).
func Listed(h scanner.HostResult) bool {
	return h.Status == scanner.StatusOpen || h.Status == scanner.StatusError || h.SMB != nil || h.Interrupted
}

// Total is the number of results counted.
func (u *Unlisted) Total() int {
	if u == nil {
		return 0
	}
	n := 0
	for _, c := range u.Statuses {
		n += c
	}
	return n
}

// Tally counts unlisted results while a scan runs, in memory proportional to the subnets seen
// (65 536 counters for a whole /8), never to the addresses. Not safe for concurrent use: the
// engine serialises OnResult.
type Tally struct {
	statuses map[string]int
	subnets  map[netip.Prefix]int
}

// NewTally returns an empty tally.
func NewTally() *Tally {
	return &Tally{statuses: map[string]int{}, subnets: map[netip.Prefix]int{}}
}

// Add counts one result.
func (t *Tally) Add(h scanner.HostResult) {
	t.statuses[string(h.Status)]++
	if p, ok := subnetPrefix(h.Address); ok {
		t.subnets[p]++
	}
}

// Unlisted is the tally as a Document field, its subnets pruned to those of the listed hosts.
func (t *Tally) Unlisted(listed []scanner.HostResult) *Unlisted {
	u := &Unlisted{Statuses: map[string]int{}}
	for s, n := range t.statuses {
		u.Statuses[s] = n
	}
	for _, h := range listed {
		p, ok := subnetPrefix(h.Address)
		if !ok {
			continue
		}
		if n := t.subnets[p]; n > 0 {
			if u.Subnets == nil {
				u.Subnets = map[string]int{}
			}
			u.Subnets[p.String()] = n
		}
	}
	return u
}

// merge adds o's counts to u (shards partition the space, so counts add up).
func (u *Unlisted) merge(o *Unlisted) {
	for s, n := range o.Statuses {
		u.Statuses[s] += n
	}
	for s, n := range o.Subnets {
		if u.Subnets == nil {
			u.Subnets = map[string]int{}
		}
		u.Subnets[s] += n
	}
}

// addTo folds the counts into a summary computed from the listed hosts.
func (u *Unlisted) addTo(s *Summary) {
	if u == nil {
		return
	}
	keys := make([]string, 0, len(u.Statuses))
	for k := range u.Statuses {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		s.Statuses[k] += u.Statuses[k]
		s.Scanned += u.Statuses[k]
	}
}

// subnetPrefix is the /24 (IPv6: /64) an address belongs to.
func subnetPrefix(a string) (netip.Prefix, bool) {
	p, err := netip.ParseAddr(a)
	if err != nil {
		return netip.Prefix{}, false
	}
	p = p.Unmap()
	bits := 24
	if p.Is6() {
		bits = 64
	}
	pf, err := p.Prefix(bits)
	return pf, err == nil
}
