package smbclient

import (
	"errors"
	"testing"

	"github.com/scan445/scan445/smbprobe/ntstatus"
	"github.com/scan445/scan445/smbprobe/srvsvc"
)

// TestLabAuthenticatedPipes opens an authenticated session on the lab's credentialed
// personalities over SMB1 and SMB2, opens \srvsvc, and checks the RPC layer's refusals: srvsvc
// is refused before a byte is sent (the safety gate owns it), and an interface the lab does
// not serve comes back as ErrBindRejected. A wrong password is a RefusedError at the logon
// carrying STATUS_LOGON_FAILURE.
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
				p, err := s.OpenPipe(ctx, "srvsvc")
				if err != nil {
					t.Fatalf("OpenPipe: %v", err)
				}
				before := len(steps)
				if _, err := Bind(ctx, p, srvsvc.Interface()); !errors.Is(err, ErrRefused) || len(steps) != before {
					t.Errorf("srvsvc bind: err %v, %d exchanges sent", err, len(steps)-before)
				}
				if _, err := Bind(ctx, p, winreg); !errors.Is(err, ErrBindRejected) {
					t.Errorf("winreg bind on the lab: err %v, want ErrBindRejected", err)
				}
				if err := p.Close(ctx); err != nil {
					t.Errorf("close: %v", err)
				}
				if d == DialectSMB1 && (len(steps) < 6 || steps[0] != "smb1.negotiate" || steps[1] != "smb1.session-setup") {
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
