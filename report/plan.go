package report

import (
	"slices"
	"strings"

	"github.com/scan445/scan445/scanner"
	"github.com/scan445/scan445/smbprobe"
)

// planRow is one remediation of the plan: the fix, and every host it covers. Admins used to
// Nessus or OpenVAS work by fix, not by host × check: "install KB958644 on these 40 hosts".
type planRow struct {
	Tier     int
	TierName string
	Remedy   remedyLink
	Severity smbprobe.Severity // the worst among the findings it fixes
	Verdicts []verdictCount    // how many hosts per verdict, worst first
	CVEs     []string
	Checks   []string
	Hosts    []planHost
	New      int // hosts with a finding new against the baseline
	order    int // catalogue position, for ties
}

type verdictCount struct {
	Verdict smbprobe.Verdict
	N       int
}

// planHost is one host under a remediation, linking to the finding that asks for it.
type planHost struct {
	Anchor  string // the finding in the host details
	Host    string
	Name    string
	Verdict smbprobe.Verdict
	Checks  string
	New     bool
	h       *scanner.HostResult
}

// remedyPosition is an id's place in the catalogue (unknown ids last).
func remedyPosition(id string) int {
	all := Remedies()
	for i, r := range all {
		if r.ID == id {
			return i
		}
	}
	return len(all)
}

// buildPlan groups the actionable findings by remediation id (a finding with several ids, such
// as an infection, appears under each). anchors maps each finding to its place in the page.
func buildPlan(doc *Document, anchors map[*smbprobe.Finding]string) []planRow {
	rows := map[string]*planRow{}
	var keys []string
	hostAt := map[string]map[string]int{} // row key → host key → index in row.Hosts
	for _, it := range prioritised(doc) {
		f := it.f
		ids := f.Remediation
		if len(ids) == 0 {
			// A finding without a catalogue entry still needs doing: its own row.
			ids = []string{"finding:" + f.Check}
		}
		for _, id := range ids {
			r := rows[id]
			if r == nil {
				link := remedyLinks([]string{id})[0]
				if rest, ok := strings.CutPrefix(id, "finding:"); ok {
					link = remedyLink{ID: id, Title: f.Title + " (" + rest + ")"}
				}
				r = &planRow{Tier: tier(f), Remedy: link, Severity: f.Severity, order: remedyPosition(id)}
				rows[id] = r
				keys = append(keys, id)
				hostAt[id] = map[string]int{}
			}
			r.Tier = min(r.Tier, tier(f))
			if severityRank(f.Severity) < severityRank(r.Severity) {
				r.Severity = f.Severity
			}
			for _, c := range f.CVE {
				if !slices.Contains(r.CVEs, c) {
					r.CVEs = append(r.CVEs, c)
				}
			}
			if !slices.Contains(r.Checks, f.Check) {
				r.Checks = append(r.Checks, f.Check)
			}
			k := hostKey(it.h.Address)
			if i, ok := hostAt[id][k]; ok {
				ph := &r.Hosts[i]
				if VerdictRank(f.Verdict) < VerdictRank(ph.Verdict) {
					ph.Verdict, ph.Anchor = f.Verdict, anchors[f]
				}
				ph.Checks += ", " + f.Check
				ph.New = ph.New || f.Baseline == BaselineNew
				continue
			}
			hostAt[id][k] = len(r.Hosts)
			r.Hosts = append(r.Hosts, planHost{Anchor: anchors[f], Host: hostLabel(it.h.Address, it.h.Port), Name: hostName(*it.h), Verdict: f.Verdict,
				Checks: f.Check, New: f.Baseline == BaselineNew, h: it.h})
		}
	}
	out := make([]planRow, 0, len(keys))
	for _, id := range keys {
		r := rows[id]
		r.TierName = tierName(r.Tier)
		slices.SortStableFunc(r.Hosts, func(a, b planHost) int {
			if d := VerdictRank(a.Verdict) - VerdictRank(b.Verdict); d != 0 {
				return d
			}
			return compareHosts(a.h.Address, a.h.Port, b.h.Address, b.h.Port)
		})
		counts := map[smbprobe.Verdict]int{}
		for _, h := range r.Hosts {
			counts[h.Verdict]++
			if h.New {
				r.New++
			}
		}
		for _, v := range Verdicts() {
			if counts[v] > 0 {
				r.Verdicts = append(r.Verdicts, verdictCount{v, counts[v]})
			}
		}
		out = append(out, *r)
	}
	slices.SortStableFunc(out, func(a, b planRow) int {
		if d := a.Tier - b.Tier; d != 0 {
			return d
		}
		if d := severityRank(a.Severity) - severityRank(b.Severity); d != 0 {
			return d
		}
		return a.order - b.order
	})
	return out
}
