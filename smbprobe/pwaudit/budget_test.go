package pwaudit

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/scan445/scan445/smbprobe/ntstatus"
)

func TestBudget(t *testing.T) {
	win := 30 * time.Minute
	known := func(th int) Policy { return Policy{Known: true, Threshold: th, Window: win, Duration: win} }
	tests := []struct {
		name            string
		p               Policy
		explicit, prior int
		want            int
		why             string
	}{
		{"unknown policy, no budget", Policy{Reason: "access denied"}, NoBudget, -1, 0, "no attempts"},
		{"unknown policy, explicit", Policy{}, 3, -1, 3, "explicit --audit-budget 3"},
		{"unknown policy, explicit 0", Policy{}, 0, -1, 0, "explicit"},
		{"no lockout", known(0), NoBudget, -1, NoLockoutCap, "default cap"},
		{"no lockout, explicit raises", known(0), 200, -1, 200, "explicit"},
		{"threshold 5", known(5), NoBudget, -1, 3, "threshold 5 − 2"},
		{"threshold 5, earlier failures unknown", known(5), NoBudget, -1, 3, "earlier failures unknown"},
		{"threshold 5, 2 earlier failures", known(5), NoBudget, 2, 1, "2 earlier failures"},
		{"threshold 5, 4 earlier failures", known(5), NoBudget, 4, 0, "= 0"},
		{"threshold 3", known(3), NoBudget, -1, 1, "= 1 per 30m0s window"},
		{"threshold 2", known(2), NoBudget, -1, 0, "= 0"},
		{"threshold 1", known(1), NoBudget, 0, 0, "= 0"},
		{"threshold 10, explicit lowers", known(10), 4, -1, 4, "lowered to --audit-budget 4"},
		{"threshold 10, explicit cannot raise", known(10), 50, -1, 8, "= 8"},
		{"threshold 10, explicit 0", known(10), 0, 0, 0, "lowered"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, why := Budget(tt.p, tt.explicit, tt.prior)
			if got != tt.want || !strings.Contains(why, tt.why) {
				t.Errorf("Budget = %d (%s), want %d (%q)", got, why, tt.want, tt.why)
			}
			// The invariant the audit rests on: with a known threshold, never within the margin.
			if tt.p.Known && tt.p.Threshold > 0 && got+max(tt.prior, 0) > tt.p.Threshold-LockoutMargin && got > 0 {
				t.Errorf("budget %d reaches the lockout margin of threshold %d", got, tt.p.Threshold)
			}
		})
	}
}

func TestClassify(t *testing.T) {
	tests := []struct {
		st   ntstatus.Status
		want Outcome
	}{
		{ntstatus.Success, Accepted},
		{ntstatus.PasswordExpired, Accepted},
		{ntstatus.PasswordMustChange, Accepted},
		{ntstatus.LogonFailure, Rejected},
		{ntstatus.WrongPassword, Rejected},
		{ntstatus.AccountLockedOut, Stop},
		{ntstatus.AccountDisabled, Stop},
		{ntstatus.AccountRestriction, Stop},
		{0xC0000193, Stop}, // STATUS_ACCOUNT_EXPIRED
		{0xC000006F, Stop}, // STATUS_INVALID_LOGON_HOURS
		{ntstatus.AccessDenied, Unclear},
		{ntstatus.MoreProcessingRequired, Unclear},
	}
	for _, tt := range tests {
		if got := Classify(tt.st); got != tt.want {
			t.Errorf("%s: %d, want %d", tt.st, got, tt.want)
		}
	}
}

func TestConfickerList(t *testing.T) {
	l := ConfickerList()
	if l.Name() != "conficker" || l.Len() < 180 {
		t.Fatalf("%v", l)
	}
	// Indexes are part of old reports: the first and a few known entries stay where they are.
	for idx, want := range map[int]string{1: "12", 2: "123", 20: "nopass", 45: "password"} {
		if got := l.entries[idx-1]; got != want {
			t.Errorf("conficker#%d = %q, want %q", idx, got, want)
		}
	}
	if s := fmt.Sprintf("%v %+v %#v %s %q %x", l, l, l, l, l, l); strings.Contains(s, "qwerty") || strings.Contains(s, "nopass") {
		t.Errorf("a list prints its entries: %s", s)
	}
}

