package ms08model

import (
	"strings"
	"testing"
	"unicode/utf16"
)

func u16(s string) []uint16 { return utf16.Encode([]rune(s)) }

// TestKnownPaths: the paths of CHECKS.md §0 and §3c, and the canonical results the routine
// leaves for the safe ones.
func TestKnownPaths(t *testing.T) {
	tests := []struct {
		path    string
		reaches bool
		ret     int    // when it does not reach
		result  string // when it does not reach
		why     string
	}{
		{`\`, false, 1, `\`, "§0: no `..`"},
		{`\A\B\C`, false, 1, `\A\B\C`, "§0: no `..`"},
		{`\..\`, false, 0, `\..\`, "§0: no previous backslash: rejected before any copy"},
		{`A\..\B`, false, 0, `A\..\B`, "§0: no previous backslash"},
		{`\A\B\..\C`, false, 1, `\A\C`, "§0: the scan stops at the path start"},
		{`\A\..`, false, 1, ``, "§0: `..` at the very end returns before the scan"},
		{`\A\..\x`, true, 0, ``, "§0: one-level collapse"},
		{`\A\B\..\..\C`, true, 0, ``, "§0: the second collapse reaches the first backslash"},
		{`\A\..\..\x`, true, 0, ``, "§0"},
		{`\R7\..\..\R7`, true, 0, ``, "§0: Metasploit"},
		{`\` + strings.Repeat("A", 39) + `\..\n`, true, 0, ``, "§3c: nmap's probe and scan445's intrusive one"},
		{``, false, 1, ``, "empty"},
		{`\A\B\..`, false, 1, `\A`, "trailing collapse"},
		{`\A\.x`, false, 1, `\A`, "`.x` cuts at the current separator"},
		{`\\srv\A\..\x`, false, 0, `\\srv\A\..\x`, "server prefix: no previous separator after the name"},
		{`\\srv`, false, 0, `\\srv`, "server name only"},
		{`\A\..` + "\x00" + `\x`, false, 1, ``, "the routine stops at the first NUL"},
	}
	for _, tt := range tests {
		o := Canonicalize(u16(tt.path))
		if o.ReadsBeforeBuffer != tt.reaches {
			t.Errorf("Canonicalize(%q).ReadsBeforeBuffer = %v, want %v (%s); outcome %+v", tt.path, o.ReadsBeforeBuffer, tt.reaches, tt.why, o)
			continue
		}
		if got := ReachesOverflow(tt.path); got != tt.reaches {
			t.Errorf("ReachesOverflow(%q) = %v, want %v (%s)", tt.path, got, tt.reaches, tt.why)
		}
		if tt.reaches {
			if o.Fault != ReadBefore || o.At != -1 {
				t.Errorf("%q: fault %v at %d, want a read of the cell just before the buffer", tt.path, o.Fault, o.At)
			}
			continue
		}
		if o.Fault != NoFault || o.Return != tt.ret || string(utf16.Decode(o.Result)) != tt.result {
			t.Errorf("Canonicalize(%q) = %+v (%q), want return %d result %q (%s)", tt.path, o, string(utf16.Decode(o.Result)), tt.ret, tt.result, tt.why)
		}
	}
}

// TestSeparatorReadings: the routine's loop knows only `\`, so a path written with `/` reaches
// the overflow only if the caller turned `/` into `\` first; Reaches assumes it may have.
func TestSeparatorReadings(t *testing.T) {
	for _, path := range []string{`/A/../x`, `\A/..\x`, `/A\..\x`} {
		if !ReachesOverflow(path) {
			t.Errorf("ReachesOverflow(%q) = false", path)
		}
	}
	if o := Canonicalize(u16(`/A/../x`)); !o.Safe() {
		t.Errorf("verbatim `/A/../x` should not collapse: %+v", o)
	}
	// A verbatim `//srv/` prefix: the scan walks down through the server name, past the `/`
	// separators it does not recognise, and off the front of the buffer.
	if o := Canonicalize(u16(`//srv/A\B\..\..\x`)); !o.ReadsBeforeBuffer {
		t.Errorf("`//srv/A\\B\\..\\..\\x` verbatim: %+v", o)
	}
}

// TestPathCanonicalizeReadings: the prefix is joined to the path before the routine runs, so
// neither string alone decides.
func TestPathCanonicalizeReadings(t *testing.T) {
	tests := []struct {
		prefix, path string
		reaches      bool
	}{
		{`\`, `\..\`, false}, // the Conficker hook probe (CHECKS §4a)
		{`\`, `\`, false},    // the other one
		{`\A`, `..\x`, true}, // `\A\..\x` once joined
		{`\A\`, `\..\x`, true},
		{`\A`, `\..\x`, true},
		{``, `\A\..\x`, true},
		{`\A\..\x`, ``, true},
		{`\A` + "\x00" + `B`, `..\x`, true}, // the prefix is cut at its NUL, then joined
		{`\A\B`, `C`, false},
	}
	for _, tt := range tests {
		if got := PathCanonicalizeReaches(tt.prefix, tt.path); got != tt.reaches {
			t.Errorf("PathCanonicalizeReaches(%q, %q) = %v, want %v", tt.prefix, tt.path, got, tt.reaches)
		}
	}
}

// TestNeverFaultsOtherwise: the only faults the routine may make are the read before the buffer
// and the endless loop of a `\.\` removal (see StepLimit); a read or write after the path
// would mean the transliteration is wrong. Every path over a small alphabet up to length 8 is
// run.
func TestNeverFaultsOtherwise(t *testing.T) {
	alphabet := []uint16{'\\', '/', '.', 'A', 0}
	n := 8
	if testing.Short() {
		n = 6
	}
	var runs, before, loops int
	enumerate(alphabet, n, func(path []uint16) {
		runs++
		o := Canonicalize(path)
		switch o.Fault {
		case NoFault:
		case ReadBefore:
			before++
			if o.At != -1 {
				t.Fatalf("%q: first read before the buffer at %d, not -1", string(utf16.Decode(path)), o.At)
			}
		case StepLimit:
			loops++
			checkBudget(t, path)
		default:
			t.Fatalf("%q: unexpected fault %v at %d", string(utf16.Decode(path)), o.Fault, o.At)
		}
	})
	if before == 0 {
		t.Fatal("no path reached the overflow: the enumeration proves nothing")
	}
	t.Logf("%d paths: %d read before the buffer, %d loop forever", runs, before, loops)
}

// enumerate calls f with every string over alphabet of length 0..n (f must not keep it).
func enumerate(alphabet []uint16, n int, f func([]uint16)) {
	buf := make([]uint16, n)
	var rec func(k int)
	rec = func(k int) {
		f(buf[:k])
		if k == n {
			return
		}
		for _, c := range alphabet {
			buf[k] = c
			rec(k + 1)
		}
	}
	rec(0)
}

func TestEndlessLoopIsUnsafe(t *testing.T) {
	for _, path := range []string{`\A\.\`, `\.\`} {
		if o := Canonicalize(u16(path)); o.Fault != StepLimit || !ReachesOverflow(path) {
			t.Errorf("%q: %+v", path, o)
		}
	}
	if o := Canonicalize(u16(`\A\.\B`)); !o.Safe() || string(utf16.Decode(o.Result)) != `\AB` {
		t.Errorf("`\\A\\.\\B`: %+v, want the decompiled removal of `\\.\\` (`\\AB`)", o)
	}
}

func TestStepLimitIsAFault(t *testing.T) {
	m := newMemory(u16(`\A`))
	m.budget = 0
	func() {
		defer func() {
			f, ok := recover().(fault)
			if !ok || f.kind != StepLimit {
				t.Errorf("recovered %+v, want a StepLimit fault", f)
			}
		}()
		m.routine(m.lo)
	}()
}
