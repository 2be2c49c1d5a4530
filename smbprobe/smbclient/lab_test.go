package smbclient

import (
	"errors"
	"testing"

	"github.com/scan445/scan445/smbprobe/ntstatus"
)

// TestLabAuthenticatedPipes opens an authenticated session on the lab's credentialed
// personalities over SMB1 and SMB2. The pipes that carry srvsvc are refused before a byte is
// sent (the prober's safety gate owns srvsvc), a pipe the lab does not serve is a RefusedError
// at the open with the lab's status, and a wrong password a RefusedError at the logon carrying
// STATUS_LOGON_FAILURE.
func TestLabAuthenticatedPipes(t *testing.T) {
	for _, tc := range []struct {
		personality string
		dialects    []Dialect
	}{
		{"xp-sp3-patched", []Dialect{DialectSMB1}},
		{"vista-sp1", []Dialect{DialectSMB1, DialectSMB2}},
	} {
		h, cred := labHost(t, "127.3.1.1", tc.personality)
		for _, d := range tc.dialects {
			t.Run(tc.personality+"/"+d.String(), func(t *testing.T) {
				ctx := testCtx(t)
				var steps []string
				s, err := OpenSession(ctx, dial(t, h.AddrPort()), SessionConfig{
					Host: h.Addr.String(), Cred: cred, Dialect: d,
					OnExchange: func(x Exchange) { steps = append(steps, x.Step) },
				})
				if err != nil {
					t.Fatalf("OpenSession: %v (steps %v)", err, steps)
				}
				defer s.Close(ctx)
				before := len(steps)
				for _, name := range []string{"srvsvc", `\PIPE\SRVSVC`, "Browser"} {
					if _, err := s.OpenPipe(ctx, name); !errors.Is(err, ErrRefused) {
						t.Errorf("OpenPipe(%q): %v, want ErrRefused", name, err)
					}
				}
				if len(steps) != before {
					t.Errorf("refused opens sent %v", steps[before:])
				}
				_, err = s.OpenPipe(ctx, "winreg")
				var re *RefusedError
				if !errors.As(err, &re) || re.Stage != StageOpen || !errors.Is(err, ntstatus.ObjectNameNotFound) {
					t.Errorf("OpenPipe(winreg) on the lab: %v", err)
				}
				if d == DialectSMB1 && (len(steps) != 5 || steps[0] != "smb1.negotiate" || steps[1] != "smb1.session-setup" || steps[3] != "smb1.tree-connect") {
					t.Errorf("exchanges %v", steps)
				}
			})
		}
		t.Run(tc.personality+"/wrong-password", func(t *testing.T) {
			bad := cred
			bad.Hash[0] ^= 1
			_, err := OpenSession(testCtx(t), dial(t, h.AddrPort()), SessionConfig{Host: h.Addr.String(), Cred: bad, Dialect: DialectSMB1})
			var re *RefusedError
			if !errors.As(err, &re) || re.Stage != StageLogon || !errors.Is(err, ntstatus.LogonFailure) {
				t.Fatalf("err %v", err)
			}
		})
	}
}
