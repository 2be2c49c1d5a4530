package smbprobe

import (
	"fmt"
	"strings"
)

// The autorun-enabled check (docs/checks.md §6a): whether Windows would run autorun.inf from a
// USB drive — Conficker's second way in — judged from the registry over the credentialed
// winreg read.

// autorunRow is the CheckAutorun row of the check table.
func autorunRow() checkDef {
	return checkDef{
		CheckInfo: CheckInfo{ID: CheckAutorun, Title: "AutoRun enabled for removable drives", Class: ClassCredentialed, Category: CategoryCompliance},
		needs:     needSMB | needSMB1 | needCredentials,
		steps:     stepRegistry,
		judge:     (*run).judgeAutorun,
	}
}

// Values of NoDriveTypeAutoRun (MS KB967715): bit 0x04 is DRIVE_REMOVABLE; 0x91 is the
// default of Windows XP, 2000 (SP4) and Vista/7 when the value is absent; 0xFF turns AutoRun
// off for every drive type.
const (
	autorunRemovableBit = 0x04
	autorunDefault      = 0x91
	autorunNullMapping  = "@SYS:DoesNotExist"
)

// autorunVerdict is the §6a rule over what the registry read established, a pure function of
// the facts and the OS reading.
func autorunVerdict(g *regFacts, os osInfo, credsGiven bool) (v Verdict, sev Severity, rule, why string, ev []int) {
	switch {
	case !credsGiven:
		return Unknown, "", "6a.no-credentials", "the registry is read only with --user (an administrator account): no credentials were given", nil
	case g == nil:
		return Unknown, "", "6a.not-read", "the registry was not read (no SMB session to log on to)", nil
	case g.blocked != "":
		return Unknown, "", "6a." + g.blockKind, g.blocked, g.blockEv
	}
	product := g.value(regCurrentVersion, "ProductName")
	build := g.value(regCurrentVersion, "CurrentBuildNumber")
	osEv := append(append(append([]int(nil), product.ev...), build.ev...), g.value(regCurrentVersion, "CurrentVersion").ev...)
	if os.family == FamilySamba {
		return NotAffected, "", "6a.samba", "Samba has no AutoRun (its winreg serves a synthetic registry)", osEv
	}
	if product.failed || build.failed {
		return Unknown, "", "6a.read-failed", "HKLM\\" + regCurrentVersion + " could not be read (" + firstNonEmpty(product.why, build.why) + ")", osEv
	}
	if !product.found && !build.found {
		return Unknown, "", "6a.not-windows-registry", "the registry has neither ProductName nor CurrentBuildNumber under HKLM\\" + regCurrentVersion + ": not a Windows registry (Samba's winreg answers only CurrentVersion)", osEv
	}

	// Microsoft's strongest mitigation first: autorun.inf mapped to nowhere, for every drive.
	inf := g.value(regAutorunInf, "")
	if s, ok := inf.val.String(); inf.found && ok && strings.EqualFold(strings.TrimSpace(s), autorunNullMapping) {
		return NotAffected, "", "6a.null-mapping", "IniFileMapping\\Autorun.inf is mapped to " + autorunNullMapping + ": Windows ignores autorun.inf on every drive", inf.ev
	}
	// Every other rule reads absences as defaults: a value that could not be read (not
	// WERR_FILE_NOT_FOUND) leaves the answer unknown rather than guessed.
	for _, n := range []struct {
		name string
		v    regValue
	}{
		{"IniFileMapping\\Autorun.inf", inf}, {"NoDriveTypeAutoRun", g.value(regExplorerPolicy, "NoDriveTypeAutoRun")},
		{"HonorAutorunSetting", g.value(regExplorerPolicy, "HonorAutorunSetting")},
		{kbAutorunFix, g.updates[kbAutorunFix]}, {kbAutorunLimit, g.updates[kbAutorunLimit]},
	} {
		if n.v.failed {
			return Unknown, "", "6a.read-failed", n.name + " could not be read (" + n.v.why + "): its absence is not known", n.v.ev
		}
	}
	ev = append(append([]int(nil), inf.ev...), g.value(regExplorerPolicy, "NoDriveTypeAutoRun").ev...)
	infNote := "no IniFileMapping\\Autorun.inf null mapping (" + inf.why + ")"
	if inf.found {
		infNote = "IniFileMapping\\Autorun.inf is " + inf.val.Display() + ", not the null mapping"
	}

	ndt := g.value(regExplorerPolicy, "NoDriveTypeAutoRun")
	mask, hasMask := uint32(autorunDefault), false
	ndtNote := "NoDriveTypeAutoRun not set (" + ndt.why + "; the default 0x91 leaves removable drives on)"
	if ndt.found {
		if n, ok := ndt.val.DWORD(); ok {
			mask, hasMask = n, true
			ndtNote = fmt.Sprintf("NoDriveTypeAutoRun 0x%02x", n)
		} else {
			ndtNote = "NoDriveTypeAutoRun is " + ndt.val.Display() + ", not a REG_DWORD (ignored: the default 0x91 applies)"
		}
	}
	honor := g.value(regExplorerPolicy, "HonorAutorunSetting")
	fix, limit := g.updates[kbAutorunFix], g.updates[kbAutorunLimit]
	for _, u := range []regValue{honor, fix, limit} {
		ev = append(ev, u.ev...)
	}
	honored, honorWhy := false, ""
	major, minor := registryVersion(g, os)
	switch {
	case major >= 6:
		honored, honorWhy = true, "Windows Vista and later honour it"
	case fix.found:
		honored, honorWhy = true, "KB967715 is registered ("+fix.why+")"
	case honor.found:
		if n, ok := honor.val.DWORD(); ok && n == 1 {
			honored, honorWhy = true, "HonorAutorunSetting is 1"
		}
	}
	limited := major > 6 || major == 6 && minor >= 1 || limit.found
	limitWhy := "Windows 7 and later run autorun.inf from CD/DVD only"
	if limit.found && !(major > 6 || major == 6 && minor >= 1) {
		limitWhy = "KB971029 is registered (" + limit.why + "): autorun.inf runs from CD/DVD only"
	}

	switch {
	case mask&autorunRemovableBit != 0 && honored:
		return NotAffected, "", "6a.removable-off", ndtNote + " (bit 0x04 set: removable drives off) and " + honorWhy + "; " + infNote, ev
	case limited:
		return NotAffected, "", "6a.cd-only", limitWhy + "; " + ndtNote + "; " + infNote, ev
	case mask&autorunRemovableBit != 0:
		return Exposed, SeverityMedium, "6a.not-honoured", ndtNote + " turns removable drives off, but KB967715 is not registered and HonorAutorunSetting is not 1: " +
			"without that update Windows XP/2000/2003 still run autorun.inf (double-click, context menu); " + infNote, ev
	case hasMask:
		return Exposed, SeverityMedium, "6a.removable-on", ndtNote + " (bit 0x04 clear): AutoRun stays on for removable drives, and neither KB971029 nor the null mapping is in place; " + infNote, ev
	}
	return Exposed, SeverityMedium, "6a.default", ndtNote + ", and neither KB971029 nor the null mapping is in place; " + infNote, ev
}

