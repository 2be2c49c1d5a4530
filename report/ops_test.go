package report

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/scan445/scan445/scanner"
	"github.com/scan445/scan445/smbprobe"
)

func TestFailOn(t *testing.T) {
	f := func(v smbprobe.Verdict, c smbprobe.Category) smbprobe.Finding {
		return smbprobe.Finding{Verdict: v, Category: c}
	}
	inf := f(smbprobe.Infected, smbprobe.CategoryInfection)
	vul := f(smbprobe.Vulnerable, smbprobe.CategoryVulnerability)
	exp := f(smbprobe.Exposed, smbprobe.CategoryVulnerability)
	comp := f(smbprobe.Exposed, smbprobe.CategoryCompliance)
	unk := f(smbprobe.Unknown, smbprobe.CategoryVulnerability)
	pat := f(smbprobe.Patched, smbprobe.CategoryInfection)
	cases := []struct {
		level FailOn
		want  [6]bool // inf vul exp comp unk pat
	}{
		{FailOnInfected, [6]bool{true, false, false, false, false, false}},
		{FailOnVulnerable, [6]bool{true, true, false, false, false, false}},
		{FailOnExposed, [6]bool{true, true, true, false, false, false}},
		{FailOnAny, [6]bool{true, true, true, true, false, false}},
		{FailOnNone, [6]bool{}},
	}
	for _, c := range cases {
		for i, fd := range []smbprobe.Finding{inf, vul, exp, comp, unk, pat} {
			if got := c.level.Matches(fd); got != c.want[i] {
				t.Errorf("%s.Matches(%s/%s) = %v", c.level, fd.Verdict, fd.Category, got)
			}
		}
		l, err := ParseFailOn(string(c.level))
		if err != nil || l != c.level {
			t.Errorf("ParseFailOn(%s) = %v, %v", c.level, l, err)
		}
	}
	if _, err := ParseFailOn("critical"); !errors.Is(err, ErrFailOn) {
		t.Errorf("ParseFailOn(critical) = %v", err)
	}
	doc := fixtureDocument()
	for _, l := range []FailOn{FailOnInfected, FailOnVulnerable, FailOnExposed, FailOnAny} {
		if !Exceeds(doc, l) {
			t.Errorf("fixture should exceed %s", l)
		}
	}
	if Exceeds(doc, FailOnNone) {
		t.Error("none must never fail")
	}
	// Against the baseline only the Windows 7 host is new: vulnerable, not infected.
	g := goldenDocument(t)
	if ExceedsNew(g, FailOnInfected) || !ExceedsNew(g, FailOnVulnerable) {
		t.Error("ExceedsNew should ignore findings the baseline had")
	}
}

func TestApplyBaseline(t *testing.T) {
	doc := goldenDocument(t)
	b := doc.Baseline
	if b.New != 4 || b.Unchanged != 14 {
		t.Fatalf("new %d unchanged %d, want 4 and 14", b.New, b.Unchanged)
	}
	if len(b.Fixed) != 1 || b.Fixed[0].Address != "10.20.2.8" || b.Fixed[0].To != "patched" {
		t.Fatalf("fixed %+v", b.Fixed)
	}
	if len(b.Unverified) != 1 || b.Unverified[0].Address != "10.20.4.2" || b.Unverified[0].To != "filtered" {
		t.Fatalf("a host that stopped answering must be unverified, not fixed: %+v", b.Unverified)
	}
	for _, h := range doc.Hosts {
		if h.SMB == nil {
			continue
		}
		for _, f := range h.SMB.Findings {
			want := BaselineUnchanged
			if h.Address == "10.20.2.30" || (h.Address == "10.20.2.8" && f.Check == smbprobe.CheckMS08067) {
				want = BaselineNew
			}
			if f.Baseline != want {
				t.Errorf("%s %s: baseline %q, want %q", h.Address, f.Check, f.Baseline, want)
			}
		}
	}
}

