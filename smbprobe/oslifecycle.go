package smbprobe

import (
	"fmt"
	"strings"
	"time"
)

// lifecycle is the end of security updates for one Windows version or build. A build shared by
// several editions (a client release, its LTSC edition, a Server release) carries the latest
// end date of any of them: a build alone cannot tell the editions apart, and a report must not
// call a supported machine unsupported.
type lifecycle struct {
	major, minor uint8
	build        uint16 // 0: every build of major.minor
	name         string
	end          string // last day of security updates, YYYY-MM-DD (extended support or ESU)
	note         string
	source       string // Microsoft Lifecycle product page
}

// lifecycles is the support table. Sources are the product pages under
// https://learn.microsoft.com/lifecycle/products/ and the Windows release information pages
// (https://learn.microsoft.com/windows/release-health/), as of 2026-12.
func lifecycles() []lifecycle {
	const lc = "https://learn.microsoft.com/lifecycle/products/"
	const rh = "https://learn.microsoft.com/windows/release-health/release-information"
	return []lifecycle{
		{5, 0, 0, "Windows 2000", "2010-07-13", "", lc + "windows-2000"},
		{5, 1, 0, "Windows XP", "2014-04-08", "", lc + "windows-xp"},
		{5, 2, 0, "Windows Server 2003 / XP x64", "2015-07-14", "", lc + "windows-server-2003-"},
		{6, 0, 0, "Windows Vista / Server 2008", "2024-01-09", "Server 2008 ESU on Azure was the last", lc + "windows-server-2008"},
		{6, 1, 0, "Windows 7 / Server 2008 R2", "2024-01-09", "Server 2008 R2 ESU on Azure was the last", lc + "windows-server-2008-r2"},
		{6, 2, 0, "Windows 8 / Server 2012", "2026-10-13", "Server 2012 ESU year 3 was the last", lc + "windows-server-2012"},
		{6, 3, 0, "Windows 8.1 / Server 2012 R2", "2026-10-13", "Server 2012 R2 ESU year 3 was the last", lc + "windows-server-2012-r2"},
		{10, 0, 10240, "Windows 10 1507 / LTSB 2015", "2025-10-14", "", lc + "windows-10-2015-ltsb"},
		{10, 0, 10586, "Windows 10 1511", "2018-04-10", "", rh},
		{10, 0, 14393, "Windows 10 1607 / LTSB 2016 / Server 2016", "2027-01-12", "Server 2016 extended support; LTSB 2016 ended 2026-10-13", lc + "windows-server-2016"},
		{10, 0, 15063, "Windows 10 1703", "2019-10-08", "", rh},
		{10, 0, 16299, "Windows 10 1709", "2020-10-13", "", rh},
		{10, 0, 17134, "Windows 10 1803", "2021-05-11", "", rh},
		{10, 0, 17763, "Windows 10 1809 / LTSC 2019 / Server 2019", "2029-01-09", "", lc + "windows-server-2019"},
		{10, 0, 18362, "Windows 10 1903", "2020-12-08", "", rh},
		{10, 0, 18363, "Windows 10 1909", "2022-05-10", "", rh},
		{10, 0, 19041, "Windows 10 2004", "2021-12-14", "", rh},
		{10, 0, 19042, "Windows 10 20H2", "2023-05-09", "", rh},
		{10, 0, 19043, "Windows 10 21H1", "2022-12-13", "", rh},
		{10, 0, 19044, "Windows 10 21H2 / LTSC 2021", "2032-01-13", "IoT Enterprise LTSC 2021; Enterprise LTSC 2021 ends 2027-01-12", lc + "windows-10-enterprise-ltsc-2021"},
		{10, 0, 19045, "Windows 10 22H2", "2025-10-14", "devices enrolled in Extended Security Updates still get them (until 2028-10-10 for organisations)", lc + "windows-10-enterprise-and-education"},
		{10, 0, 20348, "Windows Server 2022", "2031-10-14", "", lc + "windows-server-2022"},
		{10, 0, 22000, "Windows 11 21H2", "2024-10-08", "", lc + "windows-11-enterprise-and-education"},
		{10, 0, 22621, "Windows 11 22H2", "2025-10-14", "", lc + "windows-11-enterprise-and-education"},
		{10, 0, 22631, "Windows 11 23H2", "2026-11-10", "", lc + "windows-11-enterprise-and-education"},
		{10, 0, 25398, "Windows Server 23H2", "2025-10-24", "", lc + "windows-server-annual-channel"},
		{10, 0, 26100, "Windows 11 24H2 / LTSC 2024 / Server 2025", "2034-11-14", "Server 2025 extended support; Windows 11 24H2 Enterprise ends 2027-10-12", lc + "windows-server-2025"},
		{10, 0, 26200, "Windows 11 25H2", "2028-10-10", "", lc + "windows-11-enterprise-and-education"},
		{10, 0, 26300, "Windows 11 26H2", "2029-10-09", "", rh},
		{10, 0, 28000, "Windows 11 26H1", "2029-03-13", "", rh},
	}
}

