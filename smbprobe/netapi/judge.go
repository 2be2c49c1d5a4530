package netapi

// Status is the MS08-067 state a netapi32.dll version implies. The strings match the
// project's verdicts.
type Status string

// The outcomes of judging a netapi32.dll version.
const (
	Vulnerable  Status = "vulnerable"
	Patched     Status = "patched"
	NotAffected Status = "not-affected"
	Unknown     Status = "unknown"
)

// Judgement is the answer for one file version.
type Judgement struct {
	Version FileVersion `json:"version"`
	Branch  string      `json:"branch,omitempty"`   // e.g. "XP SP3", "Vista SP1/2008 RTM LDR"
	FixedAt FileVersion `json:"fixed_at,omitempty"` // the KB958644 build of the branch; zero when none applies
	Status  Status      `json:"status"`
	Rule    string      `json:"rule"`   // e.g. "3b.branch-fixed"
	Reason  string      `json:"reason"` // one sentence
}

// branch is one row of docs/checks.md §3b: versions major.minor.build with a revision in
// [revFrom, revTo] are serviced together and fixed at fixed.
type branch struct {
	name                string
	major, minor, build uint16
	revFrom, revTo      uint16
	fixed               uint16
}

// branches returns the table; a function, not a variable, so nobody can change it.
func branches() []branch {
	return []branch{
		{"2000 SP4", 5, 0, 2195, 0, 0xFFFF, 7203},
		// XP SP3's base build is 5512: below it is the SP2 (or older) line.
		{"XP SP2", 5, 1, 2600, 0, 5511, 3462},
		{"XP SP3", 5, 1, 2600, 5512, 0xFFFF, 5694},
		// 2003 SP2's base build is 3959, above the SP1 fix (3229).
		{"2003 SP1/XP x64 RTM", 5, 2, 3790, 0, 3958, 3229},
		{"2003 SP2/XP x64 SP2", 5, 2, 3790, 3959, 0xFFFF, 4392},
		// GDR (general distribution) and LDR (hotfix) lines: revisions from 20000 are LDR.
		{"Vista RTM GDR", 6, 0, 6000, 0, 19999, 16764},
		{"Vista RTM LDR", 6, 0, 6000, 20000, 0xFFFF, 20937},
		{"Vista SP1/2008 RTM GDR", 6, 0, 6001, 0, 19999, 18157},
		{"Vista SP1/2008 RTM LDR", 6, 0, 6001, 20000, 0xFFFF, 22288},
	}
}

// Judge decides MS08-067 from netapi32.dll's file version, within its servicing branch: a
// plain "≥ fix" across branches is wrong (an unpatched LDR build is above the GDR fix, 2003 SP2's
// base build is above the SP1 fix). Later updates in a branch (MS12-054) count as fixed.
func Judge(v FileVersion) Judgement {
	j := Judgement{Version: v}
	for _, b := range branches() {
		if v.Major != b.major || v.Minor != b.minor || v.Build != b.build || v.Revision < b.revFrom || v.Revision > b.revTo {
			continue
		}
		j.Branch = b.name
		j.FixedAt = FileVersion{b.major, b.minor, b.build, b.fixed}
		if v.Revision >= b.fixed {
			j.Status, j.Rule = Patched, "3b.branch-fixed"
			j.Reason = "netapi32.dll " + v.String() + " is at or above the " + b.name + " fix " + j.FixedAt.String() + " (KB958644 or a later update in the branch)"
		} else {
			j.Status, j.Rule = Vulnerable, "3b.branch-unfixed"
			j.Reason = "netapi32.dll " + v.String() + " is below the " + b.name + " fix " + j.FixedAt.String() + ": KB958644 is missing"
		}
		return j
	}
	switch {
	case v.Major == 6 && v.Minor == 0 && v.Build >= 6002,
		v.Major == 6 && v.Minor == 1 && v.Build >= 7600,
		v.Major == 6 && v.Minor >= 2,
		v.Major > 6:
		j.Status, j.Rule = NotAffected, "3b.not-affected"
		j.Branch = "6.0.6002 and later"
		j.Reason = "netapi32.dll " + v.String() + " belongs to Vista/2008 SP2, Windows 7 or later, which MS08-067 does not affect"
	default:
		// Pre-release builds (e.g. Windows 7 build 6801), unknown 5.x builds, or nonsense.
		j.Status, j.Rule = Unknown, "3b.no-branch"
		j.Reason = "netapi32.dll " + v.String() + " matches no known servicing branch"
	}
	return j
}
