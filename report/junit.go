package report

import (
	"encoding/xml"
	"fmt"
	"io"
	"strings"

	"github.com/scan445/scan445/scanner"
	"github.com/scan445/scan445/smbprobe"
)

// JUnit XML, the dialect Jenkins, GitLab and GitHub test reporters read (the common schema:
// testsuites > testsuite > testcase with failure, error, system-out).
type junitSuites struct {
	XMLName  xml.Name     `xml:"testsuites"`
	Name     string       `xml:"name,attr"`
	Tests    int          `xml:"tests,attr"`
	Failures int          `xml:"failures,attr"`
	Errors   int          `xml:"errors,attr"`
	Suites   []junitSuite `xml:"testsuite"`
}

type junitSuite struct {
	Name      string      `xml:"name,attr"`
	Tests     int         `xml:"tests,attr"`
	Failures  int         `xml:"failures,attr"`
	Errors    int         `xml:"errors,attr"`
	Timestamp string      `xml:"timestamp,attr,omitempty"`
	Time      string      `xml:"time,attr"`
	Cases     []junitCase `xml:"testcase"`
}

type junitCase struct {
	Name      string        `xml:"name,attr"`
	ClassName string        `xml:"classname,attr"`
	Time      string        `xml:"time,attr"`
	Failure   *junitMessage `xml:"failure,omitempty"`
	Error     *junitMessage `xml:"error,omitempty"`
	SystemOut string        `xml:"system-out,omitempty"`
}

type junitMessage struct {
	Message string `xml:"message,attr"`
	Type    string `xml:"type,attr,omitempty"`
	Text    string `xml:",chardata"`
}

// JUnitDefaultLevel is the level a JUnit report fails at when the run set none: a JUnit file
// is read by a CI job, and a job that shows green on a network with infected or unpatched hosts
// is wrong. Infected, vulnerable and exposed findings fail; compliance findings do not.
const JUnitDefaultLevel = FailOnExposed

// WriteJUnit writes one testsuite per host and one testcase per host × check. A check fails
// when one of its findings reaches level ("" means JUnitDefaultLevel). A check that could not
// decide (unknown, error) and a host whose port answered but could not be probed are <error>:
// the host was not checked, which a CI job must see, and which is not a pass.
func WriteJUnit(w io.Writer, doc *Document, level FailOn) error {
	if level == "" {
		level = JUnitDefaultLevel
	}
	out := junitSuites{Name: "scan445"}
	for i := range doc.Hosts {
		h := &doc.Hosts[i]
		cases := junitHostCases(h, level)
		if len(cases) == 0 {
			continue
		}
		s := junitSuite{
			Name: xmlSafe(hostLabel(h.Address, h.Port)),
			Time: seconds(h.TotalMS),
		}
		if !h.Started.IsZero() {
			s.Timestamp = h.Started.UTC().Format("2006-01-02T15:04:05")
		}
		class := xmlSafe("scan445." + strings.ReplaceAll(hostLabel(h.Address, h.Port), ".", "_"))
		for _, c := range cases {
			c.ClassName = class
			s.Tests++
			switch {
			case c.Failure != nil:
				s.Failures++
			case c.Error != nil:
				s.Errors++
			}
			s.Cases = append(s.Cases, c)
		}
		out.Tests += s.Tests
		out.Failures += s.Failures
		out.Errors += s.Errors
		out.Suites = append(out.Suites, s)
	}
	if _, err := io.WriteString(w, xml.Header); err != nil {
		return err
	}
	enc := xml.NewEncoder(w)
	enc.Indent("", "  ")
	if err := enc.Encode(out); err != nil {
		return fmt.Errorf("report: junit: %w", err)
	}
	if err := enc.Close(); err != nil {
		return fmt.Errorf("report: junit: %w", err)
	}
	_, err := io.WriteString(w, "\n")
	return err
}

