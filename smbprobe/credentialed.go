package smbprobe

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/scan445/scan445/smbprobe/credcheck"
	"github.com/scan445/scan445/smbprobe/netapi"
	"github.com/scan445/scan445/smbprobe/smbclient"
)

// credentialed turns "exposed" into certainty when the admin gave an account: it reads the
// version resource of ADMIN$\system32\netapi32.dll over a second connection (reads only, never
// writes) and keeps the outcome for judgeMS08. When the registry read is selected too, the
// session stays open for it (r.credSess). It runs only where the fingerprint could not
// already clear the host, so credentials are not spent on hosts that cannot be affected.
func (r *run) credentialed(ctx context.Context) {
	cred := r.opts.Credentials
	if cred == nil || !r.sel.wants(stepCredRead) || r.redial == nil || ctx.Err() != nil || r.credTried {
		return
	}
	r.credTried = true
	r.identify()
	if v, _, _, _ := ms08Exposure(r.f.os); v != Exposed && v != Unknown {
		return
	}
	dialect, ok := r.logonDialect()
	if !ok {
		return // no SMB dialect answered: nothing to log in to
	}
	proto := dialect.String()
	x := r.begin("credcheck.netapi32", ClassCredentialed,
		fmt.Sprintf("%s NTLMv2 login as %s; read the version resource of ADMIN$\\%s", proto, cred.Account(), credcheck.AdminFile))
	conn, err := r.redial(ctx, "tcp", r.addr.String())
	if err != nil {
		r.f.cred = &credcheck.Outcome{Protocol: proto, Verdict: netapi.Unknown, Reason: credcheck.ReasonConnection, Detail: err.Error()}
		r.f.credIdx = x.fail(err)
		return
	}
	r.res.Connections++
	if conn, err = r.open(ctx, conn); err != nil {
		r.f.cred = &credcheck.Outcome{Protocol: proto, Verdict: netapi.Unknown, Reason: credcheck.ReasonConnection, Detail: err.Error()}
		r.f.credIdx = x.fail(err)
		return
	}
	budget := 4 * r.opts.ReadTimeout
	if dl, ok := ctx.Deadline(); ok {
		budget = min(budget, time.Until(dl))
	}
	var out credcheck.Outcome
	if r.sel.wants(stepRegistry) {
		// The registry read follows: it goes over this read's session (issue #15), so the
		// host sees one connection and one logon for both.
		cs := &credSession{dialect: dialect}
		var s smbclient.Session
		out, s, err = credcheck.ReadNetapiVersionSession(ctx, conn, r.addr.Addr().String(), *cred, credcheck.SessionConfig{
			Dialect: dialect, Timeout: budget, ExchangeTimeout: r.opts.ReadTimeout, OnExchange: cs.record,
		})
		if s != nil {
			cs.s = s
			r.credSess = cs
		}
	} else {
		read := credcheck.ReadNetapiVersionSMB2
		if dialect == smbclient.DialectSMB1 {
			read = credcheck.ReadNetapiVersionSMB1
		}
		out, err = read(ctx, conn, r.addr.Addr().String(), *cred, budget)
	}
	r.f.cred = &out
	status := "judged " + string(out.Verdict)
	if !out.Decided() {
		status = "undecided: " + string(out.Reason)
	}
	var steps []string
	for _, s := range out.Steps {
		steps = append(steps, strings.TrimSpace(s.Name+" "+s.Status))
	}
	resp := strings.Join(steps, "; ")
	if j := out.Judgement; j != nil {
		resp = fmt.Sprintf("netapi32.dll %s, branch %s, fixed at %s; %d bytes read in %d reads; %s",
			j.Version, firstNonEmpty(j.Branch, "none"), j.FixedAt, out.BytesRead, out.ReadCalls, resp)
	} else if err != nil {
		resp = err.Error() + "; " + resp
	}
	r.f.credIdx = x.done(status, resp)
}

// judgeCredentialed is the §3b verdict, or ok=false when the read did not decide (the caller then
// keeps the safe verdict and says why the credentials did not help).
func (r *run) judgeCredentialed(ev []int) (Finding, bool) {
	c := r.f.cred
	if c == nil || !c.Decided() {
		return Finding{}, false
	}
	j := c.Judgement
	ev = append(ev, r.f.credIdx)
	why := fmt.Sprintf("netapi32.dll version %s (branch %s, fixed at %s): %s; read over %s as %s",
		j.Version, firstNonEmpty(j.Branch, "none"), j.FixedAt, j.Reason, c.Protocol, c.Account) + r.registryHint()
	var f Finding
	switch c.Verdict {
	case netapi.Vulnerable:
		// The file itself says which release it is: 2000/XP/2003 (5.x) are exploitable
		// anonymously, Vista/2008 (6.0) only after authentication.
		sev := SeverityCritical
		if j.Version.Major >= 6 {
			sev = SeverityHigh
		}
		f = r.finding(CheckMS08067, Vulnerable, sev, j.Rule, why, ev, ms08Remedies()...)
	case netapi.Patched:
		f = r.finding(CheckMS08067, Patched, SeverityInfo, j.Rule, why, ev)
	case netapi.NotAffected:
		f = r.finding(CheckMS08067, NotAffected, SeverityInfo, j.Rule, why, ev)
	default:
		return Finding{}, false
	}
	f.Class = ClassCredentialed
	return f, true
}

// credentialNote is what the safe verdict's reason gains when credentials were given but did
// not decide.
func (r *run) credentialNote() (string, int, bool) {
	c := r.f.cred
	if c == nil || c.Decided() {
		return "", 0, false
	}
	note := "credentialed check could not decide: " + string(c.Reason)
	if c.Detail != "" {
		note += " (" + c.Detail + ")"
	}
	return note, r.f.credIdx, true
}

// credSession is the authenticated session the netapi32.dll read left open for the registry
// read: one connection and one logon serve both (issue #15 part 1).
type credSession struct {
	s       smbclient.Session
	dialect smbclient.Dialect
	steps   []string // the session's SMB1 exchanges since the read, for the next user's evidence
}

// record hears of one SMB1 exchange on the session after the read.
func (c *credSession) record(e smbclient.Exchange) {
	c.steps = append(c.steps, strings.TrimSpace(e.Step+" "+statusName(e.Status)))
}

// take returns the steps recorded since the last take.
func (c *credSession) take() []string {
	s := c.steps
	c.steps = nil
	return s
}

// closeCredSession logs the kept session off and closes its connection; safe when there is
// none. The probe calls it once the registry read is over, and on a recovered panic.
func (r *run) closeCredSession(ctx context.Context) {
	if r.credSess == nil {
		return
	}
	r.credSess.s.Close(ctx)
	r.credSess = nil
}

// logonDialect is the dialect a credentialed step logs on with: SMB2 where the host speaks
// it (Vista and later; go-smb2 behind a frame guard), our SMB1 client for 2000/XP/2003; ok
// is false when neither answered.
func (r *run) logonDialect() (d smbclient.Dialect, ok bool) {
	switch {
	case r.f.smb2.val == triYes:
		return smbclient.DialectSMB2, true
	case r.f.smb1.val == triYes:
		return smbclient.DialectSMB1, true
	}
	return 0, false
}
