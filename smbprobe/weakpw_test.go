package smbprobe_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/netip"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/scan445/scan445/smbprobe"
	"github.com/scan445/scan445/smbprobe/credcheck"
	"github.com/scan445/scan445/smbprobe/ntlmssp"
	"github.com/scan445/scan445/smbprobe/pwaudit"
	"github.com/scan445/scan445/smbprobe/smbclient"
	"github.com/scan445/scan445/smbprobe/smblab"
)

// The admin's own list for the audit tests: longer than any budget below, its first entry is
// carol's password.
const auditUserList = "Winter-Lab-2026\nNot-Carol-1\nNot-Carol-2\nNot-Carol-3\nNot-Carol-4\nNot-Carol-5\nNot-Carol-6\n"

// secretLike reports whether a tried password can be looked for in a report without false
// alarms: at least 5 characters, not made only of hex digits (stub hex and hashes are), and
// not a plain word (the dictionary holds "password", "Password", "domain", which any English
// reason, or a field name like BadPasswordCount, may contain). What is left — "Winter-Lab-2026", "qwe123", "1q2w3e",
// "qweasdzxc" — can only be in a report if the audit leaked it.
func secretLike(p string, words bool) bool {
	if len(p) < 5 || strings.Trim(strings.ToLower(p), "0123456789abcdef") == "" {
		return false
	}
	return words || strings.Trim(strings.ToLower(p), "abcdefghijklmnopqrstuvwxyz") != "" || p == "qweasdzxc"
}

