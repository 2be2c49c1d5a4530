package smbprobe

import (
	"fmt"

	"github.com/scan445/scan445/smbprobe/p2p"
	"github.com/scan445/scan445/smbprobe/srvsvc"
)

// The ms08-067 check (docs/checks.md §3): the fingerprint rule, the credentialed reading and
// the intrusive probe's answer, in that order of authority.

// ms08Row is the CheckMS08067 row of the check table.
func ms08Row() checkDef {
	return checkDef{
		CheckInfo: CheckInfo{ID: CheckMS08067, Title: "MS08-067 Server service path canonicalisation (KB958644)", CVE: []string{"CVE-2008-4250"}, Class: ClassSafe, Category: CategoryVulnerability},
		needs:     needSession | needPipe | needCredentials,
		steps:     stepServerInfo | stepHoneypot | stepCredRead | stepIntrusive,
		judge:     (*run).judgeMS08,
	}
}

// honeypotNote sets Fingerprint.Honeypot when the tell-tales appear.
func (r *run) honeypotNote() {
	a := r.f.honeypot
	if !a.hasWerr || a.werr != 0 {
		return
	}
	note := `NetprPathCompare("\A", "\B") returned 0 (a real srvsvc returns non-zero for different paths)`
	if r.f.os.family == FamilyWindows && r.f.os.major == 5 && r.f.os.minor == 1 {
		note += "; the host also presents itself as Windows XP, as Dionaea does"
	}
	r.res.Fingerprint.Honeypot = note
}

// sourceWords names a signal source in a reason.
func sourceWords(source string) string {
	switch source {
	case SignalNTLM:
		return "NTLM VERSION"
	case SignalNativeOS:
		return "Native OS"
	case SignalLANMan:
		return "Native LAN Manager"
	case SignalServerInfo:
		return "NetrServerGetInfo 101"
	case SignalDialects:
		return "SMB dialects"
	}
	return source
}

// ms08Exposure is the §3a rule on the fused OS reading. Any credible reading of an affected
// release makes the host exposed, whatever the others say; not-affected needs every credible
// reading to agree.
func ms08Exposure(o osInfo) (Verdict, Severity, string, string) {
	ignored := ""
	if d := o.dropped(); d != "" {
		ignored = "; ignored: " + d
	}
	switch o.family {
	case FamilySamba:
		return NotAffected, SeverityInfo, "3a.samba", "Samba (" + o.samba + "): MS08-067 is a flaw in Windows' netapi32; Samba answers the call with a fault" + ignored
	case FamilyOther:
		return NotAffected, SeverityInfo, "3a.not-windows", "not Windows"
	case "":
		return Unknown, SeverityInfo, "3a.os-unknown", "OS not identified (no credible NTLM VERSION, Native OS, server info or SMB dialect)" + ignored
	}
	var affected, fixed, undecided []osReading
	for _, rd := range o.readings {
		switch ms08Class(rd) {
		case classAffected:
			affected = append(affected, rd)
		case classFixed:
			fixed = append(fixed, rd)
		default:
			undecided = append(undecided, rd)
		}
	}
	switch {
	case len(affected) > 0:
		a := affected[0]
		sev, how := SeverityCritical, "is affected and exploitable without authentication; no service pack contains the fix, so the patch state needs the credentialed or intrusive check"
		if a.major >= 6 {
			sev, how = SeverityHigh, "is affected (exploitable after authentication); patch state not verified"
		}
		why := fmt.Sprintf("%s (per %s) %s", windowsName(a.major, a.minor, a.build), sourceWords(a.source), how)
		rule := "3a.os-affected"
		if o.conflict != "" {
			rule = "3a.conflict-affected"
			why += "; OS signals disagree (" + o.conflict + "), and an affected reading keeps the host exposed"
		}
		return Exposed, sev, rule, why + ignored
	case len(fixed) > 0 && o.conflict == "":
		return NotAffected, SeverityInfo, "3a.os-fixed", fmt.Sprintf("%s (per %s) is outside the affected set (Vista/2008 SP2, Windows 7 RTM and later)", o.name, sourceWords(fixed[0].source)) + ignored
	case o.conflict != "":
		return Unknown, SeverityInfo, "3a.signals-disagree", "OS signals disagree (" + o.conflict + "): none says an affected release, but they do not agree on a fixed one" + ignored
	case len(undecided) > 0 && !undecided[0].floor && undecided[0].major < 5:
		return Unknown, SeverityInfo, "3a.nt4", "Windows NT 4.0: not in the bulletin's list of affected systems (out of support since 2004, never assessed), so not judged" + ignored
	}
	return Unknown, SeverityInfo, "3a.build-unknown", o.name + ": the service pack (build) is unknown, and of NT 6.0 only Vista/2008 RTM and SP1 are affected" + ignored
}

func ms08Remedies() []string {
	return []string{RemedyKB958644, RemedyBlock445, RemedyPasswords, RemedyAutoRun}
}

