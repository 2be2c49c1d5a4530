package scanner

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// tgtFakeResolver answers from a table; unknown names fail like a real NXDOMAIN. No DNS in tests.
type tgtFakeResolver map[string][]string

func (f tgtFakeResolver) LookupNetIP(ctx context.Context, network, host string) ([]netip.Addr, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	txt, ok := f[strings.ToLower(strings.TrimSuffix(host, "."))]
	if !ok {
		return nil, &net.DNSError{Err: "no such host", Name: host, IsNotFound: true}
	}
	out := make([]netip.Addr, 0, len(txt))
	for _, s := range txt {
		out = append(out, netip.MustParseAddr(s))
	}
	return out, nil
}

func tgtResolver() tgtFakeResolver {
	return tgtFakeResolver{
		"fileserver": {"10.1.1.1", "10.1.1.2", "fd00::5"},
		"mapped":     {"::ffff:10.2.2.2"},
		"v6only":     {"fd00::7"},
		"publicname": {"10.0.0.1", "1.2.3.4"},
		"empty":      {},
	}
}

func tgtCollect(ts *TargetSet) []netip.Addr {
	var out []netip.Addr
	for a := range ts.All() {
		out = append(out, a)
	}
	return out
}

func tgtAddrs(ss ...string) []netip.Addr {
	out := make([]netip.Addr, len(ss))
	for i, s := range ss {
		out[i] = netip.MustParseAddr(s)
	}
	return out
}