// registryVersion is the NT version the registry states (CurrentBuildNumber first: Windows
// 10 and later keep CurrentVersion at 6.3), or the fused OS reading when it states none.
func registryVersion(g *regFacts, os osInfo) (uint8, uint8) {
	if s, ok := g.value(regCurrentVersion, "CurrentBuildNumber").val.String(); ok {
		var b int
		if _, err := fmt.Sscanf(strings.TrimSpace(s), "%d", &b); err == nil && b > 0 && b < 65536 {
			if ma, mi := versionOfBuild(uint16(b)); plausibleBuild(ma, mi, uint16(b)) {
				return ma, mi
			}
		}
	}
	if s, ok := g.value(regCurrentVersion, "CurrentVersion").val.String(); ok {
		var ma, mi int
		if _, err := fmt.Sscanf(strings.TrimSpace(s), "%d.%d", &ma, &mi); err == nil && ma > 0 && ma < 256 && mi >= 0 && mi < 256 {
			return uint8(ma), uint8(mi)
		}
	}
	if os.known {
		return os.major, os.minor
	}
	return 0, 0
}

func (r *run) judgeAutorun() Finding {
	v, sev, rule, why, ev := autorunVerdict(r.f.reg, r.f.os, r.opts.Credentials != nil)
	var rem []string
	if v == Exposed {
		rem = []string{RemedyAutoRun}
	}
	if v == Unknown && r.f.failed != "" && r.f.reg == nil {
		return r.failedVerdict(CheckAutorun, rule, why, ev)
	}
	return r.finding(CheckAutorun, v, sev, rule, why, ev, rem...)
}
