package smbprobe_test

import (
	"context"
	"net/netip"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/scan445/scan445/internal/testpeer"
	"github.com/scan445/scan445/smbprobe"
)

// sambaLab is the private smbd every case starts from: guest mapping for bad users and an
// anonymous read-only share, so that null sessions reach srvsvc unless a case forbids them.
func sambaLab(cfg testpeer.SambaConfig) testpeer.SambaConfig {
	cfg.Workgroup = "LABGROUP"
	cfg.MapToGuest = "Bad User"
	cfg.Shares = []testpeer.SambaShare{{Name: "public", Path: "share", Guest: true}}
	return cfg
}

func findingOf(t *testing.T, res *smbprobe.Result, check string) smbprobe.Finding {
	t.Helper()
	for _, f := range res.Findings {
		if f.Check == check {
			return f
		}
	}
	t.Fatalf("no %s finding", check)
	return smbprobe.Finding{}
}

func TestSamba(t *testing.T) {
	tests := []struct {
		name  string
		cfg   testpeer.SambaConfig
		check func(t *testing.T, res *smbprobe.Result)
	}{
		{"smb1-only", testpeer.SambaConfig{SMB1: testpeer.SMB1Only, RestrictAnonymous: 0}, func(t *testing.T, res *smbprobe.Result) {
			fp := res.Fingerprint
			if !fp.SMB1 || fp.SMB2 || len(fp.Dialects) != 1 || fp.Dialects[0] != "NT LM 0.12" {
				t.Errorf("smb1 %t smb2 %t dialects %v", fp.SMB1, fp.SMB2, fp.Dialects)
			}
			if fp.NativeOS != "Windows 6.1" || !strings.HasPrefix(fp.NativeLANMan, "Samba") || fp.OSFamily != smbprobe.FamilySamba {
				t.Errorf("native %q / %q family %q", fp.NativeOS, fp.NativeLANMan, fp.OSFamily)
			}
			if fp.NTLMVersion == nil || fp.NTLMVersion.Build != 0 || fp.NetBIOSName != "SAMBALAB" {
				t.Errorf("ntlm %+v name %q", fp.NTLMVersion, fp.NetBIOSName)
			}
			if fp.Pipe != `\srvsvc` || fp.ServerInfo == nil || fp.ServerInfo.PlatformID != 500 {
				t.Errorf("pipe %q server info %+v", fp.Pipe, fp.ServerInfo)
			}
			if res.Connections != 1 {
				t.Errorf("%d connections", res.Connections)
			}
			expect(t, res, smbprobe.CheckMS08067, smbprobe.NotAffected, "ms08-067/3a.samba")
			expect(t, res, smbprobe.CheckConficker, smbprobe.Unknown, "conficker/4a.call-unsupported")
			if f := findingOf(t, res, smbprobe.CheckConficker); !strings.Contains(f.Reason, "not Windows / call not supported") {
				t.Errorf("conficker reason %q", f.Reason)
			}
			expect(t, res, smbprobe.CheckMS17010, smbprobe.NotAffected, "ms17-010/5.samba")
			expect(t, res, smbprobe.CheckSMBv1, smbprobe.Exposed, "")
			expect(t, res, smbprobe.CheckSigning, smbprobe.Exposed, "")
			expect(t, res, smbprobe.CheckNullSession, smbprobe.Exposed, "")
			expect(t, res, smbprobe.CheckSrvsvcAnon, smbprobe.Exposed, "")
			expect(t, res, smbprobe.CheckOSUnsupported, smbprobe.NotAffected, "")
		}},
		{"default-smb2", testpeer.SambaConfig{RestrictAnonymous: 0}, func(t *testing.T, res *smbprobe.Result) {
			fp := res.Fingerprint
			if fp.SMB1 || !fp.SMB2 || len(fp.Dialects) == 0 || fp.Dialects[0] != "3.1.1" {
				t.Errorf("smb1 %t smb2 %t dialects %v", fp.SMB1, fp.SMB2, fp.Dialects)
			}
			if fp.OSFamily != smbprobe.FamilySamba || fp.NetBIOSName != "SAMBALAB" {
				t.Errorf("family %q name %q", fp.OSFamily, fp.NetBIOSName)
			}
			expect(t, res, smbprobe.CheckSMBv1, smbprobe.NotAffected, "")
			expect(t, res, smbprobe.CheckMS17010, smbprobe.NotAffected, "ms17-010/5.no-smb1")
			expect(t, res, smbprobe.CheckMS08067, smbprobe.NotAffected, "ms08-067/3a.samba")
			expect(t, res, smbprobe.CheckConficker, smbprobe.Unknown, "")
			expect(t, res, smbprobe.CheckSigning, smbprobe.Exposed, "")
		}},
		{"signing-mandatory", testpeer.SambaConfig{Signing: "mandatory", RestrictAnonymous: 0}, func(t *testing.T, res *smbprobe.Result) {
			if !res.Fingerprint.SigningRequired {
				t.Errorf("signing required not seen: %+v", res.Fingerprint)
			}
			expect(t, res, smbprobe.CheckSigning, smbprobe.NotAffected, "")
			expect(t, res, smbprobe.CheckMS08067, smbprobe.NotAffected, "ms08-067/3a.samba")
		}},
		{"restrict-anonymous-2", testpeer.SambaConfig{SMB1: testpeer.SMB1On, RestrictAnonymous: 2}, func(t *testing.T, res *smbprobe.Result) {
			expect(t, res, smbprobe.CheckNullSession, smbprobe.NotAffected, "")
			expect(t, res, smbprobe.CheckSrvsvcAnon, smbprobe.NotAffected, "")
			expect(t, res, smbprobe.CheckConficker, smbprobe.Unknown, "conficker/4a.not-run")
			expect(t, res, smbprobe.CheckMS08067, smbprobe.NotAffected, "ms08-067/3a.samba")
		}},
	}
	for _, tt := range tests {
		tt := tt
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			ap := testpeer.StartSamba(t, sambaLab(tt.cfg)).Addr
			p, err := smbprobe.New(smbprobe.Options{ReadTimeout: 5 * time.Second, Checks: nonP2P()})
			if err != nil {
				t.Fatal(err)
			}
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			res := probeAddr(ctx, t, p, ap)
			if res.Error != "" {
				t.Errorf("probe error: %s", res.Error)
			}
			tt.check(t, res)
			if t.Failed() || os.Getenv("SCAN445_DUMP") != "" {
				t.Log(dump(t, res))
			}
		})
	}
}

