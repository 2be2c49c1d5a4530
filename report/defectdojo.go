package report

import (
	"encoding/json"
	"fmt"
	"io"
	"regexp"
	"strings"

	"github.com/scan445/scan445/smbprobe"
)

// DefectDojo's "Generic Findings Import" JSON: a test with a list of findings. Only the fields
// its documentation lists are written: the importer passes every other key of a finding
// straight to its Finding model, and an unknown one makes the whole import fail.
type ddReport struct {
	Name     string      `json:"name"`
	Type     string      `json:"type"` // the DefectDojo test type: "scan445 Scan (Generic Findings Import)"
	Version  string      `json:"version,omitempty"`
	Findings []ddFinding `json:"findings"`
}

type ddFinding struct {
	Title            string       `json:"title"`
	Severity         string       `json:"severity"` // Critical, High, Medium, Low, Info
	Description      string       `json:"description"`
	Date             string       `json:"date,omitempty"` // YYYY-MM-DD, when the scan started
	CVE              string       `json:"cve,omitempty"`  // the first CVE; all of them are in references
	Mitigation       string       `json:"mitigation,omitempty"`
	Impact           string       `json:"impact,omitempty"`
	References       string       `json:"references,omitempty"`
	Active           bool         `json:"active"`
	Verified         bool         `json:"verified"` // infected and vulnerable were observed; exposed is inferred from the OS
	DynamicFinding   bool         `json:"dynamic_finding"`
	StaticFinding    bool         `json:"static_finding"`
	Service          string       `json:"service,omitempty"`
	UniqueIDFromTool string       `json:"unique_id_from_tool"` // the finding id: stable across runs, so re-imports deduplicate
	VulnIDFromTool   string       `json:"vuln_id_from_tool"`   // the check id
	Endpoints        []ddEndpoint `json:"endpoints"`
	Tags             []string     `json:"tags,omitempty"`
}

type ddEndpoint struct {
	Host string `json:"host"`
	Port int    `json:"port"`
}

// ddSeverity maps our severities onto DefectDojo's five.
func ddSeverity(s smbprobe.Severity) string {
	return bySeverity(s, [5]string{"Critical", "High", "Medium", "Low", "Info"})
}

// cvePattern admits only well-formed CVE ids into a reference URL: the list comes from a JSON
// file that may have been tampered with.
func cvePattern() *regexp.Regexp { return regexp.MustCompile(`^CVE-[0-9]{4}-[0-9]{4,7}$`) }

// WriteDefectDojo writes the findings that need action (the ones tickets are made of, all of
// them even with a baseline: DefectDojo's re-import closes what is gone and keeps what is
// known) as a Generic Findings Import file, for the API's import-scan and reimport-scan with
// scan_type "Generic Findings Import".
func WriteDefectDojo(w io.Writer, doc *Document) error {
	rep := ddReport{Name: "scan445", Type: "scan445", Version: doc.Version, Findings: []ddFinding{}}
	date := ""
	if !doc.Started.IsZero() {
		date = doc.Started.UTC().Format("2006-01-02")
	}
	cve := cvePattern()
	for _, it := range prioritised(doc) {
		h, f := it.h, it.f
		id := f.ID
		if id == "" {
			id = FindingID(h.Address, f.Check, f.Verdict)
		}
		var refs []string
		first := ""
		for _, c := range f.CVE {
			if cve.MatchString(c) {
				refs = append(refs, "https://nvd.nist.gov/vuln/detail/"+c)
				if first == "" {
					first = c
				}
			}
		}
		tags := []string{"scan445", labelSafe(f.Check), labelSafe(string(f.Verdict)), labelSafe(string(f.Category))}
		name := hostName(*h)
		subject := h.Address
		if name != "" {
			subject += " (" + name + ")"
		}
		rep.Findings = append(rep.Findings, ddFinding{
			Title:            oneLine(fmt.Sprintf("%s: %s on %s", f.Verdict, f.Title, subject), 500),
			Severity:         ddSeverity(f.Severity),
			Description:      ticketMarkdown(h, f),
			Date:             date,
			CVE:              first,
			Mitigation:       remedyText(f.Remediation, markdown()),
			Impact:           ddImpact(f),
			References:       strings.Join(refs, "\n"),
			Active:           true,
			Verified:         f.Verdict == smbprobe.Infected || f.Verdict == smbprobe.Vulnerable,
			DynamicFinding:   true,
			Service:          "smb",
			UniqueIDFromTool: id,
			VulnIDFromTool:   oneLine(f.Check, 100),
			Endpoints:        []ddEndpoint{{Host: oneLine(h.Address, 200), Port: h.Port}},
			Tags:             tags,
		})
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	if err := enc.Encode(rep); err != nil {
		return fmt.Errorf("report: defectdojo: %w", err)
	}
	return nil
}

// ddImpact says in one sentence what the verdict means for the host.
func ddImpact(f *smbprobe.Finding) string {
	switch {
	case f.Verdict == smbprobe.Infected:
		return "The host is infected: it attacks its neighbours and must be isolated."
	case f.Category == smbprobe.CategoryCompliance:
		return "A weak setting that makes attacks on the host easier."
	case f.Verdict == smbprobe.Vulnerable:
		return "The host was verified to lack the security update."
	}
	return "The host runs an affected version; its patch state could not be verified from the network."
}