func TestParseTargetsForms(t *testing.T) {
	tests := []struct {
		name  string
		specs []string
		opt   TargetOptions
		want  []string // whole sequential order, when small
		n     uint64   // count, when want is nil
		has   []string
		hasNo []string
	}{
		{name: "single", specs: []string{"10.0.0.1"}, want: []string{"10.0.0.1"}},
		{name: "cidr skips network and broadcast", specs: []string{"10.0.0.0/30"}, want: []string{"10.0.0.1", "10.0.0.2"}},
		{name: "cidr keep network and broadcast", specs: []string{"10.0.0.0/30"}, opt: TargetOptions{KeepNetworkBroadcast: true},
			want: []string{"10.0.0.0", "10.0.0.1", "10.0.0.2", "10.0.0.3"}},
		{name: "slash31 has no edges", specs: []string{"10.0.0.0/31"}, want: []string{"10.0.0.0", "10.0.0.1"}},
		{name: "slash32", specs: []string{"10.0.0.9/32"}, want: []string{"10.0.0.9"}},
		{name: "host bits masked", specs: []string{"10.0.0.5/30"}, want: []string{"10.0.0.5", "10.0.0.6"}},
		{name: "slash8 streamed", specs: []string{"10.0.0.0/8"}, n: 1<<24 - 2, has: []string{"10.0.0.1", "10.255.255.254"}, hasNo: []string{"10.0.0.0", "10.255.255.255", "11.0.0.0"}},
		{name: "dash last octet", specs: []string{"10.0.0.1-4"}, want: []string{"10.0.0.1", "10.0.0.2", "10.0.0.3", "10.0.0.4"}},
		{name: "dash full", specs: []string{"10.0.0.254-10.0.1.1"}, want: []string{"10.0.0.254", "10.0.0.255", "10.0.1.0", "10.0.1.1"}},
		{name: "dash full wide", specs: []string{"10.0.0.1-10.0.3.255"}, n: 3*256 + 255},
		{name: "octet ranges", specs: []string{"10.0.1-3.1-2"},
			want: []string{"10.0.1.1", "10.0.1.2", "10.0.2.1", "10.0.2.2", "10.0.3.1", "10.0.3.2"}},
		{name: "octet wildcard keeps edges", specs: []string{"10.0.0.*"}, n: 256, has: []string{"10.0.0.0", "10.0.0.255"}},
		{name: "octet full tail merges", specs: []string{"10.1-2.*.*"}, n: 2 * 65536, has: []string{"10.1.0.0", "10.2.255.255"}, hasNo: []string{"10.3.0.0"}},
		{name: "name keeps every address", specs: []string{"fileserver"}, want: []string{"10.1.1.1", "10.1.1.2", "fd00::5"}},
		{name: "name trailing dot", specs: []string{"FileServer."}, want: []string{"10.1.1.1", "10.1.1.2", "fd00::5"}},
		{name: "name mapped address unmapped", specs: []string{"mapped"}, want: []string{"10.2.2.2"}},
		{name: "name with prefix", specs: []string{"fileserver/30"}, want: []string{"10.1.1.1", "10.1.1.2"}},
		{name: "name with v6 prefix", specs: []string{"fileserver/126"}, want: []string{"fd00::4", "fd00::5", "fd00::6", "fd00::7"}},
		{name: "ipv6 literal", specs: []string{"fd00::1"}, want: []string{"fd00::1"}},
		{name: "ipv6 zone", specs: []string{"fe80::1%eth0", "fe80::1%eth1", "fe80::1"}, want: []string{"fe80::1", "fe80::1%eth0", "fe80::1%eth1"}},
		{name: "ipv6 prefix no edge skip", specs: []string{"fd00::/126"}, want: []string{"fd00::", "fd00::1", "fd00::2", "fd00::3"}},
		{name: "ipv6 slash120", specs: []string{"fd00::100/120"}, n: 256, has: []string{"fd00::100", "fd00::1ff"}},
		{name: "ipv6 range", specs: []string{"fd00::1-fd00::3"}, want: []string{"fd00::1", "fd00::2", "fd00::3"}},
		{name: "ipv6 loopback", specs: []string{"::1"}, want: []string{"::1"}},
		{name: "4in6 literal", specs: []string{"::ffff:10.0.0.1"}, want: []string{"10.0.0.1"}},
		{name: "4in6 prefix", specs: []string{"::ffff:10.0.0.0/126"}, want: []string{"10.0.0.1", "10.0.0.2"}},
		{name: "allowed classes", specs: []string{"172.16.0.1", "172.31.255.255", "192.168.1.1", "100.64.0.1", "100.127.255.255", "127.0.0.1", "169.254.1.1", "fc00::1", "fdff::1", "fe80::1", "febf::1"},
			n: 11},
		{name: "public with flag", specs: []string{"8.8.8.8", "2001:db8::1"}, opt: TargetOptions{AllowPublic: true}, want: []string{"8.8.8.8", "2001:db8::1"}},
		{name: "whole internet with flag", specs: []string{"0.0.0.0/0"}, opt: TargetOptions{AllowPublic: true}, n: 1<<32 - 2},
		{name: "overlap dedupe", specs: []string{"10.0.0.0/24", "10.0.0.5", "10.0.0.0-10"}, n: 254,
			hasNo: []string{"10.0.0.0", "10.0.0.255"}},
		{name: "nested cidr edges stay hosts", specs: []string{"10.0.0.0/23", "10.0.0.0/24"}, n: 510,
			has: []string{"10.0.0.255", "10.0.1.0"}, hasNo: []string{"10.0.0.0", "10.0.1.255"}},
		{name: "adjacent ranges merge", specs: []string{"10.0.0.1-2", "10.0.0.3-4", "10.0.0.2"}, want: []string{"10.0.0.1", "10.0.0.2", "10.0.0.3", "10.0.0.4"}},
		{name: "excludes", specs: []string{"10.0.0.0/24"}, opt: TargetOptions{Excludes: []string{"10.0.0.0/25", "10.0.0.200", "10.0.0.250-10.0.1.5"}},
			n: 127 - 1 - 5, has: []string{"10.0.0.128", "10.0.0.199", "10.0.0.201", "10.0.0.249"}, hasNo: []string{"10.0.0.1", "10.0.0.200", "10.0.0.250"}},
		// Excludes apply before the safety rail: an excluded public address is never touched.
		{name: "excluded public target needs no flag", specs: []string{"10.0.0.1", "8.8.8.8"}, opt: TargetOptions{Excludes: []string{"8.8.8.8"}},
			want: []string{"10.0.0.1"}},
		{name: "public range wholly excluded", specs: []string{"10.0.0.1", "8.8.8.0-8.8.8.9", "9.255.255.255-10.0.0.0"}, opt: TargetOptions{Excludes: []string{"8.8.8.0/28", "9.0.0.0/8"}},
			want: []string{"10.0.0.0", "10.0.0.1"}},
		{name: "exclude name and public exclude", specs: []string{"10.1.1.0/30", "10.1.1.9"}, opt: TargetOptions{Excludes: []string{"fileserver", "8.8.8.8"}},
			want: []string{"10.1.1.9"}},
		{name: "exclude zone only", specs: []string{"fe80::1%eth0", "fe80::1%eth1"}, opt: TargetOptions{Excludes: []string{"fe80::1%eth1"}}, want: []string{"fe80::1%eth0"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			opt := tc.opt
			opt.Resolver = tgtResolver()
			ts, err := ParseTargets(context.Background(), tc.specs, opt)
			if err != nil {
				t.Fatal(err)
			}
			if tc.want != nil {
				got := tgtCollect(ts)
				if !slices.Equal(got, tgtAddrs(tc.want...)) {
					t.Fatalf("got %v, want %v", got, tc.want)
				}
				tc.n = uint64(len(tc.want))
			}
			if ts.Total() != tc.n || ts.Len() != tc.n {
				t.Fatalf("Total %d Len %d, want %d", ts.Total(), ts.Len(), tc.n)
			}
			for _, s := range tc.has {
				if !ts.Contains(netip.MustParseAddr(s)) {
					t.Errorf("missing %s", s)
				}
			}
			for _, s := range tc.hasNo {
				if ts.Contains(netip.MustParseAddr(s)) {
					t.Errorf("unexpected %s", s)
				}
			}
			if tc.n <= 1<<16 {
				// Small sets: Contains agrees with iteration both ways, and the sequential
				// order is strictly ascending.
				got := tgtCollect(ts)
				if uint64(len(got)) != tc.n {
					t.Fatalf("iterated %d, want %d", len(got), tc.n)
				}
				for i, a := range got {
					if !ts.Contains(a) {
						t.Errorf("Contains(%s) false for an iterated address", a)
					}
					if i > 0 && got[i-1].Compare(a) >= 0 && got[i-1].Zone() == a.Zone() {
						t.Errorf("order: %s before %s", got[i-1], a)
					}
				}
			}
		})
	}
}

