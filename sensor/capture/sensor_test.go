package capture

import (
	"net/netip"
	"testing"
)

// TestIsServed: a SYN to an endpoint the listener serves is left to it — an exact address and
// port, or an unspecified address (every local address) with the port; anything else is the
// capture's.
func TestIsServed(t *testing.T) {
	ap := netip.MustParseAddrPort
	a := netip.MustParseAddr
	tests := []struct {
		name   string
		served []netip.AddrPort
		dst    netip.Addr
		port   uint16
		want   bool
	}{
		{"exact endpoint", []netip.AddrPort{ap("10.9.0.1:445")}, a("10.9.0.1"), 445, true},
		{"same address, other port", []netip.AddrPort{ap("10.9.0.1:445")}, a("10.9.0.1"), 139, false},
		{"other address", []netip.AddrPort{ap("10.9.0.1:445")}, a("10.9.0.2"), 445, false},
		{"wildcard, local address", []netip.AddrPort{ap("0.0.0.0:445")}, a("127.0.0.1"), 445, true},
		{"wildcard, address not held here", []netip.AddrPort{ap("0.0.0.0:445")}, a("192.0.2.1"), 445, false},
		{"IPv6 wildcard, local IPv4 address", []netip.AddrPort{ap("[::]:139")}, a("127.0.0.1"), 139, true},
		{"no listener", nil, a("127.0.0.1"), 445, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := &Source{served: tc.served}
			if got := s.isServed(SYN{Dst: tc.dst, DstPort: tc.port}, localCache{}); got != tc.want {
				t.Errorf("isServed = %v, want %v", got, tc.want)
			}
		})
	}
}
