package smbprobe

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strings"

	"github.com/scan445/scan445/smbprobe/credcheck"
	"github.com/scan445/scan445/smbprobe/ntlmssp"
	"github.com/scan445/scan445/smbprobe/ntstatus"
	"github.com/scan445/scan445/smbprobe/pwaudit"
	"github.com/scan445/scan445/smbprobe/samr"
	"github.com/scan445/scan445/smbprobe/smbclient"
)

// The weak-password audit (docs/checks.md §6c, package pwaudit): opt-in only, its own class.

// CheckWeakPassword is the weak-password audit's check id.
const CheckWeakPassword = "weak-password"

// ClassAuthAttempts is the class of a check that makes failed logons on the host: it can move
// accounts towards lockout, so it never runs by default and scan445 refuses it without
// --password-audit on the command line.
const ClassAuthAttempts Class = "auth-attempts"

// RemedyWeakPassword is the remediation of a weak-password finding.
const RemedyWeakPassword = "change-weak-passwords"

// PasswordAudit configures the weak-password audit (Options.PasswordAudit).
type PasswordAudit struct {
	// Lists are tried in order: the admin's --password-list first (it is what they chose),
	// then the Conficker dictionary.
	Lists []pwaudit.List
	// Budget is --audit-budget, or pwaudit.NoBudget.
	Budget int
}

// weakPasswordRow is the CheckWeakPassword row of the check table.
func weakPasswordRow() checkDef {
	return checkDef{
		CheckInfo: CheckInfo{ID: CheckWeakPassword, Title: "Account password in a worm's dictionary (weak-password audit)", Class: ClassAuthAttempts, Category: CategoryCompliance},
		needs:     needSMB | needCredentials,
		steps:     stepPasswordAudit,
		judge:     (*run).judgeWeakPassword,
		judgeAll:  (*run).judgeWeakPasswords,
	}
}

// auditFacts is what the audit established.
type auditFacts struct {
	res      *pwaudit.Result
	err      error
	samEv    []int            // the SAMR exchanges
	attempts map[string][]int // exchanges of each account's logons
}

// passwordAudit runs the audit over new connections: one administrator session for the SAMR
// read, then one connection and NTLMv2 logon per attempt.
func (r *run) passwordAudit(ctx context.Context) {
	cfg, cred := r.opts.PasswordAudit, r.opts.Credentials
	if cfg == nil || cred == nil || !r.sel.wants(stepPasswordAudit) || r.redial == nil || ctx.Err() != nil {
		return
	}
	dialect, ok := r.logonDialect()
	if !ok {
		return // no SMB dialect answered: nothing to log on to
	}
	af := &auditFacts{attempts: map[string][]int{}}
	r.f.audit = af
	sam, err := r.readSAM(ctx, dialect, *cred, af)
	if err != nil {
		af.err = err
		return
	}
	// Each attempt is recorded with the entry's reference, never the password.
	res := pwaudit.Attempt(ctx, sam, pwaudit.Config{Lists: cfg.Lists, Budget: cfg.Budget, Skip: []string{cred.User}},
		func(ctx context.Context, account string, ref pwaudit.Ref, password string) (ntstatus.Status, error) {
			x := r.begin("auth.ntlmv2-logon", ClassAuthAttempts,
				fmt.Sprintf("%s NTLMv2 session setup as %s with %s", dialect, clean(account), ref))
			st, err := r.auditLogon(ctx, dialect, account, password)
			switch {
			case err != nil:
				af.attempts[account] = append(af.attempts[account], x.fail(err))
			default:
				af.attempts[account] = append(af.attempts[account], x.done("NTSTATUS "+st.String(), ""))
			}
			return st, err
		})
	af.res = &res
}

