package main

import (
	"context"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/scan445/scan445/report"
	"github.com/scan445/scan445/scanner"
	"github.com/scan445/scan445/smbprobe"
	"github.com/scan445/scan445/smbprobe/smblab"
)

// fallbackLab serves xp-sp2 with 445 closed and 139 open (the host-firewall case) and
// xp-sp3-patched on both, at 127.3.2.first and the next address, on the real ports 445 and 139:
// a scan needs no port flag at all. (Binding them needs root; and only port 139 speaks the
// NetBIOS session service, so other ports cannot stand in for it.)
func fallbackLab(t *testing.T, first byte) (lab *smblab.Lab, nbOnly, both string) {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("binding ports 445 and 139 needs root")
	}
	var ps []smblab.Personality
	for _, p := range smblab.DefaultPersonalities() {
		if p.Name == "xp-sp2" || p.Name == "xp-sp3-patched" {
			ps = append(ps, p)
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	lab, err := smblab.Start(ctx, smblab.Options{First: netip.AddrFrom4([4]byte{127, 3, 2, first}), Port: 445, NetBIOSPort: 139,
		Personalities: ps, NetBIOSOnly: map[string]bool{"xp-sp2": true}})
	if err != nil {
		cancel()
		t.Fatalf("lab: %v", err)
	}
	t.Cleanup(func() { lab.Close(); cancel() })
	for _, h := range lab.Hosts() {
		if h.Port == 0 {
			nbOnly = h.Addr.String()
		} else {
			both = h.Addr.String()
		}
	}
	if nbOnly == "" || both == "" {
		t.Fatalf("lab hosts %+v: want one 139-only host and one on both ports", lab.Hosts())
	}
	return lab, nbOnly, both
}

// hostOn finds addr in a report.
func hostOn(t *testing.T, doc *report.Document, addr string) scanner.HostResult {
	t.Helper()
	for _, h := range doc.Hosts {
		if h.Address == addr {
			return h
		}
	}
	t.Fatalf("%s is not in the report (hosts %d, unlisted %+v)", addr, len(doc.Hosts), doc.Unlisted)
	return scanner.HostResult{}
}

// checkFoundOn holds one host's result to the fallback: open on port after the tries listed,
// and judged as the lab's truth says.
func checkFoundOn(t *testing.T, h scanner.HostResult, lab *smblab.Lab, port int, tried []scanner.PortTry) {
	t.Helper()
	if h.Status != scanner.StatusOpen || h.Port != port || !slices.Equal(h.Tried, tried) {
		t.Errorf("%s: %s on %d, tried %v; want open on %d, tried %v", h.Address, h.Status, h.Port, h.Tried, port, tried)
	}
	var truth smblab.Verdict
	for _, lh := range lab.Hosts() {
		if lh.Addr.String() == h.Address {
			truth = lh.Truth[smbprobe.CheckMS08067]
		}
	}
	if h.SMB == nil || len(h.SMB.Findings) != 1 || string(h.SMB.Findings[0].Verdict) != string(truth) {
		t.Errorf("%s: findings %+v, want ms08-067 %s", h.Address, h.SMB, truth)
	}
}

// TestDefaultPortsFindA139OnlyHost: with no port flag a scan tries 445, and 139 for the host
// that refused 445: the XP host behind its firewall is found and judged over the NetBIOS session
// service, reported on 139 with 445 in ports_tried; the host open on 445 is never dialled on 139
// (its result names no other port).
func TestDefaultPortsFindA139OnlyHost(t *testing.T) {
	lab, nbOnly, both := fallbackLab(t, 10)
	out := filepath.Join(t.TempDir(), "r.json")
	code, _, stderr := runCLI(t, "", "scan", nbOnly, both, "--checks", "ms08-067", "--json", out, "--timeout", "2s")
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	doc := loadDoc(t, out)
	if doc.Options["ports"] != "445,139" || doc.Options["fallback_on"] != "closed" {
		t.Errorf("options ports=%q fallback_on=%q, want 445,139 and closed", doc.Options["ports"], doc.Options["fallback_on"])
	}
	checkFoundOn(t, hostOn(t, doc, nbOnly), lab, 139, []scanner.PortTry{{Port: 445, Status: scanner.StatusClosed}})
	checkFoundOn(t, hostOn(t, doc, both), lab, 445, nil)
	if n := len(lab.Crashes()); n != 0 {
		t.Errorf("%d crashes", n)
	}
}

// TestResumeKeepsFallbackResults: a journal written by a run that found the 139-only host keeps
// that result (port, ports_tried, findings) through a resumed run over both hosts, which skips
// the address whatever port answered and scans only the other one.
func TestResumeKeepsFallbackResults(t *testing.T) {
	lab, nbOnly, both := fallbackLab(t, 20)
	dir := t.TempDir()
	journalPath, out := filepath.Join(dir, "journal.ndjson"), filepath.Join(dir, "r.json")
	base := []string{"--checks", "ms08-067", "--timeout", "2s", "--resume", journalPath}
	if code, _, stderr := runCLI(t, "", append([]string{"scan", nbOnly}, base...)...); code != exitOK {
		t.Fatalf("first run: exit %d: %s", code, stderr)
	}
	code, _, stderr := runCLI(t, "", append([]string{"scan", nbOnly, both, "--json", out}, base...)...)
	if code != exitOK {
		t.Fatalf("resumed run: exit %d: %s", code, stderr)
	}
	doc := loadDoc(t, out)
	if doc.Stats == nil || doc.Stats.Skipped != 1 || doc.Stats.Dispatched != 1 {
		t.Errorf("stats %+v: want the 139 host skipped and one host scanned", doc.Stats)
	}
	checkFoundOn(t, hostOn(t, doc, nbOnly), lab, 139, []scanner.PortTry{{Port: 445, Status: scanner.StatusClosed}})
	checkFoundOn(t, hostOn(t, doc, both), lab, 445, nil)
}

// TestPortFlags: --port keeps meaning one port; the two ways to name ports do not mix.
func TestPortFlags(t *testing.T) {
	closed := "127.3.2.99"
	for _, tc := range []struct {
		args  []string
		code  int
		ports string
	}{
		{nil, exitOK, "445,139"},
		{[]string{"--port", "4445"}, exitOK, "4445"},
		{[]string{"--ports", "4445,4139", "--fallback-on", "filtered"}, exitOK, "4445,4139"},
		{[]string{"--port", "445", "--ports", "445,139"}, exitUsage, ""},
		{[]string{"--port", "445", "--fallback-on", "filtered"}, exitUsage, ""},
		{[]string{"--fallback-on", "timeout"}, exitUsage, ""},
		{[]string{"--ports", "445,139,445"}, exitUsage, ""},
	} {
		out := filepath.Join(t.TempDir(), "r.json")
		code, _, stderr := runCLI(t, "", append([]string{"scan", closed, "--checks", "none", "--json", out, "--report-all", "--timeout", "1s"}, tc.args...)...)
		if code != tc.code {
			t.Errorf("%v: exit %d, want %d: %s", tc.args, code, tc.code, stderr)
			continue
		}
		if tc.code != exitOK {
			continue
		}
		doc := loadDoc(t, out)
		h := hostOn(t, doc, closed)
		ports := append([]int{}, h.Port)
		for _, p := range h.Tried {
			ports = slices.Insert(ports, len(ports)-1, p.Port)
		}
		if doc.Options["ports"] != tc.ports || joinPorts(ports) != tc.ports || h.Status != scanner.StatusClosed {
			t.Errorf("%v: options ports %q, host %s tried %v then %d; want every port of %s tried", tc.args, doc.Options["ports"], h.Status, h.Tried, h.Port, tc.ports)
		}
	}
}
