package report

import (
	"encoding/xml"
	"fmt"
	"io"
	"strings"

	"github.com/scan445/scan445/smbprobe"
)

// JUnit XML, the dialect Jenkins, GitLab and GitHub test reporters read.
type junitSuites struct {
	XMLName  xml.Name     `xml:"testsuites"`
	Name     string       `xml:"name,attr"`
	Tests    int          `xml:"tests,attr"`
	Failures int          `xml:"failures,attr"`
	Skipped  int          `xml:"skipped,attr"`
	Suites   []junitSuite `xml:"testsuite"`
}

type junitSuite struct {
	Name      string      `xml:"name,attr"`
	Tests     int         `xml:"tests,attr"`
	Failures  int         `xml:"failures,attr"`
	Skipped   int         `xml:"skipped,attr"`
	Timestamp string      `xml:"timestamp,attr,omitempty"`
	Time      string      `xml:"time,attr"`
	Cases     []junitCase `xml:"testcase"`
}

type junitCase struct {
	Name      string        `xml:"name,attr"`
	ClassName string        `xml:"classname,attr"`
	Time      string        `xml:"time,attr"`
	Failure   *junitMessage `xml:"failure,omitempty"`
	Skipped   *junitMessage `xml:"skipped,omitempty"`
	SystemOut string        `xml:"system-out,omitempty"`
}

type junitMessage struct {
	Message string `xml:"message,attr"`
	Type    string `xml:"type,attr,omitempty"`
	Text    string `xml:",chardata"`
}

// WriteJUnit writes one testsuite per scanned host and one testcase per host × check. A check
// fails when one of its findings reaches level; unknown and error verdicts are skipped with
// their reason (the check did not decide, which is neither a pass nor a failure).
func WriteJUnit(w io.Writer, doc *Document, level FailOn) error {
	out := junitSuites{Name: "scan445"}
	for i := range doc.Hosts {
		h := &doc.Hosts[i]
		if h.SMB == nil || len(h.SMB.Findings) == 0 {
			continue
		}
		s := junitSuite{
			Name: xmlSafe(hostKey(h.Address, h.Port)),
			Time: seconds(h.TotalMS),
		}
		if !h.Started.IsZero() {
			s.Timestamp = h.Started.UTC().Format("2006-01-02T15:04:05")
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
		for _, check := range order {
			c := junitCaseFor(h.SMB, check, byCheck[check], level)
			c.ClassName = xmlSafe("scan445." + strings.ReplaceAll(hostKey(h.Address, h.Port), ".", "_"))
			s.Tests++
			switch {
			case c.Failure != nil:
				s.Failures++
			case c.Skipped != nil:
				s.Skipped++
			}
			s.Cases = append(s.Cases, c)
		}
		out.Tests += s.Tests
		out.Failures += s.Failures
		out.Skipped += s.Skipped
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

func junitCaseFor(r *smbprobe.Result, check string, fs []*smbprobe.Finding, level FailOn) junitCase {
	c := junitCase{Name: xmlSafe(check), Time: "0"}
	var fail, skip []*smbprobe.Finding
	for _, f := range fs {
		switch {
		case level.Matches(*f):
			fail = append(fail, f)
		case VerdictClass(f.Verdict) == classUndetermined:
			skip = append(skip, f)
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
			Type:    string(f.Verdict),
			Text:    xmlSafe(failureText(r, fail)),
		}
	case len(skip) > 0 && len(skip) == len(fs):
		f := skip[0]
		c.Skipped = &junitMessage{Message: xmlSafe(oneLine(fmt.Sprintf("%s: %s", f.Verdict, f.Reason), 300))}
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