func TestParseTargetsErrors(t *testing.T) {
	tests := []struct {
		name     string
		specs    []string
		opt      TargetOptions
		is       error
		contains []string
	}{
		{name: "prefix too long", specs: []string{"10.0.0.0/33"}, is: ErrBadSpec, contains: []string{`"10.0.0.0/33"`, "32"}},
		{name: "octet too big", specs: []string{"10.0.0.300"}, is: ErrBadSpec, contains: []string{`"10.0.0.300"`}},
		{name: "reversed range", specs: []string{"10.0.0.5-3"}, is: ErrBadSpec, contains: []string{`"10.0.0.5-3"`, "before"}},
		{name: "reversed full range", specs: []string{"10.0.0.5-10.0.0.3"}, is: ErrBadSpec, contains: []string{`"10.0.0.5-10.0.0.3"`}},
		{name: "empty", specs: []string{"10.0.0.1", ""}, is: ErrBadSpec, contains: []string{`target ""`}},
		{name: "blank inside", specs: []string{"10.0.0.1 10.0.0.2"}, is: ErrBadSpec, contains: []string{`"10.0.0.1 10.0.0.2"`}},
		{name: "unresolvable", specs: []string{"10.0.0.1", "nosuchhost"}, is: ErrResolve, contains: []string{`"nosuchhost"`}},
		{name: "resolves to nothing", specs: []string{"empty"}, is: ErrResolve, contains: []string{`"empty"`}},
		{name: "unresolvable exclude", specs: []string{"10.0.0.1"}, opt: TargetOptions{Excludes: []string{"nosuchhost"}}, is: ErrResolve, contains: []string{`exclude "nosuchhost"`}},
		{name: "bad exclude", specs: []string{"10.0.0.1"}, opt: TargetOptions{Excludes: []string{"10.0.0.999"}}, is: ErrBadSpec, contains: []string{`exclude "10.0.0.999"`}},
		{name: "public", specs: []string{"8.8.8.8"}, is: ErrNotAllowed, contains: []string{`"8.8.8.8"`, "--allow-public"}},
		{name: "public v6", specs: []string{"2001:db8::1"}, is: ErrNotAllowed, contains: []string{`"2001:db8::1"`, "--allow-public"}},
		{name: "public partly excluded", specs: []string{"8.8.8.0/30"}, opt: TargetOptions{Excludes: []string{"8.8.8.1"}}, is: ErrNotAllowed,
			contains: []string{`"8.8.8.0/30"`, "8.8.8.0 is", "--allow-public"}},
		{name: "partly public cidr", specs: []string{"10.0.0.0/7"}, is: ErrNotAllowed, contains: []string{`"10.0.0.0/7"`, "11.0.0.0", "--allow-public"}},
		{name: "public before private", specs: []string{"9.255.255.255-10.0.0.1"}, is: ErrNotAllowed, contains: []string{"9.255.255.255 is"}},
		{name: "public after private", specs: []string{"172.31.255.255-172.32.0.0"}, is: ErrNotAllowed, contains: []string{"172.32.0.0 is"}},
		{name: "name resolving public", specs: []string{"publicname"}, is: ErrNotAllowed, contains: []string{`"publicname"`, "1.2.3.4", "--allow-public"}},
		{name: "v6 prefix too wide", specs: []string{"fd00::/64"}, is: ErrTooLarge, contains: []string{`"fd00::/64"`}},
		{name: "v6 range too wide", specs: []string{"fd00::1-fd01::"}, is: ErrTooLarge, contains: []string{`"fd00::1-fd01::"`}},
		{name: "name v4 prefix only v6", specs: []string{"v6only/24"}, is: ErrTooLarge, contains: []string{`"v6only/24"`}},
		{name: "mixed family range", specs: []string{"10.0.0.1-fd00::1"}, is: ErrBadSpec, contains: []string{"mixes"}},
		{name: "zone mismatch", specs: []string{"fe80::1%a-fe80::2%b"}, is: ErrBadSpec, contains: []string{"zones"}},
		{name: "zone on prefix", specs: []string{"fe80::1%eth0/128"}, is: ErrBadSpec, contains: []string{"zone"}},
		{name: "v4 zone", specs: []string{"10.0.0.1%eth0"}, is: ErrBadSpec, contains: []string{`"10.0.0.1%eth0"`}},
		{name: "bad v6", specs: []string{"fd00:::1"}, is: ErrBadSpec, contains: []string{`"fd00:::1"`}},
		{name: "three octets", specs: []string{"10.0.0"}, is: ErrBadSpec, contains: []string{`"10.0.0"`}},
		{name: "leading zero octet", specs: []string{"10.0.0.01-3"}, is: ErrBadSpec},
		{name: "octet explosion", specs: []string{"0-255.0-255.0-255.1"}, opt: TargetOptions{AllowPublic: true}, is: ErrTooLarge},
		{name: "bits negative", specs: []string{"10.0.0.0/-1"}, is: ErrBadSpec},
		{name: "bits leading zero", specs: []string{"10.0.0.0/08"}, is: ErrBadSpec},
		{name: "bits empty", specs: []string{"10.0.0.0/"}, is: ErrBadSpec},
		{name: "bits v6 too long", specs: []string{"fd00::/129"}, is: ErrBadSpec},
		{name: "bad name", specs: []string{"-bad-.example"}, is: ErrBadSpec},
		{name: "all excluded", specs: []string{"10.0.0.0/24"}, opt: TargetOptions{Excludes: []string{"10.0.0.0/24"}}, is: ErrNoTargets},
		{name: "only edges", specs: []string{"10.0.0.0/30"}, opt: TargetOptions{Excludes: []string{"10.0.0.1-2"}}, is: ErrNoTargets},
		{name: "no specs", specs: nil, is: ErrNoTargets},
		{name: "shard index too big", specs: []string{"10.0.0.1"}, opt: TargetOptions{ShardIndex: 3, ShardCount: 3}, is: ErrBadShard},
		{name: "shard negative", specs: []string{"10.0.0.1"}, opt: TargetOptions{ShardIndex: -1, ShardCount: 3}, is: ErrBadShard},
		{name: "shard index without count", specs: []string{"10.0.0.1"}, opt: TargetOptions{ShardIndex: 1}, is: ErrBadShard},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			opt := tc.opt
			opt.Resolver = tgtResolver()
			ts, err := ParseTargets(context.Background(), tc.specs, opt)
			if !errors.Is(err, tc.is) {
				t.Fatalf("got (%v, %v), want %v", ts, err, tc.is)
			}
			for _, c := range tc.contains {
				if !strings.Contains(err.Error(), c) {
					t.Errorf("error %q does not mention %q", err, c)
				}
			}
		})
	}
}

