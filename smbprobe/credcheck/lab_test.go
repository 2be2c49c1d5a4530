package credcheck

import (
	"context"
	"net"
	"net/netip"
	"testing"
	"time"

	"github.com/scan445/scan445/smbprobe/netapi"
	"github.com/scan445/scan445/smbprobe/smblab"
)

// TestLabCredentialedPersonalities logs on to the lab's credentialed personalities with their
// account: the right password reads ADMIN$\system32\netapi32.dll and judges it as the
// personality's credentialed truth says; a wrong password stops at the logon.
func TestLabCredentialedPersonalities(t *testing.T) {
	var ps []smblab.Personality
	for _, p := range smblab.DefaultPersonalities() {
		if p.Account != nil && (p.Name == "xp-sp3-patched" || p.Name == "vista-sp1") {
			ps = append(ps, p)
		}
	}
	if len(ps) != 2 {
		t.Fatalf("lab personalities with accounts: %d", len(ps))
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	lab, err := smblab.Start(ctx, smblab.Options{First: netip.MustParseAddr("127.44.5.1"), Personalities: ps})
	if err != nil {
		t.Fatal(err)
	}
	defer lab.Close()

	runs := 0
	type readFn func(context.Context, net.Conn, string, Credentials, time.Duration) (Outcome, error)
	for _, h := range lab.Hosts() {
		p, _ := lab.Personality(h.Addr)
		good := Credentials{User: p.Account.User, Password: p.Account.Password}
		bad := Credentials{User: p.Account.User, Password: p.Account.Password + "x"}
		fns := map[string]readFn{"SMB1": ReadNetapiVersionSMB1}
		if len(p.SMB2Dialects) > 0 {
			fns["SMB2"] = ReadNetapiVersionSMB2
		}
		for proto, fn := range fns {
			for _, tc := range []struct {
				name    string
				cred    Credentials
				want    Reason
				verdict netapi.Status
			}{{"right password", good, ReasonNone, netapi.Status(p.CredTruth)}, {"wrong password", bad, ReasonLogonFailure, netapi.Unknown}} {
				runs++
				c, err := net.DialTimeout("tcp", h.AddrPort().String(), 5*time.Second)
				if err != nil {
					t.Fatal(err)
				}
				out, err := fn(ctx, c, h.Addr.String(), tc.cred, 10*time.Second)
				if err != nil || out.Verdict != tc.verdict || out.Reason != tc.want {
					t.Errorf("%s %s %s: err %v verdict %q reason %q detail %q; steps %+v", p.Name, proto, tc.name, err, out.Verdict, out.Reason, out.Detail, out.Steps)
				}
			}
		}
	}
	if runs != 6 { // xp-sp3-patched over SMB1, vista-sp1 over SMB1 and SMB2, two passwords each
		t.Fatalf("%d checks ran, want 6", runs)
	}
}
