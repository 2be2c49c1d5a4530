package smbprobe

import (
	"github.com/scan445/scan445/smbprobe/ntstatus"
)

// The ms17-010 check (docs/checks.md §5): PeekNamedPipe on FID 0.

// ms17Row is the CheckMS17010 row of the check table.
func ms17Row() checkDef {
	return checkDef{
		CheckInfo: CheckInfo{ID: CheckMS17010, Title: "MS17-010 SMBv1 (PeekNamedPipe FID 0)", CVE: []string{"CVE-2017-0143", "CVE-2017-0144", "CVE-2017-0145", "CVE-2017-0146", "CVE-2017-0148"}, Class: ClassSafe, Category: CategoryVulnerability},
		needs:     needSession,
		steps:     stepPeek,
		judge:     (*run).judgeMS17,
	}
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
