package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// The addresses below are parse-only fixtures from the bench's own namespace range; nothing is
// sent anywhere.
func TestReadNmapOpen(t *testing.T) {
	gnmap := `# Nmap 7.93 scan initiated as: nmap -sS -Pn -n -p445 -T4 -oG x 10.78.0.0/16
Host: 10.78.1.7 ()	Status: Up
Host: 10.78.1.7 ()	Ports: 445/open/tcp//microsoft-ds///
Host: 10.78.2.9 ()	Ports: 445/closed/tcp//microsoft-ds///
Host: 10.78.9.9 ()	Ports: 445/filtered/tcp//microsoft-ds///
# Nmap done
`
	p := filepath.Join(t.TempDir(), "x.gnmap")
	os.WriteFile(p, []byte(gnmap), 0o644)
	open, err := readNmapOpen(p)
	if err != nil {
		t.Fatal(err)
	}
	if len(open) != 1 || !open["10.78.1.7"] {
		t.Fatalf("open %v", open)
	}
}

func TestSameSetAndVmHWM(t *testing.T) {
	want := expectedOpen()
	if len(want) != 256 || sameSet(want, want) != "" {
		t.Fatalf("expected set of %d", len(want))
	}
	got := expectedOpen()
	delete(got, "10.78.1.0")
	got["10.78.2.1"] = true
	if d := sameSet(want, got); d != "1 missing, 1 extra" {
		t.Fatalf("sameSet = %q", d)
	}
	if v := vmHWM(os.Getpid()); v <= 0 {
		t.Fatalf("VmHWM of this process: %d", v)
	}
	if !strings.Contains(nftRules(), "10.78.1.255 : 127.0.1.255") {
		t.Fatal("the dnat map does not cover the whole open /24")
	}
}

func TestNmapDone(t *testing.T) {
	out := "Stats: 0:05:00 elapsed; 4096 hosts completed (1024 up), 1024 undergoing SYN Stealth Scan\n" +
		"SYN Stealth Scan Timing: About 50.00% done; ETC: 09:52 (0:18:02 remaining)\n"
	if d := nmapDone(out, 10240); d < 0.4499 || d > 0.4501 {
		t.Fatalf("nmapDone = %v, want (4096 + 512) / 10240", d)
	}
	if d := nmapDone("nothing", 10240); d != 0 {
		t.Fatalf("nmapDone without a stats line = %v", d)
	}
}