// readSAM logs on as the administrator and reads the account list and lockout policy.
func (r *run) readSAM(ctx context.Context, dialect smbclient.Dialect, cred credcheck.Credentials, af *auditFacts) (pwaudit.SAM, error) {
	conn, err := r.auditConn(ctx)
	if err != nil {
		return pwaudit.SAM{}, err
	}
	s, err := smbclient.OpenSession(ctx, conn, smbclient.SessionConfig{
		Host: r.addr.Addr().String(), Cred: ntlmssp.Credentials{User: cred.User, Domain: cred.Domain, Hash: credHash(cred)},
		Dialect: dialect, Timeout: r.opts.ReadTimeout,
	})
	x := r.begin("auth.admin-logon", ClassCredentialed, fmt.Sprintf("%s NTLMv2 login as %s for the SAMR read", dialect, cred.Account()))
	if err != nil {
		af.samEv = append(af.samEv, x.fail(err))
		return pwaudit.SAM{}, fmt.Errorf("administrator logon: %w", err)
	}
	af.samEv = append(af.samEv, x.done("NTSTATUS "+ntstatus.Success.String(), ""))
	defer s.Close(ctx)
	x = r.begin("samr.bind", ClassCredentialed, `open \samr and bind MS-SAMR`)
	p, err := s.OpenPipe(ctx, "samr")
	if err != nil {
		af.samEv = append(af.samEv, x.fail(err))
		return pwaudit.SAM{}, fmt.Errorf(`open \samr: %w`, err)
	}
	rpc, err := smbclient.Bind(ctx, p, samr.Interface())
	if err != nil {
		p.Close(ctx)
		af.samEv = append(af.samEv, x.fail(err))
		return pwaudit.SAM{}, fmt.Errorf("bind samr: %w", err)
	}
	af.samEv = append(af.samEv, x.done("bound", ""))
	defer rpc.Close(ctx)
	sam, err := pwaudit.ReadSAM(ctx, rpc)
	for _, st := range sam.Steps {
		i := len(r.res.Exchanges)
		r.res.Exchanges = append(r.res.Exchanges, Exchange{Step: st.Name, Class: ClassCredentialed, Request: clean(st.Request),
			SentHex: st.SentHex, Status: clean(st.Status), Response: clean(st.Response)})
		af.samEv = append(af.samEv, i)
	}
	return sam, err
}

func credHash(c credcheck.Credentials) [16]byte {
	if len(c.NTHash) == 16 {
		return [16]byte(c.NTHash)
	}
	return ntlmssp.NTHash(c.Password)
}

// auditConn opens one more connection to the host through the engine's dialer.
func (r *run) auditConn(ctx context.Context) (net.Conn, error) {
	conn, err := r.redial(ctx, "tcp", r.addr.String())
	if err != nil {
		return nil, err
	}
	r.res.Connections++
	return r.open(ctx, conn)
}

// auditLogon is one attempt: a fresh connection and one NTLMv2 session setup. A refusal is
// the status; everything else is an error that stops the account.
func (r *run) auditLogon(ctx context.Context, dialect smbclient.Dialect, account, password string) (ntstatus.Status, error) {
	conn, err := r.auditConn(ctx)
	if err != nil {
		return 0, err
	}
	s, err := smbclient.OpenSession(ctx, conn, smbclient.SessionConfig{
		Host: r.addr.Addr().String(), Cred: ntlmssp.Credentials{User: account, Hash: ntlmssp.NTHash(password)},
		Dialect: dialect, Timeout: r.opts.ReadTimeout,
	})
	if err == nil {
		s.Close(ctx)
		return ntstatus.Success, nil
	}
	var st ntstatus.Status
	if errors.As(err, &st) {
		return st, nil
	}
	if errors.Is(err, smbclient.ErrGuest) {
		return 0, errors.New("the server logged the account on as guest (the attempt says nothing about the password)")
	}
	return 0, err
}

// judgeWeakPasswords is one exposed finding per account that accepted a list entry, its
// Subject the account, its evidence the SAMR read and that account's logons; where none did,
// the single host-wide verdict of judgeWeakPassword.
func (r *run) judgeWeakPasswords() []Finding {
	af := r.f.audit
	if af == nil || af.res == nil || r.opts.PasswordAudit == nil || r.opts.Credentials == nil {
		return []Finding{r.judgeWeakPassword()}
	}
	res := af.res
	var out []Finding
	for _, a := range res.Accounts {
		if a.Weak == nil {
			continue
		}
		// Account names came off the wire: cleaned like every other wire string.
		name := clean(a.Account.Name)
		// The account's own budget, which counts the failures its badPwdCount showed; the
		// host-wide one (res.BudgetWhy) is for an account whose count could not be read.
		policy := res.SAM.Policy.String() + "; budget " + a.BudgetWhy
		why := fmt.Sprintf("account %s accepted %s, a dictionary entry (logon %d: %s). %s", name, a.Weak, a.Attempts, a.WeakStatus, policy)
		ev := append(append([]int(nil), af.samEv...), af.attempts[a.Account.Name]...)
		f := r.finding(CheckWeakPassword, Exposed, SeverityHigh, "pw1.password-accepted", why, ev, RemedyWeakPassword, RemedyPasswords)
		f.Subject = name
		out = append(out, f)
	}
	if len(out) == 0 {
		return []Finding{r.judgeWeakPassword()}
	}
	return out
}

