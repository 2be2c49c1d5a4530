package report

import (
	"cmp"
	"fmt"
	"slices"
	"strings"

	"github.com/scan445/scan445/scanner"

	"github.com/scan445/scan445/smbprobe"
)

// FailOn is the threshold a CI job gates on.
type FailOn string

const (
	FailOnInfected   FailOn = "infected"   // any infected finding
	FailOnVulnerable FailOn = "vulnerable" // infected or vulnerable
	FailOnExposed    FailOn = "exposed"    // infected, vulnerable or exposed
	FailOnAny        FailOn = "any"        // as exposed, but compliance findings count too
	FailOnNone       FailOn = "none"       // never fail
)

// FailOnLevels lists the levels in order of strictness, for help texts.
func FailOnLevels() []FailOn {
	return []FailOn{FailOnInfected, FailOnVulnerable, FailOnExposed, FailOnAny, FailOnNone}
}

// ParseFailOn validates a level given on the command line.
func ParseFailOn(s string) (FailOn, error) {
	for _, l := range FailOnLevels() {
		if string(l) == s {
			return l, nil
		}
	}
	return "", fmt.Errorf("%w: %q (want infected, vulnerable, exposed, any or none)", ErrFailOn, s)
}

// Matches reports whether one finding reaches the level. Compliance findings only count at
// "any": a weak setting should not break a build that gates on worms and missing patches.
func (l FailOn) Matches(f smbprobe.Finding) bool {
	if !Actionable(f.Verdict) {
		return false
	}
	if f.Category == smbprobe.CategoryCompliance {
		return l == FailOnAny
	}
	switch l {
	case FailOnInfected:
		return f.Verdict == smbprobe.Infected
	case FailOnVulnerable:
		return f.Verdict == smbprobe.Infected || f.Verdict == smbprobe.Vulnerable
	case FailOnExposed, FailOnAny:
		return true
	default:
		return false
	}
}

// Exceeds reports whether any finding in the Document reaches the level.
func Exceeds(doc *Document, level FailOn) bool {
	return exceeds(doc, level, false)
}

// ExceedsNew is Exceeds restricted to findings a baseline did not already contain, for CI jobs
// that accept known debt but refuse regressions. Without a baseline it equals Exceeds.
func ExceedsNew(doc *Document, level FailOn) bool {
	return exceeds(doc, level, true)
}

func exceeds(doc *Document, level FailOn, onlyNew bool) bool {
	if doc == nil {
		return false
	}
	for _, h := range doc.Hosts {
		if h.SMB == nil {
			continue
		}
		for _, f := range h.SMB.Findings {
			if onlyNew && f.Baseline == BaselineUnchanged {
				continue
			}
			if level.Matches(f) {
				return true
			}
		}
	}
	return false
}

// DefaultUncheckedGate is what --fail-on-unknown checks when given "default": the two checks
// this tool exists for.
func DefaultUncheckedGate() []string {
	return []string{smbprobe.CheckMS08067, smbprobe.CheckConficker}
}

// ParseUncheckedGate reads a --fail-on-unknown value: "" (off), "default", or check ids.
func ParseUncheckedGate(spec string) ([]string, error) {
	spec = strings.TrimSpace(spec)
	switch spec {
	case "", "none":
		return nil, nil
	case "default":
		return DefaultUncheckedGate(), nil
	}
	known := map[string]bool{}
	for _, c := range smbprobe.Checks() {
		known[c.ID] = true
	}
	var out []string
	for _, part := range strings.Split(spec, ",") {
		id := strings.ToLower(strings.TrimSpace(part))
		if id == "" {
			continue
		}
		if !known[id] {
			return nil, fmt.Errorf("%w: --fail-on-unknown names %q, which is not a check (want default, none, or ids such as ms08-067,conficker)", ErrFailOn, id)
		}
		out = append(out, id)
	}
	return out, nil
}

// Unchecked lists the open hosts whose gated checks ended unknown or error, as
// "address:port check verdict: reason" lines: a compliance scan that could not judge a host
// must not pass as if it had. Closed and silent addresses are not hosts that could be judged;
// a host that answered on the port but whose probe failed is.
func Unchecked(doc *Document, checks []string) []string {
	if doc == nil || len(checks) == 0 {
		return nil
	}
	var out []string
	for _, h := range doc.Hosts {
		if h.Status != scanner.StatusOpen {
			continue
		}
		if h.SMB == nil {
			for _, c := range checks {
				out = append(out, fmt.Sprintf("%s %s: not probed (%s)", hostLabel(h.Address, h.Port), c, cmp.Or(h.Error, "no SMB result")))
			}
			continue
		}
		for _, f := range h.SMB.Findings {
			if slices.Contains(checks, f.Check) && (f.Verdict == smbprobe.Unknown || f.Verdict == smbprobe.Error) {
				out = append(out, fmt.Sprintf("%s %s %s: %s", hostLabel(h.Address, h.Port), f.Check, f.Verdict, f.Reason))
			}
		}
	}
	return out
}