// junitHostCases are the test cases of one host: one per check, or one "probe" error when the
// port answered but no check could run. Closed and filtered addresses have no cases (there is
// nothing to check there); an address the sweep itself failed on is an error.
func junitHostCases(h *scanner.HostResult, level FailOn) []junitCase {
	if h.SMB == nil || len(h.SMB.Findings) == 0 {
		reason := ""
		switch {
		case h.SMB == nil && h.Status == scanner.StatusError:
			reason = h.Error
		case h.SMB != nil:
			reason = h.SMB.Error
		}
		if reason == "" && h.Status == scanner.StatusError {
			reason = "the host could not be checked"
		}
		if reason == "" {
			return nil
		}
		return []junitCase{{Name: "probe", Time: "0", Error: &junitMessage{
			Message: xmlSafe(oneLine("not checked: "+reason, 300)), Type: xmlSafe(string(h.Status)), Text: xmlSafe(reason)}}}
	}
	// Group by check, keeping the prober's order.
	var order []string
	byCheck := map[string][]*smbprobe.Finding{}
	for j := range h.SMB.Findings {
		f := &h.SMB.Findings[j]
		if _, ok := byCheck[f.Check]; !ok {
			order = append(order, f.Check)
		}
		byCheck[f.Check] = append(byCheck[f.Check], f)
	}
	cases := make([]junitCase, 0, len(order))
	for _, check := range order {
		cases = append(cases, junitCaseFor(h.SMB, check, byCheck[check], level))
	}
	return cases
}

func junitCaseFor(r *smbprobe.Result, check string, fs []*smbprobe.Finding, level FailOn) junitCase {
	c := junitCase{Name: xmlSafe(check), Time: "0"}
	var fail, undecided []*smbprobe.Finding
	for _, f := range fs {
		switch {
		case level.Matches(*f):
			fail = append(fail, f)
		case Undetermined(f.Verdict) && f.Rule != noP2PSignalRule:
			// Silence on the Conficker P2P ports is the expected answer of a clean host.
			undecided = append(undecided, f)
		}
	}
	var out []string
	for _, f := range fs {
		out = append(out, fmt.Sprintf("%s: %s (%s) — %s", f.ID, f.Verdict, f.Rule, f.Reason))
	}
	c.SystemOut = xmlSafe(strings.Join(out, "\n"))
	switch {
	case len(fail) > 0:
		f := fail[0]
		c.Failure = &junitMessage{
			Message: xmlSafe(oneLine(fmt.Sprintf("%s: %s (%s)", f.Verdict, f.Title, f.Severity), 300)),
			Type:    xmlSafe(string(f.Verdict)),
			Text:    xmlSafe(failureText(r, fail)),
		}
	case len(undecided) > 0 && len(undecided) == len(fs):
		f := undecided[0]
		c.Error = &junitMessage{
			Message: xmlSafe(oneLine(fmt.Sprintf("not checked: %s: %s", f.Verdict, f.Reason), 300)),
			Type:    xmlSafe(string(f.Verdict)),
			Text:    xmlSafe(failureText(r, undecided)),
		}
	}
	return c
}

func failureText(r *smbprobe.Result, fs []*smbprobe.Finding) string {
	var b strings.Builder
	for _, f := range fs {
		fmt.Fprintf(&b, "%s %s", f.ID, f.Title)
		if len(f.CVE) > 0 {
			fmt.Fprintf(&b, " (%s)", strings.Join(f.CVE, ", "))
		}
		fmt.Fprintf(&b, "\n%s\n", f.Reason)
		if ev := evidenceText(r, *f); ev != "" {
			b.WriteString(ev + "\n")
		}
		if len(f.Remediation) > 0 {
			fmt.Fprintf(&b, "remediation: %s\n", strings.Join(f.Remediation, ", "))
		}
	}
	return b.String()
}

func seconds(ms int64) string {
	return fmt.Sprintf("%.3f", float64(ms)/1000)
}

// xmlSafe drops what XML 1.0 cannot carry at all (most C0 controls), which encoding/xml would
// otherwise write as U+FFFD in text but reject nowhere consistently.
func xmlSafe(s string) string {
	return strings.Map(func(r rune) rune {
		switch {
		case r == '\t' || r == '\n' || r == '\r':
			return r
		case r < 0x20, r == 0xFFFE, r == 0xFFFF, r >= 0xD800 && r <= 0xDFFF:
			return '\uFFFD'
		}
		return r
	}, strings.ToValidUTF8(s, "\uFFFD"))
}
