package report

import (
	"slices"

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
				name := f.Check
				if f.Subject != "" {
					name += "(" + f.Subject + ")" // which account, for a per-account finding
				}
				l.Findings = append(l.Findings, name+"="+string(f.Verdict))
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
