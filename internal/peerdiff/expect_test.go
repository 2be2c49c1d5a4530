package peerdiff

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

func TestLoad(t *testing.T) {
	tests := []struct {
		name, body, err string
	}{
		{"ok", `{"comment":["x"],"disagreements":[{"server":"a","field":"os","scan445":"1","nmap":"2","right":"scan445","why":"because"}]}`, ""},
		{"unknown field", `{"disagreements":[{"server":"a","field":"colour","scan445":"1","nmap":"2","right":"nmap","why":"w"}]}`, `field "colour"`},
		{"bad right", `{"disagreements":[{"server":"a","field":"os","scan445":"1","nmap":"2","right":"both","why":"w"}]}`, `right "both"`},
		{"no why", `{"disagreements":[{"server":"a","field":"os","scan445":"1","nmap":"2","right":"nmap","why":""}]}`, "no why"},
		{"duplicate", `{"disagreements":[{"server":"a","field":"os","scan445":"1","nmap":"2","right":"nmap","why":"w"},{"server":"a","field":"os","scan445":"1","nmap":"2","right":"scan445","why":"v"}]}`, "duplicate"},
		{"unknown key", `{"disagreements":[],"extra":1}`, "unknown field"},
		{"not json", `disagreements: []`, "invalid character"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p := filepath.Join(t.TempDir(), "e.json")
			if err := os.WriteFile(p, []byte(tc.body), 0o644); err != nil {
				t.Fatal(err)
			}
			_, err := Load(p)
			if (err == nil) != (tc.err == "") || (err != nil && !strings.Contains(err.Error(), tc.err)) {
				t.Errorf("Load: %v, want error containing %q", err, tc.err)
			}
		})
	}
}

func TestCheckAndUpdate(t *testing.T) {
	listed := Expectation{Disagreement{"a", FieldOS, "x", "y"}, RightScan445, "w"}
	stale := Expectation{Disagreement{"a", FieldSMB1, "on", "off"}, RightNmap, "w"}
	unscanned := Expectation{Disagreement{"b", FieldOS, "x", "y"}, RightNmap, "w"}
	f := File{Entries: []Expectation{stale, listed, unscanned}}
	fresh := Disagreement{"a", FieldConficker, "<script>", "clean"} // a wire string: must stay readable
	found := []Disagreement{listed.Disagreement, fresh}
	scanned := map[string]bool{"a": true}

	unexpected, gone := Check(found, f, scanned)
	if !reflect.DeepEqual(unexpected, []Disagreement{fresh}) {
		t.Errorf("unexpected %v", unexpected)
	}
	if !reflect.DeepEqual(gone, []Expectation{stale}) {
		t.Errorf("stale %v", gone)
	}

	nf := Update(found, f, scanned)
	want := []Expectation{listed, {fresh, RightTODO, RightTODO}, unscanned}
	if !reflect.DeepEqual(nf.Entries, want) {
		t.Errorf("Update:\n got %v\nwant %v", nf.Entries, want)
	}
	if u, s := Check(found, nf, scanned); u != nil || s != nil {
		t.Errorf("after Update: unexpected %v stale %v", u, s)
	}
	if b := string(nf.Marshal()); !strings.HasSuffix(b, "}\n") || strings.Contains(b, `\u003c`) {
		t.Errorf("Marshal: %q", b)
	}
}
