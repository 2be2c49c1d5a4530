package report

import (
	"fmt"
	"strings"

	"github.com/scan445/scan445/scanner"
	"github.com/scan445/scan445/smbprobe"
)

// verdictInfo is everything the reports need to know about one verdict word.
type verdictInfo struct {
	Verdict smbprobe.Verdict
	// Class is what a finding id depends on: the actionable verdicts are their own class, the
	// ones that clear a host share classClear, the undecided ones classUndetermined.
	Class string
	// Color is the chart and badge colour.
	Color string
}

// verdictTable is the one place that knows the verdict words: worst first (the display order
// of every report), with their id class and colour. A new verdict word is one line here; the
// HTML badges, charts, console table, JUnit, metrics and exports all derive from it. Words not
// in the table (a newer producer, a tampered file) sort last, count as undetermined and are grey.
func verdictTable() []verdictInfo {
	return []verdictInfo{
		{smbprobe.Infected, string(smbprobe.Infected), "#6a1b9a"},
		{smbprobe.Vulnerable, string(smbprobe.Vulnerable), "#c62828"},
		{smbprobe.Exposed, string(smbprobe.Exposed), "#ef6c00"},
		{smbprobe.Unknown, classUndetermined, "#9e9e9e"},
		{smbprobe.Error, classUndetermined, "#616161"},
		// Silence of a check that can only see a positive: nothing to act on, nothing to
		// chase, and no proof of health either.
		{smbprobe.NotDetected, classClear, "#546e7a"},
		{smbprobe.Patched, classClear, "#2e7d32"},
		{smbprobe.Clean, classClear, "#558b2f"},
		{smbprobe.NotAffected, classClear, "#1565c0"},
	}
}

// lookupVerdict finds a verdict in the table.
func lookupVerdict(v smbprobe.Verdict) (verdictInfo, bool) {
	for _, vi := range verdictTable() {
		if vi.Verdict == v {
			return vi, true
		}
	}
	return verdictInfo{}, false
}

// Verdicts lists the known verdict words, worst first.
func Verdicts() []smbprobe.Verdict {
	t := verdictTable()
	out := make([]smbprobe.Verdict, len(t))
	for i, vi := range t {
		out[i] = vi.Verdict
	}
	return out
}

// VerdictRank orders verdicts, worst first; unknown words rank after every known one.
func VerdictRank(v smbprobe.Verdict) int {
	for i, vi := range verdictTable() {
		if vi.Verdict == v {
			return i
		}
	}
	return len(verdictTable())
}

// verdictColor maps a verdict onto the chart palette; anything unexpected is grey, so no loaded
// string ever reaches an attribute unmapped.
func verdictColor(v smbprobe.Verdict) string {
	if vi, ok := lookupVerdict(v); ok {
		return vi.Color
	}
	return "#bdbdbd"
}

// verdictCSS is the CSS class for a verdict badge, from a closed set.
func verdictCSS(v smbprobe.Verdict) string {
	if _, ok := lookupVerdict(v); ok {
		return "v-" + string(v)
	}
	return "v-other"
}

// verdictBadgeCSS is the badge colours of the table, appended to the page's style sheet so that
// a verdict added to the table gets its badge without touching the CSS file.
func verdictBadgeCSS() string {
	var b strings.Builder
	for _, vi := range verdictTable() {
		fmt.Fprintf(&b, ".v-%s{background:%s}", vi.Verdict, vi.Color)
	}
	b.WriteString("\n")
	return b.String()
}

// Undetermined reports whether a verdict says the check did not decide (unknown, error, or a
// word this build does not know).
func Undetermined(v smbprobe.Verdict) bool { return VerdictClass(v) == classUndetermined }

// WorstVerdict is a host's headline: the worst verdict among its infection and vulnerability
// findings (compliance settings never make a host "exposed"), or "" when it has none. Every
// report (HTML, console, metrics) uses it, so they agree.
func WorstVerdict(h *scanner.HostResult) smbprobe.Verdict {
	if h.SMB == nil {
		return ""
	}
	worst := smbprobe.Verdict("")
	for _, f := range h.SMB.Findings {
		if f.Category == smbprobe.CategoryCompliance || f.Rule == noP2PSignalRule {
			// Silence on the Conficker P2P ports is what a clean host answers, not a doubt.
			continue
		}
		if worst == "" || VerdictRank(f.Verdict) < VerdictRank(worst) {
			worst = f.Verdict
		}
	}
	return worst
}
