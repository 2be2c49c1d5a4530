package smbprobe

import (
	"errors"
	"strings"

	"github.com/scan445/scan445/smbprobe/dcerpc"
)

// finding builds a Finding for check id from the registry.
func (r *run) finding(id string, v Verdict, sev Severity, rule, reason string, ev []int, remedies ...string) Finding {
	ci := r.info(id)
	if sev == "" {
		sev = SeverityInfo
	}
	if ev == nil {
		ev = []int{}
	}
	return Finding{
		Check: id, Category: ci.Category, Title: ci.Title, CVE: ci.CVE, Class: ci.Class,
		Verdict: v, Severity: sev, Rule: id + "/" + rule, Reason: reason, Evidence: uniqueInts(ev), Remediation: remedies,
	}
}

// info is the table metadata of check id: the probe's own rows first (a table a test
// extended), the default table otherwise.
func (r *run) info(id string) CheckInfo {
	if d, ok := r.sel.def(id); ok {
		return d.CheckInfo
	}
	ci, _ := checkInfo(id)
	return ci
}

func uniqueInts(in []int) []int {
	out := []int{}
	seen := map[int]bool{}
	for _, i := range in {
		if i >= 0 && !seen[i] {
			seen[i] = true
			out = append(out, i)
		}
	}
	return out
}

// judge turns facts into one finding per selected check.
func (r *run) judge() {
	r.identify()
	r.honeypotNote()
	s1, s2 := r.f.sign1Req.val, r.f.sign2Req.val
	r.res.Fingerprint.SigningRequired = s1 != triNo && s2 != triNo && (s1 == triYes || s2 == triYes)
	// The report says "not tried" only when no anonymous logon was attempted.
	switch r.f.null.val {
	case triYes, triNo:
		v := r.f.null.val == triYes
		r.res.Fingerprint.NullSession = &v
	}
	for _, c := range r.sel {
		if c.judgeAll != nil {
			r.res.Findings = append(r.res.Findings, c.judgeAll(r)...)
			continue
		}
		r.res.Findings = append(r.res.Findings, c.judge(r))
	}
	r.judged = true
}

// failedVerdict is what a check that could not decide gets: error when the probe itself broke
// (a hostile or dropped host), unknown with the reason otherwise.
func (r *run) failedVerdict(id, rule, why string, ev []int) Finding {
	if r.f.failed != "" {
		reason := "the probe stopped at " + r.f.failed
		if !strings.Contains(why, r.f.failed) {
			reason += "; " + why
		}
		return r.finding(id, Error, "", "probe-failed", reason, ev)
	}
	return r.finding(id, Unknown, "", rule, why, ev)
}

// sessionBlocker explains why the srvsvc calls could not be made.
func (r *run) sessionBlocker() string {
	switch {
	case r.f.null.val == triNo:
		return "null session denied: " + r.f.null.why
	case r.f.ipc.val == triNo:
		return r.f.ipc.why
	case r.f.pipe.val == triNo:
		return r.f.pipe.why
	case r.f.bound.val != triYes && r.f.bound.why != "":
		return r.f.bound.why
	case r.f.failed != "":
		return "the probe stopped at " + r.f.failed
	}
	return "srvsvc was not reached"
}

func (r *run) blockerEvidence() []int {
	var ev []int
	for _, f := range []*fact{&r.f.null, &r.f.ipc, &r.f.pipe, &r.f.bound} {
		ev = append(ev, f.ev...)
	}
	return ev
}

func firstNonEmpty(s ...string) string {
	for _, x := range s {
		if x != "" {
			return x
		}
	}
	return ""
}

func errText(err error) string {
	if err == nil {
		return "no error recorded"
	}
	var fe *dcerpc.FaultError
	if errors.As(err, &fe) {
		return "fault " + fe.Status.String()
	}
	return err.Error()
}
