package smbprobe

import (
	"fmt"

	"github.com/scan445/scan445/smbprobe/dcerpc"
	"github.com/scan445/scan445/smbprobe/srvsvc"
)

// The conficker check (docs/checks.md §4a): the two srvsvc hook probes.

// confickerRow is the CheckConficker row of the check table.
func confickerRow() checkDef {
	return checkDef{
		CheckInfo: CheckInfo{ID: CheckConficker, Title: "Conficker srvsvc hook (NetprPathCanonicalize)", Class: ClassSafe, Category: CategoryInfection},
		needs:     needSession | needPipe,
		steps:     stepServerInfo | stepHook | stepHoneypot,
		judge:     (*run).judgeConficker,
	}
}

// Conficker hook answers (docs/checks.md §4a): the 2 Outbuf bytes and 2 padding bytes as a uint32.
const (
	canPathConfickerDE = 0x5c45005c // `5c 00 45 5c`: D/E's hook leaks into the padding
	canPathRoot        = 0x005c     // `5c 00`: the path `\`
)

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