func TestParseTargetsCanceled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := ParseTargets(ctx, []string{"fileserver"}, TargetOptions{Resolver: tgtResolver()})
	if !errors.Is(err, context.Canceled) || !errors.Is(err, ErrResolve) {
		t.Fatalf("got %v, want ErrResolve wrapping context.Canceled", err)
	}
}

func TestParseTargetsLocalhost(t *testing.T) {
	// The real resolver answers "localhost" from the hosts file or synthesises it; no DNS.
	ts, err := ParseTargets(context.Background(), []string{"localhost"}, TargetOptions{})
	if err != nil {
		t.Skipf("localhost does not resolve here: %v", err)
	}
	for a := range ts.All() {
		if !a.IsLoopback() {
			t.Errorf("localhost gave %s", a)
		}
	}
}

func TestExcludedAndContains(t *testing.T) {
	ts, err := ParseTargets(context.Background(), []string{"10.0.0.0/24", "fd00::/120"},
		TargetOptions{Excludes: []string{"10.0.0.64/26", "10.9.9.9", "fd00::80-fd00::ff"}})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		addr               string
		contains, excluded bool
	}{
		{"10.0.0.1", true, false},
		{"10.0.0.63", true, false},
		{"10.0.0.64", false, true},
		{"10.0.0.127", false, true},
		{"10.0.0.128", true, false},
		{"10.0.0.0", false, false}, // network address: skipped, not excluded
		{"10.9.9.9", false, true},
		{"::ffff:10.0.0.1", true, false},
		{"fd00::", true, false},
		{"fd00::7f", true, false},
		{"fd00::80", false, true},
		{"fd00::1%eth0", false, false},
		{"fd00::100", false, false},
		{"11.0.0.1", false, false},
	}
	for _, tc := range tests {
		a := netip.MustParseAddr(tc.addr)
		if got := ts.Contains(a); got != tc.contains {
			t.Errorf("Contains(%s) = %v", a, got)
		}
		if got := ts.Excluded(a); got != tc.excluded {
			t.Errorf("Excluded(%s) = %v", a, got)
		}
	}
	if ts.Contains(netip.Addr{}) || ts.Excluded(netip.Addr{}) {
		t.Error("zero Addr matched")
	}
}

