package smbprobe_test

import (
	"context"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/scan445/scan445/internal/testpeer"
	"github.com/scan445/scan445/smbprobe"
	"github.com/scan445/scan445/smbprobe/credcheck"
	"github.com/scan445/scan445/smbprobe/pwaudit"
)

// TestSambaPasswordAudit runs the audit against Samba, a SAMR server and lockout counter we
// did not write: a user whose password is Conficker's second entry, a strong one, and
// "bad lockout attempt" 4 set with pdbedit. Samba must report the policy over SAMR, the audit
// must find the weak account within its budget of 2, and pdbedit must show no account locked
// and no bad-password count above the budget.
func TestSambaPasswordAudit(t *testing.T) {
	for _, mode := range []struct {
		name string
		smb1 testpeer.SMB1Mode
	}{{"smb2", testpeer.SMB1Off}, {"smb1", testpeer.SMB1Only}} {
		t.Run(mode.name, func(t *testing.T) {
			s := testpeer.StartSamba(t, testpeer.SambaConfig{SMB1: mode.smb1, Users: []testpeer.SambaUser{
				{Name: "s3padmin", Password: "Adm-Str0ng!x"}, {Name: "s3pweak", Password: "123"}, {Name: "s3pstrong", Password: "Corr3ct-Horse-Battery!"},
			}})
			pdbedit := testpeer.LookPath(t, "pdbedit", "/usr/bin/pdbedit")
			for _, p := range [][2]string{{"bad lockout attempt", "4"}, {"reset count minutes", "30"}, {"lockout duration", "30"}} {
				if out, err := exec.Command(pdbedit, "-s", s.Conf, "-P", p[0], "-C", p[1]).CombinedOutput(); err != nil {
					t.Fatalf("pdbedit %s: %v: %s", p[0], err, out)
				}
			}
			cred := credcheck.Credentials{User: "s3padmin", Password: "Adm-Str0ng!x"}
			pr, err := smbprobe.New(smbprobe.Options{Checks: []string{smbprobe.CheckWeakPassword}, Credentials: &cred, ReadTimeout: 5 * time.Second,
				PasswordAudit: &smbprobe.PasswordAudit{Lists: []pwaudit.List{pwaudit.ConfickerList()}, Budget: pwaudit.NoBudget}})
			if err != nil {
				t.Fatal(err)
			}
			ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
			defer cancel()
			res := probeAddr(ctx, t, pr, s.Addr)
			f := findingOf(t, res, smbprobe.CheckWeakPassword)
			t.Logf("Samba %s: %s %s: %s", mode.name, f.Verdict, f.Rule, f.Reason)
			if f.Verdict != smbprobe.Exposed || f.Subject != "s3pweak" || !strings.HasPrefix(f.Reason, "account s3pweak accepted conficker#2,") || len(res.Findings) != 1 {
				t.Errorf("finding %s: %s\n%s", f.Verdict, f.Reason, dump(t, res))
			}
			if !strings.Contains(f.Reason, "locks after 4 failed logons within 30m0s") {
				t.Errorf("policy not read from Samba: %s", f.Reason)
			}
			out, err := exec.Command(pdbedit, "-s", s.Conf, "-L", "-v").CombinedOutput()
			if err != nil {
				t.Fatalf("pdbedit -L: %v: %s", err, out)
			}
			for _, m := range regexp.MustCompile(`Bad password count\s*:\s*(\d+)`).FindAllStringSubmatch(string(out), -1) {
				if n, _ := strconv.Atoi(m[1]); n > 2 {
					t.Errorf("Samba counted %d bad passwords on an account; the budget is 2:\n%s", n, out)
				}
			}
			if regexp.MustCompile(`Account Flags\s*:\s*\[[^\]]*L`).Match(out) {
				t.Errorf("Samba locked an account:\n%s", out)
			}
			// Samba does count: the strong account holds exactly the budget's failures, so
			// the checks above would see an audit that went further.
			strong, _ := exec.Command(pdbedit, "-s", s.Conf, "-L", "-v", "-u", "s3pstrong").CombinedOutput()
			if m := regexp.MustCompile(`Bad password count\s*:\s*(\d+)`).FindSubmatch(strong); m == nil || string(m[1]) != "2" {
				t.Errorf("s3pstrong's bad password count is not the budget of 2:\n%s", strong)
			}
		})
	}
}
