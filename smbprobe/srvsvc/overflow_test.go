package srvsvc

import (
	"strings"
	"testing"
)

func TestPathReachesOverflow(t *testing.T) {
	tests := []struct {
		path string
		want bool
		why  string
	}{
		// docs/checks.md §0, inputs that do not reach the out-of-bounds scan.
		{`\`, false, "§0: no `..`"},
		{`\A\B\C`, false, "§0: no `..`"},
		{`\..\`, false, "§0: no previous backslash"},
		{`A\..\B`, false, "§0: no previous backslash"},
		{`\A\B\..\C`, false, "§0: scan stops at the path start"},
		{`\A\..`, false, "§0: `..` at the very end"},
		// docs/checks.md §0, inputs that do.
		{`\A\..\x`, true, "§0: one-level collapse"},
		{`\A\B\..\..\C`, true, "§0: second collapse reaches the first backslash"},
		{`\A\..\..\x`, true, "§0"},
		{`\R7\..\..\R7`, true, "§0: Metasploit"},
		{`\` + strings.Repeat("A", 39) + `\..\n`, true, "§3c: nmap / our intrusive probe"},
		{`\AAAA\..\n`, true, "impacket's call to Samba"},
		// Edge cases.
		{``, false, "empty"},
		{`..`, false, "bare dot-dot"},
		{`..\x`, false, "no previous backslash"},
		{`\..`, false, "no previous backslash"},
		{`\A\..\`, true, "a trailing backslash is still `more characters`"},
		{`\A\B\..`, false, "trailing collapse"},
		{`\A\B\..\..`, false, "second collapse is the last component"},
		{`\A\B\C\..\..\D`, false, "two collapses ending at the second component"},
		{`\A\B\C\..\..\..\D`, true, "three collapses reach the first backslash"},
		{`A\B\..\..\x`, true, "relative: the scan stops at the start and leaves previous_slash there"},
		{`A\B\..\C`, false, "relative single collapse"},
		{`A\B\C\..\..\x`, false, "relative: second collapse lands on a real backslash"},
		{`\A\\..\x`, false, "consecutive backslashes are rejected first"},
		{`\A\.x\..\x`, false, "`.x` ends the routine"},
		{`\A\..x\y`, false, "`..x` ends the routine"},
		{`\A\.\..\x`, true, "`\\.\\` is removed in place, leaving a collapse"},
		{`\A\.`, false, "trailing `.`"},
		{`\A.\..\x`, true, "a dot inside a name is ordinary"},
		{`/A/../x`, true, "forward slashes are separators"},
		{`\A/..\x`, true, "mixed separators"},
		{`/A\..\x`, true, "mixed separators"},
		{`/../`, false, "forward-slash form of `\\..\\`"},
		{`\A\..` + "\x00" + `\x`, false, "cut at the NUL: trailing collapse"},
		{"\\A\\..\\x\x00", true, "NUL after the collapse"},
		{`\\srv\A\..\x`, false, "server prefix: single collapse stops at the separator after the name"},
		{`\\srv\A\B\..\..\..\..\x`, false, "server prefix: four collapses end on the leading backslash"},
		{`\\srv\A\B\..\..\..\..\..\x`, true, "server prefix: a fifth walks off the front"},
		{`\A\.\.\..\x`, true, "two `\\.\\` removals"},
		{`.\A\..\x`, false, "leading `.\\` removed leaves `A\\..\\x`: no previous backslash"},
		{`.\A\B\..\..\x`, true, "leading `.\\` removed leaves `A\\B\\..\\..\\x`"},
		{`\\srv`, false, "server name only"},
		{`\\srv\\A`, false, "double separator after the server name"},
		{`//srv/A\B\..\..\x`, true, "verbatim model: the scan crosses `/` separators and leaves the buffer"},
		{`\Ä\..\x`, true, "non-ASCII component"},
	}
	for _, tt := range tests {
		if got := PathReachesOverflow(tt.path); got != tt.want {
			t.Errorf("PathReachesOverflow(%q) = %v, want %v (%s)", tt.path, got, tt.want, tt.why)
		}
	}
}

// oracle is a second, component-level formulation of the same rule, written without the
// character-level model: walk the components keeping those not yet removed, and remember
// whether the routine's previous_slash would point at the first character of the buffer. It
// answers only for paths it models (no `/`, no `\\server` prefix, no `.` component followed by
// more); ok is false otherwise.
func oracle(path string) (reaches, ok bool) {
	if i := strings.IndexByte(path, 0); i >= 0 {
		path = path[:i]
	}
	if strings.ContainsRune(path, '/') || strings.HasPrefix(path, `\\`) {
		return false, false
	}
	segs := strings.Split(path, `\`)
	for i, s := range segs {
		if s == "." && i < len(segs)-1 {
			return false, false
		}
	}
	var kept []string
	prevExists, prevAtZero := false, false
	for i, s := range segs {
		last := i == len(segs)-1
		if strings.HasPrefix(s, ".") {
			if s != ".." {
				return false, true // `.` at the end, `.x`, `..x`: the routine stops
			}
			switch {
			case !prevExists, last:
				return false, true
			case prevAtZero:
				return true, true
			}
			kept = kept[:len(kept)-1]
			prevExists = true
			prevAtZero = len(kept) == 1 || (len(kept) == 2 && kept[0] == "")
			continue
		}
		if i >= 1 && s == "" && !last {
			return false, true // consecutive separators
		}
		kept = append(kept, s)
		if !last {
			prevExists = len(kept) >= 2
			prevAtZero = len(kept) == 2 && kept[0] == ""
		}
	}
	return false, true
}

func TestOracleAgreesOnTable(t *testing.T) {
	for _, p := range []string{`\A\..\x`, `\A\B\..\C`, `A\B\..\..\x`, `\A\B\C\..\..\..\D`, `\..\`, `\A\..`, `A\..\B`} {
		want, ok := oracle(p)
		if !ok {
			t.Fatalf("oracle does not model %q", p)
		}
		if got := PathReachesOverflow(p); got != want {
			t.Errorf("%q: model %v, oracle %v", p, got, want)
		}
	}
}

// TestOracleExhaustive compares both formulations on every path of up to 10 characters over
// `\`, `.` and `A`, which covers every arrangement of separators, dots and names that short.
func TestOracleExhaustive(t *testing.T) {
	alphabet := []byte{'\\', '.', 'A'}
	compared, reaching := 0, 0
	var walk func(prefix []byte)
	walk = func(prefix []byte) {
		p := string(prefix)
		if want, ok := oracle(p); ok {
			compared++
			if want {
				reaching++
			}
			if got := PathReachesOverflow(p); got != want {
				t.Fatalf("PathReachesOverflow(%q) = %v, oracle says %v", p, got, want)
			}
		}
		if len(prefix) == 10 {
			return
		}
		for _, c := range alphabet {
			walk(append(prefix, c))
		}
	}
	walk(nil)
	if compared < 50000 || reaching < 200 {
		t.Fatalf("compared %d paths, %d reaching: the oracle's domain is too small to mean anything", compared, reaching)
	}
}

// tokenPath turns fuzz bytes into a path dense in separators and dot-dots.
func tokenPath(b []byte) string {
	toks := []string{`\`, `/`, `.`, `..`, `A`, `B`, `\..`, `\.`}
	var sb strings.Builder
	for _, c := range b {
		sb.WriteString(toks[int(c)%len(toks)])
	}
	return sb.String()
}

func FuzzPathReachesOverflow(f *testing.F) {
	for _, s := range []string{`\`, `\..\`, `A\..\B`, `\A\B\..\C`, `\A\..`, `\A\..\x`, `\A\B\..\..\C`, `\A\..\..\x`, `\R7\..\..\R7`,
		`\` + strings.Repeat("A", 39) + `\..\n`, `A\B\..\..\x`, `\A\.\..\x`, `\\srv\A\B\..\..\..\..\x`, `/A/../x`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, path string) {
		if len(path) > 512 {
			return
		}
		for _, p := range []string{path, tokenPath([]byte(path))} {
			got := PathReachesOverflow(p)
			if want, ok := oracle(p); ok && got != want {
				t.Fatalf("PathReachesOverflow(%q) = %v, oracle says %v", p, got, want)
			}
			// Forward slashes never make a path safer than its backslash form.
			if b := strings.ReplaceAll(p, "/", `\`); PathReachesOverflow(b) && !got {
				t.Fatalf("%q is safe but %q reaches", p, b)
			}
		}
	})
}
