package report

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"errors"
	"flag"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/scan445/scan445/scanner"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

// goldenDocument is the fixture with the baseline applied, so every format shows new/fixed.
func goldenDocument(t testing.TB) *Document {
	t.Helper()
	doc := fixtureDocument()
	ApplyBaseline(doc, baselineDocument())
	doc.Baseline.Source = "reports/2026-11-20.json"
	return doc
}

func render(t testing.TB, write func(io.Writer) error) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := write(&b); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func checkGolden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		gl, wl := strings.Split(string(got), "\n"), strings.Split(string(want), "\n")
		for i := 0; i < len(gl) && i < len(wl); i++ {
			if gl[i] != wl[i] {
				t.Fatalf("%s differs at line %d:\n got: %s\nwant: %s\n(run go test -update if the change is intended)", name, i+1, gl[i], wl[i])
			}
		}
		t.Fatalf("%s differs in length: got %d lines, want %d", name, len(gl), len(wl))
	}
}

func TestGolden(t *testing.T) {
	doc := goldenDocument(t)
	diff := Diff(baselineDocument(), fixtureDocument())
	cases := []struct {
		name  string
		write func(io.Writer) error
	}{
		{"report.json", func(w io.Writer) error { return WriteJSON(w, doc) }},
		{"report.html", func(w io.Writer) error { return WriteHTML(w, doc) }},
		{"report.csv", func(w io.Writer) error { return WriteCSV(w, doc, CSVOptions{}) }},
		{"report.junit.xml", func(w io.Writer) error { return WriteJUnit(w, doc, FailOnVulnerable) }},
		{"tickets.jsonl", func(w io.Writer) error { return WriteTickets(w, doc) }},
		{"jira.csv", func(w io.Writer) error { return WriteJiraCSV(w, doc, JiraOptions{}) }},
		{"diff.txt", func(w io.Writer) error { return WriteDiff(w, diff) }},
		{"defectdojo.json", func(w io.Writer) error { return WriteDefectDojo(w, doc) }},
		{"metrics.prom", func(w io.Writer) error { return WriteMetrics(w, doc) }},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			a := render(t, c.write)
			b := render(t, c.write)
			if !bytes.Equal(a, b) {
				t.Fatal("output is not deterministic")
			}
			checkGolden(t, c.name, a)
		})
	}
}

func TestJSONMatchesSchema(t *testing.T) {
	v, err := newSchemaValidator(Schema())
	if err != nil {
		t.Fatal(err)
	}
	for name, doc := range map[string]*Document{"plain": fixtureDocument(), "baseline": goldenDocument(t)} {
		out := render(t, func(w io.Writer) error { return WriteJSON(w, doc) })
		if errs := v.validate(out); len(errs) > 0 {
			t.Errorf("%s: %d schema violations:\n%s", name, len(errs), strings.Join(errs, "\n"))
		}
	}
	// The validator must be able to fail: each mutation is a mistake the schema has to catch.
	base := render(t, func(w io.Writer) error { return WriteJSON(w, fixtureDocument()) })
	mutations := []struct{ name, from, to string }{
		{"unknown top-level field", `"complete": true`, `"complete": true, "compelte": true`},
		{"bad verdict", `"verdict": "exposed"`, `"verdict": "exposd"`},
		{"bad status", `"status": "closed"`, `"status": "shut"`},
		{"string port", `"port": 445`, `"port": "445"`},
		{"negative ms", `"ms": 3`, `"ms": -3`},
		{"unknown fingerprint field", `"smb1": true`, `"smb1": true, "smb3": true`},
		{"bad schema string", `"schema": "scan445/report/v1"`, `"schema": "scan445/report/v2"`},
		{"bad time", `"started": "2026-11-27T09:00:00Z"`, `"started": "yesterday"`},
	}
	for _, m := range mutations {
		if !bytes.Contains(base, []byte(m.from)) {
			t.Fatalf("%s: fixture lacks %s", m.name, m.from)
		}
		bad := bytes.Replace(base, []byte(m.from), []byte(m.to), 1)
		if errs := v.validate(bad); len(errs) == 0 {
			t.Errorf("%s: schema accepted it", m.name)
		}
	}
}