func TestDiffClassification(t *testing.T) {
	port := 445
	mk := func(v smbprobe.Verdict, status scanner.Status, extra ...smbprobe.Finding) *Document {
		h := scanner.HostResult{Address: "192.0.2.7", Port: port, Status: status}
		if status == scanner.StatusOpen {
			h.SMB = &smbprobe.Result{}
			if v != "" {
				h.SMB.Findings = append(h.SMB.Findings, smbprobe.Finding{Check: smbprobe.CheckMS08067, Verdict: v, Category: smbprobe.CategoryVulnerability})
			}
			h.SMB.Findings = append(h.SMB.Findings, extra...)
		}
		d := &Document{Schema: SchemaVersion, Hosts: []scanner.HostResult{h}}
		Finalize(d)
		return d
	}
	old := mk(smbprobe.Exposed, scanner.StatusOpen)
	cases := []struct {
		name                                  string
		cur                                   *Document
		fixed, changed, unverified, unchanged int
	}{
		{"same", mk(smbprobe.Exposed, scanner.StatusOpen), 0, 0, 0, 1},
		{"patched", mk(smbprobe.Patched, scanner.StatusOpen), 1, 0, 0, 0},
		{"check gone", mk("", scanner.StatusOpen), 1, 0, 0, 0},
		{"now infected", mk(smbprobe.Infected, scanner.StatusOpen), 0, 1, 0, 0},
		{"now unknown", mk(smbprobe.Unknown, scanner.StatusOpen), 0, 0, 1, 0},
		{"host closed", mk("", scanner.StatusClosed), 0, 0, 1, 0},
		{"host absent", &Document{Schema: SchemaVersion}, 0, 0, 1, 0},
	}
	// The same host found on 139 (445 closed now) is the same host: --ports 445,139.
	port = 139
	cases = append(cases, []struct {
		name                                  string
		cur                                   *Document
		fixed, changed, unverified, unchanged int
	}{
		{"same, found on 139", mk(smbprobe.Exposed, scanner.StatusOpen), 0, 0, 0, 1},
		{"patched, found on 139", mk(smbprobe.Patched, scanner.StatusOpen), 1, 0, 0, 0},
		{"now infected, found on 139", mk(smbprobe.Infected, scanner.StatusOpen), 0, 1, 0, 0},
	}...)
	for _, c := range cases {
		d := Diff(old, c.cur)
		if len(d.Fixed) != c.fixed || len(d.Changed) != c.changed || len(d.Unverified) != c.unverified || d.Unchanged != c.unchanged {
			t.Errorf("%s: fixed %d changed %d unverified %d unchanged %d", c.name, len(d.Fixed), len(d.Changed), len(d.Unverified), d.Unchanged)
		}
	}
}

func TestMerge(t *testing.T) {
	full := fixtureDocument()
	a := &Document{Schema: SchemaVersion, Tool: "scan445", Version: "1", Started: t0, Finished: t0.Add(time.Minute), Complete: true,
		Options: map[string]string{"shard": "1/2", "rate": "200"}, Summary: Summary{Targets: 512}}
	b := &Document{Schema: SchemaVersion, Tool: "scan445", Version: "1", Started: t0.Add(-time.Minute), Finished: t0.Add(2 * time.Minute), Complete: true,
		Options: map[string]string{"shard": "2/2", "rate": "200"}, Summary: Summary{Targets: 512}}
	a.Hosts = append(a.Hosts, full.Hosts[:4]...)
	b.Hosts = append(b.Hosts, full.Hosts[4:]...)
	m, err := Merge(a, b)
	if err != nil {
		t.Fatal(err)
	}
	if len(m.Hosts) != len(full.Hosts) || !m.Complete || m.Summary.Targets != 1024 || len(m.Warnings) != 0 {
		t.Fatalf("hosts %d complete %v targets %d warnings %v", len(m.Hosts), m.Complete, m.Summary.Targets, m.Warnings)
	}
	if !m.Started.Equal(b.Started) || !m.Finished.Equal(b.Finished) {
		t.Fatalf("time span %v–%v", m.Started, m.Finished)
	}
	if got, want := render(t, func(w io.Writer) error { return WriteJSON(w, &Document{Hosts: m.Hosts}) }),
		render(t, func(w io.Writer) error { return WriteJSON(w, &Document{Hosts: full.Hosts}) }); !bytes.Equal(got, want) {
		t.Fatal("merged hosts differ from the unsharded run")
	}

	// A host in both shards: the later result wins, with a warning; one incomplete shard makes
	// the whole incomplete.
	dup := full.Hosts[1]
	dup.Started = dup.Started.Add(time.Hour)
	dup.Port, dup.Tried = 139, []scanner.PortTry{{Port: 445, Status: scanner.StatusClosed}} // same host, other port
	dup.SMB = &smbprobe.Result{Findings: []smbprobe.Finding{{Check: smbprobe.CheckMS08067, Verdict: smbprobe.Unknown}}}
	b.Hosts = append(b.Hosts, dup)
	b.Complete = false
	b.Interrupted = "interrupted by signal"
	before := string(render(t, func(w io.Writer) error { return WriteJSON(w, a) })) + string(render(t, func(w io.Writer) error { return WriteJSON(w, b) }))
	m, err = Merge(a, b)
	if err != nil {
		t.Fatal(err)
	}
	if m.Complete || !strings.Contains(m.Interrupted, "signal") || len(m.Warnings) != 1 || !strings.Contains(m.Warnings[0], dup.Address) {
		t.Fatalf("complete %v interrupted %q warnings %v", m.Complete, m.Interrupted, m.Warnings)
	}
	for _, h := range m.Hosts {
		if h.Address == dup.Address && (len(h.SMB.Findings) != 1 || h.Port != 139) {
			t.Fatal("kept the earlier result")
		}
	}
	after := string(render(t, func(w io.Writer) error { return WriteJSON(w, a) })) + string(render(t, func(w io.Writer) error { return WriteJSON(w, b) }))
	if before != after {
		t.Fatal("Merge altered its input")
	}

	if _, err := Merge(); err == nil {
		t.Error("merging nothing must fail")
	}
	if _, err := Merge(a, &Document{Schema: "scan445/report/v9"}); !errors.Is(err, ErrSchema) {
		t.Errorf("merging another major: %v", err)
	}
}

