package labcheck

import (
	"net/netip"
	"strings"
	"testing"

	"github.com/scan445/scan445/report"
	"github.com/scan445/scan445/scanner"
	"github.com/scan445/scan445/smbprobe"
	"github.com/scan445/scan445/smbprobe/smblab"
)

func TestCompare(t *testing.T) {
	var xp smblab.Personality
	for _, p := range smblab.DefaultPersonalities() {
		if p.Name == "xp-sp2" {
			xp = p
		}
	}
	if xp.Name == "" {
		t.Fatal("no xp-sp2 personality")
	}
	lab := []smblab.Host{
		{Addr: netip.MustParseAddr("127.3.2.1"), Personality: "xp-sp2", Truth: xp.Truth},
		{Addr: netip.MustParseAddr("127.3.2.2"), Personality: "xp-sp2", Truth: xp.Truth},
	}
	finding := func(check string, v smblab.Verdict) smbprobe.Finding {
		return smbprobe.Finding{Check: check, Verdict: smbprobe.Verdict(v)}
	}
	host := func(addr string, port int, fs ...smbprobe.Finding) scanner.HostResult {
		return scanner.HostResult{Address: addr, Port: port, Status: scanner.StatusOpen, SMB: &smbprobe.Result{Findings: fs}}
	}
	right := xp.Truth[smbprobe.CheckMS08067]
	for _, tc := range []struct {
		name  string
		hosts []scanner.HostResult
		bad   int
		want  []string // lines that must be in the table
	}{
		{"both right; checks not run are left out", []scanner.HostResult{
			host("127.3.2.1", 445, finding(smbprobe.CheckMS08067, right)),
			host("127.3.2.2", 139, finding(smbprobe.CheckMS08067, right)), // found over 139: the same lab host
		}, 0, []string{"127.3.2.2  xp-sp2       ms08-067"}},
		{"a wrong verdict", []scanner.HostResult{
			host("127.3.2.1", 445, finding(smbprobe.CheckMS08067, "not-affected")),
			host("127.3.2.2", 445, finding(smbprobe.CheckMS08067, right)),
		}, 1, []string{"not-affected  MISMATCH"}},
		{"a lab host missing from the report", []scanner.HostResult{
			host("127.3.2.1", 445, finding(smbprobe.CheckMS08067, right)),
		}, 1, []string{"(not scanned)  MISMATCH"}},
		{"a host that did not answer", []scanner.HostResult{
			host("127.3.2.1", 445, finding(smbprobe.CheckMS08067, right)),
			{Address: "127.3.2.2", Port: 445, Status: scanner.StatusError},
		}, 1, []string{"(error)  MISMATCH"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var b strings.Builder
			got := Compare(&b, &report.Document{Hosts: tc.hosts}, lab)
			if got != tc.bad {
				t.Errorf("%d mismatches, want %d:\n%s", got, tc.bad, b.String())
			}
			if n := strings.Count(b.String(), "\n"); n != 1+len(lab) {
				t.Errorf("%d lines, want a header and one per host (only ms08-067 ran):\n%s", n, b.String())
			}
			for _, w := range tc.want {
				if !strings.Contains(b.String(), w) {
					t.Errorf("table lacks %q:\n%s", w, b.String())
				}
			}
		})
	}
}

func TestCrashes(t *testing.T) {
	log := []byte("CRASH 127.0.0.101 xp-sp2 path reaches the overflow\nstarted\n  CRASH not at the start\nCRASH 127.0.0.102 w2k\n")
	got := Crashes(log)
	if len(got) != 2 || !strings.HasPrefix(got[1], "CRASH 127.0.0.102") {
		t.Fatalf("crashes %q", got)
	}
	if Crashes(nil) != nil {
		t.Fatal("an empty log has crashes")
	}
}
