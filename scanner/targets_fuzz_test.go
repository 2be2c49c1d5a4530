package scanner

import (
	"bytes"
	"context"
	"errors"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// fuzzResolver resolves every syntactically valid name, to private and public addresses of both
// families, so that the fuzzer reaches the name paths and the safety rail behind them.
type fuzzResolver struct{}

func (fuzzResolver) LookupNetIP(_ context.Context, _, host string) ([]netip.Addr, error) {
	if strings.HasPrefix(host, "pub") {
		return []netip.Addr{netip.MustParseAddr("10.3.3.3"), netip.MustParseAddr("198.51.100.7")}, nil
	}
	return []netip.Addr{netip.MustParseAddr("10.9.9.9"), netip.MustParseAddr("fd00::9")}, nil
}

func targetSpecSeeds() []string {
	return []string{
		"10.0.0.1", "10.0.0.0/24", "10.0.0.0/8", "10.0.0.5/30", "10.0.0.0/31", "10.0.0.1-40",
		"10.0.0.1-10.0.3.255", "10.0.1-3.1-40", "10.0.*.1", "10.1-2.*.*", "host.example", "host/24",
		"pubhost", "fd00::1", "fd00::/120", "fd00::1-fd00::ff", "fe80::1%eth0", "fe80::1%a-fe80::2%a",
		"::ffff:10.0.0.1", "::ffff:10.0.0.0/120", "8.8.8.8", "0.0.0.0/0", "10.0.0.0/33", "10.0.0.300",
		"10.0.0.5-3", "", " ", "10.0.0.0/08", "0-255.0-255.0-255.1", "fd00::/64", "-", "*", "1.2.3.4-",
		"10.0.0.1%eth0", "a..b", "10.0.0.0/-0",
	}
}

// FuzzParseSpec: never panics, the pre-flight syntax check agrees with the full parse, and every
// address an accepted spec yields is in the set, in the spec's range, and allowed by the rail.
func FuzzParseSpec(f *testing.F) {
	for _, s := range targetSpecSeeds() {
		f.Add(s, false)
		f.Add(s, true)
	}
	f.Fuzz(func(t *testing.T, spec string, allowPublic bool) {
		ctx := context.Background()
		_, syntaxErr := parseSpec(ctx, spec, nil)
		ts, err := ParseTargets(ctx, []string{spec}, TargetOptions{
			AllowPublic: allowPublic, KeepNetworkBroadcast: true, Shuffle: true, Resolver: fuzzResolver{},
		})
		if syntaxErr != nil && err == nil {
			t.Fatalf("%q: syntax check failed (%v) but ParseTargets accepted it", spec, syntaxErr)
		}
		if err != nil {
			// Only the rail and a name's resolved addresses (name/N against the wrong family)
			// can fail a spec the syntax check passed.
			late := errors.Is(err, ErrNotAllowed) || strings.Contains(spec, "/") && (errors.Is(err, ErrTooLarge) || errors.Is(err, ErrBadSpec))
			if syntaxErr == nil && !late {
				t.Fatalf("%q: passed the syntax check but failed with %v", spec, err)
			}
			var se *SpecError
			if !errors.As(err, &se) || se.Spec != spec {
				t.Fatalf("%q: error %v does not name the spec", spec, err)
			}
			return
		}
		if ts.Total() == 0 || ts.Len() != ts.Total() {
			t.Fatalf("%q: Total %d Len %d", spec, ts.Total(), ts.Len())
		}
		// An independent oracle for the literal forms netip understands.
		inRange := func(netip.Addr) bool { return true }
		if p, err := netip.ParsePrefix(spec); err == nil {
			inRange = func(a netip.Addr) bool { return p.Contains(a) || p.Contains(netip.AddrFrom16(a.As16())) }
		} else if a, b, ok := strings.Cut(spec, "-"); ok {
			lo, err1 := netip.ParseAddr(a)
			hi, err2 := netip.ParseAddr(b)
			if err1 == nil && err2 == nil && lo.Zone() == "" {
				lo, hi = lo.Unmap(), hi.Unmap()
				inRange = func(a netip.Addr) bool { return lo.Compare(a) <= 0 && a.Compare(hi) <= 0 }
			}
		}
		seen := make(map[netip.Addr]bool)
		for a := range ts.All() {
			if !ts.Contains(a) {
				t.Fatalf("%q: yielded %s but Contains is false", spec, a)
			}
			if !allowPublic && !IsAllowedRange(a) {
				t.Fatalf("%q: yielded %s past the safety rail", spec, a)
			}
			if !inRange(a) {
				t.Fatalf("%q: yielded %s outside the spec", spec, a)
			}
			if seen[a] {
				t.Fatalf("%q: yielded %s twice", spec, a)
			}
			seen[a] = true
			if len(seen) == 2048 {
				break
			}
		}
		if uint64(len(seen)) != min(ts.Total(), 2048) {
			t.Fatalf("%q: yielded %d of %d", spec, len(seen), ts.Total())
		}
	})
}

// FuzzReadSpecs: never panics; accepted lists hold only clean, syntactically valid specs;
// errors name the list.
func FuzzReadSpecs(f *testing.F) {
	files, _ := filepath.Glob(filepath.Join("testdata", "targets", "*.txt"))
	for _, name := range files {
		b, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte("10.0.0.1,10.0.0.2 10.0.0.3\r\n# c\n\uFEFF10.0.0.4\n"))
	f.Add([]byte("\uFEFF# bom\nfe80::1%eth0 , host-1.example.\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		specs, err := ReadSpecs(bytes.NewReader(data), "list.txt")
		if err != nil {
			if !strings.HasPrefix(err.Error(), "list.txt:") {
				t.Fatalf("error %q does not name the list", err)
			}
			if !errors.Is(err, ErrBadSpec) && !errors.Is(err, ErrNoTargets) && !errors.Is(err, ErrTooLarge) {
				t.Fatalf("error %v wraps no sentinel", err)
			}
			return
		}
		if len(specs) == 0 {
			t.Fatal("no specs and no error")
		}
		for _, s := range specs {
			if s == "" || strings.ContainsFunc(s, isSpecSeparator) || strings.Contains(s, "#") {
				t.Fatalf("unclean spec %q", s)
			}
			if _, err := parseSpec(context.Background(), s, nil); err != nil {
				t.Fatalf("accepted spec %q fails the syntax check: %v", s, err)
			}
		}
	})
}
