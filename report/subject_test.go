package report

import (
	"testing"

	"github.com/scan445/scan445/smbprobe"
)

// TestFindingIDSubject: per-subject findings (one weak-password finding per account) get one
// id each, stable across runs, and a host-wide finding keeps the id it had before subjects
// existed.
func TestFindingIDSubject(t *testing.T) {
	f := func(subject string) smbprobe.Finding {
		return smbprobe.Finding{Check: smbprobe.CheckWeakPassword, Subject: subject, Verdict: smbprobe.Exposed}
	}
	id := func(x smbprobe.Finding) string { return FindingID("10.0.0.1", findingKey(x), x.Verdict) }
	tests := []struct {
		name string
		a, b string
		same bool
	}{
		{"two accounts", id(f("alice")), id(f("carol")), false},
		{"same account again", id(f("alice")), id(f("alice")), true},
		{"host-wide unchanged", id(f("")), FindingID("10.0.0.1", smbprobe.CheckWeakPassword, smbprobe.Exposed), true},
		{"account vs host-wide", id(f("alice")), id(f("")), false},
	}
	for _, tt := range tests {
		if (tt.a == tt.b) != tt.same {
			t.Errorf("%s: %s vs %s", tt.name, tt.a, tt.b)
		}
	}
}