func TestParseList(t *testing.T) {
	l, err := ParseList("mine", strings.NewReader("# comment\nalpha\r\n\nbeta\nalpha\n"))
	if err != nil || l.Len() != 2 || l.entries[1] != "beta" {
		t.Fatalf("%v %v %q", l, err, l.entries)
	}
	for _, bad := range []string{"", "# only comments\n", strings.Repeat("x", 300) + "\n", "a\x00b\n", "\xff\xfe\n"} {
		_, err := ParseList("bad", strings.NewReader(bad))
		if !errors.Is(err, ErrBadList) {
			t.Errorf("%q: %v", bad, err)
		}
		if err != nil && strings.Contains(err.Error(), "xxxx") {
			t.Errorf("error quotes the entry: %v", err)
		}
	}
}

// fakeSAM models a server's lockout counter: it locks an account after threshold failures and
// then refuses even the right password.
type fakeSAM struct {
	threshold int
	passwords map[string]string
	failures  map[string]int
	logons    int
}

func (f *fakeSAM) logon(_ context.Context, account string, _ Ref, password string) (ntstatus.Status, error) {
	f.logons++
	if f.threshold > 0 && f.failures[account] >= f.threshold {
		return ntstatus.AccountLockedOut, nil
	}
	if f.passwords[account] == password {
		return ntstatus.Success, nil
	}
	f.failures[account]++
	return ntstatus.LogonFailure, nil
}

func TestAttemptNeverLocks(t *testing.T) {
	conf := ConfickerList()
	mine, _ := ParseList("mine", strings.NewReader(strings.Repeat("x\n", 1)+"Summer-2026!\nWinter-2026!\nSpring-2026!\nAutumn-2026!\n"))
	for _, th := range []int{0, 1, 2, 3, 4, 5, 10} {
		t.Run(fmt.Sprint("threshold ", th), func(t *testing.T) {
			f := &fakeSAM{threshold: th, failures: map[string]int{}, passwords: map[string]string{
				"weak": "Summer-2026!", "weakfirst": "x", "strong": "correct horse battery staple", "admin": "Adm1n!",
			}}
			sam := SAM{Policy: Policy{Known: true, Threshold: th, Window: time.Hour},
				Accounts: []Account{{Name: "admin", RID: 500}, {Name: "weak", RID: 1000}, {Name: "weakfirst", RID: 1001}, {Name: "strong", RID: 1002, BadPasswordCount: -1}}}
			res := Attempt(context.Background(), sam, Config{Lists: []List{mine, conf}, Budget: NoBudget, Skip: []string{"ADMIN"}}, f.logon)
			for acct, n := range f.failures {
				if th > 0 && n > th-LockoutMargin {
					t.Errorf("%s: %d failures with threshold %d", acct, n, th)
				}
			}
			by := map[string]AccountResult{}
			for _, a := range res.Accounts {
				by[a.Account.Name] = a
			}
			if by["admin"].Skipped == "" || by["admin"].Attempts != 0 {
				t.Errorf("own account tried: %+v", by["admin"])
			}
			if by["strong"].Weak != nil {
				t.Errorf("strong found weak: %+v", by["strong"])
			}
			budget, _ := Budget(sam.Policy, NoBudget, -1)
			if budget >= 1 && (by["weakfirst"].Weak == nil || *by["weakfirst"].Weak != (Ref{"mine", 1})) {
				t.Errorf("weakfirst: %+v", by["weakfirst"])
			}
			if budget >= 2 && (by["weak"].Weak == nil || by["weak"].Weak.String() != "mine#2") {
				t.Errorf("weak: %+v", by["weak"])
			}
			if budget < 2 && by["weak"].Weak != nil {
				t.Errorf("weak found beyond the budget: %+v", by["weak"])
			}
			if budget > 0 && by["strong"].Tried != "mine#1.."+candidates([]List{mine, conf})[budget-1].ref.String() {
				t.Errorf("strong tried %q", by["strong"].Tried)
			}
			if got := by["strong"].Failures; got != budget {
				t.Errorf("strong: %d failures, budget %d", got, budget)
			}
		})
	}
}