func TestJSONRoundTrip(t *testing.T) {
	doc := goldenDocument(t)
	out := render(t, func(w io.Writer) error { return WriteJSON(w, doc) })
	back, err := Load(bytes.NewReader(out))
	if err != nil {
		t.Fatal(err)
	}
	again := render(t, func(w io.Writer) error { return WriteJSON(w, back) })
	if !bytes.Equal(out, again) {
		t.Fatal("JSON does not survive a Load/Write round trip")
	}
	Finalize(back)
	again = render(t, func(w io.Writer) error { return WriteJSON(w, back) })
	if !bytes.Equal(out, again) {
		t.Fatal("Finalize is not idempotent")
	}
}

func TestLoadSchemaVersions(t *testing.T) {
	cases := []struct {
		name, in string
		want     error
	}{
		{"v1", `{"schema":"scan445/report/v1","hosts":[]}`, nil},
		{"v1 minor", `{"schema":"scan445/report/v1.3","hosts":[],"future":1}`, nil},
		{"v2", `{"schema":"scan445/report/v2","hosts":[]}`, ErrSchema},
		{"v10", `{"schema":"scan445/report/v10"}`, ErrSchema},
		{"other tool", `{"schema":"nmap/v1"}`, ErrSchema},
		{"no schema", `{"hosts":[]}`, ErrSchema},
		{"not json", `<html>`, ErrMalformed},
		{"wrong type", `{"schema":"scan445/report/v1","hosts":{}}`, ErrMalformed},
		{"trailing", `{"schema":"scan445/report/v1"} {}`, ErrMalformed},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := Load(strings.NewReader(c.in))
			if c.want == nil && err != nil {
				t.Fatalf("unexpected error %v", err)
			}
			if c.want != nil && !errors.Is(err, c.want) {
				t.Fatalf("got %v, want %v", err, c.want)
			}
		})
	}
}

func TestCSVReadsBack(t *testing.T) {
	doc := goldenDocument(t)
	for _, bom := range []bool{false, true} {
		out := render(t, func(w io.Writer) error { return WriteCSV(w, doc, CSVOptions{BOM: bom}) })
		if got := bytes.HasPrefix(out, []byte("\ufeff")); got != bom {
			t.Fatalf("BOM present = %v, want %v", got, bom)
		}
		rows, err := csv.NewReader(bytes.NewReader(bytes.TrimPrefix(out, []byte("\ufeff")))).ReadAll()
		if err != nil {
			t.Fatal(err)
		}
		want := 0
		for _, h := range doc.Hosts {
			if h.SMB != nil {
				want += len(h.SMB.Findings)
			}
		}
		if len(rows) != want+1 {
			t.Fatalf("%d rows, want header + %d findings", len(rows), want)
		}
		if strings.Join(rows[0], ",") != strings.Join(CSVHeader(), ",") {
			t.Fatalf("header %v", rows[0])
		}
		first := doc.Hosts[0].SMB.Findings[0]
		if rows[1][0] != first.ID || rows[1][1] != doc.Hosts[0].Address || rows[1][12] != string(first.Verdict) {
			t.Fatalf("first row %v does not match the first finding", rows[1])
		}
	}
}

