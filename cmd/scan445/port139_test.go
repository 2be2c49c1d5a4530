package main

import (
	"context"
	"net/netip"
	"os"
	"path/filepath"
	"testing"

	"github.com/scan445/scan445/smbprobe/smblab"
)

// TestScanOverPort139: `--port 139` speaks SMB over the NetBIOS session service, so a host
// whose 445 is firewalled but whose 139 is open is judged as it would be on 445.
func TestScanOverPort139(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("binding port 139 needs root")
	}
	var ps []smblab.Personality
	for _, p := range smblab.DefaultPersonalities() {
		if p.Name == "xp-sp3-conficker-d" {
			ps = append(ps, p)
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	lab, err := smblab.Start(ctx, smblab.Options{First: netip.MustParseAddr("127.0.139.77"), Port: 24445, NetBIOSPort: 139,
		Personalities: ps, NetBIOSOnly: map[string]bool{"xp-sp3-conficker-d": true}})
	if err != nil {
		t.Fatalf("lab: %v", err)
	}
	defer lab.Close()
	out := filepath.Join(t.TempDir(), "r.json")
	code, _, stderr := runCLI(t, "", "scan", "127.0.139.77", "--port", "139", "--json", out, "--fail-on", "infected", "--checks", "ms08-067,conficker")
	if code != exitFindings {
		t.Fatalf("exit %d, want %d (conficker infected over 139): %s", code, exitFindings, stderr)
	}
	doc := loadDoc(t, out)
	if len(doc.Hosts) != 1 || doc.Hosts[0].SMB == nil {
		t.Fatalf("hosts: %+v", doc.Hosts)
	}
	for _, f := range doc.Hosts[0].SMB.Findings {
		if want := map[string]string{"ms08-067": "exposed", "conficker": "infected"}[f.Check]; string(f.Verdict) != want {
			t.Errorf("%s: %s (%s), want %s", f.Check, f.Verdict, f.Reason, want)
		}
	}
	if n := len(lab.Crashes()); n != 0 {
		t.Errorf("%d crashes", n)
	}
}
