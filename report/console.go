package report

import (
	"fmt"
	"io"
	"slices"
	"sort"
	"strconv"
	"strings"
	"text/tabwriter"

	"github.com/scan445/scan445/scanner"
	"github.com/scan445/scan445/smbprobe"
)

// HostLine is one host of the console summary: its headline verdict, who it is, the findings
// worth reading and, when the host could not be checked, why.
type HostLine struct {
	Verdict  smbprobe.Verdict
	Address  string
	Port     int
	Name     string
	OS       string
	Findings []string // "check=verdict", worst first; clear verdicts and P2P silence left out
	Reason   string   // why the host, or part of it, could not be checked
	severity int
	h        *scanner.HostResult
}

// HostLines is the console table: one line per host that answered or failed, worst verdict
// first, then by severity, then address. Closed and filtered addresses are left out (the
// summary line counts them).
func HostLines(doc *Document) []HostLine {
	var out []HostLine
	for i := range doc.Hosts {
		h := &doc.Hosts[i]
		if h.SMB == nil && h.Status != scanner.StatusError {
			continue
		}
		l := HostLine{Verdict: WorstVerdict(h), Address: h.Address, Port: h.Port, Name: hostName(*h), severity: severityRank(""), h: h}
		if h.Status == scanner.StatusError {
			l.Verdict, l.Reason = smbprobe.Error, h.Error
		}
		if h.SMB != nil {
			fp := h.SMB.Fingerprint
			l.OS = fp.OS
			if l.OS == "" {
				l.OS = fp.NativeOS
			}
			if h.SMB.Error != "" {
				l.Reason = h.SMB.Error
			}
			fs := slices.Clone(h.SMB.Findings)
			slices.SortStableFunc(fs, func(a, b smbprobe.Finding) int {
				if d := VerdictRank(a.Verdict) - VerdictRank(b.Verdict); d != 0 {
					return d
				}
				return severityRank(a.Severity) - severityRank(b.Severity)
			})
			for _, f := range fs {
				if VerdictClass(f.Verdict) == classClear || f.Rule == noP2PSignalRule {
					continue
				}
				if l.Reason != "" && Undetermined(f.Verdict) {
					continue // the reason says why, once
				}
				l.Findings = append(l.Findings, f.Check+"="+string(f.Verdict))
				if Actionable(f.Verdict) {
					l.severity = min(l.severity, severityRank(f.Severity))
				}
			}
		}
		if l.Verdict == "" {
			l.Verdict = "-" // no infection or vulnerability check ran (compliance checks only, or none)
		}
		out = append(out, l)
	}
	slices.SortStableFunc(out, func(a, b HostLine) int {
		if d := VerdictRank(a.Verdict) - VerdictRank(b.Verdict); d != 0 {
			return d
		}
		if d := a.severity - b.severity; d != 0 {
			return d
		}
		return compareHosts(a.h.Address, a.h.Port, b.h.Address, b.h.Port)
	})
	return out
}

// WriteConsole is the human view of a finished scan (on stdout when no report goes there): a
// summary line, the HostLines table, the findings by verdict, the credentialed check's
// coverage and why the scan is incomplete. Wire strings pass through TermSafe.
func WriteConsole(w io.Writer, doc *Document) error {
	var b strings.Builder
	s := doc.Summary
	state := "complete"
	if !doc.Complete {
		state = "INCOMPLETE"
	}
	fmt.Fprintf(&b, "scan445: %d of %d targets scanned (%s), %d with port open\n",
		s.Scanned, s.Targets, state, s.Statuses[string(scanner.StatusOpen)])
	// One line per host, worst first; clear checks are left out, a host that could not be
	// checked says why.
	tw := tabwriter.NewWriter(&b, 0, 0, 2, ' ', 0)
	for i, l := range HostLines(doc) {
		if i == 0 {
			fmt.Fprintln(tw, "VERDICT\tHOST\tNAME\tOS\tFINDINGS")
		}
		host := l.Address
		if l.Port != 445 { // a host found on 139 says so
			host += ":" + strconv.Itoa(l.Port)
		}
		osName := l.OS
		if osName == "" {
			osName = "unknown"
		}
		detail := strings.Join(l.Findings, " ")
		if l.Reason != "" {
			detail = strings.TrimSpace(detail + " — not checked: " + capRunes(l.Reason, 120))
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", l.Verdict, TermSafe(host), TermSafe(l.Name), TermSafe(osName), TermSafe(detail))
	}
	tw.Flush()
	var verdicts []string
	for v, n := range s.Verdicts {
		verdicts = append(verdicts, fmt.Sprintf("%s=%d", v, n))
	}
	sort.Strings(verdicts)
	if len(verdicts) > 0 {
		fmt.Fprintf(&b, "findings: %s\n", strings.Join(verdicts, " "))
	}
	if doc.Options["credentialed_as"] != "" {
		verified, still := CredentialedCoverage(doc)
		fmt.Fprintf(&b, "credentialed MS08-067 check as %s: %d hosts verified (netapi32.dll read), %d stayed exposed",
			TermSafe(doc.Options["credentialed_as"]), len(verified), len(still))
		if len(still) > 0 {
			fmt.Fprintf(&b, ": %s", TermSafe(strings.Join(still, " ")))
		}
		b.WriteByte('\n')
	}
	if doc.Interrupted != "" {
		fmt.Fprintf(&b, "note: %s\n", TermSafe(doc.Interrupted))
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// capRunes caps s at max runes, marking the cut with an ellipsis (a table cell).
func capRunes(s string, max int) string {
	if r := []rune(s); len(r) > max {
		return string(r[:max-1]) + "…"
	}
	return s
}
