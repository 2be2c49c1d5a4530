package smbprobe

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/scan445/scan445/smbprobe/dcerpc"
	"github.com/scan445/scan445/smbprobe/ntstatus"
	"github.com/scan445/scan445/smbprobe/p2p"
	"github.com/scan445/scan445/smbprobe/srvsvc"
)

// Conficker hook answers (CHECKS §4a): the 2 Outbuf bytes and 2 padding bytes as a uint32.
const (
	canPathConfickerDE = 0x5c45005c // `5c 00 45 5c`: D/E's hook leaks into the padding
	canPathRoot        = 0x005c     // `5c 00`: the path `\`
)

// finding builds a Finding for check id from the registry.
func (r *run) finding(id string, v Verdict, sev Severity, rule, reason string, ev []int, remedies ...string) Finding {
	ci, _ := checkInfo(id)
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
	for _, id := range r.sel {
		var f Finding
		switch id {
		case CheckMS08067:
			f = r.judgeMS08()
		case CheckConficker:
			f = r.judgeConficker()
		case CheckConfickerP2P:
			f = r.judgeP2P()
		case CheckMS17010:
			f = r.judgeMS17()
		case CheckSMBv1:
			f = r.judgeSMBv1()
		case CheckSigning:
			f = r.judgeSigning()
		case CheckNullSession:
			f = r.judgeNull()
		case CheckSrvsvcAnon:
			f = r.judgeSrvsvc()
		case CheckOSUnsupported:
			f = r.judgeOS()
		default:
			continue
		}
		r.res.Findings = append(r.res.Findings, f)
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

// confickerVerdict is the §4a table on the two hook answers. Clean needs `\..\` → 0x7B and an
// answer to `\` without the D/E signature, whatever WERROR that answer carries: a clean
// Windows may return 0 with `5c 00` or NERR_BufTooSmall, and nmap decides the same way.
func confickerVerdict(dot, root rpcAnswer) (Verdict, string, string, string) {
	if root.hasWords && root.words.CanPath == canPathConfickerDE {
		return Infected, "D/E", "4a.hook-de-padding", `NetprPathCanonicalize("\") leaked 45 5c into the NDR padding (can_path 0x5c45005c): Conficker D/E's hook`
	}
	if dot.hasWerr && dot.werr == srvsvc.WerrInvalidParameter {
		variant := "A/B/C"
		if root.hasWords && root.werr == 0 && root.words.CanPath == 0 {
			variant = "D/E"
		}
		return Infected, variant, "4a.hook-0x57", `NetprPathCanonicalize("\..\") returned WERR_INVALID_PARAMETER (0x57) instead of 0x7B: Conficker's hook`
	}
	for _, a := range []rpcAnswer{dot, root} {
		if a.faulted {
			if a.fault == dcerpc.StatusOpRangeError {
				return Unknown, "", "4a.call-unsupported", "NetprPathCanonicalize answered with fault nca_op_rng_error (0x1C010002): not Windows / call not supported"
			}
			return Unknown, "", "4a.fault", "NetprPathCanonicalize answered with DCE/RPC fault " + a.fault.String()
		}
		if !a.sent {
			return Unknown, "", "4a.not-run", "hook probe not sent: " + firstNonEmpty(a.notRun, "earlier step failed")
		}
		if !a.hasWerr {
			return Unknown, "", "4a.no-answer", "hook probe got no usable answer: " + errText(a.err)
		}
	}
	switch dot.werr {
	case srvsvc.WerrInvalidName:
		return Clean, "", "4a.clean", fmt.Sprintf(`NetprPathCanonicalize("\..\") returned WERR_INVALID_NAME (0x7B) and ("\") returned %s without the D/E signature (can_path 0x%08x): no Conficker hook`, root.werr, root.words.CanPath)
	case 0:
		return Unknown, "", "4a.dotdot-0", `NetprPathCanonicalize("\..\") returned 0: clean and infected Windows hosts never do (clean: 0x7B, infected: 0x57), so this is something else`
	}
	return Unknown, "", "4a.unexpected", fmt.Sprintf("unexpected hook answers: \\..\\ → %s, \\ → %s can_path 0x%08x", dot.werr, root.werr, root.words.CanPath)
}

func (r *run) judgeConficker() Finding {
	dot, root := r.f.hookDot, r.f.hookRoot
	ev := []int{dot.idx, root.idx}
	if !dot.sent {
		why := r.sessionBlocker()
		return r.failedVerdict(CheckConficker, "4a.not-run", why, r.blockerEvidence())
	}
	v, variant, rule, why := confickerVerdict(dot, root)
	if i := r.f.intrusive; v != Infected && i.hasWerr && i.werr == srvsvc.WerrInvalidParameter {
		v, variant, rule = Infected, "", "3c.werr-0x57"
		why = "the intrusive NetprPathCompare returned 0x57, Conficker's in-memory patch (the hook probes said: " + why + ")"
		ev = append(ev, i.idx)
	}
	if v == Unknown && r.f.os.family == FamilySamba {
		why += "; the host is Samba"
	}
	if v == Unknown && (dot.dropped || root.dropped || dot.timedOut || root.timedOut) {
		return r.failedVerdict(CheckConficker, rule, why, ev)
	}
	var sev Severity
	var rem []string
	if v == Infected {
		sev = SeverityCritical
		rem = []string{RemedyConfickerClean, RemedyKB958644, RemedyBlock445, RemedyPasswords, RemedyAutoRun}
	}
	f := r.finding(CheckConficker, v, sev, rule, why, ev, rem...)
	f.Variant = variant
	return f
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

// ms17Verdict is the §5 rule on the PeekNamedPipe status.
func ms17Verdict(st ntstatus.Status) (Verdict, string, string) {
	switch st {
	case ntstatus.InsuffServerResources:
		return Vulnerable, "5.insuff-resources", "PeekNamedPipe on FID 0 returned STATUS_INSUFF_SERVER_RESOURCES (0xC0000205): the MS17-010 fix is missing"
	case ntstatus.InvalidHandle:
		return Patched, "5.invalid-handle", "PeekNamedPipe on FID 0 returned STATUS_INVALID_HANDLE (0xC0000008): patched"
	case ntstatus.AccessDenied:
		return Patched, "5.access-denied", "PeekNamedPipe on FID 0 returned STATUS_ACCESS_DENIED (0xC0000022): patched"
	}
	return Unknown, "5.other-status", "PeekNamedPipe on FID 0 returned " + ntstatus.Status(st).String() + ", neither answer the rule knows"
}

func (r *run) judgeMS17() Finding {
	if r.f.smb1.val == triNo {
		return r.finding(CheckMS17010, NotAffected, "", "5.no-smb1", "SMBv1 is disabled ("+r.f.smb1.why+"); MS17-010 is a flaw of the SMBv1 server", r.f.smb1.ev)
	}
	if r.f.os.family == FamilySamba {
		return r.finding(CheckMS17010, NotAffected, "", "5.samba", "Samba ("+r.f.os.samba+"): MS17-010 is a flaw of Windows' SMBv1 server", append(r.f.osEv, r.f.peek.idx))
	}
	p := r.f.peek
	if !p.sent {
		return r.failedVerdict(CheckMS17010, "5.not-run", "PeekNamedPipe not sent: "+r.sessionBlockerIPC(), r.blockerEvidence())
	}
	if p.err != nil {
		return r.failedVerdict(CheckMS17010, "5.no-answer", "PeekNamedPipe got no answer: "+p.err.Error(), []int{p.idx})
	}
	v, rule, why := ms17Verdict(p.status)
	var sev Severity
	var rem []string
	if v == Vulnerable {
		sev = SeverityCritical
		rem = []string{RemedyMS17010, RemedyDisableSMBv1, RemedyBlock445}
	}
	return r.finding(CheckMS17010, v, sev, rule, why, []int{p.idx}, rem...)
}

func (r *run) sessionBlockerIPC() string {
	switch {
	case r.f.null.val == triNo:
		return "null session denied: " + r.f.null.why
	case r.f.ipc.val == triNo:
		return r.f.ipc.why
	case r.f.failed != "":
		return "the probe stopped at " + r.f.failed
	}
	return "IPC$ was not reached over SMB1"
}

func (r *run) judgeSMBv1() Finding {
	s := r.f.smb1
	switch s.val {
	case triYes:
		return r.finding(CheckSMBv1, Exposed, SeverityMedium, "6.smb1-accepted", "the host accepted the NT LM 0.12 (SMBv1) dialect", s.ev, RemedyDisableSMBv1)
	case triNo:
		return r.finding(CheckSMBv1, NotAffected, "", "6.smb1-refused", s.why, s.ev)
	}
	return r.failedVerdict(CheckSMBv1, "6.unknown", firstNonEmpty(s.why, "SMBv1 support could not be tested"), s.ev)
}

func (r *run) judgeSigning() Finding {
	s1, s2 := r.f.sign1Req, r.f.sign2Req
	ev := append(append([]int(nil), s1.ev...), s2.ev...)
	var weak []string
	if s1.val == triNo {
		weak = append(weak, "SMB1")
	}
	if s2.val == triNo {
		weak = append(weak, "SMB2")
	}
	switch {
	case len(weak) > 0:
		return r.finding(CheckSigning, Exposed, SeverityMedium, "6.signing-optional", "message signing is not required over "+strings.Join(weak, " and ")+" (SecurityMode)", ev, RemedyRequireSigning)
	case s1.val == triYes || s2.val == triYes:
		if r.f.smb1.val == triUnknown && s1.val == triUnknown && r.f.failed != "" {
			break
		}
		return r.finding(CheckSigning, NotAffected, "", "6.signing-required", "every dialect the host negotiated requires signing", ev)
	}
	return r.failedVerdict(CheckSigning, "6.unknown", "no NEGOTIATE response was read", ev)
}

func (r *run) judgeNull() Finding {
	n, ipc := r.f.null, r.f.ipc
	ev := append(append([]int(nil), n.ev...), ipc.ev...)
	switch {
	case n.val == triYes && ipc.val == triYes:
		return r.finding(CheckNullSession, Exposed, SeverityMedium, "6.null-ipc", "an anonymous session was accepted and connected IPC$", ev, RemedyRestrictAnon)
	case n.val == triNo:
		return r.finding(CheckNullSession, NotAffected, "", "6.null-refused", n.why, ev)
	case ipc.val == triNo:
		return r.finding(CheckNullSession, NotAffected, "", "6.ipc-refused", ipc.why, ev)
	}
	return r.failedVerdict(CheckNullSession, "6.unknown", "the null session could not be completed", ev)
}

func (r *run) judgeSrvsvc() Finding {
	switch {
	case r.f.bound.val == triYes:
		return r.finding(CheckSrvsvcAnon, Exposed, SeverityMedium, "6.srvsvc-bound", "srvsvc was bound anonymously on "+r.res.Fingerprint.Pipe, r.f.bound.ev, RemedyRestrictAnon)
	case r.f.null.val == triNo || r.f.ipc.val == triNo || r.f.pipe.val == triNo || r.f.bound.val == triNo:
		return r.finding(CheckSrvsvcAnon, NotAffected, "", "6.srvsvc-refused", r.sessionBlocker(), r.blockerEvidence())
	}
	return r.failedVerdict(CheckSrvsvcAnon, "6.unknown", r.sessionBlocker(), r.blockerEvidence())
}

func (r *run) judgeOS() Finding {
	now := time.Now
	if r.opts.Now != nil {
		now = r.opts.Now
	}
	v, sev, rule, why := osSupport(r.f.os, now())
	if r.f.os.source != "" {
		why += " (OS from " + r.f.os.source + ")"
	}
	if v == Unknown {
		return r.failedVerdict(CheckOSUnsupported, rule, why, r.f.osEv)
	}
	var rem []string
	if v == Exposed {
		rem = []string{RemedyUpgradeOS}
	}
	return r.finding(CheckOSUnsupported, v, sev, rule, why, r.f.osEv, rem...)
}

// recordP2P turns the P2P probe's result into an Exchange.
func (r *run) recordP2P(pr *p2p.Result) {
	r.f.p2p = pr
	var parts []string
	for _, p := range pr.Ports {
		parts = append(parts, fmt.Sprintf("%+v", p))
	}
	x := r.begin("p2p.hello", ClassSafe, fmt.Sprintf("Conficker P2P hello to TCP %d,%d and UDP %d,%d (week %d)", pr.TCP[0], pr.TCP[1], pr.UDP[0], pr.UDP[1], pr.Week))
	r.f.p2pIdx = x.done("signal "+string(pr.Signal), firstNonEmpty(pr.Error, strings.Join(parts, "; ")))
}

func (r *run) judgeP2P() Finding {
	pr := r.f.p2p
	ev := []int{r.f.p2pIdx}
	if pr == nil {
		return r.finding(CheckConfickerP2P, Unknown, "", "4b.not-run", "the P2P probe needs an IPv4 address", nil)
	}
	switch pr.Signal {
	case p2p.SignalInfected:
		return r.finding(CheckConfickerP2P, Infected, SeverityCritical, "4b.valid-checksum", "a Conficker P2P reply with a valid checksum came from a derived port", ev,
			RemedyConfickerClean, RemedyKB958644, RemedyBlock445, RemedyPasswords, RemedyAutoRun)
	case p2p.SignalPossible:
		return r.finding(CheckConfickerP2P, Unknown, "", "4b.bad-checksum", "a reply parsed as a Conficker P2P packet but its checksum failed: possibly infected", ev, RemedyVerifyManually)
	case p2p.SignalNone:
		// Silence is not a clean bill of health (a firewall, a NAT or a wrong clock hides a
		// peer), nor an unknown that needs a person: its own word.
		return r.finding(CheckConfickerP2P, NotDetected, "", "4b.no-signal", "no signal: no Conficker P2P peer answered on the derived ports (clean, or the ports are filtered, the address is NATed or the host's clock is off)", ev)
	}
	return r.finding(CheckConfickerP2P, Error, "", "4b.error", "the P2P probe failed: "+pr.Error, ev)
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
