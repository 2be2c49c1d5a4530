package scanner

import (
	"net/netip"
	"testing"
)

func TestAddrSet(t *testing.T) {
	s := NewAddrSet()
	steps := []struct {
		addr    string
		new     bool
		wantLen int
	}{
		{"10.0.0.1", true, 1},
		{"10.0.0.1", false, 1},
		{"::ffff:10.0.0.1", false, 1}, // mapped IPv4 is the same address
		{"10.0.0.2", true, 2},
		{"10.0.255.255", true, 3}, // last bit of a /16 page
		{"10.1.0.0", true, 4},     // next page
		{"2001:db8::1", true, 5},  // IPv6 goes in the map
		{"2001:db8::1", false, 5},
	}
	for _, st := range steps {
		a := netip.MustParseAddr(st.addr)
		if got := s.Add(a); got != st.new || s.Len() != st.wantLen || !s.Has(a) {
			t.Fatalf("Add(%s) = %v, len %d, has %v; want %v, %d, true", st.addr, got, s.Len(), s.Has(a), st.new, st.wantLen)
		}
	}
	for _, a := range []string{"10.0.0.3", "10.0.254.255", "10.2.0.1", "2001:db8::2"} {
		if s.Has(netip.MustParseAddr(a)) {
			t.Errorf("Has(%s) without Add", a)
		}
	}
}
