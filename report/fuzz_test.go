package report

import (
	"bytes"
	"io"
	"os"
	"testing"
)

// FuzzLoad feeds arbitrary bytes to Load and renders whatever loads in every format: a
// tampered or truncated report must give an error, never a panic.
func FuzzLoad(f *testing.F) {
	if b, err := os.ReadFile("testdata/report.json"); err == nil {
		f.Add(b)
		f.Add(b[:len(b)/2])
	}
	f.Add([]byte(`{"schema":"scan445/report/v1","hosts":[{"address":"10.0.0.1","smb":{"findings":[{"evidence":[-1,7,1e9]}]}}]}`))
	f.Add([]byte(`{"schema":"scan445/report/v1.9","summary":{"checks":{"x":{"y":-5}}}}`))
	f.Add([]byte(`{"schema":"scan445/report/v2"}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		doc, err := Load(bytes.NewReader(data))
		if err != nil {
			return
		}
		Finalize(doc)
		base, _ := Load(bytes.NewReader(data))
		ApplyBaseline(doc, base)
		writers := []func(io.Writer) error{
			func(w io.Writer) error { return WriteJSON(w, doc) },
			func(w io.Writer) error { return WriteHTML(w, doc) },
			func(w io.Writer) error { return WriteCSV(w, doc, CSVOptions{BOM: true}) },
			func(w io.Writer) error { return WriteJUnit(w, doc, FailOnAny) },
			func(w io.Writer) error { return WriteTickets(w, doc) },
			func(w io.Writer) error { return WriteJiraCSV(w, doc, JiraOptions{}) },
			func(w io.Writer) error { return WriteDiff(w, Diff(base, doc)) },
			func(w io.Writer) error { return WriteDefectDojo(w, doc) },
		}
		for _, write := range writers {
			if err := write(io.Discard); err != nil {
				t.Fatalf("loaded document does not render: %v", err)
			}
		}
		// The formats other tools parse stay valid whatever the document holds.
		for name, check := range map[string]struct {
			write    func(io.Writer) error
			validate func([]byte) []string
		}{
			"metrics": {func(w io.Writer) error { return WriteMetrics(w, doc) }, validateMetrics},
			"junit":   {func(w io.Writer) error { return WriteJUnit(w, doc, "") }, validateJUnit},
		} {
			var out bytes.Buffer
			if err := check.write(&out); err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			if errs := check.validate(out.Bytes()); len(errs) > 0 {
				t.Fatalf("%s is invalid: %v", name, errs)
			}
		}
		_ = HostLines(doc)
		// What Finalize wrote must load again.
		var b bytes.Buffer
		if err := WriteJSON(&b, doc); err != nil {
			t.Fatal(err)
		}
		if _, err := Load(&b); err != nil {
			t.Fatalf("re-load: %v", err)
		}
		_, _ = Merge(doc, base)
	})
}