// judgeWeakPassword is the host-wide verdict: why the audit could not run, or that no
// account accepted an entry within the budget (or, used alone, a summary naming the weak
// accounts).
func (r *run) judgeWeakPassword() Finding {
	af := r.f.audit
	switch {
	case r.opts.PasswordAudit == nil:
		return r.finding(CheckWeakPassword, Unknown, "", "pw.not-enabled", "the weak-password audit runs only with --password-audit", nil)
	case r.opts.Credentials == nil:
		return r.finding(CheckWeakPassword, Unknown, "", "pw.no-credentials", "the weak-password audit needs an administrator account (--user) to read the account list and lockout policy", nil)
	case af == nil:
		return r.failedVerdict(CheckWeakPassword, "pw.no-smb", "no SMB session to audit", nil)
	case af.res == nil:
		return r.finding(CheckWeakPassword, Unknown, "", "pw.sam-unreadable", "could not read the account list and lockout policy over SAMR: "+errText(af.err), af.samEv)
	}
	res := af.res
	var weak, none, stopped, skipped []string
	ev := append([]int(nil), af.samEv...)
	for _, a := range res.Accounts {
		switch {
		case a.Weak != nil:
			weak = append(weak, fmt.Sprintf("%s (%s)", clean(a.Account.Name), a.Weak))
			ev = append(ev, af.attempts[a.Account.Name]...)
		case a.Skipped != "":
			skipped = append(skipped, clean(a.Account.Name)+": "+a.Skipped)
		case a.Stopped != "" && !strings.HasPrefix(a.Stopped, "budget"):
			stopped = append(stopped, clean(a.Account.Name)+": "+clean(a.Stopped))
			ev = append(ev, af.attempts[a.Account.Name]...)
		default:
			none = append(none, fmt.Sprintf("%s (%d tried: %s)", clean(a.Account.Name), a.Attempts, a.Tried))
		}
	}
	policy := res.SAM.Policy.String() + "; budget " + res.BudgetWhy
	tail := func(parts ...[]string) string {
		var s []string
		for _, p := range parts {
			s = append(s, p...)
		}
		if len(s) == 0 {
			return ""
		}
		return "; " + strings.Join(s, "; ")
	}
	if len(weak) > 0 {
		why := fmt.Sprintf("%d account(s) accepted a dictionary password: %s. %s%s", len(weak), strings.Join(weak, ", "), policy,
			tail(prefixAll("no list password: ", none), stopped, skipped))
		return r.finding(CheckWeakPassword, Exposed, SeverityHigh, "pw1.password-accepted", why, ev, RemedyWeakPassword, RemedyPasswords)
	}
	if res.Budget == 0 {
		return r.finding(CheckWeakPassword, Unknown, "", "pw.no-budget", "no attempt made: "+policy, ev)
	}
	if len(stopped) > 0 && len(none) == 0 {
		return r.finding(CheckWeakPassword, Unknown, "", "pw.stopped", "every account was stopped early: "+policy+tail(stopped, skipped), ev)
	}
	why := fmt.Sprintf("no account accepted a list password within the budget (%d accounts tried). %s%s", len(none), policy, tail(prefixAll("tried ", none), stopped, skipped))
	return r.finding(CheckWeakPassword, NotDetected, "", "pw2.none-accepted", why, ev)
}

func prefixAll(p string, in []string) []string {
	out := make([]string, len(in))
	for i, s := range in {
		out[i] = p + s
	}
	return out
}
