package ms08model

import (
	"strings"
	"testing"
	"unicode/utf16"

	"github.com/scan445/scan445/smbprobe/srvsvc"
)

// The differential tests hold the safety gate (srvsvc.PathReachesOverflow, a separate model of
// the same routine) to this one: whatever this model says leaves the buffer, the gate must
// refuse. The gate may refuse more (it is deliberately conservative); that direction is only
// counted.

// gateRefusesJoined is what the gate says about a NetprPathCanonicalize request with this
// prefix and path: it checks each of the request's own readings.
func gateRefusesJoined(prefix, path string) bool {
	for _, s := range (srvsvc.PathCanonicalizeRequest{PathName: path, Prefix: prefix}).Paths() {
		if srvsvc.PathReachesOverflow(s) {
			return true
		}
	}
	return false
}

// maxFuzzLen bounds fuzz inputs: the gate bounds its own loop by a square of the path length,
// so a long path that makes it loop costs it seconds and the fuzzer calls that a hang. No
// request scan445 builds comes near it.
const maxFuzzLen = 512

// seeds are the known cases of CHECKS.md §0 and §3c and the edges of both models.
var seeds = []string{
	`\`, `\A\B\C`, `\..\`, `A\..\B`, `\A\B\..\C`, `\A\..`,
	`\A\..\x`, `\A\B\..\..\C`, `\A\..\..\x`, `\R7\..\..\R7`, `\` + strings.Repeat("A", 39) + `\..\n`,
	`\A\.\..\x`, `\A\.\`, `/A/../x`, `//srv/A\B\..\..\x`, `\\srv\A\B\..\..\..\..\..\x`,
	`.\A\B\..\..\x`, "\\A\\..\x00\\x", `\Ä\..\x`, ``,
}

func FuzzGateCoversModel(f *testing.F) {
	for _, s := range seeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if len(s) > maxFuzzLen {
			t.Skip("longer than maxFuzzLen")
		}
		checkBudget(t, utf16.Encode([]rune(s)))
		if ReachesOverflow(s) && !srvsvc.PathReachesOverflow(s) {
			t.Errorf("SAFETY: the model says %q leaves the buffer (%+v) and the gate lets it through", s, Canonicalize(utf16.Encode([]rune(s))))
		}
	})
}

func FuzzGateCoversModelJoined(f *testing.F) {
	f.Add(`\`, `\..\`)
	f.Add(`\`, `\`)
	f.Add(`\A`, `..\x`)
	f.Add(`\A\`, `\..\x`)
	f.Add("\\A\x00B", `..\x`)
	for _, s := range seeds {
		f.Add(``, s)
		f.Add(s, ``)
	}
	f.Fuzz(func(t *testing.T, prefix, path string) {
		if len(prefix)+len(path) > maxFuzzLen {
			t.Skip("longer than maxFuzzLen")
		}
		if PathCanonicalizeReaches(prefix, path) && !gateRefusesJoined(prefix, path) {
			t.Errorf("SAFETY: the model says prefix %q + path %q leaves the buffer and the gate lets it through", prefix, path)
		}
	})
}

// checkBudget: a run the model stops for its step budget must not end with a budget 100 times
// larger either (the budget is linear, so this stays cheap on long inputs).
func checkBudget(t *testing.T, path []uint16) {
	if Canonicalize(path).Fault != StepLimit {
		return
	}
	m := newMemory(path)
	m.budget *= 100
	defer func() {
		if f, ok := recover().(fault); !ok || f.kind != StepLimit {
			t.Errorf("%q: out of budget, but with 100 times more: %+v", string(utf16.Decode(path)), f)
		}
	}()
	m.routine(m.lo)
}

// tally counts the four ways the model and the gate can answer.
type tally struct{ both, neither, gateOnly, modelOnly int }

func (c *tally) add(model, gate bool) {
	switch {
	case model && gate:
		c.both++
	case !model && !gate:
		c.neither++
	case gate:
		c.gateOnly++
	default:
		c.modelOnly++
	}
}

// TestGateVersusModelCorpus runs both on every path over a small alphabet (separators, dots, a
// name character, NUL) and on every prefix/path pair of shorter ones, fails on any path the
// model says reaches and the gate allows, and reports how often the gate is the more
// conservative.
func TestGateVersusModelCorpus(t *testing.T) {
	single, pair := 8, 4
	if testing.Short() {
		single, pair = 6, 3
	}
	var c tally
	enumerate([]uint16{'\\', '/', '.', 'A', 0}, single, func(p []uint16) {
		s := string(utf16.Decode(p))
		m, g := Reaches(p), srvsvc.PathReachesOverflow(s)
		c.add(m, g)
		if m && !g && c.modelOnly <= 10 {
			t.Errorf("SAFETY: model reaches, gate allows %q (%+v)", s, Canonicalize(p))
		}
	})
	t.Logf("single paths: %d both reach, %d neither, %d gate-only (conservative), %d model-only (unsafe)", c.both, c.neither, c.gateOnly, c.modelOnly)

	var short []string
	enumerate([]uint16{'\\', '/', '.', 'A'}, pair, func(p []uint16) { short = append(short, string(utf16.Decode(p))) })
	var j tally
	for _, prefix := range short {
		for _, path := range short {
			m, g := PathCanonicalizeReaches(prefix, path), gateRefusesJoined(prefix, path)
			j.add(m, g)
			if m && !g && j.modelOnly <= 10 {
				t.Errorf("SAFETY: model reaches, gate allows prefix %q path %q", prefix, path)
			}
		}
	}
	t.Logf("prefix/path pairs: %d both reach, %d neither, %d gate-only (conservative), %d model-only (unsafe)", j.both, j.neither, j.gateOnly, j.modelOnly)
	if c.both == 0 || j.both == 0 {
		t.Fatal("no input reached the overflow: the corpus proves nothing")
	}
}
