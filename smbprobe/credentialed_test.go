package smbprobe_test

import (
	"context"
	"testing"
	"time"

	"github.com/scan445/scan445/smbprobe"
	"github.com/scan445/scan445/smbprobe/credcheck"
	"github.com/scan445/scan445/smbprobe/smblab"
)

// TestLabCredentialedMS08067 gives the prober the lab's admin account: every personality with
// an ADMIN$ share must get its credentialed truth (vulnerable / patched, class credentialed,
// with the file version as evidence), over SMB1 or SMB2 as the host speaks; a wrong password
// must leave the safe verdict with the reason; and still nothing may crash.
func TestLabCredentialedMS08067(t *testing.T) {
	var crash syncBuffer
	lab := startLab(t, "127.45.0.1", &crash)
	var withAccount []smblab.Host
	for _, h := range lab.Hosts() {
		if h.Account != nil && h.CredTruth != "" {
			withAccount = append(withAccount, h)
		}
	}
	if len(withAccount) < 3 {
		t.Fatalf("the lab has %d credentialed personalities; the test would prove little", len(withAccount))
	}
	for _, h := range withAccount {
		t.Run(h.Personality, func(t *testing.T) {
			for _, tc := range []struct {
				name     string
				password string
			}{{"right password", h.Account.Password}, {"wrong password", h.Account.Password + "x"}} {
				cred := credcheck.Credentials{User: h.Account.User, Password: tc.password}
				p, err := smbprobe.New(smbprobe.Options{Checks: []string{smbprobe.CheckMS08067}, Credentials: &cred, ReadTimeout: 3 * time.Second})
				if err != nil {
					t.Fatal(err)
				}
				ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
				res := probeAddr(ctx, t, p, h.AddrPort())
				cancel()
				var f *smbprobe.Finding
				for i := range res.Findings {
					if res.Findings[i].Check == smbprobe.CheckMS08067 {
						f = &res.Findings[i]
					}
				}
				if f == nil {
					t.Fatalf("%s: no ms08-067 finding:\n%s", tc.name, dump(t, res))
				}
				safe := h.Truth[smbprobe.CheckMS08067]
				switch {
				case tc.name == "right password" && safe == smblab.NotAffected:
					// Not affected by its build: credentials are not spent on it.
					if string(f.Verdict) != string(smblab.NotAffected) || f.Class == smbprobe.ClassCredentialed {
						t.Errorf("not-affected host: %s/%s", f.Verdict, f.Class)
					}
				case tc.name == "right password":
					if string(f.Verdict) != string(h.CredTruth) || f.Class != smbprobe.ClassCredentialed {
						t.Errorf("got %s (class %s, %s), want %s credentialed\n%s", f.Verdict, f.Class, f.Reason, h.CredTruth, dump(t, res))
					}
				default:
					if string(f.Verdict) != string(safe) || f.Class == smbprobe.ClassCredentialed {
						t.Errorf("wrong password: got %s/%s, want the safe %s", f.Verdict, f.Class, safe)
					}
					if safe == smblab.Exposed && !contains(f.Reason, "logon-failure") {
						t.Errorf("wrong password: reason does not say why the credentials did not help: %q", f.Reason)
					}
				}
				for _, e := range res.Exchanges {
					if e.Class == smbprobe.ClassIntrusive {
						t.Errorf("an intrusive request was sent: %+v", e)
					}
				}
			}
		})
	}
	if c := lab.Crashes(); len(c) != 0 {
		t.Fatalf("crashes: %v", c)
	}
}

func contains(s, sub string) bool {
	for i := 0; i+len(sub) <= len(s); i++ {
		if s[i:i+len(sub)] == sub {
			return true
		}
	}
	return false
}