func TestWriteFileAtomic(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "report.json")
	if err := os.WriteFile(path, []byte("old"), 0o640); err != nil {
		t.Fatal(err)
	}
	boom := errors.New("boom")
	err := WriteFileAtomic(path, func(w io.Writer) error {
		io.WriteString(w, "half")
		return boom
	})
	if !errors.Is(err, boom) {
		t.Fatalf("error %v, want boom", err)
	}
	if b, _ := os.ReadFile(path); string(b) != "old" {
		t.Fatalf("a failed write replaced the file: %q", b)
	}
	if err := WriteFileAtomic(path, func(w io.Writer) error { return WriteJSON(w, fixtureDocument()) }); err != nil {
		t.Fatal(err)
	}
	b, _ := os.ReadFile(path)
	if _, err := Load(bytes.NewReader(b)); err != nil {
		t.Fatalf("written report does not load: %v", err)
	}
	if st, _ := os.Stat(path); st.Mode().Perm() != 0o640 {
		t.Errorf("mode %v, want the old file's 0640", st.Mode().Perm())
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 {
		t.Fatalf("temporary files left behind: %v", entries)
	}
	if err := WriteFileAtomic(filepath.Join(dir, "missing", "x.json"), func(io.Writer) error { return nil }); err == nil {
		t.Error("writing into a missing directory must fail")
	}
}

func TestRemedyCatalogueCoversIDs(t *testing.T) {
	ids := []string{smbprobe.RemedyKB958644, smbprobe.RemedyBlock445, smbprobe.RemedyPasswords, smbprobe.RemedyAutoRun,
		smbprobe.RemedyConfickerClean, smbprobe.RemedyMS17010, smbprobe.RemedyDisableSMBv1, smbprobe.RemedyRequireSigning,
		smbprobe.RemedyRestrictAnon, smbprobe.RemedyUpgradeOS, smbprobe.RemedyVerifyManually}
	if len(Remedies()) != len(ids) {
		t.Errorf("catalogue has %d entries, smbprobe defines %d ids", len(Remedies()), len(ids))
	}
	for _, id := range ids {
		r, ok := LookupRemedy(id)
		if !ok || r.Title == "" || len(r.Steps) == 0 || r.Source == "" {
			t.Errorf("remedy %s missing or empty", id)
		}
		// Readers of a report do not have the project's notes: cite public documents only.
		if text := r.Source + strings.Join(r.Steps, " "); strings.Contains(text, ".md") || strings.Contains(text, "§") {
			t.Errorf("remedy %s cites a document users do not have: %q", id, r.Source)
		}
	}
	Remedies()[0].Title = "changed"
	if r, _ := LookupRemedy(Remedies()[0].ID); r.Title == "changed" {
		t.Error("catalogue is shared mutable state")
	}
}

// TestHostBaselineTicketsMatchTheDocument: the webhook's tickets, made one host at a time while
// the scan runs, are the tickets of the finished document with the baseline applied — per host,
// the same keys — and without a baseline every finding needing action. A host without an SMB
// result gets none, and the result handed in is not modified.
func TestHostBaselineTicketsMatchTheDocument(t *testing.T) {
	keys := func(ts []Ticket) map[string][]string {
		m := map[string][]string{}
		for _, tk := range ts {
			m[tk.Host] = append(m[tk.Host], tk.DedupKey)
		}
		for _, v := range m {
			slices.Sort(v)
		}
		return m
	}
	for _, tc := range []struct {
		name string
		base *Document
	}{
		{"with a baseline", baselineDocument()},
		{"without", nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			whole := fixtureDocument()
			if tc.base != nil {
				ApplyBaseline(whole, tc.base)
			}
			want := keys(Tickets(whole))
			hb := NewHostBaseline(tc.base)
			var perHost []Ticket
			for _, h := range fixtureDocument().Hosts {
				before := render(t, func(w io.Writer) error { return WriteJSON(w, &Document{Hosts: []scanner.HostResult{h}}) })
				perHost = append(perHost, hb.Tickets(h)...)
				if after := render(t, func(w io.Writer) error { return WriteJSON(w, &Document{Hosts: []scanner.HostResult{h}}) }); !bytes.Equal(before, after) {
					t.Fatalf("%s: Tickets modified the result", h.Address)
				}
			}
			if got := keys(perHost); fmt.Sprint(got) != fmt.Sprint(want) || len(want) == 0 {
				t.Errorf("per host %v\nwhole document %v", got, want)
			}
		})
	}
	closed := scanner.HostResult{Address: "10.20.9.9", Port: 139, Status: scanner.StatusClosed,
		Tried: []scanner.PortTry{{Port: 445, Status: scanner.StatusClosed}}}
	if ts := NewHostBaseline(baselineDocument()).Tickets(closed); len(ts) != 0 {
		t.Errorf("a closed host got tickets: %+v", ts)
	}
}
