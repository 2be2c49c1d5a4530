package main

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/scan445/scan445/internal/testpeer"
)

type junitCounts struct {
	Tests    int `xml:"tests,attr"`
	Failures int `xml:"failures,attr"`
	Errors   int `xml:"errors,attr"`
}

func readJUnit(t *testing.T, path string) (junitCounts, []byte) {
	t.Helper()
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var c junitCounts
	if err := xml.Unmarshal(raw, &c); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return c, raw
}

// TestExportsAndJUnitDefault scans an infected host, a clean one and a hostile one: without
// --fail-on the JUnit report still fails the infected host and marks the hostile one (not
// checked) as an error; the DefectDojo and metrics files are written by scan and by report; an
// explicit --fail-on none is obeyed.
func TestExportsAndJUnitDefault(t *testing.T) {
	_, targets, port := startLab(t, "xp-sp3-conficker-d", "w2008-sp2", "hostile-truncated")
	dir := t.TempDir()
	p := func(name string) string { return filepath.Join(dir, name) }
	code, stdout, stderr := runCLI(t, "", "scan", targets, "--port", fmt.Sprint(port), "--timeout", "2s",
		"--json", p("r.json"), "--junit", p("j.xml"), "--defectdojo", p("dd.json"), "--metrics", p("m.prom"))
	if code != exitOK {
		t.Fatalf("exit %d without --fail-on: %s", code, stderr)
	}
	c, raw := readJUnit(t, p("j.xml"))
	if c.Failures == 0 || c.Errors == 0 || bytes.Contains(raw, []byte("<skipped")) {
		t.Errorf("JUnit without --fail-on: %+v (want failures for the infected host, errors for the hostile one, no skipped)", c)
	}
	var dd struct {
		Findings []struct {
			Title    string `json:"title"`
			Severity string `json:"severity"`
			UniqueID string `json:"unique_id_from_tool"`
		} `json:"findings"`
	}
	if b, err := os.ReadFile(p("dd.json")); err != nil || json.Unmarshal(b, &dd) != nil || len(dd.Findings) == 0 {
		t.Fatalf("DefectDojo file: %v, %d findings", err, len(dd.Findings))
	}
	if m, err := os.ReadFile(p("m.prom")); err != nil || !bytes.Contains(m, []byte(`scan445_hosts{verdict="infected"} 1`+"\n")) {
		t.Errorf("metrics file: %v\n%s", err, m)
	}

	// The console table: worst first, the hostile host says why, clear checks are left out.
	var rows []string
	for _, l := range strings.Split(stdout, "\n") {
		if strings.HasPrefix(l, "infected") || strings.HasPrefix(l, "unknown") || strings.HasPrefix(l, "error") ||
			strings.HasPrefix(l, "exposed") || strings.HasPrefix(l, "vulnerable") {
			rows = append(rows, l)
		}
	}
	if len(rows) != 3 || !strings.HasPrefix(rows[0], "infected") || !strings.HasPrefix(rows[2], "error") ||
		!strings.Contains(rows[2], "not checked:") {
		t.Errorf("console table, want one line per host, infected first, the error last with its reason:\n%s", stdout)
	}
	if strings.Contains(stdout, "=not-affected") || strings.Contains(stdout, "=patched") {
		t.Errorf("console table lists clear checks:\n%s", stdout)
	}

	// report re-renders the new formats; an explicit --fail-on none is what the user asked for.
	code, _, stderr = runCLI(t, "", "report", p("r.json"), "--junit", p("j2.xml"), "--fail-on", "none",
		"--defectdojo", p("dd2.json"), "--metrics", p("m2.prom"))
	if code != exitOK {
		t.Fatalf("report: exit %d: %s", code, stderr)
	}
	if c2, _ := readJUnit(t, p("j2.xml")); c2.Failures != 0 || c2.Errors != c.Errors {
		t.Errorf("report --fail-on none: %+v", c2)
	}
	for _, f := range []string{"dd2.json", "m2.prom"} {
		if st, err := os.Stat(p(f)); err != nil || st.Size() == 0 {
			t.Errorf("report did not write %s: %v", f, err)
		}
	}
	// SCAN445_FAIL_ON counts as setting the level.
	t.Setenv("SCAN445_FAIL_ON", "infected")
	code, _, stderr = runCLI(t, "", "scan", targets, "--port", fmt.Sprint(port), "--timeout", "2s", "--junit", p("j3.xml"), "-q")
	if code != exitFindings {
		t.Fatalf("SCAN445_FAIL_ON=infected: exit %d: %s", code, stderr)
	}
	if c3, _ := readJUnit(t, p("j3.xml")); c3.Failures == 0 || c3.Failures >= c.Failures {
		t.Errorf("JUnit at infected: %d failures, want fewer than at the default level (%d) and more than 0", c3.Failures, c.Failures)
	}
}