func TestCellSafe(t *testing.T) {
	cases := []struct{ in, want string }{
		{"=cmd|' /C calc'!A0", "'=cmd|' /C calc'!A0"},
		{"+1+1", "'+1+1"},
		{"-2+3", "'-2+3"},
		{"@SUM(A1)", "'@SUM(A1)"},
		{"\t=1", "'\t=1"},
		{"\r=1", "'\r=1"},
		{"  =1", "'  =1"},
		{"Windows 5.1", "Windows 5.1"},
		{"", ""},
		{"a=b", "a=b"},
		{"bad\xffutf8", "bad\uFFFDutf8"},
	}
	for _, c := range cases {
		if got := CellSafe(c.in); got != c.want {
			t.Errorf("CellSafe(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}

func TestTickets(t *testing.T) {
	plain := fixtureDocument()
	all := Tickets(plain)
	if len(all) != 10 {
		t.Fatalf("%d tickets without baseline, want 10 actionable findings", len(all))
	}
	if all[0].Verdict != "infected" || all[1].Verdict != "vulnerable" {
		t.Fatalf("tickets not prioritised: %s, %s", all[0].Verdict, all[1].Verdict)
	}
	withBase := Tickets(goldenDocument(t))
	// New against the baseline: the Windows 7 host's two actionable findings.
	if len(withBase) != 2 {
		t.Fatalf("%d tickets with baseline, want only the 2 new ones", len(withBase))
	}
	for _, tk := range withBase {
		if tk.Host != "10.20.2.30" || tk.Baseline != BaselineNew {
			t.Errorf("unexpected ticket %+v", tk)
		}
	}
	out := render(t, func(w io.Writer) error { return WriteTickets(w, plain) })
	lines := strings.Split(strings.TrimSuffix(string(out), "\n"), "\n")
	if len(lines) != 10 {
		t.Fatalf("%d JSON lines", len(lines))
	}
	seen := map[string]bool{}
	for _, l := range lines {
		var tk Ticket
		if err := json.Unmarshal([]byte(l), &tk); err != nil {
			t.Fatal(err)
		}
		if seen[tk.DedupKey] || len(tk.DedupKey) != 24 {
			t.Fatalf("bad or duplicate dedup key %q", tk.DedupKey)
		}
		seen[tk.DedupKey] = true
	}
}

func TestJiraCSV(t *testing.T) {
	out := render(t, func(w io.Writer) error { return WriteJiraCSV(w, fixtureDocument(), JiraOptions{IssueType: "Task"}) })
	rows, err := csv.NewReader(bytes.NewReader(out)).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	h := rows[0]
	if h[0] != "Summary" || h[1] != "Issue Type" || h[2] != "Priority" || h[3] != "Description" || h[len(h)-1] != "Labels" {
		t.Fatalf("header %v", h)
	}
	if len(rows) != 11 || rows[1][1] != "Task" || rows[1][2] != "Highest" {
		t.Fatalf("rows %d, first %v", len(rows), rows[1][:3])
	}
	for _, r := range rows[1:] {
		for i, cell := range r {
			if h[i] == "Labels" && strings.ContainsAny(cell, " \t") {
				t.Errorf("label with whitespace %q", cell)
			}
		}
	}
}

func TestFindingIDStable(t *testing.T) {
	a, b := fixtureDocument(), fixtureDocument()
	b.Started = b.Started.Add(48 * 3600e9)
	b.Hosts[0].SMB.Findings[0].Reason = "reworded"
	b.Hosts[0].SMB.Findings[0].Evidence = []int{0}
	Finalize(b)
	if a.Hosts[0].SMB.Findings[0].ID != b.Hosts[0].SMB.Findings[0].ID {
		t.Fatal("id depends on time or evidence")
	}
	id := func(addr string, _ int, check, v string) string { return FindingID(addr, check, verdictOf(v)) }
	cases := []struct {
		name string
		a, b string
		same bool
	}{
		{"unknown and error share a class", id("10.0.0.1", 445, "ms08-067", "unknown"), id("10.0.0.1", 445, "ms08-067", "error"), true},
		{"patched and not-affected share a class", id("10.0.0.1", 445, "ms08-067", "patched"), id("10.0.0.1", 445, "ms08-067", "not-affected"), true},
		{"mapped IPv4 is the same host", id("::ffff:10.0.0.1", 445, "ms08-067", "exposed"), id("10.0.0.1", 445, "ms08-067", "exposed"), true},
		{"vulnerable vs patched", id("10.0.0.1", 445, "ms08-067", "vulnerable"), id("10.0.0.1", 445, "ms08-067", "patched"), false},
		{"other host", id("10.0.0.2", 445, "ms08-067", "exposed"), id("10.0.0.1", 445, "ms08-067", "exposed"), false},
		// Pinned: the id this finding had when the port was part of it (10.0.0.1:445), so the
		// trackers that deduplicate on it see the same finding after the change.
		{"ids of hosts on 445 did not change", id("10.0.0.1", 445, "ms08-067", "exposed"), "d21006a30869e676ab4b77e2", true},
		{"other check", id("10.0.0.1", 445, "conficker", "exposed"), id("10.0.0.1", 445, "ms08-067", "exposed"), false},
	}
	for _, c := range cases {
		if (c.a == c.b) != c.same {
			t.Errorf("%s: ids %s %s, same=%v", c.name, c.a, c.b, c.same)
		}
	}
	// A host found on 139 (445 closed) is the host found on 445 before: same finding id.
	on139 := fixtureDocument()
	on139.Hosts[0].Port = 139
	on139.Hosts[0].Tried = []scanner.PortTry{{Port: 445, Status: scanner.StatusClosed}}
	Finalize(on139)
	if got, want := on139.Hosts[0].SMB.Findings[0].ID, a.Hosts[0].SMB.Findings[0].ID; got != want || a.Hosts[0].Port != 445 {
		t.Errorf("id on 139 %s, on %d %s: want the same", got, a.Hosts[0].Port, want)
	}
}
