package pwaudit

import (
	"context"
	"fmt"
	"strings"

	"github.com/scan445/scan445/smbprobe/ntstatus"
)

// Logon makes one NTLMv2 session setup as account with password and returns the server's
// NTSTATUS. err is for an exchange that failed (connection, timeout, protocol); the attempt
// then counts as a failure, since the server may have counted it. Implementations must not
// put the password in err.
// ref names the entry being tried, for the caller's evidence.
type Logon func(ctx context.Context, account string, ref Ref, password string) (ntstatus.Status, error)

// Config is one audit's input.
type Config struct {
	Lists []List
	// Budget is --audit-budget, or NoBudget.
	Budget int
	// Skip names accounts never tried (case-insensitively): the audit's own administrator
	// account, whose password the admin already knows.
	Skip []string
}

// AccountResult is the audit of one account. It never holds a password.
type AccountResult struct {
	Account Account `json:"account"`
	Budget  int     `json:"budget"` // failed attempts allowed
	// BudgetWhy says how Budget follows from the policy and the account's own counter.
	BudgetWhy string `json:"budget_reason"`
	Attempts  int    `json:"attempts"` // logons made
	Failures  int    `json:"failures"` // attempts that count against the lockout threshold
	// Weak is the list entry the account accepted; nil when none did.
	Weak *Ref `json:"weak,omitempty"`
	// WeakStatus is the status of the accepted logon (success, or an expired password).
	WeakStatus string `json:"weak_status,omitempty"`
	// Stopped says why the account was left before the budget or the lists ran out.
	Stopped string `json:"stopped,omitempty"`
	// Tried is how far into the lists the account got, as references (first..last).
	Tried string `json:"tried,omitempty"`
	// Skipped says why the account was not tried at all.
	Skipped string `json:"skipped,omitempty"`
}

// Exhausted reports whether every entry of the lists was tried without success.
func (a AccountResult) Exhausted(total int) bool {
	return a.Weak == nil && a.Stopped == "" && a.Attempts == total
}

// Result is a whole audit of one host.
type Result struct {
	SAM SAM `json:"sam"`
	// BudgetWhy and Budget are the budget of an account whose counter is unknown; accounts
	// with a known counter have their own (AccountResult.Budget).
	BudgetWhy   string          `json:"budget_reason"`
	Budget      int             `json:"budget"`
	Candidates  int             `json:"candidates"` // entries in all lists
	Accounts    []AccountResult `json:"accounts"`
	Interrupted bool            `json:"interrupted,omitempty"`
}

// Attempt runs the lists against the accounts of sam, one account after the other, never
// more than the budget's failed logons per account, stopping an account at its first success
// or lockout sign. Accounts are audited one at a time so that a server slowing down (or a
// context ending) leaves the others untouched rather than half-tried.
func Attempt(ctx context.Context, sam SAM, cfg Config, logon Logon) Result {
	res := Result{SAM: sam}
	res.Budget, res.BudgetWhy = Budget(sam.Policy, cfg.Budget, -1)
	cands := candidates(cfg.Lists)
	res.Candidates = len(cands)
	skip := map[string]bool{}
	for _, s := range cfg.Skip {
		skip[strings.ToLower(s)] = true
	}
	for _, acct := range sam.Accounts {
		ar := AccountResult{Account: acct}
		ar.Budget, ar.BudgetWhy = Budget(sam.Policy, cfg.Budget, acct.BadPasswordCount)
		switch {
		case skip[strings.ToLower(acct.Name)]:
			ar.Skipped = "the audit's own account"
		case acct.Locked:
			ar.Skipped = "locked out already"
		case acct.Disabled:
			ar.Skipped = "disabled"
		case ar.Budget == 0:
			ar.Skipped = "no budget: " + ar.BudgetWhy
		case ctx.Err() != nil:
			ar.Skipped = "interrupted"
			res.Interrupted = true
		default:
			ar = tryAccount(ctx, ar, cands, logon)
			if ctx.Err() != nil {
				res.Interrupted = true
			}
		}
		res.Accounts = append(res.Accounts, ar)
	}
	return res
}

func tryAccount(ctx context.Context, in AccountResult, cands []candidate, logon Logon) (ar AccountResult) {
	ar = in
	var first, last Ref
	defer func() {
		if ar.Attempts > 0 {
			ar.Tried = first.String() + ".." + last.String()
		}
	}()
	for _, c := range cands {
		if ar.Failures >= ar.Budget {
			if ar.Attempts < len(cands) {
				ar.Stopped = fmt.Sprintf("budget of %d failed logons spent", ar.Budget)
			}
			return ar
		}
		if ctx.Err() != nil {
			ar.Stopped = "interrupted"
			return ar
		}
		if ar.Attempts == 0 {
			first = c.ref
		}
		last = c.ref
		ar.Attempts++
		st, err := logon(ctx, ar.Account.Name, c.ref, c.password)
		if err != nil {
			ar.Failures++
			ar.Stopped = "logon exchange failed at " + c.ref.String() + ": " + err.Error()
			return ar
		}
		switch Classify(st) {
		case Accepted:
			ref := c.ref
			ar.Weak, ar.WeakStatus = &ref, st.String()
			return ar
		case Rejected:
			ar.Failures++
		case Stop:
			ar.Failures++
			ar.Stopped = "lockout or restriction sign " + st.String() + " at " + c.ref.String()
			return ar
		default:
			ar.Failures++
			ar.Stopped = "unexpected answer " + st.String() + " at " + c.ref.String()
			return ar
		}
	}
	return ar
}
