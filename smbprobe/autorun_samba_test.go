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
	for _, tc := range []struct {
		name string
		mode testpeer.SMB1Mode
	}{
		{"smb1", testpeer.SMB1Only},
		// A cold Samba: samba-dcerpcd starts rpcd_winreg on the first bind and answers it with
		// an interim (STATUS_PENDING) response first, which go-smb2 follows on an unsigned
		// session. (On a session that requires signing go-smb2 v1.1.0 refuses the unsigned
		// interim: smbclient names that failure; the case is then skipped with it, never
		// passed or failed on it.)
		{"smb2", testpeer.SMB1On},
	} {
		t.Run(tc.name, func(t *testing.T) { sambaWinregCase(t, tc.mode, user, password) })
	}
}

func sambaWinregCase(t *testing.T, mode testpeer.SMB1Mode, user, password string) {
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
	if mode != testpeer.SMB1Only {
		for _, e := range res.Exchanges {
			if strings.Contains(e.Response, "expected tree id") {
				t.Skipf("known smbclient bug (its SMB2 guard drops Samba's STATUS_PENDING interim response): %s: %s", e.Step, e.Response)
			}
		}
	}
	t.Logf("smb1 mode %d (%d winreg exchanges): %s %s: %s", mode, len(res.Exchanges), f.Verdict, f.Rule, f.Reason)
	if wantSMB2 := mode != testpeer.SMB1Only; !strings.Contains(exchangeSteps(res), map[bool]string{true: "SMB2 NTLMv2", false: "SMB1 NTLMv2"}[wantSMB2]) {
		t.Errorf("the registry was not read over the expected SMB family: %s", exchangeSteps(res))
	}
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

func exchangeSteps(res *smbprobe.Result) string {
	var b strings.Builder
	for _, e := range res.Exchanges {
		b.WriteString(e.Step + ": " + e.Request + "\n")
	}
	return b.String()
}