// TestLabReportAtPhoneAndDesktopWidth scans every lab personality (hostile names and long
// evidence included) and opens the HTML report in headless Chromium at desktop and phone
// widths: the page must fit the window (no sideways scrolling) and its script must run.
func TestLabReportAtPhoneAndDesktopWidth(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a browser")
	}
	_, targets, port := startLab(t)
	dir := t.TempDir()
	page := filepath.Join(dir, "report.html")
	code, _, stderr := runCLI(t, "", "scan", targets, "--port", fmt.Sprint(port), "--timeout", "2s", "--html", page, "-q")
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	for _, w := range []struct {
		name          string
		width, height int
	}{{"desktop", 1280, 2400}, {"phone", 390, 3000}} {
		size := fmt.Sprintf("--window-size=%d,%d", w.width, w.height)
		dom := string(testpeer.Chromium(t, size, "--virtual-time-budget=2000", "--dump-dom", "file://"+page))
		if !strings.Contains(dom, `data-js="ready"`) {
			t.Fatalf("%s: the report's script did not run", w.name)
		}
		if !strings.Contains(dom, `data-overflow="no"`) {
			t.Errorf("%s: the lab report is wider than a %d px window", w.name, w.width)
		}
		shot := filepath.Join(dir, w.name+".png")
		testpeer.Chromium(t, "--hide-scrollbars", size, "--screenshot="+shot, "file://"+page)
		if st, err := os.Stat(shot); err != nil || st.Size() < 10000 {
			t.Fatalf("%s: no screenshot: %v", w.name, err)
		}
		if dst := os.Getenv("SCAN445_SCREENSHOT_DIR"); dst != "" {
			data, _ := os.ReadFile(shot)
			_ = os.WriteFile(filepath.Join(dst, "lab-"+w.name+".png"), data, 0o644)
		}
	}
}

// A report written to stdout is all that goes there: the console table would corrupt it.
func TestReportOnStdoutStaysParseable(t *testing.T) {
	_, targets, port := startLab(t, "xp-sp2", "hostile-truncated")
	for _, flag := range []string{"--csv", "--metrics"} {
		code, stdout, stderr := runCLI(t, "", "scan", targets, "--port", fmt.Sprint(port), "--timeout", "2s", flag, "-")
		if code != exitOK {
			t.Fatalf("%s -: exit %d: %s", flag, code, stderr)
		}
		if strings.Contains(stdout, "VERDICT") || strings.Contains(stdout, "targets scanned") {
			t.Errorf("%s -: the console table went to stdout too:\n%s", flag, stdout)
		}
	}
	code, stdout, _ := runCLI(t, "", "scan", targets, "--port", fmt.Sprint(port), "--timeout", "2s", "--csv", "-")
	if _, err := csv.NewReader(strings.NewReader(stdout)).ReadAll(); code != exitOK || err != nil {
		t.Errorf("--csv - does not parse as CSV: %v", err)
	}
}