// TestLabPasswordAudit runs the audit against lab hosts whose SAM locks accounts: with low
// and high thresholds, no lockout at all, an unreadable policy, over SMB1 and SMB2. It must
// never lock an account (the lab records every lockout), must stay within threshold − 2
// failures per account, must find exactly the accounts whose password the budget reaches, and
// must never put a tried password in the result.
func TestLabPasswordAudit(t *testing.T) {
	mine, err := pwaudit.ParseList("mine", strings.NewReader(auditUserList))
	if err != nil {
		t.Fatal(err)
	}
	lists := []pwaudit.List{mine, pwaudit.ConfickerList()}
	var tried []string // every entry of both lists, in order
	for _, l := range []string{auditUserList, confickerEntries(t)} {
		tried = append(tried, strings.Split(strings.TrimSpace(l), "\n")...)
	}
	denied := smblab.WeakPasswordSAM(3, time.Hour, time.Hour)
	denied.PolicyDenied = true
	tests := []struct {
		name      string
		base      string
		sam       *smblab.SAMConfig
		budget    int
		verdict   smbprobe.Verdict
		weak      map[string]string // account → the list entry it accepted
		maxFailed int               // per account
	}{
		{"threshold 3 smb1", "xp-sp3-patched", smblab.WeakPasswordSAM(3, 30*time.Minute, 30*time.Minute), pwaudit.NoBudget,
			smbprobe.Exposed, map[string]string{"carol": "mine#1"}, 1},
		{"threshold 3 smb2", "vista-sp1", smblab.WeakPasswordSAM(3, 30*time.Minute, 30*time.Minute), pwaudit.NoBudget,
			smbprobe.Exposed, map[string]string{"carol": "mine#1"}, 1},
		{"threshold 3, explicit budget cannot raise it", "xp-sp3-patched", smblab.WeakPasswordSAM(3, time.Hour, 0), 50,
			smbprobe.Exposed, map[string]string{"carol": "mine#1"}, 1},
		{"threshold 10", "xp-sp3-patched", smblab.WeakPasswordSAM(10, 30*time.Minute, 30*time.Minute), pwaudit.NoBudget,
			smbprobe.Exposed, map[string]string{"carol": "mine#1", "dave": "conficker#1"}, 8},
		{"no lockout, explicit budget", "vista-sp1", smblab.WeakPasswordSAM(0, 0, 0), 60,
			smbprobe.Exposed, map[string]string{"alice": "conficker#36", "carol": "mine#1", "dave": "conficker#1"}, 60},
		{"threshold 2: no budget", "xp-sp3-patched", smblab.WeakPasswordSAM(2, time.Hour, time.Hour), pwaudit.NoBudget,
			smbprobe.Unknown, nil, 0},
		{"policy unreadable", "xp-sp3-patched", denied, pwaudit.NoBudget, smbprobe.Unknown, nil, 0},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			lab, h, pr := auditHost(ctx, t, netip.AddrFrom4([4]byte{127, 3, 6, byte(10 + i)}), personality(t, tt.base), tt.sam,
				smbprobe.PasswordAudit{Lists: lists, Budget: tt.budget})
			pctx, pcancel := context.WithTimeout(ctx, 60*time.Second)
			res := probeAddr(pctx, t, pr, h.AddrPort())
			pcancel()
			if lo := lab.Lockouts(); len(lo) != 0 {
				t.Errorf("the audit locked accounts: %+v", lo)
			}
			for acct, n := range lab.BadLogonPeaks(h.Addr) {
				if n > tt.maxFailed {
					t.Errorf("%s: %d failed logons in one window, at most %d allowed", acct, n, tt.maxFailed)
				}
			}
			// One finding per weak account (Subject), or one host-wide verdict.
			weak := map[string]string{}
			var verdict smbprobe.Verdict
			for _, f := range res.Findings {
				if f.Check != smbprobe.CheckWeakPassword {
					continue
				}
				verdict = f.Verdict
				if f.Class != smbprobe.ClassAuthAttempts {
					t.Errorf("class %s", f.Class)
				}
				if f.Subject == "" {
					continue
				}
				if f.Verdict != smbprobe.Exposed {
					t.Errorf("%s: %s", f.Subject, f.Verdict)
				}
				// The lab answers every account's badPwdCount: the finding must give the
				// account's own budget, not the one for an unread count.
				if strings.Contains(f.Reason, "earlier failures unknown") {
					t.Errorf("%s: budget of an unread count although it was read: %s", f.Subject, f.Reason)
				}
				ref, _, _ := strings.Cut(strings.TrimPrefix(f.Reason, "account "+f.Subject+" accepted "), ",")
				weak[f.Subject] = ref
			}
			if verdict != tt.verdict {
				t.Errorf("verdict %s, want %s", verdict, tt.verdict)
			}
			if fmt.Sprint(weak) != fmt.Sprint(tt.weak) && (len(weak) != 0 || len(tt.weak) != 0) {
				t.Errorf("weak accounts %v, want %v", weak, tt.weak)
			}
			attempts := 0
			for _, e := range res.Exchanges {
				if e.Class == smbprobe.ClassAuthAttempts {
					attempts++
				}
			}
			if tt.maxFailed == 0 && attempts != 0 {
				t.Errorf("%d logon attempts without a budget", attempts)
			}
			if _, ok := weak["labadmin"]; ok {
				t.Errorf("the audit's own account was tried")
			}
			out, _ := json.Marshal(res)
			for i, pw := range tried {
				if secretLike(pw, i < mine.Len()) && strings.Contains(string(out), pw) {
					t.Errorf("a tried password is in the result: %q", pw)
				}
			}
			for _, a := range tt.sam.Accounts {
				if strings.Contains(string(out), a.Password) && secretLike(a.Password, false) {
					t.Errorf("%s's password is in the result", a.User)
				}
			}
			if t.Failed() {
				t.Logf("%s", dump(t, res))
			}
		})
	}
}