// newestListedBuild is the newest 10.0 build in the table: later builds are newer releases and
// presumed supported.
const newestListedBuild = 28000

// lifecycleOf finds the table row of a version (and build, for 10.0).
func lifecycleOf(major, minor uint8, build uint16) (lifecycle, bool) {
	for _, l := range lifecycles() {
		if l.major == major && l.minor == minor && (l.build == 0 || l.build == build) {
			return l, true
		}
	}
	return lifecycle{}, false
}

// supportState is the lifecycle reading of one OS reading at a time.
type supportState int

const (
	supportUnknown supportState = iota
	supportEnded
	supportLive
)

func supportOf(r osReading, now time.Time) (supportState, string) {
	if r.floor {
		return supportUnknown, fmt.Sprintf("%s (%s) could be any later release", r.source, r)
	}
	if r.major < 5 {
		return supportEnded, fmt.Sprintf("Windows NT %d.%d ended long ago", r.major, r.minor)
	}
	l, ok := lifecycleOf(r.major, r.minor, r.build)
	if !ok {
		if r.major == 10 && r.build > newestListedBuild {
			return supportLive, fmt.Sprintf("build %d is newer than every release in the support table", r.build)
		}
		if r.major == 10 && r.build == 0 {
			return supportUnknown, "Windows 10.0 without a build: 10, 11 and Server 2016–2025 share it"
		}
		return supportUnknown, fmt.Sprintf("%s is not in the support table", r)
	}
	end, _ := time.Parse(time.DateOnly, l.end)
	// Updates are published on the end day itself; support is over the day after.
	if now.After(end.AddDate(0, 0, 1)) {
		why := fmt.Sprintf("%s: security updates ended %s (%s)", l.name, l.end, l.source)
		if l.note != "" {
			why += "; " + l.note
		}
		return supportEnded, why
	}
	why := fmt.Sprintf("%s: security updates until %s (%s)", l.name, l.end, l.source)
	if l.note != "" {
		why += "; " + l.note
	}
	return supportLive, why
}

// osSupport is the lifecycle rule on the fused OS reading: any credible reading of an ended
// release makes the host exposed, and readings that disagree never make it not-affected.
func osSupport(o osInfo, now time.Time) (Verdict, Severity, string, string) {
	switch o.family {
	case FamilySamba:
		return NotAffected, SeverityInfo, "6.samba", "Samba: Windows lifecycle does not apply (the distribution's support decides)"
	case FamilyOther:
		return NotAffected, SeverityInfo, "6.not-windows", "not Windows"
	case "":
		why := "OS not identified"
		if d := o.dropped(); d != "" {
			why += "; ignored: " + d
		}
		return Unknown, SeverityInfo, "6.os-unknown", why
	}
	var ended, live, undecided []string
	for _, r := range o.readings {
		st, why := supportOf(r, now)
		switch st {
		case supportEnded:
			ended = append(ended, why)
		case supportLive:
			live = append(live, why)
		default:
			undecided = append(undecided, why)
		}
	}
	switch {
	case len(ended) > 0:
		why := o.name + " is out of support: " + ended[0]
		if o.conflict != "" {
			why += "; signals disagree (" + o.conflict + "), and one says an ended release"
		}
		return Exposed, SeverityMedium, "6.os-eol", why
	case len(live) > 0 && o.conflict == "":
		return NotAffected, SeverityInfo, "6.os-supported", o.name + " may still be in support: " + live[0]
	case o.conflict != "":
		return Unknown, SeverityInfo, "6.signals-disagree", "OS signals disagree: " + o.conflict
	}
	return Unknown, SeverityInfo, "6.release-unknown", o.name + ": " + strings.Join(undecided, "; ")
}
