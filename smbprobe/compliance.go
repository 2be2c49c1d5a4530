package smbprobe

import (
	"strings"
	"time"
)

// The compliance checks (docs/checks.md §6), read from the same connection.

// smbv1Row is the CheckSMBv1 row of the check table.
func smbv1Row() checkDef {
	return checkDef{
		CheckInfo: CheckInfo{ID: CheckSMBv1, Title: "SMBv1 enabled", Class: ClassSafe, Category: CategoryCompliance},
		needs:     needSMB | needSMB1,
		judge:     (*run).judgeSMBv1,
	}
}

// signingRow is the CheckSigning row of the check table.
func signingRow() checkDef {
	return checkDef{
		CheckInfo: CheckInfo{ID: CheckSigning, Title: "SMB signing not required", Class: ClassSafe, Category: CategoryCompliance},
		needs:     needSMB | needSMB1,
		judge:     (*run).judgeSigning,
	}
}

// anonIPCRow is the CheckNullSession row of the check table.
func anonIPCRow() checkDef {
	return checkDef{
		CheckInfo: CheckInfo{ID: CheckNullSession, Title: "Anonymous IPC$ (null session) allowed", Class: ClassSafe, Category: CategoryCompliance},
		needs:     needSession,
		judge:     (*run).judgeNull,
	}
}

// srvsvcAnonRow is the CheckSrvsvcAnon row of the check table.
func srvsvcAnonRow() checkDef {
	return checkDef{
		CheckInfo: CheckInfo{ID: CheckSrvsvcAnon, Title: "srvsvc reachable anonymously", Class: ClassSafe, Category: CategoryCompliance},
		needs:     needSession | needPipe,
		steps:     stepServerInfo,
		judge:     (*run).judgeSrvsvc,
	}
}

// osUnsupportedRow is the CheckOSUnsupported row of the check table.
func osUnsupportedRow() checkDef {
	return checkDef{
		CheckInfo: CheckInfo{ID: CheckOSUnsupported, Title: "Operating system out of support", Class: ClassSafe, Category: CategoryCompliance},
		needs:     needSession | needPipe,
		steps:     stepServerInfo,
		judge:     (*run).judgeOS,
	}
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
