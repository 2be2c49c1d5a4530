package report

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/scan445/scan445/scanner"
	"github.com/scan445/scan445/smbprobe"
)

// watchDoc is a watch report as `scan445 watch` writes it, with a hostile exploit path and a
// hostile source name (a loaded report's strings are attacker-controlled too).
func watchDoc(start time.Time, hostile string) *Document {
	first := start.Add(90 * time.Minute)
	src := SensorSource{Address: "10.0.0.66", Attempts: 5400, First: first, Last: first.Add(time.Hour),
		Distinct: 5300, PeakWindowDistinct: 900, DarkDistinct: 40, DarkAttempts: 41, PerMinute: 90,
		PeakMinute: 120, Pattern: "random", Steps: 5299, SequentialSteps: 2, Exploits: 1, Verdict: "infected"}
	hostileSrc := src
	hostileSrc.Address, hostileSrc.Verdict, hostileSrc.Exploits = hostile, "", 0
	doc := &Document{
		Kind: KindWatch, Version: "test", Started: start, Finished: start.Add(4 * time.Hour), Complete: true,
		Sensor: &SensorStats{
			Listen: []string{"10.0.0.250:445", hostile}, Dark: []string{"10.0.0.240/28"},
			Thresholds: map[string]string{"window": "10m0s"}, Attempts: 5500, Connections: 12, Sources: 3, SourcesExact: true,
			Tracked: 3, Hours: []SensorHour{
				{Start: start, Attempts: 10, Sources: 2},
				{Start: start.Add(time.Hour), Attempts: 2400, Sources: 3},
				{Start: start.Add(3 * time.Hour), Attempts: 3090, Sources: 3},
			},
			SourceDetail: []SensorSource{src, hostileSrc},
		},
		Hosts: []scanner.HostResult{{Address: "10.0.0.66", Status: scanner.StatusOpen, Attempts: 5400, Started: first, SMB: &smbprobe.Result{
			Findings: []smbprobe.Finding{
				{Check: "conficker-scanning", Category: smbprobe.CategoryInfection, Title: "Scans TCP/445 like Conficker", Class: smbprobe.ClassSafe,
					Verdict: smbprobe.Infected, Severity: smbprobe.SeverityCritical, Rule: "conficker-scanning/distinct", Reason: "900 distinct", Evidence: []int{0},
					Remediation: []string{smbprobe.RemedyConfickerClean}},
				{Check: "ms08-067-exploit-attempt", Category: smbprobe.CategoryInfection, Title: "Sent an MS08-067 exploit path", CVE: []string{"CVE-2008-4250"},
					Class: smbprobe.ClassSafe, Verdict: smbprobe.Infected, Severity: smbprobe.SeverityCritical, Rule: "ms08-067-exploit-attempt/model-reaches",
					Reason: "path " + hostile, Evidence: []int{1}, Remediation: []string{smbprobe.RemedyKB958644}},
			},
			Exchanges: []smbprobe.Exchange{
				{Step: "sensor.observed", Class: smbprobe.ClassSafe, Request: "nothing sent", Status: "observed", Response: "5400 attempts"},
				{Step: "srvsvc.NetprPathCanonicalize", Class: smbprobe.ClassSafe, Request: "PathName=" + hostile, SentHex: "5c002e002e00", Status: "WERROR 0x0000007B"},
			},
		}}},
	}
	Finalize(doc)
	return doc
}

const hostileName = `<img src=x onerror=alert(1)>"'&`

// TestWatchHTML: a watch report's page carries the chart (a bar per hour, gaps as zero bars,
// the sources line), the sources table, and escapes every hostile string.
func TestWatchHTML(t *testing.T) {
	start := time.Date(2026, 12, 3, 8, 0, 0, 0, time.UTC)
	var b bytes.Buffer
	if err := WriteHTML(&b, watchDoc(start, hostileName)); err != nil {
		t.Fatal(err)
	}
	page := b.String()
	for _, want := range []string{
		"scan445 watch report", `id="sensor"`, `aria-label="Attempts and sources per hour"`, "<polyline points=",
		"2026-12-03 09:00 UTC: 2400 attempts, 3 sources", "2026-12-03 10:00 UTC: 0 attempts, 0 sources",
		"2026-12-03 11:00 UTC: 3090 attempts, 3 sources", "<code>10.0.0.66</code>", "ms08-067-exploit-attempt",
		"Connections served", "sources (verdict unknown)",
	} {
		if !strings.Contains(page, want) {
			t.Errorf("page lacks %q", want)
		}
	}
	if n := strings.Count(page, "<rect x=") - strings.Count(page, `width="12" height="12"`); n < 4 {
		t.Errorf("%d bars, want at least the 4 hours", n)
	}
	if strings.Contains(page, "10.0.0.66:0") {
		t.Error("a source is shown with port 0")
	}
	if strings.Contains(page, "Exposure per network") || strings.Contains(page, "Hosts swept") {
		t.Error("a watch report shows the scan's cards or network chart")
	}
	if strings.Contains(page, "<img src=x") || strings.Contains(page, "onerror=alert(1)>") {
		t.Error("a hostile string reached the page unescaped")
	}
	if !strings.Contains(page, "&lt;img src=x onerror=alert(1)&gt;") {
		t.Error("the hostile string is not shown escaped")
	}
	// A scan report has no sensor section.
	b.Reset()
	scan := watchDoc(start, "x")
	scan.Kind, scan.Sensor = "", nil
	if err := WriteHTML(&b, scan); err != nil || strings.Contains(b.String(), `id="sensor"`) {
		t.Errorf("scan report with a sensor section (%v)", err)
	}
}