func TestIsAllowedRange(t *testing.T) {
	tests := []struct {
		addr string
		want bool
	}{
		{"9.255.255.255", false}, {"10.0.0.0", true}, {"10.255.255.255", true}, {"11.0.0.0", false},
		{"100.63.255.255", false}, {"100.64.0.0", true}, {"100.127.255.255", true}, {"100.128.0.0", false},
		{"126.255.255.255", false}, {"127.0.0.1", true}, {"128.0.0.0", false},
		{"169.253.255.255", false}, {"169.254.0.0", true}, {"169.255.0.0", false},
		{"172.15.255.255", false}, {"172.16.0.0", true}, {"172.31.255.255", true}, {"172.32.0.0", false},
		{"192.167.255.255", false}, {"192.168.0.0", true}, {"192.168.255.255", true}, {"192.169.0.0", false},
		{"0.0.0.0", false}, {"255.255.255.255", false}, {"8.8.8.8", false}, {"224.0.0.1", false},
		{"::", false}, {"::1", true}, {"::2", false}, {"fbff::1", false}, {"fc00::", true},
		{"fdff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", true}, {"fe00::", false}, {"fe7f::1", false},
		{"fe80::1%eth0", true}, {"febf:ffff::1", true}, {"fec0::1", false}, {"2001:db8::1", false},
		{"::ffff:192.168.1.1", true}, {"::ffff:8.8.8.8", false},
	}
	for _, tc := range tests {
		if got := IsAllowedRange(netip.MustParseAddr(tc.addr)); got != tc.want {
			t.Errorf("IsAllowedRange(%s) = %v, want %v", tc.addr, got, tc.want)
		}
	}
	if IsAllowedRange(netip.Addr{}) {
		t.Error("zero Addr allowed")
	}
}

