package smbprobe_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/scan445/scan445/internal/testpeer"
	"github.com/scan445/scan445/smbprobe"
	"github.com/scan445/scan445/smbprobe/credcheck"
)

// TestSambaWinreg reads Samba 4.17's winreg as an independent peer, logged on as a Samba user
// over SMB1 and SMB2. What Samba really serves (recorded in docs/checks.md §6a): HKLM opens,
// CurrentVersion is "6.1" and SystemRoot "c:\Windows", but there is no ProductName, no
// CSDVersion, no CurrentBuildNumber and no Policies\Explorer key. Our four requests must be
// accepted (every call answered, no fault), the registry signal must be dropped as not
// Windows, and autorun-enabled must be not-affected because the host is Samba — never a
// guess that AutoRun is on.
func TestSambaWinreg(t *testing.T) {
	const user, password = "s3rregadmin", "Reg-Passw0rd!"
	for _, mode := range []testpeer.SMB1Mode{testpeer.SMB1Only, testpeer.SMB1Off} {
		s := testpeer.StartSamba(t, testpeer.SambaConfig{SMB1: mode, Users: []testpeer.SambaUser{{Name: user, Password: password}}})
		cred := credcheck.Credentials{User: user, Password: password}
		p, err := smbprobe.New(smbprobe.Options{Checks: []string{smbprobe.CheckAutorun}, Credentials: &cred, ReadTimeout: 5 * time.Second})
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		res := probeAddr(ctx, t, p, s.Addr)
		cancel()
		f := findingOf(t, res, smbprobe.CheckAutorun)
		t.Logf("smb1 mode %d: %s %s: %s", mode, f.Verdict, f.Rule, f.Reason)
		if f.Verdict != smbprobe.NotAffected || f.Rule != "autorun-enabled/6a.samba" {
			t.Errorf("got %s %s (%s)\n%s", f.Verdict, f.Rule, f.Reason, dump(t, res))
		}
		reg := res.Fingerprint.Registry
		if reg == nil || reg.CurrentVersion != "6.1" || reg.ProductName != "" || reg.CurrentBuildNumber != "" {
			t.Errorf("registry record %+v", reg)
		}
		var regSignal *smbprobe.OSSignal
		for i, sig := range res.Fingerprint.OSEvidence {
			if sig.Source == smbprobe.SignalRegistry {
				regSignal = &res.Fingerprint.OSEvidence[i]
			}
		}
		if regSignal == nil || regSignal.Credible || !strings.Contains(regSignal.Note, "CurrentBuildNumber") {
			t.Errorf("registry signal %+v", regSignal)
		}
		calls, failed := 0, 0
		for _, e := range res.Exchanges {
			if strings.HasPrefix(e.Step, "winreg.Base") || e.Step == "winreg.OpenLocalMachine" {
				calls++
				if !strings.HasPrefix(e.Status, "WERROR") {
					failed++
					t.Errorf("call not answered: %+v", e)
				}
			}
		}
		if calls < 10 || failed > 0 {
			t.Errorf("%d winreg calls, %d unanswered", calls, failed)
		}
	}
}
