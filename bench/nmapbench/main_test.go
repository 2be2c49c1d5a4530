package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// testdata/nmap-lab.xml is nmap 7.93's real -oX output for four lab hosts (XP SP2, Vista SP1,
// 2012 R2 without SMB1, Samba 4.17), captured through this bench's namespaces. The 10.77.x.x
// addresses below are parsed only: they exist solely inside the bench's own target namespace,
// and nothing in these tests opens a connection.
func TestReadNmapRealXML(t *testing.T) {
	got, err := readNmap("testdata/nmap-lab.xml")
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{
		"10.77.1.1": "Windows 5.1 (Windows 2000 LAN Manager)",
		"10.77.1.6": "Windows Vista (TM) Business 6001 Service Pack 1 (Windows Vista (TM) Business 6.0)",
		"10.77.1.9": "", // no SMB1: smb-os-discovery prints nothing
		"10.77.2.0": "Windows 6.1 (Samba 4.17.12-Debian)",
	}
	if len(got) != len(want) {
		t.Fatalf("got %d hosts %v, want %d", len(got), got, len(want))
	}
	for a, w := range want {
		if g, ok := got[a]; !ok || g != w {
			t.Errorf("%s: got %q (present %v), want %q", a, g, ok, w)
		}
	}
}

func TestReadNmapSkipsClosedAndBroken(t *testing.T) {
	dir := t.TempDir()
	tests := []struct {
		name, xml string
		n         int
		wantErr   bool
	}{
		{"closed", `<nmaprun><host><address addr="10.77.3.1" addrtype="ipv4"/><ports><port protocol="tcp" portid="445"><state state="closed"/></port></ports></host></nmaprun>`, 0, false},
		{"other port", `<nmaprun><host><address addr="10.77.3.1" addrtype="ipv4"/><ports><port protocol="tcp" portid="139"><state state="open"/></port></ports></host></nmaprun>`, 0, false},
		{"truncated", `<nmaprun><host><address addr="10.77.3.1" addrtype="ipv4"/><ports>`, 0, true},
	}
	for _, tc := range tests {
		p := filepath.Join(dir, strings.ReplaceAll(tc.name, " ", "_")+".xml")
		if err := os.WriteFile(p, []byte(tc.xml), 0o644); err != nil {
			t.Fatal(err)
		}
		got, err := readNmap(p)
		if (err != nil) != tc.wantErr {
			t.Errorf("%s: err %v, want error %v", tc.name, err, tc.wantErr)
		}
		if err == nil && len(got) != tc.n {
			t.Errorf("%s: %d open hosts, want %d", tc.name, len(got), tc.n)
		}
	}
}

func TestOSKeyPairs(t *testing.T) {
	// Each pair is what the two tools print for the same lab host; equal keys mean agreement.
	same := [][2]string{
		{"Windows XP SP2", "Windows 5.1 (Windows 2000 LAN Manager)"},
		{"Windows 2000 SP4", "Windows 5.0 (Windows 2000 LAN Manager)"},
		{"Windows Server 2003 SP2", "Windows Server 2003 3790 Service Pack 2 (Windows Server 2003 5.2)"},
		{"Windows Vista SP1 / Server 2008 (build 6001)", "Windows Vista (TM) Business 6001 Service Pack 1 (Windows Vista (TM) Business 6.0)"},
		{"Windows 7 SP1 / Server 2008 R2 SP1 (build 7601)", "Windows 7 Professional 7601 Service Pack 1 (Windows 7 Professional 6.1)"},
		{"samba Samba 4.17.12-Debian", "Windows 6.1 (Samba 4.17.12-Debian)"},
		{"", " ()"},
	}
	for _, p := range same {
		if a, b := osKey(p[0]), osKey(p[1]); a != b {
			t.Errorf("osKey(%q)=%q, osKey(%q)=%q: want equal", p[0], a, p[1], b)
		}
	}
	differ := [][2]string{
		{"Windows 8.1 / Server 2012 R2 (build 9600)", ""},
		{"Windows XP SP3", "Windows Server 2003 3790 Service Pack 2 (Windows Server 2003 5.2)"},
		{"Windows 7 SP1", "Windows Server (R) 2008 Standard 6002 Service Pack 2 (Windows Server (R) 2008 Standard 6.0)"},
		{"Windows 6.1 (Samba 4.17.12-Debian)", "Windows 7 Professional 7601 Service Pack 1"},
	}
	for _, p := range differ {
		if a, b := osKey(p[0]), osKey(p[1]); a == b {
			t.Errorf("osKey(%q) = osKey(%q) = %q: want different", p[0], p[1], a)
		}
	}
}

func TestLayout(t *testing.T) {
	open := expectedOpen()
	if len(open) != 8464 { // 32 accept-and-close /24s + the lab /24 + 16 Samba addresses
		t.Fatalf("expected open: %d", len(open))
	}
	for _, a := range []string{"10.77.0.0", "10.77.1.255", "10.77.2.15", "10.77.248.7"} {
		if !open[a] {
			t.Errorf("%s should be open", a)
		}
	}
	for _, a := range []string{"10.77.2.16", "10.77.7.1", "10.77.3.1"} {
		if open[a] {
			t.Errorf("%s should not be open", a)
		}
	}
	rules := nftRules()
	for _, want := range []string{
		"10.77.1.255 : 127.0.1.255",
		"ip daddr 10.77.1.0/24 tcp dport 445 dnat to ip daddr map @lab : 4445",
		"ip daddr 10.77.2.0/28 tcp dport 445 dnat to 127.0.0.1:4450",
		"ip daddr { 10.77.7.0/24, 10.77.15.0/24, ", "10.77.255.0/24 } tcp dport 445 drop",
	} {
		if !strings.Contains(rules, want) {
			t.Errorf("nft rules lack %q", want)
		}
	}
	if strings.Contains(rules, "%!") {
		t.Errorf("nft rules have a formatting error:\n%s", rules)
	}
}

func TestDiffSets(t *testing.T) {
	set := func(v ...string) map[string]bool {
		m := map[string]bool{}
		for _, a := range v {
			m[a] = true
		}
		return m
	}
	tests := []struct {
		want, got map[string]bool
		out       string
	}{
		{set("10.77.0.1"), set("10.77.0.1"), ""},
		{set("10.77.0.1", "10.77.0.2"), set("10.77.0.2", "10.77.0.10"), "1 missing (10.77.0.1), 1 extra (10.77.0.10)"},
		{set("10.77.0.10", "10.77.0.9", "10.77.0.1", "10.77.0.2", "10.77.0.3"), set(), "5 missing (10.77.0.1, 10.77.0.2, 10.77.0.3, 10.77.0.9, …), 0 extra"},
	}
	for _, tc := range tests {
		if got := diffSets(tc.want, tc.got); got != tc.out {
			t.Errorf("diffSets: %q, want %q", got, tc.out)
		}
	}
}