func TestReadSpecs(t *testing.T) {
	tests := []struct {
		file     string
		want     []string
		is       error
		contains string
	}{
		{file: "hosts.txt", want: []string{"10.0.0.0/30", "10.0.1.1-3", "10.0.2.5", "192.168.7.1-192.168.7.2", "fileserver", "fd00::1"}},
		{file: "empty.txt", is: ErrNoTargets, contains: "empty.txt"},
		{file: "comments-only.txt", is: ErrNoTargets, contains: "comments-only.txt"},
		{file: "bad-line.txt", is: ErrBadSpec, contains: `bad-line.txt:4: target "10.0.0.300"`},
	}
	for _, tc := range tests {
		t.Run(tc.file, func(t *testing.T) {
			path := filepath.Join("testdata", "targets", tc.file)
			got, err := ReadSpecFile(path, nil)
			if tc.is != nil {
				if !errors.Is(err, tc.is) || !strings.Contains(err.Error(), tc.contains) {
					t.Fatalf("got (%q, %v), want %v mentioning %q", got, err, tc.is, tc.contains)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(got, tc.want) {
				t.Fatalf("got %q, want %q", got, tc.want)
			}
		})
	}
}

func TestReadSpecsStdinAndEdgeCases(t *testing.T) {
	tests := []struct {
		name, in string
		want     []string
		is       error
		contains string
	}{
		{name: "stdin", in: "10.0.0.1\n10.0.0.2,10.0.0.3\n", want: []string{"10.0.0.1", "10.0.0.2", "10.0.0.3"}},
		{name: "bom crlf no final newline", in: "\uFEFF10.0.0.1\r\n10.0.0.2", want: []string{"10.0.0.1", "10.0.0.2"}},
		{name: "commas only", in: " , ,,\n", is: ErrNoTargets, contains: "<stdin>"},
		{name: "bad second line", in: "10.0.0.1\n\n10.0.0.5-3 # oops\n", is: ErrBadSpec, contains: `<stdin>:3: target "10.0.0.5-3"`},
		{name: "long line", in: strings.Repeat("1", maxSpecLine+1), is: ErrBadSpec, contains: "<stdin>:1:"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ReadSpecFile("-", strings.NewReader(tc.in))
			if tc.is != nil {
				if !errors.Is(err, tc.is) || !strings.Contains(err.Error(), tc.contains) {
					t.Fatalf("got (%q, %v), want %v mentioning %q", got, err, tc.is, tc.contains)
				}
				return
			}
			if err != nil || !slices.Equal(got, tc.want) {
				t.Fatalf("got (%q, %v), want %q", got, err, tc.want)
			}
		})
	}
	if _, err := ReadSpecFile(filepath.Join(t.TempDir(), "missing"), nil); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("missing file: %v", err)
	}
}

// TestReadSpecsThenParse is the -iL path end to end, with the names resolved by the fake.
func TestReadSpecsThenParse(t *testing.T) {
	specs, err := ReadSpecFile(filepath.Join("testdata", "targets", "hosts.txt"), nil)
	if err != nil {
		t.Fatal(err)
	}
	ts, err := ParseTargets(context.Background(), specs, TargetOptions{Resolver: tgtResolver()})
	if err != nil {
		t.Fatal(err)
	}
	want := tgtAddrs("10.0.0.1", "10.0.0.2", "10.0.1.1", "10.0.1.2", "10.0.1.3", "10.0.2.5", "10.1.1.1", "10.1.1.2",
		"192.168.7.1", "192.168.7.2", "fd00::1", "fd00::5")
	if got := tgtCollect(ts); !slices.Equal(got, want) {
		t.Fatalf("got %v, want %v", got, want)
	}
}

