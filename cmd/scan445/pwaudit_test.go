package main

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/scan445/scan445/smbprobe"
	"github.com/scan445/scan445/smbprobe/smblab"
)

// TestPasswordAuditOnlyFromTheCommandLine: failed logons are never switched on by an inherited
// environment, a shared config file, or --checks alone; the audit's own flags need it; and it
// needs an administrator account. All refused before any packet, exit 2.
func TestPasswordAuditOnlyFromTheCommandLine(t *testing.T) {
	dir := t.TempDir()
	cfg := filepath.Join(dir, "scan.yaml")
	if err := os.WriteFile(cfg, []byte("rate: 10\npassword-audit: true\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	cfgBudget := filepath.Join(dir, "budget.yaml")
	if err := os.WriteFile(cfgBudget, []byte("audit-budget: 50\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	list := filepath.Join(dir, "list.txt")
	os.WriteFile(list, []byte("Spring-2026\n"), 0o644)
	t.Setenv("S3P_ADMIN_PW", "x")
	tests := []struct {
		name string
		env  string
		args []string
		want string
	}{
		{"config key", "", []string{"--config", cfg}, "command line"},
		{"config budget", "", []string{"--config", cfgBudget}, "command line"},
		{"environment", "SCAN445_PASSWORD_AUDIT", nil, "SCAN445_PASSWORD_AUDIT"},
		{"environment budget", "SCAN445_AUDIT_BUDGET", nil, "SCAN445_AUDIT_BUDGET"},
		{"checks alone", "", []string{"--checks", "weak-password", "--user", "a", "--password-env", "S3P_ADMIN_PW"}, "--password-audit"},
		{"list alone", "", []string{"--password-list", list}, "--password-list needs --password-audit"},
		{"budget alone", "", []string{"--audit-budget", "3"}, "--audit-budget needs --password-audit"},
		{"no admin", "", []string{"--password-audit"}, "administrator account"},
		{"bad list", "", []string{"--password-audit", "--user", "a", "--password-env", "S3P_ADMIN_PW", "--password-list", filepath.Join(dir, "missing")}, "--password-list"},
		{"negative budget", "", []string{"--password-audit", "--user", "a", "--password-env", "S3P_ADMIN_PW", "--audit-budget", "-5"}, "--audit-budget -5"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.env != "" {
				t.Setenv(tt.env, "1")
			}
			code, _, stderr := runCLI(t, "", append(append([]string{"scan"}, tt.args...), "127.3.6.200")...)
			if code != exitUsage || !strings.Contains(stderr, tt.want) {
				t.Errorf("exit %d, stderr %q; want 2 and %q", code, stderr, tt.want)
			}
		})
	}
}

// TestPasswordAuditEndToEnd runs the audit through the real command line against a lab host
// that locks accounts after 5 failures: it must warn loudly, record itself in the report's
// options, find the weak accounts the budget reaches, lock nothing, show the fix in the HTML
// plan, and no output — JSON, HTML, CSV, stdout, stderr — may contain a tried password.
func TestPasswordAuditEndToEnd(t *testing.T) {
	var base smblab.Personality
	for _, p := range smblab.DefaultPersonalities() {
		if p.Name == "xp-sp3-patched" {
			base = p
		}
	}
	p := smblab.WithSAM(base, "audit-xp", smblab.WeakPasswordSAM(5, 30*time.Minute, 30*time.Minute))
	addr := netip.AddrFrom4([4]byte{127, 3, 6, byte(100 + rand.IntN(100))})
	port := 20000 + rand.IntN(20000)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	lab, err := smblab.Start(ctx, smblab.Options{First: addr, Port: port, Personalities: []smblab.Personality{p}})
	if err != nil {
		t.Fatalf("lab: %v", err)
	}
	defer lab.Close()

	dir := t.TempDir()
	listText := "Winter-Lab-2026\nNot-Carol-Alpha\nNot-Carol-Beta\nNot-Carol-Gamma\n"
	list := filepath.Join(dir, "mine.txt")
	if err := os.WriteFile(list, []byte(listText), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Setenv("S3P_ADMIN_PW", "Lab-Passw0rd!")
	out := map[string]string{"json": filepath.Join(dir, "r.json"), "html": filepath.Join(dir, "r.html"), "csv": filepath.Join(dir, "r.csv")}
	code, stdout, stderr := runCLI(t, "", "scan", addr.String(), "--port", fmt.Sprint(port), "--timeout", "2s", "--host-timeout", "60s",
		"--checks", "ms08-067", "--password-audit", "--user", "labadmin", "--password-env", "S3P_ADMIN_PW", "--password-list", list,
		"--json", out["json"], "--html", out["html"], "--csv", out["csv"], "-v")
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if !strings.Contains(stderr, "WARNING: --password-audit") {
		t.Errorf("no loud warning: %s", stderr)
	}
	if lo := lab.Lockouts(); len(lo) != 0 {
		t.Errorf("the audit locked accounts: %+v", lo)
	}
	for acct, n := range lab.BadLogonPeaks(addr) {
		if n > 3 {
			t.Errorf("%s: %d failures within a window of threshold 5", acct, n)
		}
	}
	doc := loadDoc(t, out["json"])
	if doc.Options["password_audit"] != "true" || !strings.Contains(doc.Options["password_lists"], "mine.txt (4 entries)") ||
		!strings.Contains(doc.Options["checks"], smbprobe.CheckWeakPassword) {
		t.Errorf("options %v", doc.Options)
	}
	// threshold 5, budget 3: carol's password is the own list's first entry; dave's is
	// conficker#1, the 5th candidate, beyond the budget.
	var weak []string
	ids := map[string]bool{}
	for _, h := range doc.Hosts {
		if h.SMB == nil {
			continue
		}
		for _, f := range h.SMB.Findings {
			if f.Check == smbprobe.CheckWeakPassword {
				weak = append(weak, f.Subject+" "+string(f.Verdict)+" "+strings.SplitN(f.Reason, ",", 2)[0])
				ids[f.ID] = true
			}
		}
	}
	if strings.Join(weak, "|") != "carol exposed account carol accepted mine.txt#1" || len(ids) != 1 {
		t.Fatalf("weak-password findings %q", weak)
	}
	html, _ := os.ReadFile(out["html"])
	if !strings.Contains(string(html), "Change the passwords the audit guessed") {
		t.Errorf("the HTML remediation plan does not show the weak-password fix")
	}
	all := stdout + stderr
	for _, path := range out {
		b, _ := os.ReadFile(path)
		all += string(b)
	}
	secrets := append(strings.Fields(listText), "qweasdzxc", "Corr3ct-Horse-Battery!", "Lab-Passw0rd!")
	for _, s := range secrets {
		if strings.Contains(all, s) {
			t.Errorf("a password is in the output: %q", s)
		}
	}
}