func nonP2P() []string {
	var out []string
	for _, c := range smbprobe.DefaultChecks() {
		if c != smbprobe.CheckConfickerP2P {
			out = append(out, c)
		}
	}
	return out
}

func expect(t *testing.T, res *smbprobe.Result, check string, v smbprobe.Verdict, rule string) {
	t.Helper()
	f := findingOf(t, res, check)
	if f.Verdict != v || (rule != "" && f.Rule != rule) {
		t.Errorf("%s: got %s (%s: %s), want %s %s", check, f.Verdict, f.Rule, f.Reason, v, rule)
	}
}

// TestSambaNetBIOS probes Samba serving only port 139 (smb ports = 139): the probe speaks the
// NetBIOS session service first and then reaches the same verdicts as on 445.
func TestSambaNetBIOS(t *testing.T) {
	s := testpeer.StartSamba(t, sambaLab(testpeer.SambaConfig{SMB1: testpeer.SMB1Only, NetBIOS: true,
		Addr: netip.MustParseAddr("127.0.139.99")}))
	p, err := smbprobe.New(smbprobe.Options{ReadTimeout: 5 * time.Second, Checks: nonP2P()})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	res := probeAddr(ctx, t, p, s.Addr)
	if res.Error != "" {
		t.Errorf("probe error: %s", res.Error)
	}
	if len(res.Exchanges) == 0 || res.Exchanges[0].Step != "nbss.session-request" || res.Exchanges[0].Status != "positive session response" {
		t.Errorf("no granted session request first")
	}
	if !res.Fingerprint.SMB1 || res.Fingerprint.NetBIOSName != "SAMBALAB" {
		t.Errorf("fingerprint %+v", res.Fingerprint)
	}
	expect(t, res, smbprobe.CheckMS08067, smbprobe.NotAffected, "ms08-067/3a.samba")
	expect(t, res, smbprobe.CheckSMBv1, smbprobe.Exposed, "")
	expect(t, res, smbprobe.CheckSrvsvcAnon, smbprobe.Exposed, "")
	if t.Failed() {
		t.Log(dump(t, res))
	}
}
