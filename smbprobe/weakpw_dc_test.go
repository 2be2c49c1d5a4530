package smbprobe_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/scan445/scan445/internal/testns"
	"github.com/scan445/scan445/internal/testpeer"
	"github.com/scan445/scan445/smbprobe"
	"github.com/scan445/scan445/smbprobe/credcheck"
	"github.com/scan445/scan445/smbprobe/pwaudit"
)

// TestSambaDCPasswordAudit runs the audit against a Samba Active Directory domain controller
// provisioned for the test in a namespace of its own (prefix s3d, 127.3.8.1): the SAM it
// reads is the domain's, and the lockout policy and bad-password counters are the
// directory's (samba-tool domain passwordsettings, badPwdCount), not smbd's passdb as in
// TestSambaPasswordAudit. A DC requires signing, so both our SMB1 client and go-smb2 sign.
//
// SMB2 first, then SMB1 against the same DC: the second audit must find the failures the
// first left (badPwdCount 2 on the strong account, threshold 4) and not try that account
// again, so no account ever gets closer than two failures to the lockout.
func TestSambaDCPasswordAudit(t *testing.T) {
	const (
		adminPassword  = "Adm1n-S3d!dc"
		strongPassword = "Corr3ct-Horse-Battery!"
	)
	ns := testns.New(t, "s3d", "dc")
	dc := testpeer.ProvisionSambaDC(t, ns.Name(0), testpeer.SambaDCConfig{
		Addr: netip.MustParseAddr("127.3.8.1"), AdminPassword: adminPassword})
	dc.Tool(t, "domain", "passwordsettings", "set", "--complexity=off", "--min-pwd-length=1",
		"--account-lockout-threshold=4", "--account-lockout-duration=30", "--reset-account-lockout-after=30")
	dc.Tool(t, "user", "create", "s3dweak", "123") // conficker#2
	dc.Tool(t, "user", "create", "s3dstrong", strongPassword)
	dc.Start(t)

	// Every connection of the probe is opened inside the DC's namespace.
	dial := func(ctx context.Context, network, address string) (net.Conn, error) {
		var c net.Conn
		err := ns.Do(0, func() error {
			var d net.Dialer
			var err error
			c, err = d.DialContext(ctx, network, address)
			return err
		})
		return c, err
	}
	cred := credcheck.Credentials{Domain: dc.Domain, User: "Administrator", Password: adminPassword}
	pr, err := smbprobe.New(smbprobe.Options{Checks: []string{smbprobe.CheckWeakPassword}, Credentials: &cred, ReadTimeout: 5 * time.Second,
		PasswordAudit: &smbprobe.PasswordAudit{Lists: []pwaudit.List{pwaudit.ConfickerList()}, Budget: pwaudit.NoBudget}})
	if err != nil {
		t.Fatal(err)
	}

	for _, mode := range []struct {
		name         string
		smb1         testpeer.SMB1Mode
		logonRequest string
		// interim: go-smb2 may refuse Samba's unsigned STATUS_PENDING interim response on
		// this signing-required session (docs/checks.md §1): smbd sends one when the RPC
		// server does not answer a pipe READ at once, which depends on the machine's load
		// (seen on a cold DC, not on a warm one).
		interim bool
	}{
		{"smb2", testpeer.SMB1Off, "SMB2 NTLMv2 session setup as ", true},
		{"smb1", testpeer.SMB1Only, "SMB1 NTLMv2 session setup as ", false},
	} {
		t.Run(mode.name, func(t *testing.T) {
			dc.SetSMB1(t, mode.smb1)
			before := dc.Accounts(t)
			ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
			defer cancel()
			conn, err := dial(ctx, "tcp", dc.Addr.String())
			if err != nil {
				t.Fatal(err)
			}
			res := pr.Probe(ctx, dc.Addr, conn, dial)
			f := findingOf(t, res, smbprobe.CheckWeakPassword)
			t.Logf("Samba AD DC %s: %s %s: %s", mode.name, f.Verdict, f.Rule, f.Reason)
			if mode.interim && f.Verdict == smbprobe.Unknown && strings.Contains(f.Reason, "unsigned interim (STATUS_PENDING)") {
				// The documented cause, and then no attempt at all: the audit never logs on
				// as an account whose policy and counter it could not read.
				t.Logf("go-smb2's interim-response limitation hit (docs/checks.md §1): the audit is unknown, as documented")
				if f.Rule != "weak-password/pw.sam-unreadable" || len(res.Findings) != 1 {
					t.Errorf("finding %s %s: %s", f.Verdict, f.Rule, f.Reason)
				}
				for _, e := range res.Exchanges {
					if e.Class == smbprobe.ClassAuthAttempts {
						t.Errorf("a logon attempt without the SAMR read: %+v", e)
					}
				}
				if after := dc.Accounts(t); fmt.Sprint(after) != fmt.Sprint(before) {
					t.Errorf("counters moved: %v → %v", before, after)
				}
				return
			}
			// An account whose count the DC already has at threshold − 2 is left alone.
			strongTried := before["s3dstrong"].BadPwdCount == 0
			if f.Verdict != smbprobe.Exposed || f.Subject != "s3dweak" || !strings.HasPrefix(f.Reason, "account s3dweak accepted conficker#2,") || len(res.Findings) != 1 {
				t.Errorf("finding %s: %s\n%s", f.Verdict, f.Reason, dump(t, res))
			}
			// The domain's policy, read over SAMR, and the account's own budget: its
			// badPwdCount was read, so the budget does not fall back to the unread case.
			if !strings.Contains(f.Reason, "locks after 4 failed logons within 30m0s, for 30m0s") || strings.Contains(f.Reason, "earlier failures unknown") {
				t.Errorf("policy or budget not the domain's: %s", f.Reason)
			}

			// The account domain is the directory's (S3D, beside BUILTIN), and its accounts
			// are those samba-tool created, each with a counter read.
			steps := map[string]smbprobe.Exchange{}
			tried := map[string]int{}
			for _, e := range res.Exchanges {
				steps[e.Step] = e
				if acct, ok := strings.CutPrefix(e.Request, mode.logonRequest); ok {
					acct, _, _ = strings.Cut(acct, " ")
					tried[acct]++
				}
			}
			if e := steps["samr.SamrLookupDomainInSamServer"]; e.Request != "look up domain "+dc.Domain || !strings.HasPrefix(e.Response, "S-1-5-21-") {
				t.Errorf("domain lookup %q → %q", e.Request, e.Response)
			}
			if e := steps["samr.SamrEnumerateUsersInDomain"]; !strings.HasSuffix(e.Response, " accounts") {
				t.Errorf("enumeration: %+v", e)
			}
			if tried["s3dweak"] != 2 || tried["Administrator"] != 0 || (tried["s3dstrong"] == 2) != strongTried || tried["krbtgt"] != 0 || tried["Guest"] != 0 {
				t.Errorf("logons per account %v (s3dstrong tried: want %v; krbtgt and Guest are disabled, Administrator is the audit's own)", tried, strongTried)
			}

			// Never a password in the result.
			b, _ := json.Marshal(res)
			for _, pw := range []string{adminPassword, strongPassword} {
				if strings.Contains(string(b), pw) {
					t.Errorf("a password is in the result")
				}
			}

			// The directory's own counters: nothing locked, nothing above the budget, and
			// the strong account holds exactly it (Samba counted our failures).
			accts := dc.Accounts(t)
			for name, a := range accts {
				if a.LockoutTime != 0 || a.BadPwdCount > 4-2 {
					t.Errorf("%s: badPwdCount %d, lockoutTime %d (threshold 4, budget 2)", name, a.BadPwdCount, a.LockoutTime)
				}
			}
			if a, ok := accts["s3dstrong"]; !ok || a.BadPwdCount != 2 {
				t.Errorf("s3dstrong: %+v, want badPwdCount 2 (all accounts: %v)", a, accts)
			}
		})
	}
}
