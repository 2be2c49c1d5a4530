package smbprobe

import (
	"errors"
	"fmt"
	"slices"
	"strings"
)

// ErrUnknownCheck is returned by ParseChecks for an id that is not in the registry.
var ErrUnknownCheck = errors.New("smbprobe: unknown check")

// CheckInfo describes one check of the registry: what it is, how risky, what it is about.
type CheckInfo struct {
	ID       string
	Title    string
	CVE      []string
	Class    Class
	Category Category
}

// Checks returns the registry in report order, a fresh copy each call (no package state).
func Checks() []CheckInfo {
	return []CheckInfo{
		{ID: CheckMS08067, Title: "MS08-067 Server service path canonicalisation (KB958644)", CVE: []string{"CVE-2008-4250"}, Class: ClassSafe, Category: CategoryVulnerability},
		{ID: CheckConficker, Title: "Conficker srvsvc hook (NetprPathCanonicalize)", Class: ClassSafe, Category: CategoryInfection},
		{ID: CheckConfickerP2P, Title: "Conficker C+ peer-to-peer responder", Class: ClassSafe, Category: CategoryInfection},
		{ID: CheckMS17010, Title: "MS17-010 SMBv1 (PeekNamedPipe FID 0)", CVE: []string{"CVE-2017-0143", "CVE-2017-0144", "CVE-2017-0145", "CVE-2017-0146", "CVE-2017-0148"}, Class: ClassSafe, Category: CategoryVulnerability},
		{ID: CheckSMBv1, Title: "SMBv1 enabled", Class: ClassSafe, Category: CategoryCompliance},
		{ID: CheckSigning, Title: "SMB signing not required", Class: ClassSafe, Category: CategoryCompliance},
		{ID: CheckNullSession, Title: "Anonymous IPC$ (null session) allowed", Class: ClassSafe, Category: CategoryCompliance},
		{ID: CheckSrvsvcAnon, Title: "srvsvc reachable anonymously", Class: ClassSafe, Category: CategoryCompliance},
		{ID: CheckOSUnsupported, Title: "Operating system out of support", Class: ClassSafe, Category: CategoryCompliance},
	}
}

// checkInfo returns the registry entry of id.
func checkInfo(id string) (CheckInfo, bool) {
	for _, c := range Checks() {
		if c.ID == id {
			return c, true
		}
	}
	return CheckInfo{}, false
}

// DefaultChecks is every safe check, in report order.
func DefaultChecks() []string {
	var ids []string
	for _, c := range Checks() {
		if c.Class == ClassSafe {
			ids = append(ids, c.ID)
		}
	}
	return ids
}

// ParseChecks reads a --checks value: a comma-separated list of check ids, "safe" or "all"
// (both mean DefaultChecks), "" meaning the default too. Duplicates are dropped and the
// result is in report order, so two spellings of one selection give the same report.
func ParseChecks(spec string) ([]string, error) {
	spec = strings.TrimSpace(spec)
	if spec == "" {
		return DefaultChecks(), nil
	}
	want := map[string]bool{}
	for _, part := range strings.Split(spec, ",") {
		id := strings.ToLower(strings.TrimSpace(part))
		switch id {
		case "":
			continue
		case "safe", "all", "default":
			for _, d := range DefaultChecks() {
				want[d] = true
			}
			continue
		}
		if _, ok := checkInfo(id); !ok {
			return nil, fmt.Errorf("%w %q (known: %s)", ErrUnknownCheck, id, strings.Join(checkIDs(), ", "))
		}
		want[id] = true
	}
	if len(want) == 0 {
		return nil, fmt.Errorf("%w: empty selection %q", ErrUnknownCheck, spec)
	}
	var out []string
	for _, c := range Checks() {
		if want[c.ID] {
			out = append(out, c.ID)
		}
	}
	return out, nil
}

func checkIDs() []string {
	var ids []string
	for _, c := range Checks() {
		ids = append(ids, c.ID)
	}
	return ids
}

// selection answers "is this check wanted" for one probe.
type selection []string

func (s selection) has(ids ...string) bool {
	for _, id := range ids {
		if slices.Contains(s, id) {
			return true
		}
	}
	return false
}
