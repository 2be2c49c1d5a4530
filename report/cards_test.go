package report

import (
	"strings"
	"testing"

	"github.com/scan445/scan445/scanner"
	"github.com/scan445/scan445/smbprobe"
)

// A silent Conficker P2P probe is "no signal", not a failed check: the Unknown card counts only
// hosts with a real unknown, and says how many it left out.
func TestUnknownCardLeavesOutP2PSilence(t *testing.T) {
	quiet := smbprobe.Finding{Check: smbprobe.CheckConfickerP2P, Verdict: smbprobe.Unknown, Rule: "conficker-p2p/4b.no-signal"}
	denied := smbprobe.Finding{Check: smbprobe.CheckConficker, Verdict: smbprobe.Unknown, Rule: "conficker/4a.null-session-denied"}
	doc := &Document{Hosts: []scanner.HostResult{
		{Address: "127.0.0.1", Port: 445, Status: scanner.StatusOpen, SMB: &smbprobe.Result{Findings: []smbprobe.Finding{quiet}}},
		{Address: "127.0.0.2", Port: 445, Status: scanner.StatusOpen, SMB: &smbprobe.Result{Findings: []smbprobe.Finding{quiet, denied}}},
	}}
	Finalize(doc)
	for _, c := range buildCards(doc) {
		if c.Label != "Unknown" {
			continue
		}
		if c.Value != 1 || !strings.Contains(c.Note, "1 with no Conficker P2P signal only") {
			t.Fatalf("Unknown card %d %q, want 1 host and a note about the other", c.Value, c.Note)
		}
		return
	}
	t.Fatal("no Unknown card")
}