// infectionSeen reports a Conficker signal from any probe: the srvsvc hook, the intrusive
// probe's 0x57, or a P2P reply with a valid checksum.
func (r *run) infectionSeen() (bool, string, []int) {
	if v, _, _, why := confickerVerdict(r.f.hookDot, r.f.hookRoot); v == Infected {
		return true, why, []int{r.f.hookDot.idx, r.f.hookRoot.idx}
	}
	if a := r.f.intrusive; a.hasWerr && a.werr == srvsvc.WerrInvalidParameter {
		return true, "the intrusive NetprPathCompare returned Conficker's 0x57", []int{a.idx}
	}
	if r.f.p2p != nil && r.f.p2p.Signal == p2p.SignalInfected {
		return true, "a Conficker P2P peer answered with a valid checksum", []int{r.f.p2pIdx}
	}
	return false, "", nil
}

func (r *run) judgeMS08() Finding {
	ev := append([]int(nil), r.f.osEv...)
	v, sev, rule, why := ms08Exposure(r.f.os)
	if inf, infWhy, infEv := r.infectionSeen(); inf && v != Exposed {
		// Conficker's in-memory MS08-067 hook lives in an affected netapi32: an infected host
		// cannot be not-affected, whatever its signals claim.
		v, sev, rule = Exposed, SeverityCritical, "3a.infected-implies-affected"
		why = "Conficker infection seen (" + infWhy + "), so the host runs an affected netapi32 whatever its OS signals say (" + why + ")"
		ev = append(ev, infEv...)
	}
	if r.res.Fingerprint.Honeypot != "" {
		why += "; honeypot tell-tale: " + r.res.Fingerprint.Honeypot
		ev = append(ev, r.f.honeypot.idx)
	}
	// A credentialed reading is definitive and safe: it outranks the intrusive probe, which is
	// not even sent when it decided.
	if f, ok := r.judgeCredentialed(ev); ok {
		return f
	}
	if note, idx, ok := r.credentialNote(); ok {
		why += "; " + note
		ev = append(ev, idx)
	}
	if r.opts.Intrusive {
		f, note, ok := r.judgeMS08Intrusive(ev)
		if ok {
			return f
		}
		// An intrusive probe that did not decide never weakens the safe verdict.
		why += "; " + note
		if r.f.intrusive.idx >= 0 {
			ev = append(ev, r.f.intrusive.idx)
		}
	}
	if v == Unknown {
		return r.failedVerdict(CheckMS08067, rule, why, ev)
	}
	var rem []string
	if v == Exposed {
		rem = ms08Remedies()
	}
	return r.finding(CheckMS08067, v, sev, rule, why, ev, rem...)
}

// judgeMS08Intrusive reads the §3c answer. ok is true when it decided; otherwise note says
// why not, for the safe verdict's reason.
func (r *run) judgeMS08Intrusive(ev []int) (f Finding, note string, ok bool) {
	a := r.f.intrusive
	mk := func(v Verdict, sev Severity, rule, why string, rem ...string) (Finding, string, bool) {
		f := r.finding(CheckMS08067, v, sev, rule, why, append(ev, a.idx), rem...)
		f.Class = ClassIntrusive
		return f, "", true
	}
	undecided := func(s string) (Finding, string, bool) { return Finding{}, "intrusive probe: " + s, false }
	switch {
	case !a.sent:
		return undecided("not sent (" + firstNonEmpty(a.notRun, r.f.failed, r.f.pipeWhy, "srvsvc was not reached") + ")")
	case a.dropped:
		return mk(Vulnerable, SeverityCritical, "3c.connection-dropped", "the connection dropped during the intrusive NetprPathCompare, after the request was written: the host may have crashed ("+errText(a.err)+")", ms08Remedies()...)
	case a.faulted:
		return undecided("NetprPathCompare answered with DCE/RPC fault " + a.fault.String() + " (not Windows, or the call is not supported)")
	case !a.hasWerr:
		return undecided("no usable answer (" + errText(a.err) + ")")
	case a.werr == 0 && r.res.Fingerprint.Honeypot != "":
		return undecided("NetprPathCompare returned 0, but this host answers 0 to any comparison: a honeypot's tell-tale, not a verdict")
	case a.werr == 0:
		return mk(Vulnerable, SeverityCritical, "3c.return-0", "NetprPathCompare returned 0 for a one-level collapse: the unpatched routine ran", ms08Remedies()...)
	case a.werr == srvsvc.WerrInvalidName:
		return mk(Patched, SeverityInfo, "3c.werr-0x7b", "NetprPathCompare returned WERR_INVALID_NAME (0x7B): KB958644 is installed")
	case a.werr == srvsvc.WerrInvalidParameter:
		return mk(Exposed, SeverityCritical, "3c.werr-0x57", "NetprPathCompare returned 0x57: Conficker's in-memory patch answered, so the host is infected (see the conficker finding) and its netapi32.dll on disk is still unpatched; removing the worm without KB958644 leaves it vulnerable",
			append([]string{RemedyConfickerClean}, ms08Remedies()...)...)
	}
	return undecided("NetprPathCompare returned " + a.werr.String() + ", an answer the rule does not know")
}
