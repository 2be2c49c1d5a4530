package report

import (
	"strings"
	"testing"
	"time"

	"github.com/scan445/scan445/egress"
	"github.com/scan445/scan445/scanner"
	"github.com/scan445/scan445/smbprobe"
)

// TestHTMLPlanShowsAutorunAndEgress: an autorun-enabled finding and an egress-445-open finding
// each bring their remediation row into the HTML plan, with the host listed and the new steps
// (KB967715/KB971029 and the null mapping; verifying with scan445 egress) in the text.
func TestHTMLPlanShowsAutorunAndEgress(t *testing.T) {
	now := time.Date(2026, 12, 3, 12, 0, 0, 0, time.UTC)
	xp := scanner.HostResult{Address: "10.0.0.5", Port: 445, Status: scanner.StatusOpen, Started: now, SMB: &smbprobe.Result{
		Exchanges: []smbprobe.Exchange{{Step: "winreg.BaseRegQueryValue", Class: smbprobe.ClassCredentialed, Request: "BaseRegQueryValue NoDriveTypeAutoRun", SentHex: "00", Status: "WERROR 0x00000002 WERR_FILE_NOT_FOUND"}},
		Findings: []smbprobe.Finding{{Check: smbprobe.CheckAutorun, Category: smbprobe.CategoryCompliance, Title: "AutoRun enabled for removable drives",
			Class: smbprobe.ClassCredentialed, Verdict: smbprobe.Exposed, Severity: smbprobe.SeverityMedium, Rule: "autorun-enabled/6a.default",
			Reason: "NoDriveTypeAutoRun not set", Evidence: []int{0}, Remediation: []string{smbprobe.RemedyAutoRun}}},
	}}
	xp.SMB.Fingerprint.Registry = &smbprobe.RegistryOS{ProductName: "Microsoft Windows XP <b>", CSDVersion: "Service Pack 3", CurrentBuildNumber: "2600", KB958644: "not found: not registered"}
	out := egress.HostResult(egress.Result{Target: egress.Target{Host: "198.51.100.7", Port: 445}, Outcome: egress.Open}, now)
	doc := &Document{Started: now, Finished: now, Complete: true, Hosts: []scanner.HostResult{xp, out}}
	doc.Summary = Summarize(2, doc.Hosts)
	Finalize(doc)
	page := htmlPage(t, doc)
	i := strings.Index(page, `<table id="t-plan"`)
	if i < 0 {
		t.Fatal("no plan table")
	}
	plan := page[i:]
	plan = plan[:strings.Index(plan, "</table>")]
	for _, want := range []string{"Disable AutoRun for removable media", "10.0.0.5", "Block outbound TCP/445 at the network edge", "198.51.100.7"} {
		if !strings.Contains(plan, want) {
			t.Errorf("the plan lacks %q", want)
		}
	}
	for _, want := range []string{"KB967715", "@SYS:DoesNotExist", "scan445 egress --to HOST", "Microsoft Windows XP &lt;b&gt;, Service Pack 3", "KB958644 not found"} {
		if !strings.Contains(page, want) {
			t.Errorf("the page lacks the remediation step naming %q", want)
		}
	}
}
