package peerdiff

import (
	"net/netip"
	"os"
	"reflect"
	"testing"

	"github.com/scan445/scan445/internal/testpeer"
	"github.com/scan445/scan445/smbprobe"
)

func TestOSClass(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"", "none"},
		{"  ", "none"},
		{"Windows XP (Windows 5.1)", "Windows XP (NT 5.1)"},
		{"Windows XP (Windows 2000 LAN Manager)", "Windows XP (NT 5.1)"}, // the LAN Manager part must not win
		{"Windows XP SP2+", "Windows XP (NT 5.1)"},
		{"Windows 2000 (Windows 2000 LAN Manager)", "Windows 2000 (NT 5.0)"},
		{"Windows Server 2003 / XP x64", "Windows 2003 / XP x64 (NT 5.2)"},
		{"Windows Server 2003 3790 Service Pack 2 (Windows Server 2003 5.2)", "Windows 2003 / XP x64 (NT 5.2)"},
		{"Windows Vista SP1 / Server 2008 (build 6001)", "Windows Vista / 2008 (NT 6.0)"},
		{"Windows Server (R) 2008 Standard 6002 Service Pack 2 (Windows Server (R) 2008 Standard 6.0)", "Windows Vista / 2008 (NT 6.0)"},
		{"Windows 7 / Server 2008 R2", "Windows 7 / 2008 R2 (NT 6.1)"},
		{"Windows 7 Professional 7601 Service Pack 1 (Windows 7 Professional 6.1)", "Windows 7 / 2008 R2 (NT 6.1)"},
		{"Windows Server 2012 R2 (build 9600)", "Windows 8.1 / 2012 R2 (NT 6.3)"},
		{"Windows 6.1 (Samba 4.17.12-Debian)", "Samba"},
		{"Samba", "Samba"},
		{"Windows 255.255 (build 65535)", "Windows 255.255 (build 65535)"},
	} {
		if got := OSClass(tc.in); got != tc.want {
			t.Errorf("OSClass(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

const vulnNot = "\n  NOT VULNERABLE:\n  X\n    State: NOT VULNERABLE\n    IDs:  CVE:2008-4250\n    References:\n      https://example/\n"

func TestFromNmap(t *testing.T) {
	b, err := os.ReadFile("testdata/nmap-impacket-conficker-abc.xml")
	if err != nil {
		t.Fatal(err)
	}
	runs, err := testpeer.ParseNmapXML(b)
	if err != nil {
		t.Fatal(err)
	}
	recorded := runs[netip.MustParseAddr("127.0.0.1")]
	if recorded == nil {
		t.Fatalf("no 127.0.0.1 in %v", runs)
	}
	tests := []struct {
		name    string
		scripts map[string]string
		want    Observation
	}{
		{"recorded impacket conficker-abc", recorded, Observation{
			FieldOS: "Windows XP (NT 5.1)", FieldSMB1: "on", FieldSigning: "not-required", FieldConficker: "infected", FieldMS17010: "not-vulnerable"}},
		{"nothing printed", map[string]string{}, Observation{
			FieldOS: "none", FieldSMB1: "none", FieldSigning: "none", FieldConficker: "none", FieldMS17010: "none"}},
		{"smb2-only signing required", map[string]string{
			"smb-protocols":      "\n  dialects: \n    2:0:2\n    3:1:1",
			"smb2-security-mode": "\n  3:1:1: \n    Message signing enabled and required",
			"smb-vuln-conficker": vulnNot,
			"smb-vuln-ms17-010":  "\n  VULNERABLE:\n  Y\n    State: VULNERABLE\n",
		}, Observation{FieldOS: "none", FieldSMB1: "off", FieldSigning: "required", FieldConficker: "clean", FieldMS17010: "vulnerable"}},
		{"smb1 signing required, os error, conficker extra info", map[string]string{
			"smb-os-discovery":   "\n  ERROR: Could not negotiate a connection:SMB: ERROR: Server returned less data\n",
			"smb-protocols":      "\n  dialects: \n    NT LM 0.12 (SMBv1) [dangerous, but default]\n    2:0:2",
			"smb-security-mode":  "\n  account_used: guest\n  message_signing: required",
			"smb-vuln-conficker": "\n  NOT VULNERABLE:\n    State: NOT VULNERABLE\n    Extra information:\n      UNKNOWN; got error X\n    References:\n",
			"smb-vuln-ms17-010":  "ERROR: Script execution failed (use -d to debug)",
		}, Observation{FieldOS: "error: ERROR: Could not negotiate a connection:SMB: ERROR: Server returned less data", FieldSMB1: "on",
			FieldSigning: "required", FieldConficker: "clean (UNKNOWN; got error X)", FieldMS17010: "error: ERROR: Script execution failed (use -d to debug)"}},
		{"smb1 signing supported, smb2 not required", map[string]string{
			"smb-security-mode":  "\n  message_signing: supported",
			"smb2-security-mode": "\n  2:0:2: \n    Message signing enabled but not required",
		}, Observation{FieldOS: "none", FieldSMB1: "none", FieldSigning: "not-required", FieldConficker: "none", FieldMS17010: "none"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := FromNmap(tc.scripts); !reflect.DeepEqual(got, tc.want) {
				t.Errorf("got  %v\nwant %v", got, tc.want)
			}
		})
	}
}

func TestFromScan445(t *testing.T) {
	result := func(fp smbprobe.Fingerprint, v map[string]smbprobe.Verdict) *smbprobe.Result {
		r := &smbprobe.Result{Fingerprint: fp}
		for _, c := range []string{smbprobe.CheckSigning, smbprobe.CheckConficker, smbprobe.CheckMS17010} {
			if x, ok := v[c]; ok {
				r.Findings = append(r.Findings, smbprobe.Finding{Check: c, Verdict: x})
			}
		}
		return r
	}
	tests := []struct {
		name string
		res  *smbprobe.Result
		want Observation
	}{
		{"xp infected", result(smbprobe.Fingerprint{OS: "Windows XP SP2+", SMB1: true, Dialects: []string{"NT LM 0.12"}}, map[string]smbprobe.Verdict{
			smbprobe.CheckSigning: smbprobe.Exposed, smbprobe.CheckConficker: smbprobe.Infected, smbprobe.CheckMS17010: smbprobe.Vulnerable,
		}), Observation{FieldOS: "Windows XP (NT 5.1)", FieldSMB1: "on", FieldSigning: "not-required", FieldConficker: "infected", FieldMS17010: "vulnerable"}},
		{"samba smb2 clean", result(smbprobe.Fingerprint{OS: "Samba", Dialects: []string{"3.1.1"}}, map[string]smbprobe.Verdict{
			smbprobe.CheckSigning: smbprobe.NotAffected, smbprobe.CheckConficker: smbprobe.Clean, smbprobe.CheckMS17010: smbprobe.NotAffected,
		}), Observation{FieldOS: "Samba", FieldSMB1: "off", FieldSigning: "required", FieldConficker: "clean", FieldMS17010: "not-vulnerable"}},
		{"old patched word, unknowns", result(smbprobe.Fingerprint{}, map[string]smbprobe.Verdict{
			smbprobe.CheckSigning: smbprobe.Error, smbprobe.CheckConficker: smbprobe.Patched, smbprobe.CheckMS17010: smbprobe.Unknown,
		}), Observation{FieldOS: "none", FieldSMB1: "none", FieldSigning: "error", FieldConficker: "clean", FieldMS17010: "unknown"}},
		{"no findings", result(smbprobe.Fingerprint{OS: "Windows 255.255 (build 65535)", SMB1: true}, nil),
			Observation{FieldOS: "Windows 255.255 (build 65535)", FieldSMB1: "on", FieldSigning: "none", FieldConficker: "none", FieldMS17010: "none"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := FromScan445(tc.res); !reflect.DeepEqual(got, tc.want) {
				t.Errorf("got  %v\nwant %v", got, tc.want)
			}
		})
	}
}

func TestCompare(t *testing.T) {
	a := Observation{FieldOS: "x", FieldSMB1: "on", FieldSigning: "required", FieldConficker: "clean", FieldMS17010: "none"}
	b := Observation{FieldOS: "x", FieldSMB1: "off", FieldSigning: "required", FieldConficker: "unknown", FieldMS17010: "none"}
	got := Compare("s", a, b)
	want := []Disagreement{{"s", FieldSMB1, "on", "off"}, {"s", FieldConficker, "clean", "unknown"}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %v, want %v", got, want)
	}
	if d := Compare("s", a, a); d != nil {
		t.Errorf("identical observations: %v", d)
	}
}
