package main

import (
	"fmt"
	"net/netip"
	"path/filepath"
	"strings"
	"testing"

	"github.com/scan445/scan445/smbprobe"
	"github.com/scan445/scan445/smbprobe/smblab"
)

func TestChecksFlagRejectsUnknownIDs(t *testing.T) {
	code, _, stderr := runCLI(t, "", "scan", "--checks", "ms08-067,bogus", "127.0.0.1")
	if code != exitUsage || !strings.Contains(stderr, "bogus") {
		t.Fatalf("exit %d, stderr %q", code, stderr)
	}
	code, _, stderr = runCLI(t, "", "scan", "--checks", "ms17-010", "--intrusive", "127.0.0.1")
	if code != exitUsage || !strings.Contains(stderr, "ms08-067") {
		t.Fatalf("--intrusive without ms08-067: exit %d, stderr %q", code, stderr)
	}
}

func TestIntrusiveWarnsAndIsRecorded(t *testing.T) {
	port := listeners(t, "127.0.0.9")
	out := filepath.Join(t.TempDir(), "r.json")
	code, _, stderr := runCLI(t, "", "scan", "--port", fmt.Sprint(port), "--timeout", "500ms", "--intrusive", "127.0.0.9", "--json", out)
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if !strings.Contains(stderr, "WARNING: --intrusive") || !strings.Contains(stderr, "CRASH") {
		t.Fatalf("no loud warning on stderr: %q", stderr)
	}
	doc := loadDoc(t, out)
	if doc.Options["intrusive"] != "true" || !strings.Contains(doc.Options["checks"], "ms08-067") {
		t.Fatalf("options %v", doc.Options)
	}
	if len(doc.Warnings) == 0 || !strings.Contains(doc.Warnings[0], "--intrusive") {
		t.Fatalf("warnings %v", doc.Warnings)
	}
}

// TestScanLabEndToEnd scans the emulated rack through the real command line with the default
// checks and compares each host's verdicts with its truth table.
func TestScanLabEndToEnd(t *testing.T) {
	lab, port := startRack(t, "127.46.0.1")
	hosts := lab.Hosts()
	last := hosts[len(hosts)-1].Addr
	out := filepath.Join(t.TempDir(), "r.json")
	code, _, stderr := runCLI(t, "", "scan", "--port", fmt.Sprint(port), "--timeout", "1s", "--host-timeout", "15s",
		"127.46.0.1-"+last.String(), "--json", out)
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	doc := loadDoc(t, out)
	if doc.Options["checks"] != strings.Join(smbprobe.DefaultChecks(), ",") || doc.Options["intrusive"] != "false" {
		t.Fatalf("options %v", doc.Options)
	}
	byAddr := map[string]bool{}
	for _, h := range doc.Hosts {
		pers, ok := lab.Personality(netip.MustParseAddr(h.Address))
		if !ok {
			t.Fatalf("unknown host %s", h.Address)
		}
		byAddr[h.Address] = true
		if h.SMB == nil {
			t.Errorf("%s (%s): no SMB result (status %s %s)", h.Address, pers.Name, h.Status, h.Error)
			continue
		}
		for _, f := range h.SMB.Findings {
			if !pers.Accepts(f.Check, smblab.Verdict(f.Verdict)) {
				t.Errorf("%s (%s) %s: got %s (%s), want %s", h.Address, pers.Name, f.Check, f.Verdict, f.Reason, pers.Truth[f.Check])
			}
		}
	}
	if len(byAddr) != len(hosts) {
		t.Fatalf("%d hosts in the report, lab has %d", len(byAddr), len(hosts))
	}
	if c := lab.Crashes(); len(c) != 0 {
		t.Fatalf("default scan crashed hosts: %+v", c)
	}
}