func TestShardsPartitionSpace(t *testing.T) {
	specs := []string{"10.0.0.0/24", "10.0.5.1-40", "10.7.0-3.9", "fd00::/124", "fe80::1%eth0"}
	whole, err := ParseTargets(context.Background(), specs, TargetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	space := tgtCollect(whole)
	if uint64(len(space)) != whole.Total() || whole.Total() != 254+40+4+16+1 {
		t.Fatalf("space %d, Total %d", len(space), whole.Total())
	}
	for _, shuffle := range []bool{false, true} {
		for _, n := range []int{1, 2, 3, 7} {
			seen := make(map[netip.Addr]int)
			var sum uint64
			for i := range n {
				ts, err := ParseTargets(context.Background(), specs, TargetOptions{Shuffle: shuffle, ShardIndex: i, ShardCount: n})
				if err != nil {
					t.Fatal(err)
				}
				if ts.Total() != whole.Total() || ts.Seed() != whole.Seed() {
					t.Fatalf("shard %d/%d: Total %d Seed %x", i, n, ts.Total(), ts.Seed())
				}
				got := tgtCollect(ts)
				if uint64(len(got)) != ts.Len() {
					t.Fatalf("shard %d/%d yielded %d, Len %d", i, n, len(got), ts.Len())
				}
				sum += ts.Len()
				for _, a := range got {
					if prev, dup := seen[a]; dup {
						t.Fatalf("shuffle=%v n=%d: %s in shards %d and %d", shuffle, n, a, prev, i)
					}
					seen[a] = i
				}
			}
			if sum != whole.Total() || len(seen) != len(space) {
				t.Fatalf("shuffle=%v n=%d: shards cover %d (sum Len %d), space %d", shuffle, n, len(seen), sum, len(space))
			}
			for _, a := range space {
				if _, ok := seen[a]; !ok {
					t.Fatalf("shuffle=%v n=%d: %s in no shard", shuffle, n, a)
				}
			}
		}
	}
}

func TestShardsLargerThanSpace(t *testing.T) {
	var got int
	for i := range 5 {
		ts, err := ParseTargets(context.Background(), []string{"10.0.0.1-3"}, TargetOptions{Shuffle: true, ShardIndex: i, ShardCount: 5})
		if err != nil {
			t.Fatal(err)
		}
		n := len(tgtCollect(ts))
		if uint64(n) != ts.Len() {
			t.Fatalf("shard %d: %d vs Len %d", i, n, ts.Len())
		}
		got += n
	}
	if got != 3 {
		t.Fatalf("got %d addresses over 5 shards, want 3", got)
	}
}

func TestSeedAndOrder(t *testing.T) {
	ctx := context.Background()
	parse := func(specs []string, opt TargetOptions) *TargetSet {
		t.Helper()
		ts, err := ParseTargets(ctx, specs, opt)
		if err != nil {
			t.Fatal(err)
		}
		return ts
	}
	a := parse([]string{"10.0.0.0/24", "10.0.1.0/24"}, TargetOptions{Shuffle: true})
	// Same canonical space written differently: same default seed, same order.
	b := parse([]string{"10.0.1.0/24", "10.0.0.1-254", "10.0.0.7"}, TargetOptions{Shuffle: true})
	if a.Seed() != b.Seed() || !slices.Equal(tgtCollect(a), tgtCollect(b)) {
		t.Fatalf("canonical seed differs: %x vs %x", a.Seed(), b.Seed())
	}
	c := parse([]string{"10.0.0.0/24", "10.0.2.0/24"}, TargetOptions{Shuffle: true})
	if c.Seed() == a.Seed() {
		t.Fatal("different spaces gave the same default seed")
	}
	d := parse([]string{"10.0.0.0/24", "10.0.1.0/24"}, TargetOptions{Shuffle: true, Seed: 42, SeedSet: true})
	e := parse([]string{"10.0.0.0/24", "10.0.1.0/24"}, TargetOptions{Shuffle: true, Seed: 43, SeedSet: true})
	if d.Seed() != 42 || slices.Equal(tgtCollect(d), tgtCollect(a)) || slices.Equal(tgtCollect(d), tgtCollect(e)) {
		t.Fatal("explicit seed did not change the order")
	}
	zero := parse([]string{"10.0.0.0/24"}, TargetOptions{Shuffle: true, Seed: 0, SeedSet: true})
	if zero.Seed() != 0 {
		t.Fatalf("explicit zero seed became %x", zero.Seed())
	}
	seq := parse([]string{"10.0.0.0/24", "10.0.1.0/24"}, TargetOptions{})
	got := tgtCollect(a)
	if slices.Equal(got, tgtCollect(seq)) {
		t.Fatal("shuffled order equals sequential order")
	}
	// Spread: the first 32 of 508 shuffled addresses must not all sit in one /25.
	nets := make(map[netip.Prefix]bool)
	for _, x := range got[:32] {
		nets[netip.PrefixFrom(x, 25).Masked()] = true
	}
	if len(nets) < 3 {
		t.Fatalf("first 32 addresses cover only %d /25s", len(nets))
	}
	slices.SortFunc(got, netip.Addr.Compare)
	if !slices.Equal(got, tgtCollect(seq)) {
		t.Fatal("shuffled order is not a permutation of the space")
	}
}

func TestIterationStops(t *testing.T) {
	ts, err := ParseTargets(context.Background(), []string{"10.0.0.0/8"}, TargetOptions{Shuffle: true})
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for range ts.All() {
		n++
		if n == 10 {
			break
		}
	}
	if n != 10 {
		t.Fatalf("n = %d", n)
	}
}

// TestIterateSlash8Allocs is the "streamed, never materialised" promise: walking all 16M
// addresses of a /8 in shuffled order allocates O(1), not a slice.
func TestIterateSlash8Allocs(t *testing.T) {
	spec := "10.0.0.0/8"
	if testing.Short() {
		spec = "10.0.0.0/12"
	}
	ts, err := ParseTargets(context.Background(), []string{spec}, TargetOptions{Shuffle: true})
	if err != nil {
		t.Fatal(err)
	}
	var n uint64
	var sum uint32
	allocs := testing.AllocsPerRun(1, func() {
		n = 0
		for a := range ts.All() {
			b := a.As4()
			sum += uint32(b[3])
			n++
		}
	})
	if n != ts.Total() {
		t.Fatalf("iterated %d, want %d", n, ts.Total())
	}
	if allocs > 4 {
		t.Fatalf("%v allocations to iterate %s", allocs, spec)
	}
	_ = sum
}

func BenchmarkIterateSlash8(b *testing.B) {
	ts, err := ParseTargets(context.Background(), []string{"10.0.0.0/8"}, TargetOptions{Shuffle: true})
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	var sink byte
	ops := 0
	for b.Loop() {
		for a := range ts.All() {
			sink ^= a.As4()[3]
		}
		ops++
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(uint64(ops)*ts.Len()), "ns/addr")
	_ = sink
}

func ExampleParseTargets() {
	ts, err := ParseTargets(context.Background(),
		[]string{"10.0.0.0/29", "10.0.0.3"},
		TargetOptions{Excludes: []string{"10.0.0.4"}})
	if err != nil {
		fmt.Println(err)
		return
	}
	for a := range ts.All() {
		fmt.Println(a)
	}
	_, err = ParseTargets(context.Background(), []string{"8.8.8.0/24"}, TargetOptions{})
	fmt.Println(err)
	// Output:
	// 10.0.0.1
	// 10.0.0.2
	// 10.0.0.3
	// 10.0.0.5
	// 10.0.0.6
	// target "8.8.8.0/24": address outside the private ranges: 8.8.8.0 is not in RFC 1918, RFC 6598, loopback, link-local or ULA space; pass --allow-public to scan it
}
