package report

import (
	"bytes"
	"fmt"
	"io"
	"slices"
	"strings"
	"testing"

	"github.com/scan445/scan445/scanner"
)

// compactOf splits a finished document the way a scan does: listed hosts kept, the others
// tallied and returned (they would be in the journal or the spill file).
func compactOf(doc *Document) (*Document, []scanner.HostResult) {
	out := *doc
	out.Hosts = nil
	tally := NewTally()
	var rest []scanner.HostResult
	for _, h := range doc.Hosts {
		if Listed(h) {
			out.Hosts = append(out.Hosts, h)
		} else {
			tally.Add(h)
			rest = append(rest, h)
		}
	}
	out.Unlisted = tally.Unlisted(out.Hosts)
	Finalize(&out)
	return &out, rest
}

func TestCompactReportCountsWhatItDoesNotList(t *testing.T) {
	full := goldenDocument(t)
	Finalize(full)
	compact, rest := compactOf(full)
	if len(rest) != 2 || len(compact.Hosts) != len(full.Hosts)-2 {
		t.Fatalf("the fixture's closed and filtered hosts should be the unlisted ones: %d listed, %d not", len(compact.Hosts), len(rest))
	}
	if fmt.Sprint(compact.Summary) != fmt.Sprint(full.Summary) {
		t.Fatalf("summary differs:\ncompact %+v\nfull    %+v", compact.Summary, full.Summary)
	}
	if got := compact.Unlisted.Statuses; got["closed"] != 1 || got["filtered"] != 1 || compact.Unlisted.Total() != 2 {
		t.Fatalf("unlisted %+v", compact.Unlisted)
	}
	// The compact JSON holds the schema, and loads back to the same summary.
	b := render(t, func(w io.Writer) error { return WriteJSON(w, compact) })
	if problems := Validate(b); len(problems) > 0 {
		t.Fatalf("compact report does not match the schema:\n%s", strings.Join(problems, "\n"))
	}
	back, err := Load(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	Finalize(back)
	if fmt.Sprint(back.Summary) != fmt.Sprint(full.Summary) {
		t.Fatalf("reloaded summary %+v, want %+v", back.Summary, full.Summary)
	}
}

func TestTallyKeepsSubnetsOfListedHostsOnly(t *testing.T) {
	tally := NewTally()
	for i := 0; i < 300; i++ { // 10.9.0.0–10.9.1.43 dead; only 10.9.1.0/24 has a listed host
		tally.Add(scanner.HostResult{Address: fmt.Sprintf("10.9.%d.%d", i/256, i%256), Status: scanner.StatusFiltered})
	}
	tally.Add(scanner.HostResult{Address: "fd00::1", Status: scanner.StatusUnreachable})
	u := tally.Unlisted([]scanner.HostResult{{Address: "10.9.1.200", Status: scanner.StatusOpen}, {Address: "fd00::2", Status: scanner.StatusOpen}})
	want := map[string]int{"10.9.1.0/24": 44, "fd00::/64": 1}
	if fmt.Sprint(u.Subnets) != fmt.Sprint(want) || u.Statuses["filtered"] != 300 || u.Statuses["unreachable"] != 1 {
		t.Fatalf("unlisted %+v, want subnets %v", u, want)
	}
}

func TestNetChartCountsUnlistedAsSwept(t *testing.T) {
	full := goldenDocument(t)
	Finalize(full)
	compact, _ := compactOf(full)
	titles := func(c chart) []string {
		var out []string
		for _, r := range c.Rows {
			for _, s := range r.Segs {
				out = append(out, s.Title)
			}
		}
		return out
	}
	if a, b := titles(buildNetChart(full)), titles(buildNetChart(compact)); !slices.Equal(a, b) {
		// The filtered host's /24 has no listed host, so it drops out of the chart: it had no
		// bar there either (no open host).
		t.Fatalf("network chart differs:\nfull    %q\ncompact %q", a, b)
	}
}

func TestWriteJSONAllStreamsEveryResult(t *testing.T) {
	full := goldenDocument(t)
	Finalize(full)
	want := render(t, func(w io.Writer) error { return WriteJSON(w, full) })
	// Nothing to stream: byte for byte what WriteJSON writes.
	if got := render(t, func(w io.Writer) error { return WriteJSONAll(w, full, nil) }); !bytes.Equal(got, want) {
		t.Fatalf("WriteJSONAll without a stream differs from WriteJSON:\n%s", got)
	}
	// A compact document plus the unlisted results streamed: every result, same summary.
	compact, rest := compactOf(full)
	got := render(t, func(w io.Writer) error {
		return WriteJSONAll(w, compact, func(yield func(scanner.HostResult) error) error {
			for _, h := range rest {
				if err := yield(h); err != nil {
					return err
				}
			}
			return nil
		})
	})
	if problems := Validate(got); len(problems) > 0 {
		t.Fatalf("streamed report does not match the schema:\n%s", strings.Join(problems, "\n"))
	}
	back, err := Load(bytes.NewReader(got))
	if err != nil {
		t.Fatal(err)
	}
	if back.Unlisted != nil || len(back.Hosts) != len(full.Hosts) {
		t.Fatalf("%d hosts (want %d), unlisted %+v", len(back.Hosts), len(full.Hosts), back.Unlisted)
	}
	Finalize(back)
	if again := render(t, func(w io.Writer) error { return WriteJSON(w, back) }); !bytes.Equal(again, want) {
		t.Fatal("the streamed report, reloaded and finalised, differs from the full one")
	}
	// Empty list.
	empty := &Document{Schema: SchemaVersion}
	Finalize(empty)
	if a, b := render(t, func(w io.Writer) error { return WriteJSONAll(w, empty, nil) }), render(t, func(w io.Writer) error { return WriteJSON(w, empty) }); !bytes.Equal(a, b) {
		t.Fatalf("empty document:\n%s\nvs\n%s", a, b)
	}
}

func TestLoadCompactCountsDeadHosts(t *testing.T) {
	full := goldenDocument(t)
	Finalize(full)
	b := render(t, func(w io.Writer) error { return WriteJSON(w, full) })
	doc, err := LoadCompact(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	for _, h := range doc.Hosts {
		if !Listed(h) {
			t.Fatalf("LoadCompact kept %s (%s)", h.Address, h.Status)
		}
	}
	if doc.Unlisted.Total() != 2 {
		t.Fatalf("unlisted %+v", doc.Unlisted)
	}
	Finalize(doc)
	if fmt.Sprint(doc.Summary) != fmt.Sprint(full.Summary) {
		t.Fatalf("summary %+v, want %+v", doc.Summary, full.Summary)
	}
	// The errors Load gives, LoadCompact gives.
	for _, in := range []string{`{"schema":"scan445/report/v1","hosts":[{"address":1}]}`, `{"hosts":[]}`, `{"schema":"scan445/report/v1"} {}`, `[]`} {
		_, e1 := Load(strings.NewReader(in))
		_, e2 := LoadCompact(strings.NewReader(in))
		if e1 == nil || e2 == nil || e1.Error() != e2.Error() {
			t.Errorf("%s: Load %v, LoadCompact %v", in, e1, e2)
		}
	}
}

func TestMergeAddsUnlistedCounts(t *testing.T) {
	full := goldenDocument(t)
	Finalize(full)
	a, _ := compactOf(full)
	b := &Document{Schema: SchemaVersion, Complete: true, Unlisted: &Unlisted{Statuses: map[string]int{"unreachable": 1000}}}
	m, err := Merge(a, b)
	if err != nil {
		t.Fatal(err)
	}
	if m.Unlisted.Statuses["unreachable"] != 1000 || m.Unlisted.Statuses["closed"] != 1 || m.Summary.Scanned != full.Summary.Scanned+1000 {
		t.Fatalf("merged unlisted %+v, summary %+v", m.Unlisted, m.Summary)
	}
}

func TestHTMLSaysWhatTheCompactReportCounted(t *testing.T) {
	full := goldenDocument(t)
	Finalize(full)
	compact, _ := compactOf(full)
	if a, b := buildView(full).Unlisted, buildView(compact).Unlisted; a != b || a == "" {
		t.Fatalf("hosts table note: full %q, compact %q", a, b)
	}
}

func TestMetricsCountTheCompactReportsUnlisted(t *testing.T) {
	full := goldenDocument(t)
	Finalize(full)
	compact, _ := compactOf(full)
	a := render(t, func(w io.Writer) error { return WriteMetrics(w, full) })
	b := render(t, func(w io.Writer) error { return WriteMetrics(w, compact) })
	if !bytes.Equal(a, b) {
		t.Fatalf("metrics differ:\nfull\n%s\ncompact\n%s", a, b)
	}
}