// auditHost serves base with sam at addr until ctx ends, and returns the lab, its host and a
// prober that audits it as the lab's administrator.
func auditHost(ctx context.Context, t testing.TB, addr netip.Addr, base smblab.Personality, sam *smblab.SAMConfig, audit smbprobe.PasswordAudit) (*smblab.Lab, smblab.Host, *smbprobe.Prober) {
	t.Helper()
	lab, err := smblab.Start(ctx, smblab.Options{First: addr, Personalities: []smblab.Personality{smblab.WithSAM(base, "audit", sam)}, IdleTimeout: 10 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { lab.Close() })
	h := lab.Hosts()[0]
	cred := credcheck.Credentials{User: h.Account.User, Password: h.Account.Password}
	pr, err := smbprobe.New(smbprobe.Options{Checks: []string{smbprobe.CheckWeakPassword}, Credentials: &cred, ReadTimeout: 3 * time.Second, PasswordAudit: &audit})
	if err != nil {
		t.Fatal(err)
	}
	return lab, h, pr
}

// confickerEntries is the embedded list's text, read back through its file for the secrecy
// check (package pwaudit never hands out its entries).
func confickerEntries(t *testing.T) string {
	t.Helper()
	b, err := os.ReadFile("pwaudit/lists/conficker.txt")
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, l := range strings.Split(string(b), "\n") {
		if l != "" && !strings.HasPrefix(l, "#") {
			out = append(out, l)
		}
	}
	if len(out) < 180 {
		t.Fatalf("conficker list has %d entries", len(out))
	}
	return strings.Join(out, "\n")
}

// BenchmarkLabPasswordAudit is one whole audit of a lab host without lockout and a budget of
// 20: the SAMR read (accounts, policy, each account's counter), then 20 logons for each of
// three accounts and 1 for the one found first — the disabled account is not tried — each a
// new connection and an NTLMv2 session setup, over SMB1 (XP) or SMB2 (Vista). It reports
// logons per second.
func BenchmarkLabPasswordAudit(b *testing.B) {
	for _, base := range []string{"xp-sp3-patched", "vista-sp1"} {
		b.Run(base, func(b *testing.B) {
			var p smblab.Personality
			for _, q := range smblab.DefaultPersonalities() {
				if q.Name == base {
					p = q
				}
			}
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			_, h, pr := auditHost(ctx, b, netip.MustParseAddr("127.3.6.60"), p, smblab.WeakPasswordSAM(0, 0, 0),
				smbprobe.PasswordAudit{Lists: []pwaudit.List{pwaudit.ConfickerList()}, Budget: 20})
			logons := 0
			b.ResetTimer()
			for range b.N {
				res := probeAddr(ctx, b, pr, h.AddrPort())
				for _, e := range res.Exchanges {
					if e.Class == smbprobe.ClassAuthAttempts {
						logons++
					}
				}
			}
			b.ReportMetric(float64(logons)/b.Elapsed().Seconds(), "logons/s")
			b.ReportMetric(float64(logons)/float64(b.N), "logons/op")
		})
	}
}

// TestLabPasswordAuditCountsEarlierFailures: accounts that already have failed logons in the
// window (a user's typos) get less budget, so the audit still stops two below the threshold;
// an account with threshold − 2 failures already is not tried. With the threshold − 2 budget
// alone, bob (2 earlier failures + 3) would lock.
func TestLabPasswordAuditCountsEarlierFailures(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	mine, _ := pwaudit.ParseList("mine", strings.NewReader(auditUserList))
	lab, h, pr := auditHost(ctx, t, netip.MustParseAddr("127.3.6.40"), personality(t, "xp-sp3-patched"),
		smblab.WeakPasswordSAM(5, time.Hour, time.Hour), smbprobe.PasswordAudit{Lists: []pwaudit.List{mine, pwaudit.ConfickerList()}, Budget: pwaudit.NoBudget})
	for user, n := range map[string]int{"bob": 2, "carol": 3} {
		for range n {
			conn, err := net.Dial("tcp", h.AddrPort().String())
			if err != nil {
				t.Fatal(err)
			}
			_, err = smbclient.OpenSession(ctx, conn, smbclient.SessionConfig{Host: h.Addr.String(), Dialect: smbclient.DialectSMB1,
				Cred: ntlmssp.Credentials{User: user, Hash: ntlmssp.NTHash("a typo")}})
			if err == nil {
				t.Fatal("a wrong password logged on")
			}
		}
	}
	res := probeAddr(ctx, t, pr, h.AddrPort())
	if lo := lab.Lockouts(); len(lo) != 0 {
		t.Errorf("locked: %+v", lo)
	}
	for acct, n := range lab.BadLogonPeaks(h.Addr) {
		if n > 3 {
			t.Errorf("%s: %d failed logons in the window, threshold 5", acct, n)
		}
	}
	f := findingOf(t, res, smbprobe.CheckWeakPassword)
	for _, want := range []string{"carol: no budget", "olduser: disabled", "bob (1 tried: mine#1..mine#1)", "alice (3 tried"} {
		if !strings.Contains(f.Reason, want) {
			t.Errorf("reason lacks %q: %s", want, f.Reason)
		}
	}
	if f.Verdict != smbprobe.NotDetected {
		t.Errorf("verdict %s: %s", f.Verdict, f.Reason)
	}
}
