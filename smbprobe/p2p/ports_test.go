package p2p

import (
	"bufio"
	"net/netip"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

func mustTime(t testing.TB, s string) time.Time {
	t.Helper()
	tm, err := time.Parse(time.RFC3339, s)
	if err != nil {
		t.Fatal(err)
	}
	return tm
}

// The vector of docs/checks.md §4b, with the port order it states.
func TestPortsChecksVector(t *testing.T) {
	addr := netip.MustParseAddr("10.1.2.3")
	for _, tc := range []struct {
		at       string
		tcp, udp [2]uint16
	}{
		{"2026-11-27T12:00:00Z", [2]uint16{18263, 15429}, [2]uint16{13471, 11053}},
		{"2009-04-01T00:00:00Z", [2]uint16{18263, 45596}, [2]uint16{13471, 61886}},
	} {
		tcp, udp := Ports(addr, mustTime(t, tc.at))
		if tcp != tc.tcp || udp != tc.udp {
			t.Errorf("%s: got tcp %v udp %v, want tcp %v udp %v", tc.at, tcp, udp, tc.tcp, tc.udp)
		}
	}
}

func parsePair(t *testing.T, s string) []uint16 {
	t.Helper()
	var out []uint16
	for _, f := range strings.Split(s, ",") {
		n, err := strconv.ParseUint(f, 10, 16)
		if err != nil {
			t.Fatalf("bad port %q: %v", f, err)
		}
		out = append(out, uint16(n))
	}
	slices.Sort(out)
	return out
}

// Vectors computed by nmap's p2p-conficker under faketime (testdata/gen_vectors.sh). nmap prints
// each protocol's ports in Lua table order, so they are compared as sets; the address-only ports
// are then checked to be the same across dates, as the algorithm requires.
func TestPortsNmapVectors(t *testing.T) {
	f, err := os.Open("testdata/ports_vectors.txt")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	first := map[netip.Addr][2]uint16{}
	n := 0
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		fs := strings.Fields(line)
		if len(fs) != 5 {
			t.Fatalf("bad vector line %q", line)
		}
		addr := netip.MustParseAddr(fs[0])
		at := mustTime(t, fs[1])
		seed, err := strconv.ParseUint(fs[2], 10, 32)
		if err != nil {
			t.Fatal(err)
		}
		if got := Week(at); got != uint32(seed) {
			t.Errorf("Week(%s) = %d, nmap used %d", fs[1], got, seed)
		}
		tcp, udp := Ports(addr, at)
		gotTCP, gotUDP := []uint16{tcp[0], tcp[1]}, []uint16{udp[0], udp[1]}
		slices.Sort(gotTCP)
		slices.Sort(gotUDP)
		wantTCP := parsePair(t, strings.TrimPrefix(fs[3], "tcp="))
		wantUDP := parsePair(t, strings.TrimPrefix(fs[4], "udp="))
		if !slices.Equal(gotTCP, wantTCP) || !slices.Equal(gotUDP, wantUDP) {
			t.Errorf("%s at %s: got tcp %v udp %v, nmap tcp %v udp %v", addr, fs[1], tcp, udp, wantTCP, wantUDP)
		}
		if p, ok := first[addr]; ok && p != [2]uint16{tcp[0], udp[0]} {
			t.Errorf("%s: address-only ports changed with the date: %v then %v", addr, p, [2]uint16{tcp[0], udp[0]})
		}
		first[addr] = [2]uint16{tcp[0], udp[0]}
		for _, p := range append(gotTCP, gotUDP...) {
			if Blacklisted(p) {
				t.Errorf("%s: derived port %d is blacklisted", addr, p)
			}
		}
		n++
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	if n < 10 {
		t.Fatalf("only %d vectors", n)
	}
}

func TestPortsNotIPv4(t *testing.T) {
	tcp, udp := Ports(netip.MustParseAddr("2001:db8::1"), time.Now())
	if tcp != [2]uint16{} || udp != [2]uint16{} {
		t.Errorf("IPv6 gave ports %v %v", tcp, udp)
	}
	// An IPv4-mapped address is the IPv4 host.
	a, b := Ports(netip.MustParseAddr("::ffff:10.1.2.3"), mustTime(t, "2009-04-01T00:00:00Z"))
	if a != [2]uint16{18263, 45596} || b != [2]uint16{13471, 61886} {
		t.Errorf("mapped address: %v %v", a, b)
	}
}

func TestWeek(t *testing.T) {
	for _, tc := range []struct {
		at   string
		want uint32
	}{
		{"1970-01-05T00:00:00Z", 0},          // the epoch of the counter, a Monday
		{"1970-01-11T23:59:59Z", 0},          // its last second
		{"1970-01-12T00:00:00Z", 1},          // next Monday
		{"1970-01-04T23:59:59Z", 0xFFFFFFFF}, // floor, not truncation toward zero
		{"2009-04-01T00:00:00Z", 2047},       // nmap's seed (testdata)
		{"2026-11-29T23:59:59Z", 2968},       // Sunday before the turnover
		{"2026-11-30T00:00:00Z", 2969},       // Monday 00:00 UTC
		{"2026-11-30T09:00:00+09:00", 2969},  // the same instant in JST
		{"2026-11-30T08:59:59+09:00", 2968},
	} {
		if got := Week(mustTime(t, tc.at)); got != tc.want {
			t.Errorf("Week(%s) = %d, want %d", tc.at, got, tc.want)
		}
	}
	for _, w := range []uint32{0, 1, 2047, 2968, 100000} {
		s := WeekStart(w)
		if Week(s) != w || Week(s.Add(-time.Second)) != w-1 {
			t.Errorf("WeekStart(%d) = %s is not the first second of the week", w, s)
		}
	}
}

func TestBlacklisted(t *testing.T) {
	// Expected bits read by hand from the table in docs/checks.md §4b.
	for _, tc := range []struct {
		port uint16
		want bool
	}{
		{0, true}, {135, true}, {139, true}, {445, true}, {1023, true}, {2047, true}, // words 0,1
		{2048, true},   // word 2 bit 0 (0xF0F6BFBB)
		{2080, true},   // bit 1
		{2112, false},  // bit 2
		{2143, false},  // last port of bit 2's group
		{2144, true},   // bit 3
		{3072, true},   // word 3 bit 0 (0xBB5A5FF3): 3
		{3136, false},  // word 3 bit 2
		{34816, false}, // word 34 is 0
		{36864, false}, // word 36 bit 0 (0x10000008)
		{36960, true},  // word 36 bit 3
		{36992, false}, // word 36 bit 4
		{64512, false}, // word 63 bit 0 (0x80000000)
		{65471, false}, // word 63 bit 29
		{65472, false}, // word 63 bit 30
		{65503, false},
		{65504, true}, // word 63 bit 31
		{65535, true},
	} {
		if got := Blacklisted(tc.port); got != tc.want {
			t.Errorf("Blacklisted(%d) = %v, want %v", tc.port, got, tc.want)
		}
	}
	// Every derived port is unprivileged, which the responder tests rely on.
	for p := 0; p < 2048; p++ {
		if !Blacklisted(uint16(p)) {
			t.Fatalf("port %d not blacklisted", p)
		}
	}
}

func BenchmarkPorts(b *testing.B) {
	addr := netip.MustParseAddr("10.1.2.3")
	at := time.Unix(1795780800, 0)
	for b.Loop() {
		Ports(addr, at)
	}
}
