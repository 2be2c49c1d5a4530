package main

import (
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/scan445/scan445/smbprobe"
	"github.com/scan445/scan445/smbprobe/smblab/labcheck"
)

// TestUserAddsCredentialedChecks: with --user, the default selection gains autorun-enabled;
// an explicit list is taken as written.
func TestUserAddsCredentialedChecks(t *testing.T) {
	for _, tc := range []struct {
		spec string
		def  bool
	}{{"", true}, {"safe", true}, {" ALL ", true}, {"default", true}, {"ms08-067", false}, {"autorun-enabled", false}, {"none", false}} {
		if got := defaultSelection(tc.spec); got != tc.def {
			t.Errorf("defaultSelection(%q) = %v", tc.spec, got)
		}
	}
	got := smbprobe.WithCredentialed(smbprobe.DefaultChecks())
	if !slices.Contains(got, smbprobe.CheckAutorun) || len(got) != len(smbprobe.DefaultChecks())+1 || slices.Contains(smbprobe.DefaultChecks(), smbprobe.CheckAutorun) {
		t.Errorf("WithCredentialed(defaults) = %v", got)
	}
	if got := smbprobe.WithCredentialed([]string{smbprobe.CheckMS17010}); !slices.Equal(got, []string{smbprobe.CheckMS17010, smbprobe.CheckAutorun}) {
		t.Errorf("WithCredentialed(ms17-010) = %v", got)
	}
}

// TestCredentialedLabScanMatchesTruth scans the whole lab through the command line with the
// lab's account (--user, default checks: the registry check joins) and holds the report to
// the lab's truths with lab-check's own comparison: credentialed verdicts against the
// credentialed truths (ms08-067, autorun-enabled), the rest against the truth tables.
func TestCredentialedLabScanMatchesTruth(t *testing.T) {
	lab, port := startRack(t, "127.3.5.1")
	hosts := lab.Hosts()
	t.Setenv("S3R_LAB_PASSWORD", "Lab-Passw0rd!")
	out := filepath.Join(t.TempDir(), "r.json")
	code, _, stderr := runCLI(t, "", "scan", "--port", fmt.Sprint(port), "--timeout", "1s", "--host-timeout", "15s",
		"127.3.5.1-"+hosts[len(hosts)-1].Addr.String(), "--user", "labadmin", "--password-env", "S3R_LAB_PASSWORD", "--json", out)
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	doc := loadDoc(t, out)
	if !strings.Contains(doc.Options["checks"], smbprobe.CheckAutorun) {
		t.Fatalf("--user did not add the registry check: %v", doc.Options["checks"])
	}
	var table strings.Builder
	if bad := labcheck.Compare(&table, doc, hosts); bad != 0 {
		t.Errorf("%d mismatches:\n%s", bad, table.String())
	}
	credentialed := 0
	for _, line := range strings.Split(table.String(), "\n") {
		if strings.Contains(line, "autorun-enabled") && (strings.Contains(line, " exposed ") || strings.Contains(line, "not-affected")) {
			credentialed++
		}
	}
	if credentialed != 4 {
		t.Errorf("%d hosts judged on their registry, want 4 (on, partial, off, null mapping):\n%s", credentialed, table.String())
	}
	if c := lab.Crashes(); len(c) != 0 {
		t.Fatalf("credentialed scan crashed hosts: %+v", c)
	}
}