func TestAttemptStopsAtLockoutSigns(t *testing.T) {
	list, _ := ParseList("l", strings.NewReader("a\nb\nc\nd\n"))
	sam := SAM{Policy: Policy{Known: true}, Accounts: []Account{{Name: "u"}}}
	for _, st := range []ntstatus.Status{ntstatus.AccountLockedOut, ntstatus.AccountDisabled, ntstatus.AccessDenied} {
		n := 0
		res := Attempt(context.Background(), sam, Config{Lists: []List{list}, Budget: NoBudget}, func(context.Context, string, Ref, string) (ntstatus.Status, error) {
			n++
			if n == 2 {
				return st, nil
			}
			return ntstatus.LogonFailure, nil
		})
		a := res.Accounts[0]
		if n != 2 || a.Attempts != 2 || a.Weak != nil || !strings.Contains(a.Stopped, st.String()) || !strings.Contains(a.Stopped, "l#2") {
			t.Errorf("%s: %d logons, %+v", st, n, a)
		}
	}
	// An exchange that failed counts and stops; its error is reported.
	res := Attempt(context.Background(), sam, Config{Lists: []List{list}, Budget: NoBudget}, func(context.Context, string, Ref, string) (ntstatus.Status, error) {
		return 0, errors.New("connection reset")
	})
	if a := res.Accounts[0]; a.Attempts != 1 || a.Failures != 1 || !strings.Contains(a.Stopped, "connection reset") {
		t.Errorf("error: %+v", a)
	}
	// No policy, no budget: nothing is sent.
	res = Attempt(context.Background(), SAM{Policy: Policy{Reason: "denied"}, Accounts: sam.Accounts}, Config{Lists: []List{list}, Budget: NoBudget},
		func(context.Context, string, Ref, string) (ntstatus.Status, error) {
			t.Fatal("logon without a policy")
			return 0, nil
		})
	if a := res.Accounts[0]; a.Skipped == "" {
		t.Errorf("unknown policy: %+v", a)
	}
	// A cancelled context stops before the next logon.
	ctx, cancel := context.WithCancel(context.Background())
	res = Attempt(ctx, SAM{Policy: Policy{Known: true}, Accounts: []Account{{Name: "u"}, {Name: "v"}}}, Config{Lists: []List{list}, Budget: NoBudget},
		func(context.Context, string, Ref, string) (ntstatus.Status, error) {
			cancel()
			return ntstatus.LogonFailure, nil
		})
	if !res.Interrupted || res.Accounts[0].Attempts != 1 || res.Accounts[1].Attempts != 0 {
		t.Errorf("cancel: %+v", res)
	}
}

// An account's own counter lowers its budget, so failures it already has plus the audit's stay
// below the threshold; locked and disabled accounts are not tried at all.
func TestAttemptUsesAccountCounters(t *testing.T) {
	list, _ := ParseList("l", strings.NewReader("a\nb\nc\nd\ne\n"))
	f := &fakeSAM{threshold: 5, passwords: map[string]string{}, failures: map[string]int{"typo2": 2, "typo1": 1}}
	sam := SAM{Policy: Policy{Known: true, Threshold: 5, Window: time.Hour}, Accounts: []Account{
		{Name: "typo2", BadPasswordCount: 2}, {Name: "typo1", BadPasswordCount: 1}, {Name: "unknown", BadPasswordCount: -1},
		{Name: "locked", BadPasswordCount: 5, Locked: true}, {Name: "off", Disabled: true},
	}}
	res := Attempt(context.Background(), sam, Config{Lists: []List{list}, Budget: NoBudget}, f.logon)
	want := map[string]int{"typo2": 1, "typo1": 2, "unknown": 3, "locked": 0, "off": 0}
	for _, a := range res.Accounts {
		if a.Attempts != want[a.Account.Name] {
			t.Errorf("%s: %d attempts (budget %d: %s), want %d", a.Account.Name, a.Attempts, a.Budget, a.BudgetWhy, want[a.Account.Name])
		}
		if f.failures[a.Account.Name] >= 5-1 {
			t.Errorf("%s: %d failures reach the margin", a.Account.Name, f.failures[a.Account.Name])
		}
	}
	if f.failures["locked"] != 0 || f.failures["off"] != 0 {
		t.Errorf("locked or disabled accounts tried: %v", f.failures)
	}
}
