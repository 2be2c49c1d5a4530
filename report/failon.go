package report

import (
	"fmt"

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