// TestWatchSchemaAndMerge: a watch report validates against schema.json, survives a JSON round
// trip, and two sensors' reports merge into one watch report whose hours add up.
func TestWatchSchemaAndMerge(t *testing.T) {
	start := time.Date(2026, 12, 3, 8, 0, 0, 0, time.UTC)
	a, b := watchDoc(start, "a"), watchDoc(start.Add(time.Hour), "b")
	b.Hosts[0].Address = "10.0.0.67"
	for _, d := range []*Document{a, b} {
		var buf bytes.Buffer
		if err := WriteJSON(&buf, d); err != nil {
			t.Fatal(err)
		}
		if errs := Validate(buf.Bytes()); len(errs) != 0 {
			t.Fatalf("schema: %v", errs)
		}
		back, err := Load(&buf)
		if err != nil || back.Kind != KindWatch || back.Sensor == nil || len(back.Sensor.Hours) != 3 {
			t.Fatalf("round trip: %v %+v", err, back)
		}
	}
	m, err := Merge(a, b)
	if err != nil {
		t.Fatal(err)
	}
	if m.Kind != KindWatch || m.Sensor.Attempts != 11000 || len(m.Hosts) != 2 || len(m.Sensor.SourceDetail) != 4 {
		t.Fatalf("merged: kind %q attempts %d hosts %d", m.Kind, m.Sensor.Attempts, len(m.Hosts))
	}
	var h9 SensorHour
	for _, h := range m.Sensor.Hours {
		if h.Start.Equal(start.Add(time.Hour)) {
			h9 = h
		}
	}
	if h9.Attempts != 2410 || len(m.Sensor.Hours) != 5 {
		t.Errorf("merged hours %+v", m.Sensor.Hours)
	}
	js, _ := json.Marshal(m)
	if errs := Validate(js); len(errs) != 0 {
		t.Errorf("merged schema: %v", errs)
	}
	// A scan merged with a watch report says so.
	scan := watchDoc(start, "c")
	scan.Kind, scan.Sensor = "", nil
	m, err = Merge(scan, a)
	if err != nil || m.Kind != KindWatch || !strings.Contains(strings.Join(m.Warnings, "\n"), "is a watch report, document 1 a scan report") {
		t.Errorf("scan+watch merge: %v kind %q warnings %v", err, m.Kind, m.Warnings)
	}
}

// TestSensorAxis: axis tops hold the maximum in 4 whole, round intervals.
func TestSensorAxis(t *testing.T) {
	for _, tc := range []struct{ n, top, step int64 }{
		{0, 4, 1}, {1, 4, 1}, {4, 4, 1}, {5, 8, 2}, {6, 8, 2}, {9, 20, 5}, {20, 20, 5}, {21, 40, 10}, {5400, 8000, 2000},
	} {
		if top, step := axisTop(tc.n); top != tc.top || step != tc.step || top < tc.n {
			t.Errorf("axisTop(%d) = %d, %d; want %d, %d", tc.n, top, step, tc.top, tc.step)
		}
	}
}

// TestWatchTicketsOnePerSource: a source with two findings is one ticket (its most urgent
// finding, the other named in the description), in the JSON Lines tickets and in Jira's CSV.
func TestWatchTicketsOnePerSource(t *testing.T) {
	doc := watchDoc(time.Date(2026, 12, 3, 8, 0, 0, 0, time.UTC), hostileName)
	ts := Tickets(doc)
	if len(ts) != 1 {
		t.Fatalf("%d tickets, want 1 per source: %+v", len(ts), ts)
	}
	other := "ms08-067-exploit-attempt"
	if ts[0].Check == other {
		other = "conficker-scanning"
	}
	if !strings.Contains(ts[0].Description, "Also seen from this source") || !strings.Contains(ts[0].Description, mdEscape(other)) {
		t.Errorf("description does not name %s:\n%s", other, ts[0].Description)
	}
	if strings.Contains(ts[0].Description, hostileName) {
		t.Errorf("hostile reason not escaped:\n%s", ts[0].Description)
	}
	var b bytes.Buffer
	if err := WriteJiraCSV(&b, doc, JiraOptions{}); err != nil {
		t.Fatal(err)
	}
	if rows := strings.Count(b.String(), "10.0.0.66"); rows == 0 {
		t.Fatalf("jira csv has no row for the source:\n%s", b.String())
	}
	scan := *doc
	scan.Kind = ""
	if n := len(Tickets(&scan)); n != 2 {
		t.Errorf("a scan report keeps one ticket per finding: %d, want 2", n)
	}
}
